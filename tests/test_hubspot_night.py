"""A HubSpot portal as the lead database: the public small world rendered as a portal, with its
org configuration folder, publishes the marts the reference computes (every check, funnel
included), a night read months late keeps the deals of contacts deleted since, and ``leadflow
doctor`` checks the configuration against the portal."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import SHARED, run_night, use_sandbox
from leadflow import doctor, org_config
from leadflow.settings import PROJECT_ROOT
from leadflow_dev.org_shapes import read_jsonl
from leadflow_dev.sandbox.process import running_sandbox

PORTAL = SHARED / "fixtures" / "small-hubspot"
CHECK = SHARED / "tools" / "check_marts.py"


@pytest.mark.night
def test_a_hubspot_night_with_the_orgs_configuration_equals_the_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = tmp_path / "hubspot.duckdb"
    as_of = json.loads((PORTAL / "manifest.json").read_text())["as_of"]
    monkeypatch.setenv("LEADFLOW_ORG_CONFIG", str(PORTAL / "org_config"))
    with running_sandbox(PORTAL, tmp_path / "tls", as_of=as_of) as sandbox:
        assert sandbox.systems == ("hubspot",)
        use_sandbox(monkeypatch, sandbox, warehouse)
        summary = json.loads(run_night(as_of).read_text())
    assert summary["status"] == "published"
    assert not summary["quarantined"]
    assert {o for o in summary["skipped_objects"] if not o.startswith("hubspot.")} >= {"salesforce.lead"}
    checked = subprocess.run(
        [sys.executable, str(CHECK), str(warehouse), str(PORTAL / "expected.json"), "--funnel"],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from marts.mart_campaign_performance").fetchone() == (0,)
        why = con.execute(
            "select skipped_reason from marts.mart_source_coverage where source_object = 'hubspot.campaigns'"
        )
        assert "no campaign membership" in why.fetchone()[0], "the coverage says why the campaign marts are empty"
        ids = con.execute("select count(*), count(*) filter (where lead_id like '1%') from marts.fct_lead_lifecycle")
        total, contacts = ids.fetchone()
        assert total == contacts > 0, "every lead is a HubSpot contact (numeric ids)"


@pytest.mark.night
def test_a_contact_converted_then_deleted_after_the_as_of_keeps_its_deal_on_a_late_night(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A night read months late: contacts that were opportunities at its as-of and were deleted
    since are leads of it, converted to the deal they were linked to then (the links of deleted
    records are read too)."""
    as_of, clock = "2025-09-30T00:00:00.000Z", json.loads((PORTAL / "manifest.json").read_text())["as_of"]
    contacts = read_jsonl(PORTAL / "hubspot" / "contacts.jsonl")
    deleted_since = {c["id"] for c in contacts if c["archived"] and c["archivedAt"] > as_of}
    converted = {
        h["objectId"]
        for h in read_jsonl(PORTAL / "hubspot" / "contacts_history.jsonl")
        if h["property"] == "lifecyclestage" and h["value"] == "opportunity" and h["timestamp"] <= as_of
    }
    links = sorted(
        (a["createdAt"], a["toId"], a["fromId"])
        for a in read_jsonl(PORTAL / "hubspot" / "associations.jsonl")
        if a["fromObjectType"] == "contacts" and a["toObjectType"] == "deals" and a["createdAt"] <= as_of
    )
    expected: dict[str, str] = {}
    for _, deal, contact in links:  # its earliest link (a deal is linked as it is created)
        if contact in deleted_since & converted:
            expected.setdefault(contact, deal)
    assert expected, "the portal has contacts converted by the as-of and deleted since"
    monkeypatch.setenv("LEADFLOW_ORG_CONFIG", str(PORTAL / "org_config"))
    warehouse = tmp_path / "late.duckdb"
    with running_sandbox(PORTAL, tmp_path / "tls", as_of=clock) as sandbox:
        use_sandbox(monkeypatch, sandbox, warehouse)
        assert json.loads(run_night(as_of).read_text())["status"] == "published"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        published = con.execute(
            "select lead_id, opportunity_id from marts.fct_lead_lifecycle where lead_id in ?", [list(expected)]
        ).fetchall()
    assert dict(published) == expected


@pytest.mark.night
def test_doctor_checks_the_configuration_against_the_portal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """The shipped defaults against the demo portal: its owners have no time zone; its own
    configuration folder fits, once it maps the portal's custom status value."""
    portal = tmp_path / "portal"
    for path in PORTAL.rglob("*"):
        if path.is_file():
            (portal / path.relative_to(PORTAL)).parent.mkdir(parents=True, exist_ok=True)
            (portal / path.relative_to(PORTAL)).write_bytes(path.read_bytes())
    contacts = portal / "hubspot" / "contacts.jsonl"
    lines = contacts.read_text().splitlines()
    first = json.loads(lines[0])
    first["properties"]["hs_lead_status"] = "RECYCLED_COLD"
    contacts.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    seeds = PROJECT_ROOT / "dbt_project" / "seeds"
    with running_sandbox(portal, tmp_path / "tls") as sandbox:
        use_sandbox(monkeypatch, sandbox, tmp_path / "w.duckdb")
        assert doctor.main(seeds) == 1
        said = capsys.readouterr().out
        assert "The value 'RECYCLED_COLD' of the status field hs_lead_status is not mapped" in said
        assert re.search(r"The owner rep\d+@example\.com has no time zone", said)
        assert "configured as the contact field" not in said, "the defaults are HubSpot's own properties"
        monkeypatch.setenv("LEADFLOW_ORG_CONFIG", str(portal / "org_config"))
        project = PROJECT_ROOT / "dbt_project"
        assert doctor.main(project / org_config.seed_path(project)) == 1
        said = capsys.readouterr().out
    assert "has no time zone" not in said, "the folder gives every active owner a zone"
    assert "RECYCLED_COLD" in said
