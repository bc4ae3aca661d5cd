"""The sandbox speaks HubSpot's API subset (hubspot-contract.md section 3) with a real portal's
limits: a portal served as of its clock, search capped at 10,000 results, page and batch limits,
429 answers naming their policy, 401 answers naming their category."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import SHARED
from leadflow.timefmt import parse_instant
from leadflow_dev.sandbox.process import RunningSandbox, running_sandbox

PORTAL = SHARED / "fixtures" / "small-hubspot"
AS_OF = "2026-01-10T04:00:00Z"


class Portal:
    """Calls to a sandbox's HubSpot API with its token (the CA given per call: the environment's
    CA bundle settings would otherwise replace it)."""

    def __init__(self, sandbox: RunningSandbox, token: str | None = None) -> None:
        self.sandbox, self.session = sandbox, requests.Session()
        self.headers = {"Authorization": f"Bearer {token or sandbox.client_secret}"}

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", self.headers)
        url = f"{self.sandbox.url}{path}"
        return self.session.request(
            method, url, headers=headers, verify=str(self.sandbox.ca_file), timeout=30, **kwargs
        )

    def search(self, object_type: str, filters: list[dict[str, Any]], **body: Any) -> requests.Response:
        query = {"filterGroups": [{"filters": filters}], "limit": 200, **body}
        return self.call("POST", f"/crm/v3/objects/{object_type}/search", json=query)


def _epoch_ms(instant: str) -> int:
    return int(parse_instant(instant).timestamp() * 1000)


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    with running_sandbox(PORTAL, tmp_path_factory.mktemp("tls"), as_of=AS_OF) as sandbox:
        yield Portal(sandbox)


def _versions(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (PORTAL / "hubspot" / name).read_text(encoding="utf-8").splitlines()]


def test_the_portal_is_served_as_of_its_clock(portal: Portal) -> None:
    earlier = "2025-12-01T00:00:00Z"
    then: dict[str, dict[str, Any]] = {}  # each contact's latest version at the earlier clock
    for version in _versions("contacts.jsonl"):
        if version["updatedAt"] <= "2025-12-01T00:00:00.000Z":
            then[version["id"]] = max(then.get(version["id"], version), version, key=lambda v: v["updatedAt"])
    portal.sandbox.set_clock(earlier)
    answer = portal.search("contacts", [{"propertyName": "createdate", "operator": "GTE", "value": 0}], limit=1)
    assert answer.json()["total"] == sum(not v["archived"] for v in then.values())
    assert parsedate_to_datetime(answer.headers["date"]) == parse_instant(earlier)
    # a history entry is there once its time has passed
    entries = [h for h in _versions("contacts_history.jsonl") if h["property"] == "lifecyclestage"]
    late = next(h for h in entries if "2025-12-01" < h["timestamp"] < "2026-01-01" and h["objectId"] in then)
    body = {"inputs": [{"id": late["objectId"]}], "propertiesWithHistory": ["lifecyclestage"]}
    read = portal.call("POST", "/crm/v3/objects/contacts/batch/read", json=body).json()["results"][0]
    seen = read["propertiesWithHistory"]["lifecyclestage"]
    assert all(entry["timestamp"] <= "2025-12-01T00:00:00.000Z" for entry in seen)
    assert seen == sorted(seen, key=lambda e: e["timestamp"], reverse=True), "newest entry first"
    portal.sandbox.set_clock(AS_OF)
    read = portal.call("POST", "/crm/v3/objects/contacts/batch/read", json=body).json()["results"][0]
    assert late["timestamp"] in {e["timestamp"] for e in read["propertiesWithHistory"]["lifecyclestage"]}


def test_archived_records_and_owners_are_listed_apart(portal: Portal) -> None:
    owners = {o["id"]: o for o in _versions("owners.jsonl")}  # the latest version of each
    active = portal.call("GET", "/crm/v3/owners", params={"limit": 100}).json()["results"]
    archived = portal.call("GET", "/crm/v3/owners", params={"limit": 100, "archived": "true"}).json()["results"]
    assert {o["id"] for o in archived} == {i for i, o in owners.items() if o["archived"]} != set()
    assert {o["id"] for o in active} == {i for i, o in owners.items() if not o["archived"]}
    listed = portal.call("GET", "/crm/v3/objects/contacts", params={"limit": 100, "archived": "true"}).json()
    assert listed["results"] and all(c["archived"] for c in listed["results"])
    searched = portal.search(
        "contacts", [{"propertyName": "hs_object_id", "operator": "EQ", "value": listed["results"][0]["id"]}]
    )
    assert searched.json()["total"] == 0, "search never returns an archived record"


def test_a_property_the_portal_does_not_have_is_left_out(portal: Portal) -> None:
    answer = portal.search(
        "contacts",
        [{"propertyName": "createdate", "operator": "GTE", "value": 0}],
        properties=["email", "no_such_field"],
    ).json()
    assert set(answer["results"][0]["properties"]) == {"email"}


def test_page_and_batch_limits_are_a_real_portals(portal: Portal) -> None:
    ids = [{"id": str(10_000_000_000 + n)} for n in range(101)]
    too_many = portal.call("POST", "/crm/v3/objects/contacts/batch/read", json={"inputs": ids})
    assert too_many.status_code == 400 and too_many.json()["category"] == "VALIDATION_ERROR"
    with_history = {"inputs": ids[:51], "propertiesWithHistory": ["lifecyclestage"]}
    assert portal.call("POST", "/crm/v3/objects/contacts/batch/read", json=with_history).status_code == 400
    assert portal.call("POST", "/crm/v3/objects/contacts/batch/read", json={**with_history, "inputs": ids[:50]}).ok
    listed = {"limit": 100, "propertiesWithHistory": "dealstage"}
    assert portal.call("GET", "/crm/v3/objects/deals", params=listed).status_code == 400
    assert portal.call("GET", "/crm/v3/objects/deals", params={**listed, "limit": 50}).ok
    pairs = {"inputs": [{"id": str(n)} for n in range(1001)]}
    assert portal.call("POST", "/crm/v4/associations/contacts/deals/batch/read", json=pairs).status_code == 400
    assert portal.search("contacts", [], limit=201).status_code == 400


def test_a_rate_limit_names_its_policy(portal: Portal) -> None:
    portal.sandbox.admin("faults", {"spec": "429@1,429@2"})
    searched = portal.search("contacts", [])
    listed = portal.call("GET", "/crm/v3/owners", params={"limit": 10})
    assert (searched.status_code, searched.json()["policyName"]) == (429, "SECONDLY")
    assert (listed.status_code, listed.json()["policyName"]) == (429, "TEN_SECONDLY_ROLLING")
    assert listed.json()["errorType"] == "RATE_LIMIT"


def test_a_missing_or_expired_token_is_told_apart(tmp_path: Path) -> None:
    with running_sandbox(PORTAL, tmp_path / "tls", as_of=AS_OF) as sandbox:
        portal = Portal(sandbox)
        anonymous = portal.call("GET", "/crm/v3/owners", headers={})
        assert (anonymous.status_code, anonymous.json()["category"]) == (401, "INVALID_AUTHENTICATION")
        sandbox.admin("faults", {"spec": "expire@1"})
        expired = portal.call("GET", "/crm/v3/owners")
        assert (expired.status_code, expired.json()["category"]) == (401, "EXPIRED_AUTHENTICATION")
        again = portal.call("GET", "/crm/v3/owners")
        assert (again.status_code, again.json()["category"]) == (401, "INVALID_AUTHENTICATION"), (
            "a static token stays revoked"
        )


def test_search_stops_at_ten_thousand_results_and_windows_by_modification_cross_it(tmp_path: Path) -> None:
    """A portal of 10,050 contacts: paging one search stops at 10,000 (400); two searches windowed
    by last modification read every contact."""
    fixture = tmp_path / "portal"
    (fixture / "hubspot").mkdir(parents=True)
    (fixture / "manifest.json").write_text(json.dumps({"as_of": "2026-02-01T00:00:00Z", "crm": "hubspot"}))
    lines = []
    for n in range(10_050):
        stamp = f"2026-01-{1 + n // 1000:02d}T00:{(n % 1000) // 60:02d}:{n % 60:02d}.000Z"
        record_id = str(10_000_000_000 + n)
        properties = {
            "email": f"p{n}@example.com",
            "createdate": stamp,
            "lastmodifieddate": stamp,
            "hs_object_id": record_id,
        }
        lines.append(
            json.dumps(
                {"id": record_id, "properties": properties, "createdAt": stamp, "updatedAt": stamp, "archived": False}
            )
        )
    (fixture / "hubspot" / "contacts.jsonl").write_text("\n".join(lines) + "\n")
    with running_sandbox(fixture, tmp_path / "tls") as sandbox:
        portal = Portal(sandbox)
        everything = [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": 0}]
        assert portal.search("contacts", everything, after="9800").ok
        capped = portal.search("contacts", everything, after="10000")
        assert (capped.status_code, capped.json()["category"]) == (400, "VALIDATION_ERROR")
        middle = _epoch_ms("2026-01-06T00:00:00Z")
        windows = [
            [{"propertyName": "lastmodifieddate", "operator": "LT", "value": middle}],
            [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": middle}],
        ]
        totals = [portal.search("contacts", window, limit=1).json()["total"] for window in windows]
        assert totals == [5_000, 5_050]
