"""Nights that read a source which kept changing after their as-of: late nights, a backfill after
later nights, and records whose parent is missing. Each publishes the marts of its as-of, equal
to the reference computed from every version the fixture holds, while the sandbox serves only
each record's latest version at its clock, as a real API does."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import SMALL_FIXTURE, check_marts, reference, run_night, use_sandbox
from leadflow.settings import paths
from leadflow.timefmt import marketo_format, parse_instant, salesforce_format
from leadflow_dev.hubspot_render import expressible, render
from leadflow_dev.org_shapes import read_jsonl, write_jsonl
from leadflow_dev.sandbox.process import running_sandbox

pytestmark = pytest.mark.night

# six days before the public fixture's end, where three leads change within half an hour of it
AS_OF = "2026-01-04T09:00:00Z"


def _later(instant: str, delta: timedelta) -> str:
    return marketo_format(parse_instant(instant) + delta)


def _matches_reference(fixture: Path, warehouse: Path, as_of: str, tmp_path: Path) -> None:
    result = check_marts(warehouse, reference(fixture, as_of), tmp_path, run_as_of=as_of)
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.parametrize("late", [timedelta(minutes=30), timedelta(hours=4), timedelta(days=3)], ids=str)
def test_a_late_night_publishes_the_marts_of_its_as_of(
    late: timedelta, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = tmp_path / "late.duckdb"
    with running_sandbox(SMALL_FIXTURE, tmp_path / "tls", as_of=_later(AS_OF, late)) as sandbox:
        use_sandbox(monkeypatch, sandbox, warehouse)
        summary = json.loads(run_night(AS_OF).read_text())
    assert summary["status"] == "published"
    assert summary["quarantined"] == {}, "a lead converted after the as-of is not an orphan at it"
    _matches_reference(SMALL_FIXTURE, warehouse, AS_OF, tmp_path)
    # the source was read as it was at its clock, and the summary says so
    windows = summary["extraction_windows"]
    assert {window["to"] for window in windows.values()} == {parse_instant(_later(AS_OF, late)).isoformat()}
    assert windows["Lead"]["from"] is None, "a first night reads everything"
    changed = summary["records_read_after_as_of"]
    assert changed.get("salesforce.lead", 0) > 0, "leads edited after the as-of were rolled back"


def test_a_late_night_rolls_back_an_sql_its_history_did_not_record(tmp_path: Path, monkeypatch) -> None:
    """Salesforce's field history can miss a change: leads that became SQLs after the as-of, with
    no history row for it but their SQL date stamped, were Accepted at the as-of."""
    fixture = tmp_path / "fixture"
    shutil.copytree(SMALL_FIXTURE, fixture)
    history = fixture / "salesforce" / "LeadHistory.jsonl"
    late = _later(AS_OF, timedelta(days=3))
    sql_dates = {row["Id"]: row.get("SQL_Date__c") for row in read_jsonl(fixture / "salesforce" / "Lead.jsonl")}

    def unrecorded(row: dict[str, Any]) -> bool:
        stamped = sql_dates[row["LeadId"]]
        return (
            row["Field"] == "Status"
            and row["NewValue"] == "SQL"
            and salesforce_format(parse_instant(AS_OF)) < row["CreatedDate"] <= salesforce_format(parse_instant(late))
            and stamped is not None
            and parse_instant(stamped) > parse_instant(AS_OF)
        )

    rows = read_jsonl(history)
    assert sum(map(unrecorded, rows)) >= 3
    write_jsonl(history, [row for row in rows if not unrecorded(row)])
    warehouse = tmp_path / "late.duckdb"
    with running_sandbox(fixture, tmp_path / "tls", as_of=late) as sandbox:
        use_sandbox(monkeypatch, sandbox, warehouse)
        assert json.loads(run_night(AS_OF).read_text())["status"] == "published"
    _matches_reference(fixture, warehouse, AS_OF, tmp_path)


def test_a_late_hubspot_night_publishes_the_marts_of_its_as_of(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every source follows the as-of: the public fixture rendered as a HubSpot portal, read three
    days late, equals the reference of its Salesforce rendering at the as-of. Contacts and deals
    roll back through their property history, of the archived since too (two MQLs deleted after
    the as-of), and a contact routed after the as-of had no owner at it."""
    world, portal = tmp_path / "salesforce", tmp_path / "hubspot"
    expressible(SMALL_FIXTURE, world)
    render(world, portal)
    monkeypatch.setenv("LEADFLOW_ORG_CONFIG", str(portal / "org_config"))
    warehouse = tmp_path / "late.duckdb"
    with running_sandbox(portal, tmp_path / "tls", as_of=_later(AS_OF, timedelta(days=3))) as sandbox:
        use_sandbox(monkeypatch, sandbox, warehouse)
        summary = json.loads(run_night(AS_OF).read_text())
    assert summary["status"] == "published"
    assert summary["quarantined"] == {}
    assert summary["records_read_after_as_of"].get("hubspot.contacts", 0) > 0
    _matches_reference(world, warehouse, AS_OF, tmp_path)


