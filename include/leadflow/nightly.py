"""The task bodies of the ``leadflow_nightly`` DAG (the DAG file only wires them together), and
:func:`run`, the same night in one process without Airflow (``make night``, tests, ``make bench``).

Airflow parses the DAG file wherever a task runs (every task process of a worker) and in the DAG
processor; the extraction clients, pandas and Great Expectations are therefore imported by the
task bodies that use them, not when the DAG file imports this module. A Celery worker imports
them once, before its pool forks (:data:`TASK_BODY_IMPORTS`, ``leadflow.celery_config``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadflow import org_config
from leadflow.settings import dbt_started_here, paths
from leadflow.sources import ALL_OBJECTS, SYSTEMS, source_object, source_system

if TYPE_CHECKING:
    from leadflow.raw import PageResult, RawStore

log = logging.getLogger(__name__)

# What the task bodies import when they run, beyond what parsing the DAG imports: the modules
# they import inside their functions and the libraries those import when called (Great
# Expectations in the audit, pandas in every summary and alert). tests/test_nightly_dag.py
# checks that the list holds every import of a task body here.
TASK_BODY_IMPORTS = (
    "leadflow.connections",
    "leadflow.idle_nodes",
    *(system.extractor for system in SYSTEMS),  # imported by name when an extract task runs
    "leadflow.quality.validate",
    "leadflow.run_summary",
    "great_expectations",
    "pandas",
)


class IntegrityError(RuntimeError):
    """The night's warehouse failed an integrity check: it must not be published."""


class BuildError(RuntimeError):
    """``dbt build`` failed: a model or a test did not pass."""


class NotPublished(RuntimeError):
    """The night ended without publishing (its summary and alert say why)."""


def _report_load(object_name: str, result: PageResult, run_id: str) -> None:
    """The object's load in the log: a WARNING with examples when anything was quarantined."""
    from leadflow import run_summary

    log.info("%s: %s", object_name, result)
    if result.quarantined or result.partly_quarantined:
        examples = run_summary.quarantined(run_id, object_name, limit=3)
        log.warning(
            "%s: of %d records received, %d quarantined whole and %d loaded with fields nulled or truncated;"
            " e.g. %s (all in raw_meta.quarantine)",
            object_name,
            result.received,
            result.quarantined,
            result.partly_quarantined,
            "; ".join(f"{row['record_id']}: {row['reason']}" for row in examples),
        )


class NightTakenOver(RuntimeError):
    """Another night opened the warehouse after this one: this one must not write into it."""


def _still_this_night(step: str, run_id: str, night: tuple[str, datetime] | None) -> None:
    """A night started later (another deployment, a hand-run night) takes the warehouse over: the
    steps of the earlier one then stop instead of mixing two nights' data."""
    if night is None or night[0] != run_id:
        holder = f"night {night[0]} (opened {night[1]:%Y-%m-%d %H:%M} UTC)" if night else "no night"
        raise NightTakenOver(
            f"{step}: the warehouse now belongs to {holder}, not to night {run_id}; this night stops here"
        )


@contextmanager
def _writing(step: str, run_id: str | None = None) -> Iterator[None]:
    """The work warehouse's writer lock, held by ``step`` (another writer's message names it). A
    step of night ``run_id`` also checks that it is still the warehouse's night."""
    with paths().warehouse.writer(f"{step} of night {run_id}" if run_id else step):
        if run_id and step != "open_night":
            with paths().warehouse.raw_store() as store:
                _still_this_night(step, run_id, store.night())
        yield


@contextmanager
def _writing_raw(step: str, run_id: str) -> Iterator[RawStore]:
    """:func:`_writing`, with the raw store it checks the night through (one connection: an
    extract task opens the warehouse once, not twice)."""
    with paths().warehouse.writer(f"{step} of night {run_id}"), paths().warehouse.raw_store() as store:
        _still_this_night(step, run_id, store.night())
        yield store


def open_night(as_of: datetime, run_id: str) -> str:
    """Record the night being built; dbt reads its as-of from the warehouse, not from a var."""
    with _writing("open_night", run_id), paths().warehouse.raw_store() as store:
        store.begin_night(run_id, as_of)
    log.info("night %s as of %s", run_id, as_of.isoformat())
    return as_of.isoformat()


