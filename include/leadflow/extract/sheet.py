"""Lead-sheet extraction: a team's spreadsheet (the template in ``templates/lead-sheet/``) read whole
every night, from Google Sheets or from a file, one row per record.

Two ways in, one reading: the Google Sheets API v4 (``values:batchGet``, unformatted values, dates
as serial numbers) with a service account's key, where google-auth signs the token request and
refreshes the token (DECISIONLOG 52); or a file a team exports (an XLSX workbook, a folder of
``<Tab>.csv``, an XLSX's ``https`` URL). Both give a tab as rows of cells; the rest is the same.

A sheet keeps no history, so its reads are its history: every row of tonight's read is stored as a
version stamped with the night's as-of (``_night``), and dbt snapshots the ``Leads`` rows
(docs/lifecycle.md, "A lead sheet"). Columns are found by name, case and spaces ignored: the
``Leads`` tab's through the org's ``lead_fields`` rows of system ``sheet`` (role -> column), the
other tabs' by the template's names. A cell that is not what its column holds (a date typed as
text, a word in a number column) is nulled and quarantined with its row and column; a row without
a lead id, or repeating one, is quarantined whole; a configured column the tab lacks is
quarantined once, named. None of these stops the night.
"""

from __future__ import annotations

import io
import json
import logging
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from leadflow import connections
from leadflow.extract.http import ApiCredentials, SourceClock, TransientError, json_object, retrying, session_for
from leadflow.extract.landing import close_read, note_drift
from leadflow.raw import PageResult, RawStore, Rejected
from leadflow.sources import SourceObject

log = logging.getLogger(__name__)
SCOPE = "https://www.googleapis.com/auth/spreadsheets.readonly"
SHEETS_API = "https://sheets.googleapis.com"
SERIAL_EPOCH = datetime(1899, 12, 30)  # day 0 of a spreadsheet's serial dates

# what each column holds: an instant, a date, a whole number, a number, a yes/no, else text
INSTANT, DAY, WHOLE, NUMBER, FLAG = "instant", "date", "integer", "number", "boolean"
LEAD_KINDS = {
    "created_at": INSTANT,
    **dict.fromkeys(
        ("mql_stamp", "routed_stamp", "first_touch_stamp", "accepted_stamp", "rejected_stamp", "sql_stamp"), INSTANT
    ),
    "opportunity_stamp": INSTANT,
    "opportunity_close_date": DAY,
    "employee_count": WHOLE,
    "mql_score": NUMBER,
    "opportunity_amount": NUMBER,
}
# the other tabs' columns (field -> (column name, kind)), matched as the Leads tab's are
FIXED_COLUMNS: dict[str, dict[str, tuple[str, str]]] = {
    "Owners": {
        "email": ("Email", "text"),
        "name": ("Name", "text"),
        "team": ("Team", "text"),
        "time_zone": ("Time Zone", "text"),
        "active": ("Active", FLAG),
    },
    "Rates": {"currency": ("Currency", "text"), "rate": ("Rate", NUMBER), "start_date": ("Start Date", DAY)},
}
OPTIONAL_TABS = {"Rates"}  # a team reporting in one currency has none


class SheetError(RuntimeError):
    """The sheet cannot be read in a way retrying cannot mend (not shared, not found, no tab)."""


def normalised(name: Any) -> str:
    """A column name as matched: case, spaces and underscores ignored."""
    return re.sub(r"[\s_]+", "", str(name or "")).lower()


def lead_columns() -> dict[str, str]:
    """The ``Leads`` tab's columns by role, as the org configures them (``lead_fields.csv``)."""
    from leadflow.org_config import seed_rows
    from leadflow.settings import paths

    rows = seed_rows(paths().dbt_project, "lead_fields.csv")
    return {r["role"]: r["field"].strip() for r in rows if r["system"] == "sheet" and r["field"].strip()}


def columns_of(tab: str) -> dict[str, tuple[str, str]]:
    """A tab's fields: field -> (column name, kind)."""
    if tab == "Leads":
        return {role: (name, LEAD_KINDS.get(role, "text")) for role, name in lead_columns().items()}
    return FIXED_COLUMNS[tab]


