"""No stale relations: after a build, a relation of the project's schemas that no model, seed or
snapshot of the project is (a model renamed or removed) is dropped, raw is left alone, and publish
copies only the marts the project declares."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from conftest import dbt
from leadflow import nightly
from leadflow.settings import paths

pytestmark = pytest.mark.night


def _relations(database: Path, schema: str) -> set[str]:
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute("select table_name from information_schema.tables where table_schema = ?", [schema])
        return {name for (name,) in rows.fetchall()}


def test_a_build_drops_what_no_model_is_and_publish_copies_the_declared_marts(night_copy: Path) -> None:
    work = paths().warehouse.work
    marts_before = _relations(work, "marts")
    with duckdb.connect(str(work)) as con:
        con.execute("create table marts.mart_renamed_long_ago as select 1 as leads")
        con.execute("create view intermediate.int_removed as select 1 as lead_id")
        con.execute("create table raw_salesforce.kept_by_hand as select 1 as id")  # raw is not dbt's

    result = dbt(["build", "--select", "segments"], paths().warehouse)  # any build, however small
    assert result.returncode == 0, result.stdout[-3000:]
    assert "dropping" in result.stdout and "mart_renamed_long_ago" in result.stdout

    assert _relations(work, "marts") == marts_before, result.stdout[-3000:]
    assert "int_removed" not in _relations(work, "intermediate")
    assert "int_leads" in _relations(work, "intermediate")
    assert "kept_by_hand" in _relations(work, "raw_salesforce")
    night = paths().warehouse.read_frame("select run_id from raw_meta.night").run_id[0]
    nightly.publish(night)
    assert _relations(night_copy, "marts") == marts_before
