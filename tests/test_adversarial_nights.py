"""Nights fed bad records: each bad field is nulled or truncated and the record still loads; only a
record without a key is dropped; all of it is counted, named and alerted, and the marts equal the
reference computed on what was valid."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import check_marts, reference, run_night, use_sandbox
from leadflow.extract.marketo import ACTIVITY_FIELDS
from leadflow.extract.validate import MAX_TEXT, check, checked_chunk
from leadflow.settings import paths
from leadflow.sources import source_object
from leadflow_dev.org_shapes import read_jsonl, write_jsonl
from leadflow_dev.sandbox.process import running_sandbox

AS_OF = "2026-06-30T23:00:00Z"
HUGE_TITLE = "T" * 5_000_000


def _latest(leads: list[dict[str, Any]], lead_id: str) -> dict[str, Any]:
    return max((lead for lead in leads if lead["Id"] == lead_id), key=lambda lead: lead["SystemModstamp"])


def _bad_nights(source: Path, served: Path, valid: Path) -> dict[str, str]:
    """``served``: the fixture with bad fields in the latest versions of three real leads, a lead
    without an Id and a history row twice. ``valid``: what should load (bad fields nulled or
    truncated, the keyless lead and the second copy gone). Returns the field problems planted."""
    leads = read_jsonl(source / "salesforce" / "Lead.jsonl")
    ids = sorted({lead["Id"] for lead in leads})
    mql = next(i for i in ids if _latest(leads, i)["Status"] == "MQL" and _latest(leads, i)["MQL_Date__c"])
    sized = next(i for i in ids if i != mql and _latest(leads, i)["NumberOfEmployees"])
    titled = next(i for i in ids if i not in (mql, sized))
    planted = {
        mql: ("MQL_Date__c", "31/02/2026 25:00", None, "MQL_Date__c: unparseable datetime"),
        sized: ("NumberOfEmployees", "lots", None, "NumberOfEmployees: expected integer"),
        titled: ("Title", HUGE_TITLE, HUGE_TITLE[:MAX_TEXT], "Title: oversized text (5000000 characters); truncated"),
    }
    bad_versions, valid_versions = [], []
    for lead in leads:
        bad, good = dict(lead), dict(lead)
        if lead["Id"] in planted and lead is _latest(leads, lead["Id"]):
            field, received, loaded, _ = planted[lead["Id"]]
            bad[field], good[field] = received, loaded
        bad_versions.append(bad)
        valid_versions.append(good)
    keyless = {**_latest(leads, titled), "Id": None, "LastName": "No Id"}
    for target, versions in ((served, bad_versions + [keyless]), (valid, valid_versions)):
        shutil.copytree(source, target)
        write_jsonl(target / "salesforce" / "Lead.jsonl", versions)
    history = served / "salesforce" / "LeadHistory.jsonl"
    with history.open("a", encoding="utf-8") as handle:
        handle.write(history.read_text(encoding="utf-8").splitlines()[0] + "\n")
    return {lead_id: reason for lead_id, (*_, reason) in planted.items()}


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.mark.night
@pytest.mark.parametrize("path", ["rest", "bulk"])
def test_a_bad_field_costs_that_field_and_everyone_hears_of_it(
    path: str, generated_fixture: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served, valid = tmp_path / "served", tmp_path / "valid"
    planted = _bad_nights(generated_fixture, served, valid)
    warehouse = tmp_path / "bad.duckdb"
    warnings = _Recorder()
    logging.getLogger("leadflow.nightly").addHandler(warnings)
    try:
        with running_sandbox(served, tmp_path / "tls", page_size=10000) as sandbox:
            sandbox.set_clock(AS_OF)
            use_sandbox(monkeypatch, sandbox, warehouse)
            if path == "bulk":
                monkeypatch.setenv("AIRFLOW_CONN_SALESFORCE_DEFAULT", sandbox.airflow_connection(bulk_threshold=0))
            summary = json.loads(run_night(AS_OF).read_text())
    finally:
        logging.getLogger("leadflow.nightly").removeHandler(warnings)

    # the marts are the reference's on what was valid: the three leads kept their good fields
    result = check_marts(warehouse, reference(valid, AS_OF), tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]

    # every dropped field or record is counted and named: summary, control, WARNING, quarantine
    assert summary["status"] == "published"
    assert summary["quarantined"] == {"Lead": 4, "LeadHistory": 1}
    named = {(e["record_id"], e["field"]): e["reason"] for e in summary["quarantined_examples"]}
    for lead_id, reason in planted.items():
        assert any(key[0] == lead_id and text.startswith(reason) for key, text in named.items()), lead_id
    assert (None, None) in named and named[(None, None)] == "missing Id"
    control = next(c for c in summary["controls"] if c["control_name"] == "records_quarantined")
    assert control["failing_rows"] == 5 and control["status"] == "fail" and control["owner"] == "data-engineering"
    assert all(f"salesforce.lead {lead_id}" in control["sample_record_ids"] for lead_id in planted)
    warned = " ".join(warnings.lines)
    assert "Lead: of" in warned and "1 quarantined whole and 3 loaded with fields nulled or truncated" in warned
    with duckdb.connect(str(paths().warehouse.work), read_only=True) as con:
        title = con.execute(
            "select payload from raw_meta.quarantine where field = 'Title' and record_id = ?",
            [next(i for i, r in planted.items() if r.startswith("Title"))],
        ).fetchall()
        loads = con.execute(
            "select quarantined, partly_quarantined from raw_meta.loads where object = 'Lead'"
        ).fetchall()
    assert json.loads(title[0][0]) == HUGE_TITLE, "the value as received is kept"
    assert loads == [(1, 3)]


def test_checking_a_record_nulls_or_truncates_only_what_is_bad() -> None:
    types = {"Id": "id", "Name": "string", "IsActive": "boolean", "Amount": "currency", "SystemModstamp": "datetime"}
    stamp = "2026-06-01T00:00:00.000+0000"
    record = {"Id": "1", "Name": "ok\udc80", "IsActive": "yes", "Amount": 12.5, "SystemModstamp": stamp}
    checked = check(record, types, "Id", "SystemModstamp")
    assert checked.reason is None
    assert checked.record == {"Id": "1", "Name": None, "IsActive": None, "Amount": 12.5, "SystemModstamp": stamp}
    assert [(p.field, p.received) for p in checked.problems] == [("Name", "ok\udc80"), ("IsActive", "yes")]
    assert checked.problems[0].reason == "Name: invalid UTF-8; nulled"
    assert check({**record, "SystemModstamp": "soon"}, types, "Id", "SystemModstamp").reason.startswith(
        "SystemModstamp: unparseable datetime"
    )
    assert check({**record, "Id": " "}, types, "Id", "SystemModstamp").reason == "missing Id"
    clean = {"Id": "1", "Name": "Zoë 🚀 'quoted' \"x\" DROP TABLE", "SystemModstamp": stamp}
    kept = check(clean, types, "Id", "SystemModstamp")
    assert kept.record == clean and not kept.problems and kept.reason is None


def test_a_bulk_chunk_is_checked_as_records_are(tmp_path: Path) -> None:
    """The bulk path's SQL: the source's null spellings are null, a bad field is nulled and named,
    and a key's second row in one chunk is quarantined whole while its first loads."""
    chunk = tmp_path / "chunk.csv"
    chunk.write_text(
        "id,leadId,activityDate,activityTypeId,primaryAttributeValue\n"
        "1,101,2026-06-01T00:00:00Z,6,null\n"
        "2,102,2026-06-01T00:00:00Z,six,Webinar\n"
        "1,103,2026-06-02T00:00:00Z,6,\n",
        encoding="utf-8",
    )
    with duckdb.connect() as con:
        sql = checked_chunk(con, source_object("marketo", "activities"), chunk, ACTIVITY_FIELDS, ("", "null"))
        rows = con.execute(sql).fetchall()
    by_lead = {
        json.loads(payload)["leadId"]: (record_id, reason, json.loads(payload), problems)
        for record_id, _, _, reason, payload, problems in rows
    }
    assert {lead: (record_id, reason) for lead, (record_id, reason, _, _) in by_lead.items()} == {
        101: ("1", None),
        102: ("2", None),
        "103": ("1", "duplicate id within one page"),  # quarantined whole: the values as received
    }
    assert by_lead[101][2]["primaryAttributeValue"] is None and by_lead[101][3] == []
    assert by_lead[102][2]["activityTypeId"] is None and by_lead[102][2]["primaryAttributeValue"] == "Webinar"
    assert [(p["field"], p["received"]) for p in by_lead[102][3]] == [("activityTypeId", "six")]


def test_a_bulk_chunk_that_is_not_utf8_is_an_error_naming_its_line(tmp_path: Path) -> None:
    """Both vendors write their bulk files in UTF-8, and chunks land as received, undecoded: a
    chunk that is not UTF-8 fails its object with the line DuckDB could not read."""
    chunk = tmp_path / "chunk.csv"
    chunk.write_bytes(
        b"id,leadId,activityDate,activityTypeId,primaryAttributeValue\n"
        b"1,101,2026-06-01T00:00:00Z,6,Webinar\n"
        b"2,102,2026-06-01T00:00:00Z,6,Jos\xe9\n"
    )
    with duckdb.connect() as con, pytest.raises(duckdb.InvalidInputException, match=r"(?s)Line: 3.*not utf-8"):
        checked_chunk(con, source_object("marketo", "activities"), chunk, ACTIVITY_FIELDS, ("", "null"))
