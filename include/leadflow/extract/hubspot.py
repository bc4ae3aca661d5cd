"""HubSpot extraction: a private app's token (or a service key) as Bearer, CRM search windowed past
its 10,000-result cap, property history by batch read, associations v4, owners, exchange rates,
deal pipelines and the account's details.

A plain ``requests`` client on the shared HTTP plumbing (DECISIONLOG 47): the night needs the
source's ``Date`` (where a read's window ends), the connection's CA and one retry policy for every
system, and reads five endpoints; HubSpot's SDK adds generated models and a configuration of its own.

Limits, as a portal has them: search pages of 200 and no page past 10,000 results, so a read is
cut into windows by last modification (then ``hs_object_id``); lists of 100 (50 with history);
batch reads of 100 (50 with history); association reads of 1,000. A 429 names its policy: the
ten-secondly and secondly ones are waited out and retried, the daily one stops the object (its
watermark stays, the next night reads on). A 401 is the token's (expired, revoked or missing the
scopes): not retried, said in words.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from leadflow import connections
from leadflow.extract.http import ApiCredentials, SourceClock, TransientError, json_object, retrying, session_for
from leadflow.extract.landing import close_read, read_start, split
from leadflow.extract.validate import check
from leadflow.raw import PageResult, RawStore, Rejected
from leadflow.sources import SourceObject
from leadflow.timefmt import parse_instant

log = logging.getLogger(__name__)
SEARCH_PAGE = 200
SEARCH_CAP = 10_000
LIST_PAGE = 100
HISTORY_BATCH = 50
ASSOCIATION_BATCH = 1_000

# the property each object type's last change is kept in, and the properties read
MODIFIED = {
    "contacts": "lastmodifieddate",
    "deals": "hs_lastmodifieddate",
    "calls": "hs_lastmodifieddate",
    "emails": "hs_lastmodifieddate",
    "meetings": "hs_lastmodifieddate",
    "tasks": "hs_lastmodifieddate",
}
_STAGES = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")
PROPERTIES = {
    "contacts": [
        "firstname",
        "lastname",
        "email",
        "company",
        "jobtitle",
        "country",
        "industry",
        "numberofemployees",
        "lifecyclestage",
        "hs_lead_status",
        "hubspot_owner_id",
        "lead_source",
        "hs_analytics_source",
        "hubspotscore",
        "lead_score",
        "recent_conversion_event_name",
        "hs_first_outreach_date",
        *(f"hs_v2_date_entered_{stage}" for stage in (*_STAGES, "evangelist", "other")),
        "createdate",
        "lastmodifieddate",
        "hs_object_id",
    ],  # fmt: skip
    "deals": [
        "dealname",
        "amount",
        "deal_currency_code",
        "closedate",
        "dealstage",
        "pipeline",
        "hs_deal_stage_probability",
        "hs_is_closed",
        "hs_is_closed_won",
        "closed_lost_reason",
        "hs_next_step",
        "hubspot_owner_id",
        "dealtype",
        "lead_source",
        "business_problem",
        "use_case",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
    ],  # fmt: skip
    "calls": ["hs_timestamp", "hubspot_owner_id", "hs_call_title", "hs_call_direction", "hs_call_status"],
    "emails": ["hs_timestamp", "hubspot_owner_id", "hs_email_subject", "hs_email_direction"],
    "meetings": ["hs_timestamp", "hubspot_owner_id", "hs_meeting_title", "hs_meeting_outcome"],
    "tasks": ["hs_timestamp", "hubspot_owner_id", "hs_task_subject", "hs_task_status", "hs_task_type"],
}
for _engagement in ("calls", "emails", "meetings", "tasks"):
    PROPERTIES[_engagement] += ["hs_createdate", "hs_lastmodifieddate", "hs_object_id"]
# the properties whose history the lifecycle reads (contract section 4), beside the org's own
# (`configured`): its status fields, its lead source and rejection reason
HISTORY = {
    "contacts": ["hubspot_owner_id", "recent_conversion_event_name", "hubspotscore"],
    "deals": ["dealstage", "amount", "closedate", "hs_deal_stage_probability"],
}
# what a property's value is (HubSpot sends every value as a string): one that is not is nulled
PROPERTY_TYPES = {
    **dict.fromkeys(
        ("numberofemployees", "hubspotscore", "lead_score", "amount", "hs_deal_stage_probability"), "number_text"
    ),
    **dict.fromkeys(("createdate", "lastmodifieddate", "hs_lastmodifieddate", "hs_timestamp"), "datetime"),
    **dict.fromkeys(("hs_createdate", "hs_first_outreach_date", "closedate"), "datetime"),
    **dict.fromkeys((f"hs_v2_date_entered_{stage}" for stage in (*_STAGES, "evangelist", "other")), "datetime"),
}
RECORD_TYPES = {"id": "string", "createdAt": "datetime", "updatedAt": "datetime", "archived": "boolean"}
# the associations the lifecycle reads: contact -> deal, engagement -> contact
ASSOCIATIONS = [("contacts", "deals"), *((kind, "contacts") for kind in ("calls", "emails", "meetings", "tasks"))]


def configured(object_name: str) -> tuple[list[str], list[str]]:
    """The properties of ``object_name`` a night reads and those whose history it reads: the
    lifecycle's, and for contacts the org's configuration as dbt reads it (the shipped seeds, or
    ``LEADFLOW_ORG_CONFIG``'s over them): every field of the ``lead_fields`` roles, the status
    fields of ``lead_status_stages`` (every field but Salesforce's ``Status``), and the history
    of the statuses, the lead source and the rejection reason."""
    properties, history = list(PROPERTIES[object_name]), list(HISTORY.get(object_name, []))
    if object_name == "contacts":
        from leadflow.org_config import seed_rows
        from leadflow.settings import paths

        project = paths().dbt_project
        fields = seed_rows(project, "lead_fields.csv")
        roles = {r["role"]: r["field"].strip() for r in fields if r.get("system") == "hubspot"}
        statuses = [r["field"] for r in seed_rows(project, "lead_status_stages.csv") if r["field"] != "Status"]
        properties += [*roles.values(), *statuses]
        history += [*statuses, *(roles.get(role, "") for role in ("lead_source", "rejection_reason"))]
    return list(dict.fromkeys(p for p in properties if p)), list(dict.fromkeys(p for p in history if p))


class HubSpotError(RuntimeError):
    """The portal refused a call in a way retrying cannot mend."""


class HubSpotAuthError(HubSpotError):
    """The token was refused (401): expired, revoked, or for another portal."""


def _epoch_ms(instant: str | datetime) -> int:
    moment = parse_instant(instant) if isinstance(instant, str) else instant
    return int(moment.timestamp() * 1000)


class HubSpotClient:
    def __init__(self, creds: ApiCredentials) -> None:
        self.creds = creds
        self.clock = SourceClock()
        self.session = session_for(creds, self.clock, retried_statuses=())  # a 429's policy is read here
        self.base = creds.base_url.rstrip("/")

    def request(self, method: str, path: str, *, params: dict | None = None, body: dict | None = None) -> Any:
        def attempt() -> Any:
            response = self.session.request(
                method,
                f"{self.base}{path}",
                params=params,
                json=body,
                timeout=self.creds.timeout,
                headers={"Authorization": f"Bearer {self.creds.client_secret}"},
            )
            if response.status_code == 429:
                policy = json_object(response).get("policyName", "")
                if policy == "DAILY":
                    raise HubSpotError(f"{path}: the portal's daily API limit is reached ({policy})")
                log.warning("%s: rate limited (%s); waiting", path, policy or "no policy named")
                raise TransientError(f"HubSpot rate limit {policy}")
            if response.status_code in (500, 502, 503, 504):
                raise TransientError(f"HTTP {response.status_code}")
            if response.status_code == 401:
                category = json_object(response).get("category", "INVALID_AUTHENTICATION")
                raise HubSpotAuthError(
                    f"HubSpot refused the token of the connection ({category}): make a new private-app token or "
                    "service key with the CRM read scopes and set it as the connection's password"
                )
            if response.status_code >= 400 and response.status_code != 207:
                raise HubSpotError(f"{path}: HTTP {response.status_code} {json_object(response).get('message', '')}")
            return response.json()

        return retrying(attempt, lambda: None, self.creds.max_attempts, f"hubspot {path}")

    def listed(self, path: str, params: dict[str, Any] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Pages of a list endpoint, followed by its ``after`` cursor."""
        after: str | None = None
        while True:
            page = self.request(
                "GET", path, params={"limit": LIST_PAGE, **(params or {}), **({"after": after} if after else {})}
            )
            yield page.get("results", [])
            after = page.get("paging", {}).get("next", {}).get("after")
            if not after:
                return

    def modified_since(
        self, object_type: str, since: datetime | None, properties: list[str]
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of the records of ``object_type`` last modified at or after ``since`` (all, without
        one), oldest change first. A search stops at 10,000 results: the read goes on from the last
        record seen in a new window (later changes, or the same instant with a higher id)."""
        modified = MODIFIED[object_type]
        properties = list(dict.fromkeys([*properties, modified, "hs_object_id"]))  # the next window starts there
        groups = [
            {"filters": [{"propertyName": modified, "operator": "GTE", "value": _epoch_ms(since) if since else 0}]}
        ]
        while True:
            after, last = 0, None
            while True:
                query = {
                    "filterGroups": groups,
                    "sorts": [{"propertyName": modified, "direction": "ASCENDING"}],
                    "properties": properties,
                    "limit": SEARCH_PAGE,
                    **({"after": str(after)} if after else {}),
                }
                page = self.request("POST", f"/crm/v3/objects/{object_type}/search", body=query)
                results = page.get("results", [])
                if results:
                    last = results[-1]
                    yield results
                following = page.get("paging", {}).get("next", {}).get("after")
                if not following:
                    return
                after = int(following)
                if after >= SEARCH_CAP:
                    break
            assert last is not None
            stamp, last_id = _epoch_ms(last["properties"][modified]), last["id"]
            groups = [
                {"filters": [{"propertyName": modified, "operator": "GT", "value": stamp}]},
                {
                    "filters": [
                        {"propertyName": modified, "operator": "EQ", "value": stamp},
                        {"propertyName": "hs_object_id", "operator": "GT", "value": last_id},
                    ]
                },
            ]

    def pages(
        self, object_type: str, since: datetime | None, properties: list[str], history: list[str] | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of the records changed at or after ``since`` (a search), or, without one (a first
        night), of every record by id through the list endpoint: no search cap to window around,
        and a list request counts against the ten-secondly limit (19 a second), not search's (5):
        a million contacts list in 9 minutes where a search takes 17. ``history``: properties
        whose history the list gives with each record (50 records a page)."""
        if since is not None:
            yield from self.modified_since(object_type, since, properties)
            return
        yield from self.every(object_type, properties, history)

    def every(
        self, object_type: str, properties: list[str], history: list[str] | None = None, archived: bool = False
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of every record (every archived one with ``archived``) by id, with the history
        of ``history`` where asked (50 records a page)."""
        params = {"limit": HISTORY_BATCH if history else LIST_PAGE, "properties": ",".join(properties)}
        if history:
            params["propertiesWithHistory"] = ",".join(history)
        if archived:
            params["archived"] = "true"
        yield from self.listed(f"/crm/v3/objects/{object_type}", params)

    def archived_since(
        self, object_type: str, since: datetime | None, properties: list[str], history: list[str] | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of the records archived at or after ``since`` (every archived one without it).
        Search and a normal list skip archived records, yet one archived since the last night, or
        after the as-of of a late night or a backfill, was there: its history and its links count."""
        for page in self.every(object_type, properties, history, archived=True):
            yield [r for r in page if since is None or parse_instant(r.get("archivedAt") or r["updatedAt"]) >= since]

    @staticmethod
    def entries(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The ``propertiesWithHistory`` of ``records`` as history entries (oldest first within a
        record), each with its ``position`` in its property's history: HubSpot orders entries of
        the same time by when they were written, and the lifecycle breaks such ties by it (a form
        filled twice in one second: the later one)."""
        entries: list[dict[str, Any]] = []
        for record in records:
            for name, versions in (record.get("propertiesWithHistory") or {}).items():
                entries += [
                    {"objectId": record["id"], "property": name, **entry, "position": position}
                    for position, entry in enumerate(reversed(versions))
                ]
        return entries

    def histories(self, object_type: str, ids: list[str], properties: list[str]) -> list[dict[str, Any]]:
        """The history of ``properties`` of the records ``ids`` (:meth:`entries`), by batch read."""
        entries: list[dict[str, Any]] = []
        for start in range(0, len(ids), HISTORY_BATCH):
            inputs = [{"id": i} for i in ids[start : start + HISTORY_BATCH]]
            body = {"inputs": inputs, "properties": ["hs_object_id"], "propertiesWithHistory": properties}
            entries += self.entries(
                self.request("POST", f"/crm/v3/objects/{object_type}/batch/read", body=body)["results"]
            )
        return entries

    def associations(self, from_type: str, to_type: str, ids: list[str]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for start in range(0, len(ids), ASSOCIATION_BATCH):
            inputs = [{"id": i} for i in ids[start : start + ASSOCIATION_BATCH]]
            answer = self.request(
                "POST", f"/crm/v4/associations/{from_type}/{to_type}/batch/read", body={"inputs": inputs}
            )
            for result in answer.get("results", []):
                for target in result.get("to", []):
                    for kind in target.get("associationTypes", []):
                        rows.append(
                            {
                                "fromObjectType": from_type,
                                "fromId": str(result["from"]["id"]),
                                "toObjectType": to_type,
                                "toId": str(target["toObjectId"]),
                                "associationTypeId": kind.get("typeId"),
                                "category": kind.get("category"),
                            }
                        )
        return rows


def _digest(value: Any) -> str:
    return hashlib.sha1(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _land(
    records: list[dict[str, Any]], store: RawStore, obj: SourceObject, run_id: str, version_of: Any
) -> PageResult:
    """Records checked as they land, then stored with ``version_of`` each: a record without its id
    or stamp is quarantined whole; a property that is not of its type is nulled, quarantined and
    named, and the rest of the record loads."""
    problems: list[Rejected] = []
    for record in records:
        properties = record.get("properties")
        if isinstance(properties, dict) and properties.get("hs_object_id"):
            checked = check(properties, PROPERTY_TYPES, "hs_object_id", None)
            record["properties"] = checked.record
            problems += [
                Rejected(str(record.get("id")), p.reason, json.dumps(p.received, default=str), f"properties.{p.field}")
                for p in checked.problems
            ]
    good, bad = split(records, RECORD_TYPES if obj.stamp == "updatedAt" else {}, obj, version_of)
    return store.write_page(obj, good, bad + problems, run_id, None)


def extract(conn_id: str, store: RawStore, obj: SourceObject, run_id: str) -> PageResult:
    """Land ``obj``'s changes since its watermark (:class:`leadflow.sources.Extract`)."""
    client = HubSpotClient(connections.credentials(conn_id))
    store.ensure_table(obj)
    start = read_start(store, obj)
    total = PageResult()
    if obj.name in MODIFIED:
        read_at: datetime | None = None
        properties = configured(obj.name)[0]
        for page in client.pages(obj.name, start, properties):
            read_at = read_at or client.clock.now()
            total.add(_land(page, store, obj, run_id, lambda r: r["updatedAt"]))
        for page in client.every(obj.name, properties, archived=True):
            total.add(_land(page, store, obj, run_id, lambda r: r["updatedAt"]))  # archived: deleted
    elif obj.name.endswith("_history"):
        object_type = obj.name.removesuffix("_history")
        read_at = None
        history = configured(object_type)[1]

        def land_entries(entries: list[dict[str, Any]]) -> None:
            for entry in entries:
                entry["id"] = (
                    f"{entry['objectId']}/{entry['property']}/{entry['timestamp']}/{_digest(entry.get('value'))}"
                )
            total.add(_land(entries, store, obj, run_id, lambda r: r["timestamp"]))

        for page in client.pages(object_type, start, ["hs_object_id"], history):
            read_at = read_at or client.clock.now()
            land_entries(
                client.entries(page)
                if start is None
                else client.histories(object_type, [r["id"] for r in page], history)
            )
        for page in client.archived_since(object_type, start, ["hs_object_id"], history):
            land_entries(client.entries(page))
    elif obj.name == "associations":
        read_at = None
        for from_type, to_type in ASSOCIATIONS:
            active = client.pages(from_type, start, ["hs_object_id"])
            for page in itertools.chain(active, client.archived_since(from_type, start, ["hs_object_id"])):
                read_at = read_at or client.clock.now()
                created = {r["id"]: r["createdAt"] for r in page}
                rows = client.associations(from_type, to_type, list(created))
                for row in rows:  # v4 gives no creation time: the link counts from its record's creation
                    row["createdAt"] = created[row["fromId"]]
                    row["id"] = f"{from_type}/{row['fromId']}/{to_type}/{row['toId']}/{row['associationTypeId']}"
                total.add(_land(rows, store, obj, run_id, lambda r: r["createdAt"]))
    elif obj.name in ("owners", "exchange_rates"):
        path = "/crm/v3/owners" if obj.name == "owners" else "/settings/v3/currencies/exchange-rates"
        for archived in ("false", "true") if obj.name == "owners" else ("false",):
            for page in client.listed(path, {"archived": archived} if obj.name == "owners" else None):
                total.add(_land(page, store, obj, run_id, lambda r: r["updatedAt"]))
        read_at = client.clock.now()
    else:  # account details, deal pipelines: read whole, a new version when the content changes
        path = "/account-info/v3/details" if obj.name == "account" else "/crm/v3/pipelines/deals"
        answer = client.request("GET", path)
        record = {"id": obj.name, **answer}
        total.add(_land([record], store, obj, run_id, _digest))
        store.record_load(obj, run_id, total)
        return total
    close_read(store, obj, run_id, total, start, read_at or client.clock.now())
    return total
