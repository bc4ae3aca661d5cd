"""One world, two lead databases: the generator's world rendered as Salesforce + Marketo and as a
HubSpot portal (``leadflow_dev.hubspot_render``) publishes the same marts, and the HubSpot night
equals the independent reference computed from the Salesforce rendering (every check, funnel
included).

What cannot be equal is named and left out: the records' ids (mapped back through the
rendering's id map), the Status values (HubSpot's status properties spell them its own way), an
opportunity's account (a deal has none), a queue as owner (HubSpot has no queues: an unowned
contact), an owner's time zone Salesforce leaves empty (HubSpot's owner takes the portal's,
UTC here: the same clocks), and what tells one source from another (the source coverage, the
count of records extracted, surrogate event ids)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import check_marts, reference, run_night, use_sandbox
from leadflow_dev.hubspot_render import STATUS, expressible, render
from leadflow_dev.sandbox.process import running_sandbox

NOT_COMPARABLE_TABLES = {"mart_source_coverage"}
NOT_COMPARABLE_COLUMNS = {"account_id", "sample_record_ids", "event_id"}


def _night(fixture: Path, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict]:
    warehouse = tmp / "leadflow.duckdb"
    as_of = json.loads((fixture / "manifest.json").read_text())["as_of"]
    if (fixture / "org_config").is_dir():
        monkeypatch.setenv("LEADFLOW_ORG_CONFIG", str(fixture / "org_config"))
    else:
        monkeypatch.delenv("LEADFLOW_ORG_CONFIG", raising=False)
    with running_sandbox(fixture, tmp / "tls", as_of=as_of) as sandbox:
        use_sandbox(monkeypatch, sandbox, warehouse)
        summary = json.loads(run_night(as_of).read_text())
    return warehouse, summary


def _marts(warehouse: Path, ids: dict[str, str] | None = None) -> dict[str, pd.DataFrame]:
    """Every published mart, sorted; a HubSpot night's ids and statuses (``ids``: HubSpot id ->
    Salesforce id) spelt as the Salesforce night's."""
    statuses = {value: status for status, (_, value) in STATUS.items()}
    marts = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute("select table_name from information_schema.tables where table_schema = 'marts'")
        for (table,) in tables.fetchall():
            if table in NOT_COMPARABLE_TABLES:
                continue
            frame = con.execute(f"select * from marts.{table}").df()
            frame = frame[[c for c in frame.columns if c not in NOT_COMPARABLE_COLUMNS]]
            if table == "mart_data_quality":
                frame = frame[frame["control_name"] != "records_quarantined"]
            for column in frame.columns:
                if ids is not None and (column.endswith("_id") or column == "record_id"):
                    frame[column] = frame[column].map(lambda v: ids.get(v, v) if isinstance(v, str) else v)
                elif ids is None and column.endswith("owner_id"):  # a queue: HubSpot's unowned contact
                    frame[column] = frame[column].map(lambda v: None if str(v).startswith("00G") else v)
                if column.endswith("time_zone"):
                    frame[column] = frame[column].fillna("UTC")
            if ids is not None and "status" in frame.columns and table != "mart_data_quality":
                frame["status"] = frame["status"].map(lambda v: statuses.get(v, v))
            marts[table] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return marts


@pytest.mark.night
def test_one_world_rendered_as_salesforce_and_as_hubspot_publishes_equal_marts(
    generated_fixture: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = tmp_path / "salesforce"
    expressible(generated_fixture, world)
    render(world, tmp_path / "hubspot")
    hubspot_ids = json.loads((tmp_path / "hubspot" / "id_map.json").read_text())

    salesforce_night, salesforce_summary = _night(world, tmp_path / "sf-night", monkeypatch)
    hubspot_night, hubspot_summary = _night(tmp_path / "hubspot", tmp_path / "hs-night", monkeypatch)
    assert salesforce_summary["status"] == hubspot_summary["status"] == "published"
    assert not hubspot_summary["quarantined"]

    checked = check_marts(hubspot_night, reference(world), tmp_path)
    assert checked.returncode == 0, checked.stdout[-3000:]

    expected, actual = _marts(salesforce_night), _marts(hubspot_night, hubspot_ids)
    assert expected.keys() == actual.keys()
    assert sum(len(frame) for frame in expected.values()) > 1000
    for table, frame in expected.items():
        pd.testing.assert_frame_equal(actual[table], frame, check_dtype=False, rtol=1e-9, obj=table)
