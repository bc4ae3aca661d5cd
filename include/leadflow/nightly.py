"""The task bodies of the ``leadflow_nightly`` DAG (the DAG file only wires them together), and
:func:`run`, the same night in one process without Airflow (``make night``, tests, ``make bench``)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from leadflow import alerts, connections
from leadflow.extract import jobs
from leadflow.extract.marketo import MarketoClient
from leadflow.extract.salesforce import SalesforceClient
from leadflow.quality.validate import validate
from leadflow.raw import PageResult
from leadflow.settings import dbt_executable, die_with_parent, paths
from leadflow.sources import MARKETO_OBJECTS, SALESFORCE_OBJECTS, Method, source_object

log = logging.getLogger(__name__)

# The night's files hold personal data (raw payloads carry names and e-mails): whatever a task
# creates, and the dbt it starts, is readable by its owner only.
os.umask(0o077)


class IntegrityError(RuntimeError):
    """The night's warehouse failed an integrity check: it must not be published."""


class BuildError(RuntimeError):
    """``dbt build`` failed: a model or a test did not pass."""


def _report_load(object_name: str, result: PageResult, run_id: str) -> None:
    """The object's load in the log: a WARNING with examples when records were quarantined."""
    log.info("%s: %s", object_name, result)
    if result.quarantined:
        examples = quarantined(run_id, object_name, limit=3)
        log.warning(
            "%s: %d of %d records received were quarantined, e.g. %s (all in raw_meta.quarantine)",
            object_name,
            result.quarantined,
            result.received,
            "; ".join(f"{row['record_id']}: {row['reason']}" for row in examples),
        )


def quarantined(run_id: str, object_name: str | None = None, limit: int = 5) -> list[dict[str, Any]]:
    """Records quarantined by night ``run_id`` (of one object, or all): id, object and reason."""
    where_object = f"and object = '{object_name}'" if object_name else ""
    frame = paths().warehouse.read_frame(
        f"""select object, record_id, reason from raw_meta.quarantine
            where run_id = '{run_id.replace("'", "''")}' {where_object}
            order by object, record_id limit {int(limit)}"""
    )
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


def _writing(step: str, run_id: str | None = None) -> AbstractContextManager[None]:
    """The work warehouse's writer lock, held by ``step`` (another writer's message names it)."""
    return paths().warehouse.writer(f"{step} of night {run_id}" if run_id else step)


def open_night(as_of: datetime, run_id: str) -> str:
    """Record the night being built; dbt reads its as-of from the warehouse, not from a var."""
    with _writing("open_night", run_id), paths().warehouse.raw_store() as store:
        store.begin_night(run_id, as_of)
    log.info("night %s as of %s", run_id, as_of.isoformat())
    return as_of.isoformat()


def extract_salesforce(object_name: str, as_of: datetime, run_id: str) -> dict[str, Any]:
    obj = source_object("salesforce", object_name)
    client = SalesforceClient(connections.credentials(connections.SALESFORCE_CONN_ID))
    with _writing(f"extract_salesforce_{obj.name}", run_id), paths().warehouse.raw_store() as store:
        result = jobs.extract_salesforce_object(client, store, obj, as_of, run_id)
    _report_load(obj.name, result, run_id)
    return asdict(result)


def extract_marketo(object_name: str, as_of: datetime, run_id: str) -> dict[str, Any]:
    obj = source_object("marketo", object_name)
    conn_id = connections.MARKETO_CONN_ID
    client = MarketoClient(connections.credentials(conn_id))
    history_start = connections.history_start(conn_id)
    with _writing(f"extract_marketo_{obj.name}", run_id), paths().warehouse.raw_store() as store:
        match obj.method:
            case Method.LEAD_EXPORT:
                result = jobs.extract_marketo_leads(client, store, obj, as_of, run_id, history_start)
            case Method.ACTIVITIES:
                type_ids = [int(t["id"]) for t in client.activity_types()]
                result = jobs.extract_marketo_activities(client, store, obj, type_ids, run_id, history_start)
            case Method.ACTIVITY_TYPES:
                result = jobs.extract_marketo_reference(store, obj, client.activity_types(), run_id)
            case Method.PROGRAMS:
                result = jobs.extract_marketo_reference(store, obj, client.programs(), run_id)
            case _:
                raise ValueError(f"marketo object {object_name!r}: no extraction for method {obj.method}")
    _report_load(obj.name, result, run_id)
    return asdict(result)


