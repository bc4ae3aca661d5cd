"""The HubSpot extractor against the sandbox: a portal lands in raw as it is at the sandbox's clock
(records, property history, associations, owners, rates, pipelines; an archived record's history
and links too), a contact archived between two nights keeps the history it gained before, a read
crosses search's 10,000-result cap by windowing, rate limits are waited out, an expired token
stops the object in words, and a property that is not of its type costs that property only."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import SHARED
from leadflow import nightly
from leadflow.extract.hubspot import ASSOCIATIONS, HubSpotAuthError, HubSpotError, configured
from leadflow.settings import paths
from leadflow.sources import source_system
from leadflow.timefmt import parse_instant
from leadflow_dev.sandbox.process import RunningSandbox, running_sandbox

PORTAL = SHARED / "fixtures" / "small-hubspot"
AS_OF = "2026-01-10T04:00:00Z"
CLOCK = "2025-12-15T00:00:00.000Z"  # the portal's text form of the clock the tests read at


def _lines(fixture: Path, name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (fixture / "hubspot" / name).read_text(encoding="utf-8").splitlines()]


def _at_clock(versions: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each record's latest version at the clock (the fixture's line order breaks ties)."""
    return {v["id"]: v for v in sorted((v for v in versions if v["updatedAt"] <= CLOCK), key=lambda v: v["updatedAt"])}


def _connect(monkeypatch: pytest.MonkeyPatch, sandbox: RunningSandbox, tmp_path: Path) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_HUBSPOT_DEFAULT",
        json.dumps(
            {
                "conn_type": "http",
                "host": sandbox.url,
                "password": sandbox.client_secret,
                "extra": {"verify": str(sandbox.ca_file), "max_attempts": 6},
            }
        ),
    )
    monkeypatch.setenv("LEADFLOW_WAREHOUSE", str(tmp_path / "hubspot.duckdb"))
    monkeypatch.delenv("LEADFLOW_WORK_WAREHOUSE", raising=False)
    monkeypatch.setenv("LEADFLOW_REPORTS_DIR", str(tmp_path / "reports"))


def _extract(*names: str) -> dict[str, dict[str, Any]]:
    """The night's extract tasks of ``names``, on a night opened first (as the DAG opens one)."""
    if not paths().warehouse.work.exists():
        nightly.open_night(parse_instant(AS_OF), "hubspot-night")
    return {name: nightly.extract("hubspot", name, "hubspot-night") for name in names}


def _raw(query: str) -> list[tuple]:
    with duckdb.connect(str(paths().warehouse.work), read_only=True) as con:
        return con.execute(query).fetchall()


