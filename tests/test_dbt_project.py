"""The dbt project on its own (the fast lane): every model, test and unit test on empty sources."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import dbt
from leadflow.fixtures import ALL_OBJECTS
from leadflow.raw import open_raw_store
from leadflow.timefmt import parse_instant


def test_every_node_builds_on_empty_sources_and_the_unit_tests_pass(tmp_path: Path) -> None:
    work = tmp_path / "empty.work.duckdb"
    with open_raw_store(work) as store:
        for obj in ALL_OBJECTS:
            store.ensure_table(obj)
        store.begin_night("empty", parse_instant("2026-06-30T23:00:00Z"))
    result = dbt(["build", "--empty", "--target-path", str(tmp_path / "target")], work)
    assert result.returncode == 0, result.stdout[-3000:]
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    unit_tests = [r for r in results if r["unique_id"].startswith("unit_test.")]
    assert len(unit_tests) >= 5 and all(r["status"] == "pass" for r in unit_tests)
    built = {r["unique_id"].split(".")[-1] for r in results if r["unique_id"].startswith("model.")}
    assert {"fct_lead_lifecycle", "mart_stage_conversion", "mart_data_quality"} <= built