def test_a_backfill_after_later_nights_publishes_its_as_of_and_the_next_night_is_right(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A night three days late, then a backfill of an earlier date (the source has moved on
    further), then the next regular night: each equals its reference, and no watermark moves back."""
    warehouse = tmp_path / "replays.duckdb"
    nights = [
        ("2026-01-06T04:00:00Z", "2026-01-09T04:00:00Z"),
        ("2026-01-02T04:00:00Z", "2026-01-09T05:00:00Z"),  # the backfill
        ("2026-01-09T04:00:00Z", "2026-01-09T06:00:00Z"),
    ]
    watermarks: list[dict[str, Any]] = []
    with running_sandbox(SMALL_FIXTURE, tmp_path / "tls") as sandbox:
        use_sandbox(monkeypatch, sandbox, warehouse)
        for as_of, clock in nights:
            sandbox.set_clock(clock)
            run_night(as_of, run_id=f"night-{as_of}")
            _matches_reference(SMALL_FIXTURE, warehouse, as_of, tmp_path)
            with duckdb.connect(str(paths().warehouse.work), read_only=True) as con:
                watermarks.append(dict(con.execute("select object, watermark from raw_meta.watermarks").fetchall()))
    for before, after in zip(watermarks, watermarks[1:], strict=False):
        assert before.keys() == after.keys()
        assert all(parse_instant(after[name]) >= parse_instant(before[name]) for name in before), (before, after)


def _latest(versions: list[dict[str, Any]], record_id: str) -> dict[str, Any]:
    return max((v for v in versions if v["Id"] == record_id), key=lambda v: v["SystemModstamp"])


def test_orphans_are_quarantined_and_named_and_a_later_night_takes_them_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Night 1 reads a lead that lost its Id (quarantined whole: its history rows are orphans) and a
    converted lead whose opportunity was deleted and purged (not extracted): the night publishes,
    and every orphan is counted, named and alerted. Night 2 reads the lead fixed and the
    opportunity restored (both touched after night 1): the orphans are back in, and the marts
    equal the reference."""
    first, second = "2026-01-08T04:00:00Z", "2026-01-10T04:00:00Z"
    leads = read_jsonl(SMALL_FIXTURE / "salesforce" / "Lead.jsonl")
    history = read_jsonl(SMALL_FIXTURE / "salesforce" / "LeadHistory.jsonl")
    opportunities = read_jsonl(SMALL_FIXTURE / "salesforce" / "Opportunity.jsonl")
    before = salesforce_format(parse_instant(first))
    settled = {v["Id"] for v in leads if v["SystemModstamp"] <= before} - {
        v["Id"] for v in leads if v["SystemModstamp"] > before
    }
    keyless = min(
        i for i in settled if sum(h["LeadId"] == i for h in history) >= 3 and not _latest(leads, i)["IsConverted"]
    )
    converted = min(i for i in settled if _latest(leads, i)["IsConverted"])
    purged = _latest(leads, converted)["ConvertedOpportunityId"]
    assert all(o["SystemModstamp"] <= before for o in opportunities if o["Id"] == purged)

    broken, fixed = tmp_path / "broken", tmp_path / "fixed"
    for target in (broken, fixed):
        shutil.copytree(SMALL_FIXTURE, target)
    write_jsonl(broken / "salesforce" / "Lead.jsonl", [{**v, "Id": None} if v["Id"] == keyless else v for v in leads])
    write_jsonl(broken / "salesforce" / "Opportunity.jsonl", [o for o in opportunities if o["Id"] != purged])
    touched = salesforce_format(parse_instant(first) + timedelta(hours=12))
    write_jsonl(
        fixed / "salesforce" / "Lead.jsonl",
        [*leads, {**_latest(leads, keyless), "SystemModstamp": touched, "LastModifiedDate": touched}],
    )
    write_jsonl(
        fixed / "salesforce" / "Opportunity.jsonl",
        [*opportunities, {**_latest(opportunities, purged), "SystemModstamp": touched, "LastModifiedDate": touched}],
    )
    orphaned = sorted(
        h["Id"] for h in history if h["LeadId"] == keyless and h["CreatedDate"] <= before and not h["IsDeleted"]
    )

    warehouse = tmp_path / "orphans.duckdb"
    with running_sandbox(broken, tmp_path / "tls", as_of=first) as sandbox:
        use_sandbox(monkeypatch, sandbox, warehouse)
        summary = json.loads(run_night(first, run_id="broken").read_text())
    assert summary["status"] == "published"
    assert summary["quarantined"]["LeadHistory"] == len(orphaned)
    assert summary["quarantined"]["Lead"] == 2, "the lead without an Id, and the lead without its opportunity"
    named = {(e["object"], e["record_id"]): e["reason"] for e in summary["quarantined_examples"]}
    assert named[("Lead", converted)] == (f"orphan (converted lead -> opportunity): parent {purged} was not extracted")
    control = next(c for c in summary["controls"] if c["control_name"] == "records_quarantined")
    assert control["status"] == "fail" and control["failing_rows"] >= len(orphaned) + 1
    with duckdb.connect(str(paths().warehouse.work), read_only=True) as con:
        keys = {row[0] for row in con.execute("select record_key from audit.audit_orphaned_records").fetchall()}
        loaded = con.execute("select count(*) from marts.fct_lead_lifecycle where lead_id = ?", [converted]).fetchall()
    assert keys == {f"salesforce.leadhistory {h}" for h in orphaned} | {f"salesforce.lead {converted}"}
    assert loaded == [(1,)], "the lead whose opportunity is missing is in the funnel, without it"

    with running_sandbox(fixed, tmp_path / "tls", as_of=second) as sandbox:
        use_sandbox(monkeypatch, sandbox, warehouse)
        summary = json.loads(run_night(second, run_id="fixed").read_text())
    assert summary["status"] == "published" and "LeadHistory" not in summary["quarantined"]
    _matches_reference(fixed, warehouse, second, tmp_path)
