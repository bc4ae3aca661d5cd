"""The generator's world rendered as a HubSpot portal (``../shared/docs/hubspot-contract.md``).

The generator renders one world as Salesforce + Marketo; :func:`render` renders the same world
as HubSpot, record for record: leads become contacts (numeric string ids, a property history
entry for every status, owner, source and rejection-reason change, backward lifecycle moves
written as a clear then the value), users become owners (no time zone: each one's goes in the
org's ``owner_time_zones.csv``), opportunities deals (their stages a pipeline), tasks
engagements, the Marketo person's form fills and score changes history entries, and dated rates
HubSpot's exchange rates. The portal's ``org_config/`` names its custom properties and statuses.

What HubSpot cannot hold (campaigns, an account per deal, a Marketo source with no HubSpot
analytics source) :func:`expressible` takes out of the world first, so that the two renderings
of the result must give equal marts (``tests/test_hubspot_rendering.py``).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from leadflow.settings import PROJECT_ROOT
from leadflow.timefmt import parse_instant

# Salesforce Status -> (HubSpot status property, value)
STATUS = {
    "New": ("lifecyclestage", "lead"),
    "MQL": ("lifecyclestage", "marketingqualifiedlead"),
    "Accepted": ("hs_lead_status", "IN_PROGRESS"),
    "Rejected": ("hs_lead_status", "UNQUALIFIED"),
    "SQL": ("lifecyclestage", "salesqualifiedlead"),
    "Converted": ("lifecyclestage", "opportunity"),
    "Nurture": ("lifecyclestage", "other"),
}
LIFECYCLE_ORDER = [
    "subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer", "evangelist",
    "other",
]  # fmt: skip
# the custom contact properties the org's lead_fields.csv names, from the Salesforce fields
CUSTOM = {
    "MQL_Date__c": ("mql_stamp", "mql_date"),
    "Routed_Date__c": ("routed_stamp", "routed_date"),
    "First_Touch_Date__c": ("first_touch_stamp", "first_touch_date"),
    "Accepted_Date__c": ("accepted_stamp", "accepted_date"),
    "Rejected_Date__c": ("rejected_stamp", "rejected_date"),
    "SQL_Date__c": ("sql_stamp", "sql_date"),
    "Rejection_Reason__c": ("rejection_reason", "rejection_reason"),
    "Lead_Score__c": ("mql_score", "lead_score"),
}
# HubSpot's analytics source for each canonical source it has one for (the shipped aliases' inverse)
ANALYTICS_SOURCE = {
    "Paid Search": "PAID_SEARCH",
    "Paid Social": "PAID_SOCIAL",
    "Referral": "REFERRALS",
    "Website": "DIRECT_TRAFFIC",
    "Event": "OFFLINE",
    "Webinar": "OTHER_CAMPAIGNS",
    "Content Syndication": "EMAIL_MARKETING",
}
ENGAGEMENT = {"Call": ("calls", 194), "Email": ("emails", 198)}
TASK_ASSOCIATION = 204
FORM, SCORE = "Fill Out Form", "Change Score"


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if path.exists():
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def _instant(value: str | None) -> str | None:
    """A Salesforce or Marketo datetime as HubSpot writes one: ISO 8601 UTC with milliseconds."""
    if not value:
        return None
    return parse_instant(value).strftime("%Y-%m-%dT%H:%M:%S.") + f"{parse_instant(value).microsecond // 1000:03d}Z"


def _earlier(instant: str, ms: int = 1) -> str:
    moment = parse_instant(instant) - timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _text(value: Any) -> str | None:
    """A property value as HubSpot sends it: a string, or null."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _share(percent: float | None) -> float | None:
    """A Salesforce probability (percent) as HubSpot's (a share of one)."""
    return None if percent is None else percent / 100


def _canonical_sources() -> dict[str, str]:
    with (PROJECT_ROOT / "dbt_project" / "seeds" / "source_aliases.csv").open(encoding="utf-8") as handle:
        return {row["source_alias"]: row["canonical_source"] for row in csv.DictReader(handle)}


