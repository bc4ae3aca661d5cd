"""The same dbt models build on PostgreSQL and give the same marts as on DuckDB."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg2
import pytest
from conftest import dbt, run_night, use_sandbox
from leadflow.sandbox.process import RunningSandbox
from leadflow.settings import paths

AS_OF = "2026-06-30T23:00:00Z"
PG = {
    "host": os.environ.get("LEADFLOW_PG_HOST", "127.0.0.1"),
    "port": int(os.environ.get("LEADFLOW_PG_PORT", 5432)),
    "user": os.environ.get("LEADFLOW_PG_USER", "postgres"),
}
MARTS = [
    "fct_lead_lifecycle",
    "fct_lifecycle_events",
    "fct_lead_sla",
    "fct_opportunities",
    "mart_stage_conversion",
    "mart_sla_compliance",
    "mart_rejection_reasons",
    "mart_source_pipeline",
    "mart_data_quality",
]


def _postgres_available() -> bool:
    try:
        psycopg2.connect(dbname="postgres", connect_timeout=3, **PG).close()
        return True
    except psycopg2.OperationalError:
        return False


@pytest.fixture
def pg_database() -> str:
    from conftest import require_service

    require_service("PostgreSQL", _postgres_available())
    name = f"leadflow_test_{os.getpid()}"
    admin = psycopg2.connect(dbname="postgres", **PG)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"drop database if exists {name}")
        cur.execute(f"create database {name}")
    yield name
    with admin.cursor() as cur:
        cur.execute(f"drop database if exists {name} with (force)")
    admin.close()


def _copy_raw(work: Path, database: str) -> None:
    """Mirror the raw layer of the DuckDB work warehouse into PostgreSQL (jsonb payloads)."""
    with duckdb.connect(str(work), read_only=True) as source, psycopg2.connect(dbname=database, **PG) as target:
        tables = source.execute("""select table_schema, table_name from information_schema.tables
                                   where table_schema in ('raw_salesforce', 'raw_marketo')
                                     and table_type = 'BASE TABLE'""").fetchall()
        with target.cursor() as cur:
            cur.execute("create schema raw_meta")
            cur.execute("""create table raw_meta.loads (object text, run_id text, received integer, loaded integer,
                           quarantined integer, loaded_at timestamp)""")
            cur.executemany(
                "insert into raw_meta.loads values (%s, %s, %s, %s, %s, %s)",
                source.execute("select * from raw_meta.loads").fetchall(),
            )
            for schema, table in tables:
                cur.execute(f"create schema if not exists {schema}")
                cur.execute(f"""create table {schema}."{table}" (record_id text, record_version text,
                                payload jsonb, _run_id text, _loaded_at timestamp)""")
                rows = source.execute(
                    f'select record_id, record_version, payload::varchar, _run_id, _loaded_at from {schema}."{table}"'
                ).fetchall()
                cur.executemany(f'insert into {schema}."{table}" values (%s, %s, %s, %s, %s)', rows)


def _profile(rows: list[tuple]) -> list:
    return [round(float(v), 4) if isinstance(v, (float, Decimal)) else v for v in rows[0]]


@pytest.mark.postgres
def test_postgres_marts_equal_duckdb_marts(
    pg_database: str, sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox.set_clock(AS_OF)
    use_sandbox(monkeypatch, sandbox, tmp_path / "w.duckdb")
    run_night(AS_OF)
    work = paths().work_warehouse
    _copy_raw(work, pg_database)
    result = dbt(["build"], work, AS_OF, target="postgres", extra_env={"LEADFLOW_PG_DATABASE": pg_database})
    assert result.returncode == 0, result.stdout[-4000:]

    with duckdb.connect(str(work), read_only=True) as duck, psycopg2.connect(dbname=pg_database, **PG) as pg:
        for mart in MARTS:
            columns = duck.execute(
                """select column_name, data_type from information_schema.columns
                                      where table_schema = 'marts' and table_name = ?""",
                [mart],
            ).fetchall()
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
            in_duck = _profile(duck.execute(f"select {aggregates} from marts.{mart}").fetchall())
            with pg.cursor() as cur:
                cur.execute(f"select {aggregates} from marts.{mart}")
                in_pg = _profile(cur.fetchall())
            assert in_pg == pytest.approx(in_duck, rel=1e-6), (mart, json.dumps(in_duck), json.dumps(in_pg))
