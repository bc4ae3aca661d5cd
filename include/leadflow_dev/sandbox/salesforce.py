"""The Salesforce side of the sandbox: OAuth, describe, SOQL query pages and Bulk API 2.0 query
jobs, as the source contract gives them."""

from __future__ import annotations

import secrets
import time
from typing import Any

from leadflow.sources import SourceObject, source_object
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from leadflow_dev.sandbox.soql import SoqlError, parse
from leadflow_dev.sandbox.state import DroppedConnection, SandboxState, check

API = "/services/data/v60.0"


def _sf_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse([{"message": message, "errorCode": code}], status_code=status, headers=headers)


async def _guard(request: Request) -> Response | None:
    problem = await check(request, "salesforce")
    if problem is None:
        return None
    if problem in ("missing", "invalid", "expired"):
        return _sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
    if problem == "drop":
        return DroppedConnection()
    if problem == "limit":
        return _sf_error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
    state: SandboxState = request.app.state.sandbox
    return _sf_error(
        int(problem),
        "SERVER_UNAVAILABLE" if problem == "503" else "REQUEST_LIMIT_EXCEEDED",
        "Too many requests, try again later",
        {"Retry-After": str(state.faults.retry_after_seconds)},
    )


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


PICKLISTS = {"Lead": ("Status", "LeadSource"), "Opportunity": ("StageName", "LeadSource")}


async def sf_describe(request: Request) -> Response:
    if (error := await _guard(request)) is not None:
        return error
    state: SandboxState = request.app.state.sandbox
    try:
        obj = source_object("salesforce", request.path_params["sobject"])
    except KeyError:
        return _sf_error(404, "NOT_FOUND", "The requested resource does not exist")
    fields = [
        {"name": name, "type": "picklist" if name in PICKLISTS.get(obj.name, ()) else kind, "nillable": name != obj.key}
        for name, kind in state.fields(obj.name).items()
    ]
    for described in fields:  # a picklist's values: those the fixture holds
        if described["type"] == "picklist":
            values = state.store.picklist(obj, described["name"])
            described["picklistValues"] = [{"value": v, "label": v, "active": True} for v in values]
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


def _open_soql(state: SandboxState, soql: str, include_deleted: bool) -> tuple[SourceObject, str, int] | Response:
    """Run a SOQL query as of the clock into a cursor: (object, cursor id, rows), or the error
    Salesforce would answer. REST queries and Bulk API 2.0 jobs both start here."""
    try:
        obj = source_object("salesforce", soql.lower().split(" from ", 1)[1].split()[0])
        query = parse(soql, state.fields(obj.name), obj.stamp)
    except (IndexError, KeyError):
        return _sf_error(400, "INVALID_TYPE", f"sObject type is not supported: {soql[:60]}")
    except SoqlError as exc:
        return _sf_error(400, "MALFORMED_QUERY", str(exc))
    stored = [f for f in query.fields if f in state.store.fields[obj.name]]
    cursor_id, cursor = state.store.open_cursor(
        obj, stored, state.clock, query.predicates, include_deleted, query.limit, since=query.since
    )
    return obj, cursor_id, cursor.total


async def sf_query(request: Request) -> Response:
    if (error := await _guard(request)) is not None:
        return error
    state: SandboxState = request.app.state.sandbox
    include_deleted = request.url.path.rstrip("/").endswith("queryAll")
    opened = _open_soql(state, request.query_params.get("q", ""), include_deleted)
    if isinstance(opened, Response):
        return opened
    obj, cursor_id, _ = opened
    return _sf_page(state, cursor_id, 0, include_deleted, obj.name)


async def sf_query_more(request: Request) -> Response:
    if (error := await _guard(request)) is not None:
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
    if (error := await _guard(request)) is not None:
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
    if (error := await _guard(request)) is not None:
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
    if (error := await _guard(request)) is not None:
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
ROUTES = [
    Route("/services/oauth2/token", sf_token, methods=["POST"]),
    Route(f"{API}/sobjects/{{sobject}}/describe", sf_describe),
    Route(f"{API}/jobs/query", sf_bulk_create, methods=["POST"]),
    Route(f"{API}/jobs/query/{{job_id}}", sf_bulk_job),
    Route(f"{API}/jobs/query/{{job_id}}/results", sf_bulk_results),
    Route(f"{API}/query", sf_query),
    Route(f"{API}/queryAll", sf_query),
    Route(f"{API}/query/{{locator}}", sf_query_more),
    Route(f"{API}/queryAll/{{locator}}", sf_query_more),
]
