"""Salesforce REST extraction: OAuth client-credentials login, describe, SOQL query/queryAll pages.

Built on simple-salesforce for the REST calls; this module adds the OAuth flow, page-at-a-time
iteration that can resume from a ``nextRecordsUrl``, and the retry policy of a nightly extractor.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession, SalesforceRefusedRequest

from leadflow.extract.http import ApiCredentials, TokenExpired, TransientError, retrying, session_for

log = logging.getLogger(__name__)
API_VERSION = "60.0"


@dataclass(frozen=True)
class SoqlPage:
    records: list[dict[str, Any]]
    next_records_url: str | None
    total_size: int


class SalesforceClient:
    def __init__(self, creds: ApiCredentials) -> None:
        self.creds = creds
        self.session = session_for(creds)
        self._sf: Salesforce | None = None

    # -- auth ----------------------------------------------------------------------------------------
    def login(self) -> None:
        response = self.session.post(
            f"{self.creds.base_url.rstrip('/')}/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.creds.client_id,
                "client_secret": self.creds.client_secret,
            },
            timeout=self.creds.timeout,
        )
        if response.status_code != 200:
            raise PermissionError(f"Salesforce login failed with HTTP {response.status_code}")
        token = response.json()
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
    def describe(self, sobject: str) -> dict[str, str]:
        """Field name -> Salesforce type for ``sobject``."""
        result = self._call(lambda: getattr(self.sf, sobject).describe(), f"describe {sobject}")
        return {f["name"]: f["type"] for f in result["fields"]}

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
