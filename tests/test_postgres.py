"""The scale-out shape: the warehouse on PostgreSQL (work and published databases), no local file.

The same night on PostgreSQL and on DuckDB gives the same marts; publishing swaps schemas without
waiting for readers; the compose file's warehouse init gives BI the published marts only.
(The scale-out night in Airflow on Celery workers is tests/test_scale_out.py.)
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import threading
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg2
import pytest
from conftest import pg_query, run_night, use_sandbox
from leadflow.quality.suites import model_relations
from leadflow.settings import PROJECT_ROOT, Paths, paths
from leadflow.warehouse import postgres
from leadflow_dev.sandbox.process import RunningSandbox

pytestmark = pytest.mark.night

AS_OF = "2026-06-30T23:00:00Z"


def _published_models() -> list[str]:
    """Every model the dbt project publishes (its schema is marts), from the manifest: a new mart
    is compared without an edit here."""
    relations = model_relations(PROJECT_ROOT / "dbt_project" / "target" / "manifest.json")
    return sorted(name for name, relation in relations.items() if relation.startswith("marts."))


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
def test_postgres_marts_equal_duckdb_marts(
    pg_warehouse: Paths, sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox.set_clock(AS_OF)
    use_sandbox(monkeypatch, sandbox, tmp_path / "w.duckdb")
    run_night(AS_OF)
    run_night(AS_OF, run_id="again")  # a re-run of the same night stores no version twice
    work = pg_warehouse.warehouse.work.dbname
    ((stored, distinct),) = pg_query(
        work, "select count(*), count(distinct (record_id, record_version)) from raw_salesforce.lead"
    )
    assert stored == distinct > 0
    assert pg_query(work, "select count(*) from raw_salesforce.lead where _run_id = 'again'") == [(0,)]

    monkeypatch.setenv("LEADFLOW_DBT_TARGET", "duckdb")
    run_night(AS_OF)
    duck = paths().warehouse.published
    marts = _published_models()
    assert {"fct_lead_lifecycle", "mart_review_queue", "mart_win_rates"} <= set(marts)
    with duckdb.connect(str(duck), read_only=True) as con:
        for mart in marts:
            columns = con.execute(
                """select column_name, data_type from information_schema.columns
                   where table_schema = 'marts' and table_name = ? order by ordinal_position""",
                [mart],
            ).fetchall()
            in_duck = _profile(lambda q: con.execute(q).fetchall()[0], mart, columns)
            in_pg = _profile(
                lambda q: postgres.read_frame(pg_warehouse.warehouse.published, q).iloc[0].tolist(), mart, columns
            )
            assert in_pg == pytest.approx(in_duck, rel=1e-6), (mart, in_duck, in_pg)


@pytest.mark.postgres
def test_publish_swaps_without_waiting_for_readers(pg_warehouse: Paths) -> None:
    work, published = pg_warehouse.warehouse.work, pg_warehouse.warehouse.published
    role = f"leadflow_test_reader_{os.getpid()}"
    pg_query(work.dbname, "create schema marts; create table marts.mart_x as select 1 as night, 'a'::text as label")
    pg_query(published.dbname, "create schema marts_next; create table marts_next.debris (x int)")  # a failed night's
    pg_query("postgres", f"drop role if exists {role}; create role {role}")
    try:
        assert postgres.publish(work, published, role) == {"mart_x": 1}
        granted = pg_query(published.dbname, f"select has_table_privilege('{role}', 'marts.mart_x', 'select')")
        assert granted == [(True,)]
    finally:
        pg_query(published.dbname, f"drop owned by {role}")
        pg_query("postgres", f"drop role {role}")

    reader = published.connect()  # a BI session in the middle of a transaction on night 1
    with reader.cursor() as cur:
        cur.execute("select night from marts.mart_x")
        assert cur.fetchall() == [(1,)]
    pg_query(work.dbname, "update marts.mart_x set night = 2")
    done = threading.Event()
    threading.Thread(target=lambda: (postgres.publish(work, published), done.set()), daemon=True).start()
    assert done.wait(30), "publishing waited for a reader"
    with reader.cursor() as cur:  # the reader's next statement sees the new night, whole
        cur.execute("select night from marts.mart_x")
        assert cur.fetchall() == [(2,)]
    reader.commit()
    reader.close()

    schemas = pg_query(published.dbname, "select nspname from pg_namespace where nspname like 'marts%' order by 1")
    assert schemas[0] == ("marts",) and schemas[1][0].startswith("marts_retired_")  # held: dropped later
    assert len(schemas) == 2
    postgres.publish(work, published)
    assert pg_query(published.dbname, "select nspname from pg_namespace where nspname like 'marts%'") == [("marts",)]
    tables = pg_query(published.dbname, "select table_name from information_schema.tables where table_schema = 'marts'")
    assert tables == [("mart_x",)]


@pytest.mark.postgres
def test_compose_warehouse_init_gives_bi_the_published_marts_only(pg_warehouse: Paths) -> None:
    """include/compose/warehouse-db-init.sh, as the warehouse-db container runs it, then a publish."""
    work, published = pg_warehouse.warehouse.work, pg_warehouse.warehouse.published
    role = f"leadflow_reader_{os.getpid()}"
    pg_query("postgres", f"drop database {published.dbname}")  # the script creates it
    pg_query("postgres", f"drop role if exists {role}")
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
        pg_query(work.dbname, "create schema marts; create table marts.mart_x as select 1 as night")
        postgres.publish(work, published, role)
        reader = dataclasses.replace(published, user=role, password="reader-secret")
        assert postgres.read_frame(reader, "select night from marts.mart_x").night.tolist() == [1]
        with pytest.raises(psycopg2.OperationalError, match="permission denied"):
            dataclasses.replace(work, user=role).connect().close()
    finally:
        pg_query("postgres", f"drop database if exists {published.dbname} with (force)")
        pg_query("postgres", f"drop role if exists {role}")
