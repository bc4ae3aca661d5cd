"""The scale-out shape, run for real: Airflow with the CeleryExecutor on Redis, a Celery worker,
a PostgreSQL metadata database and the PostgreSQL warehouse (the compose `scale-out` profile,
as local processes). The night is triggered like a scheduled one and its published marts agree
with the reference; no task writes a local warehouse file.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
import yaml
from conftest import PG_SERVER, check_marts, export_marts, pg_query, reference, require_service
from leadflow.settings import PROJECT_ROOT, Paths
from leadflow.timefmt import parse_instant
from leadflow_dev.sandbox.process import free_port, running_sandbox

pytestmark = pytest.mark.night

AIRFLOW = str(Path(sys.executable).parent / "airflow")
CELERY = str(Path(sys.executable).parent / "celery")
REDIS_URL = os.environ.get("LEADFLOW_TEST_REDIS", "redis://127.0.0.1:6379/11")
RUN_TIMEOUT = 1500  # seconds


def _compose_worker_settings() -> dict[str, str]:
    """The Airflow settings docker-compose.yml gives its Celery workers beyond connections and
    databases (how a worker runs tasks): this night runs with them too."""
    spec = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
    worker = spec["services"]["airflow-worker"]["environment"]
    tuning = ("AIRFLOW__WORKERS__", "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS")
    return {key: str(value) for key, value in worker.items() if key.startswith(tuning)}


def _redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def metadata_database() -> Iterator[str]:
    name = f"airflow_meta_{os.getpid()}"
    pg_query("postgres", f"drop database if exists {name} with (force)")
    pg_query("postgres", f"create database {name}")
    yield name
    pg_query("postgres", f"drop database if exists {name} with (force)")


class Processes:
    """Long-running Airflow components, each in its own process group, logs under a folder."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs, self.running = env, logs, {}
        logs.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, *command: str) -> None:
        log = (self.logs / f"{name}.log").open("w")
        self.running[name] = subprocess.Popen(
            command, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def run(self, *command: str, timeout: int = 600) -> str:
        result = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=timeout)
        assert result.returncode == 0, (command, result.stdout[-2000:], result.stderr[-2000:])
        return result.stdout

    def alive(self) -> None:
        for name, process in self.running.items():
            assert process.poll() is None, f"{name} exited: {self.tail(name)}"

    def tail(self, name: str, chars: int = 3000) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


