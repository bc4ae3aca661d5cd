"""HTTP plumbing shared by the Salesforce and Marketo clients.

Status-level rate limiting (429/503 with ``Retry-After``) is retried by urllib3 on the session;
what urllib3 cannot see (expired tokens, vendor error bodies, a connection dropped half-way through
an answer) is retried by the clients with :func:`retrying`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter
from urllib3.util.retry import Retry

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class ApiCredentials:
    """What a connection holds: where the API is and how to authenticate. Never logged."""

    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    verify: str | bool = True  # a CA bundle path for private CAs, True for the system store
    timeout: float = 60.0
    max_attempts: int = 8
    bulk_threshold: int = 10_000  # rows above which a query runs as a bulk job, not REST pages


class TransientError(Exception):
    """A failure worth retrying after a pause (rate limit, overload)."""


class TokenExpired(Exception):
    """The access token is no longer accepted; log in again and retry."""


class _Adapter(HTTPAdapter):
    """Uses the connection's CA setting even where REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE are set
    (requests lets those override ``Session.verify``)."""

    def __init__(self, verify: str | bool, **kwargs: Any) -> None:
        self.verify = verify
        super().__init__(**kwargs)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if self.verify is not True:
            kwargs["verify"] = self.verify
        return super().send(request, **kwargs)


class SourceClock:
    """The source's own time, as the ``Date`` header of its latest answer says (both vendors send
    one): where an extraction's window ends. The night's as-of does not bound what is read; the
    source has only its latest versions, and the warehouse keeps the as-of (docs/lifecycle.md)."""

    def __init__(self) -> None:
        self.latest: datetime | None = None

    def note(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """A ``requests`` response hook."""
        try:
            said = parsedate_to_datetime(response.headers["Date"])
        except (KeyError, TypeError, ValueError):
            return
        self.latest = said.astimezone(UTC) if said.tzinfo else said.replace(tzinfo=UTC)

    def now(self) -> datetime:
        """The source's time at its latest answer; this machine's where it sent none."""
        return self.latest or datetime.now(UTC)


def session_for(
    creds: ApiCredentials, clock: SourceClock | None = None, retried_statuses: tuple[int, ...] = (429, 503)
) -> requests.Session:
    """A session on the connection's CA whose transport retries connection failures and the
    ``retried_statuses`` (with ``Retry-After``); a client that must read a refusal's body first
    (HubSpot's 429 names its policy) retries it itself."""
    session = requests.Session()
    if clock is not None:
        session.hooks["response"].append(clock.note)
    retry = Retry(
        total=creds.max_attempts,
        connect=creds.max_attempts,
        read=0,  # reads are retried by the client, which knows whether a call is safe to repeat
        other=0,  # e.g. an untrusted certificate: retrying cannot fix it
        status=creds.max_attempts,
        status_forcelist=retried_statuses,
        allowed_methods=None,
        backoff_factor=0.5,
        backoff_max=60,
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    adapter = _Adapter(creds.verify, max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def json_object(response: requests.Response) -> dict[str, Any]:
    """A response's JSON object, or {} when it sent none (an error page, a proxy's HTML)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, requests.exceptions.SSLError):  # an untrusted certificate stays untrusted
        return False
    return isinstance(
        exc,
        TransientError
        | TokenExpired
        | requests.ConnectionError
        | requests.exceptions.ChunkedEncodingError
        | requests.Timeout,
    )


def retrying(call: Callable[[], T], on_token_expired: Callable[[], Any], max_attempts: int, what: str) -> T:
    """Run ``call``; on a transient failure wait (exponential, jittered) and try again; on an expired
    token log in again first. Gives up after ``max_attempts`` with the last error."""

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning("%s: attempt %d failed (%s); retrying", what, state.attempt_number, type(exc).__name__)
        if isinstance(exc, TokenExpired):
            on_token_expired()

    for attempt in Retrying(
        retry=retry_if_exception(_retryable),
        stop=stop_after_attempt(max_attempts),
        wait=wait_exponential_jitter(initial=0.2, max=30),
        before_sleep=before_sleep,
        reraise=True,
    ):
        with attempt:
            return call()
    raise AssertionError("unreachable")


def client_credentials(session: requests.Session, creds: ApiCredentials, path: str) -> dict[str, Any]:
    """The OAuth 2.0 client-credentials grant both vendors use: the token response of ``path``.
    The credentials travel in a POST form body, never in a URL (a URL reaches logs: urllib3's
    retry warnings print it). A refusal is a PermissionError (not retried)."""
    fields = {"grant_type": "client_credentials", "client_id": creds.client_id, "client_secret": creds.client_secret}
    response = session.post(f"{creds.base_url.rstrip('/')}{path}", data=fields, timeout=creds.timeout)
    if response.status_code != 200:
        raise PermissionError(f"login to {creds.base_url} failed with HTTP {response.status_code}")
    return response.json()
