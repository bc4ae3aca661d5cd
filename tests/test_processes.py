"""Processes the night starts do not outlive it; two demos do not share one checkout (fast lane)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest
from leadflow.settings import dbt_executable
from leadflow_dev.demo import only_demo_on_this_checkout, run_demo
from leadflow_dev.sandbox.process import running_sandbox


def _start_child(queue) -> None:  # a "worker" that starts dbt as a night does (here dbt is a long sleep)
    child = subprocess.Popen([dbt_executable(), "60"], env={**os.environ, "LEADFLOW_DBT": "sleep"})
    queue.put(child.pid)
    time.sleep(60)


def test_dbt_dies_with_the_worker_that_started_it() -> None:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    worker = context.Process(target=_start_child, args=(queue,))
    worker.start()
    child = psutil.Process(queue.get(timeout=30))
    os.kill(worker.pid, signal.SIGKILL)
    worker.join()
    assert child.wait(timeout=10) is not None or not child.is_running()


def _hold_demo(ready, release) -> None:
    with only_demo_on_this_checkout():
        ready.set()
        release.wait(30)


def test_a_second_demo_on_one_checkout_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    first = context.Process(target=_hold_demo, args=(ready, release))
    first.start()
    try:
        assert ready.wait(30)
        assert run_demo(None, tmp_path / "second.duckdb", None) == 1
        assert f"another make demo is running on this checkout (pid {first.pid}," in capsys.readouterr().err
    finally:
        release.set()
        first.join()


def test_a_sandbox_that_cannot_start_says_why_and_where_its_log_is(tmp_path: Path) -> None:
    fixtures = tmp_path / "fixtures"
    (fixtures / "salesforce").mkdir(parents=True)
    (fixtures / "manifest.json").write_text('{"as_of": "2026-06-30T23:00:00Z"}')
    (fixtures / "salesforce" / "Lead.jsonl").write_text('{"Id": "00Q1", "SystemModstamp": \n')
    with pytest.raises(RuntimeError) as failure, running_sandbox(fixtures, tmp_path / "tls"):
        pass
    message = str(failure.value)
    assert str(tmp_path / "tls" / "sandbox.log") in message and "Lead.jsonl" in message


def test_a_stopped_sandbox_leaves_no_index_behind(
    generated_fixture: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sandbox indexes its fixture into a temporary DuckDB file (a million leads: gigabytes),
    removed when it stops on SIGTERM, as every night's sandbox is stopped."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    with running_sandbox(generated_fixture, tmp_path / "tls") as sandbox:
        assert [p.name for p in scratch.iterdir()], "the index is in the sandbox's temporary directory"
        assert sandbox.admin("health")
    assert list(scratch.iterdir()) == []