@pytest.mark.e2e
@pytest.mark.postgres
def test_the_night_runs_on_celery_workers_into_the_postgres_warehouse(
    pg_warehouse: Paths, metadata_database: str, generated_fixture: Path, tmp_path: Path
) -> None:
    require_service("Redis", _redis_available())
    redis.Redis.from_url(REDIS_URL).flushdb()
    host, port, user = (PG_SERVER[k] for k in ("LEADFLOW_PG_HOST", "LEADFLOW_PG_PORT", "LEADFLOW_PG_USER"))
    metadata = f"postgresql+psycopg2://{user}@{host}:{port}/{metadata_database}"
    api_port = free_port()
    as_of = json.loads((generated_fixture / "manifest.json").read_text())["as_of"]
    local_file = tmp_path / "unused.duckdb"

    with running_sandbox(generated_fixture, tmp_path / "tls") as sandbox:
        env = {
            **os.environ,  # the PostgreSQL warehouse settings (pg_warehouse)
            **_compose_worker_settings(),
            "AIRFLOW_HOME": str(tmp_path / "airflow"),
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata,
            "AIRFLOW__CELERY__BROKER_URL": REDIS_URL,
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{metadata}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "4",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",  # only the run this test triggers
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW_CONN_SALESFORCE_DEFAULT": sandbox.airflow_connection(),
            "AIRFLOW_CONN_MARKETO_DEFAULT": sandbox.airflow_connection(),
            "LEADFLOW_WAREHOUSE": str(local_file),
            "LEADFLOW_REPORTS_DIR": str(tmp_path / "reports"),
        }
        airflow = Processes(env, tmp_path / "logs")
        try:
            airflow.run(AIRFLOW, "db", "migrate")
            airflow.run(AIRFLOW, "pools", "set", "leadflow_warehouse", "4", "PostgreSQL: writers side by side")
            airflow.start("api-server", AIRFLOW, "api-server", "--port", str(api_port))
            airflow.start("scheduler", AIRFLOW, "scheduler")
            airflow.start("dag-processor", AIRFLOW, "dag-processor")
            airflow.start("worker", AIRFLOW, "celery", "worker")
            _wait_for_dag(airflow, metadata_database)
            airflow.run(AIRFLOW, "dags", "unpause", "leadflow_nightly")
            airflow.run(AIRFLOW, "dags", "trigger", "leadflow_nightly", "--logical-date", as_of)
            state, night_as_of = _wait_for_run(airflow, metadata_database)
            # the compose file's worker healthcheck, against the running worker
            airflow.run(
                CELERY,
                "--app",
                "airflow.providers.celery.executors.celery_executor.app",
                "inspect",
                "ping",
                timeout=120,
            )
        finally:
            airflow.stop()
    assert state == "success", airflow.tail("scheduler") + airflow.tail("worker")

    ((through_celery, succeeded),) = pg_query(
        metadata_database, "select count(*), count(*) filter (where status = 'SUCCESS') from celery_taskmeta"
    )
    ((tasks,),) = pg_query(  # an EmptyOperator never reaches a worker: the scheduler marks it done
        metadata_database,
        "select count(*) from task_instance where dag_id = 'leadflow_nightly' and operator != 'EmptyOperator'",
    )
    assert through_celery == succeeded >= tasks > 20  # every task instance went through a Celery worker
    # the night announces one Asset, the published marts; the dbt model tasks announce none
    emitted = pg_query(metadata_database, "select distinct a.uri from asset_event e join asset a on a.id = e.asset_id")
    assert emitted == [("leadflow://warehouse/marts",)], emitted

    assert not local_file.exists() and not list(tmp_path.glob("*.duckdb")), "a task wrote a local warehouse file"
    exported = tmp_path / "published-export.duckdb"
    export_marts(pg_warehouse.warehouse, exported)
    summary = json.loads((tmp_path / "reports" / "last_run.json").read_text())
    assert summary["warehouse"] == str(pg_warehouse.warehouse.published)
    # a manual run's data interval ends at the last 04:00 before it was triggered: that is its as-of
    assert parse_instant(summary["as_of"]) == night_as_of
    expected = reference(generated_fixture, f"{night_as_of.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}")
    result = check_marts(exported, expected, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]
    logs = [path.read_text(errors="replace") for path in tmp_path.rglob("*.log")]  # components' and tasks'
    assert len(logs) > 20 and not any(sandbox.client_secret in text for text in logs)


def _wait_for_dag(airflow: Processes, metadata_database: str, timeout: int = 300) -> None:
    """Until the dag-processor has stored leadflow_nightly (read in the metadata database: an
    `airflow dags list` every few seconds would cost more CPU than the parse it waits for)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        airflow.alive()
        if pg_query(metadata_database, "select 1 from serialized_dag where dag_id = 'leadflow_nightly'"):
            return
        time.sleep(2)
    raise AssertionError("the dag-processor did not parse leadflow_nightly: " + airflow.tail("dag-processor"))


def _wait_for_run(airflow: Processes, metadata_database: str) -> tuple[str, datetime]:
    """The run's final state and its data-interval end (the night's as-of)."""
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        airflow.alive()
        runs = pg_query(
            metadata_database, "select state, data_interval_end from dag_run where dag_id = 'leadflow_nightly'"
        )
        if runs and runs[0][0] in ("success", "failed"):
            return runs[0]
        time.sleep(10)
    raise AssertionError("the run did not finish in time: " + airflow.tail("scheduler"))
