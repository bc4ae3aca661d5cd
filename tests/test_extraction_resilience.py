"""Extraction on the nights that go wrong: faults, a killed worker, bad records, schema drift."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from conftest import check_marts, extract_all, reference, run_night, use_sandbox
from leadflow.extract.landing import chunk_files
from leadflow.extract.salesforce import BulkJobFailed
from leadflow.settings import PROJECT_ROOT, paths
from leadflow.timefmt import parse_instant
from leadflow_dev.sandbox.process import RunningSandbox

AS_OF = "2026-06-30T23:00:00Z"


def _versions(work: Path) -> dict[str, set[tuple[str, str]]]:
    """Every (record id, version) landed per raw table: the marts are a function of these and the as-of."""
    with duckdb.connect(str(work), read_only=True) as con:
        tables = con.execute("""select table_schema || '.' || table_name from information_schema.tables
                                where table_schema in ('raw_salesforce', 'raw_marketo')
                                  and table_type = 'BASE TABLE'""").fetchall()
        return {t: set(con.execute(f"select record_id, record_version from {t}").fetchall()) for (t,) in tables}


def _no_duplicate_versions(work: Path) -> None:
    with duckdb.connect(str(work), read_only=True) as con:
        tables = con.execute("""select table_schema || '.' || table_name from information_schema.tables
                                where table_schema in ('raw_salesforce', 'raw_marketo')""").fetchall()
        for (table,) in tables:
            duplicates = con.execute(f"""select count(*) from (select record_id, record_version from {table}
                                         group by 1, 2 having count(*) > 1)""").fetchall()[0][0]
            assert duplicates == 0, table


@pytest.fixture
def night_on(sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunningSandbox:
    sandbox.set_clock(AS_OF)
    use_sandbox(monkeypatch, sandbox, tmp_path / "w.duckdb")
    yield sandbox
    sandbox.admin("faults", {"spec": ""})


@pytest.mark.night
@pytest.mark.parametrize("fault", ["429:0.15", "503:0.15", "slow:0.1", "expire:0.1", "drop:0.1", "limit:0.1"])
def test_each_fault_lands_what_a_clean_night_lands(fault: str, night_on: RunningSandbox, built_night: Path) -> None:
    night_on.admin("faults", {"spec": fault, "seed": 11, "slow_seconds": 0.3})
    extract_all(parse_instant(AS_OF), "faulted")
    injected = night_on.admin("faults")["injected"][fault.split(":")[0]]
    assert injected > 0
    # the clean night's marts equal the reference (test_pipeline); the same raw gives the same marts
    assert _versions(paths().warehouse.work) == _versions(built_night.with_name("night.work.duckdb"))
    _no_duplicate_versions(paths().warehouse.work)


@pytest.mark.night
def test_no_secret_in_anything_a_faulty_night_writes(night_on: RunningSandbox, tmp_path: Path) -> None:
    """Retried, expired and dropped connections log and alert; none of it shows the client secret:
    not the log, the run summary, the reports, the data docs, nor either warehouse file."""
    night_on.admin("faults", {"spec": "503:0.1,expire:0.1,drop:0.05", "seed": 7})
    logged = _Recorder(logging.INFO)
    watched = [logging.getLogger(name) for name in ("leadflow", "urllib3", "tenacity")]
    for logger in watched:
        logger.addHandler(logged)
    try:
        run_night(AS_OF, run_id="canary")
    finally:
        for logger in watched:
            logger.removeHandler(logged)
    assert sum(night_on.admin("faults")["injected"].values()) > 0
    secret = night_on.client_secret
    assert any("retrying" in record.getMessage() for record in logged.records)
    assert not [record.getMessage() for record in logged.records if secret in record.getMessage()]
    secret = secret.encode()
    written = [p for p in (tmp_path.rglob("*")) if p.is_file()]
    written += [p for p in (PROJECT_ROOT / "expectations" / "gx" / "uncommitted").rglob("*") if p.is_file()]
    assert any(p.suffix == ".duckdb" for p in written) and any(p.name == "last_run.json" for p in written)
    leaked = [str(p) for p in written if secret in p.read_bytes()]
    assert not leaked, leaked


@pytest.mark.night
def test_bulk_api_lands_what_rest_pages_land(
    night_on: RunningSandbox, built_night: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Bulk API 2.0 jobs and Marketo's bulk activity export land the same versions and fields as
    REST pages (the session's night read every object as REST pages)."""
    monkeypatch.setenv("AIRFLOW_CONN_SALESFORCE_DEFAULT", night_on.airflow_connection(bulk_threshold=0))
    monkeypatch.setenv("AIRFLOW_CONN_MARKETO_DEFAULT", night_on.airflow_connection(bulk_threshold=0))
    night_on.admin("faults", {"spec": "503:0.1", "seed": 5})  # a chunk asked for again, not the whole job
    with caplog.at_level(logging.INFO, logger="leadflow.extract"):
        extract_all(parse_instant(AS_OF), "bulk")
    assert night_on.admin("faults")["injected"]["503"] > 0
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("leadflow.extract.")]
    read_in_bulk = {message.split(":")[0] for message in logged if "read as a bulk" in message.lower()}
    assert {"Lead", "activities"} <= read_in_bulk, logged
    with duckdb.connect(str(paths().warehouse.work), read_only=True) as con:
        lead = con.execute("select payload from raw_salesforce.lead limit 1").fetchall()[0][0]
        clean = duckdb.connect(str(built_night.with_name("night.work.duckdb")), read_only=True)
        rest_lead = clean.execute(
            "select payload from raw_salesforce.lead where record_id = ?", [json.loads(lead)["Id"]]
        ).fetchall()
        clean.close()
        activity = con.execute("select record_id, payload from raw_marketo.activities limit 1").fetchall()[0]
        clean = duckdb.connect(str(built_night.with_name("night.work.duckdb")), read_only=True)
        rest_activity = clean.execute(
            "select payload from raw_marketo.activities where record_id = ?", [activity[0]]
        ).fetchall()
        clean.close()
    assert _versions(paths().warehouse.work) == _versions(built_night.with_name("night.work.duckdb"))
    assert set(json.loads(lead)) == set(json.loads(rest_lead[0][0])), "the same fields land either way"
    assert json.loads(activity[1]) == json.loads(rest_activity[0][0]), "an activity lands alike either way"


