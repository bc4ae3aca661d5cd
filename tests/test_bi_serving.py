"""A BI reader connected to the published warehouse never blocks the night and never sees half of it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import BIN, run_night, use_sandbox
from leadflow.settings import paths
from leadflow_dev.sandbox.process import RunningSandbox

pytestmark = pytest.mark.night

READER = r"""
import json, os, sys, time, duckdb
path, mode, seconds, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
held = duckdb.connect(path, read_only=True) if mode == "held" else None  # a dashboard's pooled connection
seen, errors, deadline = [], [], time.monotonic() + seconds
while time.monotonic() < deadline:
    try:
        con = held or duckdb.connect(path, read_only=True)  # "fresh": a new connection per query
        leads = con.execute("select count(*) from marts.fct_lead_lifecycle").fetchall()[0][0]
        cohort_leads = con.execute("select sum(leads) from marts.mart_stage_conversion").fetchall()[0][0]
        seen.append([leads, int(cohort_leads)])
        if con is not held:
            con.close()
    except Exception as exc:
        errors.append(repr(exc))
    if held is None or len(seen) < 2:
        time.sleep(0.05)
    with open(out + ".tmp", "w") as handle:  # replaced atomically: the reader may be stopped at any time
        json.dump({"seen": seen, "errors": errors}, handle)
    os.replace(out + ".tmp", out)
"""


def test_reader_in_a_loop_during_a_full_night(
    sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = tmp_path / "served.duckdb"
    sandbox.set_clock("2026-05-01T00:00:00Z")
    use_sandbox(monkeypatch, sandbox, warehouse)
    run_night("2026-05-01T00:00:00Z")
    readers = {mode: (tmp_path / f"{mode}.json") for mode in ("fresh", "held")}
    processes = [
        subprocess.Popen([sys.executable, "-c", READER, str(warehouse), mode, "600", str(out)])
        for mode, out in readers.items()
    ]
    time.sleep(3)
    sandbox.set_clock("2026-06-30T23:00:00Z")
    run_night("2026-06-30T23:00:00Z")  # extract, build, audit and publish while the readers read
    time.sleep(2)
    for process in processes:
        process.terminate()
        process.wait()
    fresh, held = (json.loads(out.read_text()) for out in readers.values())
    assert fresh["errors"] == [] and held["errors"] == []
    for result in (fresh, held):
        assert all(leads == cohort_leads for leads, cohort_leads in result["seen"]), "a half-built state was seen"
    assert len({leads for leads, _ in fresh["seen"]}) == 2, "new connections see yesterday's marts, then today's"
    assert len({leads for leads, _ in held["seen"]}) == 1, "a held connection keeps a consistent snapshot"


def test_published_file_opens_in_a_duckdb_1x_client(night_copy: Path) -> None:
    """BI drivers bundle DuckDB 1.x, which cannot read DuckDB 2.0's own format: the published file
    is written in one they read, with every mart and its rows."""
    client = BIN.parent / "superset" / "bin" / "python"  # Superset's venv: DuckDB 1.1.3 (`make venv`)
    count_rows = (
        "import duckdb, json, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
        'tables = [t for (t,) in con.execute("select table_name from information_schema.tables '
        "where table_schema = 'marts'\").fetchall()]; "
        "print(json.dumps([duckdb.__version__, {t: con.execute(f'select count(*) from marts.{t}').fetchall()[0][0] "
        "for t in tables}]))"
    )
    result = subprocess.run(
        [str(client), "-c", count_rows, str(night_copy)],
        capture_output=True,
        text=True,
        check=True,
    )
    version, rows = json.loads(result.stdout)
    assert version.startswith("1.")
    summary = json.loads((paths().reports / "last_run.json").read_text())
    assert rows == summary["rows"] and len(rows) > 10
