"""Incremental nights equal a full refresh (issue 37): the lead-grain models rebuild only the leads
whose inputs changed and those a clock moved, and after each night every intermediate table and
mart equals what ``dbt run --full-refresh`` of the same warehouse gives. Four nights: the first,
an incremental one two days later across the day an MQL month matures (seed ``cohort_maturity``:
leads nothing else changed on move with the clock), one after a policy seed changed (the night
then builds with ``--full-refresh`` on its own), and an incremental one after it."""

from __future__ import annotations

import json
import os
import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import cohort_maturity_days, dbt, run_night, use_sandbox
from leadflow.settings import paths
from leadflow.timefmt import marketo_format, parse_instant
from leadflow.warehouse.duckdb import DuckDBWarehouse
from leadflow_dev.sandbox.process import running_sandbox

SKIPPED = {"mart_data_quality", "int_lead_input_digests"}  # a history of nights; when digests changed


def _differences(built: Path, refreshed: Path) -> dict[str, tuple[int, int]]:
    """Per table of the intermediate and marts schemas: rows only in ``built``, rows only in
    ``refreshed`` (doubles to 9 significant digits: a parallel engine adds them in any order)."""
    con = duckdb.connect()
    con.execute(f"attach '{built}' as a (read_only)")
    con.execute(f"attach '{refreshed}' as b (read_only)")
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() "
        "where database_name = 'b' and schema_name in ('intermediate', 'marts')"
    ).fetchall()
    differing = {}
    for schema, table in tables:
        if table in SKIPPED:
            continue
        columns = con.execute(
            "select column_name, data_type from duckdb_columns() "
            "where database_name = 'b' and schema_name = ? and table_name = ? order by column_index",
            [schema, table],
        ).fetchall()
        select = ", ".join(
            f'round("{c}", 9 - cast(ceil(log10(abs("{c}") + 1e-300)) as integer))' if kind == "DOUBLE" else f'"{c}"'
            for c, kind in columns
        )
        only = [
            con.execute(
                f"select count(*) from (select {select} from {x}.{schema}.{table} "
                f"except all select {select} from {y}.{schema}.{table})"
            ).fetchone()[0]
            for x, y in (("a", "b"), ("b", "a"))
        ]
        if any(only):
            differing[f"{schema}.{table}"] = (only[0], only[1])
    assert len(tables) > 20
    return differing


def _refreshed_copy(warehouse: Path, folder: Path) -> Path:
    """The night's work warehouse copied, and all its models rebuilt with ``--full-refresh``."""
    folder.mkdir()
    copy = folder / warehouse.name
    work = DuckDBWarehouse.beside(warehouse).work
    shutil.copy(work, DuckDBWarehouse.beside(copy).work)
    result = dbt(["run", "--full-refresh", "--target-path", str(folder / "target")], DuckDBWarehouse.beside(copy))
    assert result.returncode == 0, result.stdout[-3000:]
    return DuckDBWarehouse.beside(copy).work


def _rebuilt_last(work: Path) -> tuple[int, int]:
    """Leads whose digest changed in the last build, and all leads."""
    with duckdb.connect(str(work), read_only=True) as con:
        return con.execute(
            """with digests as (select * from intermediate.int_lead_input_digests where inputs_digest is not null)
               select count(*) filter (where changed_at = (select max(changed_at) from digests)), count(*)
               from digests"""
        ).fetchone()


