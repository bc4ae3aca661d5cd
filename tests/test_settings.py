"""The warehouse is chosen once, from the environment; a misspelt target stops everything."""

from __future__ import annotations

from pathlib import Path

import pytest
from leadflow.settings import paths
from leadflow.warehouse import UnknownTarget
from leadflow.warehouse.duckdb import DuckDBWarehouse
from leadflow.warehouse.postgres import PostgresWarehouse


def test_an_unknown_dbt_target_is_an_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADFLOW_DBT_TARGET", "postgress")
    with pytest.raises(UnknownTarget, match="postgress"):
        paths()


def test_each_target_gives_its_warehouse(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LEADFLOW_WAREHOUSE", str(tmp_path / "bi.duckdb"))
    monkeypatch.delenv("LEADFLOW_WORK_WAREHOUSE", raising=False)
    monkeypatch.delenv("LEADFLOW_DBT_TARGET", raising=False)
    duck = paths().warehouse
    assert isinstance(duck, DuckDBWarehouse) and duck.target == "duckdb"
    assert duck.work == tmp_path / "bi.work.duckdb"
    assert duck.dbt_env == {"LEADFLOW_WORK_WAREHOUSE": str(tmp_path / "bi.work.duckdb")}
    monkeypatch.setenv("LEADFLOW_DBT_TARGET", "postgres")
    monkeypatch.setenv("LEADFLOW_PG_PASSWORD", "s3cret")
    pg = paths().warehouse
    assert isinstance(pg, PostgresWarehouse) and pg.target == "postgres"
    assert "s3cret" not in f"{pg.work} {pg.published} {pg!r}"
