"""The scale-out shape: the warehouse on PostgreSQL (work and published databases), no local file.

The night runs in Airflow with the dbt target switched to PostgreSQL and its marts agree with the
reference; the same night on DuckDB gives the same marts; publishing swaps schemas without
waiting for readers.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg2
import pytest
from conftest import check_marts, reference, require_service, run_night, use_sandbox
from leadflow import night, postgres
from leadflow.demo import nightly_env, run_nightly
from leadflow.sandbox.process import RunningSandbox, running_sandbox
from leadflow.settings import PROJECT_ROOT, Paths, paths

AS_OF = "2026-06-30T23:00:00Z"
SERVER = {
    "LEADFLOW_PG_HOST": os.environ.get("LEADFLOW_PG_HOST", "127.0.0.1"),
    "LEADFLOW_PG_PORT": os.environ.get("LEADFLOW_PG_PORT", "5432"),
    "LEADFLOW_PG_USER": os.environ.get("LEADFLOW_PG_USER", "postgres"),
}
MARTS = [
    "fct_lead_lifecycle",
    "fct_lifecycle_events",
    "fct_lead_sla",
    "fct_opportunities",
    "dim_owners",
    "mart_stage_conversion",
    "mart_sla_compliance",
    "mart_rejection_reasons",
    "mart_source_pipeline",
    "mart_data_quality",
]


def _admin() -> psycopg2.extensions.connection:
    con = psycopg2.connect(
        host=SERVER["LEADFLOW_PG_HOST"],
        port=int(SERVER["LEADFLOW_PG_PORT"]),
        user=SERVER["LEADFLOW_PG_USER"],
        dbname="postgres",
        connect_timeout=3,
    )
    con.autocommit = True
    return con


def _postgres_available() -> bool:
    try:
        _admin().close()
        return True
    except psycopg2.OperationalError:
        return False


@pytest.fixture
def pg_warehouse(monkeypatch: pytest.MonkeyPatch) -> Iterator[Paths]:
    """Empty work and published databases, selected through the environment as in production."""
    require_service("PostgreSQL", _postgres_available())
    work, published = f"leadflow_work_{os.getpid()}", f"leadflow_{os.getpid()}"
    admin = _admin()
    with admin.cursor() as cur:
        for name in (work, published):
            cur.execute(f"drop database if exists {name} with (force)")
            cur.execute(f"create database {name}")
    for name, value in SERVER.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LEADFLOW_DBT_TARGET", "postgres")
    monkeypatch.setenv("LEADFLOW_PG_DATABASE", work)
    monkeypatch.setenv("LEADFLOW_PG_PUBLISHED_DATABASE", published)
    yield paths()
    with admin.cursor() as cur:
        for name in (work, published):
            cur.execute(f"drop database if exists {name} with (force)")
    admin.close()


def _export_marts(database: postgres.PostgresDatabase, target: Path) -> None:
    """The published marts as a DuckDB file, for the reference checker."""
    with duckdb.connect(str(target)) as con:
        con.execute("create schema marts")
        for mart in MARTS:
            frame = postgres.read_frame(database, f"select * from marts.{mart}")  # noqa: F841 (read by DuckDB)
            con.execute(f"create table marts.{mart} as select * from frame")


def _profile(read, mart: str, columns: list[tuple[str, str]]) -> list:
    """Row count and the sum of every numeric and boolean column of a mart."""
    aggregates = ", ".join(
        ["count(*)"]
        + [
            f"sum(case when {name} then 1 else 0 end)"
            if kind == "BOOLEAN"
            else f"sum(cast({name} as double precision))"
            for name, kind in columns
            if kind.startswith(("BIGINT", "INTEGER", "DOUBLE", "DECIMAL", "BOOLEAN"))
        ]
    )
    row = read(f"select {aggregates} from marts.{mart}")
    return [round(float(v), 4) if isinstance(v, (float, Decimal)) else v for v in row]


@pytest.mark.postgres
@pytest.mark.e2e
def test_scale_out_night_in_airflow_matches_reference(
    pg_warehouse: Paths, generated_fixture: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_file = tmp_path / "unused.duckdb"
    as_of = json.loads((generated_fixture / "manifest.json").read_text())["as_of"]
    with running_sandbox(generated_fixture, tmp_path / "tls") as sandbox:
        env = nightly_env(sandbox.airflow_connection(), local_file)
        env["LEADFLOW_REPORTS_DIR"] = str(tmp_path / "reports")
        code = run_nightly(env, as_of, tmp_path / "dag.log")
    log = (tmp_path / "dag.log").read_text()
    assert code == 0, log[-4000:]
    assert sandbox.client_secret not in log
    assert not list(tmp_path.glob("*.duckdb")), "the scale-out night wrote a local warehouse file"

    exported = tmp_path / "published-export.duckdb"
    _export_marts(pg_warehouse.warehouse, exported)
    result = check_marts(exported, reference(generated_fixture, as_of), tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]

    summary = json.loads((tmp_path / "reports" / "last_run.json").read_text())
    assert summary["warehouse"] == str(pg_warehouse.warehouse)
    assert summary["rows"]["fct_lead_lifecycle"] > 0
    monkeypatch.setenv("LEADFLOW_REPORTS_DIR", str(tmp_path / "reports"))
    packet = Path(night.build_review_packet())  # what the Asset-scheduled DAG runs after the publish
    assert packet.exists() and "<img" in packet.read_text()


@pytest.mark.postgres
def test_postgres_marts_equal_duckdb_marts(
    pg_warehouse: Paths, sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox.set_clock(AS_OF)
    use_sandbox(monkeypatch, sandbox, tmp_path / "w.duckdb")
    run_night(AS_OF)
    run_night(AS_OF, run_id="again")  # a re-run of the same night stores no version twice
    with pg_warehouse.work_warehouse.connect(read_only=True) as pg, pg.cursor() as cur:
        cur.execute("select count(*), count(distinct (record_id, record_version)) from raw_salesforce.lead")
        stored, distinct = cur.fetchall()[0]
        assert stored == distinct > 0
        cur.execute("select count(*) from raw_salesforce.lead where _run_id = 'again'")
        assert cur.fetchall()[0][0] == 0

    monkeypatch.setenv("LEADFLOW_DBT_TARGET", "duckdb")
    run_night(AS_OF)
    duck = paths().warehouse
    with duckdb.connect(str(duck), read_only=True) as con:
        for mart in MARTS:
            columns = con.execute(
                """select column_name, data_type from information_schema.columns
                   where table_schema = 'marts' and table_name = ? order by ordinal_position""",
                [mart],
            ).fetchall()
            in_duck = _profile(lambda q: con.execute(q).fetchall()[0], mart, columns)
            in_pg = _profile(lambda q: postgres.read_frame(pg_warehouse.warehouse, q).iloc[0].tolist(), mart, columns)
            assert in_pg == pytest.approx(in_duck, rel=1e-6), (mart, in_duck, in_pg)


def _sql(database: postgres.PostgresDatabase, statement: str) -> list[tuple]:
    con = database.connect()
    try:
        with con.cursor() as cur:
            cur.execute(statement)
            rows = cur.fetchall() if cur.description else []
        con.commit()
        return rows
    finally:
        con.close()


@pytest.mark.postgres
def test_publish_swaps_without_waiting_for_readers(pg_warehouse: Paths) -> None:
    work, published = pg_warehouse.work_warehouse, pg_warehouse.warehouse
    _sql(work, "create schema marts; create table marts.mart_x as select 1 as night, 'a'::text as label")
    _sql(published, "create schema marts_next; create table marts_next.debris (x int)")  # a failed night's
    if not _sql(published, "select 1 from pg_roles where rolname = 'leadflow_test_reader'"):
        _sql(published, "create role leadflow_test_reader")
    assert postgres.publish(work, published, "leadflow_test_reader") == {"mart_x": 1}
    assert _sql(published, "select has_table_privilege('leadflow_test_reader', 'marts.mart_x', 'select')") == [(True,)]

    reader = published.connect()  # a BI session in the middle of a transaction on night 1
    with reader.cursor() as cur:
        cur.execute("select night from marts.mart_x")
        assert cur.fetchall() == [(1,)]
    _sql(work, "update marts.mart_x set night = 2")
    done = threading.Event()
    threading.Thread(target=lambda: (postgres.publish(work, published), done.set()), daemon=True).start()
    assert done.wait(30), "publishing waited for a reader"
    with reader.cursor() as cur:  # the reader's next statement sees the new night, whole
        cur.execute("select night from marts.mart_x")
        assert cur.fetchall() == [(2,)]
    reader.commit()
    reader.close()

    schemas = _sql(published, "select nspname from pg_namespace where nspname like 'marts%' order by 1")
    assert schemas[0] == ("marts",) and schemas[1][0].startswith("marts_retired_")  # held: dropped later
    assert len(schemas) == 2
    postgres.publish(work, published)
    assert _sql(published, "select nspname from pg_namespace where nspname like 'marts%'") == [("marts",)]
    assert _sql(published, "select table_name from information_schema.tables where table_schema = 'marts'") == [
        ("mart_x",)
    ]


@pytest.mark.postgres
def test_compose_warehouse_init_gives_bi_the_published_marts_only(pg_warehouse: Paths) -> None:
    """include/compose/warehouse-db-init.sh, as the warehouse-db container runs it, then a publish."""
    work, published = pg_warehouse.work_warehouse, pg_warehouse.warehouse
    role = f"leadflow_reader_{os.getpid()}"
    with _admin().cursor() as cur:
        cur.execute(f"drop database {published.dbname}")  # the script creates it
        cur.execute(f"drop role if exists {role}")
    env = {
        **os.environ,
        "PGHOST": work.host,
        "PGPORT": str(work.port),
        "POSTGRES_USER": work.user,
        "POSTGRES_DB": work.dbname,
        "LEADFLOW_PG_PUBLISHED_DATABASE": published.dbname,
        "LEADFLOW_PG_READER_ROLE": role,
        "LEADFLOW_PG_READER_PASSWORD": "reader-secret",
    }
    script = PROJECT_ROOT / "include" / "compose" / "warehouse-db-init.sh"
    result = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    try:
        _sql(work, "create schema marts; create table marts.mart_x as select 1 as night")
        postgres.publish(work, published, role)
        reader = dataclasses.replace(published, user=role, password="reader-secret")
        assert postgres.read_frame(reader, "select night from marts.mart_x").night.tolist() == [1]
        with pytest.raises(psycopg2.OperationalError, match="permission denied"):
            dataclasses.replace(work, user=role).connect().close()
    finally:
        with _admin().cursor() as cur:
            cur.execute(f"drop database if exists {published.dbname} with (force)")
            cur.execute(f"drop role if exists {role}")
