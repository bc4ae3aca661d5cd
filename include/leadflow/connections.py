"""API credentials from Airflow connections (never from code; never logged).

A connection holds the API base URL in ``host`` (``https://...``), the OAuth client id in
``login`` and the client secret in ``password``. Optional ``extra``:

``verify``          path of a CA bundle for a private CA (default: the system trust store)
``timeout``         seconds per request (default 60)
``max_attempts``    retries per call before the task fails (default 8)
``bulk_threshold``  a query expected to return more rows than this runs as a bulk job, fewer as
                    REST pages (default 10000): Salesforce's Bulk API 2.0 when the first page's
                    ``totalSize`` is above it, Marketo's activity export once the pages run past it
``history_start``   Marketo only: where a first run (no watermark) starts (default 2015-01-01)
``instance_url``    Salesforce only: where records open in a browser, for the review packet's links
                    (default: ``host``)
``spreadsheet_id``  lead sheet only: the Google spreadsheet (the password is then the service
                    account's JSON key; ``host`` empty for Google's API)
``file``            lead sheet only, instead: an XLSX path or URL, or a folder of ``<Tab>.csv``
"""

from __future__ import annotations

from datetime import datetime

from leadflow.extract.http import ApiCredentials
from leadflow.sources import source_system
from leadflow.timefmt import parse_instant

DEFAULT_HISTORY_START = "2015-01-01T00:00:00Z"


def _connection(conn_id: str):  # -> airflow.sdk.Connection
    from airflow.sdk import Connection

    return Connection.get(conn_id)


def configured(conn_id: str) -> bool:
    """Whether the connection exists (an org without Marketo has no ``marketo_default``)."""
    try:
        _connection(conn_id)
    except Exception:  # AirflowNotFoundException
        return False
    return True


def credentials(conn_id: str) -> ApiCredentials:
    """The connection's API credentials; the secret is registered with Airflow's secrets masker
    here, where it is read, so no log line of the task or its supervisor can show it."""
    from airflow.sdk.log import mask_secret

    conn = _connection(conn_id)
    if conn.password:
        mask_secret(conn.password, "client_secret")
    extra = conn.extra_dejson
    host = conn.host or ""
    if not host.startswith(("http://", "https://")):
        host = f"{conn.schema or 'https'}://{host}"
    if conn.port and f":{conn.port}" not in host.split("//", 1)[1]:
        host = f"{host.rstrip('/')}:{conn.port}"
    return ApiCredentials(
        base_url=host,
        client_id=conn.login or "",
        client_secret=conn.password or "",
        verify=extra.get("verify", True),
        timeout=float(extra.get("timeout", 60)),
        max_attempts=int(extra.get("max_attempts", 8)),
        bulk_threshold=int(extra.get("bulk_threshold", 10_000)),
    )


def instance_url(conn_id: str | None = None) -> str | None:
    """Where the org's records open in a browser: the connection's extra ``instance_url``, else its
    host (by default the Salesforce connection's); None without the connection (the packet then
    shows ids without links)."""
    conn_id = conn_id or source_system("salesforce").connection_id
    if not configured(conn_id):
        return None
    conn = _connection(conn_id)
    return (conn.extra_dejson.get("instance_url") or credentials(conn_id).base_url).rstrip("/") or None


def extra(conn_id: str) -> dict:
    """The connection's ``extra`` options."""
    return _connection(conn_id).extra_dejson


def history_start(conn_id: str) -> datetime:
    return parse_instant(_connection(conn_id).extra_dejson.get("history_start", DEFAULT_HISTORY_START))
