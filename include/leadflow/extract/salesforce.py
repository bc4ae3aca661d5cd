"""Salesforce extraction: OAuth client-credentials login, describe, SOQL through REST or Bulk API 2.0.

Built on simple-salesforce for the REST calls; this module adds the OAuth flow, page-at-a-time
iteration that can resume from a ``nextRecordsUrl``, Bulk API 2.0 query jobs read chunk by chunk
(CSV, one ``Sforce-Locator`` at a time, so a failed chunk is asked for again, not the whole job),
and the retry policy of a nightly extractor.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

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
    chunk_files,
    close_read,
    land_csv_chunk,
    latest_stamp,
    note_drift,
    read_start,
    split,
)
from leadflow.raw import PageResult, RawStore
from leadflow.sources import SourceObject
from leadflow.timefmt import salesforce_format

log = logging.getLogger(__name__)
API_VERSION = "60.0"
BULK_CHUNK = 50_000  # records per Bulk API 2.0 results request (Salesforce's default)
BULK_POLL_SECONDS = 1.0


class BulkJobFailed(RuntimeError):
    """A Bulk API 2.0 query job ended Failed or Aborted (its errorMessage says why)."""


@dataclass(frozen=True)
class SoqlPage:
    records: list[dict[str, Any]]
    next_records_url: str | None
    total_size: int


class SalesforceClient:
    def __init__(self, creds: ApiCredentials) -> None:
        self.creds = creds
        self.clock = SourceClock()
        self.session = session_for(creds, self.clock)
        self._sf: Salesforce | None = None

    # -- auth ----------------------------------------------------------------------------------------
    def login(self) -> None:
        token = client_credentials(self.session, self.creds, "/services/oauth2/token")
        self._sf = Salesforce(
            instance_url=token["instance_url"],
            session_id=token["access_token"],
            session=self.session,
            version=API_VERSION,
        )

    @property
    def sf(self) -> Salesforce:
        if self._sf is None:
            self.login()
        assert self._sf is not None
        return self._sf

    def _call(self, fn: Any, what: str) -> Any:
        def attempt() -> Any:
            try:
                return fn()
            except SalesforceExpiredSession as exc:
                raise TokenExpired(what) from exc
            except SalesforceRefusedRequest as exc:
                if "REQUEST_LIMIT_EXCEEDED" in str(exc.content):
                    raise TransientError("REQUEST_LIMIT_EXCEEDED") from exc
                raise
            except SalesforceError as exc:
                if exc.status in (429, 500, 502, 503, 504):
                    raise TransientError(f"HTTP {exc.status}") from exc
                raise

        return retrying(attempt, self.login, self.creds.max_attempts, what)

    # -- API -----------------------------------------------------------------------------------------
    def describe_fields(self, sobject: str) -> list[dict[str, Any]]:
        """The fields of ``sobject`` as describe gives them (empty when the org has no such object)."""
        try:
            return self._call(lambda: getattr(self.sf, sobject).describe(), f"describe {sobject}")["fields"]
        except SalesforceResourceNotFound:
            return []

    def describe(self, sobject: str) -> dict[str, str]:
        """Field name -> Salesforce type for ``sobject`` (empty when the org has no such object)."""
        return {f["name"]: f["type"] for f in self.describe_fields(sobject)}

    def pages(self, soql: str, include_deleted: bool = True, resume_from: str | None = None) -> Iterator[SoqlPage]:
        """Yield result pages; ``resume_from`` continues an earlier query at its ``nextRecordsUrl``."""
        if resume_from:
            result = self._call(lambda: self.sf.query_more(resume_from, identifier_is_url=True), "query_more")
        else:
            result = self._call(lambda: self.sf.query(soql, include_deleted=include_deleted), "query")
        while True:
            records = [{k: v for k, v in r.items() if k != "attributes"} for r in result["records"]]
            next_url = None if result["done"] else result["nextRecordsUrl"]
            yield SoqlPage(records, next_url, result["totalSize"])
            if next_url is None:
                return
            result = self._call(lambda url=next_url: self.sf.query_more(url, identifier_is_url=True), "query_more")

    def bulk_chunks(self, soql: str, include_deleted: bool = True, chunk: int = BULK_CHUNK) -> Iterator[bytes]:
        """A Bulk API 2.0 query job's results, one CSV chunk (UTF-8, header row first) at a time,
        as received."""
        base = f"{self.sf.base_url}jobs/query"
        operation = "queryAll" if include_deleted else "query"

        def request(method: str, url: str, **kwargs: Any) -> Any:
            response = self.session.request(method, url, headers=self.sf.headers, timeout=self.creds.timeout, **kwargs)
            if response.status_code == 401:
                raise SalesforceExpiredSession(url, response.status_code, "bulk", response.content)
            limited = response.status_code == 403 and b"REQUEST_LIMIT_EXCEEDED" in response.content
            if limited or response.status_code in (429, 500, 502, 503, 504):
                raise TransientError(f"HTTP {response.status_code}")
            if response.status_code >= 400:
                raise BulkJobFailed(f"HTTP {response.status_code}: {response.text[:300]}")
            return response

        job = self._call(lambda: request("POST", base, json={"operation": operation, "query": soql}).json(), "bulk job")
        job_id = job["id"]
        while True:
            state = self._call(lambda: request("GET", f"{base}/{job_id}").json(), "bulk job status")
            if state["state"] == "JobComplete":
                break
            if state["state"] in ("Failed", "Aborted"):
                raise BulkJobFailed(f"bulk query job {job_id} {state['state']}: {state.get('errorMessage')}")
            time.sleep(BULK_POLL_SECONDS)
        locator = ""
        while True:
            params = {"maxRecords": chunk, **({"locator": locator} if locator else {})}
            response = self._call(
                lambda params=params: request("GET", f"{base}/{job_id}/results", params=params), "bulk results"
            )
            yield response.content
            locator = response.headers.get("Sforce-Locator", "null")
            if locator in ("", "null"):
                return


def extract(conn_id: str, store: RawStore, obj: SourceObject, run_id: str) -> PageResult:
    """Land ``obj``'s changes since its watermark (:class:`leadflow.sources.Extract`): REST pages,
    or a Bulk API 2.0 job when the first page says the query holds more than the connection's
    ``bulk_threshold`` rows."""
    client = SalesforceClient(connections.credentials(conn_id))
    store.ensure_table(obj)
    types = client.describe(obj.name)
    if not types:  # field history off, no queues...: the object stays empty, the night goes on
        log.warning("%s: the org has no such object or no readable field of it; skipped", obj.name)
        total = PageResult(skipped="the org has no such object, or no readable field of it")
        store.record_load(obj, run_id, total)
        return total
    note_drift(store, obj, types, run_id)
    watermark = store.watermark(obj)
    start = read_start(store, obj)
    where = f" WHERE {obj.stamp} >= {salesforce_format(start)}" if start else ""
    soql = f"SELECT {', '.join(types)} FROM {obj.name}{where} ORDER BY {obj.stamp}, Id"
    total = PageResult()
    pages = client.pages(soql, include_deleted=True)
    first = next(pages)
    read_at = client.clock.now()  # the query's snapshot: later changes are the next night's
    if first.total_size > client.creds.bulk_threshold:
        pages.close()
        log.info("%s: %d rows, read as a Bulk API 2.0 job", obj.name, first.total_size)
        for chunk in chunk_files(client.bulk_chunks(soql, include_deleted=True)):
            result, watermark = land_csv_chunk(store, obj, chunk, types, run_id, watermark)
            total.add(result)
    else:
        for page in itertools.chain([first], pages):
            good, bad = split(page.records, types, obj, lambda r: r[obj.stamp])
            watermark = latest_stamp((version for _, version, _ in good), watermark)
            total.add(store.write_page(obj, good, bad, run_id, watermark))
    close_read(store, obj, run_id, total, start, read_at)
    return total
