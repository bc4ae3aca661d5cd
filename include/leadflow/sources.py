"""The source catalogue: every Salesforce and Marketo object Leadflow extracts, how it is read
and how its versions are told apart.

The DAG has one extract task per object here; the raw layer one table per object; a new object
is a row here plus its staging model and source entry. ``file`` is where the object lives in a
fixture directory of the source contract (what the dev tools generate and serve).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Method(StrEnum):
    """How an object is read from its API."""

    SOQL = "soql"  # Salesforce: REST query pages, or a Bulk API 2.0 job above the bulk threshold
    LEAD_EXPORT = "lead_export"  # Marketo bulk lead export (CSV), windowed by updatedAt
    ACTIVITIES = "activities"  # Marketo activities from a paging token, REST pages
    ACTIVITY_TYPES = "activity_types"  # Marketo reference list, read whole
    PROGRAMS = "programs"  # Marketo asset API, read whole


@dataclass(frozen=True)
class SourceObject:
    system: str  # "salesforce" | "marketo"
    name: str  # API object name
    file: str  # path inside a fixture directory
    key: str  # record key field
    stamp: str  # field that orders versions (or dates append-only rows)
    method: Method
    append_only: bool = False


class UnknownSourceObject(KeyError):
    """An object name the catalogue does not hold."""


def _salesforce(name: str, stamp: str = "SystemModstamp", append_only: bool = False) -> SourceObject:
    return SourceObject("salesforce", name, f"salesforce/{name}.jsonl", "Id", stamp, Method.SOQL, append_only)


SALESFORCE_OBJECTS: tuple[SourceObject, ...] = (
    _salesforce("User"),
    _salesforce("Group"),
    _salesforce("Account"),
    _salesforce("Lead"),
    _salesforce("LeadHistory", "CreatedDate", append_only=True),
    _salesforce("Opportunity"),
    _salesforce("OpportunityHistory", "CreatedDate", append_only=True),
    _salesforce("DatedConversionRate"),
    _salesforce("Task"),
    _salesforce("Campaign"),
    _salesforce("CampaignMember"),
)

MARKETO_OBJECTS: tuple[SourceObject, ...] = (
    SourceObject("marketo", "leads", "marketo/leads.jsonl", "id", "updatedAt", Method.LEAD_EXPORT),
    SourceObject("marketo", "activities", "marketo/activities.jsonl", "id", "activityDate", Method.ACTIVITIES, True),
    SourceObject("marketo", "activity_types", "marketo/activity_types.jsonl", "id", "", Method.ACTIVITY_TYPES, True),
    SourceObject("marketo", "programs", "marketo/programs.jsonl", "id", "updatedAt", Method.PROGRAMS),
)

ALL_OBJECTS: tuple[SourceObject, ...] = SALESFORCE_OBJECTS + MARKETO_OBJECTS


def source_object(system: str, name: str) -> SourceObject:
    """The catalogue's object of ``system`` named ``name`` (Salesforce names in any case)."""
    for obj in ALL_OBJECTS:
        if obj.system == system and (obj.name == name or (system == "salesforce" and obj.name.lower() == name.lower())):
            return obj
    raise UnknownSourceObject(f"{system} object {name!r} is not in the source catalogue (leadflow/sources.py)")
