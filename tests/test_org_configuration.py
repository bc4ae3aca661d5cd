"""Real orgs: one world rendered as the contract's org and as a stock-configured org gives the same
marts once the configuration matches, also when the org lacks objects and holds stale deleted
records; ``leadflow doctor`` says what does not fit."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import run_night, use_sandbox
from leadflow import doctor
from leadflow.settings import PROJECT_ROOT
from leadflow_dev.generator import generate
from leadflow_dev.org_shapes import NO_STAMPS, STOCK_ORG, OrgShape, read_jsonl, render, write_jsonl
from leadflow_dev.sandbox.process import running_sandbox

AS_OF = "2026-06-30T23:00:00Z"


def _as_a_real_org(fixture: Path) -> None:
    """What real orgs hold: field history off (no LeadHistory rows), no queues (no Group file), a
    deleted opportunity whose account was purged, whole-number amounts in a currency field."""
    (fixture / "salesforce" / "LeadHistory.jsonl").write_text("")
    (fixture / "salesforce" / "Group.jsonl").unlink()
    opportunities = fixture / "salesforce" / "Opportunity.jsonl"
    rows = read_jsonl(opportunities)
    for row in rows:
        if row.get("Amount") is not None:
            row["Amount"] = int(round(row["Amount"]))
    rows.append({**rows[0], "Id": "006purged000000001", "AccountId": "001purged000000001", "IsDeleted": True})
    write_jsonl(opportunities, rows)


def _night(fixture: Path, org_config: Path | None, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict]:
    """One night of ``fixture`` with the org's configuration folder ``org_config`` (None: the
    shipped defaults); the published warehouse, summary."""
    warehouse = tmp / "warehouse" / "leadflow.duckdb"
    with running_sandbox(fixture, tmp / "tls") as sandbox:
        sandbox.set_clock(AS_OF)
        use_sandbox(monkeypatch, sandbox, warehouse)
        if org_config:
            monkeypatch.setenv("LEADFLOW_ORG_CONFIG", str(org_config))
        else:
            monkeypatch.delenv("LEADFLOW_ORG_CONFIG", raising=False)
        summary = json.loads(run_night(AS_OF).read_text())
    return warehouse, summary


def _org_config_for(shape: OrgShape, folder: Path) -> Path:
    """The org's configuration folder: its own ``lead_fields.csv`` (``role,field``)."""
    folder.mkdir(parents=True)
    (folder / "lead_fields.csv").write_text(shape.lead_fields_csv())
    return folder


def _marts(warehouse: Path, statuses: dict[str, str]) -> dict[str, pd.DataFrame]:
    """Every published mart, sorted, with the org's Status values spelt as the contract's."""
    back = {org: contract for contract, org in statuses.items()}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [t for (t,) in con.execute("select table_name from information_schema.tables").fetchall()]
        marts = {}
        for table in sorted(tables):
            frame = con.execute(f"select * from marts.{table}").df()
            if "status" in frame.columns and table != "mart_data_quality":
                frame["status"] = frame["status"].map(lambda value: back.get(value, value))
            marts[table] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return marts


@pytest.mark.night
@pytest.mark.parametrize("world", ["stale and incomplete org, seed 21", "full history, seed 5"])
def test_a_stock_org_configured_to_match_gives_the_contract_orgs_marts(
    world: str, generated_fixture: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    contract = tmp_path / "contract"
    if world.startswith("stale"):
        shutil.copytree(generated_fixture, contract)
        _as_a_real_org(contract)
    else:
        generate(contract, 300, 5, AS_OF)
    render(contract, tmp_path / "stock", STOCK_ORG)

    expected, contract_summary = _night(contract, None, tmp_path / "a", monkeypatch)
    org_config = _org_config_for(STOCK_ORG, tmp_path / "stock-config")
    actual, stock_summary = _night(tmp_path / "stock", org_config, tmp_path / "b", monkeypatch)

    assert contract_summary["status"] == stock_summary["status"] == "published"
    assert not stock_summary["quarantined"], "whole-number amounts are valid currency"
    if world.startswith("stale"):
        lacked = {"salesforce.group", "salesforce.leadhistory"}  # the org's; HubSpot has no connection
        assert {o for o in stock_summary["skipped_objects"] if o.startswith("salesforce.")} == lacked
        with duckdb.connect(str(actual), read_only=True) as con:  # the marts say what they lacked
            unavailable = con.execute("select source_object from marts.mart_source_coverage where not is_available")
            assert {o for (o,) in unavailable.fetchall() if o.startswith("salesforce.")} == lacked
    unmapped = next(c for c in stock_summary["controls"] if c["control_name"] == "lead_status_unmapped")
    assert unmapped["failing_rows"] == 0 and unmapped["population"] > 0
    with duckdb.connect(str(actual), read_only=True) as con:
        statuses = {s for (s,) in con.execute("select distinct status from marts.fct_lead_lifecycle").fetchall()}
    assert statuses <= set(STOCK_ORG.statuses.values()) and "Marketing Qualified" in statuses
    expected_marts, actual_marts = _marts(expected, {}), _marts(actual, STOCK_ORG.statuses)
    assert expected_marts.keys() == actual_marts.keys()
    for table, frame in expected_marts.items():
        pd.testing.assert_frame_equal(actual_marts[table], frame, obj=table)


@pytest.mark.night
def test_an_org_without_stamped_dates_takes_each_stage_from_history(
    generated_fixture: Path, built_night: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The generated world stamps a stage when its Status changes: without the stamps (their
    fields configured empty), history gives the same times, and says so in the evidence."""
    render(generated_fixture, tmp_path / "unstamped", NO_STAMPS)
    expected = built_night  # the same world, stamped, at the same as-of
    org_config = _org_config_for(NO_STAMPS, tmp_path / "unstamped-config")
    actual, summary = _night(tmp_path / "unstamped", org_config, tmp_path / "b", monkeypatch)
    assert summary["status"] == "published"
    query = "select lead_id, mql_at, accepted_at, rejected_at from marts.fct_lead_lifecycle order by lead_id"
    with duckdb.connect(str(expected), read_only=True) as stamped, duckdb.connect(str(actual), read_only=True) as con:
        assert con.execute(query).fetchall() == stamped.execute(query).fetchall()
        evidence = con.execute("select distinct evidence from marts.fct_lifecycle_events where stage = 'mql'")
        assert {e for (e,) in evidence.fetchall()} == {"field history"}


@pytest.mark.night
def test_doctor_names_every_unmapped_status_and_missing_field(
    generated_fixture: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """A stock-configured org (with a custom status of its own) checked against the contract's
    configuration: the seeds as shipped."""
    stock = tmp_path / "stock"
    render(generated_fixture, stock, STOCK_ORG)
    leads = stock / "salesforce" / "Lead.jsonl"
    rows = read_jsonl(leads)
    rows[0]["Status"] = "Recycled - Cold"
    write_jsonl(leads, rows)
    with running_sandbox(stock, tmp_path / "tls") as sandbox:
        use_sandbox(monkeypatch, sandbox, tmp_path / "w.duckdb")
        assert doctor.main(PROJECT_ROOT / "dbt_project" / "seeds") == 1
    said = capsys.readouterr().out
    assert "The value 'Recycled - Cold' of the status field Status is not mapped to a lifecycle stage" in said
    assert "Marketing Qualified" not in said, "stock values ship mapped"
    for contract_field in ("MQL_Date__c", "SQL_Date__c", "Rejection_Reason__c", "Lead_Score__c"):
        assert f"configured as the Lead field {contract_field}, which this org does not have" in said
    assert "1 problem" not in said and "problem(s) to fix" in said
