"""One extraction job per source object: pull what changed since the watermark, land it in raw.

Every job is incremental and idempotent: it asks the source for every record stamped at or after
the object's watermark less a safety overlap (``>=``, so a night killed half-way loses nothing at a
page boundary, and a record committed late with an earlier stamp is still read), and commits chunk
by chunk; versions already stored are not stored again. The night's as-of does not bound the read:
a source holds only each record's latest version, so a record changed after the as-of is read as
it is now, and dbt reconstructs its state at the as-of from history (docs/lifecycle.md, "A moving
source"). The window each read covers, from the watermark to the source's own time when it read
(its ``Date`` header), is recorded with the load; the watermark then moves to that time, never back.

Small deltas come as REST pages, checked record by record. Large ones (a first night, a backfill,
a mass update) come as bulk CSV chunks: Salesforce's Bulk API 2.0 when the first REST page says the
query holds more than the connection's ``bulk_threshold`` rows, Marketo's bulk activity export when
the activity pages run past it, Marketo's bulk lead export always;
each chunk is landed set-based (:meth:`RawStore.write_csv_chunk`), so memory is bounded by a chunk.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from leadflow.extract.marketo import ACTIVITY_FIELDS, ActivityPage, MarketoClient
from leadflow.extract.salesforce import SalesforceClient
from leadflow.extract.validate import check
from leadflow.raw import PageResult, RawStore, Rejected, later_watermark
from leadflow.sources import SourceObject
from leadflow.timefmt import parse_instant, salesforce_format

log = logging.getLogger(__name__)

# Read again behind the watermark: a source's stamp is set when a change starts and becomes
# visible when its transaction commits, so a record can appear later with an earlier stamp.
WATERMARK_OVERLAP = timedelta(minutes=10)


def _window_start(store: RawStore, obj: SourceObject) -> datetime | None:
    """Where tonight's read starts: the watermark less the overlap (None: everything)."""
    watermark = store.watermark(obj)
    return parse_instant(watermark) - WATERMARK_OVERLAP if watermark else None


def _close_window(
    store: RawStore, obj: SourceObject, run_id: str, total: PageResult, start: datetime | None, read_at: datetime
) -> None:
    """Record the window the read covered and move the watermark to the source's time when it
    read (never back: a replayed or out-of-order night leaves a later watermark standing)."""
    total.window_from = start.isoformat() if start else None
    total.window_to = read_at.isoformat()
    current = store.watermark(obj)
    store.write_page(obj, [], [], run_id, later_watermark(current, salesforce_format(read_at), read_at))
    store.record_load(obj, run_id, total)


def _split(
    records: Iterable[dict[str, Any]], types: dict[str, str], obj: SourceObject, version_of: Any
) -> tuple[list[tuple[str, str, dict[str, Any]]], list[Rejected]]:
    """Records as they load, and the quarantine rows: records without a usable key or stamp or
    repeating a key within the page (whole), and the fields nulled or truncated in the others."""
    good: list[tuple[str, str, dict[str, Any]]] = []
    bad: list[Rejected] = []
    seen: set[str] = set()
    for record in records:
        checked = check(record, types, obj.key, obj.stamp or None)
        record_id = record.get(obj.key)
        reason = checked.reason
        if reason is None and str(record_id) in seen:
            reason = f"duplicate {obj.key} within one page"
        if reason is not None:
            received = json.dumps(record, ensure_ascii=False, default=str)
            bad.append(Rejected(None if record_id is None else str(record_id), reason, received))
            continue
        seen.add(str(record_id))
        good.append((str(record_id), version_of(checked.record), checked.record))
        bad += [
            Rejected(str(record_id), p.reason, json.dumps(p.received, ensure_ascii=False, default=str), p.field)
            for p in checked.problems
        ]
    return good, bad


def _note_drift(store: RawStore, obj: SourceObject, described: Iterable[str], run_id: str) -> None:
    known = store.known_fields(obj)
    if not known:
        return
    described = set(described)
    for name in sorted(described - known):
        log.warning("%s: new field %s is landed in raw from this night on", obj.name, name)
        store.record_schema_change(obj, name, "added", run_id)
    for name in sorted(known - described):
        log.warning("%s: field %s no longer described by the source; it will be null", obj.name, name)
        store.record_schema_change(obj, name, "removed", run_id)


def _latest(values: Iterable[str], current: str | None) -> str | None:
    best = current
    for value in values:
        if best is None or parse_instant(value) > parse_instant(best):
            best = value
    return best


REST_CHUNK = 20_000  # records of REST pages landed in one transaction (and one anti-join)


def _batched(pages: Iterable[list[dict[str, Any]]], size: int) -> Iterator[list[dict[str, Any]]]:
    """Consecutive pages joined into chunks of at least ``size`` records (the last may be smaller)."""
    chunk: list[dict[str, Any]] = []
    for records in pages:
        chunk.extend(records)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _chunk_files(chunks: Iterable[bytes]) -> Iterator[Path]:
    """Each CSV chunk written to a temporary file as received (DuckDB reads files, and reads them
    as UTF-8 whatever the response's headers said), removed after use. A chunk is tens of
    megabytes: it is not decoded to text and encoded back."""
    with tempfile.TemporaryDirectory(prefix="leadflow-chunk-") as tmp:
        path = Path(tmp) / "chunk.csv"
        for chunk in chunks:
            if not chunk or chunk.isspace():
                continue  # no header: nothing in this chunk
            path.write_bytes(chunk)
            yield path


