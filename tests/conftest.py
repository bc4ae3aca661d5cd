"""Shared test fixtures: generated fixtures, a running sandbox, and the pipeline run the way the
nightly DAG runs it (the DAG itself is exercised end to end in test_nightly_dag.py)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import pytest
from leadflow.settings import PROJECT_ROOT, Paths, paths
from leadflow.warehouse import Warehouse

# Airflow runs from this checkout (as `make test` sets it up), quietly.
os.environ.setdefault("AIRFLOW_HOME", str(PROJECT_ROOT / ".airflow"))
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(PROJECT_ROOT / "dags"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


from leadflow.sources import ALL_OBJECTS
from leadflow.timefmt import parse_instant
from leadflow_dev.generator import generate
from leadflow_dev.sandbox.process import RunningSandbox, running_sandbox


def _dbt_output_of_this_worker() -> None:
    """Under pytest-xdist, each worker's dbt writes a target and log folder of its own inside the
    project it runs (``target-gw0``...): dbt writes them on every run, and two runs in one folder
    trample each other. Seeded with the install-time target (manifest and partial-parse state),
    which stays as it was for the DAG to read."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or "DBT_TARGET_PATH" in os.environ:
        return
    installed = PROJECT_ROOT / "dbt_project" / "target"
    own = installed.with_name(f"target-{worker}")
    own.mkdir(exist_ok=True)
    for name in ("manifest.json", "semantic_manifest.json", "partial_parse.msgpack"):
        if (installed / name).exists():
            shutil.copy2(installed / name, own / name)
    os.environ["DBT_TARGET_PATH"] = own.name  # relative: inside whichever project dbt runs
    os.environ["DBT_LOG_PATH"] = f"logs-{worker}"


_dbt_output_of_this_worker()

# the reference tools and shared fixtures: development only, beside the checkout (or LEADFLOW_SHARED)
SHARED = Path(os.environ.get("LEADFLOW_SHARED", PROJECT_ROOT.parent / "shared"))
SMALL_FIXTURE = SHARED / "fixtures" / "small"
REFERENCE = SHARED / "tools" / "reference_marts.py"
CHECK = SHARED / "tools" / "check_marts.py"
BIN = Path(sys.executable).parent


def cohort_maturity_days(cohort: str) -> int:
    """The policy's days after a cohort month ends from which it is judged (seed ``cohort_maturity``)."""
    with (PROJECT_ROOT / "dbt_project" / "seeds" / "cohort_maturity.csv").open(newline="") as seed:
        return next(int(row["mature_after_days"]) for row in csv.DictReader(seed) if row["cohort"] == cohort)


def require_service(name: str, available: bool) -> None:
    """Skip when a local service is missing, except in CI, where that is a failure."""
    if available:
        return
    message = f"{name} is not reachable on this machine"
    if os.environ.get("LEADFLOW_REQUIRE_SERVICES"):
        pytest.fail(f"{message} (required: LEADFLOW_REQUIRE_SERVICES is set)")
    pytest.skip(message)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


SCREENSHOTS = Path(os.environ.get("LEADFLOW_TEST_OUTPUT", PROJECT_ROOT / "test-output")) / "screenshots"


def screenshot(page: Any, name: str) -> Path:
    """A full-page screenshot kept under the test output folder (``LEADFLOW_TEST_OUTPUT``, default
    ``test-output/``), for a person to look at after the run."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def offline(page: Any) -> list[str]:
    """Refuse every request that leaves the disk (as with no network); the list of those refused."""
    refused: list[str] = []

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if url.startswith(("file:", "data:", "blob:")):
            request_route.continue_()
        else:
            refused.append(url)
            request_route.abort()

    page.route("**/*", route)
    return refused


@contextmanager
def headless_chromium() -> Iterator[Any]:
    """A headless Chromium (the Debian package) driven by Playwright, as a reader's browser."""
    require_service("Chromium (Debian package chromium)", CHROMIUM is not None)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


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