def project_fingerprint() -> str:
    """A digest of what turns raw data into published marts: the dbt project and the GX suites."""
    where = paths()
    roots = [where.dbt_project / name for name in ("models", "macros", "seeds", "tests", "dbt_project.yml")]
    roots += [where.expectations / "gx" / name for name in ("expectations", "validation_definitions")]
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted([root] if root.is_file() else (p for p in root.rglob("*") if p.is_file())):
            digest.update(str(path.relative_to(where.home)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def anything_new() -> bool:
    """False when tonight would rebuild the published marts unchanged: they are of tonight's
    as-of, built by this project, and nothing was loaded or quarantined since (a night re-run)."""
    with _writing("anything_new"), paths().warehouse.raw_store() as store:
        unchanged = store.unchanged_since_publish(project_fingerprint())
    if unchanged:
        log.info("nothing new since the published night of the same as-of: transform, audit and publish skipped")
    return not unchanged


def build_models(run_id: str | None = None) -> None:
    """One ``dbt build`` of the whole project on the work warehouse, with dbt's own threads: what
    the DAG's producer task runs, for runs without Airflow (``make night``, tests)."""
    where = paths()
    with _writing("dbt build", run_id):
        result = subprocess.run(
            [dbt_executable(), "build", "--profiles-dir", "."],
            cwd=where.dbt_project,
            env={**os.environ, **where.warehouse.dbt_env},
            capture_output=True,
            text=True,
            preexec_fn=die_with_parent,
        )
    if result.returncode != 0:
        raise BuildError(f"dbt build failed (exit {result.returncode}):\n{result.stdout[-4000:]}")


_held: dict[str, ExitStack] = {}


def hold_writer(context: Any) -> None:
    """``pre_execute`` of the DAG's dbt producer: it holds the writer lock while dbt builds."""
    stack = ExitStack()
    stack.enter_context(_writing("dbt build", context["run_id"]))
    _held[context["ti"].task_id] = stack


def release_writer(context: Any, result: Any = None) -> None:
    """``post_execute`` of the producer (a failed build releases the lock when its process ends)."""
    if stack := _held.pop(context["ti"].task_id, None):
        stack.close()


def audit() -> dict[str, Any]:
    """Validate the work warehouse; raise IntegrityError when publishing must not happen."""
    where = paths()
    report = validate(where.warehouse, where.expectations, where.control_registry)
    summary = report.to_dict()
    if report.blocking:
        names = ", ".join(
            f"{f.suite}:{f.expectation}:{f.column or f.control_name or ''} {f.sample_ids}" for f in report.blocking
        )
        raise IntegrityError(f"not publishing: {names}{_failing_checks(where.warehouse)}")
    return summary


def _failing_checks(warehouse: Any) -> str:
    """The failing integrity checks in words: counts, up to ten record ids, and how many failed
    because their parent record was quarantined at extraction."""
    failing = warehouse.read_frame("select * from audit.audit_pipeline_integrity where failing > 0 order by check_name")
    lines = []
    for row in failing.itertuples():
        cause = (
            f"; {row.failing_with_quarantined_parent} of them because their parent was quarantined at extraction"
            " (raw_meta.quarantine says why)"
            if row.failing_with_quarantined_parent
            else ""
        )
        sample = f"; e.g. {row.sample_record_ids}" if row.sample_record_ids else ""
        lines.append(f"\n- {row.check_name}: {row.failing} failing{cause}{sample}")
    return "".join(lines)


def publish(run_id: str | None = None) -> dict[str, int]:
    where = paths()
    with _writing("publish", run_id):
        rows = where.warehouse.publish()
        with where.warehouse.raw_store() as store:
            store.record_publish(project_fingerprint())
    log.info("published %s: %s", where.warehouse.published, rows)
    return rows


def write_run_summary(as_of: datetime, run_id: str, quality: dict[str, Any], rows: dict[str, int]) -> Path:
    """The run's summary for people: rows per mart, failing controls, where things are."""
    where = paths()
    controls = where.warehouse.read_frame(
        """select control_name, failing_rows, population, failing_rate, threshold, severity, status,
                  sample_record_ids
           from marts.mart_data_quality
           where run_as_of = (select max(run_as_of) from marts.mart_data_quality)
           order by control_name""",
        published=True,
    )
    summary = {
        "run_id": run_id,
        "as_of": as_of.isoformat(),
        "warehouse": str(where.warehouse.published),
        "work_warehouse": str(where.warehouse.work),
        "rows": rows,
        "failing_controls": controls[controls.status == "fail"].to_dict(orient="records"),
        "controls": controls.to_dict(orient="records"),
        "data_docs": quality.get("data_docs"),
        "gx_failures": [f for f in quality.get("findings", []) if not f["success"]],
        "quarantined": _quarantine_counts(run_id),
        "quarantined_examples": quarantined(run_id, limit=10),
    }
    path = summary_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, default=str))
    return path


