"""What the sandbox's two vendors share: the served state (fixture, clock, tokens, jobs, faults)
and the check every API call passes first (authentication, then the fault plan)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from leadflow_dev.sandbox.faults import FaultPlan
from leadflow_dev.sandbox.store import FixtureStore

if TYPE_CHECKING:
    from leadflow_dev.sandbox.sheets import LeadSheet

SF_PAGE_SIZE = 2000


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
    sheet: LeadSheet | None = None  # a lead sheet over the Sheets API, when the fixture holds one

    def __post_init__(self) -> None:
        # HubSpot has no token exchange: a private app's token (or a service key) is the Bearer
        # itself; the sandbox's is its client secret
        self.tokens.setdefault(self.client_secret, "hubspot")

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


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.query_params.get("access_token")


async def check(request: Request, system: str) -> str | None:
    """Authenticate, then apply the fault plan: None to serve the call, else what to answer
    instead, which each vendor words its own way: ``missing`` or ``invalid`` token, ``expired``
    (the token is revoked), ``drop`` (the connection dies mid-answer, as a response object is
    needed for that, :class:`DroppedConnection`), ``limit``, or an HTTP status (``429``, ``503``)."""
    state: SandboxState = request.app.state.sandbox
    token = bearer(request)
    if not token:
        return "missing"
    if state.tokens.get(token) != system:
        return "invalid"
    fault = state.faults.next_fault()
    if fault is None:
        return None
    if fault == "slow":
        await asyncio.sleep(state.faults.slow_seconds)
        return None
    if fault == "expire":
        state.tokens.pop(token, None)
        return "expired"
    return fault
