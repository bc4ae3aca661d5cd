"""Marketo REST extraction: identity token, activity types, activity pages, the bulk lead and
activity exports, programs.

Marketo answers most errors with HTTP 200 and ``success: false``: 601/602 (token invalid or expired)
mean log in again, 606/607/615 (rate, daily quota, concurrency) mean wait and retry.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from leadflow import connections
from leadflow.extract.http import (
    ApiCredentials,
    SourceClock,
    TokenExpired,
    TransientError,
    client_credentials,
    retrying,
    session_for,
)
from leadflow.extract.landing import (
    REST_CHUNK,
    batched,
    chunk_files,
    close_read,
    land_csv_chunk,
    latest_stamp,
    note_drift,
    read_start,
    split,
)
from leadflow.raw import PageResult, RawStore
from leadflow.sources import Method, SourceObject
from leadflow.timefmt import marketo_format

log = logging.getLogger(__name__)
TOKEN_CODES = {"601", "602"}
RATE_CODES = {"606", "607", "615"}
MAX_EXPORT_WINDOW = timedelta(days=31)


# An activity's fields by type (the contract's), as REST pages and the export's columns give them;
# an export's ``attributes`` is JSON text and lands as the list the REST pages give.
ACTIVITY_FIELDS = {
    "id": "integer",
    "marketoGUID": "string",
    "leadId": "integer",
    "activityDate": "datetime",
    "activityTypeId": "integer",
    "primaryAttributeValueId": "integer",
    "primaryAttributeValue": "string",
    "attributes": "json",
}


def _windows(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """``[start, end]`` cut into consecutive windows of at most 31 days (an export's longest)."""
    while start < end:
        stop = min(start + MAX_EXPORT_WINDOW, end)
        yield start, stop
        start = stop


class MarketoError(RuntimeError):
    pass


@dataclass(frozen=True)
class ActivityPage:
    activities: list[dict[str, Any]]
    next_page_token: str
    more: bool


class MarketoClient:
    def __init__(self, creds: ApiCredentials, export_poll_seconds: float = 1.0) -> None:
        self.creds = creds
        self.clock = SourceClock()
        self.session = session_for(creds, self.clock)
        self.base = creds.base_url.rstrip("/")
        self._token: str | None = None
        self.export_poll_seconds = export_poll_seconds

    def login(self) -> None:
        self._token = client_credentials(self.session, self.creds, "/identity/oauth/token")["access_token"]

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: dict[str, Any] | None = None,
        raw: bool = False,
    ) -> Any:
        def attempt() -> Any:
            if self._token is None:
                self.login()
            response = self.session.request(
                method,
                f"{self.base}{path}",
                params=params,
                json=json_body,
                timeout=self.creds.timeout,
                headers={"Authorization": f"Bearer {self._token}"},
            )
            if response.status_code in (429, 502, 503, 504):
                raise TransientError(f"HTTP {response.status_code}")
            response.raise_for_status()
            if raw and not response.headers.get("content-type", "").startswith("application/json"):
                return response.content
            body = response.json()
            if not body.get("success", False):
                codes = {str(e.get("code")) for e in body.get("errors", [])}
                if codes & TOKEN_CODES:
                    raise TokenExpired(path)
                if codes & RATE_CODES:
                    raise TransientError(f"Marketo {sorted(codes)}")
                raise MarketoError(f"{path}: {body.get('errors')}")
            return body

        return retrying(attempt, self.login, self.creds.max_attempts, f"marketo {path}")

    # -- API -----------------------------------------------------------------------------------------
    def activity_types(self) -> list[dict[str, Any]]:
        return self._request("GET", "/rest/v1/activities/types.json").get("result", [])

    def lead_fields(self) -> dict[str, str]:
        """REST field name -> data type, from the lead describe."""
        return {
            f["rest"]["name"]: f["dataType"] for f in self._request("GET", "/rest/v1/leads/describe.json")["result"]
        }

    def paging_token(self, since: datetime) -> str:
        body = self._request(
            "GET", "/rest/v1/activities/pagingtoken.json", params={"sinceDatetime": marketo_format(since)}
        )
        return body["nextPageToken"]

    def activity_pages(self, token: str, type_ids: list[int]) -> Iterator[ActivityPage]:
        """Pages of activities from ``token`` on (type ids asked for in groups of ten, as the API requires)."""
        for start in range(0, len(type_ids), 10):
            group = ",".join(str(t) for t in type_ids[start : start + 10])
            page_token = token
            while True:
                body = self._request(
                    "GET", "/rest/v1/activities.json", params={"nextPageToken": page_token, "activityTypeIds": group}
                )
                page_token = body["nextPageToken"]
                more = bool(body.get("moreResult"))
                yield ActivityPage(body.get("result", []), page_token, more)
                if not more:
                    break

    def export_leads(self, start: datetime, end: datetime, fields: list[str]) -> Iterator[bytes]:
        """Leads updated in ``[start, end]`` as CSV files (UTF-8; Marketo writes ``null`` for a
        null), one bulk export job per window of at most 31 days."""
        for window_start, window_end in _windows(start, end):
            yield self._export(
                "leads",
                {
                    "fields": fields,
                    "format": "CSV",
                    "filter": {
                        "updatedAt": {"startAt": marketo_format(window_start), "endAt": marketo_format(window_end)}
                    },
                },
            )

    def export_activities(self, start: datetime, end: datetime, type_ids: list[int]) -> Iterator[bytes]:
        """Activities of ``type_ids`` created in ``[start, end]`` as CSV files (UTF-8, ``attributes``
        a JSON text), one bulk activity export job per window of at most 31 days."""
        for window_start, window_end in _windows(start, end):
            yield self._export(
                "activities",
                {
                    "fields": list(ACTIVITY_FIELDS),
                    "format": "CSV",
                    "filter": {
                        "createdAt": {"startAt": marketo_format(window_start), "endAt": marketo_format(window_end)},
                        "activityTypeIds": type_ids,
                    },
                },
            )

    def _export(self, kind: str, body: dict[str, Any]) -> bytes:
        """Create, enqueue and wait for one bulk export job of ``kind``; its file as received."""
        created = self._request("POST", f"/bulk/v1/{kind}/export/create.json", json_body=body)
        export_id = created["result"][0]["exportId"]
        self._request("POST", f"/bulk/v1/{kind}/export/{export_id}/enqueue.json")
        while True:
            status = self._request("GET", f"/bulk/v1/{kind}/export/{export_id}/status.json")["result"][0]["status"]
            if status == "Completed":
                break
            if status in ("Failed", "Cancelled"):
                raise MarketoError(f"{kind} export {export_id} {status}")
            time.sleep(self.export_poll_seconds)
        return self._request("GET", f"/bulk/v1/{kind}/export/{export_id}/file.json", raw=True)

    def programs(self) -> list[dict[str, Any]]:
        programs: list[dict[str, Any]] = []
        offset = 0
        while True:
            body = self._request("GET", "/rest/asset/v1/programs.json", params={"offset": offset, "maxReturn": 200})
            batch = body.get("result") or []
            programs.extend(batch)
            if len(batch) < 200:
                return programs
            offset += 200


