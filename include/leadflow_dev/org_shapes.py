"""The same world rendered as an org configured differently from the contract.

Real orgs spell the lifecycle their own way: Salesforce's stock Lead Status picklist (plus the
custom values they add for MQL and SQL), their own names for the stamped stage dates and the
rejection reason. :func:`render` rewrites a contract-shaped fixture (the generator's output) as
such an org: statuses and field names change (or fields go) in Lead versions and in LeadHistory,
nothing else.
With the matching configuration (:meth:`OrgShape.lead_fields_csv` for the seed ``lead_fields``;
the stock statuses are in the shipped ``lead_status_stages``), the marts must equal those of the
contract-shaped rendering, statuses aside (``tests/test_org_configuration.py``).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# the contract's field for each role of the seed lead_fields
CONTRACT_FIELDS = {
    "mql_stamp": "MQL_Date__c",
    "routed_stamp": "Routed_Date__c",
    "first_touch_stamp": "First_Touch_Date__c",
    "accepted_stamp": "Accepted_Date__c",
    "rejected_stamp": "Rejected_Date__c",
    "sql_stamp": "SQL_Date__c",
    "rejection_reason": "Rejection_Reason__c",
    "mql_score": "Lead_Score__c",
}


@dataclass(frozen=True)
class OrgShape:
    """How an org spells what the contract calls ``Status`` values and lifecycle fields."""

    statuses: dict[str, str]  # contract value -> the org's
    fields: dict[str, str | None]  # contract field -> the org's API name (None: the org has none)

    def lead_fields_csv(self) -> str:
        """The seed ``lead_fields`` for this org."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["role", "field"])
        for role, field in CONTRACT_FIELDS.items():
            writer.writerow([role, self.fields.get(field, field) or ""])
        return out.getvalue()


STOCK_ORG = OrgShape(
    statuses={
        "New": "Open - Not Contacted",
        "MQL": "Marketing Qualified",
        "Accepted": "Working - Contacted",
        "Rejected": "Closed - Not Converted",
        "SQL": "Sales Qualified",
        "Converted": "Closed - Converted",
        "Nurture": "Nurturing",
    },
    fields={
        "MQL_Date__c": "MQL_Timestamp__c",
        "Routed_Date__c": "Routed_At__c",
        "First_Touch_Date__c": "First_Response_At__c",
        "Accepted_Date__c": "SAL_Date__c",
        "Rejected_Date__c": "Disqualified_Date__c",
        "SQL_Date__c": "SQO_Date__c",
        "Rejection_Reason__c": "Disqualification_Reason__c",
        "Lead_Score__c": "Score__c",
    },
)

# an org with no stamped stage dates at all: every stage's time comes from history
NO_STAMPS = OrgShape(
    statuses={}, fields={field: None for field in CONTRACT_FIELDS.values() if field.endswith("_Date__c")}
)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of a fixture file (one JSON object a line)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    """Write records as a fixture file."""
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def render(source: Path, target: Path, shape: OrgShape) -> None:
    """Copy the fixture ``source`` to ``target`` as an org of ``shape``."""
    shutil.copytree(source, target)
    leads = target / "salesforce" / "Lead.jsonl"
    rendered = []
    for lead in read_jsonl(leads):
        lead = {shape.fields.get(name, name): value for name, value in lead.items() if shape.fields.get(name, name)}
        lead["Status"] = shape.statuses.get(lead["Status"], lead["Status"])
        rendered.append(lead)
    write_jsonl(leads, rendered)
    history = target / "salesforce" / "LeadHistory.jsonl"
    if history.exists():
        rows = []
        for row in read_jsonl(history):
            row["Field"] = shape.fields.get(row["Field"], row["Field"])
            if row["Field"] is None:
                continue
            if row["Field"] == "Status":
                row["OldValue"] = shape.statuses.get(row["OldValue"], row["OldValue"])
                row["NewValue"] = shape.statuses.get(row["NewValue"], row["NewValue"])
            rows.append(row)
        write_jsonl(history, rows)
