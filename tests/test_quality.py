"""Write-audit-publish and alerting: integrity failures never reach BI; hygiene findings are
published and people are told, over a real webhook and a real SMTP server on loopback."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import duckdb
import pytest
from aiosmtpd.controller import Controller
from conftest import dbt, extract_all, headless_chromium, run_night, use_sandbox
from leadflow import alerts, nightly
from leadflow.quality.suites import all_suites
from leadflow.quality.validate import validate
from leadflow.settings import PROJECT_ROOT, paths
from leadflow.timefmt import parse_instant
from leadflow_dev.sandbox.process import RunningSandbox, free_port

pytestmark = pytest.mark.night

AS_OF = "2026-06-30T23:00:00Z"


class _Webhook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server API)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Webhook.received.append({**json.loads(body), "path": self.path})
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def channels(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[list[dict], _Mailbox]]:
    _Webhook.received = []
    server = HTTPServer(("127.0.0.1", 0), _Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    mailbox = _Mailbox()
    smtp_port = free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    monkeypatch.setenv(
        "AIRFLOW_CONN_LEADFLOW_SLACK",
        json.dumps(
            {"conn_type": "slackwebhook", "password": f"http://127.0.0.1:{server.server_port}/services/T0/B0/x"}
        ),
    )
    monkeypatch.setenv(
        "AIRFLOW_CONN_LEADFLOW_SMTP",
        json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": smtp_port,
                "extra": {
                    "disable_ssl": True,
                    "disable_tls": True,
                    "to": "revops@example.com",
                    "from_email": "leadflow@example.com",
                },
            }
        ),
    )
    yield _Webhook.received, mailbox
    server.shutdown()
    smtp.stop()


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: RunningSandbox) -> Path:
    sandbox.set_clock(AS_OF)
    target = tmp_path / "wap.duckdb"
    use_sandbox(monkeypatch, sandbox, target)
    return target


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_hygiene_failures_publish_and_alert_each_owner(
    warehouse: Path, channels, sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every failing control reaches people: its owner's channel when the owner has one (here
    sales-ops has its own webhook), else the default channels, and the overview names them all
    with the review queue per team."""
    webhook, mailbox = channels
    default_hook = json.loads(os.environ["AIRFLOW_CONN_LEADFLOW_SLACK"])["password"]
    monkeypatch.setenv(
        "AIRFLOW_CONN_LEADFLOW_SLACK_SALES_OPS",
        json.dumps({"conn_type": "slackwebhook", "password": default_hook.replace("/x", "/sales-ops")}),
    )
    sandbox.set_clock("2026-06-20T23:00:00Z")
    run_night("2026-06-20T23:00:00Z")
    sandbox.set_clock(AS_OF)
    run_night(AS_OF)
    quality = nightly.audit()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        failing = {
            control: (rate, owner)
            for control, rate, owner in con.execute("""
                select control_name, failing_rate, owner from marts.mart_data_quality
                where run_as_of = (select max(run_as_of) from marts.mart_data_quality) and status = 'fail'
            """).fetchall()
        }
        queue = con.execute("select count(*) from marts.mart_review_queue").fetchall()[0][0]
    owners = {owner for _, owner in failing.values()}
    assert "sales-ops" in owners and len(owners) > 1, "the generated fixture has findings for several owners"
    webhook.clear()
    summary = json.loads(nightly.report(parse_instant(AS_OF), "test", True, quality, {}).read_text())
    assert set(summary["alerts"]) == {"overview", *owners}
    assert all(outcome == {"slack": "delivered", "email": "delivered"} for outcome in summary["alerts"].values())
    overview, *per_owner = webhook
    assert overview["path"].endswith("/x") and f"Review queue: {queue} records wait" in overview["text"]
    for control, (rate, owner) in failing.items():
        assert control in overview["text"] and f"{rate:.1%}" in overview["text"]
        (told,) = [m for m in per_owner if control in m["text"]]
        assert told["path"].endswith("/sales-ops" if owner == "sales-ops" else "/x"), (control, owner)
        assert f"({owner})" in told["text"] and "since the previous run" in told["text"]
    assert "Data docs:" in overview["text"]
    body = mailbox.messages[0].get_payload(decode=True) or mailbox.messages[0].get_payload()[0].get_payload(decode=True)
    assert all(control in body.decode() for control in failing)
    assert mailbox.messages[0]["To"] == "revops@example.com"