def _moved_by_the_clock(before: Path, after: Path) -> int:
    """Leads whose inputs did not change between two nights but whose SLA status or MQL-month
    maturity did."""
    con = duckdb.connect()
    con.execute(f"attach '{before}' as a (read_only)")
    con.execute(f"attach '{after}' as b (read_only)")
    return con.execute(
        """select count(*) from b.intermediate.int_lead_input_digests as d
           inner join a.intermediate.int_lead_input_digests as p
               on d.lead_id = p.lead_id and d.changed_at = p.changed_at
           where d.lead_id in (
               select b_sla.lead_id from b.marts.fct_lead_sla as b_sla
               inner join a.marts.fct_lead_sla as a_sla on a_sla.lead_id = b_sla.lead_id
               where (a_sla.assign_status, a_sla.first_touch_status, a_sla.decision_status)
                     is distinct from (b_sla.assign_status, b_sla.first_touch_status, b_sla.decision_status)
               union
               select b_l.lead_id from b.marts.fct_lead_lifecycle as b_l
               inner join a.marts.fct_lead_lifecycle as a_l on a_l.lead_id = b_l.lead_id
               where a_l.is_mql_month_mature is distinct from b_l.is_mql_month_mature
           )"""
    ).fetchone()[0]


def _built_last() -> set[str]:
    """The nodes the last ``dbt build`` ran (its run_results.json)."""
    results = paths().dbt_project / os.environ.get("DBT_TARGET_PATH", "target") / "run_results.json"
    return {result["unique_id"] for result in json.loads(results.read_text())["results"]}


def test_incremental_nights_equal_a_full_refresh(
    generated_fixture: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    final = parse_instant(json.loads((generated_fixture / "manifest.json").read_text())["as_of"])
    # the MQL month two before the last night's matures between the first two nights
    month = final.month - 2 if final.month > 2 else final.month + 10
    ends = final.replace(year=final.year - (final.month <= 2), month=month % 12 + 1, day=1, hour=0, minute=0, second=0)
    matures = ends + timedelta(days=cohort_maturity_days("mql_month"))
    times = [matures - timedelta(hours=1), matures + timedelta(days=1), final - timedelta(days=2), final]
    nights = [marketo_format(t) for t in times]
    warehouse = tmp_path / "nights.duckdb"
    work = DuckDBWarehouse.beside(warehouse).work
    org = tmp_path / "org"
    org.mkdir()
    with running_sandbox(generated_fixture, tmp_path / "tls", page_size=300) as sandbox:
        use_sandbox(monkeypatch, sandbox, warehouse)
        for number, night in enumerate(nights, start=1):
            if number == 3:  # the org halves its decision SLA: a policy seed changes
                policies = (paths().dbt_project / "seeds" / "sla_policies.csv").read_text()
                assert ",480,business" in policies
                (org / "sla_policies.csv").write_text(policies.replace(",480,business", ",240,business"))
                monkeypatch.setenv("LEADFLOW_ORG_CONFIG", str(org))
            sandbox.set_clock(night)
            run_night(night, run_id=f"night-{number}")
            rebuilt, leads = _rebuilt_last(work)
            built = _built_last()
            if number in (1, 3):  # the first build, and a changed policy: --full-refresh, every lead
                assert rebuilt == leads
                assert "model.leadflow.stg_hubspot__contacts" in built
            else:  # incremental: the leads whose inputs changed; nothing of the systems not used
                assert 0 < rebuilt < leads / 2, (number, rebuilt, leads)
                unused = {"model.leadflow.stg_hubspot__contacts", "model.leadflow.hubspot__leads"}
                assert not unused & built and "snapshot.leadflow.snapshot_sheet__leads" not in built
                assert "model.leadflow.stg_salesforce__leads" in built
            if number == 2:
                assert _moved_by_the_clock(tmp_path / "night-1.duckdb", work) > 0
            if number == 3:
                with duckdb.connect(str(work), read_only=True) as con:
                    targets = con.execute(
                        "select distinct target_minutes from intermediate.int_sla_clocks where sla_name = 'decision'"
                    ).fetchall()
                assert targets == [(240,)]
            if number in (2, 4):
                refreshed = _refreshed_copy(warehouse, tmp_path / f"refreshed-{number}")
                assert _differences(work, refreshed) == {}, f"night {number}"
            shutil.copy(work, tmp_path / f"night-{number}.duckdb")
