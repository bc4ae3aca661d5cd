"""Synthetic Salesforce + Marketo fixtures in the source contract's format.

Deterministic for a seed, streamed to disk one lead at a time (memory does not grow with the
number of leads), with realistic funnel proportions and every messy pattern the data-quality
controls exist for: unknown sources in several spellings, "Other" rejections in several casings,
missing reasons, stamped dates missing while history has the change, Salesforce's double
owner-history rows, merged and deleted leads, one person under two leads routed to two owners,
inactive owners still owning open leads, opportunities with no next step or an overwritten
source, and text with quotes, accents, emoji, newlines and SQL-looking strings.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter, deque
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from leadflow.sources import MARKETO_OBJECTS, SALESFORCE_OBJECTS
from leadflow.timefmt import marketo_format, parse_instant, salesforce_format

SOURCES = [
    "Website",
    "Demo Request",
    "Webinar",
    "Event",
    "Content Syndication",
    "Paid Search",
    "Paid Social",
    "Referral",
    "Partner",
    "Outbound",
]
SOURCE_WEIGHTS = [18, 12, 10, 8, 8, 12, 8, 6, 6, 12]
UNKNOWN_SPELLINGS = [None, "", "  ", "unknown", "Unknown", "UNKNOWN", "--None--", "N/A", "none", "null"]
OTHER_SOURCES = ["LinkedIn", "Trade Show 2025", "G2"]
REASONS = [
    "Bad Fit",
    "No Buying Intent",
    "Existing Customer",
    "Duplicate",
    "Student or Vendor",
    "Unsupported Region",
    "Too Small",
    "Unreachable",
    "Competitor",
    "Already in Active Opportunity",
]
OTHER_SPELLINGS = ["Other", "other", "OTHER", " Other "]
FORMS = ["Demo Request", "Pricing Inquiry", "Content Download", "Webinar Registration"]
TIME_ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Sydney",
]
OPEN_STAGES = [("Discovery", 10), ("Solution", 30), ("Proposal", 50), ("Negotiation", 75)]
# currency -> units per USD (a month's rate drifts around it); BRL has no rates at all
CURRENCIES = {"EUR": 0.9, "GBP": 0.78, "JPY": 150.0, "AUD": 1.5}
LOSS_SPELLINGS = ["Price", "Competitor", "No Decision", "Timing", "Missing Feature", "Other", "COMPETITOR", " price "]
DEPARTMENTS = ["SDR - NA", "SDR - EMEA", "AE - Mid-Market", "AE - Enterprise"]
FIRST_NAMES = ["Ana", "Zoë", "José", "Chloé", "Björn", "Siobhán", "Li", "Amara", "O'Neil", "Renée", "Noah", "Ава"]
LAST_NAMES = ["García", "O'Brien", "Müller", "Nguyễn", "Smith", "Dubois", "Kowalski", "D'Angelo", "Sato", "Øster"]
ODD_TEXT = [
    "Robert'); DROP TABLE leads;--",
    'Acme "Global" & Co',
    "Line one\nLine two",
    "🚀 Rocket Labs",
    "Café Société",
    "1 OR 1=1",
    "Tab\tSeparated",
    "Ünïcödé GmbH",
    "<script>alert(1)</script>",
]
ACTIVITY_TYPES = [
    (1, "Visit Webpage", "Webpage ID"),
    (2, "Fill Out Form", "Webform ID"),
    (6, "Send Email", "Mailing ID"),
    (10, "Open Email", "Mailing ID"),
    (11, "Click Email", "Mailing ID"),
    (12, "New Lead", "Lead ID"),
    (22, "Change Score", "Score Name"),
    (104, "Change Status in Progression", "Program ID"),
]


def sf_id(prefix: str, number: int) -> str:
    suffix = hashlib.sha1(f"{prefix}{number}".encode()).hexdigest()[:3]
    return f"{prefix}{number:012d}{suffix}"


@dataclass
class _Writers:
    files: dict[str, TextIO]
    counts: Counter = field(default_factory=Counter)

    def write(self, file: str, record: dict[str, Any]) -> None:
        self.files[file].write(json.dumps(record, ensure_ascii=False) + "\n")
        self.counts[file] += 1


@dataclass
class _World:
    users: list[dict[str, Any]]
    inactive_user_ids: set[str]
    queues: list[dict[str, Any]]
    accounts: list[str]
    campaigns: list[str]


class Generator:
    def __init__(self, out_dir: Path, leads: int, seed: int, as_of: datetime, history_days: int = 180) -> None:
        self.out = out_dir
        self.n_leads = leads
        self.seed = seed
        self.as_of = as_of
        self.start = as_of - timedelta(days=history_days)
        self.setup_time = self.start - timedelta(days=30)
        self.counters: Counter = Counter()
        self.recent_emails: deque[str] = deque(maxlen=50)
        self.marketo_id = 5000
        self.activity_id = 900000

    def next_id(self, prefix: str) -> str:
        self.counters[prefix] += 1
        return sf_id(prefix, self.counters[prefix])

    # -- reference data --------------------------------------------------------------------------
    def _world(self, w: _Writers, rng: random.Random) -> _World:
        stamp = salesforce_format(self.setup_time)
        users = []
        n_users = max(6, min(40, self.n_leads // 60))
        for n in range(n_users):
            user = {
                "Id": self.next_id("005"),
                "Name": f"Rep {n:02d} {rng.choice(LAST_NAMES)}",
                "Email": f"rep{n}@example.com",
                "IsActive": True,
                "Department": DEPARTMENTS[n % 4],
                "TimeZoneSidKey": TIME_ZONES[n % len(TIME_ZONES)] if n != 3 else None,
                "CreatedDate": stamp,
                "SystemModstamp": stamp,
            }
            users.append(user)
            w.write("salesforce/User.jsonl", user)
        inactive = set()
        for user in users[-2:]:  # two reps leave half-way through the history
            left = self.start + timedelta(days=90)
            w.write("salesforce/User.jsonl", {**user, "IsActive": False, "SystemModstamp": salesforce_format(left)})
            inactive.add(user["Id"])
        queues = []
        for name in ("Inbound Lead Queue", "Nurture Queue"):
            queue = {
                "Id": self.next_id("00G"),
                "Name": name,
                "Type": "Queue",
                "CreatedDate": stamp,
                "SystemModstamp": stamp,
            }
            queues.append(queue)
            w.write("salesforce/Group.jsonl", queue)
        accounts = []
        for n in range(max(10, self.n_leads // 5)):
            account = {
                "Id": self.next_id("001"),
                "Name": rng.choice(ODD_TEXT) if n % 50 == 7 else f"Account {n}",
                "Industry": rng.choice(["Retail", "Finance", "Software", "Health", None]),
                "NumberOfEmployees": rng.choice([40, 450, 1200, 5000, 25000]),
                "BillingCountry": rng.choice(["US", "GB", "DE", "BR", "AU"]),
                "IsDeleted": False,
                "CreatedDate": stamp,
                "SystemModstamp": stamp,
            }
            accounts.append(account["Id"])
            w.write("salesforce/Account.jsonl", account)
        campaigns = []
        for n in range(8):
            campaign = {
                "Id": self.next_id("701"),
                "Name": f"FY26 Campaign {n}",
                "Type": rng.choice(["Event", "Paid", "Webinar", "Email"]),
                "Status": "In Progress",
                "StartDate": self.start.date().isoformat(),
                "EndDate": self.as_of.date().isoformat(),
                "ParentId": None,
                "IsActive": True,
                "CreatedDate": stamp,
                "SystemModstamp": stamp,
            }
            campaigns.append(campaign["Id"])
            w.write("salesforce/Campaign.jsonl", campaign)
        mstamp = marketo_format(self.setup_time)
        for type_id, name, attribute in ACTIVITY_TYPES:
            w.write(
                "marketo/activity_types.jsonl",
                {
                    "id": type_id,
                    "name": name,
                    "description": name,
                    "primaryAttribute": {"name": attribute, "dataType": "integer"},
                },
            )
        for n, channel in enumerate(["Content", "Online Advertising", "Webinar", "Email", "Tradeshow"]):
            w.write(
                "marketo/programs.jsonl",
                {
                    "id": 1000 + n,
                    "name": f"Program {n}",
                    "type": "Default",
                    "channel": channel,
                    "createdAt": mstamp,
                    "updatedAt": mstamp,
                },
            )
        return _World(users, inactive, queues, accounts, campaigns)

    # -- one lead ----------------------------------------------------------------------------------
    def _source_value(self, rng: random.Random) -> str | None:
        draw = rng.random()
        if draw < 0.06:
            return rng.choice(UNKNOWN_SPELLINGS)
        if draw < 0.08:
            return rng.choice(OTHER_SOURCES)
        source = rng.choices(SOURCES, SOURCE_WEIGHTS)[0]
        variant = rng.random()
        if variant < 0.05:
            return source.upper()
        if variant < 0.10:
            return f" {source.lower()} "
        return source

    def _lead(self, n: int, w: _Writers, world: _World) -> None:
        rng = random.Random(f"{self.seed}-lead-{n}")
        span = (self.as_of - timedelta(hours=1) - self.start).total_seconds()
        created = self.start + timedelta(seconds=int(rng.random() * span))
        lead_id = self.next_id("00Q")
        queue = world.queues[0] if rng.random() < 0.85 else world.queues[1]
        source = self._source_value(rng)
        if rng.random() < 0.04 and self.recent_emails:  # the same person under two leads
            email: str | None = rng.choice(list(self.recent_emails))
            duplicate = True
        else:
            email = None if rng.random() < 0.03 else f"person{n}@company{rng.randrange(400)}.example"
            duplicate = False
            if email:
                self.recent_emails.append(email)
        odd = rng.random() < 0.03
        state: dict[str, Any] = {
            "Id": lead_id,
            "FirstName": rng.choice(FIRST_NAMES),
            "LastName": rng.choice(LAST_NAMES),
            "Email": email if not (email and rng.random() < 0.1) else f"  {email.upper()} ",
            "Company": rng.choice(ODD_TEXT) if odd else f"Company {rng.randrange(400)}",
            "Title": rng.choice(["CTO", "VP Sales", "RevOps Manager", "Analyst", "Head of 'Growth'"]),
            "Country": rng.choice(["US", "GB", "DE", "BR", "AU", "FR"]),
            "Industry": rng.choice(["Retail", "Finance", None]),
            "NumberOfEmployees": None if rng.random() < 0.05 else rng.choice([12, 80, 199, 200, 650, 1999, 2000, 9000]),
            "Status": "New",
            "LeadSource": source,
            "OwnerId": queue["Id"],
            "IsDeleted": False,
            "MasterRecordId": None,
            "IsConverted": False,
            "ConvertedDate": None,
            "ConvertedAccountId": None,
            "ConvertedContactId": None,
            "ConvertedOpportunityId": None,
            "Lead_Score__c": rng.randrange(0, 30),
            "MQL_Date__c": None,
            "Routed_Date__c": None,
            "First_Touch_Date__c": None,
            "Accepted_Date__c": None,
            "Rejected_Date__c": None,
            "Rejection_Reason__c": None,
            "SQL_Date__c": None,
            "CreatedDate": salesforce_format(created),
            "LastModifiedDate": salesforce_format(created),
            "SystemModstamp": salesforce_format(created),
        }
        history: list[dict[str, Any]] = []
        sf_user = rng.choice(world.users)["Id"]

        def hist(at: datetime, name: str, old: Any, new: Any) -> None:
            history.append(
                {
                    "Id": self.next_id("017"),
                    "LeadId": lead_id,
                    "Field": name,
                    "OldValue": old,
                    "NewValue": new,
                    "CreatedById": sf_user,
                    "CreatedDate": salesforce_format(at),
                    "IsDeleted": False,
                }
            )

        edits: list[tuple[datetime, dict[str, Any]]] = []

        def version(at: datetime, **changes: Any) -> None:
            state.update(changes)
            edits.append((at, changes))

        def write_versions() -> None:
            """One version per save, in the order of time (a source overwrite is drawn before the
            lifecycle but may fall after it), each at its history rows' instant unless a save
            already took that second, as in Salesforce."""
            record = dict(initial)
            for at, changes in sorted(edits, key=lambda edit: edit[0]):
                moment = max(at, parse_instant(record["SystemModstamp"]) + timedelta(seconds=1))
                record.update(changes)
                record["LastModifiedDate"] = record["SystemModstamp"] = salesforce_format(moment)
                w.write("salesforce/Lead.jsonl", dict(record))
            state.update(record)

        def stamp(at: datetime) -> str | None:
            return None if rng.random() < 0.07 else salesforce_format(at)  # automation misses stamps

        initial = dict(state)
        w.write("salesforce/Lead.jsonl", initial)
        hist(created, "created", None, None)
        now = created
        alive_until = self.as_of

        def later(minutes_lo: float, minutes_hi: float) -> datetime | None:
            moment = (now + timedelta(minutes=rng.uniform(minutes_lo, minutes_hi))).replace(microsecond=0)
            return moment if moment <= alive_until else None

        def finish() -> None:
            """Recycle some leads to Nurture (from any status but Converted) and bring some of
            those back as MQLs, then write the lead's history."""
            nonlocal now
            if state["Status"] != "Converted" and rng.random() < 0.12 and (at := later(1440, 1440 * 40)):
                now = at
                hist(now, "Status", state["Status"], "Nurture")
                version(now, Status="Nurture")
                if rng.random() < 0.5 and (at := later(1440, 1440 * 30)):
                    now = at
                    hist(now, "Status", "Nurture", "MQL")
                    version(now, Status="MQL")
            write_versions()
            self._finish(w, history, state)

        # source overwritten later by marketing ops
        if rng.random() < 0.06 and (at := later(60, 20000)):
            new_source = rng.choice(SOURCES + ["Unknown"])
            hist(at, "LeadSource", state["LeadSource"], new_source)
            version(at, LeadSource=new_source)

        # marketo person and engagement
        marketo_id = self._marketo(rng, w, lead_id, email, source, created)
        is_outbound = isinstance(source, str) and source.strip().lower() == "outbound"
        mql = not is_outbound and rng.random() < 0.55
        owner = None
        if mql and (at := later(5, 4000)):
            now = at
            self._engagement(rng, w, marketo_id, now, form=rng.random() < 0.7)
            hist(now, "Status", "New", "MQL")
            version(now, Status="MQL", MQL_Date__c=stamp(now))
        elif is_outbound or rng.random() < 0.05:
            owner = rng.choice(world.users)
        else:
            self._engagement(rng, w, marketo_id, now + timedelta(hours=1), form=False)
            return finish()
        if owner is None:
            if rng.random() > 0.95 or not (at := later(1, 40 if rng.random() < 0.7 else 600)):
                return finish()
            now = at
            owner = rng.choice(world.users)
            if duplicate and rng.random() < 0.5:
                owner = rng.choice(world.users)
            hist(now, "Owner", queue["Id"], owner["Id"])
            hist(now, "Owner", queue["Name"], owner["Name"])
            version(now, OwnerId=owner["Id"], Routed_Date__c=stamp(now))
        else:
            version(now, OwnerId=owner["Id"])
        if rng.random() < 0.8 and (at := later(5, 3000)):
            now = at
            task_time = now + timedelta(seconds=rng.randrange(0, 3600)) if rng.random() < 0.3 else now
            if task_time <= alive_until:
                self._task(rng, w, lead_id, owner["Id"], task_time, rng.choice(["Call", "Email"]))
            if rng.random() < 0.5:
                version(now, First_Touch_Date__c=stamp(now))
        if rng.random() < 0.15:
            self._task(rng, w, lead_id, owner["Id"], now, "Task")
        decision = rng.random()
        if decision < 0.15 or not (at := later(10, 6000)):
            return finish()  # never worked: SLA breaches pile up here
        now = at
        if decision < 0.45:
            reason_draw = rng.random()
            reason = (
                rng.choice(OTHER_SPELLINGS)
                if reason_draw < 0.12
                else rng.choice([None, "", "   "])
                if reason_draw < 0.18
                else "Timing"
                if reason_draw < 0.2
                else rng.choice(REASONS)
            )
            hist(now, "Status", state["Status"], "Rejected")
            hist(now, "Rejection_Reason__c", None, reason)
            version(now, Status="Rejected", Rejected_Date__c=stamp(now), Rejection_Reason__c=reason)
            return finish()
        hist(now, "Status", state["Status"], "Accepted")
        version(now, Status="Accepted", Accepted_Date__c=stamp(now))
        if rng.random() < 0.5 or not (at := later(60, 20000)):
            return finish()
        now = at
        if rng.random() < 0.9:
            hist(now, "Status", "Accepted", "SQL")
        version(now, Status="SQL", SQL_Date__c=None if rng.random() < 0.08 else salesforce_format(now))
        if rng.random() < 0.4 or not (at := later(60, 20000)):
            return finish()
        now = at
        opportunity_id = self._opportunity(rng, w, world, owner["Id"], state["LeadSource"], now)
        hist(now, "Status", "SQL", "Converted")
        version(
            now,
            Status="Converted",
            IsConverted=True,
            ConvertedDate=now.date().isoformat(),
            ConvertedAccountId=rng.choice(world.accounts),
            ConvertedOpportunityId=opportunity_id,
        )
        write_versions()
        self._finish(w, history, state)

    def _finish(self, w: _Writers, history: list[dict[str, Any]], state: dict[str, Any]) -> None:
        for row in history:
            w.write("salesforce/LeadHistory.jsonl", row)
        lead = history[0]["LeadId"]
        rng = random.Random(f"{self.seed}-tail-{lead}")
        created = parse_instant(history[0]["CreatedDate"])
        if rng.random() < 0.02:  # a duplicate lead created and merged away into this one
            dup_created = created + timedelta(hours=rng.randrange(1, 48))
            if dup_created < self.as_of:
                dup = self.next_id("00Q")
                created_text = salesforce_format(dup_created)
                record = {
                    **state,
                    "Id": dup,
                    "Status": "New",
                    "IsConverted": False,
                    "ConvertedDate": None,
                    "ConvertedAccountId": None,
                    "ConvertedOpportunityId": None,
                    "MQL_Date__c": None,
                    "Routed_Date__c": None,
                    "First_Touch_Date__c": None,
                    "Accepted_Date__c": None,
                    "Rejected_Date__c": None,
                    "Rejection_Reason__c": None,
                    "SQL_Date__c": None,
                    "CreatedDate": created_text,
                    "LastModifiedDate": created_text,
                    "SystemModstamp": created_text,
                }
                w.write("salesforce/Lead.jsonl", record)
                merged = min(self.as_of, dup_created + timedelta(hours=rng.randrange(1, 72)))
                w.write(
                    "salesforce/Lead.jsonl",
                    {
                        **record,
                        "IsDeleted": True,
                        "MasterRecordId": lead,
                        "LastModifiedDate": salesforce_format(merged),
                        "SystemModstamp": salesforce_format(merged),
                    },
                )
        deleted_at = self.as_of - timedelta(hours=2)
        if rng.random() < 0.01 and parse_instant(state["SystemModstamp"]) < deleted_at:  # deleted by an admin
            w.write(
                "salesforce/Lead.jsonl",
                {
                    **state,
                    "IsDeleted": True,
                    "LastModifiedDate": salesforce_format(deleted_at),
                    "SystemModstamp": salesforce_format(deleted_at),
                },
            )

    def _marketo(
        self, rng: random.Random, w: _Writers, lead_id: str, email: str | None, source: Any, created: datetime
    ) -> int | None:
        if rng.random() < 0.1:
            return None
        self.marketo_id += 1
        marketo_id = self.marketo_id
        known = source if rng.random() < 0.8 else rng.choice(SOURCES)
        record = {
            "id": marketo_id,
            "email": email,
            "sfdcLeadId": lead_id,
            "leadScore": rng.randrange(0, 100),
            "leadSource": known,
            "originalSourceType": rng.choice(["Web form fillout", "List import"]),
            "createdAt": marketo_format(created),
            "updatedAt": marketo_format(created),
        }
        w.write("marketo/leads.jsonl", record)
        self._activity(w, marketo_id, created, 12, "New Lead")
        if rng.random() < 0.03:  # a second, later Marketo person synced to the same lead
            self.marketo_id += 1
            w.write("marketo/leads.jsonl", {**record, "id": self.marketo_id, "leadSource": rng.choice(SOURCES)})
        if rng.random() < 0.02:  # not synced to Salesforce
            self.marketo_id += 1
            w.write("marketo/leads.jsonl", {**record, "id": self.marketo_id, "sfdcLeadId": None})
        return marketo_id

    def _engagement(self, rng: random.Random, w: _Writers, marketo_id: int | None, until: datetime, form: bool) -> None:
        if marketo_id is None:
            return
        for _ in range(rng.randrange(0, 3)):
            at = until - timedelta(hours=rng.uniform(1, 900))
            self._activity(w, marketo_id, at, rng.choice([1, 6, 10, 11]), "page")
        if form:
            at = until - timedelta(days=rng.uniform(0, 40) if rng.random() < 0.2 else rng.uniform(0, 2))
            self._activity(w, marketo_id, at, 2, rng.choice(FORMS))
        if rng.random() < 0.6:
            self._activity(
                w,
                marketo_id,
                until - timedelta(minutes=rng.uniform(0, 30)),
                22,
                "Behavior Score",
                [{"name": "New Value", "value": 100}, {"name": "Change Value", "value": 15}],
            )

    def _activity(
        self,
        w: _Writers,
        marketo_id: int,
        at: datetime,
        type_id: int,
        value: str,
        attributes: list[dict[str, Any]] | None = None,
    ) -> None:
        if at > self.as_of:
            return
        self.activity_id += 1
        w.write(
            "marketo/activities.jsonl",
            {
                "marketoGUID": str(self.activity_id),
                "id": self.activity_id,
                "leadId": marketo_id,
                "activityDate": marketo_format(at),
                "activityTypeId": type_id,
                "primaryAttributeValueId": self.activity_id % 997,
                "primaryAttributeValue": value,
                "attributes": attributes or [],
            },
        )

    def _task(self, rng: random.Random, w: _Writers, lead_id: str, owner_id: str, at: datetime, kind: str) -> None:
        w.write(
            "salesforce/Task.jsonl",
            {
                "Id": self.next_id("00T"),
                "WhoId": lead_id,
                "WhatId": None,
                "OwnerId": owner_id,
                "Subject": {"Call": "Call", "Email": "Follow-up email", "Task": "Research account"}[kind],
                "TaskSubtype": kind,
                "Status": "Completed",
                "ActivityDate": at.date().isoformat(),
                "IsDeleted": rng.random() < 0.01,
                "CreatedDate": salesforce_format(at),
                "SystemModstamp": salesforce_format(at),
            },
        )

    def _opportunity(
        self, rng: random.Random, w: _Writers, world: _World, owner_id: str, source: Any, at: datetime
    ) -> str:
        """An opportunity created at ``at`` that moves through the open stages, has its amount
        edited and its close date pushed, and may close: a version and an OpportunityHistory row
        (the values after the change) per change, up to the fixture's as-of time."""
        opportunity_id = self.next_id("006")
        draw = rng.random()  # mostly USD; some blank (USD), some BRL (no rates), the rest rated
        currency = "USD" if draw < 0.6 else "" if draw < 0.63 else "BRL" if draw < 0.66 else None
        currency = currency if currency is not None else rng.choice(list(CURRENCIES))
        record = {
            "Id": opportunity_id,
            "Name": f"Deal {opportunity_id[-6:]} - New Business",
            "AccountId": rng.choice(world.accounts),
            "OwnerId": owner_id,
            "StageName": "Discovery",
            "Amount": None if rng.random() < 0.04 else round(rng.uniform(5000, 250000), 2),
            "CurrencyIsoCode": currency,
            "CloseDate": None if rng.random() < 0.02 else (at + timedelta(days=60)).date().isoformat(),
            "Probability": 10,
            "LeadSource": rng.choice(SOURCES + [None]) if rng.random() < 0.05 else source,
            "CampaignId": rng.choice(world.campaigns) if rng.random() < 0.8 else None,
            "NextStep": None if rng.random() < 0.08 else rng.choice(["Discovery call booked", "Send proposal"]),
            "Business_Problem__c": None if rng.random() < 0.04 else "Pipeline visibility",
            "Use_Case__c": None if rng.random() < 0.03 else "Routing",
            "Loss_Reason__c": None,
            "Type": "New Business",
            "IsClosed": False,
            "IsWon": False,
            "IsDeleted": False,
            "CreatedDate": salesforce_format(at),
            "LastModifiedDate": salesforce_format(at),
            "SystemModstamp": salesforce_format(at),
        }

        def changed(when: datetime, **changes: Any) -> None:
            record.update(changes, LastModifiedDate=salesforce_format(when), SystemModstamp=salesforce_format(when))
            w.write("salesforce/Opportunity.jsonl", dict(record))
            w.write(
                "salesforce/OpportunityHistory.jsonl",
                {
                    "Id": self.next_id("008"),
                    "OpportunityId": opportunity_id,
                    "StageName": record["StageName"],
                    "Amount": record["Amount"],
                    "CloseDate": record["CloseDate"],
                    "Probability": record["Probability"],
                    "CreatedById": owner_id,
                    "CreatedDate": salesforce_format(when),
                    "IsDeleted": False,
                },
            )

        changed(at)
        now = at
        for stage, probability in OPEN_STAGES[1 : 1 + rng.randrange(0, 4)]:
            now += timedelta(days=rng.uniform(2, 45), seconds=rng.randrange(3600))
            if now >= self.as_of:
                return opportunity_id
            changes: dict[str, Any] = {"StageName": stage, "Probability": probability}
            if record["CloseDate"] and rng.random() < 0.3:  # the close date slips
                pushed = date.fromisoformat(record["CloseDate"]) + timedelta(days=rng.randrange(14, 46))
                changes["CloseDate"] = pushed.isoformat()
            if record["Amount"] is not None and rng.random() < 0.2:
                changes["Amount"] = round(record["Amount"] * rng.uniform(0.7, 1.3), 2)
            changed(now, **changes)
        if rng.random() < 0.45:
            now += timedelta(days=rng.uniform(2, 60), seconds=rng.randrange(3600))
            if now < self.as_of:
                won = rng.random() < 0.45
                changed(
                    now,
                    StageName="Closed Won" if won else "Closed Lost",
                    Probability=100 if won else 0,
                    IsClosed=True,
                    IsWon=won,
                    Loss_Reason__c=None if won or rng.random() < 0.2 else rng.choice(LOSS_SPELLINGS),
                )
        if rng.random() < 0.02 and now + timedelta(days=3) < self.as_of:  # deleted by a rep later
            later = salesforce_format(now + timedelta(days=3))
            w.write(
                "salesforce/Opportunity.jsonl",
                {**record, "IsDeleted": True, "SystemModstamp": later, "LastModifiedDate": later},
            )
        return opportunity_id

    def _conversion_rates(self, w: _Writers, rng: random.Random) -> None:
        """Monthly dated rates per currency from before the first opportunity to the as-of month,
        the last one open-ended (NextStartDate 9999-12-31), entered when the org was set up."""
        first = date(self.setup_time.year, self.setup_time.month, 1)
        months = []
        while first <= self.as_of.date():
            months.append(first)
            first = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
        entered = salesforce_format(self.setup_time)
        for iso, rate in CURRENCIES.items():
            for start, following in zip(months, months[1:] + [date(9999, 12, 31)], strict=True):
                w.write(
                    "salesforce/DatedConversionRate.jsonl",
                    {
                        "Id": self.next_id("04w"),
                        "IsoCode": iso,
                        "ConversionRate": round(rate * rng.uniform(0.95, 1.05), 6),
                        "StartDate": start.isoformat(),
                        "NextStartDate": following.isoformat(),
                        "CreatedDate": entered,
                        "SystemModstamp": entered,
                    },
                )

    # -- driver --------------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        self.out.mkdir(parents=True, exist_ok=True)
        with ExitStack() as stack:
            files = {}
            for obj in (*SALESFORCE_OBJECTS, *MARKETO_OBJECTS):  # the world rendered as Salesforce + Marketo
                path = self.out / obj.file
                path.parent.mkdir(parents=True, exist_ok=True)
                files[obj.file] = stack.enter_context(path.open("w", encoding="utf-8"))
            writers = _Writers(files)
            world = self._world(writers, random.Random(f"{self.seed}-world"))
            self._conversion_rates(writers, random.Random(f"{self.seed}-rates"))
            for n in range(self.n_leads):
                self._lead(n, writers, world)
            self._campaign_members(writers, world)
        manifest = {
            "as_of": marketo_format(self.as_of),
            "seed": self.seed,
            "generator": "leadflow_dev.generator",
            "counts": dict(sorted(writers.counts.items())),
        }
        (self.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        return manifest

    def _campaign_members(self, w: _Writers, world: _World) -> None:
        """Memberships of every third lead, some leads in two or three campaigns, some members who
        never responded."""
        rng = random.Random(f"{self.seed}-members")
        span = int((self.as_of - self.start).total_seconds())
        for n in range(1, self.counters["00Q"] + 1, 3):
            for _ in range(1 + (rng.random() < 0.3) + (rng.random() < 0.1)):
                at = self.start + timedelta(seconds=rng.randrange(span))
                responded = rng.random() < 0.8
                w.write(
                    "salesforce/CampaignMember.jsonl",
                    {
                        "Id": self.next_id("00v"),
                        "CampaignId": rng.choice(world.campaigns),
                        "LeadId": sf_id("00Q", n),
                        "ContactId": None,
                        "Status": "Responded" if responded else "Sent",
                        "HasResponded": responded,
                        "FirstRespondedDate": at.date().isoformat() if responded else None,
                        "IsDeleted": False,
                        "CreatedDate": salesforce_format(at),
                        "SystemModstamp": salesforce_format(at),
                    },
                )


def generate(out_dir: Path, leads: int, seed: int, as_of: str | datetime) -> dict[str, Any]:
    moment = parse_instant(as_of) if isinstance(as_of, str) else as_of.astimezone(UTC)
    return Generator(out_dir, leads, seed, moment).run()
