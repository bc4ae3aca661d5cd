"""Salesforce extraction: OAuth client-credentials login, describe, SOQL through REST or Bulk API 2.0.

Built on simple-salesforce for the REST calls; this module adds the OAuth flow, page-at-a-time
iteration that can resume from a ``nextRecordsUrl``, Bulk API 2.0 query jobs read chunk by chunk
(CSV, one ``Sforce-Locator`` at a time, so a failed chunk is asked for again, not the whole job),
and the retry policy of a nightly extractor.
"""

from __future__ import annotations

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

from leadflow.extract.http import (
    ApiCredentials,
    SourceClock,
    TokenExpired,
    TransientError,
    client_credentials,
    retrying,
    session_for,
)

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
