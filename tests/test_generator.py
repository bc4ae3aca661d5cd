import hashlib
import json
import tracemalloc
from collections import Counter
from pathlib import Path

from leadflow_dev.generator import generate


def _digest(directory: Path) -> dict[str, str]:
    return {
        p.relative_to(directory).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*.json*"))
    }


def _lines(directory: Path, name: str) -> list[dict]:
    return [json.loads(line) for line in (directory / name).read_text(encoding="utf-8").splitlines()]


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    generate(tmp_path / "a", 300, 5, "2026-06-30T23:00:00Z")
    generate(tmp_path / "b", 300, 5, "2026-06-30T23:00:00Z")
    generate(tmp_path / "c", 300, 6, "2026-06-30T23:00:00Z")
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_manifest_counts_match_files(generated_fixture: Path) -> None:
    manifest = json.loads((generated_fixture / "manifest.json").read_text())
    assert manifest["as_of"] == "2026-06-30T23:00:00Z"
    for name, count in manifest["counts"].items():
        assert len(_lines(generated_fixture, name)) == count, name


def test_every_messy_pattern_is_present(generated_fixture: Path) -> None:
    leads = _lines(generated_fixture, "salesforce/Lead.jsonl")
    history = _lines(generated_fixture, "salesforce/LeadHistory.jsonl")
    users = _lines(generated_fixture, "salesforce/User.jsonl")
    opportunities = _lines(generated_fixture, "salesforce/Opportunity.jsonl")
    latest = {}
    for lead in sorted(leads, key=lambda r: r["SystemModstamp"]):
        latest[lead["Id"]] = lead
    sources = {lead.get("LeadSource") for lead in leads}
    unknown_spellings = {
        s for s in sources if s is None or s.strip().lower() in {"", "unknown", "none", "--none--", "n/a", "null"}
    }
    assert len(unknown_spellings) >= 3
    assert any(s and s != s.strip() for s in sources), "sources needing a trim"
    assert any(s and s.isupper() for s in sources), "sources in another casing"
    reasons = {lead.get("Rejection_Reason__c") for lead in latest.values() if lead.get("Status") == "Rejected"}
    assert len({r for r in reasons if r and r.strip().lower() == "other"}) >= 2, "Other in several casings"
    assert any(r is None or not r.strip() for r in reasons), "missing rejection reasons"
    status_changes = {(h["LeadId"], h["NewValue"]) for h in history if h["Field"] == "Status"}
    assert any(
        lead["Status"] in ("MQL", "Accepted", "Rejected", "SQL", "Converted")
        and lead["MQL_Date__c"] is None
        and (lead["Id"], "MQL") in status_changes
        for lead in latest.values()
    ), "missing stamp, history has it"
    owner_rows = Counter((h["LeadId"], h["CreatedDate"]) for h in history if h["Field"] == "Owner")
    assert owner_rows and all(count == 2 for count in owner_rows.values()), "double owner-history rows"
    assert any(lead["IsDeleted"] and lead.get("MasterRecordId") for lead in leads), "merged leads"
    assert any(lead["IsDeleted"] and not lead.get("MasterRecordId") for lead in leads), "deleted leads"
    emails = Counter(
        lead["Email"].strip().lower() for lead in latest.values() if lead.get("Email") and not lead["IsDeleted"]
    )
    assert any(count > 1 for count in emails.values()), "one person under two leads"
    inactive = {u["Id"] for u in users if u["IsActive"] is False}
    assert any(
        lead["OwnerId"] in inactive and lead["Status"] not in ("Converted", "Rejected") for lead in latest.values()
    ), "inactive owners owning open leads"
    assert any(not o["IsClosed"] and not (o.get("NextStep") or "").strip() for o in opportunities)
    text = (generated_fixture / "salesforce" / "Lead.jsonl").read_text(encoding="utf-8")
    for odd in ("DROP TABLE", "\\n", '\\"', "🚀", "é"):
        assert odd in text, odd
    assert any(lead["Status"] == "SQL" and lead["SQL_Date__c"] is None for lead in latest.values())


def test_streams_to_disk_memory_does_not_grow_with_leads(tmp_path: Path) -> None:
    peaks = []
    for n in (1000, 8000):
        tracemalloc.start()
        generate(tmp_path / str(n), n, 3, "2026-06-30T23:00:00Z")
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < peaks[0] * 2, peaks


def test_every_field_history_row_agrees_with_the_record_as_it_was_then(generated_fixture: Path) -> None:
    """Salesforce writes a field-history row in the same save as the version that carries the
    change: a lead read as of a history row's time already holds its new value. A late night
    rebuilds the as-of record from the history written after it, so a fixture that breaks this
    would publish a different lead than the reference (which reads the versions)."""
    versions: dict[str, list[dict]] = {}
    for lead in sorted(_lines(generated_fixture, "salesforce/Lead.jsonl"), key=lambda r: r["SystemModstamp"]):
        versions.setdefault(lead["Id"], []).append(lead)
    checked, disagreeing = 0, []
    for row in _lines(generated_fixture, "salesforce/LeadHistory.jsonl"):
        if row["Field"] not in ("Status", "LeadSource", "Rejection_Reason__c"):
            continue
        then = [v for v in versions[row["LeadId"]] if v["SystemModstamp"] <= row["CreatedDate"]]
        checked += 1
        if not then or then[-1][row["Field"]] != row["NewValue"]:
            disagreeing.append((row["LeadId"], row["Field"], row["CreatedDate"], row["NewValue"]))
    assert checked > 100
    assert disagreeing == []
