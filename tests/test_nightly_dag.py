"""The nightly DAG: it imports cleanly, reads like the process, and runs end to end in Airflow."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import check_marts, reference
from leadflow import nightly
from leadflow.settings import PROJECT_ROOT
from leadflow.sources import ALL_OBJECTS, SYSTEMS
from leadflow.timefmt import marketo_format, parse_instant
from leadflow.warehouse.duckdb import DuckDBWarehouse
from leadflow_dev.demo import nightly_env, run_nightly
from leadflow_dev.sandbox.process import RunningSandbox, running_sandbox


@pytest.fixture(scope="module")
def dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    assert bag.import_errors == {}
    return bag.get_dag("leadflow_nightly")


def test_schedule_and_concurrency(dag) -> None:
    assert dag.max_active_runs == 1
    assert dag.schedule == "0 4 * * *"
    assert not dag.catchup


def test_one_extract_task_per_object_then_one_dbt_build_audit_publish(dag) -> None:
    ids = set(dag.task_ids)
    extracts = {o.task_id for o in ALL_OBJECTS}
    assert "extract_salesforce_lead" in extracts and "extract_marketo_leads" in extracts
    assert extracts <= ids
    assert all("open_night" in dag.get_task(t).upstream_task_ids for t in extracts)
    producer = dag.get_task("transform.dbt_producer_watcher")
    assert extracts <= dag.get_task("anything_new").upstream_task_ids
    assert "anything_new" in producer.upstream_task_ids
    models = {t for t in ids if t.startswith("transform.") and not t.startswith(producer.task_id)}
    assert {"transform.fct_lead_lifecycle.run", "transform.mart_data_quality.run"} <= models
    # every model task watches the one build: none starts before it
    assert all(producer.task_id in dag.get_task(t).get_flat_relative_ids(upstream=True) for t in models)
    publish = dag.get_task("publish")
    assert dag.get_task("audit").task_id in publish.upstream_task_ids
    assert [o.uri for o in publish.outlets] == ["leadflow://warehouse/marts"]
    for task_id in extracts | {producer.task_id, "open_night", "audit", "publish"}:
        assert dag.get_task(task_id).pool == "leadflow_warehouse", task_id
    # model tasks write nothing (they read the build's outcome) and never re-run a model alone
    settings = {t: (dag.get_task(t).pool, dag.get_task(t).retries) for t in models}
    assert settings == dict.fromkeys(models, ("default_pool", 0))


def test_parsing_the_dag_never_runs_dbt(monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    from airflow.dag_processing.dagbag import DagBag

    def refuse(*args, **kwargs):
        raise AssertionError(f"DAG parsing started a process: {args[0] if args else kwargs}")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    monkeypatch.setattr(subprocess, "run", refuse)
    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    assert bag.import_errors == {}
    assert "transform.dbt_producer_watcher" in bag.get_dag("leadflow_nightly").task_ids


def test_parsing_the_dag_warns_of_nothing(dag, caplog: pytest.LogCaptureFixture) -> None:
    """A parse happens in every task process: a warning there is noise in every task's log.
    (The ``dag`` fixture's parse has set Airflow's logging up, root handlers included.)"""
    from airflow.dag_processing.dagbag import DagBag

    root = logging.getLogger()
    root.addHandler(caplog.handler)
    try:
        bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    finally:
        root.removeHandler(caplog.handler)
    assert bag.import_errors == {}
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []


def _modules_loaded_by(code: str) -> set[str]:
    """The module names ``code``, run in a fresh interpreter on this checkout's DAG folder, prints."""
    env = {**os.environ, "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags")}
    listed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    return set(listed.stdout.split())


def test_parsing_the_dags_imports_no_task_body_libraries() -> None:
    """Airflow parses a DAG file in every task process: what only task bodies need (pandas,
    Great Expectations, the API clients, the packet's charts) is imported when they run."""
    loaded = _modules_loaded_by(
        "import sys; from airflow.dag_processing.dagbag import DagBag; "
        "bag = DagBag(); assert not bag.import_errors, bag.import_errors; "
        "print(' '.join(sys.modules))"
    )
    heavy = {*nightly.TASK_BODY_IMPORTS, "matplotlib", "requests"}
    assert not heavy & loaded, heavy & loaded


def _module_named(module: str, name: str) -> str:
    """``module.name`` when that is a module (``from leadflow import nightly``), else ``module``."""
    try:
        return f"{module}.{name}" if importlib.util.find_spec(f"{module}.{name}") else module
    except ModuleNotFoundError:  # module is not a package
        return module


def _task_body_imports() -> set[str]:
    """The modules the functions of leadflow.nightly (the task bodies) import when they run: the
    imports they write, and the extractor of each source system, imported by name."""
    imported: set[str] = {system.extractor for system in SYSTEMS}
    functions = [node for node in ast.parse(inspect.getsource(nightly)).body if isinstance(node, ast.FunctionDef)]
    for node in (node for function in functions for node in ast.walk(function)):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):  # a module of a package, or a name of a module
            imported |= {_module_named(node.module, alias.name) for alias in node.names}
    return imported


