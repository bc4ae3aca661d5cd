"""A local HTTP server that speaks the Salesforce and Marketo REST subsets of the source contract.

It serves a fixture directory as of a movable clock and can inject faults. Extraction code
talks to it exactly as it talks to a real org: it does not know it is a sandbox.
Administrative endpoints (``/__sandbox/...``) move the clock and set faults; no client uses them.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from leadflow.fixtures import MARKETO_OBJECTS, FixtureObject, salesforce_object
from leadflow.sandbox.faults import FaultPlan
from leadflow.sandbox.soql import SoqlError, parse
from leadflow.sandbox.store import FixtureStore, ts_sql
from leadflow.timefmt import marketo_format, parse_instant

API = "/services/data/v60.0"
SF_PAGE_SIZE = 2000
MKTO_PAGE_SIZE = 300
MKTO_MAX_EXPORT_DAYS = 31
MKTO = {obj.name: obj for obj in MARKETO_OBJECTS}


@dataclass
class SandboxState:
    store: FixtureStore
    clock: datetime
    faults: FaultPlan = field(default_factory=FaultPlan)
    client_id: str = "leadflow"
    client_secret: str = "sandbox-secret"
    page_size: int = SF_PAGE_SIZE
    tokens: dict[str, str] = field(default_factory=dict)  # token -> system
    exports: dict[str, dict[str, Any]] = field(default_factory=dict)
    bulk_jobs: dict[str, dict[str, Any]] = field(default_factory=dict)  # Salesforce Bulk API 2.0 query jobs
    drift: dict[str, dict[str, Any]] = field(default_factory=dict)  # object -> {"add": {...}, "remove": [...]}

    def fields(self, obj_name: str) -> dict[str, str]:
        fields = dict(self.store.fields[obj_name])
        change = self.drift.get(obj_name, {})
        for name in change.get("remove", []):
            fields.pop(name, None)
        fields.update({name: "string" for name in change.get("add", {})})
        return fields

    def apply_drift(self, obj_name: str, record: dict[str, Any]) -> dict[str, Any]:
        change = self.drift.get(obj_name)
        if change:
            for name in change.get("remove", []):
                record.pop(name, None)
            for name, value in change.get("add", {}).items():
                record[name] = value
        return record


class DroppedConnection(Response):
    """Announces a longer body than it sends, so the client sees the connection drop mid-answer."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b'{"totalSize": 1, "done": false, "records": [{"Id": '
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"100000")],
            }
        )
        await send({"type": "http.response.body", "body": body, "more_body": False})


def _sf_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse([{"message": message, "errorCode": code}], status_code=status, headers=headers)


def _mkto_error(code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"requestId": uuid.uuid4().hex[:8], "success": False, "errors": [{"code": code, "message": message}]}
    )


def _mkto_ok(result: list[Any], **extra: Any) -> JSONResponse:
    return JSONResponse({"requestId": uuid.uuid4().hex[:8], "success": True, "result": result, **extra})


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.query_params.get("access_token")


async def _guard(request: Request, system: str) -> Response | None:
    """Authenticate, then apply the fault plan. Returns an error response or None."""
    state: SandboxState = request.app.state.sandbox
    token = _bearer(request)
    if not token or state.tokens.get(token) != system:
        if system == "salesforce":
            return _sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        return _mkto_error(
            "601" if not token else "602", "Access token invalid" if not token else "Access token expired"
        )
    fault = state.faults.next_fault()
    if fault is None:
        return None
    retry_after = {"Retry-After": str(state.faults.retry_after_seconds)}
    if fault == "slow":
        await asyncio.sleep(state.faults.slow_seconds)
        return None
    if fault == "drop":
        return DroppedConnection()
    if fault == "expire":
        state.tokens.pop(token, None)
        if system == "salesforce":
            return _sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        return _mkto_error("602", "Access token expired")
    if system == "marketo":
        return _mkto_error("606", "Max rate limit '100' exceeded with in '20' secs")
    if fault == "limit":
        return _sf_error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
    return _sf_error(
        int(fault),
        "SERVER_UNAVAILABLE" if fault == "503" else "REQUEST_LIMIT_EXCEEDED",
        "Too many requests, try again later",
        retry_after,
    )