def test_a_portal_lands_in_raw_as_it_is_at_the_clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with running_sandbox(PORTAL, tmp_path / "tls", as_of=CLOCK) as sandbox:
        _connect(monkeypatch, sandbox, tmp_path)
        results = _extract(*(obj.name for obj in source_system("hubspot").objects))
    assert not any(result["quarantined"] or result["partly_quarantined"] for result in results.values()), results

    latest = _at_clock(_lines(PORTAL, "contacts.jsonl"))
    landed = dict(_raw("select record_id, max(record_version) from raw_hubspot.contacts group by record_id"))
    assert landed == {i: c["updatedAt"] for i, c in latest.items()}, "each contact's version at the clock, archived too"
    assert any(c["archived"] for c in latest.values())

    existing = set(latest)
    history = [
        h
        for h in _lines(PORTAL, "contacts_history.jsonl")
        if h["timestamp"] <= CLOCK and h["property"] in configured("contacts")[1] and h["objectId"] in existing
    ]  # fmt: skip
    stored = _raw("select payload from raw_hubspot.contacts_history")
    entries = [json.loads(payload) for (payload,) in stored]
    key = ("objectId", "property", "timestamp", "value")
    assert sorted(tuple(e[k] for k in key) for e in entries) == sorted(tuple(h[k] for k in key) for h in history)
    assert any(latest[e["objectId"]]["archived"] for e in entries), "an archived contact's history too"
    # a lifecycle that went backwards: a clear ("") then the earlier stage, both kept
    cleared = next(e for e in entries if e["property"] == "lifecyclestage" and e["value"] == "")
    after = [e for e in entries if e["objectId"] == cleared["objectId"] and e["property"] == "lifecyclestage"]
    assert any(e["timestamp"] > cleared["timestamp"] and e["value"] for e in after)

    archived = {  # records archived at the clock: their links count on a night of an earlier as-of
        (kind, record["id"])
        for kind in ("contacts", "calls", "emails", "meetings", "tasks")
        for record in _at_clock(_lines(PORTAL, f"{kind}.jsonl")).values()
        if record["archived"]
    }
    associations = {
        (a["fromObjectType"], a["fromId"], a["toId"])
        for a in _lines(PORTAL, "associations.jsonl")
        if a["createdAt"] <= CLOCK and (a["fromObjectType"], a["toObjectType"]) in ASSOCIATIONS
    }
    assert {(kind, record_id) for kind, record_id, _ in associations} & archived, "an archived contact's deal too"
    assert {tuple(row) for row in _raw(
        "select payload->>'fromObjectType', payload->>'fromId', payload->>'toId' from raw_hubspot.associations"
    )} == associations  # fmt: skip
    owners = {o["id"] for o in _lines(PORTAL, "owners.jsonl") if o["updatedAt"] <= CLOCK}
    assert {row[0] for row in _raw("select record_id from raw_hubspot.owners")} == owners
    assert _raw("select count(*) from raw_hubspot.pipelines") == [(1,)]
    assert results["contacts"]["window_to"].startswith("2025-12-15T00:00:00")


def _synthetic_portal(fixture: Path, contacts: int) -> None:
    (fixture / "hubspot").mkdir(parents=True)
    (fixture / "manifest.json").write_text(json.dumps({"as_of": "2026-02-01T00:00:00Z", "crm": "hubspot"}))
    lines = []
    for n in range(contacts):
        stamp = f"2026-01-{1 + n // 1000:02d}T00:{(n % 1000) // 60:02d}:{n % 60:02d}.000Z"
        record_id = str(10_000_000_000 + n)
        properties = {"email": f"p{n}@example.com", "createdate": stamp, "lastmodifieddate": stamp}
        properties["hs_object_id"] = record_id
        record = {"id": record_id, "properties": properties, "createdAt": stamp, "updatedAt": stamp, "archived": False}
        lines.append(json.dumps(record))
    (fixture / "hubspot" / "contacts.jsonl").write_text("\n".join(lines) + "\n")