def extract(system_name: str, object_name: str, run_id: str) -> dict[str, Any]:
    """One object of one source system: its changes since its watermark landed in raw by the
    system's extractor; skipped (its staging stays empty) when the system has no connection."""
    from leadflow import connections
    from leadflow.raw import PageResult

    system = source_system(system_name)
    obj = source_object(system.name, object_name)
    with _writing_raw(obj.task_id, run_id) as store:
        if connections.configured(system.connection_id):
            result = system.extract()(system.connection_id, store, obj, run_id)
        else:
            result = PageResult(skipped=f"no {system.title} connection ({system.connection_id}) is configured")
            store.ensure_table(obj)
            store.record_load(obj, run_id, result)
            log.info("%s: skipped, %s", obj.name, result.skipped)  # a system the org does not use
    _report_load(obj.name, result, run_id)
    return asdict(result)


def project_fingerprint() -> str:
    """A digest of what turns raw data into published marts: the dbt project, the GX suites and
    the org's configuration."""
    where = paths()
    project = ("models", "macros", "seeds", "snapshots", "tests", "dbt_project.yml")
    roots = [where.dbt_project / name for name in project]
    roots += [where.expectations / "gx" / name for name in ("expectations", "validation_definitions")]
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted([root] if root.is_file() else (p for p in root.rglob("*") if p.is_file())):
            digest.update(str(path.relative_to(where.home)).encode() + b"\0" + path.read_bytes())
    for path in org_config.fingerprint_files():
        digest.update(b"org_config/" + path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def anything_new() -> bool:
    """False when tonight would rebuild the published marts unchanged: they are of tonight's
    as-of, built by this project, nothing was loaded or quarantined since (a night re-run), and
    they are still there to read."""
    with _writing("anything_new"), paths().warehouse.raw_store() as store:
        unchanged = store.unchanged_since_publish(project_fingerprint()) and paths().warehouse.has_published()
    if unchanged:
        log.info("nothing new since the published night of the same as-of: transform, audit and publish skipped")
    return not unchanged


def full_refresh_needed(project: str) -> bool:
    """Whether tonight's ``dbt build`` of ``project`` (its fingerprint) runs with ``--full-refresh``:
    the incremental models follow changes of data forward in time; a changed project or
    configuration, or a replayed earlier night, rebuilds them from scratch
    (``RawStore.full_refresh_reason``). The caller holds the writer lock."""
    with paths().warehouse.raw_store() as store:
        reason = store.full_refresh_reason(project)
    if reason:
        log.info("dbt build --full-refresh: %s", reason)
    return reason is not None


def idle_nodes() -> list[str]:
    """The models and snapshots an incremental build leaves as they are: fed only by empty raw
    tables, and empty (:mod:`leadflow.idle_nodes`; the caller holds the writer lock); none
    without the install-time manifest."""
    from leadflow import idle_nodes as idle

    manifest = paths().dbt_manifest
    if not manifest.exists():
        return []
    with paths().warehouse.raw_store() as store:
        nodes = idle.idle_nodes(json.loads(manifest.read_text()), store.empty_relations)
    if nodes:
        log.info("not built tonight, every source they read is empty: %s", ", ".join(n.split(".")[-1] for n in nodes))
    return nodes


def record_build(project: str) -> None:
    """Note the project (its fingerprint when the build started) tonight's successful build was
    of (the caller holds the writer lock)."""
    with paths().warehouse.raw_store() as store:
        store.record_build(project)


def build_models(run_id: str | None = None) -> None:
    """One ``dbt build`` of the whole project on the work warehouse (its profile's threads): what
    the DAG's producer task runs, for runs without Airflow (``make night``, tests)."""
    where = paths()
    with _writing("dbt build", run_id):
        project = project_fingerprint()
        if full_refresh_needed(project):
            result = where.dbt("build", "--full-refresh")
        else:
            idle = [uid.split(".")[-1] for uid in idle_nodes()]
            result = where.dbt("build", *(["--exclude", *idle] if idle else []))
        if result.returncode == 0:
            record_build(project)
    if result.returncode != 0:
        raise BuildError(f"dbt build failed (exit {result.returncode}):\n{result.stdout[-4000:]}")


_held: dict[str, tuple[ExitStack, str]] = {}  # per producer task: its writer lock, the project it builds


def hold_writer(context: Any) -> None:
    """``pre_execute`` of the DAG's dbt producer: it holds the writer lock while dbt builds, and
    names this process as dbt's starter (Cosmos starts dbt from here, with this environment)."""
    os.environ.update(dbt_started_here())
    org_config.seed_path(paths().dbt_project)  # the org's seeds composed on this worker too
    stack = ExitStack()
    stack.enter_context(_writing("dbt build", context["run_id"]))
    project = project_fingerprint()
    _held[context["ti"].task_id] = (stack, project)
    producer = context["task"]
    producer.full_refresh = full_refresh_needed(project)
    if not producer.full_refresh:
        # as Cosmos (1.15) skips the models of stale sources: the build excludes the idle models,
        # their tasks read "skipped", and so do their tests' tasks (trigger rule, in the DAG)
        producer._apply_node_state_tokens(context, [(uid, "skipped") for uid in idle_nodes()])


def release_writer(context: Any, result: Any = None) -> None:
    """``post_execute`` of the producer, called when the build succeeded (a failed build releases
    the lock when its process ends)."""
    if held := _held.pop(context["ti"].task_id, None):
        stack, project = held
        record_build(project)
        stack.close()


def audit() -> dict[str, Any]:
    """Validate the work warehouse; raise IntegrityError when publishing must not happen."""
    from leadflow import run_summary
    from leadflow.quality.validate import validate

    report = validate(paths())
    if report.blocking:
        names = ", ".join(
            f"{f.suite}:{f.expectation}:{f.column or f.control_name or ''} {f.sample_ids}" for f in report.blocking
        )
        checks = run_summary.describe_checks(run_summary.failing_checks())
        raise IntegrityError(f"not publishing: {names}" + (f"\n{checks}" if checks else ""))
    return report.to_dict()


def publish(run_id: str | None = None) -> dict[str, int]:
    where = paths()
    with _writing("publish", run_id):
        rows = where.warehouse.publish()
        with where.warehouse.raw_store() as store:
            store.record_publish(project_fingerprint())
    log.info("published %s: %s", where.warehouse.published, rows)
    return rows


def report(
    as_of: datetime,
    run_id: str,
    new: bool | None,
    quality: dict[str, Any] | None,
    rows: dict[str, int] | None,
    error: str | None = None,
) -> Path:
    """The night's summary and alert, whatever happened: published (``quality`` and ``rows``),
    skipped because nothing was new (``new`` False: the published summary stands), or not
    published (a step failed; ``error`` says which when it is known)."""
    from leadflow import run_summary

    if new is False:
        return run_summary.summary_path()
    if quality is not None and rows is not None:
        return run_summary.published(as_of, run_id, quality, rows)
    return run_summary.not_published(as_of, run_id, error)


def close_night(
    as_of: datetime, run_id: str, new: bool | None, quality: dict[str, Any] | None, rows: dict[str, int] | None
) -> str:
    """The DAG's last task: :func:`report`, then fail when the night was not published (a DAG
    run's state is its last task's)."""
    path = report(as_of, run_id, new, quality, rows)
    if new is not False and (quality is None or rows is None):
        raise NotPublished(f"night {run_id} was not published: {path} says why")
    return str(path)


def run(as_of: datetime, run_id: str, phase: Callable[[str], AbstractContextManager] = lambda _: nullcontext()) -> Path:
    """The whole night without Airflow, task by task in the DAG's order; the run summary's path.
    ``phase(name)`` is entered around each phase (``make bench`` times them with it). A failed
    night writes its summary and alerts before the error propagates."""
    new, quality, rows = None, None, None
    try:
        with phase("extract"):
            open_night(as_of, run_id)
            for obj in ALL_OBJECTS:
                extract(obj.system, obj.name, run_id)
        new = anything_new()
        if new:
            with phase("transform"):
                build_models(run_id)
            with phase("audit"):
                quality = audit()
            with phase("publish"):
                rows = publish(run_id)
    except Exception as error:
        report(as_of, run_id, new, None, None, f"{type(error).__name__}: {error}")
        raise
    with phase("report"):
        return report(as_of, run_id, new, quality, rows)