# -- Salesforce ---------------------------------------------------------------------------------
async def sf_token(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    form = await request.form()
    if form.get("client_id") != state.client_id or form.get("client_secret") != state.client_secret:
        return JSONResponse(
            {"error": "invalid_client", "error_description": "invalid client credentials"}, status_code=400
        )
    token = secrets.token_urlsafe(24)
    state.tokens[token] = "salesforce"
    base = f"{request.url.scheme}://{request.url.netloc}"
    return JSONResponse(
        {
            "access_token": token,
            "instance_url": base,
            "token_type": "Bearer",
            "issued_at": str(int(time.time() * 1000)),
            "id": f"{base}/id/00D000000000001/005000000000001",
        }
    )


async def sf_describe(request: Request) -> Response:
    if (error := await _guard(request, "salesforce")) is not None:
        return error
    state: SandboxState = request.app.state.sandbox
    try:
        obj = salesforce_object(request.path_params["sobject"])
    except KeyError:
        return _sf_error(404, "NOT_FOUND", "The requested resource does not exist")
    fields = [
        {"name": name, "type": kind, "nillable": name != obj.key} for name, kind in state.fields(obj.name).items()
    ]
    return JSONResponse({"name": obj.name, "queryable": True, "fields": fields})


def _sf_page(state: SandboxState, cursor_id: str, offset: int, include_deleted: bool, obj_name: str) -> JSONResponse:
    records, cursor = state.store.page(cursor_id, offset, state.page_size)
    done = offset + len(records) >= cursor.total
    body: dict[str, Any] = {
        "totalSize": cursor.total,
        "done": done,
        "records": [{"attributes": {"type": obj_name}, **state.apply_drift(obj_name, r)} for r in records],
    }
    if done:
        state.store.close_cursor(cursor_id)
    else:
        endpoint = "queryAll" if include_deleted else "query"
        body["nextRecordsUrl"] = f"{API}/{endpoint}/{cursor_id}|{obj_name}-{offset + len(records)}"
    return JSONResponse(body)


def _open_soql(state: SandboxState, soql: str, include_deleted: bool) -> tuple[FixtureObject, str, int] | Response:
    """Run a SOQL query as of the clock into a cursor: (object, cursor id, rows), or the error
    Salesforce would answer. REST queries and Bulk API 2.0 jobs both start here."""
    try:
        obj = salesforce_object(soql.lower().split(" from ", 1)[1].split()[0])
        query = parse(soql, state.fields(obj.name))
    except (IndexError, KeyError):
        return _sf_error(400, "INVALID_TYPE", f"sObject type is not supported: {soql[:60]}")
    except SoqlError as exc:
        return _sf_error(400, "MALFORMED_QUERY", str(exc))
    stored = [f for f in query.fields if f in state.store.fields[obj.name]]
    cursor_id, cursor = state.store.open_cursor(
        obj, stored, state.clock, query.predicates, include_deleted, query.limit
    )
    return obj, cursor_id, cursor.total


async def sf_query(request: Request) -> Response:
    if (error := await _guard(request, "salesforce")) is not None:
        return error
    state: SandboxState = request.app.state.sandbox
    include_deleted = request.url.path.rstrip("/").endswith("queryAll")
    opened = _open_soql(state, request.query_params.get("q", ""), include_deleted)
    if isinstance(opened, Response):
        return opened
    obj, cursor_id, _ = opened
    return _sf_page(state, cursor_id, 0, include_deleted, obj.name)


async def sf_query_more(request: Request) -> Response:
    if (error := await _guard(request, "salesforce")) is not None:
        return error
    state: SandboxState = request.app.state.sandbox
    locator = request.path_params["locator"]
    try:
        cursor_part, offset = locator.rsplit("-", 1)
        cursor_id, obj_name = cursor_part.split("|", 1)
        return _sf_page(state, cursor_id, int(offset), request.url.path.startswith(f"{API}/queryAll"), obj_name)
    except (ValueError, KeyError):
        return _sf_error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")


# -- Salesforce Bulk API 2.0 (query jobs) ------------------------------------------------------
BULK_MAX_RECORDS = 50_000


async def sf_bulk_create(request: Request) -> Response:
    if (error := await _guard(request, "salesforce")) is not None:
        return error
    state: SandboxState = request.app.state.sandbox
    body = await request.json()
    operation, soql = body.get("operation"), body.get("query", "")
    if operation not in ("query", "queryAll"):
        return _sf_error(400, "INVALIDJOB", f"operation must be query or queryAll, not {operation!r}")
    opened = _open_soql(state, soql, include_deleted=operation == "queryAll")
    if isinstance(opened, Response):
        return opened
    obj, cursor_id, records = opened
    state.bulk_jobs[cursor_id] = {"object": obj.name, "operation": operation, "records": records}
    return JSONResponse(
        {"id": cursor_id, "operation": operation, "object": obj.name, "state": "UploadComplete", "apiVersion": 60.0}
    )


async def sf_bulk_job(request: Request) -> Response:
    if (error := await _guard(request, "salesforce")) is not None:
        return error
    state: SandboxState = request.app.state.sandbox
    job = state.bulk_jobs.get(request.path_params["job_id"])
    if job is None:
        return _sf_error(404, "NOT_FOUND", "The requested resource does not exist")
    return JSONResponse(
        {
            "id": request.path_params["job_id"],
            "operation": job["operation"],
            "object": job["object"],
            "state": "JobComplete",  # the sandbox finishes instantly
            "numberRecordsProcessed": job["records"],
        }
    )


async def sf_bulk_results(request: Request) -> Response:
    if (error := await _guard(request, "salesforce")) is not None:
        return error
    state: SandboxState = request.app.state.sandbox
    job_id = request.path_params["job_id"]
    job = state.bulk_jobs.get(job_id)
    if job is None:
        return _sf_error(404, "NOT_FOUND", "The requested resource does not exist")
    try:
        offset = int(request.query_params.get("locator") or 0)
        size = min(int(request.query_params.get("maxRecords") or BULK_MAX_RECORDS), BULK_MAX_RECORDS)
    except ValueError:
        return _sf_error(400, "INVALID_LOCATOR", "invalid locator or maxRecords")
    text, count = state.store.csv_page(job_id, offset, size, state.drift.get(job["object"]))
    locator = str(offset + count) if offset + count < job["records"] else "null"
    if locator == "null":
        state.store.close_cursor(job_id)
    return Response(
        text,
        media_type="text/csv",
        headers={"Sforce-Locator": locator, "Sforce-NumberOfRecords": str(count)},
    )


# -- Marketo ------------------------------------------------------------------------------------
async def mkto_token(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    params = request.query_params
    if params.get("client_id") != state.client_id or params.get("client_secret") != state.client_secret:
        return JSONResponse({"error": "unauthorized", "error_description": "Bad client credentials"}, status_code=401)
    token = secrets.token_urlsafe(24)
    state.tokens[token] = "marketo"
    return JSONResponse({"access_token": token, "token_type": "bearer", "expires_in": 3599, "scope": "leadflow"})


async def mkto_activity_types(request: Request) -> Response:
    if (error := await _guard(request, "marketo")) is not None:
        return error
    state: SandboxState = request.app.state.sandbox
    return _mkto_ok(state.store.rows(MKTO["activity_types"], state.clock))


def _encode_token(moment: str, last_id: int, **cursor: Any) -> str:
    """An opaque paging token: where the last page ended, and the server-side cursor serving it."""
    data = {"t": moment, "i": last_id, **cursor}
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _decode_token(token: str) -> dict[str, Any]:
    data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    int(data["i"])
    return data


async def mkto_paging_token(request: Request) -> Response:
    if (error := await _guard(request, "marketo")) is not None:
        return error
    since = request.query_params.get("sinceDatetime")
    if not since:
        return _mkto_error("701", "sinceDatetime cannot be blank")
    return JSONResponse(
        {
            "requestId": uuid.uuid4().hex[:8],
            "success": True,
            "nextPageToken": _encode_token(marketo_format(parse_instant(since)), -1),
        }
    )


async def mkto_activities(request: Request) -> Response:
    if (error := await _guard(request, "marketo")) is not None:
        return error
    state: SandboxState = request.app.state.sandbox
    try:
        token = _decode_token(request.query_params["nextPageToken"])
        type_ids = [int(t) for t in request.query_params["activityTypeIds"].split(",") if t.strip()]
    except (KeyError, ValueError):
        return _mkto_error("1001", "Invalid value for nextPageToken or activityTypeIds")
    if not type_ids or len(type_ids) > 10:
        return _mkto_error("1003", "activityTypeIds must name 1 to 10 types")
    group = ",".join(map(str, sorted(type_ids)))
    # the first page of a walk materialises its result; later pages are range reads of it
    if token.get("g") == group and state.store.has_cursor(token.get("c", "")):
        cursor_id, offset = token["c"], int(token["o"])
    else:
        since = parse_instant(token["t"]).replace(tzinfo=None).isoformat(sep=" ")
        predicates = [
            f"(line::json->>'activityTypeId')::int in ({group})",
            f"(stamp > timestamp '{since}' or (stamp = timestamp '{since}' and id::bigint > {int(token['i'])}))",
        ]
        fields = list(state.store.fields["activities"])
        cursor_id, _ = state.store.open_cursor(MKTO["activities"], fields, state.clock, predicates, True)
        offset = 0
    rows, cursor = state.store.page(cursor_id, offset, MKTO_PAGE_SIZE)
    more = offset + len(rows) < cursor.total
    if not more:
        state.store.close_cursor(cursor_id)
    if not rows:
        return _mkto_ok([], moreResult=False, nextPageToken=request.query_params["nextPageToken"])
    next_token = _encode_token(
        rows[-1]["activityDate"], int(rows[-1]["id"]), c=cursor_id, o=offset + len(rows), g=group
    )
    return _mkto_ok(rows, moreResult=more, nextPageToken=next_token)


async def mkto_leads(request: Request) -> Response:
    if (error := await _guard(request, "marketo")) is not None:
        return error
    state: SandboxState = request.app.state.sandbox
    if request.query_params.get("filterType") != "id":
        return _mkto_error("1003", "Only filterType=id is served by leads.json; use the bulk export")
    ids = [int(v) for v in request.query_params.get("filterValues", "").split(",") if v.strip().isdigit()][:300]
    if not ids:
        return _mkto_ok([])
    rows = state.store.rows(MKTO["leads"], state.clock, f"id::bigint in ({', '.join(map(str, ids))})")
    return _mkto_ok([state.apply_drift("leads", r) for r in rows])


async def mkto_lead_describe(request: Request) -> Response:
    if (error := await _guard(request, "marketo")) is not None:
        return error
    state: SandboxState = request.app.state.sandbox
    return _mkto_ok(
        [
            {"id": n, "displayName": name, "dataType": kind, "rest": {"name": name, "readOnly": False}}
            for n, (name, kind) in enumerate(state.fields("leads").items(), start=1)
        ]
    )


async def mkto_export_create(request: Request) -> Response:
    if (error := await _guard(request, "marketo")) is not None:
        return error
    state: SandboxState = request.app.state.sandbox
    body = await request.json()
    window = (body.get("filter") or {}).get("updatedAt") or {}
    try:
        start, end = parse_instant(window["startAt"]), parse_instant(window["endAt"])
    except (KeyError, ValueError):
        return _mkto_error("1003", "filter.updatedAt.startAt and endAt are required")
    if end - start > timedelta(days=MKTO_MAX_EXPORT_DAYS):
        return _mkto_error("1003", f"updatedAt filter exceeds {MKTO_MAX_EXPORT_DAYS} days")
    export_id = str(uuid.uuid4())
    state.exports[export_id] = {
        "fields": body.get("fields") or list(state.fields("leads")),
        "start": start,
        "end": end,
        "status": "Created",
    }
    return _mkto_ok([{"exportId": export_id, "format": "CSV", "status": "Created"}])


def _export(request: Request) -> dict[str, Any] | None:
    state: SandboxState = request.app.state.sandbox
    return state.exports.get(request.path_params["export_id"])


async def mkto_export_enqueue(request: Request) -> Response:
    if (error := await _guard(request, "marketo")) is not None:
        return error
    export = _export(request)
    if export is None:
        return _mkto_error("1029", "Export not found")
    export["status"] = "Completed"  # the sandbox finishes instantly
    return _mkto_ok([{"exportId": request.path_params["export_id"], "status": "Queued"}])


async def mkto_export_status(request: Request) -> Response:
    if (error := await _guard(request, "marketo")) is not None:
        return error
    export = _export(request)
    if export is None:
        return _mkto_error("1029", "Export not found")
    return _mkto_ok([{"exportId": request.path_params["export_id"], "status": export["status"], "format": "CSV"}])


async def mkto_export_file(request: Request) -> Response:
    if (error := await _guard(request, "marketo")) is not None:
        return error
    state: SandboxState = request.app.state.sandbox
    export = _export(request)
    if export is None or export["status"] != "Completed":
        return _mkto_error("1029", "Export not ready")
    at = ts_sql("(line::json->>'updatedAt')")
    lo = export["start"].replace(tzinfo=None).isoformat(sep=" ")
    hi = export["end"].replace(tzinfo=None).isoformat(sep=" ")
    rows = state.store.rows(MKTO["leads"], state.clock, f"{at} >= timestamp '{lo}' and {at} <= timestamp '{hi}'")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(export["fields"])
    for row in rows:
        row = state.apply_drift("leads", row)
        writer.writerow(["null" if row.get(f) is None else row.get(f) for f in export["fields"]])
    return PlainTextResponse(out.getvalue(), media_type="text/csv")


async def mkto_programs(request: Request) -> Response:
    if (error := await _guard(request, "marketo")) is not None:
        return error
    state: SandboxState = request.app.state.sandbox
    offset = int(request.query_params.get("offset", 0))
    limit = min(int(request.query_params.get("maxReturn", 20)), 200)
    rows = state.store.rows(MKTO["programs"], state.clock)[offset : offset + limit]
    if not rows:
        return JSONResponse(
            {
                "requestId": uuid.uuid4().hex[:8],
                "success": True,
                "warnings": ["No assets found for the given search criteria."],
            }
        )
    return _mkto_ok(rows)


# -- administration (tests and demo only) --------------------------------------------------------
async def admin_clock(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    if request.method == "POST":
        state.clock = parse_instant((await request.json())["as_of"])
    return JSONResponse({"as_of": marketo_format(state.clock)})


async def admin_faults(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    if request.method == "POST":
        body = await request.json()
        state.faults = FaultPlan.parse(
            body.get("spec"), seed=int(body.get("seed", 0)), slow_seconds=float(body.get("slow_seconds", 2.0))
        )
    return JSONResponse({"calls": state.faults.calls, "injected": state.faults.injected})


async def admin_drift(request: Request) -> Response:
    state: SandboxState = request.app.state.sandbox
    body = await request.json()
    state.drift[body["object"]] = {"add": body.get("add", {}), "remove": body.get("remove", [])}
    return JSONResponse(state.drift)


async def health(request: Request) -> Response:
    """Up, and where the fixture's history starts (what a connection's ``history_start`` is for)."""
    earliest = request.app.state.sandbox.store.earliest
    start = marketo_format(earliest.replace(tzinfo=UTC)) if earliest else None
    return JSONResponse({"status": "ok", "history_start": start})


def create_app(state: SandboxState) -> Starlette:
    routes = [
        Route("/services/oauth2/token", sf_token, methods=["POST"]),
        Route(f"{API}/sobjects/{{sobject}}/describe", sf_describe),
        Route(f"{API}/jobs/query", sf_bulk_create, methods=["POST"]),
        Route(f"{API}/jobs/query/{{job_id}}", sf_bulk_job),
        Route(f"{API}/jobs/query/{{job_id}}/results", sf_bulk_results),
        Route(f"{API}/query", sf_query),
        Route(f"{API}/queryAll", sf_query),
        Route(f"{API}/query/{{locator}}", sf_query_more),
        Route(f"{API}/queryAll/{{locator}}", sf_query_more),
        Route("/identity/oauth/token", mkto_token),
        Route("/rest/v1/activities/types.json", mkto_activity_types),
        Route("/rest/v1/activities/pagingtoken.json", mkto_paging_token),
        Route("/rest/v1/activities.json", mkto_activities),
        Route("/rest/v1/leads.json", mkto_leads),
        Route("/rest/v1/leads/describe.json", mkto_lead_describe),
        Route("/bulk/v1/leads/export/create.json", mkto_export_create, methods=["POST"]),
        Route("/bulk/v1/leads/export/{export_id}/enqueue.json", mkto_export_enqueue, methods=["POST"]),
        Route("/bulk/v1/leads/export/{export_id}/status.json", mkto_export_status),
        Route("/bulk/v1/leads/export/{export_id}/file.json", mkto_export_file),
        Route("/rest/asset/v1/programs.json", mkto_programs),
        Route("/__sandbox/clock", admin_clock, methods=["GET", "POST"]),
        Route("/__sandbox/faults", admin_faults, methods=["GET", "POST"]),
        Route("/__sandbox/drift", admin_drift, methods=["POST"]),
        Route("/__sandbox/health", health),
    ]
    app = Starlette(routes=routes)
    app.state.sandbox = state
    return app
