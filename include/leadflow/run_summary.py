"""The run summary (``<reports>/last_run.json``) and the night's message to people.

Every night that gets past opening writes one, published or not, so the people who own the night
read the same account whatever happened:

* a published night: rows per mart, every control with its failing rate and samples, the GX
  findings, the records quarantined tonight (whole, or fields nulled or truncated) with reasons,
  and the rows left without a parent because that parent was quarantined;
* a night that was not published: which integrity checks failed, with up to ten record ids and how
  many failed because their parent was quarantined, the quarantine, and the night still served;
* a published night also: the review queue per reason and team;
* both: the source objects skipped (the org has no such object, or none of its fields is
  readable) and which alert channels took the message and which did not.

A re-run that found nothing new leaves the published night's summary as it is.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from leadflow import alerts
from leadflow.settings import paths

log = logging.getLogger(__name__)


def summary_path() -> Path:
    return paths().reports / "last_run.json"


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


def quarantined(run_id: str, object_name: str | None = None, limit: int = 10) -> list[dict[str, Any]]:
    """What night ``run_id`` quarantined (of one object, or all): object, record id, the field
    (none when the whole record was) and the reason."""
    where_object = f"and object = {_text(object_name)}" if object_name else ""
    frame = paths().warehouse.read_frame(
        f"""select distinct object, record_id, field, reason from raw_meta.quarantine
            where run_id = {_text(run_id)} {where_object}
            order by object, record_id, field limit {int(limit)}"""
    )
    return _records(frame)


def quarantine_counts(run_id: str) -> dict[str, int]:
    """Records quarantined tonight, whole or in part, per object (only objects that had any)."""
    frame = paths().warehouse.read_frame(
        f"""select object, sum(quarantined + coalesce(partly_quarantined, 0)) as records
            from raw_meta.loads where run_id = {_text(run_id)}
            group by object having sum(quarantined + coalesce(partly_quarantined, 0)) > 0 order by object"""
    )
    return {row.object: int(row.records) for row in frame.itertuples()}


def skipped_objects(run_id: str) -> dict[str, str]:
    """Objects night ``run_id`` skipped, and why (their marts' inputs are empty, not wrong)."""
    frame = paths().warehouse.read_frame(
        f"""select object, min(skipped) as why from raw_meta.loads
            where run_id = {_text(run_id)} and skipped is not null group by object order by object"""
    )
    return {row.object: row.why for row in frame.itertuples()}


def failing_checks() -> list[dict[str, Any]]:
    """The work warehouse's failing integrity checks (empty when the audit models were not built)."""
    try:
        frame = paths().warehouse.read_frame(
            "select * from audit.audit_pipeline_integrity where failing > 0 order by check_name"
        )
    except Exception:  # the night failed before dbt built the audit models
        return []
    return _records(frame)


def describe_checks(checks: list[dict[str, Any]]) -> str:
    """Failing integrity checks in words: counts, up to ten record ids, and how many failed because
    their parent record was quarantined at extraction."""
    lines = []
    for check in checks:
        cause = (
            f"; {check['failing_with_quarantined_parent']} of them because their parent was quarantined at"
            " extraction (raw_meta.quarantine says why)"
            if check["failing_with_quarantined_parent"]
            else ""
        )
        sample = f"; e.g. {check['sample_record_ids']}" if check["sample_record_ids"] else ""
        lines.append(f"- {check['check_name']}: {check['failing']} failing{cause}{sample}")
    return "\n".join(lines)


def _write(summary: dict[str, Any]) -> Path:
    path = summary_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, default=str))
    return path


def published(as_of: datetime, run_id: str, quality: dict[str, Any], rows: dict[str, int]) -> Path:
    """Alert on the published night's failing controls and quarantine, then write its summary."""
    where = paths()
    history = where.warehouse.read_frame(
        """with runs as (
               select distinct run_as_of from marts.mart_data_quality order by run_as_of desc limit 2
           )
           select q.*
           from marts.mart_data_quality as q
           inner join runs using (run_as_of)
           order by q.control_name, q.run_as_of desc""",
        published=True,
    )
    counts = quarantine_counts(run_id)
    queue = where.warehouse.read_frame(
        """select reason, owner_team, count(*) as records from marts.mart_review_queue
           group by reason, owner_team order by reason, owner_team""",
        published=True,
    )
    messages = alerts.night_messages(history, quality.get("data_docs"), counts, queue)
    latest = history[history.run_as_of == history.run_as_of.max()].drop(columns=["description", "run_as_of"])
    return _write(
        {
            "run_id": run_id,
            "as_of": as_of.isoformat(),
            "status": "published",
            "warehouse": str(where.warehouse.published),
            "work_warehouse": str(where.warehouse.work),
            "rows": rows,
            "failing_controls": _records(latest[latest.status == "fail"]),
            "controls": _records(latest),
            "data_docs": quality.get("data_docs"),
            "gx_failures": [f for f in quality.get("findings", []) if not f["success"]],
            "quarantined": counts,
            "quarantined_examples": quarantined(run_id),
            "skipped_objects": skipped_objects(run_id),
            # integrity failures explained by a quarantined parent (they did not block the night)
            "integrity_warnings": failing_checks(),
            "review_queue": _records(queue),
            # per message (the overview, then one per owner of failing controls): channel -> outcome
            "alerts": {message.owner or "overview": alerts.send(message) for message in messages},
        }
    )


def not_published(as_of: datetime, run_id: str, error: str | None = None) -> Path:
    """Alert that the night was not published and why, as far as the warehouse tells, then write
    its summary (the published marts, and the night they hold, are left as they were)."""
    where = paths()
    checks = failing_checks()
    try:
        counts, examples, skipped = quarantine_counts(run_id), quarantined(run_id), skipped_objects(run_id)
    except Exception:  # the night failed before its work warehouse held anything
        log.exception("no quarantine to report for night %s", run_id)
        counts, examples, skipped = {}, [], {}
    lines = [f"Night {run_id} (as of {as_of:%Y-%m-%d %H:%M} UTC) was not published; BI still reads the last one."]
    if error:
        lines.append(error.splitlines()[0])
    if checks:
        lines += ["Integrity checks failing:", describe_checks(checks)]
    if counts:
        lines.append(f"Records quarantined tonight: {', '.join(f'{k} {v}' for k, v in counts.items())}.")
    lines.append(f"Run summary: {summary_path()}")
    return _write(
        {
            "run_id": run_id,
            "as_of": as_of.isoformat(),
            "status": "not published",
            "error": error,
            "warehouse": str(where.warehouse.published),
            "work_warehouse": str(where.warehouse.work),
            "failing_checks": checks,
            "quarantined": counts,
            "quarantined_examples": examples,
            "skipped_objects": skipped,
            "alerts": {
                "overview": alerts.send(
                    alerts.Message(f"Leadflow: night of {as_of:%Y-%m-%d} not published", "\n".join(lines))
                )
            },
        }
    )