def test_a_celery_worker_holds_what_the_night_imports_before_its_pool_forks() -> None:
    """With Leadflow's Celery settings, the worker's import of its modules (the signal Celery
    sends before the pool starts) parses the DAG files and imports the task bodies' libraries,
    so a task process finds Cosmos's watcher operators, the DAG's modules, Great Expectations
    and pandas already loaded, and a task body's imports load nothing more."""
    task_body_imports = _task_body_imports()
    assert {"leadflow.extract.salesforce", "leadflow.connections"} <= task_body_imports
    loaded = _modules_loaded_by(
        "import importlib, sys; from celery.signals import import_modules; "
        "from leadflow.celery_config import CELERY_CONFIG; "
        "before = set(sys.modules); import_modules.send(sender=None); preloaded = set(sys.modules); "
        f"[importlib.import_module(m) for m in {sorted(task_body_imports)!r}]; "
        "print(' '.join(preloaded - before)); print(' '.join('more:' + m for m in set(sys.modules) - preloaded))"
    )
    expected = {"cosmos.operators.watcher", "leadflow.assets", "great_expectations", "pandas"}
    assert expected <= loaded, sorted(expected - loaded)
    more = {m.removeprefix("more:") for m in loaded if m.startswith("more:")}
    assert not more, sorted(more)


@pytest.mark.night
@pytest.mark.e2e
def test_airflow_runs_the_night_and_marts_equal_reference(dag, generated_fixture: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "dag.duckdb"
    as_of = json.loads((generated_fixture / "manifest.json").read_text())["as_of"]
    metadata = tmp_path / "airflow.db"
    said: list[str] = []

    @contextmanager
    def night_env() -> Iterator[tuple[RunningSandbox, dict[str, str]]]:
        """A sandbox, and the night's environment: reports in tmp_path, and a metadata database
        of the test's own (a copy of this checkout's, migrated and with the warehouse pool).
        With three nights on the checkout's one SQLite file, the tests after them found it
        malformed in CI, where the other worker parses the DAG beside them (the cause was not
        settled); the checkout's file now only serves those parses."""
        if not metadata.exists():
            shutil.copy2(Path(os.environ["AIRFLOW_HOME"]) / "airflow.db", metadata)
        with running_sandbox(generated_fixture, tmp_path / "tls") as sandbox:
            env = nightly_env(sandbox, warehouse)
            env["LEADFLOW_REPORTS_DIR"] = str(tmp_path / "reports")
            env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{metadata}"
            yield sandbox, env

    with night_env() as (sandbox, env):
        code = run_nightly(env, as_of, tmp_path / "dag.log", said.append)
    assert code == 0, (tmp_path / "dag.log").read_text()[-4000:]
    # the person watching saw every task end, with the records each extract received, and each phase
    ended = {line.split()[1]: line for line in said if line.startswith("  ✓ ")}
    assert set(ended) == set(dag.task_ids), set(dag.task_ids) ^ set(ended)
    assert " received, " in ended["extract_salesforce_lead"] and " tables, " in ended["publish"]
    assert [line.split(":")[0] for line in said if line.startswith("──")] == ["── extract", "── transform"]
    assert len((tmp_path / "dag.log").read_text().splitlines()) > len(said), "the log keeps what was filtered"
    # each task's lines where Airflow's UI reads its log (make airflow)
    run_logs = max(
        (Path(os.environ["AIRFLOW_HOME"]) / "logs" / "dag_id=leadflow_nightly").iterdir(), key=os.path.getmtime
    )
    lead_log = (run_logs / "task_id=extract_salesforce_lead" / "attempt=1.log").read_text()
    assert "Lead: PageResult(received=" in lead_log and "task_id=extract_salesforce_user" not in lead_log
    assert {p.parent.name.removeprefix("task_id=") for p in run_logs.glob("*/attempt=1.log")} == set(dag.task_ids)
    result = check_marts(warehouse, reference(generated_fixture, as_of), tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    summary = json.loads((tmp_path / "reports" / "last_run.json").read_text())
    assert summary["rows"]["fct_lead_lifecycle"] > 0
    # the dbt producer's post_execute recorded the build: the next night's is incremental
    with duckdb.connect(str(DuckDBWarehouse.beside(warehouse).work), read_only=True) as con:
        assert con.execute("select count(*) from raw_meta.builds").fetchone()[0] == 1
    assert sandbox.client_secret not in (tmp_path / "dag.log").read_text()
    assert sandbox.client_secret.encode() not in metadata.read_bytes()
    # the same night again, with nothing new: extraction runs, nothing is rebuilt or published
    published = warehouse.stat().st_ino
    with night_env() as (_, env):
        code = run_nightly(env, as_of, tmp_path / "rerun.log")
    assert code == 0, (tmp_path / "rerun.log").read_text()[-4000:]
    assert warehouse.stat().st_ino == published
    assert json.loads((tmp_path / "reports" / "last_run.json").read_text()) == summary
    # a day later: an incremental build, where the models of the systems this org does not use
    # (HubSpot, the sheet: empty raw tables) are not built and their tasks say so
    later = marketo_format(parse_instant(as_of) + timedelta(days=1))
    with night_env() as (_, env):
        code = run_nightly(env, later, tmp_path / "later.log")
    assert code == 0, (tmp_path / "later.log").read_text()[-4000:]
    shown = subprocess.run(  # as Airflow shows the run
        [str(Path(sys.executable).parent / "airflow"), "tasks", "states-for-dag-run", dag.dag_id, later, "-o", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    states = {row["task_id"]: row["state"] for row in json.loads(shown.stdout)}
    assert states["transform.stg_hubspot__contacts.run"] == states["transform.stg_hubspot__contacts.test"] == "skipped"
    assert states["transform.hubspot__leads_run"] == "skipped"
    assert states["transform.stg_salesforce__leads.run"] == states["transform.int_leads.run"] == "success"
    assert states["audit"] == states["publish"] == "success"
    result = check_marts(warehouse, reference(generated_fixture, later), tmp_path, run_as_of=later)
    assert result.returncode == 0, result.stdout[-4000:]
