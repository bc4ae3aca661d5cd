"""The Google side of the sandbox: a lead sheet over the Sheets API v4 subset the extractor reads,
served as of the sandbox clock, behind a service account's token exchange.

* ``POST /token``: the OAuth 2.0 JWT-bearer grant a service account makes (google-auth signs the
  assertion with the key the sandbox wrote to ``tls_dir/service-account.json``); the assertion's
  signature and audience are checked, and the access token is the Bearer of the calls below.
* ``GET /v4/spreadsheets/{id}``: the tabs' titles; ``GET /v4/spreadsheets/{id}/values:batchGet``:
  each range's rows (a tab, or an A1 range such as ``Tab!A1:F20``), unformatted: numbers as numbers, dates as serial
  numbers, ``TRUE``/``FALSE`` as booleans, a cell typed as text (a leading ``'``) as text.
* Google's limits: 60 read requests a minute per user (then 429 ``RESOURCE_EXHAUSTED``, which the
  fault plan can also inject), 403 ``PERMISSION_DENIED`` for another account's token, 404 for
  another spreadsheet, 400 ``INVALID_ARGUMENT`` for a range naming no tab.

The fixture (``sheet/<Tab>.csv``) holds each row's versions: ``_row`` (its place in the tab) and
``_edited_at`` (when it took this content) before the tab's own columns. At the clock a row shows
its latest version; a version whose cells are all empty is the row deleted (the rows below move up).
"""

from __future__ import annotations

import csv
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from leadflow.timefmt import parse_instant
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from leadflow_dev.sandbox.state import DroppedConnection, SandboxState, check

SPREADSHEET_ID = "1LeadflowSandboxLeadSheet"
READS_PER_MINUTE = 60
KEY_FILE = "service-account.json"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
SERIAL_EPOCH = datetime(1899, 12, 30)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?$")
_NUMBER = re.compile(r"-?\d+(\.\d+)?$")


@dataclass
class LeadSheet:
    """The fixture's tabs (each a list of row versions) and the service account allowed to read."""

    tabs: dict[str, tuple[list[str], list[dict[str, str]]]]
    public_key: str
    account: str
    token_uri: str
    reads: list[float] = field(default_factory=list)

    @classmethod
    def load(cls, fixtures: Path, key_file: Path) -> LeadSheet | None:
        folder = fixtures / "sheet"
        if not folder.is_dir():
            return None
        tabs = {}
        for path in sorted(folder.glob("*.csv")):
            with path.open(encoding="utf-8", newline="") as handle:
                reader = csv.DictReader(handle)
                header = [name for name in reader.fieldnames or [] if not name.startswith("_")]
                tabs[path.stem] = (header, list(reader))
        key = json.loads(key_file.read_text(encoding="utf-8"))
        return cls(tabs, key["public_key"], key["client_email"], key["token_uri"])

    def values(self, title: str, clock: datetime) -> list[list[Any]]:
        header, versions = self.tabs[title]
        current: dict[int, dict[str, str]] = {}
        for version in sorted(versions, key=lambda v: (parse_instant(v["_edited_at"]), int(v["_row"]))):
            if parse_instant(version["_edited_at"]) <= clock:
                current[int(version["_row"])] = version
        rows: list[list[Any]] = [list(header)]
        for place in sorted(current):
            cells = [_unformatted(current[place].get(name, "")) for name in header]
            if all(cell == "" for cell in cells):
                continue  # deleted
            while cells and cells[-1] == "":
                cells.pop()  # Google leaves a row's trailing empty cells out
            rows.append(cells)
        return rows


def _unformatted(text: str) -> Any:
    """A cell as ``UNFORMATTED_VALUE`` gives it (dates as ``SERIAL_NUMBER``)."""
    if text.startswith("'"):
        return text[1:]
    if _DATE.match(text):
        moment = datetime.fromisoformat(text)
        return (moment - SERIAL_EPOCH) / timedelta(days=1)
    if _NUMBER.match(text):
        return float(text) if "." in text else int(text)
    if text.upper() in ("TRUE", "FALSE"):
        return text.upper() == "TRUE"
    return text


