"""The nightly DAG: it imports cleanly, reads like the process, and runs end to end in Airflow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import check_marts, reference
from leadflow.demo import nightly_env, run_nightly
from leadflow.fixtures import MARKETO_OBJECTS, SALESFORCE_OBJECTS
from leadflow.sandbox.process import running_sandbox
from leadflow.settings import PROJECT_ROOT


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


def test_one_extract_task_per_object_then_transform_audit_publish(dag) -> None:
    ids = set(dag.task_ids)
    extracts = {f"extract_salesforce_{o.name.lower()}" for o in SALESFORCE_OBJECTS} | {
        f"extract_marketo_{o.name}" for o in MARKETO_OBJECTS
    }
    assert extracts <= ids
    models = {t for t in ids if t.startswith("transform.")}
    assert {"transform.fct_lead_lifecycle_model_build", "transform.mart_data_quality_model_build"} <= models
    publish = dag.get_task("publish")
    assert dag.get_task("audit").task_id in publish.upstream_task_ids
    assert [o.uri for o in publish.outlets] == ["leadflow://warehouse/marts"]
    for task_id in extracts | models | {"audit", "publish"}:
        assert dag.get_task(task_id).pool == "leadflow_warehouse", task_id
    first_models = {t for t in models if not (dag.get_task(t).upstream_task_ids & models)}
    assert all(extracts <= dag.get_task(t).upstream_task_ids for t in first_models)


@pytest.mark.e2e
def test_airflow_runs_the_night_and_marts_equal_reference(generated_fixture: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "dag.duckdb"
    as_of = json.loads((generated_fixture / "manifest.json").read_text())["as_of"]
    with running_sandbox(generated_fixture, tmp_path / "tls") as sandbox:
        env = nightly_env(sandbox.airflow_connection(), warehouse)
        env["LEADFLOW_REPORTS_DIR"] = str(tmp_path / "reports")
        code = run_nightly(env, as_of, tmp_path / "dag.log")
    assert code == 0, (tmp_path / "dag.log").read_text()[-4000:]
    result = check_marts(warehouse, reference(generated_fixture, as_of), tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    summary = json.loads((tmp_path / "reports" / "last_run.json").read_text())
    assert summary["rows"]["fct_lead_lifecycle"] > 0
    assert sandbox.client_secret not in (tmp_path / "dag.log").read_text()