def _rebuild_models(select: str = "audit") -> None:
    """The night's audit models (or ``select``) again, over what a test changed in staging or raw
    (a bug between raw and staging shows in them when dbt builds them after staging, as a night does)."""
    result = paths().dbt("run", "--select", select)
    assert result.returncode == 0, result.stdout[-2000:]


def test_integrity_failure_keeps_yesterday_published_and_alerts(night_copy: Path, channels) -> None:
    webhook, _ = channels
    warehouse = night_copy
    before = _digest(warehouse)
    work = paths().warehouse.work
    with duckdb.connect(str(work)) as con:  # a bug drops leads between raw and staging
        con.execute(
            "delete from staging.stg_salesforce__leads where lead_id in "
            "(select lead_id from staging.stg_salesforce__leads limit 3)"
        )
    _rebuild_models()
    with pytest.raises(nightly.IntegrityError, match="raw_reconciliation") as failure:
        nightly.audit()
    assert "['salesforce.lead']" in str(failure.value), "a failing integrity check names its rows"
    assert _digest(warehouse) == before
    alerts.TaskFailureAlert().notify(
        {
            "ti": _TaskInstance("audit"),
            "run_id": "scheduled__x",
            "exception": "not publishing: integrity.raw_reconciliation",
        }
    )
    assert "audit failed" in webhook[-1]["text"] and "raw_reconciliation" in webhook[-1]["text"]


def test_orphans_are_quarantined_findings_that_do_not_block_the_night(night_copy: Path, channels) -> None:
    """History whose lead is missing from the night does not stop it: the night publishes, and its
    summary, control and alert name the orphans and why their parent is missing (not extracted;
    once the lead's absence is explained by its quarantine, quarantined at extraction)."""
    webhook, _ = channels
    work = paths().warehouse.work
    with duckdb.connect(str(work)) as con:
        lead_id, histories = con.execute("""select lead_id, list(lead_history_id order by lead_history_id)
                                            from staging.stg_salesforce__lead_history where not is_deleted
                                            group by lead_id order by count(*) desc limit 1""").fetchall()[0]
        con.execute("delete from raw_salesforce.lead where record_id = ?", [lead_id])
        con.execute("delete from staging.stg_salesforce__leads where lead_id = ?", [lead_id])
    _rebuild_models("audit_orphaned_records+")
    quality = nightly.audit()
    summary = json.loads(nightly.report(parse_instant(AS_OF), "x", True, quality, nightly.publish()).read_text())
    assert summary["status"] == "published"
    assert summary["quarantined"]["LeadHistory"] == len(histories)
    named = {e["record_id"]: e["reason"] for e in summary["quarantined_examples"] if e["object"] == "LeadHistory"}
    assert named == {h: f"orphan (lead history -> lead): parent {lead_id} was not extracted" for h in histories[:10]}
    control = next(c for c in summary["controls"] if c["control_name"] == "records_quarantined")
    assert control["status"] == "fail" and f"salesforce.leadhistory {histories[0]}" in control["sample_record_ids"]
    (overview,) = [m["text"] for m in webhook if "Records quarantined tonight" in m["text"]]
    assert f"LeadHistory {len(histories)}" in overview and "without their parent" in overview

    with duckdb.connect(str(work)) as con:
        con.execute(
            """insert into raw_meta.quarantine (system, object, record_id, reason, payload, run_id, quarantined_at)
               values ('salesforce', 'Lead', ?, 'missing SystemModstamp', '{}', 'x', now())""",
            [lead_id],
        )
    _rebuild_models("audit_orphaned_records")
    reasons = paths().warehouse.read_frame("select distinct reason from audit.audit_orphaned_records").reason
    assert list(reasons) == [f"orphan (lead history -> lead): parent {lead_id} was quarantined at extraction"]


def test_a_channel_that_is_down_is_named_in_the_summary(
    night_copy: Path, channels, monkeypatch: pytest.MonkeyPatch
) -> None:
    webhook, _ = channels
    closed = free_port()  # nothing listens there
    monkeypatch.setenv(
        "AIRFLOW_CONN_LEADFLOW_SLACK",
        json.dumps({"conn_type": "slackwebhook", "password": f"http://127.0.0.1:{closed}/services/T0/B0/x"}),
    )
    quality = nightly.audit()
    summary = json.loads(nightly.report(parse_instant(AS_OF), "down", True, quality, nightly.publish()).read_text())
    assert summary["alerts"]["overview"]["email"] == "delivered"
    assert summary["alerts"]["overview"]["slack"].startswith("not delivered: ") and not webhook


