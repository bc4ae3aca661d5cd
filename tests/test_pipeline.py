"""The pipeline's marts equal the independent reference reading of the spec."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import SMALL_FIXTURE, check_marts, reference, run_night, use_sandbox
from leadflow.timefmt import marketo_format, parse_instant
from leadflow.warehouse.duckdb import DuckDBWarehouse
from leadflow_dev.generator import generate
from leadflow_dev.sandbox.process import running_sandbox

pytestmark = pytest.mark.night


def _night_matches(fixture: Path, warehouse: Path, as_of: str, tmp_path: Path) -> None:
    run_night(as_of)
    result = check_marts(warehouse, reference(fixture, as_of), tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]


def test_shared_small_fixture_matches_reference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    warehouse = tmp_path / "small.duckdb"
    as_of = json.loads((SMALL_FIXTURE / "manifest.json").read_text())["as_of"]
    with running_sandbox(SMALL_FIXTURE, tmp_path / "tls") as sandbox:
        use_sandbox(monkeypatch, sandbox, warehouse)
        _night_matches(SMALL_FIXTURE, warehouse, as_of, tmp_path)


@pytest.mark.parametrize(
    ("leads", "seed", "as_of"),
    [
        (250, 1, "2026-03-31T12:00:00Z"),
        (900, 2, "2026-06-30T23:00:00Z"),
        (1800, 3, "2026-11-01T06:30:00Z"),  # a daylight-saving change in the last week of the history
    ],
)
def test_generated_fixtures_match_reference(
    leads: int, seed: int, as_of: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixture = tmp_path / "fixture"
    generate(fixture, leads, seed, as_of)
    warehouse = tmp_path / "gen.duckdb"
    with running_sandbox(fixture, tmp_path / "tls", page_size=500) as sandbox:
        use_sandbox(monkeypatch, sandbox, warehouse)
        _night_matches(fixture, warehouse, as_of, tmp_path)


def _marts(warehouse: Path) -> dict[str, list[tuple]]:
    """Every published mart's rows (doubles to 9 significant digits)."""
    tables = DuckDBWarehouse.beside(warehouse).mart_tables(published=True)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        marts = {}
        for table in tables:
            if table == "mart_data_quality":  # history of every night by design
                continue
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from information_schema.columns where table_schema = 'marts' "
                    "and table_name = ? order by ordinal_position",
                    [table],
                ).fetchall()
            ]
            rows = con.execute(f"select {', '.join(columns)} from marts.{table}").fetchall()
            # a sum of doubles depends on the order rows are added in: equal to 9 significant digits
            rounded = [tuple(float(f"{v:.9g}") if isinstance(v, float) else v for v in row) for row in rows]
            marts[table] = sorted(rounded, key=repr)
        return marts


