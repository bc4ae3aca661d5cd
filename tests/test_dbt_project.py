"""The dbt project on its own (the fast lane): every model, test and unit test on empty sources,
what a night's build selects, and the parse its lint leaves for the night."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from conftest import BIN, PROJECT_ROOT, dbt
from leadflow.settings import paths
from leadflow.sources import ALL_OBJECTS, SYSTEMS
from leadflow.timefmt import parse_instant
from leadflow.warehouse.duckdb import DuckDBWarehouse


def test_every_node_builds_on_empty_sources_and_the_unit_tests_pass(tmp_path: Path) -> None:
    work = _empty_warehouse(tmp_path / "empty.work.duckdb")
    result = dbt(["build", "--empty", "--target-path", str(tmp_path / "target")], work)
    assert result.returncode == 0, result.stdout[-3000:]
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    unit_tests = [r for r in results if r["unique_id"].startswith("unit_test.")]
    assert len(unit_tests) >= 5 and all(r["status"] == "pass" for r in unit_tests)
    built = {r["unique_id"].split(".")[-1] for r in results if r["unique_id"].startswith("model.")}
    assert {"fct_lead_lifecycle", "mart_stage_conversion", "mart_data_quality"} <= built


def _empty_warehouse(path: Path) -> DuckDBWarehouse:
    warehouse = DuckDBWarehouse.beside(path.with_name("empty.duckdb"), path)
    with warehouse.raw_store() as store:
        for obj in ALL_OBJECTS:
            store.ensure_table(obj)
        store.begin_night("empty", parse_instant("2026-06-30T23:00:00Z"))
    return warehouse


def test_a_registry_row_naming_a_flag_missing_from_the_contract_fails_the_build_naming_it(tmp_path: Path) -> None:
    project = tmp_path / "dbt_project"
    shutil.copytree(PROJECT_ROOT / "dbt_project", project, ignore=shutil.ignore_patterns("target", "logs"))
    with (project / "seeds" / "data_quality_controls.csv").open("a", encoding="utf-8") as registry:
        registry.write("title_missing,Lead with no title,fct_lead_lifecycle,lead_id,,is_title_blank,0.1,warn,revops\n")
    work = _empty_warehouse(tmp_path / "empty.work.duckdb")
    result = dbt(["build", "--empty", "--project-dir", str(project), "--select", "+mart_data_quality"], work)
    assert result.returncode != 0
    assert (
        "control title_missing: is_title_blank is not a column in the contract of fct_lead_lifecycle" in result.stdout
    )


def test_a_nights_build_leaves_out_the_unit_tests_and_the_exposures() -> None:
    """What a night's one ``dbt build`` selects, in the night's environment (the DAG's producer,
    ``make night`` and the bench alike): the models, seeds and data tests, but not the unit tests
    (the test above runs them) nor the exposures (the marts' readers: nothing to run)."""
    listed = paths().dbt("ls", "--output", "json", "--output-keys", "resource_type", "--quiet")
    assert listed.returncode == 0, listed.stdout[-2000:]
    kinds = {json.loads(line)["resource_type"] for line in listed.stdout.splitlines() if line.startswith("{")}
    assert {"model", "seed", "test"} <= kinds
    assert not kinds & {"unit_test", "exposure"}, kinds


def test_linting_leaves_the_install_time_parse_to_the_night(tmp_path: Path) -> None:
    """sqlfluff's dbt templater parses the project with a profile of its own (the lint warehouse).
    Written into ``target/`` that parse would replace the install-time one, and the next night and
    ``make docs`` would parse the whole project again (DECISIONLOG 20)."""
    project = tmp_path / "dbt_project"
    shutil.copytree(PROJECT_ROOT / "dbt_project", project, ignore=shutil.ignore_patterns("target-*", "logs*"))
    installed = project / "target" / "partial_parse.msgpack"
    before = installed.read_bytes()
    # as in a developer's shell: no target folder chosen by this test run (conftest chooses one)
    env = {name: value for name, value in os.environ.items() if not name.endswith("TARGET_PATH")}
    env["LEADFLOW_WORK_WAREHOUSE"] = str(tmp_path / "lint.duckdb")
    linted = subprocess.run(
        [str(BIN / "sqlfluff"), "lint", "models/marts/mart_win_rates.sql", "--disable-progress-bar"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert linted.returncode == 0, linted.stdout[-2000:] + linted.stderr[-2000:]
    assert installed.read_bytes() == before, "the lint replaced the install-time parse"
    assert [parse for parse in project.rglob("partial_parse.msgpack") if parse != installed], "sqlfluff parsed nothing"


def test_the_marts_read_only_intermediate_models() -> None:
    """Marts read the intermediate models (where the source systems meet), other marts, audit
    models and policy seeds: never a source system's staging or raw data, so adding a system
    changes no mart."""
    nodes = json.loads(paths().dbt_manifest.read_text())["nodes"]
    marts = [n for n in nodes.values() if n["resource_type"] == "model" and n["schema"] == "marts"]
    assert len(marts) >= 10
    readable = {"intermediate", "marts", "audit", "seeds", "semantic"}
    reads = {
        mart["name"]: sorted(
            upstream
            for upstream in mart["depends_on"]["nodes"]
            if upstream.startswith("source.")
            or (upstream.startswith("model.") and nodes[upstream]["original_file_path"].split("/")[1] not in readable)
        )
        for mart in marts
    }
    assert not any(reads.values()), {mart: names for mart, names in reads.items() if names}


def test_every_crm_provides_every_conformed_entity_under_its_one_contract() -> None:
    """The int models union each conformed entity over the dbt project's source systems: each
    system's model of an entity exists and enforces the entity's one contract (same columns, same
    types, same order), and the systems are the registry's lead databases (not Marketo, whose
    activities Salesforce's conformed models carry)."""
    nodes = json.loads(paths().dbt_manifest.read_text())["nodes"]
    models = [n for n in nodes.values() if n["resource_type"] == "model"]
    conformed = [n for n in models if "/conformed/" in n["original_file_path"]]
    contracted = {n["name"]: n for n in conformed if n["contract"]["enforced"]}
    systems = sorted({name.split("__")[0] for name in contracted})
    assert systems == sorted(s.name for s in SYSTEMS if s.name != "marketo")
    entities = {name.split("__")[1] for name in contracted}
    assert len(entities) >= 13
    for entity in entities:
        shapes = {
            system: [(c["name"], c["data_type"]) for c in contracted[f"{system}__{entity}"]["columns"].values()]
            for system in systems
        }
        assert len({tuple(shape) for shape in shapes.values()}) == 1, (entity, shapes)
        assert ("source_system", "text") in shapes[systems[0]]
        union = nodes.get(f"model.leadflow.int_{entity}") or nodes["model.leadflow.int_lead_routing"]
        if entity in ("leads", "opportunities", "owners", "touches"):
            read = {upstream.split(".")[-1] for upstream in union["depends_on"]["nodes"]}
            assert read >= {f"{system}__{entity}" for system in systems}, "source_systems() names every system"
