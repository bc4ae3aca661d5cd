"""The HubSpot side of the sandbox: the API subset of ``hubspot-contract.md`` section 3, with a
real portal's limits, served as of the sandbox clock.

* Bearer token: the private-app token (or service key) of the connection; without it, 401
  ``INVALID_AUTHENTICATION``; the ``expire`` fault revokes it (401 ``EXPIRED_AUTHENTICATION``, then
  ``INVALID_AUTHENTICATION``: a static token does not come back by logging in again).
* Search: ``limit`` <= 200, and no page past 10,000 results (400 ``VALIDATION_ERROR``); never
  archived records nor history. Lists: ``limit`` <= 100, <= 50 with ``propertiesWithHistory``.
  Batch read: <= 100 inputs, <= 50 with history; associations v4: <= 1,000 inputs.
* 429 bodies name their ``policyName`` (``SECONDLY`` for search, else ``TEN_SECONDLY_ROLLING``;
  the ``limit`` fault: ``DAILY``); 5xx, slow answers and dropped connections as the fault plan says.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from leadflow_dev.sandbox.portal import OBJECT_TYPES, PORTAL
from leadflow_dev.sandbox.state import DroppedConnection, SandboxState, check
from leadflow_dev.sandbox.store import ts_sql

SEARCH_LIMIT = 200
SEARCH_CAP = 10_000
LIST_LIMIT = 100
HISTORY_LIMIT = 50
BATCH_LIMIT = 100
ASSOCIATION_BATCH_LIMIT = 1_000
# properties HubSpot filters as instants (a filter's value is epoch milliseconds)
INSTANTS = {"createdate", "lastmodifieddate", "hs_lastmodifieddate", "hs_createdate", "hs_timestamp", "closedate"}
OPERATORS = {"EQ": "=", "NEQ": "!=", "GT": ">", "GTE": ">=", "LT": "<", "LTE": "<="}


def _error(status: int, category: str, message: str, **extra: Any) -> JSONResponse:
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category}
    return JSONResponse({**body, **extra}, status_code=status)


async def _guard(request: Request, search: bool = False) -> Response | None:
    problem = await check(request, "hubspot")
    if problem is None:
        return None
    if problem in ("missing", "invalid"):
        return _error(401, "INVALID_AUTHENTICATION", "Authentication credentials not found.")
    if problem == "expired":
        return _error(401, "EXPIRED_AUTHENTICATION", "The OAuth token used to make this call expired.")
    if problem == "drop":
        return DroppedConnection()
    if problem in ("429", "limit"):  # limit: the portal's daily allowance, as Salesforce's daily limit
        policy = "DAILY" if problem == "limit" else "SECONDLY" if search else "TEN_SECONDLY_ROLLING"
        message = f"You have reached your {policy.lower()} limit."
        return _error(429, "RATE_LIMITS", message, errorType="RATE_LIMIT", policyName=policy)
    return _error(int(problem), "SERVICE_UNAVAILABLE", "The service is unavailable.")


def _clock_sql(state: SandboxState) -> str:
    return f"timestamp '{state.clock.replace(tzinfo=None).isoformat(sep=' ')}'"


def _property_sql(name: str) -> str:
    return f"(line::json->'properties'->>'{name.replace(chr(39), '')}')"


def _filter_sql(spec: dict[str, Any]) -> str:
    """One search filter as SQL over a version's properties (instants compared as instants)."""
    name, operator = str(spec["propertyName"]), str(spec["operator"])
    value = _property_sql(name)
    if operator == "HAS_PROPERTY":
        return f"{value} is not null and {value} != ''"
    if operator == "NOT_HAS_PROPERTY":
        return f"({value} is null or {value} = '')"

    def literal(raw: Any) -> str:
        if name in INSTANTS:
            instant = datetime.fromtimestamp(int(raw) / 1000, UTC).replace(tzinfo=None)
            return f"timestamp '{instant.isoformat(sep=' ')}'"
        if name == "hs_object_id":
            return str(int(raw))
        return "'" + str(raw).replace("'", "''") + "'"

    typed = ts_sql(value) if name in INSTANTS else f"cast({value} as bigint)" if name == "hs_object_id" else value
    if operator == "BETWEEN":
        return f"{typed} between {literal(spec['value'])} and {literal(spec['highValue'])}"
    if operator not in OPERATORS:
        raise ValueError(f"operator {operator!r} is not supported")
    return f"{typed} {OPERATORS[operator]} {literal(spec['value'])}"


