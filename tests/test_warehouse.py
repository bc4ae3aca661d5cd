"""The DuckDB warehouse on its own: publishing copies the marts, whatever the path looks like."""

from __future__ import annotations

from pathlib import Path

import duckdb
from leadflow.warehouse.duckdb import DuckDBWarehouse


def test_publish_copies_every_mart_from_a_directory_with_a_quote(tmp_path: Path) -> None:
    home = tmp_path / "o'brien's warehouse"
    home.mkdir()
    warehouse = DuckDBWarehouse.beside(home / "leadflow.duckdb")
    with duckdb.connect(str(warehouse.work)) as con:
        con.execute("create schema marts; create table marts.mart_x as select range as n from range(3)")
        con.execute("create schema staging; create table staging.not_published as select 1 as n")
    assert warehouse.publish() == {"mart_x": 3}
    assert warehouse.mart_tables(published=True) == ["mart_x"]
    assert warehouse.read_frame("select sum(n) as s from marts.mart_x", published=True).s[0] == 3
