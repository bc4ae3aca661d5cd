"""A local HTTPS server that speaks the Salesforce, Marketo and HubSpot API subsets of the source
contracts.

It serves a fixture directory as of a movable clock and can inject faults. Extraction code
talks to it exactly as it talks to a real org: it does not know it is a sandbox. Each vendor's
endpoints live in a module of its own (:mod:`.salesforce`, :mod:`.marketo`); administrative
endpoints (``/__sandbox/...``) move the clock and set faults; no client uses them.
"""

from __future__ import annotations

from datetime import UTC
from email.utils import format_datetime

from leadflow.timefmt import marketo_format, parse_instant
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadflow_dev.sandbox import hubspot, marketo, salesforce, sheets
from leadflow_dev.sandbox.faults import FaultPlan
from leadflow_dev.sandbox.state import SandboxState


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


class SourceDate:
    """Every answer's ``Date`` header says the sandbox's clock, as a vendor's says its own time
    (the server is started without uvicorn's own ``Date``): a night reads where its window ends
    from it."""

    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def dated(message: Message) -> None:
            if message["type"] == "http.response.start":
                date = format_datetime(self.state.clock.astimezone(UTC), usegmt=True).encode()
                message["headers"] = [*message.get("headers", []), (b"date", date)]
            await send(message)

        await self.app(scope, receive, dated if scope["type"] == "http" else send)


def create_app(state: SandboxState) -> Starlette:
    routes = [
        *salesforce.ROUTES,
        *marketo.ROUTES,
        *hubspot.ROUTES,
        *sheets.ROUTES,
        Route("/__sandbox/clock", admin_clock, methods=["GET", "POST"]),
        Route("/__sandbox/faults", admin_faults, methods=["GET", "POST"]),
        Route("/__sandbox/drift", admin_drift, methods=["POST"]),
        Route("/__sandbox/health", health),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(SourceDate, state=state)
    app.state.sandbox = state
    return app
