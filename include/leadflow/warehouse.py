"""The work and published warehouses and how the night moves between them (write-audit-publish).

The night writes only the *work* warehouse (raw, staging, intermediate, marts). BI tools read
only the *published* one, which holds the `marts` schema. With DuckDB (the default) they are two
files: publishing copies the marts into a new file beside the published one and renames it over
it, so a reader holding the old file keeps reading a consistent old state, a new reader sees the
new state, and nobody ever sees half a night. If a night fails before publishing, yesterday's
published file is untouched. With PostgreSQL they are two databases (:mod:`leadflow.postgres`).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

from leadflow import postgres
from leadflow.settings import Location, duckdb_config

MARTS = "marts"


def read_frame(location: Location, sql: str) -> pd.DataFrame:
    """Run a query over a read-only connection and return a DataFrame (the connection is closed)."""
    if isinstance(location, postgres.PostgresDatabase):
        return postgres.read_frame(location, sql)
    with duckdb.connect(str(location), read_only=True, config=duckdb_config()) as con:
        return con.execute(sql).df()


def mart_tables(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> list[str]:
    catalog_filter = f"and table_catalog = '{catalog}'" if catalog else ""
    rows = con.execute(
        f"""select table_name from information_schema.tables
            where table_schema = '{MARTS}' and table_type = 'BASE TABLE' {catalog_filter}
            order by table_name"""
    ).fetchall()
    return [name for (name,) in rows]


def publish(work: Location, published: Location, reader_role: str | None = None) -> dict[str, int]:
    """Copy every table of the work warehouse's `marts` schema into the published one, atomically.
    Returns rows per mart."""
    if isinstance(work, postgres.PostgresDatabase) and isinstance(published, postgres.PostgresDatabase):
        return postgres.publish(work, published, reader_role)
    if not (isinstance(work, Path) and isinstance(published, Path)):
        raise TypeError("the work and published warehouses must be both files or both databases")
    published.parent.mkdir(parents=True, exist_ok=True)
    staging = published.with_name(f".{published.name}.publishing")
    staging.unlink(missing_ok=True)
    rows: dict[str, int] = {}
    with duckdb.connect(str(staging), config=duckdb_config()) as con:
        con.execute(f"attach '{work}' as work (read_only)")
        con.execute(f"create schema {MARTS}")
        for table in mart_tables(con, "work"):
            con.execute(f"create table {MARTS}.{table} as select * from work.{MARTS}.{table}")
            rows[table] = con.execute(f"select count(*) from {MARTS}.{table}").fetchall()[0][0]
        con.execute("detach work")
        con.execute("checkpoint")
    os.replace(staging, published)
    return rows