def extract_salesforce_object(client: SalesforceClient, store: RawStore, obj: SourceObject, run_id: str) -> PageResult:
    store.ensure_table(obj)
    types = client.describe(obj.name)
    if not types:  # field history off, no queues...: the object stays empty, the night goes on
        log.warning("%s: the org has no such object or no readable field of it; skipped", obj.name)
        total = PageResult(skipped="the org has no such object, or no readable field of it")
        store.record_load(obj, run_id, total)
        return total
    _note_drift(store, obj, types, run_id)
    watermark = store.watermark(obj)
    start = _window_start(store, obj)
    where = f" WHERE {obj.stamp} >= {salesforce_format(start)}" if start else ""
    soql = f"SELECT {', '.join(types)} FROM {obj.name}{where} ORDER BY {obj.stamp}, Id"
    total = PageResult()
    pages = client.pages(soql, include_deleted=True)
    first = next(pages)
    read_at = client.clock.now()  # the query's snapshot: later changes are the next night's
    if first.total_size > client.creds.bulk_threshold:
        pages.close()
        log.info("%s: %d rows, read as a Bulk API 2.0 job", obj.name, first.total_size)
        for chunk in _chunk_files(client.bulk_chunks(soql, include_deleted=True)):
            result, watermark = store.write_csv_chunk(obj, chunk, types, run_id, watermark)
            total.add(result)
    else:
        for page in itertools.chain([first], pages):
            good, bad = _split(page.records, types, obj, lambda r: r[obj.stamp])
            watermark = _latest((version for _, version, _ in good), watermark)
            total.add(store.write_page(obj, good, bad, run_id, watermark))
    _close_window(store, obj, run_id, total, start, read_at)
    return total


def extract_marketo_leads(
    client: MarketoClient, store: RawStore, obj: SourceObject, run_id: str, history_start: datetime
) -> PageResult:
    store.ensure_table(obj)
    types = client.lead_fields()
    read_at = client.clock.now()
    _note_drift(store, obj, types, run_id)
    watermark = store.watermark(obj)
    start = _window_start(store, obj) or history_start
    total = PageResult()
    for chunk in _chunk_files(client.export_leads(start, read_at, list(types))):
        result, watermark = store.write_csv_chunk(obj, chunk, types, run_id, watermark, nulls=("", "null"))
        total.add(result)
    _close_window(store, obj, run_id, total, start, read_at)
    return total


def extract_marketo_activities(
    client: MarketoClient,
    store: RawStore,
    obj: SourceObject,
    type_ids: list[int],
    run_id: str,
    history_start: datetime,
) -> PageResult:
    """Activities since the watermark. REST pages are read first; once they hold more than the
    connection's ``bulk_threshold`` rows with more to come, the night is large (a first night, a
    backfill): the pages read so far are dropped and the whole window comes as bulk activity
    exports instead, landed set-based."""
    store.ensure_table(obj)
    watermark = store.watermark(obj)
    since = _window_start(store, obj) or history_start
    token = client.paging_token(since)
    read_at = client.clock.now()
    pages = client.activity_pages(token, type_ids)
    head: list[ActivityPage] = []
    read = 0
    for page in pages:
        head.append(page)
        read += len(page.activities)
        if read > client.creds.bulk_threshold:
            pages.close()
            log.info("%s: more than %d rows, read as a bulk activity export", obj.name, client.creds.bulk_threshold)
            total = PageResult()
            for chunk in _chunk_files(client.export_activities(since, read_at, type_ids)):
                result, watermark = store.write_csv_chunk(obj, chunk, ACTIVITY_FIELDS, run_id, watermark, ("", "null"))
                total.add(result)
            break
    else:
        total = _land_activity_pages(store, obj, head, len(type_ids) <= 10, run_id, watermark)
    _close_window(store, obj, run_id, total, since, read_at)
    return total


def _land_activity_pages(
    store: RawStore,
    obj: SourceObject,
    pages: list[ActivityPage],
    per_page_watermark: bool,
    run_id: str,
    watermark: str | None,
) -> PageResult:
    """REST activity pages landed ``REST_CHUNK`` records to a transaction. With several groups of
    type ids (each read from the watermark on), the watermark moves once all are landed."""
    latest = watermark
    total = PageResult()
    for records in _batched((page.activities for page in pages), REST_CHUNK):
        good, bad = _split(records, ACTIVITY_FIELDS, obj, lambda r: r["activityDate"])
        latest = _latest((version for _, version, _ in good), latest)
        total.add(store.write_page(obj, good, bad, run_id, latest if per_page_watermark else None))
    if not per_page_watermark and latest:
        store.write_page(obj, [], [], run_id, latest)
    return total


def extract_marketo_reference(
    store: RawStore, obj: SourceObject, rows: list[dict[str, Any]], run_id: str
) -> PageResult:
    """Small reference lists (activity types, programs): a new version when the content changes."""
    store.ensure_table(obj)

    def version(record: dict[str, Any]) -> str:
        return record.get("updatedAt") or hashlib.sha1(json.dumps(record, sort_keys=True).encode()).hexdigest()

    good, bad = _split(rows, {}, obj, version)
    total = store.write_page(obj, good, bad, run_id, None)
    store.record_load(obj, run_id, total)
    return total