def _shaped(record: dict[str, Any], properties: list[str] | None) -> dict[str, Any]:
    """A record as the API returns it: the properties asked for that the record has (HubSpot
    leaves out a property the portal does not have)."""
    held = record.get("properties") or {}
    chosen = {name: held[name] for name in (properties or held) if name in held}
    return {**{k: v for k, v in record.items() if k != "properties"}, "properties": chosen}


def _field(name: str) -> str:
    """A top-level field of a fixture line, as text."""
    return f"(line::json->>'{name}')"


def _among(column: str, values: list[str]) -> str:
    """``column in (...)`` of text values (none: false)."""
    quoted = ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)
    return f"{column} in ({quoted})" if values else "false"


def _history(state: SandboxState, object_type: str, ids: list[str], properties: list[str]) -> dict[str, Any]:
    """Each record's history of ``properties`` as of the clock, newest entry first."""
    if not ids or not properties or f"{object_type}_history" not in PORTAL:
        return {}
    where = " and ".join([_among("id", ids), _among(_field("property"), properties)])
    history: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for entry in reversed(state.store.rows(PORTAL[f"{object_type}_history"], state.clock, where)):  # oldest first
        record = history.setdefault(entry.pop("objectId"), {})
        record.setdefault(entry.pop("property"), []).append(entry)
    return history


def _object_type(request: Request) -> str | None:
    name = request.path_params["object_type"]
    return name if name in OBJECT_TYPES else None


async def account_details(request: Request) -> Response:
    if (error := await _guard(request)) is not None:
        return error
    return JSONResponse(request.app.state.sandbox.store.documents.get("account", {}))


async def deal_pipelines(request: Request) -> Response:
    if (error := await _guard(request)) is not None:
        return error
    return JSONResponse(request.app.state.sandbox.store.documents.get("pipelines", {"results": []}))


# HubSpot's own enumeration properties a lifecycle reads, with their stock options (a portal adds its own)
ENUMERATIONS = {
    "lifecyclestage": [
        "subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead",
        "opportunity", "customer", "evangelist", "other",
    ],
    "hs_lead_status": [
        "NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT", "CONNECTED", "BAD_TIMING",
    ],
}  # fmt: skip


async def object_properties(request: Request) -> Response:
    """``GET /crm/v3/properties/{type}``: the properties the fixture's records hold; the
    enumerations' options are the stock ones and every value the fixture uses."""
    if (error := await _guard(request)) is not None:
        return error
    if (object_type := _object_type(request)) is None:
        return _error(404, "OBJECT_NOT_FOUND", f"unknown object type {request.path_params['object_type']}")
    store = request.app.state.sandbox.store
    results = []
    for name in store.property_names(PORTAL[object_type]):
        if name in ENUMERATIONS:
            values = dict.fromkeys([*ENUMERATIONS[name], *store.picklist(PORTAL[object_type], f"properties.{name}")])
            options = [{"label": value, "value": value, "hidden": False} for value in values if value]
            results.append({"name": name, "type": "enumeration", "fieldType": "select", "options": options})
        else:
            results.append({"name": name, "type": "string", "fieldType": "text", "options": []})
    return JSONResponse({"results": results})