def test_three_nights_then_equal_to_one_night(
    generated_fixture: Path, built_night: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    final = parse_instant(json.loads((generated_fixture / "manifest.json").read_text())["as_of"])
    nights = [marketo_format(final - timedelta(days=d)) for d in (40, 12, 0)]
    warehouse, work = tmp_path / "nights.duckdb", tmp_path / "nights.work.duckdb"
    with running_sandbox(generated_fixture, tmp_path / "tls", page_size=300) as sandbox:
        use_sandbox(monkeypatch, sandbox, warehouse)
        for night in nights:
            sandbox.set_clock(night)
            _night_matches(generated_fixture, warehouse, night, tmp_path)
        incremental = _marts(warehouse)  # staging and the lead-grain models built incrementally on nights 2 and 3
        raw_before = _raw_counts(work)
        run_night(nights[-1], run_id="rerun")  # re-running the same night adds nothing
        assert _raw_counts(work) == raw_before
        # replaying an earlier night, then the last again: nothing new is loaded, so the versions
        # stamped after the replayed as-of must come back from raw by their stamps
        _night_matches(generated_fixture, warehouse, nights[0], tmp_path)
        _night_matches(generated_fixture, warehouse, nights[-1], tmp_path)
    fresh = built_night  # one night at the last as-of, from an empty warehouse
    with duckdb.connect(str(work), read_only=True) as con:
        digests = con.execute("select count(distinct changed_at) from intermediate.int_lead_input_digests").fetchall()
        staged = con.execute("select count(distinct _as_of) from staging.stg_salesforce__leads").fetchall()[0][0]
    assert digests[0][0] > 1, "the lead-grain models were rebuilt in full, not incrementally"
    assert staged > 1, "the leads were re-staged in full, not incrementally"
    assert incremental == _marts(fresh)
    assert _marts(warehouse) == _marts(fresh)


def _raw_counts(work: Path) -> dict[str, int]:
    with duckdb.connect(str(work), read_only=True) as con:
        tables = con.execute("""select table_schema || '.' || table_name from information_schema.tables
                                where table_schema in ('raw_salesforce', 'raw_marketo')""").fetchall()
        return {t: con.execute(f"select count(*) from {t}").fetchall()[0][0] for (t,) in tables}


def test_every_model_and_published_column_is_described_and_sources_are_fresh(night_copy: Path, tmp_path: Path) -> None:
    """Descriptions from the manifest the DAG renders from (the docs site: test_docs)."""
    from conftest import dbt
    from leadflow.settings import paths

    manifest = json.loads(paths().dbt_manifest.read_text())
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert all(n["description"] for n in models), [n["name"] for n in models if not n["description"]]
    published = [n for n in models if n["schema"] == "marts"]
    assert published and all(c["description"] for n in published for c in n["columns"].values())
    assert {e["name"] for e in manifest["exposures"].values()} >= {"lead_funnel_dashboard", "monthly_review_packet"}
    freshness = dbt(["source", "freshness", "--target-path", str(tmp_path / "target")], paths().warehouse)
    assert freshness.returncode == 0, freshness.stdout[-2000:]


def test_the_contracts_not_null_columns_refuse_nulls_in_the_warehouse(night_copy: Path) -> None:
    """A mart's required columns are enforced contract constraints, not data tests: every column
    the contracts constrain is NOT NULL in the built warehouse, and a null there is refused."""
    from leadflow.settings import paths

    manifest = json.loads(paths().dbt_manifest.read_text())
    constrained = {
        (node["name"], column["name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("contract", {}).get("enforced")
        for column in node["columns"].values()
        if any(c["type"] == "not_null" for c in column.get("constraints", []))
    }
    with duckdb.connect(str(paths().warehouse.work)) as con:
        not_null = set(
            con.execute(
                "select table_name, column_name from information_schema.columns"
                " where table_schema = 'marts' and is_nullable = 'NO'"
            ).fetchall()
        )
        assert len(constrained) >= 20 and constrained <= not_null, constrained - not_null
        with pytest.raises(duckdb.ConstraintException, match="NOT NULL"):
            con.execute("insert into marts.mart_win_rates (created_month, source) values (null, 'Web')")


def test_a_version_landed_before_its_as_of_is_staged_when_it_comes_due(night_copy: Path) -> None:
    """An activity stamped after the night's as-of but extracted that night (Marketo pages run to
    the present) waits in raw, and the first night whose as-of reaches it stages it, although
    nothing new is loaded then."""
    from conftest import dbt
    from leadflow.settings import paths

    work = paths().warehouse.work
    with duckdb.connect(str(work)) as con:
        as_of = con.execute("select max(as_of) from raw_meta.night").fetchall()[0][0]
        early = con.execute(
            """insert into raw_marketo.activities
               select cast(max(id) + 1 as varchar), ?, json_object('id', max(id) + 1, 'leadId', 1,
                      'activityDate', ?, 'activityTypeId', 1), 'early', min(_loaded_at)
               from (select cast(record_id as bigint) as id, _loaded_at from raw_marketo.activities)
               returning record_id""",
            [marketo_format(as_of + timedelta(hours=1)), marketo_format(as_of + timedelta(hours=1))],
        ).fetchall()[0][0]

    def staged() -> bool:
        build = dbt(["build", "--select", "stg_marketo__activities"], paths().warehouse)
        assert build.returncode == 0, build.stdout[-2000:]
        with duckdb.connect(str(work), read_only=True) as con:
            query = "select count(*) from staging.stg_marketo__activities where _record_id = ?"
            return con.execute(query, [early]).fetchall()[0][0] == 1

    assert not staged()  # not yet: it is after tonight's as-of
    with duckdb.connect(str(work)) as con:
        con.execute("update raw_meta.night set as_of = as_of + interval 1 day")
    assert staged()


def test_a_rerun_with_nothing_new_publishes_nothing_and_a_new_load_rebuilds(night_copy: Path) -> None:
    """Re-running the published night with nothing new stops after extraction; once something is
    loaded (here a quarantined record), the same night is built and published again."""
    from leadflow.raw import PageResult
    from leadflow.settings import paths
    from leadflow.sources import source_object

    summary = json.loads((night_copy.parent / "reports" / "last_run.json").read_text())
    published = night_copy.stat().st_ino
    run_night(summary["as_of"], run_id="rerun")
    assert night_copy.stat().st_ino == published  # publishing renames a new file over it: it did not
    assert json.loads((night_copy.parent / "reports" / "last_run.json").read_text())["run_id"] == summary["run_id"]
    with paths().warehouse.raw_store() as store:
        store.record_load(source_object("salesforce", "Lead"), "late", PageResult(received=1, quarantined=1))
    run_night(summary["as_of"], run_id="after-a-load")
    assert night_copy.stat().st_ino != published
    assert json.loads((night_copy.parent / "reports" / "last_run.json").read_text())["run_id"] == "after-a-load"
    night_copy.unlink()  # someone removed what BI reads: the same night publishes it again
    run_night(summary["as_of"], run_id="after-a-removal")
    assert night_copy.exists()
    assert json.loads((night_copy.parent / "reports" / "last_run.json").read_text())["run_id"] == "after-a-removal"


def test_no_file_of_a_night_is_readable_by_others(built_night: Path) -> None:
    """Warehouses (raw payloads carry names and e-mails), reports and everything beside them."""
    written = [path for path in built_night.parent.rglob("*")]
    assert any(path.name == "last_run.json" for path in written)
    readable = [f"{path} {path.stat().st_mode:o}" for path in written if path.stat().st_mode & 0o077]
    assert not readable, readable
