"""The run summary (``<reports>/last_run.json``) and the night's message to people.

Every night that gets past opening writes one, published or not, so the people who own the night
read the same account whatever happened:

* a published night: rows per mart, every control with its failing rate and samples, the GX
  findings, the records quarantined (whole, fields nulled or truncated, or orphaned: staged
  without their parent) with reasons, per object, and how many records were read after the as-of
  (rolled back to it as far as history proves);
* a night that was not published: which integrity checks failed, the quarantine, and the night
  still served;
* both: each object's extraction window (from the watermark less its overlap to the source's time
  when it read);
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


def orphans(limit: int | None = 10) -> list[dict[str, Any]]:
    """Records staged without their parent tonight (``audit_orphaned_records``; empty when the
    audit models were not built): object, record id and the reason naming the parent."""
    try:
        frame = paths().warehouse.read_frame(
            f"""select object_name as object, record_id, null as field, reason
                from audit.audit_orphaned_records order by object_name, record_id
                {f"limit {int(limit)}" if limit else ""}"""
        )
    except Exception:  # the night failed before dbt built the audit models
        return []
    return _records(frame)


def quarantine_counts(run_id: str) -> dict[str, int]:
    """Records quarantined tonight, whole, in part or orphaned, per object (only objects that had any)."""
    frame = paths().warehouse.read_frame(
        f"""select object, sum(quarantined + coalesce(partly_quarantined, 0)) as records
            from raw_meta.loads where run_id = {_text(run_id)}
            group by object having sum(quarantined + coalesce(partly_quarantined, 0)) > 0 order by object"""
    )
    counts = {row.object: int(row.records) for row in frame.itertuples()}
    for orphan in orphans(limit=None):
        counts[orphan["object"]] = counts.get(orphan["object"], 0) + 1
    return dict(sorted(counts.items()))


def extraction_windows(run_id: str) -> dict[str, dict[str, str | None]]:
    """The modification window each object's extraction read tonight: from (the watermark less
    the overlap; none for a first read) to the source's time when it read."""
    frame = paths().warehouse.read_frame(
        f"""select object, min(window_from) as window_from, max(window_to) as window_to from raw_meta.loads
            where run_id = {_text(run_id)} and window_to is not null group by object order by object"""
    )
    return {row["object"]: {"from": row["window_from"], "to": row["window_to"]} for row in _records(frame)}


def read_after_as_of() -> dict[str, int]:
    """Records staged from a version read after the as-of, per source object (only those with
    any): their fields without history keep the value as read (docs/lifecycle.md)."""
    frame = paths().warehouse.read_frame(
        """select source_object, staged_after_as_of from audit.audit_raw_staging_reconciliation
           where staged_after_as_of > 0 order by source_object"""
    )
    return {row.source_object: int(row.staged_after_as_of) for row in frame.itertuples()}


def skipped_objects(run_id: str) -> dict[str, str]:
    """Objects night ``run_id`` skipped, as ``system.object`` (``mart_source_coverage``'s names),
    and why (their marts' inputs are empty, not wrong)."""
    frame = paths().warehouse.read_frame(
        f"""select system || '.' || lower(object) as source_object, min(skipped) as why from raw_meta.loads
            where run_id = {_text(run_id)} and skipped is not null
            group by system, lower(object) order by source_object"""
    )
    return {row.source_object: row.why for row in frame.itertuples()}


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
    """Failing integrity checks in words."""
    return "\n".join(f"- {check['check_name']}: failing" for check in checks)


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
            "quarantined_examples": quarantined(run_id) + orphans(),
            "records_read_after_as_of": read_after_as_of(),
            "extraction_windows": extraction_windows(run_id),
            "skipped_objects": skipped_objects(run_id),
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
        counts, examples, skipped = quarantine_counts(run_id), quarantined(run_id) + orphans(), skipped_objects(run_id)
        windows = extraction_windows(run_id)
    except Exception:  # the night failed before its work warehouse held anything
        log.exception("no quarantine to report for night %s", run_id)
        counts, examples, skipped, windows = {}, [], {}, {}
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
            "extraction_windows": windows,
            "skipped_objects": skipped,
            "alerts": {
                "overview": alerts.send(
                    alerts.Message(f"Leadflow: night of {as_of:%Y-%m-%d} not published", "\n".join(lines))
                )
            },
        }
    )