def _quarantine_counts(run_id: str) -> dict[str, int]:
    """Records quarantined tonight, per object (only objects that had any)."""
    frame = paths().warehouse.read_frame(
        f"""select object, sum(quarantined) as quarantined from raw_meta.loads
            where run_id = '{run_id.replace("'", "''")}' group by object having sum(quarantined) > 0 order by object"""
    )
    return {row.object: int(row.quarantined) for row in frame.itertuples()}


def summary_path() -> Path:
    """The summary of the last published night (a skipped re-run leaves it as it is)."""
    return paths().reports / "last_run.json"


def alert_on_findings(quality: dict[str, Any], run_id: str) -> list[str]:
    """One message per run naming the failing hygiene controls (published, so people act on them)
    and the records quarantined tonight."""
    history = paths().warehouse.read_frame(
        """with runs as (
               select distinct run_as_of from marts.mart_data_quality order by run_as_of desc limit 2
           )
           select q.run_as_of, q.control_name, q.owner, q.failing_rows, q.population, q.failing_rate,
                  q.threshold, q.severity, q.status, q.sample_record_ids
           from marts.mart_data_quality as q
           inner join runs using (run_as_of)
           order by q.control_name, q.run_as_of desc""",
        published=True,
    )
    message = alerts.quality_message(history, quality.get("data_docs"), _quarantine_counts(run_id))
    return alerts.send(*message) if message else []


def run(as_of: datetime, run_id: str, phase: Callable[[str], AbstractContextManager] = lambda _: nullcontext()) -> Path:
    """The whole night without Airflow, task by task in the DAG's order; the run summary's path.
    ``phase(name)`` is entered around each phase (``make bench`` times them with it)."""
    with phase("extract"):
        open_night(as_of, run_id)
        for obj in SALESFORCE_OBJECTS:
            extract_salesforce(obj.name, as_of, run_id)
        for obj in MARKETO_OBJECTS:
            extract_marketo(obj.name, as_of, run_id)
    if not anything_new():
        return summary_path()
    with phase("transform"):
        build_models(run_id)
    with phase("audit"):
        quality = audit()
    with phase("publish"):
        rows = publish(run_id)
    with phase("report"):
        summary = write_run_summary(as_of, run_id, quality, rows)
        alert_on_findings(quality, run_id)
    return summary
