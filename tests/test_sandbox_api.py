"""The sandbox speaks the contract's APIs, exercised through the real extraction clients."""

from __future__ import annotations

import csv
import io
import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from leadflow.extract.http import ApiCredentials
from leadflow.extract.marketo import MarketoClient, MarketoError
from leadflow.extract.salesforce import SalesforceClient
from leadflow.timefmt import parse_instant
from leadflow_dev.sandbox.process import RunningSandbox

AS_OF = "2026-06-30T23:00:00Z"


def _credentials(sandbox: RunningSandbox, secret: str | None = None) -> ApiCredentials:
    return ApiCredentials(
        sandbox.url, sandbox.client_id, secret or sandbox.client_secret, verify=str(sandbox.ca_file), max_attempts=6
    )


def _fixture_lines(fixture: Path, name: str) -> list[dict]:
    return [json.loads(line) for line in (fixture / name).read_text(encoding="utf-8").splitlines()]


@pytest.fixture(autouse=True)
def _reset(sandbox: RunningSandbox):
    sandbox.set_clock(AS_OF)
    sandbox.admin("faults", {"spec": ""})
    yield
    sandbox.set_clock(AS_OF)
    sandbox.admin("faults", {"spec": ""})


def test_calls_without_a_token_are_refused(sandbox: RunningSandbox) -> None:
    response = requests.get(
        f"{sandbox.url}/services/data/v60.0/query",
        params={"q": "SELECT Id FROM Lead"},
        verify=str(sandbox.ca_file),
        timeout=10,
    )
    assert response.status_code == 401
    assert response.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    marketo = requests.get(f"{sandbox.url}/rest/v1/activities/types.json", verify=str(sandbox.ca_file), timeout=10)
    assert marketo.json()["success"] is False and marketo.json()["errors"][0]["code"] == "601"


def test_wrong_secret_cannot_log_in(sandbox: RunningSandbox) -> None:
    with pytest.raises(PermissionError):
        SalesforceClient(_credentials(sandbox, "wrong")).login()
    with pytest.raises(PermissionError):
        MarketoClient(_credentials(sandbox, "wrong")).login()


def test_an_untrusted_certificate_fails_at_once(sandbox: RunningSandbox, caplog: pytest.LogCaptureFixture) -> None:
    """The sandbox's CA is not in the system store: no retry can change that, so none is made."""
    untrusted = ApiCredentials(sandbox.url, sandbox.client_id, sandbox.client_secret, verify=True, max_attempts=6)
    client = SalesforceClient(untrusted)
    with caplog.at_level(logging.WARNING), pytest.raises(requests.exceptions.SSLError):
        client.describe("Lead")
    assert not [r for r in caplog.records if "etry" in r.getMessage()], [r.getMessage() for r in caplog.records]


def test_no_secret_travels_in_a_url(sandbox: RunningSandbox) -> None:
    """URLs reach logs (urllib3 prints them when it retries); the secrets travel in bodies."""
    urls: list[str] = []
    for client in (SalesforceClient(_credentials(sandbox)), MarketoClient(_credentials(sandbox))):
        client.session.hooks["response"].append(lambda response, *args, **kwargs: urls.append(response.url))
        client.login()
    assert len(urls) == 2 and not any(sandbox.client_secret in url for url in urls), urls


def test_query_pages_through_next_records_url(sandbox: RunningSandbox, generated_fixture: Path) -> None:
    client = SalesforceClient(_credentials(sandbox))
    pages = list(client.pages("SELECT Id, SystemModstamp FROM Lead ORDER BY SystemModstamp, Id", include_deleted=True))
    assert len(pages) > 2 and all(len(p.records) == 150 for p in pages[:-1])
    ids = [r["Id"] for p in pages for r in p.records]
    assert len(ids) == len(set(ids)) == pages[0].total_size
    assert ids == [
        r["Id"] for r in sorted((r for p in pages for r in p.records), key=lambda r: (r["SystemModstamp"], r["Id"]))
    ]
    assert len(ids) == len({r["Id"] for r in _fixture_lines(generated_fixture, "salesforce/Lead.jsonl")})


def test_deleted_records_only_in_query_all(sandbox: RunningSandbox) -> None:
    client = SalesforceClient(_credentials(sandbox))
    soql = "SELECT Id, IsDeleted, MasterRecordId FROM Lead"
    live = [r for p in client.pages(soql, include_deleted=False) for r in p.records]
    everything = [r for p in client.pages(soql, include_deleted=True) for r in p.records]
    deleted = [r for r in everything if r["IsDeleted"]]
    assert deleted and not any(r["IsDeleted"] for r in live)
    assert len(live) + len(deleted) == len(everything)
    assert any(r["MasterRecordId"] for r in deleted)


def test_world_is_served_as_of_the_clock(sandbox: RunningSandbox, generated_fixture: Path) -> None:
    earlier = parse_instant(AS_OF) - timedelta(days=60)
    sandbox.set_clock(earlier.isoformat())
    client = SalesforceClient(_credentials(sandbox))
    served = {r["Id"]: r for p in client.pages("SELECT Id, Status, SystemModstamp FROM Lead", True) for r in p.records}
    expected: dict[str, dict] = {}
    for line in _fixture_lines(generated_fixture, "salesforce/Lead.jsonl"):
        stamp = parse_instant(line["SystemModstamp"])
        if stamp <= earlier and (
            line["Id"] not in expected or stamp >= parse_instant(expected[line["Id"]]["SystemModstamp"])
        ):
            expected[line["Id"]] = line
    assert served.keys() == expected.keys()
    assert all(served[i]["Status"] == expected[i]["Status"] for i in expected)
    window = [
        r["Id"]
        for p in client.pages(
            "SELECT Id FROM Lead WHERE SystemModstamp > 2026-04-01T00:00:00Z "
            "AND SystemModstamp <= 2026-04-15T00:00:00Z",
            True,
        )
        for r in p.records
    ]
    low, high = parse_instant("2026-04-01T00:00:00Z"), parse_instant("2026-04-15T00:00:00Z")
    in_window = {i for i, r in expected.items() if low < parse_instant(r["SystemModstamp"]) <= high}
    assert in_window and sorted(window) == sorted(in_window)