def test_a_contact_changed_then_archived_between_two_nights_keeps_its_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Search skips archived records: the next night reads the history of those archived since
    its watermark from the archived list, entries written before they were archived included."""
    first_clock = "2025-11-10T00:00:00.000Z"
    with running_sandbox(PORTAL, tmp_path / "tls", as_of=first_clock) as sandbox:
        _connect(monkeypatch, sandbox, tmp_path)
        _extract("contacts_history")
        sandbox.set_clock(CLOCK)
        _extract("contacts_history")
    latest = _at_clock(_lines(PORTAL, "contacts.jsonl"))
    properties = configured("contacts")[1]
    history = [h for h in _lines(PORTAL, "contacts_history.jsonl") if h["timestamp"] <= CLOCK]
    history = [h for h in history if h["property"] in properties and h["objectId"] in latest]
    between = [  # written between the nights by contacts archived before the second
        h for h in history if h["timestamp"] > first_clock and latest[h["objectId"]]["archived"]
    ]
    assert between
    key = ("objectId", "property", "timestamp", "value")
    entries = [json.loads(payload) for (payload,) in _raw("select payload from raw_hubspot.contacts_history")]
    assert sorted(tuple(e[k] for k in key) for e in entries) == sorted(tuple(h[k] for k in key) for h in history)


def test_a_read_crosses_the_search_cap_by_windowing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A first night lists the portal (no search); a later night searches what changed since its
    watermark, and 10,450 changes are more than one search can page through."""
    _synthetic_portal(tmp_path / "portal", 10_450)
    with running_sandbox(tmp_path / "portal", tmp_path / "tls", as_of="2025-12-31T00:00:00Z") as sandbox:
        _connect(monkeypatch, sandbox, tmp_path)
        assert _extract("contacts")["contacts"]["loaded"] == 0, "the portal is empty at the first night"
        _extract("contacts_history")
        sandbox.set_clock("2026-02-01T00:00:00Z")
        result = _extract("contacts")["contacts"]
        history = _extract("contacts_history")["contacts_history"]  # searched for ids only: windowed too
    assert result["window_from"].startswith("2025-12-30T23:50:00"), "searched from the watermark less the overlap"
    assert result["loaded"] == 10_450
    assert history["window_to"] == result["window_to"] and history["received"] == 0, "no history in this portal"
    assert _raw("select count(distinct record_id) from raw_hubspot.contacts") == [(10_450,)]


def test_rate_limits_are_waited_out_the_daily_one_and_an_expired_token_stop_the_object_in_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_sandbox(PORTAL, tmp_path / "tls", as_of=CLOCK) as sandbox:
        _connect(monkeypatch, sandbox, tmp_path)
        sandbox.admin("faults", {"spec": "429:0.3", "seed": 3})
        limited = _extract("deals")["deals"]
        assert sandbox.admin("faults")["injected"]["429"] > 0
        deals = {d["id"] for d in _lines(PORTAL, "deals.jsonl") if d["updatedAt"] <= CLOCK}
        assert limited["received"] >= len(deals)
        assert _raw("select count(distinct record_id) from raw_hubspot.deals") == [(len(deals),)]

        def watermark() -> list[tuple]:
            return _raw("select watermark from raw_meta.watermarks where system = 'hubspot' and object = 'owners'")

        _extract("owners")
        before = watermark()
        assert before, "a read that ended moved the watermark"
        sandbox.admin("faults", {"spec": "limit@1"})
        with pytest.raises(HubSpotError, match="daily API limit is reached"):
            _extract("owners")
        sandbox.admin("faults", {"spec": "expire@1"})
        with pytest.raises(HubSpotAuthError, match="EXPIRED_AUTHENTICATION.*private-app token or service key"):
            _extract("owners")
    assert watermark() == before, "a stopped object's watermark stays: the next night reads on"


def test_a_property_that_is_not_of_its_type_costs_that_property_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    portal = tmp_path / "portal"
    shutil.copytree(PORTAL, portal)
    contacts = _lines(PORTAL, "contacts.jsonl")
    bad = next(c for c in _at_clock(contacts).values() if not c["archived"] and c["properties"]["numberofemployees"])
    bad["properties"]["numberofemployees"] = "lots"
    (portal / "hubspot" / "contacts.jsonl").write_text("\n".join(json.dumps(c) for c in contacts) + "\n")
    with running_sandbox(portal, tmp_path / "tls", as_of=CLOCK) as sandbox:
        _connect(monkeypatch, sandbox, tmp_path)
        result = _extract("contacts")["contacts"]
    assert result["partly_quarantined"] >= 1 and result["quarantined"] == 0
    version = f"record_id = '{bad['id']}' and record_version = '{bad['updatedAt']}'"
    (payload,) = _raw(f"select payload from raw_hubspot.contacts where {version}")[0]
    assert json.loads(payload)["properties"]["numberofemployees"] is None
    quarantine = _raw(f"select field, payload from raw_meta.quarantine where record_id = '{bad['id']}'")
    assert quarantine == [("properties.numberofemployees", '"lots"')]