def _analytics_source(value: str | None, aliases: dict[str, str]) -> str | None:
    """HubSpot's analytics source for a Marketo lead source: the code of its canonical source."""
    if value is None or not value.strip():
        return None
    return ANALYTICS_SOURCE.get(aliases.get(value.strip().lower(), value.strip()))


def expressible(fixture: Path, out: Path) -> None:
    """A copy of the Salesforce + Marketo world ``fixture`` holding only what a HubSpot portal can,
    and everything it holds: no campaigns (nor an opportunity's campaign), a Marketo lead source
    only where HubSpot has an analytics source for its canonical source, and a Status history
    row for every Status change (HubSpot writes an entry for every change; Salesforce's field
    history can miss one, as the generator's world does)."""
    shutil.copytree(fixture, out)
    history_file = out / "salesforce" / "LeadHistory.jsonl"
    history = list(_jsonl(history_file))
    recorded: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    for row in history:
        if row["Field"] == "Status":
            recorded[row["LeadId"]].append((row["NewValue"], parse_instant(row["CreatedDate"])))
    for lead_id, versions in _versions(_jsonl(out / "salesforce" / "Lead.jsonl")).items():
        for before, after in zip(versions, versions[1:], strict=False):
            if before.get("Status") == after.get("Status"):
                continue
            start, end = parse_instant(before["SystemModstamp"]), parse_instant(after["SystemModstamp"])
            if not any(value == after["Status"] and start < at <= end for value, at in recorded[lead_id]):
                history.append(
                    {
                        "Id": f"017filled{len(history):09d}",
                        "LeadId": lead_id,
                        "Field": "Status",
                        "OldValue": before.get("Status"),
                        "NewValue": after.get("Status"),
                        "CreatedById": None,
                        "CreatedDate": after["SystemModstamp"],
                        "IsDeleted": False,
                    }
                )
    _write_jsonl(history_file, history)
    for name in ("Campaign", "CampaignMember"):
        (out / "salesforce" / f"{name}.jsonl").write_text("")
    opportunities = out / "salesforce" / "Opportunity.jsonl"
    _write_jsonl(opportunities, [{**o, "CampaignId": None} for o in list(_jsonl(opportunities))])
    aliases = _canonical_sources()
    leads = out / "marketo" / "leads.jsonl"
    rows = list(_jsonl(leads))
    for row in rows:
        row["leadSource"] = row["leadSource"] if _analytics_source(row.get("leadSource"), aliases) else None
    _write_jsonl(leads, rows)


class _Ids:
    """Numeric string ids for a kind of record, in order of first appearance."""

    def __init__(self, base: int) -> None:
        self.base, self.ids = base, {}

    def __call__(self, source_id: str) -> str:
        return self.ids.setdefault(source_id, str(self.base + len(self.ids) + 1))


