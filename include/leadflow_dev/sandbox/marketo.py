"""The Marketo side of the sandbox: the identity service, activity types, paging tokens and
activity pages, lead describe and lookups, the bulk lead and activity exports and programs."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from leadflow.sources import MARKETO_OBJECTS
from leadflow.timefmt import marketo_format, parse_instant
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from leadflow_dev.sandbox.state import DroppedConnection, SandboxState, check
from leadflow_dev.sandbox.store import ts_sql

MKTO_PAGE_SIZE = 300
MKTO_MAX_EXPORT_DAYS = 31
MKTO = {obj.name: obj for obj in MARKETO_OBJECTS}


def _mkto_error(code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"requestId": uuid.uuid4().hex[:8], "success": False, "errors": [{"code": code, "message": message}]}
    )


def _mkto_ok(result: list[Any], **extra: Any) -> JSONResponse:
    return JSONResponse({"requestId": uuid.uuid4().hex[:8], "success": True, "result": result, **extra})


async def _guard(request: Request) -> Response | None:
    problem = await check(request, "marketo")
    if problem is None:
        return None
    if problem == "missing":
        return _mkto_error("601", "Access token invalid")
    if problem in ("invalid", "expired"):
        return _mkto_error("602", "Access token expired")
    if problem == "drop":
        return DroppedConnection()
    return _mkto_error("606", "Max rate limit '100' exceeded with in '20' secs")


async def mkto_token(request: Request) -> Response:
    """The identity service takes the credentials as a GET query or a POST form (both documented)."""
    state: SandboxState = request.app.state.sandbox
    params = await request.form() if request.method == "POST" else request.query_params
    if params.get("client_id") != state.client_id or params.get("client_secret") != state.client_secret:
        return JSONResponse({"error": "unauthorized", "error_description": "Bad client credentials"}, status_code=401)
    token = secrets.token_urlsafe(24)
    state.tokens[token] = "marketo"
    return JSONResponse({"access_token": token, "token_type": "bearer", "expires_in": 3599, "scope": "leadflow"})


async def mkto_activity_types(request: Request) -> Response:
    if (error := await _guard(request)) is not None:
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
    if (error := await _guard(request)) is not None:
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
    if (error := await _guard(request)) is not None:
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
    if (error := await _guard(request)) is not None:
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
    if (error := await _guard(request)) is not None:
        return error
    state: SandboxState = request.app.state.sandbox
    return _mkto_ok(
        [
            {"id": n, "displayName": name, "dataType": kind, "rest": {"name": name, "readOnly": False}}
            for n, (name, kind) in enumerate(state.fields("leads").items(), start=1)
        ]
    )


EXPORT_FILTERS = {"leads": "updatedAt", "activities": "createdAt"}  # what each export is windowed by


async def mkto_export_create(request: Request) -> Response:
    """A bulk lead export (``filter.updatedAt``) or activity export (``filter.createdAt``, with
    ``activityTypeIds``), windowed to at most 31 days as Marketo's are."""
    if (error := await _guard(request)) is not None:
        return error
    state: SandboxState = request.app.state.sandbox
    kind = request.path_params["kind"]
    if kind not in EXPORT_FILTERS:
        return _mkto_error("1003", f"no bulk export of {kind}")
    body = await request.json()
    filters = body.get("filter") or {}
    window = filters.get(EXPORT_FILTERS[kind]) or {}
    try:
        start, end = parse_instant(window["startAt"]), parse_instant(window["endAt"])
        type_ids = [int(t) for t in filters.get("activityTypeIds") or []]
    except (KeyError, ValueError, TypeError):
        return _mkto_error("1003", f"filter.{EXPORT_FILTERS[kind]}.startAt and endAt are required")
    if end - start > timedelta(days=MKTO_MAX_EXPORT_DAYS):
        return _mkto_error("1003", f"{EXPORT_FILTERS[kind]} filter exceeds {MKTO_MAX_EXPORT_DAYS} days")
    export_id = str(uuid.uuid4())
    state.exports[export_id] = {
        "kind": kind,
        "fields": body.get("fields") or list(state.fields(kind)),
        "start": start,
        "end": end,
        "type_ids": type_ids,
        "status": "Created",
    }
    return _mkto_ok([{"exportId": export_id, "format": "CSV", "status": "Created"}])


