"""The source catalogue: every source system Leadflow reads (its connection, its objects, the
module that extracts them), how each object is read and how its versions are told apart.

The DAG has one extract task per object here, all of one shape; the raw layer one table per
object (schema ``raw_<system>``); a new object is a row here plus its staging model and source
entry, a new system an entry in :data:`SYSTEMS` (the README's recipe). ``file`` is where the
object lives in a fixture directory of the source contract (what the dev tools generate and serve).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from leadflow.raw import PageResult, RawStore


class Method(StrEnum):
    """How an object is read from its API."""

    SOQL = "soql"  # Salesforce: REST query pages, or a Bulk API 2.0 job above the bulk threshold
    LEAD_EXPORT = "lead_export"  # Marketo bulk lead export (CSV), windowed by updatedAt
    ACTIVITIES = "activities"  # Marketo activities from a paging token, REST pages
    ACTIVITY_TYPES = "activity_types"  # Marketo reference list, read whole
    PROGRAMS = "programs"  # Marketo asset API, read whole
    HUBSPOT = "hubspot"  # HubSpot: CRM search windowed by last change, history by batch read, lists
    SHEET = "sheet"  # a spreadsheet's tab, read whole every night (Google Sheets API, or a file)


@dataclass(frozen=True)
class SourceObject:
    system: str  # a SourceSystem's name
    name: str  # API object name
    file: str  # path inside a fixture directory
    key: str  # record key field
    stamp: str  # field that orders versions (or dates append-only rows)
    method: Method
    append_only: bool = False

    @property
    def task_id(self) -> str:
        """The object's extract task in the DAG."""
        return f"extract_{self.system}_{self.name.lower()}"


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


def _hubspot(name: str, stamp: str, append_only: bool = False, file: str | None = None) -> SourceObject:
    return SourceObject("hubspot", name, file or f"hubspot/{name}.jsonl", "id", stamp, Method.HUBSPOT, append_only)


# a history entry's id is its record, property, time and value; an association's its two ends and
# type (HubSpot gives neither an id of its own)
HUBSPOT_OBJECTS: tuple[SourceObject, ...] = (
    _hubspot("owners", "updatedAt"),
    _hubspot("contacts", "updatedAt"),
    _hubspot("contacts_history", "timestamp", append_only=True),
    _hubspot("deals", "updatedAt"),
    _hubspot("deals_history", "timestamp", append_only=True),
    _hubspot("calls", "updatedAt"),
    _hubspot("emails", "updatedAt"),
    _hubspot("meetings", "updatedAt"),
    _hubspot("tasks", "updatedAt"),
    _hubspot("associations", "createdAt", append_only=True),
    _hubspot("exchange_rates", "updatedAt"),
    _hubspot("pipelines", "", append_only=True, file="hubspot/pipelines.json"),
    _hubspot("account", "", append_only=True, file="hubspot/account.json"),
)


# A lead sheet's tabs (the template in templates/lead-sheet/): read whole every night, each read
# stored as one version per row stamped with the night's as-of (the sheet keeps no history of its
# own: its nightly reads are its history); a rate is keyed by its currency and start date
SHEET_OBJECTS: tuple[SourceObject, ...] = (
    SourceObject("sheet", "Leads", "sheet/Leads.csv", "lead_id", "_night", Method.SHEET),
    SourceObject("sheet", "Owners", "sheet/Owners.csv", "email", "_night", Method.SHEET),
    SourceObject("sheet", "Rates", "sheet/Rates.csv", "rate_id", "_night", Method.SHEET),
)


class Extract(Protocol):
    """A system's extractor: lands one object's changes since its watermark in raw, reading the
    API through the Airflow connection ``conn_id``."""

    def __call__(self, conn_id: str, store: RawStore, obj: SourceObject, run_id: str) -> PageResult: ...


@dataclass(frozen=True)
class SourceSystem:
    name: str  # raw schema raw_<name>, staging folder models/staging/<name>
    title: str  # as people name it
    connection_id: str  # the Airflow connection; without it, the system's objects are skipped
    objects: tuple[SourceObject, ...]
    extractor: str  # the module whose ``extract`` (:class:`Extract`) reads the objects

    def extract(self) -> Extract:
        """The extractor, imported when a task runs (parsing the DAG imports no API client)."""
        return importlib.import_module(self.extractor).extract


SYSTEMS: tuple[SourceSystem, ...] = (
    SourceSystem("salesforce", "Salesforce", "salesforce_default", SALESFORCE_OBJECTS, "leadflow.extract.salesforce"),
    SourceSystem("marketo", "Marketo", "marketo_default", MARKETO_OBJECTS, "leadflow.extract.marketo"),
    SourceSystem("hubspot", "HubSpot", "hubspot_default", HUBSPOT_OBJECTS, "leadflow.extract.hubspot"),
    SourceSystem("sheet", "Lead sheet", "sheet_default", SHEET_OBJECTS, "leadflow.extract.sheet"),
)

ALL_OBJECTS: tuple[SourceObject, ...] = tuple(obj for system in SYSTEMS for obj in system.objects)


class UnknownSourceSystem(KeyError):
    """A system name the catalogue does not hold."""


def source_system(name: str) -> SourceSystem:
    for system in SYSTEMS:
        if system.name == name:
            return system
    raise UnknownSourceSystem(f"source system {name!r} is not in the source catalogue (leadflow/sources.py)")


def source_object(system: str, name: str) -> SourceObject:
    """The catalogue's object of ``system`` named ``name`` (in any case, as Salesforce's are)."""
    for obj in source_system(system).objects:
        if obj.name.lower() == name.lower():
            return obj
    raise UnknownSourceObject(f"{system} object {name!r} is not in the source catalogue (leadflow/sources.py)")