# -- reading a tab ---------------------------------------------------------------------------------
@dataclass
class SheetConnection:
    """What the ``sheet_default`` connection holds: a spreadsheet (``extra.spreadsheet_id``, the
    service account's JSON key as the password, ``host`` the API's address when not Google's), or a
    file (``extra.file``: an XLSX path or ``https`` URL, or a folder of ``<Tab>.csv``)."""

    creds: ApiCredentials
    spreadsheet_id: str | None = None
    file: str | None = None
    clock: SourceClock = field(default_factory=SourceClock)

    @classmethod
    def from_airflow(cls, conn_id: str) -> SheetConnection:
        extra = connections.extra(conn_id)
        creds = connections.credentials(conn_id)
        if not creds.base_url.removeprefix("https://").removeprefix("http://"):
            creds = replace(creds, base_url=SHEETS_API)
        if not extra.get("spreadsheet_id") and not extra.get("file"):
            raise SheetError(f"connection {conn_id} names neither a spreadsheet (extra spreadsheet_id) nor a file")
        return cls(creds, extra.get("spreadsheet_id"), extra.get("file"))

    def tab(self, title: str) -> list[list[Any]] | None:
        """The tab's rows of cells (None when the sheet has no such tab)."""
        return self._file_tab(title) if self.file else self._api_tab(title)

    def read_at(self) -> datetime:
        return self.clock.now() if not self.file else datetime.now(UTC)

    @property
    def account(self) -> str:
        """The service account's e-mail: whom the sheet must be shared with."""
        try:
            return json.loads(self.creds.client_secret).get("client_email", "the service account")
        except ValueError:
            return "the service account"

    # Google Sheets API v4
    def _session(self) -> requests.Session:
        from google.auth.transport.requests import AuthorizedSession, Request
        from google.oauth2 import service_account

        try:
            key = json.loads(self.creds.client_secret)
            signer = service_account.Credentials.from_service_account_info(key, scopes=[SCOPE])
        except (ValueError, KeyError) as exc:
            raise SheetError(
                "the sheet connection's password must be the service account's JSON key "
                f"(as downloaded from Google Cloud): {type(exc).__name__}"
            ) from None
        transport = session_for(self.creds, self.clock, retried_statuses=())  # a 429 is retried below
        session = AuthorizedSession(signer, auth_request=Request(transport))
        for prefix, adapter in transport.adapters.items():
            session.mount(prefix, adapter)
        session.hooks["response"].append(self.clock.note)
        return session

    def _get(self, session: requests.Session, path: str, params: list[tuple[str, str]]) -> dict[str, Any]:
        url = f"{self.creds.base_url.rstrip('/')}/v4/spreadsheets/{self.spreadsheet_id}{path}"

        def attempt() -> dict[str, Any]:
            from google.auth.exceptions import RefreshError

            try:
                response = session.get(url, params=params, timeout=self.creds.timeout)
            except RefreshError as exc:
                raise SheetError(
                    f"Google refused a token for {self.account}'s key ({exc.args[0] if exc.args else exc}): "
                    "make a new JSON key for the service account and set it as the connection's password"
                ) from None
            error = (json_object(response).get("error") or {}) if response.status_code >= 400 else {}
            if response.status_code == 429 or response.status_code >= 500:
                log.warning("Sheets API: %s %s; waiting", response.status_code, error.get("status", ""))
                raise TransientError(f"Sheets API {response.status_code} {error.get('status', '')}")
            if response.status_code in (401, 403):
                raise SheetError(
                    f"Google refused to show spreadsheet {self.spreadsheet_id} to {self.account} "
                    f"({error.get('status', response.status_code)}): share the sheet with that e-mail address "
                    "(Viewer is enough) and enable the Sheets API in its project"
                )
            if response.status_code == 404:
                raise SheetError(f"no spreadsheet {self.spreadsheet_id} (check the connection's spreadsheet_id)")
            if response.status_code >= 400:
                raise SheetError(f"Sheets API {response.status_code}: {error.get('message', '')}")
            return response.json()

        return retrying(attempt, lambda: None, self.creds.max_attempts, f"sheets {path or 'metadata'}")

    def _api_tab(self, title: str) -> list[list[Any]] | None:
        session = self._session()
        meta = self._get(session, "", [("fields", "sheets.properties.title")])
        titles = {normalised(s["properties"]["title"]): s["properties"]["title"] for s in meta.get("sheets", [])}
        if normalised(title) not in titles:
            return None
        answer = self._get(
            session,
            "/values:batchGet",
            [
                ("ranges", _quoted(titles[normalised(title)])),
                ("valueRenderOption", "UNFORMATTED_VALUE"),
                ("dateTimeRenderOption", "SERIAL_NUMBER"),
                ("majorDimension", "ROWS"),
            ],
        )
        ranges = answer.get("valueRanges") or [{}]
        return ranges[0].get("values", [])

    # a file
    def _file_tab(self, title: str) -> list[list[Any]] | None:
        location = str(self.file)
        if location.startswith(("https://", "http://")):
            response = session_for(self.creds, self.clock).get(location, timeout=self.creds.timeout)
            if response.status_code >= 400:
                raise SheetError(f"{location}: HTTP {response.status_code}")
            return _workbook_tab(io.BytesIO(response.content), title)
        path = Path(location).expanduser()
        if path.is_dir():
            found = [p for p in path.glob("*.csv") if normalised(p.stem) == normalised(title)]
            return _csv_rows(found[0].read_text(encoding="utf-8-sig")) if found else None
        if not path.exists():
            raise SheetError(f"the sheet file {path} does not exist")
        return _workbook_tab(path, title)


