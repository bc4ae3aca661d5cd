"""Nights on a lead sheet: the generated world kept as a sheet publishes the marts its Salesforce
rendering does where the sheet holds the same facts; a sheet without date columns dates each stage
to the night its status was first seen; and what a person does to a sheet between nights (a status
moved without its date, a row deleted, a column renamed, a lead id changed, a date typed as text,
an owner not on the Owners tab) shows up as the right control or quarantined cell, nothing else
lost."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import run_night, use_sandbox
from leadflow.settings import paths
from leadflow.timefmt import parse_instant
from leadflow_dev.sandbox.process import running_sandbox
from leadflow_dev.sheet_render import TEMPLATE, expressible, render

pytestmark = pytest.mark.night
STAGES = ("mql", "accepted", "rejected", "sql")


def _nights(as_of: str, days: int) -> list[str]:
    night = parse_instant(as_of)
    return [(night - timedelta(days=days * back)).strftime("%Y-%m-%dT%H:%M:%SZ") for back in (2, 1, 0)]


def _sheet_nights(fixture: Path, nights: list[str], warehouse: Path, tmp_path: Path) -> dict[str, Any]:
    """The sheet ``fixture`` read on each of ``nights`` into ``warehouse``; the last summary."""
    with (
        running_sandbox(fixture, tmp_path / "tls-sheet", as_of=nights[0]) as sandbox,
        pytest.MonkeyPatch.context() as mp,
    ):
        use_sandbox(mp, sandbox, warehouse)
        for night in nights:
            sandbox.set_clock(night)
            summary = json.loads(run_night(night, f"sheet-{night}").read_text())
            assert summary["status"] == "published", summary
    return summary


def _query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


LIFECYCLE = [
    "created_at", "status", "status_stage", "mql_at", "routed_at", "first_touch_at", "accepted_at", "rejected_at",
    "rejection_reason", "sql_at", "reached_sql", "is_mql", "is_opportunity", "is_converted", "opportunity_created_at",
    "opportunity_amount", "opportunity_is_won", "original_source", "segment", "cohort_month",
]  # fmt: skip


def test_a_sheet_world_publishes_the_marts_its_salesforce_rendering_does(
    generated_fixture: Path, tmp_path: Path
) -> None:
    """Named differences: owners are e-mails in a sheet (mapped back from Salesforce's user ids),
    opportunity ids are the lead's row, a lead decided without a first-touch date has no
    first-touch clock in a sheet (Salesforce calls it breached: no task was logged), and what
    history tells before the sheet's first read (recycling, re-MQLs, MQL counts) is held by
    neither rendering (``expressible``)."""
    world, sheet = tmp_path / "world", tmp_path / "sheet"
    expressible(generated_fixture, world)
    render(world, sheet)
    as_of = json.loads((world / "manifest.json").read_text())["as_of"]
    _sheet_nights(sheet, _nights(as_of, 1), tmp_path / "sheet.duckdb", tmp_path)
    with running_sandbox(world, tmp_path / "tls-sf", as_of=as_of) as sandbox, pytest.MonkeyPatch.context() as mp:
        use_sandbox(mp, sandbox, tmp_path / "sf.duckdb")
        run_night(as_of, "salesforce")

    con = duckdb.connect()
    con.execute(f"attach '{tmp_path / 'sheet.duckdb'}' as sheet (read_only)")
    con.execute(f"attach '{tmp_path / 'sf.duckdb'}' as sf (read_only)")
    users = world / "salesforce" / "User.jsonl"
    con.execute(f"create table emails as select distinct Id, lower(Email) as email from read_json('{users}')")
    leads = con.execute("select count(*) from sf.marts.fct_lead_lifecycle").fetchall()[0][0]
    assert leads > 300
    differ = {
        column: con.execute(
            f"""select count(*) from sheet.marts.fct_lead_lifecycle as a
                full join sf.marts.fct_lead_lifecycle as b using (lead_id)
                where a.{column} is distinct from b.{column}"""
        ).fetchall()[0][0]
        for column in LIFECYCLE
    }
    assert differ == dict.fromkeys(LIFECYCLE, 0)
    owners = con.execute(
        """select count(*) from sheet.marts.fct_lead_lifecycle as a
           inner join sf.marts.fct_lead_lifecycle as b using (lead_id)
           left join emails on b.routed_owner_id = emails.Id
           where a.routed_owner_id is distinct from emails.email"""
    ).fetchall()[0][0]
    assert owners == 0
    for mart in ("mart_stage_conversion", "mart_rejection_reasons", "mart_source_pipeline", "mart_win_rates"):
        rows = {db: set(_rounded(con, f"{db}.marts.{mart}")) for db in ("sheet", "sf")}
        assert rows["sheet"] - rows["sf"] == set() and rows["sf"] - rows["sheet"] == set(), mart
    # SLA: the same clocks, but a lead decided without a first-touch date, whose first touch Salesforce
    # calls breached (no task logged), has no first-touch clock in a sheet (it logs no activities)
    con.execute("create table sf_sla as select * from sf.marts.fct_lead_sla")
    con.execute("update sf_sla set routed_owner_id = (select email from emails where Id = routed_owner_id)")
    untouched = """select lead_id from sf.marts.fct_lead_lifecycle
                   where routed_at is not null and first_touch_at is null
                   and coalesce(accepted_at, rejected_at, sql_at) is not null"""
    assert con.execute(f"select count(*) from ({untouched})").fetchall()[0][0] > 0
    con.execute(
        f"""update sf_sla set first_touch_status = null, first_touch_business_minutes = null
            where lead_id in ({untouched})"""
    )
    assert set(_rounded(con, "sheet.marts.fct_lead_sla")) == set(_rounded(con, "sf_sla"))
    sla_months = "select * exclude (first_touch_met, first_touch_breached, first_touch_pending) from {}"
    con.execute(f"create table sf_months as {sla_months.format('sf.marts.mart_sla_compliance')}")
    con.execute("update sf_months set routed_owner_id = (select email from emails where Id = routed_owner_id)")
    con.execute(f"create table sheet_months as {sla_months.format('sheet.marts.mart_sla_compliance')}")
    assert set(_rounded(con, "sheet_months")) == set(_rounded(con, "sf_months"))


def _rounded(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple]:
    """A relation's rows, floating sums rounded (the two nights add the same amounts in other orders)."""
    columns = con.execute(f"select column_name, column_type from (describe {relation})").fetchall()
    select = ", ".join(f"round({name}, 6)" if kind == "DOUBLE" else name for name, kind in columns)
    return con.execute(f"select {select} from {relation}").fetchall()


def _stage_at_each_night(fixture: Path, nights: list[str]) -> dict[str, list[str | None]]:
    """Each lead's Status stage as the sheet showed it on each night (from the fixture's edits)."""
    with (Path(paths().dbt_project) / "seeds" / "lead_status_stages.csv").open(encoding="utf-8") as handle:
        stages = {r["value"].lower(): r["lifecycle_stage"] for r in csv.DictReader(handle) if r["field"] == "Status"}
    with (fixture / "sheet" / "Leads.csv").open(encoding="utf-8") as handle:
        edits = sorted(csv.DictReader(handle), key=lambda e: parse_instant(e["_edited_at"]))
    shown: dict[str, list[str | None]] = {}
    for index, night in enumerate(nights):
        rows: dict[str, dict[str, str]] = {}
        for edit in edits:
            if parse_instant(edit["_edited_at"]) <= parse_instant(night):
                rows[edit["_row"]] = edit
        for row in rows.values():
            if row["Lead ID"]:
                shown.setdefault(row["Lead ID"], [None] * len(nights))[index] = stages.get(row["Status"].lower())
    return shown


def test_without_date_columns_each_stage_is_the_night_it_was_first_seen(
    generated_fixture: Path, tmp_path: Path
) -> None:
    world, sheet = tmp_path / "world", tmp_path / "sheet"
    expressible(generated_fixture, world)
    render(world, sheet, dates=False)
    nights = _nights(json.loads((world / "manifest.json").read_text())["as_of"], 7)
    warehouse = tmp_path / "sheet.duckdb"
    _sheet_nights(sheet, nights, warehouse, tmp_path)

    expected: dict[tuple[str, str], str | None] = {}
    for lead_id, shown in _stage_at_each_night(sheet, nights).items():
        for stage in STAGES:
            first = next((night for night, seen in zip(nights, shown, strict=True) if seen == stage), None)
            expected[(lead_id, stage)] = first and parse_instant(first).strftime("%Y-%m-%d %H:%M:%S")
    columns = ", ".join(f"strftime({s}_at, '%Y-%m-%d %H:%M:%S')" for s in STAGES)
    published = {
        (lead_id, stage): at
        for lead_id, *times in _query(warehouse, f"select lead_id, {columns} from marts.fct_lead_lifecycle")
        for stage, at in zip(STAGES, times, strict=True)
    }
    assert published == {key: at for key, at in expected.items() if key[0] in {k[0] for k in published}}
    later = {at for at in published.values() if at and at > parse_instant(nights[0]).strftime("%Y-%m-%d %H:%M:%S")}
    assert later, "some stage was first seen on a later night"
    evidence = _query(warehouse, "select count(*) from marts.fct_lead_lifecycle where mql_at is not null")[0][0]
    unmeasurable = _query(
        warehouse,
        "select failing_rows from marts.mart_data_quality where control_name = 'sheet_sla_unmeasurable' "
        "and run_as_of = (select max(run_as_of) from marts.mart_data_quality)",
    )
    assert unmeasurable == [(evidence,)], "every MQL's SLA is known only to the night"
    measured = "select count(*) from marts.fct_lead_sla where coalesce(assign_status, decision_status) is not null"
    assert _query(warehouse, measured) == [(0,)], "and no clock runs on times known only to the night"


def _write(folder: Path, tab: str, header: list[str], rows: list[dict[str, str]]) -> None:
    with (folder / f"{tab}.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([row.get(name, "") for name in header] for row in rows)


def test_what_a_person_does_to_the_sheet_between_nights_shows_up_and_loses_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "exported"
    folder.mkdir()
    shutil.copy(TEMPLATE / "Owners.csv", folder / "Owners.csv")
    header = next(csv.reader((TEMPLATE / "Leads.csv").open(encoding="utf-8")))
    owner = "sam@yourco.com"

    def lead(number: int, **cells: str) -> dict[str, str]:
        base = {"Lead ID": f"L-{number}", "Created": "2025-05-02 09:00", "Email": f"p{number}@example.com"}
        return {
            **base,
            "Status": "MQL",
            "MQL Date": "2025-05-02 10:00",
            "Owner Email": owner,
            "Source": "Webinar",
            **cells,
        }

    rejected = {"Status": "Rejected", "First Touch Date": "2025-05-02 11:00", "Rejected Date": "2025-05-03 10:00"}
    leads = {n: lead(n) for n in (1, 2, 4, 5, 6, 7)} | {3: lead(3, **rejected, **{"Rejection Reason": "No budget"})}
    _write(folder, "Leads", header, [leads[n] for n in sorted(leads)])
    for name in ("SALESFORCE", "MARKETO", "HUBSPOT"):
        monkeypatch.delenv(f"AIRFLOW_CONN_{name}_DEFAULT", raising=False)
    monkeypatch.setenv("AIRFLOW_CONN_SHEET_DEFAULT", json.dumps({"conn_type": "http", "extra": {"file": str(folder)}}))
    warehouse = tmp_path / "sheet.duckdb"
    monkeypatch.setenv("LEADFLOW_WAREHOUSE", str(warehouse))
    monkeypatch.delenv("LEADFLOW_WORK_WAREHOUSE", raising=False)
    monkeypatch.setenv("LEADFLOW_REPORTS_DIR", str(tmp_path / "reports"))
    first = json.loads(run_night("2025-05-31T23:00:00Z", "night-1").read_text())
    assert first["status"] == "published" and not first["quarantined"]
    assert not [c for c in first["failing_controls"] if c["control_name"].startswith("sheet_")], first
    lifecycle_sql = (
        "select lead_id, status, accepted_at, mql_at, rejected_at, rejection_reason from marts.fct_lead_lifecycle"
    )
    before = {row[0]: row[1:] for row in _query(warehouse, lifecycle_sql)}

    leads[1] = {**leads[1], "Status": "Accepted"}  # moved without its date
    del leads[2]  # a row deleted
    leads[4] = {**leads[4], "Lead ID": "L-4b"}  # an id changed (the same person)
    leads[5] = {**leads[5], "MQL Date": "May 3rd"}  # a date typed as text
    leads[6] = {**leads[6], "Owner Email": "kim@yourco.com"}  # an owner the Owners tab lacks
    renamed = ["Date Rejected" if name == "Rejected Date" else name for name in header]  # a column renamed
    _write(
        folder, "Leads", renamed, [{**r, "Date Rejected": r.get("Rejected Date", "")} for _, r in sorted(leads.items())]
    )
    second = json.loads(run_night("2025-06-01T23:00:00Z", "night-2").read_text())
    assert second["status"] == "published"

    failing = {c["control_name"]: c["sample_record_ids"] for c in second["failing_controls"]}
    assert failing["sheet_status_without_date"] == "L-1"
    assert failing["sheet_row_deleted"] == "L-2"
    assert failing["sheet_lead_id_changed"] == "L-4"
    assert failing["sheet_owner_unknown"] == "L-6"
    assert "sheet_lead_id_reused" not in failing and "sheet_dates_out_of_order" not in failing
    reasons = _query(
        tmp_path / "sheet.work.duckdb",
        "select record_id, field, reason from raw_meta.quarantine where run_id = 'night-2' order by field",
    )
    assert [(rid, field) for rid, field, _ in reasons] == [("L-5", "MQL Date"), (None, "Rejected Date")]
    assert reasons[0][2].startswith("row 5, column 'MQL Date': not a date: 'May 3rd'")
    assert "column 'Rejected Date' is not in the Leads tab" in reasons[1][2]

    after = {row[0]: row[1:] for row in _query(warehouse, lifecycle_sql)}
    assert set(after) == {"L-1", "L-3", "L-4b", "L-5", "L-6", "L-7"}
    night_2 = parse_instant("2025-06-01T23:00:00Z").replace(tzinfo=None)
    assert after["L-1"][:2] == ("Accepted", night_2), "accepted on the night it was first seen so"
    # nothing else lost: dates read before stand through a renamed column and a bad cell
    assert after["L-3"] == before["L-3"] and after["L-5"] == before["L-5"] and after["L-7"] == before["L-7"]
    assert after["L-4b"] == before["L-4"]