def _paged(records: list[dict[str, Any]], offset: int, limit: int) -> dict[str, Any]:
    page = records[offset : offset + limit]
    body: dict[str, Any] = {"results": page}
    if offset + limit < len(records):
        body["paging"] = {"next": {"after": str(offset + limit)}}
    return body


def _limit(request: Request, most: int) -> int | JSONResponse:
    limit = int(request.query_params.get("limit", 10))
    if not 1 <= limit <= most:
        return _error(400, "VALIDATION_ERROR", f"limit must be between 1 and {most}")
    return limit


def _archived_sql(archived: bool) -> str:
    return f"coalesce({_field('archived')}::boolean, false) = {'true' if archived else 'false'}"


def _listing(file: str) -> Callable[[Request], Awaitable[Response]]:
    """A list endpoint over one of the portal's files (owners, exchange rates): pages of at most
    100 by ``after``; archived rows only with ``archived=true``."""

    async def listed(request: Request) -> Response:
        if (error := await _guard(request)) is not None:
            return error
        state: SandboxState = request.app.state.sandbox
        limit = _limit(request, LIST_LIMIT)
        if isinstance(limit, JSONResponse):
            return limit
        archived = request.query_params.get("archived", "false") == "true"
        rows = state.store.rows(PORTAL[file], state.clock, _archived_sql(archived))
        return JSONResponse(_paged(rows, int(request.query_params.get("after", 0)), limit))

    return listed


async def list_objects(request: Request) -> Response:
    """All records by id (archived ones with ``archived=true``), history where asked."""
    if (error := await _guard(request)) is not None:
        return error
    state: SandboxState = request.app.state.sandbox
    if (object_type := _object_type(request)) is None:
        return _error(404, "OBJECT_NOT_FOUND", "Unknown object type")
    params = request.query_params
    with_history = [p for p in params.get("propertiesWithHistory", "").split(",") if p]
    limit = _limit(request, HISTORY_LIMIT if with_history else LIST_LIMIT)
    if isinstance(limit, JSONResponse):
        return limit
    properties = [p for p in params.get("properties", "").split(",") if p] or None
    rows = state.store.rows(PORTAL[object_type], state.clock, _archived_sql(params.get("archived") == "true"))
    rows.sort(key=lambda r: int(r["id"]))
    body = _paged([_shaped(r, properties) for r in rows], int(params.get("after", 0)), limit)
    if with_history:
        history = _history(state, object_type, [r["id"] for r in body["results"]], with_history)
        for record in body["results"]:
            record["propertiesWithHistory"] = history.get(record["id"], {})
    return JSONResponse(body)


async def search(request: Request) -> Response:
    if (error := await _guard(request, search=True)) is not None:
        return error
    state: SandboxState = request.app.state.sandbox
    if (object_type := _object_type(request)) is None:
        return _error(404, "OBJECT_NOT_FOUND", "Unknown object type")
    body = await request.json()
    limit, after = int(body.get("limit", 10)), int(body.get("after", 0) or 0)
    if not 1 <= limit <= SEARCH_LIMIT:
        return _error(400, "VALIDATION_ERROR", f"limit must be between 1 and {SEARCH_LIMIT}")
    if after >= SEARCH_CAP:
        return _error(400, "VALIDATION_ERROR", f"Paging past {SEARCH_CAP} results is not supported; narrow the search.")
    groups = body.get("filterGroups") or []
    try:
        alternatives = [" and ".join(_filter_sql(f) for f in group.get("filters", [])) or "true" for group in groups]
    except (KeyError, ValueError) as problem:
        return _error(400, "VALIDATION_ERROR", f"invalid filter: {problem}")
    where = [_archived_sql(False)] + ([" or ".join(f"({a})" for a in alternatives)] if alternatives else [])
    # results come by last modification, then id (what an extractor sorts on to window)
    cursor_id, cursor = state.store.open_cursor(
        PORTAL[object_type], list(state.store.fields[object_type]), state.clock, where, True
    )
    try:
        records, _ = state.store.page(cursor_id, after, limit)
    finally:
        state.store.close_cursor(cursor_id)
    properties = body.get("properties") or None
    results = [_shaped(record, properties) for record in records]
    answer: dict[str, Any] = {"total": cursor.total, "results": results}
    if after + limit < cursor.total:
        answer["paging"] = {"next": {"after": str(after + limit)}}
    return JSONResponse(answer)