def _export(request: Request) -> dict[str, Any] | None:
    state: SandboxState = request.app.state.sandbox
    export = state.exports.get(request.path_params["export_id"])
    return export if export is not None and export["kind"] == request.path_params["kind"] else None


async def mkto_export_enqueue(request: Request) -> Response:
    if (error := await _guard(request)) is not None:
        return error
    export = _export(request)
    if export is None:
        return _mkto_error("1029", "Export not found")
    export["status"] = "Completed"  # the sandbox finishes instantly
    return _mkto_ok([{"exportId": request.path_params["export_id"], "status": "Queued"}])


async def mkto_export_status(request: Request) -> Response:
    if (error := await _guard(request)) is not None:
        return error
    export = _export(request)
    if export is None:
        return _mkto_error("1029", "Export not found")
    return _mkto_ok([{"exportId": request.path_params["export_id"], "status": export["status"], "format": "CSV"}])


async def mkto_export_file(request: Request) -> Response:
    if (error := await _guard(request)) is not None:
        return error
    state: SandboxState = request.app.state.sandbox
    export = _export(request)
    if export is None or export["status"] != "Completed":
        return _mkto_error("1029", "Export not ready")
    lo = export["start"].replace(tzinfo=None).isoformat(sep=" ")
    hi = export["end"].replace(tzinfo=None).isoformat(sep=" ")
    return PlainTextResponse(_export_csv(state, export, lo, hi), media_type="text/csv")


def _export_csv(state: SandboxState, export: dict[str, Any], lo: str, hi: str) -> str:
    """The records of an export's window (and, for activities, types) as CSV written by DuckDB,
    with the lead fields' drift applied as for REST pages."""
    kind = export["kind"]
    if kind == "activities":
        predicates = [f"stamp >= timestamp '{lo}'", f"stamp <= timestamp '{hi}'"]
        if export["type_ids"]:
            ids = ", ".join(map(str, export["type_ids"]))
            predicates.append(f"(line::json->>'activityTypeId')::int in ({ids})")
    else:
        at = ts_sql("(line::json->>'updatedAt')")
        predicates = [f"{at} >= timestamp '{lo}'", f"{at} <= timestamp '{hi}'"]
    cursor_id, cursor = state.store.open_cursor(
        MKTO[kind], export["fields"], state.clock, predicates, True, since=datetime.fromisoformat(lo)
    )
    try:
        return state.store.csv_page(cursor_id, 0, cursor.total, state.drift.get(kind))[0]
    finally:
        state.store.close_cursor(cursor_id)


async def mkto_programs(request: Request) -> Response:
    if (error := await _guard(request)) is not None:
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


ROUTES = [
    Route("/identity/oauth/token", mkto_token, methods=["GET", "POST"]),
    Route("/rest/v1/activities/types.json", mkto_activity_types),
    Route("/rest/v1/activities/pagingtoken.json", mkto_paging_token),
    Route("/rest/v1/activities.json", mkto_activities),
    Route("/rest/v1/leads.json", mkto_leads),
    Route("/rest/v1/leads/describe.json", mkto_lead_describe),
    Route("/bulk/v1/{kind:str}/export/create.json", mkto_export_create, methods=["POST"]),
    Route("/bulk/v1/{kind:str}/export/{export_id}/enqueue.json", mkto_export_enqueue, methods=["POST"]),
    Route("/bulk/v1/{kind:str}/export/{export_id}/status.json", mkto_export_status),
    Route("/bulk/v1/{kind:str}/export/{export_id}/file.json", mkto_export_file),
    Route("/rest/asset/v1/programs.json", mkto_programs),
]