def test_failing_controls_name_the_records_dbt_samples(night_copy: Path) -> None:
    """GX's finding for a failing hygiene control carries the same first failing ids as the
    control's row in mart_data_quality (dbt): the two read one registry row."""
    report = validate(paths())
    with duckdb.connect(str(paths().warehouse.work), read_only=True) as con:
        sampled = dict(con.execute("select control_name, sample_record_ids from marts.mart_data_quality").fetchall())
    failing = [f for f in report.findings if f.control_name and not f.success]
    assert failing, "the session's fixture plants failing controls"
    for finding in failing:
        assert ", ".join(finding.sample_ids) == sampled[finding.control_name], finding.control_name


def test_gx_judges_every_control_as_the_published_control_reads(night_copy: Path) -> None:
    """For every control, GX's verdict and failing share are those of its row in
    mart_data_quality, null failing flags included (an MQL whose SLA clock still runs is in the
    population, not failing); and each hygiene suite reads one row, not the facts' rows."""
    report = validate(paths())
    with duckdb.connect(str(paths().warehouse.work), read_only=True) as con:
        published = {
            name: (status, rate)
            for name, status, rate in con.execute(
                "select control_name, status, failing_rate from marts.mart_data_quality"
            ).fetchall()
        }
        assert con.execute("select count(*) from marts.fct_lead_sla where is_unworked_past_sla is null").fetchall()[0][
            0
        ], "the session's fixture has SLA clocks still running"
        for spec in all_suites(paths().control_registry, paths().dbt_manifest):
            if spec.kind == "hygiene":
                assert len(con.execute(spec.query).fetchall()) == 1, spec.name
    judged = {f.control_name: f for f in report.findings if f.control_name}
    assert judged.keys() == published.keys()
    for name, (status, rate) in published.items():
        assert (judged[name].success, judged[name].unexpected_percent) == (
            status == "pass",
            pytest.approx(100 * rate),
        ), name


def test_data_docs_never_render_record_values(night_copy: Path, tmp_path: Path) -> None:
    """A script planted in a validated column fails an expectation; the data docs show the
    failure's counts, not the value, and nothing runs in a reader's browser."""
    payload = "<img src=x onerror=\"document.title='pwned'\">"
    with duckdb.connect(str(paths().warehouse.work)) as con:  # two rows of one cell: not unique
        con.execute(
            "update marts.mart_stage_conversion set original_source = ? where (cohort_month, segment) in "
            "(select cohort_month, segment from marts.mart_stage_conversion"
            " group by all having count(*) > 1 order by all limit 1)",
            [payload],
        )
    started = time.time()
    report = validate(paths())
    unique = next(f for f in report.findings if f.suite == "integrity.mart_stage_conversion" and not f.success)
    assert unique.expectation == "expect_compound_columns_to_be_unique"
    site = Path(report.data_docs.removeprefix("file://")).parent
    assert site.is_relative_to(paths().reports), "each warehouse's data docs beside its reports"
    tonight = [page for page in site.rglob("*.html") if page.stat().st_mtime >= started - 1]
    pages = [page for page in tonight if "mart_stage_conversion" in str(page)]
    assert pages and not any("onerror" in page.read_text() for page in tonight)
    with headless_chromium() as browser:
        page = browser.new_page()
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
        for html in pages:
            page.goto(html.as_uri())
            assert page.title() != "pwned"


def test_duplicate_key_fails_the_build_and_nothing_is_published(night_copy: Path) -> None:
    warehouse = night_copy
    before = _digest(warehouse)
    work = paths().warehouse.work
    with duckdb.connect(str(work)) as con:  # a lead id arrives (later) under a second record key
        con.execute("""insert into raw_salesforce.lead
                       select 'dup-' || record_id, record_version, payload, _run_id, _loaded_at + interval 1 day
                       from raw_salesforce.lead limit 1""")
    result = dbt(["build"], paths().warehouse)
    assert result.returncode != 0
    assert "primary_key_stg_salesforce__leads_lead_id" in result.stdout
    assert _digest(warehouse) == before


class _TaskInstance:
    def __init__(self, task_id: str) -> None:
        self.dag_id, self.task_id, self.try_number = "leadflow_nightly", task_id, 1


