"""The generator's world rendered as a lead sheet (``templates/lead-sheet/``), as a team keeps one.

:func:`expressible` first takes out of the Salesforce + Marketo world what a sheet cannot hold
(Marketo, campaigns, tasks, accounts, opportunity history, opportunities not converted from a lead
that is still in the sheet)
and writes into each lead the dates a sheet team types, where Salesforce has them only as history:
a status's first change into a stage, the first routing from a queue to a person, the first call or
e-mail. :func:`render` then writes the sheet: each lead a row (in order of creation), each change of
the lead or of its opportunity an edit of that row at the time it happened, a deleted lead its row
emptied; users the Owners tab, dated rates the Rates tab. The sandbox serves the sheet as of its
clock (``leadflow_dev.sandbox.sheets``), so nights read it as it was then.

``dates=False`` leaves every stage date column empty, as a team that keeps only a Status column:
the stage times are then the nights the snapshots first see them (``tests/test_sheet_nights.py``).
"""

from __future__ import annotations

import csv
import json
import shutil
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from leadflow.extract.sheet import FIXED_COLUMNS
from leadflow.settings import PROJECT_ROOT
from leadflow.timefmt import parse_instant

from leadflow_dev.org_shapes import read_jsonl, write_jsonl

TEMPLATE = PROJECT_ROOT / "templates" / "lead-sheet"
# the Salesforce field each date column is typed from, and the stage that dates it in its history
DATE_FIELDS = {
    "MQL Date": ("MQL_Date__c", "mql"),
    "Assigned Date": ("Routed_Date__c", None),
    "First Touch Date": ("First_Touch_Date__c", None),
    "Accepted Date": ("Accepted_Date__c", "accepted"),
    "Rejected Date": ("Rejected_Date__c", "rejected"),
    "SQL Date": ("SQL_Date__c", "sql"),
}
STAGE_DATES = [column for column in DATE_FIELDS if column not in ("Assigned Date", "First Touch Date")]


def _status_stages() -> dict[str, str]:
    with (PROJECT_ROOT / "dbt_project" / "seeds" / "lead_status_stages.csv").open(encoding="utf-8") as handle:
        return {row["value"]: row["lifecycle_stage"] for row in csv.DictReader(handle) if row["field"] == "Status"}


