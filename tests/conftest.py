"""Shared test fixtures: generated fixtures, a running sandbox, and the pipeline run the way the
nightly DAG runs it (the DAG itself is exercised end to end in test_nightly_dag.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from leadflow.settings import PROJECT_ROOT, Location

# Airflow runs from this checkout (as `make test` sets it up), quietly.
os.environ.setdefault("AIRFLOW_HOME", str(PROJECT_ROOT / ".airflow"))
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(PROJECT_ROOT / "dags"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

from leadflow.fixtures import MARKETO_OBJECTS, SALESFORCE_OBJECTS
from leadflow.generator import generate
from leadflow.sandbox.process import RunningSandbox, running_sandbox
from leadflow.timefmt import parse_instant

SHARED = PROJECT_ROOT.parent / "shared"
SMALL_FIXTURE = SHARED / "fixtures" / "small"
REFERENCE = SHARED / "tools" / "reference_marts.py"
CHECK = SHARED / "tools" / "check_marts.py"
BIN = Path(sys.executable).parent


def require_service(name: str, available: bool) -> None:
    """Skip when a local service is missing, except in CI, where that is a failure."""
    if available:
        return
    message = f"{name} is not reachable on this machine"
    if os.environ.get("LEADFLOW_REQUIRE_SERVICES"):
        pytest.fail(f"{message} (required: LEADFLOW_REQUIRE_SERVICES is set)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def generated_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fixture") / "gen"
    generate(out, 400, 21, "2026-06-30T23:00:00Z")
    return out


@pytest.fixture(scope="session")
def sandbox(generated_fixture: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    tls = tmp_path_factory.mktemp("tls")
    with running_sandbox(generated_fixture, tls, page_size=150) as running:
        yield running


def reference(fixtures: Path, as_of: str | None = None) -> dict:
    command = [sys.executable, str(REFERENCE), str(fixtures)] + (["--as-of", as_of] if as_of else [])
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def check_marts(warehouse: Path, expected: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    path = tmp_path / f"expected-{expected['as_of'].replace(':', '')}.json"
    path.write_text(json.dumps(expected))
    return subprocess.run([sys.executable, str(CHECK), str(warehouse), str(path)], capture_output=True, text=True)


def use_sandbox(monkeypatch: pytest.MonkeyPatch, sandbox: RunningSandbox, warehouse: Path) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SALESFORCE_DEFAULT", sandbox.airflow_connection())
    monkeypatch.setenv("AIRFLOW_CONN_MARKETO_DEFAULT", sandbox.airflow_connection())
    monkeypatch.setenv("LEADFLOW_WAREHOUSE", str(warehouse))
    monkeypatch.delenv("LEADFLOW_WORK_WAREHOUSE", raising=False)
    monkeypatch.setenv("LEADFLOW_REPORTS_DIR", str(warehouse.parent / "reports"))


def extract_all(as_of: datetime, run_id: str) -> None:
    from leadflow import night

    for obj in SALESFORCE_OBJECTS:
        night.extract_salesforce(obj.name, as_of, run_id)
    for obj in MARKETO_OBJECTS:
        night.extract_marketo(obj.name, as_of, run_id)


def dbt(command: list[str], work: Location, as_of: str) -> subprocess.CompletedProcess:
    """dbt on the work warehouse: a DuckDB file, or the PostgreSQL database of the environment."""
    env = dict(os.environ)
    if isinstance(work, Path):
        env.update(LEADFLOW_WORK_WAREHOUSE=str(work), LEADFLOW_DBT_TARGET="duckdb")
    return subprocess.run(
        [str(BIN / "dbt"), *command, "--profiles-dir", ".", "--vars", json.dumps({"as_of": as_of})],
        cwd=PROJECT_ROOT / "dbt_project",
        env=env,
        capture_output=True,
        text=True,
    )


def run_night(as_of: str, run_id: str = "test") -> dict[str, int]:
    """One night as the DAG runs it, with dbt in one `dbt build`: extract, build, audit, publish."""
    from leadflow import night
    from leadflow.settings import paths

    extract_all(parse_instant(as_of), run_id)
    result = dbt(["build"], paths().work_warehouse, as_of)
    assert result.returncode == 0, result.stdout[-3000:]
    night.audit()
    return night.publish()
