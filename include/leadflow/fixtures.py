"""The fixture directory format of the source contract: which file holds which object.

Shared by the generator (which writes fixtures) and the sandbox (which serves them).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FixtureObject:
    system: str  # "salesforce" | "marketo"
    name: str  # API object name
    file: str  # path inside the fixture directory
    key: str  # record key field
    stamp: str  # field that orders versions (or dates append-only rows)
    append_only: bool = False


SALESFORCE_OBJECTS: tuple[FixtureObject, ...] = (
    FixtureObject("salesforce", "User", "salesforce/User.jsonl", "Id", "SystemModstamp"),
    FixtureObject("salesforce", "Group", "salesforce/Group.jsonl", "Id", "SystemModstamp"),
    FixtureObject("salesforce", "Account", "salesforce/Account.jsonl", "Id", "SystemModstamp"),
    FixtureObject("salesforce", "Lead", "salesforce/Lead.jsonl", "Id", "SystemModstamp"),
    FixtureObject("salesforce", "LeadHistory", "salesforce/LeadHistory.jsonl", "Id", "CreatedDate", True),
    FixtureObject("salesforce", "Opportunity", "salesforce/Opportunity.jsonl", "Id", "SystemModstamp"),
    FixtureObject("salesforce", "Task", "salesforce/Task.jsonl", "Id", "SystemModstamp"),
    FixtureObject("salesforce", "Campaign", "salesforce/Campaign.jsonl", "Id", "SystemModstamp"),
    FixtureObject("salesforce", "CampaignMember", "salesforce/CampaignMember.jsonl", "Id", "SystemModstamp"),
)

MARKETO_OBJECTS: tuple[FixtureObject, ...] = (
    FixtureObject("marketo", "leads", "marketo/leads.jsonl", "id", "updatedAt"),
    FixtureObject("marketo", "activities", "marketo/activities.jsonl", "id", "activityDate", True),
    FixtureObject("marketo", "activity_types", "marketo/activity_types.jsonl", "id", "", True),
    FixtureObject("marketo", "programs", "marketo/programs.jsonl", "id", "updatedAt"),
)

ALL_OBJECTS: tuple[FixtureObject, ...] = SALESFORCE_OBJECTS + MARKETO_OBJECTS


def salesforce_object(name: str) -> FixtureObject:
    for obj in SALESFORCE_OBJECTS:
        if obj.name.lower() == name.lower():
            return obj
    raise KeyError(name)