def write_service_account(tls_dir: Path, base_url: str) -> Path:
    """A service account's JSON key, as Google Cloud hands one out, whose token requests go to the
    sandbox (its public half kept beside it for the sandbox to check signatures with)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    tls_dir.mkdir(parents=True, exist_ok=True)
    path = tls_dir / KEY_FILE
    if path.exists():
        key = json.loads(path.read_text(encoding="utf-8"))
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key = {
            "type": "service_account",
            "project_id": "leadflow-sandbox",
            "private_key_id": secrets.token_hex(20),
            "private_key": private.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode(),
            "public_key": private.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode(),
            "client_email": "leadflow-reader@leadflow-sandbox.iam.gserviceaccount.com",
            "client_id": "100000000000000000001",
        }
    key["token_uri"] = f"{base_url.rstrip('/')}/token"
    path.write_text(json.dumps(key, indent=2), encoding="utf-8")
    path.chmod(0o600)
    return path


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": status, "message": message, "status": code}}, status_code=status)


def _sheet(request: Request) -> LeadSheet | None:
    return request.app.state.sandbox.sheet


async def token(request: Request) -> Response:
    from google.auth import jwt

    state: SandboxState = request.app.state.sandbox
    sheet = _sheet(request)
    form = await request.form()
    if sheet is None or form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
        return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
    try:
        # google-auth addresses its assertion to Google's token endpoint whatever ``token_uri`` says
        audiences = [GOOGLE_TOKEN_URI, sheet.token_uri]
        claims = jwt.decode(str(form.get("assertion", "")), certs=sheet.public_key, audience=audiences)
    except ValueError as exc:
        return JSONResponse({"error": "invalid_grant", "error_description": str(exc)[:200]}, status_code=400)
    if claims.get("iss") != sheet.account:
        return JSONResponse({"error": "invalid_grant", "error_description": "Invalid JWT Signature."}, 400)
    access = "ya29." + secrets.token_urlsafe(24)
    state.tokens[access] = "sheet"
    return JSONResponse({"access_token": access, "expires_in": 3599, "token_type": "Bearer"})


async def _guard(request: Request) -> Response | None:
    sheet = _sheet(request)
    if sheet is None:
        return _error(404, "NOT_FOUND", "Requested entity was not found.")
    problem = await check(request, "sheet")
    if problem in ("missing", "invalid", "expired"):
        return _error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
    if problem == "drop":
        return DroppedConnection()
    now = time.monotonic()
    sheet.reads[:] = [t for t in sheet.reads if now - t < 60]
    sheet.reads.append(now)
    if problem in ("429", "limit") or len(sheet.reads) > READS_PER_MINUTE:
        return _error(
            429,
            "RESOURCE_EXHAUSTED",
            "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user'",
        )
    if problem is not None:
        return _error(503, "UNAVAILABLE", "The service is currently unavailable.")
    if request.path_params["spreadsheet_id"] != SPREADSHEET_ID:
        return _error(404, "NOT_FOUND", "Requested entity was not found.")
    return None


async def spreadsheet(request: Request) -> Response:
    if (refused := await _guard(request)) is not None:
        return refused
    sheet = _sheet(request)
    assert sheet is not None
    return JSONResponse(
        {
            "spreadsheetId": SPREADSHEET_ID,
            "properties": {"title": "Lead database"},
            "sheets": [{"properties": {"sheetId": i, "title": t, "index": i}} for i, t in enumerate(sheet.tabs)],
        }
    )


def _tab_of(given: str) -> str:
    title = given.split("!", 1)[0]
    return title[1:-1].replace("''", "'") if title.startswith("'") and title.endswith("'") else title


_CELL = re.compile(r"([A-Z]*)(\d*)$")


def _cut(values: list[list[Any]], given: str) -> list[list[Any]]:
    """The cells of an A1 range (``Tab!B2:D``, ``Tab!A:C``, ``Tab!3:5``) of a tab's rows."""
    if "!" not in given:
        return values
    start, _, end = given.split("!", 1)[1].partition(":")
    (first_col, first_row), (last_col, last_row) = (_CELL.match(start).groups(), _CELL.match(end or start).groups())
    top, bottom = int(first_row or 1) - 1, int(last_row) if last_row else len(values)
    left, right = _index(first_col) if first_col else 0, _index(last_col) + 1 if last_col else None
    return [row[left:right] for row in values[top:bottom]]


def _index(column: str) -> int:
    number = 0
    for letter in column:
        number = number * 26 + ord(letter) - 64
    return number - 1


async def batch_get(request: Request) -> Response:
    if (refused := await _guard(request)) is not None:
        return refused
    sheet = _sheet(request)
    assert sheet is not None
    clock = request.app.state.sandbox.clock
    ranges = []
    for given in request.query_params.getlist("ranges"):
        title = _tab_of(given)
        if title not in sheet.tabs:
            return _error(400, "INVALID_ARGUMENT", f"Unable to parse range: {given}")
        values = _cut(sheet.values(title, clock), given)
        width = max((len(row) for row in values), default=0)
        where = given if "!" in given else f"'{title}'!A1:{_column(width)}{len(values)}"
        ranges.append({"range": where, "majorDimension": "ROWS", "values": values})
    return JSONResponse({"spreadsheetId": SPREADSHEET_ID, "valueRanges": ranges})


def _column(width: int) -> str:
    letters = ""
    while width > 0:
        width, rest = divmod(width - 1, 26)
        letters = chr(65 + rest) + letters
    return letters or "A"


ROUTES = [
    Route("/token", token, methods=["POST"]),
    Route("/v4/spreadsheets/{spreadsheet_id}", spreadsheet),
    Route("/v4/spreadsheets/{spreadsheet_id}/values:batchGet", batch_get),
]