def _grouped(rows: Iterable[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped


def _versions(rows: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each record's versions, oldest first (a fixture's file need not hold them in that order:
    the public one does not)."""
    grouped = _grouped(rows, "Id")
    return {
        record_id: sorted(vs, key=lambda v: parse_instant(v["SystemModstamp"])) for record_id, vs in grouped.items()
    }


def _record(record_id: str, properties: dict[str, Any], created: str, updated: str, deleted: bool) -> dict[str, Any]:
    return {
        "id": record_id,
        "properties": properties,
        "createdAt": created,
        "updatedAt": updated,
        "archived": deleted,
        "archivedAt": updated if deleted else None,
    }


def _entry(object_id: str, name: str, value: Any, at: str, source_type: str = "CRM_UI") -> dict[str, Any]:
    return {
        "objectId": object_id,
        "property": name,
        "value": "" if value is None else _text(value),
        "timestamp": at,
        "sourceType": source_type,
        "sourceId": None,
        "updatedByUserId": None,
    }


class _Portal:
    def __init__(self, fixture: Path) -> None:
        self.fixture = fixture
        self.contact, self.deal, self.owner = _Ids(10_000_000_000), _Ids(20_000_000_000), _Ids(100_000_000)
        self.engagement = _Ids(40_000_000_000)
        self.files: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.aliases = _canonical_sources()

    def sf(self, name: str) -> list[dict[str, Any]]:
        return list(_jsonl(self.fixture / "salesforce" / f"{name}.jsonl"))

    def owners(self) -> None:
        for user_id, versions in _versions(self.sf("User")).items():
            for user in versions:
                first, _, last = (user.get("Name") or "").rpartition(" ")
                self.files["owners"].append(
                    {
                        "id": self.owner(user_id),
                        "userId": int(self.owner(user_id)) + 5_000_000,
                        "userIdIncludingInactive": int(self.owner(user_id)) + 5_000_000,
                        "email": user.get("Email"),
                        "firstName": first or last,
                        "lastName": last if first else "",
                        "type": "PERSON",
                        "archived": user.get("IsActive") is False,
                        "teams": _teams(self.owner(user_id), user.get("Department")),
                        "createdAt": _instant(user["CreatedDate"]),
                        "updatedAt": _instant(user["SystemModstamp"]),
                    }
                )

    def owner_id(self, sf_id: str | None) -> str | None:
        return self.owner(sf_id) if sf_id and sf_id.startswith("005") else None

    def contacts(self, marketo: dict[str, dict[str, Any]], activities: dict[int, list[dict[str, Any]]]) -> None:
        history = _grouped(self.sf("LeadHistory"), "LeadId")
        for lead_id, versions in _versions(self.sf("Lead")).items():
            contact = self.contact(lead_id)
            created = _instant(versions[0]["CreatedDate"])
            person = marketo.get(lead_id)
            for lead in versions:
                status = STATUS.get(lead.get("Status"), ("hs_lead_status", lead.get("Status")))
                properties = {
                    "firstname": lead.get("FirstName"),
                    "lastname": lead.get("LastName"),
                    "email": lead.get("Email"),
                    "company": lead.get("Company"),
                    "jobtitle": lead.get("Title"),
                    "country": lead.get("Country"),
                    "industry": lead.get("Industry"),
                    "numberofemployees": _text(lead.get("NumberOfEmployees")),
                    "lifecyclestage": status[1] if status[0] == "lifecyclestage" else None,
                    "hs_lead_status": status[1] if status[0] == "hs_lead_status" else None,
                    "hubspot_owner_id": self.owner_id(lead.get("OwnerId")),
                    "lead_source": lead.get("LeadSource"),
                    "hs_analytics_source": _analytics_source((person or {}).get("leadSource"), self.aliases),
                    **{name: _text(lead.get(field)) for field, (_, name) in CUSTOM.items()},
                    "createdate": created,
                    "lastmodifieddate": _instant(lead["SystemModstamp"]),
                    "hs_object_id": contact,
                }
                for role, name in CUSTOM.values():
                    if role.endswith("_stamp") and properties[name]:
                        properties[name] = _instant(properties[name])
                updated, deleted = _instant(lead["SystemModstamp"]), bool(lead.get("IsDeleted"))
                self.files["contacts"].append(_record(contact, properties, created, updated, deleted))
            self.files["contacts_history"] += self._contact_history(contact, versions, history.get(lead_id, []))
            if person:
                self.files["contacts_history"] += self._marketing(contact, activities.get(person["id"], []))
            self._converted(contact, versions)

    def _contact_history(
        self, contact: str, versions: list[dict[str, Any]], rows: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Entries at creation for what the lead was created with, then one per Salesforce history
        row of Status, owner (its id row) and source; the rejection reason at each version that
        changed it. A backward lifecycle move is a clear, 1 ms earlier, then the value."""
        first, created = versions[0], _instant(versions[0]["CreatedDate"])
        entries: list[dict[str, Any]] = []
        lifecycle: list[str | None] = [None]

        def status(value: str | None, at: str) -> None:
            field, hubspot = STATUS.get(value or "", ("hs_lead_status", value))
            backward = field == "lifecyclestage" and lifecycle[0] and hubspot in LIFECYCLE_ORDER
            if backward and LIFECYCLE_ORDER.index(hubspot) < LIFECYCLE_ORDER.index(lifecycle[0]):
                entries.append(_entry(contact, field, "", _earlier(at)))
            if field == "lifecyclestage":
                lifecycle[0] = hubspot
            entries.append(_entry(contact, field, hubspot, at))

        status(first.get("Status"), created)
        if owner := self.owner_id(first.get("OwnerId")):
            entries.append(_entry(contact, "hubspot_owner_id", owner, created))
        if first.get("LeadSource"):
            entries.append(_entry(contact, "lead_source", first["LeadSource"], created, "FORM"))
        for row in sorted(rows, key=lambda r: parse_instant(r["CreatedDate"])):
            at = _instant(row["CreatedDate"])
            if row["Field"] == "Status":
                status(row.get("NewValue"), at)
            elif row["Field"] == "Owner" and (row.get("NewValue") or "")[:3] in ("005", "00G"):
                entries.append(_entry(contact, "hubspot_owner_id", self.owner_id(row.get("NewValue")), at))
            elif row["Field"] == "LeadSource":
                entries.append(_entry(contact, "lead_source", row.get("NewValue"), at))
        reason = None
        for lead in versions:
            if lead.get("Rejection_Reason__c") != reason:
                reason = lead.get("Rejection_Reason__c")
                entries.append(_entry(contact, "rejection_reason", reason, _instant(lead["SystemModstamp"])))
        return sorted(entries, key=lambda e: parse_instant(e["timestamp"]))

    def _marketing(self, contact: str, activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The Marketo person's form fills and score changes, as the entries HubSpot writes."""
        entries = []
        for activity in sorted(activities, key=lambda a: (parse_instant(a["activityDate"]), a["id"])):
            at = _instant(activity["activityDate"])
            if activity["type"] == FORM:
                form = activity["primaryAttributeValue"]
                entries.append(_entry(contact, "recent_conversion_event_name", form, at, "FORM"))
            elif activity["type"] == SCORE:
                entries.append(_entry(contact, "hubspotscore", str(activity["id"] % 100), at, "CALCULATED"))
        return entries

    def _converted(self, contact: str, versions: list[dict[str, Any]]) -> None:
        """A converted lead's opportunity, associated both ways from when the lead converted."""
        converted = next((v for v in versions if v.get("IsConverted") and v.get("ConvertedOpportunityId")), None)
        if converted:
            deal, at = self.deal(converted["ConvertedOpportunityId"]), _instant(converted["SystemModstamp"])
            self.files["associations"] += [
                _association("contacts", contact, "deals", deal, 4, at),
                _association("deals", deal, "contacts", contact, 3, at),
            ]

    def deals(self) -> None:
        versions_by_id = _versions(self.sf("Opportunity"))
        stages: dict[str, dict[str, Any]] = {}
        for version in (v for vs in versions_by_id.values() for v in vs):
            stage = stages.setdefault(version["StageName"], {"closed": False, "won": False, "probability": None})
            stage["closed"] |= bool(version.get("IsClosed"))
            stage["won"] |= bool(version.get("IsWon"))
            if stage["probability"] is None and version.get("Probability") is not None:
                stage["probability"] = version["Probability"] / 100
        stage_ids = {name: str(180_000_000 + n) for n, name in enumerate(stages)}
        for opportunity_id, versions in versions_by_id.items():
            deal = self.deal(opportunity_id)
            created = _instant(versions[0]["CreatedDate"])
            for o in versions:
                close = f"{o['CloseDate']}T00:00:00.000Z" if o.get("CloseDate") else None
                properties = {
                    "dealname": o.get("Name"),
                    "amount": _text(o.get("Amount")),
                    "deal_currency_code": o.get("CurrencyIsoCode"),
                    "closedate": close,
                    "dealstage": stage_ids[o["StageName"]],
                    "pipeline": "default",
                    "hs_deal_stage_probability": _text(_share(o.get("Probability"))),
                    "hs_is_closed": _text(bool(o.get("IsClosed"))),
                    "hs_is_closed_won": _text(bool(o.get("IsWon"))),
                    "closed_lost_reason": o.get("Loss_Reason__c"),
                    "hs_next_step": o.get("NextStep"),
                    "hubspot_owner_id": self.owner_id(o.get("OwnerId")),
                    "dealtype": o.get("Type"),
                    "lead_source": o.get("LeadSource"),
                    "business_problem": o.get("Business_Problem__c"),
                    "use_case": o.get("Use_Case__c"),
                    "createdate": created,
                    "hs_lastmodifieddate": _instant(o["SystemModstamp"]),
                    "hs_object_id": deal,
                }
                self.files["deals"].append(
                    _record(deal, properties, created, _instant(o["SystemModstamp"]), bool(o.get("IsDeleted")))
                )
        for row in sorted(self.sf("OpportunityHistory"), key=lambda r: parse_instant(r["CreatedDate"])):
            if row.get("IsDeleted"):
                continue
            deal, at = self.deal(row["OpportunityId"]), _instant(row["CreatedDate"])
            close = f"{row['CloseDate']}T00:00:00.000Z" if row.get("CloseDate") else None
            probability = _share(row.get("Probability"))
            for name, value in (
                ("dealstage", stage_ids.get(row["StageName"])),
                ("amount", row.get("Amount")),
                ("closedate", close),
                ("hs_deal_stage_probability", probability),
            ):
                self.files["deals_history"].append(_entry(deal, name, value, at))
        self.pipelines = {
            "results": [
                {
                    "id": "default",
                    "label": "Sales Pipeline",
                    "displayOrder": 0,
                    "archived": False,
                    "stages": [
                        {
                            "id": stage_ids[name],
                            "label": name,
                            "displayOrder": n,
                            "archived": False,
                            "metadata": {
                                "isClosed": _text(stage["closed"]),
                                "probability": "1.0" if stage["won"] else _text(stage["probability"] or 0.0),
                            },
                        }
                        for n, (name, stage) in enumerate(stages.items())
                    ],
                }
            ]
        }

    def engagements(self) -> None:
        for task_id, versions in _versions(self.sf("Task")).items():
            kind, association = ENGAGEMENT.get(versions[0].get("TaskSubtype") or "", ("tasks", TASK_ASSOCIATION))
            engagement, created = self.engagement(task_id), _instant(versions[0]["CreatedDate"])
            for task in versions:
                properties = {
                    "hs_timestamp": created,
                    "hubspot_owner_id": self.owner_id(task.get("OwnerId")),
                    "hs_createdate": created,
                    "hs_lastmodifieddate": _instant(task["SystemModstamp"]),
                    "hs_object_id": engagement,
                    **({"hs_task_subject": task.get("Subject"), "hs_task_type": "TODO"} if kind == "tasks" else {}),
                }
                updated = _instant(task["SystemModstamp"])
                self.files[kind].append(_record(engagement, properties, created, updated, bool(task.get("IsDeleted"))))
            if versions[0].get("WhoId"):
                contact = self.contact(versions[0]["WhoId"])
                self.files["associations"].append(
                    _association(kind, engagement, "contacts", contact, association, created)
                )

    def exchange_rates(self) -> None:
        for n, rate in enumerate(self.sf("DatedConversionRate")):
            self.files["exchange_rates"].append(
                {
                    "id": str(710_000_000 + n),
                    "fromCurrencyCode": rate["IsoCode"],
                    "toCurrencyCode": "USD",
                    "conversionRate": 1 / rate["ConversionRate"],
                    "effectiveAt": f"{rate['StartDate']}T00:00:00.000Z",
                    "createdAt": _instant(rate["CreatedDate"]),
                    "updatedAt": _instant(rate["SystemModstamp"]),
                    "visibleInUI": True,
                }
            )


def _teams(owner_id: str, department: str | None) -> list[dict[str, Any]]:
    """A user's department as the owner's primary team."""
    return [{"id": "33" + owner_id[-5:], "name": department, "primary": True}] if department else []


def _association(from_type: str, from_id: str, to_type: str, to_id: str, type_id: int, at: str) -> dict[str, Any]:
    return {
        "fromObjectType": from_type,
        "fromId": from_id,
        "toObjectType": to_type,
        "toId": to_id,
        "associationTypeId": type_id,
        "category": "HUBSPOT_DEFINED",
        "createdAt": at,
    }


def _marketo(fixture: Path) -> tuple[dict[str, dict[str, Any]], dict[int, list[dict[str, Any]]]]:
    """Each Salesforce lead's linked Marketo person (the lowest id), and each person's form fills
    and score changes."""
    people: dict[str, dict[str, Any]] = {}
    for person in sorted(_jsonl(fixture / "marketo" / "leads.jsonl"), key=lambda p: p["id"]):
        if person.get("sfdcLeadId"):
            people.setdefault(person["sfdcLeadId"], person)
    types = {t["id"]: t["name"] for t in _jsonl(fixture / "marketo" / "activity_types.jsonl")}
    activities: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for activity in _jsonl(fixture / "marketo" / "activities.jsonl"):
        if types.get(activity["activityTypeId"]) in (FORM, SCORE):
            activities[activity["leadId"]].append({**activity, "type": types[activity["activityTypeId"]]})
    return people, activities


def _org_config(fixture: Path) -> dict[str, str]:
    """The portal's configuration folder: its custom properties, and its owners' time zones."""
    fields = io.StringIO()
    writer = csv.writer(fields, lineterminator="\n")
    writer.writerow(["role", "field"])
    for role, name in CUSTOM.values():
        writer.writerow([role, name])
    writer.writerows([["lead_source", "lead_source"], ["employee_count", "numberofemployees"]])
    zones = io.StringIO()
    writer = csv.writer(zones, lineterminator="\n")
    writer.writerow(["owner_email", "time_zone"])
    seen: dict[str, str] = {}
    for user in _jsonl(fixture / "salesforce" / "User.jsonl"):
        if user.get("Email") and user.get("TimeZoneSidKey"):
            seen[user["Email"]] = user["TimeZoneSidKey"]
    writer.writerows(sorted(seen.items()))
    return {"lead_fields.csv": fields.getvalue(), "owner_time_zones.csv": zones.getvalue()}


def render(fixture: Path, out: Path) -> dict[str, Any]:
    """The Salesforce + Marketo world ``fixture`` rendered as a HubSpot portal in ``out`` (with its
    ``org_config/`` and ``id_map.json``: each HubSpot id's Salesforce id); its manifest."""
    source = json.loads((fixture / "manifest.json").read_text())
    portal = _Portal(fixture)
    portal.owners()
    people, activities = _marketo(fixture)
    portal.contacts(people, activities)
    portal.deals()
    portal.engagements()
    portal.exchange_rates()
    hubspot = out / "hubspot"
    counts = {}
    for name in (
        "owners", "contacts", "contacts_history", "deals", "deals_history", "calls", "emails", "meetings", "tasks",
        "associations", "exchange_rates",
    ):  # fmt: skip
        counts[f"hubspot/{name}.jsonl"] = _write_jsonl(hubspot / f"{name}.jsonl", portal.files.get(name, []))
    (hubspot / "pipelines.json").write_text(json.dumps(portal.pipelines, indent=1))
    account = {
        "portalId": 24_916_648,
        "accountType": "STANDARD",
        "timeZone": "UTC",  # a Salesforce user without a zone has UTC clocks
        "companyCurrency": "USD",
        "additionalCurrencies": sorted({r["IsoCode"] for r in portal.sf("DatedConversionRate")} - {"USD"}),
        "utcOffset": "+00:00",
        "uiDomain": "app.hubspot.com",
        "dataHostingLocation": "na1",
    }
    (hubspot / "account.json").write_text(json.dumps(account, indent=1))
    (out / "org_config").mkdir(parents=True, exist_ok=True)
    for name, text in _org_config(fixture).items():
        (out / "org_config" / name).write_text(text)
    ids = {**portal.contact.ids, **portal.deal.ids, **portal.owner.ids, **portal.engagement.ids}
    (out / "id_map.json").write_text(json.dumps({hubspot_id: sf_id for sf_id, hubspot_id in ids.items()}))
    manifest = {
        "as_of": source["as_of"],
        "crm": "hubspot",
        "seed": source.get("seed"),
        "generator": "leadflow_dev.hubspot_render: the generator's world rendered as a HubSpot portal",
        "counts": counts,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest
