"""Leadflow nightly: the source systems -> raw -> dbt -> Great Expectations -> published marts.

Open the night (its as-of time, the data-interval end, is written where dbt reads it), extract
each object of each source system in the catalogue (one task each, retryable on its own; a
system without a connection is skipped), stop there if nothing is new since the
night already published for the same as-of (a re-run), build the dbt project with one
``dbt build`` (Cosmos watcher mode: one producer task runs dbt, and a
task per model shows that model's outcome), audit the result with Great Expectations, and only
then publish the marts that BI tools read.
Every task that writes the warehouse runs in the ``leadflow_warehouse`` pool: one slot on DuckDB
(one writer per file), more on the PostgreSQL warehouse of the scale-out shape.
The dbt graph comes from the manifest built at install time (``make venv``, the image): parsing
this file never runs dbt.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import chain, dag, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior
from leadflow import nightly
from leadflow.alerts import failure_notifiers
from leadflow.assets import PUBLISHED_MARTS
from leadflow.settings import DBT_PROFILE, dbt_executable, paths
from leadflow.sources import ALL_OBJECTS

WAREHOUSE_POOL = "leadflow_warehouse"
WHERE = paths()


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
    def open_night(data_interval_end: datetime | None = None, run_id: str | None = None) -> str:
        return nightly.open_night(data_interval_end, run_id)

    # what the source holds when the task runs, whatever the night's as-of (dbt applies it)
    @task
    def extract(system: str, object_name: str, run_id: str | None = None) -> dict:
        return nightly.extract(system, object_name, run_id)

    # a re-run of a night whose marts are already published (nothing new since) stops here
    @task.short_circuit(ignore_downstream_trigger_rules=False)
    def anything_new() -> bool:
        return nightly.anything_new()

    @task(retries=0)
    def audit() -> dict:
        return nightly.audit()

    @task(outlets=[PUBLISHED_MARTS])
    def publish(run_id: str | None = None) -> dict:
        return nightly.publish(run_id)

    # runs whatever happened: a night that was not published writes its summary, alerts once
    # (the failed task alerted too) and fails the run
    @task(pool="default_pool", trigger_rule="all_done", retries=0, on_failure_callback=[])
    def report(
        new: bool | None,
        quality: dict | None,
        rows: dict | None,
        data_interval_end: datetime | None = None,
        run_id: str | None = None,
    ) -> str:
        return nightly.close_night(data_interval_end, run_id, new, quality, rows)

    # one task per object of every source system in the catalogue
    extracted = [extract.override(task_id=obj.task_id)(obj.system, obj.name) for obj in ALL_OBJECTS]

    transform = DbtTaskGroup(
        group_id="transform",
        project_config=ProjectConfig(
            dbt_project_path=WHERE.dbt_project,
            manifest_path=WHERE.dbt_manifest,
            project_name="leadflow",
            install_dbt_deps=False,
        ),
        profile_config=ProfileConfig(
            profile_name=DBT_PROFILE,
            target_name=WHERE.warehouse.target,
            profiles_yml_filepath=WHERE.dbt_project / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER,
            # a child process: the warehouse file is closed when dbt ends, and (dbt-bound) it dies
            # with the task
            invocation_mode=InvocationMode.SUBPROCESS,
            dbt_executable_path=dbt_executable(),
            # the producer is the one writer (the pool here, the warehouse's writer lock across
            # deployments); it does not retry (Cosmos skips a producer retry)
            setup_operator_args={
                "pool": WAREHOUSE_POOL,
                "retries": 0,
                "pre_execute": nightly.hold_writer,
                "post_execute": nightly.release_writer,
            },
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.AFTER_EACH,
            emit_datasets=False,  # the published marts are one Asset, emitted by publish
            # exposures name the marts' readers (dashboards, the packet), and the on-run-end hook
            # (stale relations) runs inside the one `dbt build`: nothing to run for either, and
            # Cosmos, which has no task for them, would warn about each one at every parse
            exclude=["resource_type:exposure", "resource_type:operation"],
        ),
        operator_args={
            "append_env": True,  # the warehouse settings (and any password) stay in the environment
            "env": WHERE.dbt_env,
            # a model task only reads the producer's outcome for its model: it writes nothing, so it
            # needs no warehouse slot, and it does not retry (a retry would run its model alone)
            "pool": "default_pool",
            "retries": 0,
            # a model whose inputs were not built tonight (idle: nothing but empty sources feed
            # it) is skipped, and what also reads built models still runs; when the producer is
            # skipped (nothing new), so is every model task
            "trigger_rule": "none_failed_min_one_success",
            "deferrable": False,
            "poke_interval": 1,
            "timeout": 3600,
        },
    )

    new = anything_new()
    quality = audit()
    rows = publish()
    chain(open_night(), extracted, new, transform, quality, rows)
    watch_after_producer(transform)
    report(new, quality, rows)


def watch_after_producer(group: DbtTaskGroup) -> None:
    """Model tasks start once the one ``dbt build`` has finished, and read its outcome per model.

    In a task group Cosmos starts them beside the producer; a runner with one slot (``airflow
    dags test`` runs one task at a time) could then run a model task that waits for a producer
    that never starts. A failing model fails the producer, whose log names it.
    """
    producer = group.children[f"{group.group_id}.dbt_producer_watcher"]
    for child in group.children.values():
        if child is not producer and not child.upstream_task_ids & group.children.keys():
            producer >> child


leadflow_nightly()