def _quoted(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _csv_rows(text: str) -> list[list[Any]]:
    import csv

    return [list(row) for row in csv.reader(io.StringIO(text))]


def _workbook_tab(source: Any, title: str) -> list[list[Any]] | None:
    from openpyxl import load_workbook

    book = load_workbook(source, read_only=True, data_only=True)
    try:
        names = {normalised(name): name for name in book.sheetnames}
        if normalised(title) not in names:
            return None
        return [list(row) for row in book[names[normalised(title)]].iter_rows(values_only=True)]
    finally:
        book.close()


# -- cells -> records ------------------------------------------------------------------------------
def cell_value(value: Any, kind: str) -> tuple[Any, str | None]:
    """A cell as its column holds it (ISO text for instants and dates), or None and why not."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if kind in (INSTANT, DAY):
        moment = _moment(value)
        if moment is None:
            return None, f"not a date: {str(value)[:40]!r} (type dates as 2025-05-31 or 2025-05-31 14:30, UTC)"
        return (moment.date().isoformat() if kind == DAY else moment.isoformat() + "+00:00"), None
    if kind in (WHOLE, NUMBER):
        number = _number(value)
        if number is None or (kind == WHOLE and number != int(number)):
            return None, f"not a {'whole ' if kind == WHOLE else ''}number: {str(value)[:40]!r}"
        return (int(number) if kind == WHOLE else number), None
    if kind == FLAG:
        if isinstance(value, bool):
            return value, None
        text = str(value).strip().lower()
        if text in ("true", "yes", "y", "1", "x"):
            return True, None
        if text in ("false", "no", "n", "0"):
            return False, None
        return None, f"not yes or no: {str(value)[:40]!r}"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip(), None


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (SERIAL_EPOCH + timedelta(days=float(value))).replace(microsecond=0)
    text = str(value).strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip().replace(",", ""))
    except ValueError:
        return None


@dataclass
class Read:
    """A tab read as records, with what could not be read as it was."""

    records: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)


def records_of(obj: SourceObject, rows: list[list[Any]], night: str) -> Read:
    """A tab's rows (the first is its header) as records keyed by field, each with its row
    number (``_row``, as the sheet shows it) and the night (``_night``)."""
    read = Read()
    if not rows:
        return read
    header = [str(cell).strip() if cell is not None else "" for cell in rows[0]]
    at = {normalised(name): i for i, name in reversed(list(enumerate(header))) if name}
    columns = columns_of(obj.name)
    for name, (column, _) in columns.items():
        if normalised(column) not in at:
            if name == obj.key:
                raise SheetError(f"the {obj.name} tab has no column {column!r} (its key): found {header}")
            read.rejected.append(
                Rejected(
                    None,
                    f"column {column!r} is not in the {obj.name} tab: its values are empty tonight "
                    f"(renamed? name the new column for role {name} in lead_fields.csv)",
                    json.dumps(header),
                    column,
                )
            )
    mapped = {normalised(column) for column, _ in columns.values()}
    extra = {name: i for name, i in at.items() if name not in mapped}
    read.fields = list(dict.fromkeys(["_row", "_night", obj.key, *columns, *(header[i] for i in extra.values())]))
    seen: dict[str, int] = {}
    for offset, row in enumerate(rows[1:]):
        number = offset + 2
        cells = {name: row[i] if i < len(row) else None for name, i in at.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells.values()):
            continue  # an empty row is nothing
        record: dict[str, Any] = {"_row": number, "_night": night}
        problems: list[Rejected] = []
        for name, (column, kind) in columns.items():
            value, problem = cell_value(cells.get(normalised(column)), kind)
            record[name] = value
            if problem:
                received = json.dumps(cells.get(normalised(column)), default=str)
                problems.append(Rejected(None, f"row {number}, column {column!r}: {problem}; nulled", received, column))
        for i in extra.values():
            record[header[i]] = cell_value(row[i] if i < len(row) else None, "text")[0]
        if obj.name == "Rates" and record["currency"] and record["start_date"]:
            record["rate_id"] = f"{record['currency']}/{record['start_date']}"
        key = record.get(obj.key)
        if not key:
            what = columns[obj.key][0] if obj.key in columns else "Currency and Start Date"
            read.rejected.append(Rejected(None, f"row {number}: no {what}; the row is not loaded", _cells(cells)))
            continue
        key = str(key)
        if normalised(key) in seen:
            read.rejected.append(
                Rejected(
                    key,
                    f"row {number}: {key} is also on row {seen[normalised(key)]} (one row per {obj.key}); "
                    "this row is not loaded",
                    _cells(cells),
                )
            )
            continue
        seen[normalised(key)] = number
        record[obj.key] = key
        read.records.append(record)
        read.rejected += [Rejected(key, p.reason, p.payload, p.field) for p in problems]
    return read


def _cells(cells: dict[str, Any]) -> str:
    return json.dumps(cells, ensure_ascii=False, default=str)


def extract(conn_id: str, store: RawStore, obj: SourceObject, run_id: str) -> PageResult:
    """Land tonight's read of ``obj``'s tab as tonight's versions (:class:`leadflow.sources.Extract`)."""
    sheet = SheetConnection.from_airflow(conn_id)
    store.ensure_table(obj)
    as_of = store.night_as_of()
    if as_of is None:
        raise SheetError("no night is open: a sheet's read is stamped with its night's as-of")
    night = as_of.isoformat() + "+00:00"
    rows = sheet.tab(obj.name)
    total = PageResult()
    if rows is None:
        if obj.name not in OPTIONAL_TABS:
            raise SheetError(f"the sheet has no {obj.name} tab (the template's tabs: Leads, Owners, Rates)")
        store.record_load(obj, run_id, total)
        return total
    read = records_of(obj, rows, night)
    if obj.name == "Leads" and not read.records:
        raise SheetError("the Leads tab has no rows: refusing to read every lead as deleted")
    note_drift(store, obj, read.fields, run_id)
    versions = [(r[obj.key], night, r) for r in read.records]
    total.add(store.write_page(obj, versions, read.rejected, run_id, None))
    close_read(store, obj, run_id, total, None, sheet.read_at())
    return total
