"""``leadflow doctor``: does the lifecycle configuration fit the org Leadflow is pointed at?

For each source system with a connection (a Salesforce org, a HubSpot portal) it reads the
fields of a lead (Salesforce's Lead describe; HubSpot's contact properties) with the values of
their picklists, and the configuration that maps them onto the lifecycle (the seeds as the night
reads them, the org's configuration folder composed over the shipped ones: ``lead_status_stages``
field, value -> stage; ``lead_fields`` role -> field; ``owner_time_zones``), and says in plain
words what does not fit (a lead sheet is read whole, as a night reads it: its missing columns,
bad cells and owners the Owners tab lacks too): a status value no stage is given (those leads would fall out of every
stage), a configured field the org does not have (the night then reads nothing there), a stage no
status value reaches, a HubSpot owner without a time zone. Nothing here stops a night; it tells
the person configuring Leadflow what to change, and where.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STAGES = ("new", "mql", "accepted", "rejected", "sql", "nurture", "converted")


@dataclass(frozen=True)
class Finding:
    problem: bool  # False: worth knowing, nothing to fix
    text: str


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def diagnose(
    lead_fields: list[dict[str, Any]], seeds: Path, system: str = "salesforce", sheet_columns: bool = False
) -> list[Finding]:
    """What does not fit between the org's lead fields (``{"name", "picklistValues": [{"value"}]}``,
    as Salesforce's describe gives them) and the seeds in ``seeds``, for ``system``. Its status
    fields are the fields of the status table the org's lead has (Salesforce: ``Status``)."""
    status_seed, fields_seed = seeds / "lead_status_stages.csv", seeds / "lead_fields.csv"
    org_fields = {field["name"]: field for field in lead_fields}
    table = [row for row in _rows(status_seed) if row["field"] in org_fields]
    stages = {(row["field"], row["value"]): row["lifecycle_stage"] for row in table}
    values = [
        (name, entry["value"])
        for name in dict.fromkeys(row["field"] for row in table)
        for entry in org_fields[name].get("picklistValues", [])
        if entry.get("active", True)
    ]
    findings = [
        Finding(
            True,
            f"The value {value!r} of the status field {field} is not mapped to a lifecycle stage: leads holding "
            f"it count in no stage until it is. Add a row `{field},{value},<stage>` to lead_status_stages.csv "
            f"(stages: {', '.join(STAGES)}).",
        )
        for field, value in values
        if (field, value) not in stages and value
    ]
    reached = {stages[key] for key in values if key in stages}
    findings += [
        Finding(
            False,
            f"No status value of the org maps to the stage {stage!r}: it is known only from its "
            "stamped date field, if one is configured.",
        )
        for stage in STAGES
        if values and stage not in reached
    ]
    for row in _rows(fields_seed):
        if row.get("system", system) != system or sheet_columns:  # a sheet's columns: checked as it is read
            continue
        field = (row["field"] or "").strip()
        if field and field not in org_fields:
            findings.append(
                Finding(
                    True,
                    f"The {row['role'].replace('_', ' ')} is configured as the {LEAD[system]} field {field}, which "
                    f"this org does not have. Set the org's field in lead_fields.csv, or leave it empty (the "
                    "stage's time then comes from status history).",
                )
            )
        elif not field:
            findings.append(Finding(False, f"No field is configured for the {row['role'].replace('_', ' ')}."))
    return findings


def owners_without_time_zone(owners: list[dict[str, Any]], seeds: Path, portal_zone: str) -> list[Finding]:
    """HubSpot owners carry no time zone: each one not in ``owner_time_zones`` takes the portal's."""
    zoned = {row["owner_email"].strip().lower() for row in _rows(seeds / "owner_time_zones.csv")}
    return [
        Finding(
            True,
            f"The owner {owner.get('email')} has no time zone in owner_time_zones.csv: its SLA clocks run on the "
            f"portal's ({portal_zone}). Add a row `{owner.get('email')},<IANA zone>`.",
        )
        for owner in owners
        if not owner.get("archived") and (owner.get("email") or "").strip().lower() not in zoned
    ]