def test_describe_lists_fields_and_types(sandbox: RunningSandbox) -> None:
    fields = SalesforceClient(_credentials(sandbox)).describe("Lead")
    assert fields["SystemModstamp"] == "datetime" and fields["IsDeleted"] == "boolean"
    assert {"MQL_Date__c", "Rejection_Reason__c", "ConvertedOpportunityId"} <= fields.keys()


def test_marketo_activities_page_by_token(sandbox: RunningSandbox, generated_fixture: Path) -> None:
    client = MarketoClient(_credentials(sandbox))
    types = [t["id"] for t in client.activity_types()]
    token = client.paging_token(parse_instant("2020-01-01T00:00:00Z"))
    pages = list(client.activity_pages(token, types))
    activities = [a for p in pages for a in p.activities]
    assert all(len(p.activities) == 300 for p in pages[:-1]) and pages[-1].more is False
    assert len(activities) == len(_fixture_lines(generated_fixture, "marketo/activities.jsonl"))
    resumed = list(client.activity_pages(pages[0].next_page_token, types))
    assert sum(len(p.activities) for p in resumed) == len(activities) - 300


def test_salesforce_bulk_query_job_in_located_chunks(sandbox: RunningSandbox, generated_fixture: Path) -> None:
    client = SalesforceClient(_credentials(sandbox))
    fields = list(client.describe("Lead"))
    soql = f"SELECT {', '.join(fields)} FROM Lead ORDER BY SystemModstamp, Id"
    chunks = list(client.bulk_chunks(soql, include_deleted=True, chunk=150))
    rows = [row for chunk in chunks for row in csv.DictReader(io.StringIO(chunk.decode()))]
    rest = [r for page in client.pages(soql, include_deleted=True) for r in page.records]
    assert len(chunks) == -(-len(rest) // 150) > 1
    assert [r["Id"] for r in rows] == [r["Id"] for r in rest]
    # the same values as REST: text as received, booleans and numbers spelled out, null as empty
    for row, record in zip(rows, rest, strict=True):
        for name in ("SystemModstamp", "Status", "IsDeleted", "NumberOfEmployees", "Email"):
            value = record.get(name)
            expected = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
            assert row[name] == expected, (name, row[name], value)


def test_marketo_bulk_lead_export_in_31_day_windows(sandbox: RunningSandbox, generated_fixture: Path) -> None:
    client = MarketoClient(_credentials(sandbox))
    fields = list(client.lead_fields())
    rows = [
        row
        for window in client.export_leads(parse_instant("2025-06-01T00:00:00Z"), parse_instant(AS_OF), fields)
        for row in csv.DictReader(io.StringIO(window.decode()))
    ]
    assert len(rows) == len(_fixture_lines(generated_fixture, "marketo/leads.jsonl"))
    assert set(rows[0]) == set(fields)
    too_long = {"fields": fields, "filter": {"updatedAt": {"startAt": "2025-01-01T00:00:00Z", "endAt": AS_OF}}}
    with pytest.raises(MarketoError, match="exceeds 31 days"):
        client._export("leads", too_long)


def test_marketo_bulk_activity_export_serves_what_rest_pages_serve(
    sandbox: RunningSandbox, generated_fixture: Path
) -> None:
    client = MarketoClient(_credentials(sandbox))
    types = [t["id"] for t in client.activity_types()]
    since = parse_instant("2025-06-01T00:00:00Z")
    rest = [a for p in client.activity_pages(client.paging_token(since), types) for a in p.activities]
    windows = list(client.export_activities(since, parse_instant(AS_OF), types))
    exported = [row for window in windows for row in csv.DictReader(io.StringIO(window.decode()))]
    assert len(windows) > 1 and len(exported) == len(rest) > 0
    by_id = {int(row["id"]): row for row in exported}
    for activity in rest:
        row = by_id[activity["id"]]
        assert row["activityDate"] == activity["activityDate"]
        assert int(row["leadId"]) == activity["leadId"] and int(row["activityTypeId"]) == activity["activityTypeId"]
        assert json.loads(row["attributes"]) == activity["attributes"]
    one_type = [
        row
        for w in client.export_activities(since, parse_instant(AS_OF), types[:1])
        for row in csv.DictReader(io.StringIO(w.decode()))
    ]
    assert {int(row["activityTypeId"]) for row in one_type} == {types[0]}


@pytest.mark.parametrize("fault", ["429@2", "503@2", "expire@2", "drop@2", "limit@2", "slow@2"])
def test_clients_ride_out_each_fault(sandbox: RunningSandbox, fault: str) -> None:
    sandbox.admin("faults", {"spec": f"{fault},{fault.split('@')[0]}@4", "slow_seconds": 1})
    client = SalesforceClient(_credentials(sandbox))
    ids = [r["Id"] for p in client.pages("SELECT Id FROM Lead", True) for r in p.records]
    assert len(ids) == len(set(ids)) > 300
    marketo = MarketoClient(_credentials(sandbox))
    kind = fault.split("@")[0]
    sandbox.admin("faults", {"spec": f"{kind}@1", "slow_seconds": 1})
    assert marketo.activity_types()
    assert sandbox.admin("faults")["injected"][kind] == 1
