"""The files of a HubSpot fixture directory (``hubspot-contract.md`` section 1) as the sandbox
indexes them: each a record-version file (versions by ``updatedAt``, a version with ``archived``
true is the record archived) or an append-only file (a row exists once its date has passed)."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.extract.hubspot import MODIFIED

# HubSpot's object types the CRM endpoints serve, with the property that is their last change
OBJECT_TYPES = MODIFIED


@dataclass(frozen=True)
class PortalFile:
    """One file of a HubSpot fixture, shaped as the sandbox's store indexes a catalogue object."""

    name: str
    key: str
    stamp: str
    append_only: bool = False
    system: str = "hubspot"

    @property
    def file(self) -> str:
        return f"hubspot/{self.name}.jsonl"


PORTAL_FILES: tuple[PortalFile, ...] = (
    *(PortalFile(name, "id", "updatedAt") for name in OBJECT_TYPES),
    PortalFile("owners", "id", "updatedAt"),
    PortalFile("exchange_rates", "id", "updatedAt"),
    PortalFile("contacts_history", "objectId", "timestamp", append_only=True),
    PortalFile("deals_history", "objectId", "timestamp", append_only=True),
    PortalFile("associations", "fromId", "createdAt", append_only=True),
)
PORTAL = {portal_file.name: portal_file for portal_file in PORTAL_FILES}