LEAD = {"salesforce": "Lead", "hubspot": "contact", "sheet": "Leads tab"}


def _salesforce(conn_id: str, seeds: Path) -> list[Finding]:
    from leadflow import connections
    from leadflow.extract.salesforce import SalesforceClient

    client = SalesforceClient(connections.credentials(conn_id))
    return diagnose(client.describe_fields("Lead"), seeds, "salesforce")


def _hubspot(conn_id: str, seeds: Path) -> list[Finding]:
    from leadflow import connections
    from leadflow.extract.hubspot import HubSpotClient

    client = HubSpotClient(connections.credentials(conn_id))
    properties = client.request("GET", "/crm/v3/properties/contacts")["results"]
    fields = [
        {"name": p["name"], "picklistValues": [{"value": o["value"]} for o in p.get("options") or []]}
        for p in properties
    ]
    owners = [owner for page in client.listed("/crm/v3/owners") for owner in page]
    zone = client.request("GET", "/account-info/v3/details").get("timeZone") or "UTC"
    return diagnose(fields, seeds, "hubspot") + owners_without_time_zone(owners, seeds, zone)


def _sheet(conn_id: str, seeds: Path) -> list[Finding]:
    """A lead sheet read as a night reads it: columns the configuration names that the tabs lack,
    cells a night would quarantine, Status values without a stage, owners the Owners tab lacks and
    owners without a time zone."""
    from leadflow.extract.sheet import OPTIONAL_TABS, Read, SheetConnection, records_of
    from leadflow.sources import source_system

    sheet = SheetConnection.from_airflow(conn_id)
    read = {}
    findings: list[Finding] = []
    for obj in source_system("sheet").objects:
        rows = sheet.tab(obj.name)
        if rows is None:
            if obj.name not in OPTIONAL_TABS:
                findings.append(Finding(True, f"The sheet has no {obj.name} tab (copy it from templates/lead-sheet/)."))
            continue
        read[obj.name] = records_of(obj, rows, "")
        findings += [Finding(True, f"{obj.name}: {rejected.reason}") for rejected in read[obj.name].rejected]
    leads = read.get("Leads")
    if leads is None:
        return findings
    status_field = next(
        (r["field"] for r in _rows(seeds / "lead_fields.csv") if r.get("system") == "sheet" and r["role"] == "status"),
        "Status",
    )
    values = sorted({r["status"] for r in leads.records if r.get("status")})
    findings += diagnose(
        [{"name": status_field, "picklistValues": [{"value": v} for v in values]}], seeds, "sheet", sheet_columns=True
    )
    owners = {(r.get("email") or "").lower(): r for r in read.get("Owners", Read()).records}
    for email in sorted({(r.get("owner_email") or "").strip().lower() for r in leads.records} - set(owners) - {""}):
        findings.append(Finding(True, f"The Owner Email {email} is on the Leads tab but not on the Owners tab."))
    findings += owners_without_time_zone(
        [{"email": e, "archived": o.get("active") is False} for e, o in owners.items() if not o.get("time_zone")],
        seeds,
        "UTC",
    )
    return findings


CHECKS = {"salesforce": _salesforce, "hubspot": _hubspot, "sheet": _sheet}


def main(seeds: Path) -> int:
    """Check each connected CRM against the seeds ``seeds`` (as the night reads them); 1 when
    something must be fixed."""
    from leadflow import connections
    from leadflow.sources import SYSTEMS

    findings: list[Finding] = []
    for system in SYSTEMS:
        if system.name in CHECKS and connections.configured(system.connection_id):
            print(f"Checking the {system.title} connection ({system.connection_id}) against {seeds}")
            findings += CHECKS[system.name](system.connection_id, seeds)
    problems = [f for f in findings if f.problem]
    for finding in sorted(findings, key=lambda f: not f.problem):
        print(f"{'PROBLEM' if finding.problem else 'note'}: {finding.text}")
    print(f"{len(problems)} problem(s) to fix." if problems else "The lifecycle configuration fits this org.")
    return 1 if problems else 0