def _grouped(rows: Iterable[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    """Records' versions by ``key``, each record's in time order."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    for versions in grouped.values():
        versions.sort(key=lambda v: parse_instant(v["SystemModstamp"]))
    return grouped


def _first_dates(fixture: Path) -> dict[str, dict[str, str]]:
    """Per lead, the Salesforce date field -> when history first says so (what Salesforce's
    lifecycle derives where the field is empty)."""
    stages = _status_stages()
    firsts: dict[str, dict[str, str]] = defaultdict(dict)

    def note(lead_id: str, field: str, at: str) -> None:
        if field not in firsts[lead_id] or parse_instant(at) < parse_instant(firsts[lead_id][field]):
            firsts[lead_id][field] = at

    by_stage = {stage: field for field, stage in DATE_FIELDS.values() if stage}
    for row in read_jsonl(fixture / "salesforce" / "LeadHistory.jsonl"):
        if row["Field"] == "Status" and stages.get(row["NewValue"]) in by_stage:
            note(row["LeadId"], by_stage[stages[row["NewValue"]]], row["CreatedDate"])
        elif (
            row["Field"] == "Owner"
            and str(row["OldValue"]).startswith("00G")
            and str(row["NewValue"]).startswith("005")
        ):
            note(row["LeadId"], "Routed_Date__c", row["CreatedDate"])
    for task in read_jsonl(fixture / "salesforce" / "Task.jsonl"):
        if task.get("WhoId") and not task.get("IsDeleted") and task.get("TaskSubtype") in ("Call", "Email"):
            note(task["WhoId"], "First_Touch_Date__c", task["CreatedDate"])
    return firsts


def expressible(fixture: Path, out: Path) -> None:
    """A copy of the world ``fixture`` holding only what a lead sheet can, with each lead's dates
    typed in (a date field empty in Salesforce takes the time its history or tasks give, from the
    version at or after that time) and no field history (a sheet has none before its first read):
    what the two renderings must agree on."""
    shutil.copytree(fixture, out)
    shutil.rmtree(out / "marketo", ignore_errors=True)
    sf = out / "salesforce"
    firsts = _first_dates(out)
    leads = read_jsonl(sf / "Lead.jsonl")
    by_lead = _grouped(leads, "Id")
    for lead_id, fields in firsts.items():
        versions = by_lead.get(lead_id, [])
        for field, at in fields.items():
            if versions and parse_instant(at) > parse_instant(versions[-1]["SystemModstamp"]):
                # typed after the lead's last change: the sheet's edit is a version of its own
                versions.append({**versions[-1], "SystemModstamp": at, "LastModifiedDate": at})
                leads.append(versions[-1])
            for version in versions:
                if version.get(field) is None and parse_instant(at) <= parse_instant(version["SystemModstamp"]):
                    version[field] = at
    write_jsonl(sf / "Lead.jsonl", leads)
    # the sheet's field history is its nightly reads: none from before the first
    write_jsonl(sf / "LeadHistory.jsonl", [])
    # an opportunity lives on its lead's row: none without the row (a converted lead merged away)
    latest = [versions[-1] for versions in _grouped(leads, "Id").values()]
    converted = {lead["ConvertedOpportunityId"] for lead in latest if not lead.get("IsDeleted")} - {None}
    opportunities = [
        {**o, "CampaignId": None, "AccountId": None}
        for o in read_jsonl(sf / "Opportunity.jsonl")
        if o["Id"] in converted
    ]
    write_jsonl(sf / "Opportunity.jsonl", opportunities)
    for name in ("Campaign", "CampaignMember", "Task", "OpportunityHistory", "Account"):
        (sf / f"{name}.jsonl").write_text("")


def _header(tab: str) -> list[str]:
    with (TEMPLATE / f"{tab}.csv").open(encoding="utf-8") as handle:
        return next(csv.reader(handle))


def _day(value: str | None) -> str:
    return "" if not value else parse_instant(value).strftime("%Y-%m-%d %H:%M:%S")


def _latest(versions: list[dict[str, Any]], at: str) -> dict[str, Any] | None:
    moment = parse_instant(at)
    current = None
    for version in versions:
        if parse_instant(version["SystemModstamp"]) <= moment:
            current = version
    return current


def _lead_row(
    lead: dict[str, Any], opportunity: dict[str, Any] | None, emails: dict[str, str], dates: bool
) -> dict[str, str]:
    if lead.get("IsDeleted"):
        return {}
    row = {
        "Lead ID": lead["Id"],
        "Created": _day(lead["CreatedDate"]),
        "Name": " ".join(part for part in (lead.get("FirstName"), lead.get("LastName")) if part),
        "Email": lead.get("Email") or "",
        "Company": lead.get("Company") or "",
        "Employees": "" if lead.get("NumberOfEmployees") is None else str(lead["NumberOfEmployees"]),
        "Source": lead.get("LeadSource") or "",
        "Status": lead.get("Status") or "",
        "Owner Email": emails.get(lead.get("OwnerId") or "", ""),
        "Rejection Reason": lead.get("Rejection_Reason__c") or "",
    }
    for column, (field, _) in DATE_FIELDS.items():
        row[column] = _day(lead.get(field)) if dates else ""
    if opportunity is not None and not opportunity.get("IsDeleted"):
        row.update(
            {
                "Opportunity Date": _day(opportunity["CreatedDate"]) if dates else "",
                "Opportunity Amount": "" if opportunity.get("Amount") is None else str(opportunity["Amount"]),
                "Currency": opportunity.get("CurrencyIsoCode") or "",
                "Opportunity Stage": opportunity.get("StageName") or "",
                "Close Date": opportunity.get("CloseDate") or "",
                "Next Step": opportunity.get("NextStep") or "",
                "Business Problem": opportunity.get("Business_Problem__c") or "",
                "Use Case": opportunity.get("Use_Case__c") or "",
            }
        )
    return row


def _write_tab(path: Path, header: list[str], versions: list[tuple[int, str, dict[str, str]]]) -> int:
    """A tab's versions: (row, edited at, cells; empty cells: the row deleted)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["_row", "_edited_at", *header])
        for place, at, cells in sorted(versions, key=lambda v: (parse_instant(v[1]), v[0])):
            writer.writerow([place, at, *(cells.get(name, "") for name in header)])
    return len(versions)


def render(fixture: Path, out: Path, dates: bool = True) -> dict[str, Any]:
    """The world ``fixture`` (made :func:`expressible`) as a lead sheet fixture in ``out``."""
    sf = fixture / "salesforce"
    users = _grouped(read_jsonl(sf / "User.jsonl"), "Id")
    emails = {user_id: versions[-1]["Email"] for user_id, versions in users.items()}
    opportunities = _grouped(read_jsonl(sf / "Opportunity.jsonl"), "Id")
    leads = _grouped(read_jsonl(sf / "Lead.jsonl"), "Id")
    order = sorted(leads, key=lambda i: (parse_instant(leads[i][0]["CreatedDate"]), i))
    versions: list[tuple[int, str, dict[str, str]]] = []
    for place, lead_id in enumerate(order, start=2):
        lead_versions = leads[lead_id]
        opportunity_ids = {v["ConvertedOpportunityId"] for v in lead_versions if v.get("ConvertedOpportunityId")}
        opportunity_versions = [o for oid in opportunity_ids for o in opportunities.get(oid, [])]
        times = sorted(
            {v["SystemModstamp"] for v in lead_versions} | {o["SystemModstamp"] for o in opportunity_versions},
            key=parse_instant,
        )
        previous: dict[str, str] | None = None
        for at in times:
            lead = _latest(lead_versions, at)
            if lead is None:
                continue
            converted = lead.get("ConvertedOpportunityId")
            opportunity = _latest(opportunities.get(converted, []), at) if converted else None
            cells = _lead_row(lead, opportunity, emails, dates)
            if cells != previous:
                versions.append((place, at, cells))
                previous = cells
    counts = {"sheet/Leads.csv": _write_tab(out / "sheet" / "Leads.csv", _header("Leads"), versions)}
    owner_versions = [
        (
            place,
            version["SystemModstamp"],
            {
                "Email": version["Email"],
                "Name": version["Name"],
                "Team": version.get("Department") or "",
                "Time Zone": version.get("TimeZoneSidKey") or "",
                "Active": "TRUE" if version.get("IsActive", True) else "FALSE",
            },
        )
        for place, user_id in enumerate(sorted(users), start=2)
        for version in users[user_id]
    ]
    counts["sheet/Owners.csv"] = _write_tab(
        out / "sheet" / "Owners.csv", [name for name, _ in FIXED_COLUMNS["Owners"].values()], owner_versions
    )
    rates = _grouped(read_jsonl(sf / "DatedConversionRate.jsonl"), "Id")
    rate_versions = [
        (
            place,
            version["SystemModstamp"],
            {
                "Currency": version["IsoCode"],
                "Rate": str(version["ConversionRate"]),
                "Start Date": version["StartDate"],
            },
        )
        for place, rate_id in enumerate(sorted(rates), start=2)
        for version in rates[rate_id]
    ]
    counts["sheet/Rates.csv"] = _write_tab(
        out / "sheet" / "Rates.csv", [name for name, _ in FIXED_COLUMNS["Rates"].values()], rate_versions
    )
    manifest = json.loads((fixture / "manifest.json").read_text(encoding="utf-8"))
    manifest.update({"counts": counts, "rendered_as": "lead sheet", "dates": dates})
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def template_fixture(out: Path, as_of: str, edited_at: str = "2025-05-01T00:00:00Z") -> Path:
    """The template's example sheet (``templates/lead-sheet/``) as a sandbox fixture, every row typed
    at ``edited_at``: the smallest sheet a night can read."""
    counts = {}
    for tab in ("Leads", "Owners", "Rates"):
        with (TEMPLATE / f"{tab}.csv").open(encoding="utf-8") as handle:
            header, *rows = list(csv.reader(handle))
        versions = [(place, edited_at, dict(zip(header, row, strict=True))) for place, row in enumerate(rows, start=2)]
        counts[f"sheet/{tab}.csv"] = _write_tab(out / "sheet" / f"{tab}.csv", header, versions)
    (out / "manifest.json").write_text(json.dumps({"as_of": as_of, "counts": counts}, indent=2), encoding="utf-8")
    return out


def template_workbook(path: Path) -> Path:
    """The template's tabs as one XLSX workbook (``templates/lead-sheet/lead-sheet.xlsx``): dates as
    date cells, numbers as numbers, a bold frozen header, as a team would start its sheet."""
    from leadflow.extract.sheet import DAY, FLAG, INSTANT, NUMBER, WHOLE, cell_value, columns_of, normalised
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for tab in ("Leads", "Owners", "Rates"):
        with (TEMPLATE / f"{tab}.csv").open(encoding="utf-8") as handle:
            header, *rows = list(csv.reader(handle))
        kinds = {normalised(column): kind for column, kind in columns_of(tab).values()}
        sheet = book.create_sheet(tab)
        sheet.append(header)
        for row in rows:
            cells: list[Any] = []
            for name, text in zip(header, row, strict=True):
                kind = kinds.get(normalised(name), "text")
                value = cell_value(text, kind)[0] if text else None
                if kind in (INSTANT, DAY) and value:
                    value = parse_instant(value if kind == INSTANT else value + "T00:00:00Z").replace(tzinfo=None)
                    value = value.date() if kind == DAY or value.time() == value.min.time() else value
                cells.append(value if kind in (INSTANT, DAY, NUMBER, WHOLE, FLAG) else text or None)
            sheet.append(cells)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for index, name in enumerate(header):
            if kinds.get(normalised(name)) in (INSTANT, DAY):
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index + 1, max_col=index + 1):
                    cell.number_format = "yyyy-mm-dd hh:mm" if kinds[normalised(name)] == INSTANT else "yyyy-mm-dd"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
