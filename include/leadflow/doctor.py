"""``leadflow doctor``: does the lifecycle configuration fit the org Leadflow is pointed at?

Reads the org's Lead describe (its fields, and the values of its Status picklist) and the two
seeds that map an org onto the lifecycle (``lead_status_stages``: Status value -> stage;
``lead_fields``: role -> Lead field), and says in plain words what does not fit: a Status value
no stage is given (those leads would fall out of every stage), a configured field the org does
not have (the night then reads nothing there), a stage no Status value reaches. Nothing here
stops a night; it tells the person configuring Leadflow what to change, and where.
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


def diagnose(lead_fields: list[dict[str, Any]], seeds: Path) -> list[Finding]:
    """What does not fit between the org's Lead ``describe`` fields and the seeds in ``seeds``."""
    status_seed, fields_seed = seeds / "lead_status_stages.csv", seeds / "lead_fields.csv"
    stages = {row["status"]: row["lifecycle_stage"] for row in _rows(status_seed)}
    org_fields = {field["name"]: field for field in lead_fields}
    status = org_fields.get("Status", {})
    values = [entry["value"] for entry in status.get("picklistValues", []) if entry.get("active", True)]
    findings = [
        Finding(
            True,
            f"Lead Status value {value!r} is not mapped to a lifecycle stage: leads holding it count in no "
            f"stage until it is. Add a row `{value},<stage>` to {status_seed} (stages: {', '.join(STAGES)}).",
        )
        for value in values
        if value not in stages
    ]
    reached = {stages[value] for value in values if value in stages}
    findings += [
        Finding(
            False,
            f"No Lead Status value of the org maps to the stage {stage!r}: it is known only from its "
            "stamped date field, if one is configured.",
        )
        for stage in STAGES
        if values and stage not in reached
    ]
    for row in _rows(fields_seed):
        field = (row["field"] or "").strip()
        if field and field not in org_fields:
            findings.append(
                Finding(
                    True,
                    f"The {row['role'].replace('_', ' ')} is configured as the Lead field {field}, which this org does "
                    f"not have. Set the org's field in {fields_seed}, or leave it empty (the stage's time then "
                    "comes from Status history).",
                )
            )
        elif not field:
            findings.append(Finding(False, f"No field is configured for the {row['role'].replace('_', ' ')}."))
    return findings


def main(seeds: Path) -> int:
    """Check the Salesforce connection's org against the seeds; 1 when something must be fixed."""
    from leadflow import connections
    from leadflow.extract.salesforce import SalesforceClient
    from leadflow.sources import source_system

    client = SalesforceClient(connections.credentials(source_system("salesforce").connection_id))
    findings = diagnose(client.describe_fields("Lead"), seeds)
    problems = [f for f in findings if f.problem]
    for finding in sorted(findings, key=lambda f: not f.problem):
        print(f"{'PROBLEM' if finding.problem else 'note'}: {finding.text}")
    print(f"{len(problems)} problem(s) to fix." if problems else "The lifecycle configuration fits this org.")
    return 1 if problems else 0
