"""Leadflow nightly: Salesforce + Marketo -> raw -> dbt -> Great Expectations -> published marts.

Extract each source object (one task each, retryable on its own), build the dbt project
(one task per model, through Cosmos), audit the result with Great Expectations, and only then
publish the marts that BI tools read. The run's as-of time is its data-interval end.
Every task that writes the warehouse runs in the ``leadflow_warehouse`` pool: one slot on DuckDB
(one writer per file), more on the PostgreSQL warehouse of the scale-out shape.
"""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from airflow.sdk import chain, dag, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, TestBehavior, TestIndirectSelection
from leadflow import night
from leadflow.alerts import failure_notifiers
from leadflow.assets import PUBLISHED_MARTS
from leadflow.fixtures import MARKETO_OBJECTS, SALESFORCE_OBJECTS
from leadflow.settings import paths

WAREHOUSE_POOL = "leadflow_warehouse"
WHERE = paths()
DBT = shutil.which("dbt", path=str(Path(sys.executable).parent)) or shutil.which("dbt") or "dbt"


@dag(
    schedule="0 4 * * *",
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args={
        "retries": 2,
        "retry_delay": timedelta(minutes=2),
        "pool": WAREHOUSE_POOL,
        "on_failure_callback": failure_notifiers(),
    },
    tags=["leadflow", "revops"],
    doc_md=__doc__,
)
def leadflow_nightly() -> None:
    @task
    def extract_salesforce(
        object_name: str, data_interval_end: datetime | None = None, run_id: str | None = None
    ) -> dict:
        return night.extract_salesforce(object_name, data_interval_end, run_id)

    @task
    def extract_marketo(object_name: str, data_interval_end: datetime | None = None, run_id: str | None = None) -> dict:
        return night.extract_marketo(object_name, data_interval_end, run_id)

    @task(retries=0)
    def audit() -> dict:
        return night.audit()

    @task(outlets=[PUBLISHED_MARTS])
    def publish() -> dict:
        return night.publish()

    @task(pool="default_pool")
    def report(quality: dict, rows: dict, data_interval_end: datetime | None = None, run_id: str | None = None) -> str:
        summary = night.write_run_summary(data_interval_end, run_id, quality, rows)
        night.alert_on_findings(quality)
        return str(summary)

    extracted = [
        extract_salesforce.override(task_id=f"extract_salesforce_{obj.name.lower()}")(obj.name)
        for obj in SALESFORCE_OBJECTS
    ] + [extract_marketo.override(task_id=f"extract_marketo_{obj.name}")(obj.name) for obj in MARKETO_OBJECTS]

    transform = DbtTaskGroup(
        group_id="transform",
        project_config=ProjectConfig(dbt_project_path=WHERE.dbt_project, install_dbt_deps=False),
        profile_config=ProfileConfig(
            profile_name="leadflow",
            target_name=WHERE.dbt_target,
            profiles_yml_filepath=WHERE.dbt_project / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.SUBPROCESS,
            dbt_executable_path=DBT,
            # a test runs with the last of its parents to be built (e.g. relationships)
            test_indirect_selection=TestIndirectSelection.BUILDABLE,
        ),
        render_config=RenderConfig(test_behavior=TestBehavior.BUILD),
        operator_args={
            "vars": {"as_of": "{{ data_interval_end.isoformat() }}"},
            "append_env": True,  # the warehouse settings (and any password) stay in the environment
            "env": {"LEADFLOW_WORK_WAREHOUSE": str(WHERE.work_warehouse)} if WHERE.dbt_target == "duckdb" else {},
            "pool": WAREHOUSE_POOL,
        },
    )

    quality = audit()
    rows = publish()
    chain(extracted, transform, quality, rows)
    report(quality, rows)


leadflow_nightly()