def test_the_next_bulk_chunk_is_asked_for_while_one_lands() -> None:
    """A bulk read asks the source for its next chunk while the current one lands, in order; a
    chunk without a header is nothing; a failure of the source reaches the landing loop."""
    asked_for_second = threading.Event()

    def source() -> Iterator[bytes]:
        yield b"Id\n1\n"
        yield b""
        asked_for_second.set()
        yield b"Id\n2\n"
        raise BulkJobFailed("the job failed after two chunks")

    files = chunk_files(source())
    first = next(files)
    assert asked_for_second.wait(10), "the second chunk was not asked for while the first landed"
    assert first.read_bytes() == b"Id\n1\n"
    second = next(files)
    assert second.read_bytes() == b"Id\n2\n"
    assert not first.exists(), "a landed chunk's file is removed"
    with pytest.raises(BulkJobFailed, match="after two chunks"):
        next(files)


@pytest.mark.night
def test_worker_killed_mid_load_then_rerun(night_on: RunningSandbox, built_night: Path) -> None:
    night_on.admin("faults", {"spec": "slow:0.6", "seed": 3, "slow_seconds": 0.25})
    script = (
        "from conftest import extract_all; from leadflow.timefmt import parse_instant; "
        f"extract_all(parse_instant('{AS_OF}'), 'killed')"
    )
    worker = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).parent)
    deadline = time.monotonic() + 120
    while not paths().warehouse.work.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(4)  # some objects committed, the worker is in the middle of a page
    assert worker.poll() is None, "the worker finished before it could be killed"
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    with duckdb.connect(str(paths().warehouse.work), read_only=True) as con:
        partial = con.execute("select count(*) from raw_meta.watermarks").fetchall()[0][0]
    assert partial < 11, "the kill came after every object was done"
    night_on.admin("faults", {"spec": ""})
    extract_all(parse_instant(AS_OF), "rerun")
    assert _versions(paths().warehouse.work) == _versions(built_night.with_name("night.work.duckdb"))
    _no_duplicate_versions(paths().warehouse.work)


class _Recorder(logging.Handler):
    """Keeps the records of one logger (Airflow reconfigures the root logger that caplog uses)."""

    def __init__(self, level: int) -> None:
        super().__init__(level)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.night
def test_schema_drift_added_then_removed_field(
    night_on: RunningSandbox, generated_fixture: Path, tmp_path: Path
) -> None:
    try:
        night_on.set_clock("2026-06-10T00:00:00Z")
        run_night("2026-06-10T00:00:00Z")
        night_on.admin("drift", {"object": "Lead", "add": {"Lead_Grade__c": "A"}})
        night_on.set_clock("2026-06-20T00:00:00Z")
        run_night("2026-06-20T00:00:00Z")
        night_on.admin("drift", {"object": "Lead", "remove": ["Title"]})
        night_on.set_clock(AS_OF)
        run_night(AS_OF)
    finally:
        night_on.admin("drift", {"object": "Lead"})
    with duckdb.connect(str(paths().warehouse.work), read_only=True) as con:
        changes = con.execute("select field, change from raw_meta.schema_changes where object = 'Lead'").fetchall()
        graded = con.execute("""select count(*) from raw_salesforce.lead
                                where payload ->> 'Lead_Grade__c' = 'A'""").fetchall()[0][0]
        untitled = con.execute("""select count(*) from staging.stg_salesforce__leads
                                  where title is null""").fetchall()[0][0]
    assert ("Lead_Grade__c", "added") in changes and ("Title", "removed") in changes
    assert graded > 0 and untitled > 0
    result = check_marts(tmp_path / "w.duckdb", reference(generated_fixture, AS_OF), tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
