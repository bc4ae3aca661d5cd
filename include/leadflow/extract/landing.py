"""What every extractor shares: where an object's read starts and ends, checking records as
they land, and landing pages and bulk chunks in raw.

Every extraction is incremental and idempotent: it asks the source for every record stamped at or
after the object's watermark less a safety overlap (``>=``, so a night killed half-way loses
nothing at a page boundary, and a record committed late with an earlier stamp is still read), and
commits chunk by chunk; versions already stored are not stored again. The night's as-of does not
bound the read: a source holds only each record's latest version, so a record changed after the
as-of is read as it is now, and dbt reconstructs its state at the as-of from history
(docs/lifecycle.md, "A moving source"). The window each read covers, from the watermark to the
source's own time when it read (its ``Date`` header), is recorded with the load; the watermark then
moves to that time, never back.

Small deltas come as REST pages, checked record by record (:func:`split`). Large ones (a first
night, a backfill, a mass update) come as bulk CSV chunks, each landed set-based
(:func:`land_csv_chunk`), so memory is bounded by a chunk.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from leadflow.extract.validate import check, checked_chunk
from leadflow.raw import PageResult, RawStore, Rejected, later_watermark
from leadflow.sources import SourceObject
from leadflow.timefmt import parse_instant, salesforce_format

log = logging.getLogger(__name__)

# Read again behind the watermark: a source's stamp is set when a change starts and becomes
# visible when its transaction commits, so a record can appear later with an earlier stamp.
WATERMARK_OVERLAP = timedelta(minutes=10)
REST_CHUNK = 20_000  # records of REST pages landed in one transaction (and one anti-join)


def read_start(store: RawStore, obj: SourceObject) -> datetime | None:
    """Where tonight's read starts: the watermark less the overlap (None: everything)."""
    watermark = store.watermark(obj)
    return parse_instant(watermark) - WATERMARK_OVERLAP if watermark else None


def close_read(
    store: RawStore, obj: SourceObject, run_id: str, total: PageResult, start: datetime | None, read_at: datetime
) -> None:
    """Record the window the read covered and move the watermark to the source's time when it
    read (never back: a replayed or out-of-order night leaves a later watermark standing)."""
    total.window_from = start.isoformat() if start else None
    total.window_to = read_at.isoformat()
    current = store.watermark(obj)
    store.write_page(obj, [], [], run_id, later_watermark(current, salesforce_format(read_at), read_at))
    store.record_load(obj, run_id, total)


def split(
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


def note_drift(store: RawStore, obj: SourceObject, described: Iterable[str], run_id: str) -> None:
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


def latest_stamp(values: Iterable[str], current: str | None) -> str | None:
    best = current
    for value in values:
        if best is None or parse_instant(value) > parse_instant(best):
            best = value
    return best


def batched(pages: Iterable[list[dict[str, Any]]], size: int) -> Iterator[list[dict[str, Any]]]:
    """Consecutive pages joined into chunks of at least ``size`` records (the last may be smaller)."""
    chunk: list[dict[str, Any]] = []
    for records in pages:
        chunk.extend(records)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def chunk_files(chunks: Iterable[bytes]) -> Iterator[Path]:
    """Each CSV chunk written to a temporary file as received (DuckDB reads files, and reads them
    as UTF-8 whatever the response's headers said), removed after use. A chunk is tens of
    megabytes: it is not decoded to text and encoded back.

    The next chunk is asked for while this one lands (one thread reads ``chunks`` one chunk
    ahead, in order): the source's time to answer (a job to finish, a file to send) and the
    landing overlap, and no more requests run at once than the source's one reader would make
    (Marketo allows two export jobs at a time; this keeps one running while a file lands)."""
    with tempfile.TemporaryDirectory(prefix="leadflow-chunk-") as tmp, ThreadPoolExecutor(1, "chunk-read") as reader:
        received = enumerate(chunk for chunk in chunks if chunk and not chunk.isspace())  # no header: nothing in it

        def next_file() -> Path | None:
            n, chunk = next(received, (None, b""))
            if n is None:
                return None
            path = Path(tmp) / f"chunk-{n}.csv"
            path.write_bytes(chunk)
            return path

        ahead = reader.submit(next_file)
        while (path := ahead.result()) is not None:
            ahead = reader.submit(next_file)
            yield path
            path.unlink()


def land_csv_chunk(
    store: RawStore,
    obj: SourceObject,
    chunk: Path,
    types: dict[str, str],
    run_id: str,
    watermark: str | None,
    nulls: tuple[str, ...] = ("",),
) -> tuple[PageResult, str | None]:
    """One bulk CSV chunk checked against ``types`` and landed set-based
    (:meth:`RawStore.write_checked_chunk`); the result and the watermark after it."""
    checking = partial(checked_chunk, obj=obj, chunk=chunk, types=types, nulls=nulls)
    return store.write_checked_chunk(obj, checking, run_id, watermark)