async def batch_read(request: Request) -> Response:
    if (error := await _guard(request)) is not None:
        return error
    state: SandboxState = request.app.state.sandbox
    if (object_type := _object_type(request)) is None:
        return _error(404, "OBJECT_NOT_FOUND", "Unknown object type")
    body = await request.json()
    ids = [str(item["id"]) for item in body.get("inputs", [])]
    with_history = body.get("propertiesWithHistory") or []
    most = HISTORY_LIMIT if with_history else BATCH_LIMIT
    if len(ids) > most:
        return _error(400, "VALIDATION_ERROR", f"Too many inputs: at most {most}")
    archived = request.query_params.get("archived") == "true"
    rows = state.store.rows(PORTAL[object_type], state.clock, f"{_among('id', ids)} and {_archived_sql(archived)}")
    results = [_shaped(r, body.get("properties") or None) for r in rows]
    if with_history:
        history = _history(state, object_type, [r["id"] for r in rows], with_history)
        for record in results:
            record["propertiesWithHistory"] = history.get(record["id"], {})
    missing = sorted(set(ids) - {r["id"] for r in results})
    answer: dict[str, Any] = {"status": "COMPLETE", "results": results}
    if missing:  # HubSpot answers 207 Multi-Status, naming the ids it could not read
        error = {"status": "error", "category": "OBJECT_NOT_FOUND", "message": "Could not get some records"}
        answer |= {"numErrors": 1, "errors": [{**error, "context": {"ids": missing}}]}
    return JSONResponse(answer, status_code=207 if missing else 200)


async def association_batch_read(request: Request) -> Response:
    if (error := await _guard(request)) is not None:
        return error
    state: SandboxState = request.app.state.sandbox
    from_type, to_type = request.path_params["from_type"], request.path_params["to_type"]
    ids = [str(item["id"]) for item in (await request.json()).get("inputs", [])]
    if len(ids) > ASSOCIATION_BATCH_LIMIT:
        return _error(400, "VALIDATION_ERROR", f"Too many inputs: at most {ASSOCIATION_BATCH_LIMIT}")
    where = " and ".join(
        [_among("id", ids), _among(_field("fromObjectType"), [from_type]), _among(_field("toObjectType"), [to_type])]
    )
    rows = state.store.rows(PORTAL["associations"], state.clock, where)
    linked: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        linked.setdefault(row["fromId"], []).append(
            {
                "toObjectId": int(row["toId"]),
                "associationTypes": [{"category": row["category"], "typeId": row["associationTypeId"], "label": None}],
            }
        )
    results = [{"from": {"id": from_id}, "to": to} for from_id, to in sorted(linked.items())]
    return JSONResponse({"status": "COMPLETE", "results": results})


ROUTES = [
    Route("/account-info/v3/details", account_details),
    Route("/crm/v3/owners", _listing("owners")),
    Route("/crm/v3/owners/", _listing("owners")),
    Route("/crm/v3/pipelines/deals", deal_pipelines),
    Route("/crm/v3/properties/{object_type}", object_properties),
    Route("/settings/v3/currencies/exchange-rates", _listing("exchange_rates")),
    Route("/crm/v3/objects/{object_type}/search", search, methods=["POST"]),
    Route("/crm/v3/objects/{object_type}/batch/read", batch_read, methods=["POST"]),
    Route("/crm/v3/objects/{object_type}", list_objects),
    Route("/crm/v4/associations/{from_type}/{to_type}/batch/read", association_batch_read, methods=["POST"]),
]