def extract(conn_id: str, store: RawStore, obj: SourceObject, run_id: str) -> PageResult:
    """Land ``obj``'s changes since its watermark (:class:`leadflow.sources.Extract`), by the
    object's method: the bulk lead export, activities (REST pages, or bulk exports once they run
    past the connection's ``bulk_threshold``), or a reference list read whole."""
    client = MarketoClient(connections.credentials(conn_id))
    history_start = connections.history_start(conn_id)
    match obj.method:
        case Method.LEAD_EXPORT:
            return _leads(client, store, obj, run_id, history_start)
        case Method.ACTIVITIES:
            type_ids = [int(t["id"]) for t in client.activity_types()]
            return _activities(client, store, obj, type_ids, run_id, history_start)
        case Method.ACTIVITY_TYPES:
            return _reference(store, obj, client.activity_types(), run_id)
        case Method.PROGRAMS:
            return _reference(store, obj, client.programs(), run_id)
    raise ValueError(f"marketo object {obj.name!r}: no extraction for method {obj.method}")


def _leads(
    client: MarketoClient, store: RawStore, obj: SourceObject, run_id: str, history_start: datetime
) -> PageResult:
    store.ensure_table(obj)
    types = client.lead_fields()
    read_at = client.clock.now()
    note_drift(store, obj, types, run_id)
    watermark = store.watermark(obj)
    start = read_start(store, obj) or history_start
    total = PageResult()
    for chunk in chunk_files(client.export_leads(start, read_at, list(types))):
        result, watermark = land_csv_chunk(store, obj, chunk, types, run_id, watermark, ("", "null"))
        total.add(result)
    close_read(store, obj, run_id, total, start, read_at)
    return total


def _activities(
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
    since = read_start(store, obj) or history_start
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
            for chunk in chunk_files(client.export_activities(since, read_at, type_ids)):
                result, watermark = land_csv_chunk(store, obj, chunk, ACTIVITY_FIELDS, run_id, watermark, ("", "null"))
                total.add(result)
            break
    else:
        total = _land_activity_pages(store, obj, head, len(type_ids) <= 10, run_id, watermark)
    close_read(store, obj, run_id, total, since, read_at)
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
    for records in batched((page.activities for page in pages), REST_CHUNK):
        good, bad = split(records, ACTIVITY_FIELDS, obj, lambda r: r["activityDate"])
        latest = latest_stamp((version for _, version, _ in good), latest)
        total.add(store.write_page(obj, good, bad, run_id, latest if per_page_watermark else None))
    if not per_page_watermark and latest:
        store.write_page(obj, [], [], run_id, latest)
    return total


def _reference(store: RawStore, obj: SourceObject, rows: list[dict[str, Any]], run_id: str) -> PageResult:
    """Small reference lists (activity types, programs): a new version when the content changes."""
    store.ensure_table(obj)

    def version(record: dict[str, Any]) -> str:
        return record.get("updatedAt") or hashlib.sha1(json.dumps(record, sort_keys=True).encode()).hexdigest()

    good, bad = split(rows, {}, obj, version)
    total = store.write_page(obj, good, bad, run_id, None)
    store.record_load(obj, run_id, total)
    return total