@pytest.fixture(scope="session")
def built_night(sandbox: RunningSandbox, generated_fixture: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One whole night on the session's generated fixture at its as-of, built once per session.
    Tests that need a finished night take a copy (``night_copy``) instead of building another."""
    as_of = json.loads((generated_fixture / "manifest.json").read_text())["as_of"]
    warehouse = tmp_path_factory.mktemp("built") / "night.duckdb"
    with pytest.MonkeyPatch.context() as monkeypatch:
        sandbox.set_clock(as_of)
        use_sandbox(monkeypatch, sandbox, warehouse)
        run_night(as_of)
    return warehouse


@pytest.fixture
def night_copy(built_night: Path, sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the session's built night (published and work warehouses, reports),
    selected through the environment as a night would be; the sandbox's clock at the same as-of."""
    target = tmp_path / "night.duckdb"
    for source in built_night.parent.iterdir():
        copy = shutil.copytree if source.is_dir() else shutil.copy2
        copy(source, target.parent / source.name.replace(built_night.stem, target.stem, 1))
    sandbox.set_clock(json.loads((built_night.parent / "reports" / "last_run.json").read_text())["as_of"])
    use_sandbox(monkeypatch, sandbox, target)
    return target


def reference(fixtures: Path, as_of: str | None = None) -> dict:
    command = [sys.executable, str(REFERENCE), str(fixtures)] + (["--as-of", as_of] if as_of else [])
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def check_marts(
    warehouse: Path, expected: dict, tmp_path: Path, run_as_of: str | None = None
) -> subprocess.CompletedProcess:
    """check_marts.py with every section's checks; ``run_as_of``: the controls of that run (a
    replayed earlier night; by default the latest run's)."""
    path = tmp_path / f"expected-{expected['as_of'].replace(':', '')}.json"
    path.write_text(json.dumps(expected))
    command = [sys.executable, str(CHECK), str(warehouse), str(path), "--funnel"]
    command += [f"--run-as-of={run_as_of}"] if run_as_of else []
    return subprocess.run(command, capture_output=True, text=True)


def use_sandbox(monkeypatch: pytest.MonkeyPatch, sandbox: RunningSandbox, warehouse: Path) -> None:
    for name, value in sandbox.connections_env().items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("LEADFLOW_WAREHOUSE", str(warehouse))
    monkeypatch.delenv("LEADFLOW_WORK_WAREHOUSE", raising=False)
    monkeypatch.setenv("LEADFLOW_REPORTS_DIR", str(warehouse.parent / "reports"))


def extract_all(as_of: datetime, run_id: str) -> None:
    from leadflow import nightly

    nightly.open_night(as_of, run_id)
    for obj in ALL_OBJECTS:
        nightly.extract(obj.system, obj.name, run_id)


def dbt(command: list[str], warehouse: Warehouse) -> subprocess.CompletedProcess:
    """dbt in the project with this warehouse's environment and target (unit tests included, unlike
    a night's build), its output captured."""
    env = {**os.environ, **warehouse.dbt_env, "LEADFLOW_DBT_TARGET": warehouse.target}
    return subprocess.run(
        [str(BIN / "dbt"), *command, "--profiles-dir", "."],
        cwd=PROJECT_ROOT / "dbt_project",
        env=env,
        capture_output=True,
        text=True,
    )


def run_night(as_of: str, run_id: str = "test") -> Path:
    """One whole night as the DAG runs it, without Airflow (``make night``); the run summary."""
    from leadflow import nightly

    return nightly.run(parse_instant(as_of), run_id)


PG_SERVER = {
    "LEADFLOW_PG_HOST": os.environ.get("LEADFLOW_PG_HOST", "127.0.0.1"),
    "LEADFLOW_PG_PORT": os.environ.get("LEADFLOW_PG_PORT", "5432"),
    "LEADFLOW_PG_USER": os.environ.get("LEADFLOW_PG_USER", "postgres"),
}


def pg_admin(dbname: str = "postgres") -> psycopg2.extensions.connection:
    """An autocommit connection to the local PostgreSQL server (trust auth)."""
    con = psycopg2.connect(
        host=PG_SERVER["LEADFLOW_PG_HOST"],
        port=int(PG_SERVER["LEADFLOW_PG_PORT"]),
        user=PG_SERVER["LEADFLOW_PG_USER"],
        dbname=dbname,
        connect_timeout=3,
    )
    con.autocommit = True
    return con


def pg_query(dbname: str, query: str) -> list[tuple]:
    """Run statements in one database of the local server (autocommit); the rows of the last."""
    with closing(pg_admin(dbname)) as con, con.cursor() as cur:
        cur.execute(query)
        return cur.fetchall() if cur.description else []


def _postgres_available() -> bool:
    try:
        pg_admin().close()
        return True
    except psycopg2.OperationalError:
        return False


@pytest.fixture
def pg_warehouse(monkeypatch: pytest.MonkeyPatch) -> Iterator[Paths]:
    """Empty work and published databases, selected through the environment as in production."""
    require_service("PostgreSQL", _postgres_available())
    work, published = f"leadflow_work_{os.getpid()}", f"leadflow_{os.getpid()}"
    admin = pg_admin()
    with admin.cursor() as cur:
        for name in (work, published):
            cur.execute(f"drop database if exists {name} with (force)")
            cur.execute(f"create database {name}")
    for name, value in PG_SERVER.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LEADFLOW_DBT_TARGET", "postgres")
    monkeypatch.setenv("LEADFLOW_PG_DATABASE", work)
    monkeypatch.setenv("LEADFLOW_PG_PUBLISHED_DATABASE", published)
    yield paths()
    with admin.cursor() as cur:
        for name in (work, published):
            cur.execute(f"drop database if exists {name} with (force)")
    admin.close()


def export_marts(warehouse: Warehouse, target: Path) -> None:
    """Every published mart of a warehouse copied into a DuckDB file (for check_marts)."""
    with duckdb.connect(str(target)) as con:
        con.execute("create schema marts")
        for mart in warehouse.mart_tables(published=True):
            frame = warehouse.read_frame(f"select * from marts.{mart}", published=True)
            con.register("frame", frame)
            con.execute(f"create table marts.{mart} as select * from frame")
            con.unregister("frame")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first (the true Airflow runs, marked ``e2e``): run side by side, the
    suite then ends on short tests instead of waiting on one long one. Without the shared
    reference tools and fixtures the suite stops here, saying where it looked, instead of
    failing test by test."""
    if items and not (SMALL_FIXTURE.is_dir() and REFERENCE.is_file() and CHECK.is_file()):
        raise pytest.UsageError(
            f"the tests compare with the reference tools and fixtures of {SHARED}, which is not there:"
            " put the shared folder beside the checkout or set LEADFLOW_SHARED to it"
        )
    items.sort(key=lambda item: item.get_closest_marker("e2e") is None)