def test_threshold_in_the_seed_changes_the_verdict(night_copy: Path, tmp_path: Path) -> None:
    work = paths().warehouse.work

    def verdict() -> tuple[str, bool]:
        with duckdb.connect(str(work), read_only=True) as con:
            status = con.execute("""select status from marts.mart_data_quality
                                    where control_name = 'source_unknown'
                                    order by run_as_of desc limit 1""").fetchall()[0][0]
        gx = next(f for f in validate(paths()).findings if f.control_name == "source_unknown")
        return status, gx.success

    before = verdict()
    project = tmp_path / "dbt_project"
    shutil.copytree(PROJECT_ROOT / "dbt_project", project, ignore=shutil.ignore_patterns("target", "logs"))
    seed = project / "seeds" / "data_quality_controls.csv"
    rows = list(csv.DictReader(seed.open()))
    for row in rows:
        if row["control_name"] == "source_unknown":
            row["threshold"] = "0.0" if before == ("pass", True) else "0.9"
    with seed.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=rows[0].keys())
        writer.writeheader()
        writer.writerows(rows)
    result = dbt(["build", "--project-dir", str(project)], paths().warehouse)
    assert result.returncode == 0, result.stdout[-2000:]
    after = verdict()
    assert before[0] == ("pass" if before[1] else "fail")
    assert after == (("fail", False) if before == ("pass", True) else ("pass", True))


def test_rerun_extracts_nothing_twice(warehouse: Path) -> None:
    extract_all(parse_instant(AS_OF), "first")
    with duckdb.connect(str(paths().warehouse.work), read_only=True) as con:
        first = con.execute("select count(*) from raw_salesforce.lead").fetchall()[0][0]
    extract_all(parse_instant(AS_OF), "second")
    with duckdb.connect(str(paths().warehouse.work), read_only=True) as con:
        assert con.execute("select count(*) from raw_salesforce.lead").fetchall()[0][0] == first
        duplicates = con.execute("""select count(*) from (select record_id, record_version
                                    from raw_salesforce.lead group by 1, 2 having count(*) > 1)""").fetchall()
    assert duplicates[0][0] == 0


def test_a_new_control_is_one_registry_row_and_one_flag_column(
    night_copy: Path, channels, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Added as a contributor would: a flag column in the model (and its contract), a row in the
    registry, then ``make suites``. It reaches mart_data_quality, the GX suite, the run summary
    and the alert with no other edit."""
    from leadflow.quality.suites import init_context

    webhook, _ = channels
    home = tmp_path / "home"
    for part in ("dbt_project", "expectations"):
        shutil.copytree(
            PROJECT_ROOT / part, home / part, ignore=shutil.ignore_patterns("target", "logs", "uncommitted")
        )
    model = home / "dbt_project" / "models" / "marts" / "fct_lead_lifecycle.sql"
    model.write_text(
        model.read_text().replace(
            "\nfrom enriched\n", ",\n    enriched.segment = 'Unknown' as is_segment_unknown\nfrom enriched\n", 1
        )
    )
    contract = home / "dbt_project" / "models" / "marts" / "fct_lead_lifecycle.yml"
    flag = "      - name: is_source_unknown\n"
    contract.write_text(
        contract.read_text().replace(
            flag,
            "      - name: is_segment_unknown\n        data_type: boolean\n"
            "        description: No employee count, so no segment.\n" + flag,
            1,
        )
    )
    registry = home / "dbt_project" / "seeds" / "data_quality_controls.csv"
    with registry.open("a", encoding="utf-8") as handle:
        handle.write(
            "segment_unknown,Lead with no company size,fct_lead_lifecycle,lead_id,,is_segment_unknown,0.0,warn,revops\n"
        )
    init_context(home / "expectations", registry, paths().dbt_manifest)  # relations as the checkout builds them
    monkeypatch.setenv("LEADFLOW_HOME", str(home))

    nightly.build_models()
    quality = nightly.audit()
    rows = nightly.publish()
    summary = json.loads(nightly.report(parse_instant(AS_OF), "new-control", True, quality, rows).read_text())

    with duckdb.connect(str(night_copy), read_only=True) as con:
        failing, population = con.execute("""select failing_rows, population from marts.mart_data_quality
                                             where control_name = 'segment_unknown'
                                             order by run_as_of desc limit 1""").fetchall()[0]
        unknown = con.execute("select count(*) from marts.fct_lead_lifecycle where segment = 'Unknown'").fetchall()[0][
            0
        ]
    assert (failing, population) == (unknown, rows["fct_lead_lifecycle"]) and unknown > 0
    finding = next(f for f in quality["findings"] if f["control_name"] == "segment_unknown")
    assert finding["suite"] == "hygiene.fct_lead_lifecycle" and not finding["success"]
    assert finding["unexpected_percent"] == pytest.approx(100 * unknown / population)
    assert "segment_unknown" in {c["control_name"] for c in summary["failing_controls"]}
    assert any("segment_unknown" in message["text"] for message in webhook)
