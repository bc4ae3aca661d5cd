"""Processes the night starts do not outlive it; two demos do not share one checkout (fast lane)."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest
from leadflow.settings import dbt_executable, dbt_started_here
from leadflow_dev.demo import only_demo_on_this_checkout, run_demo
from leadflow_dev.sandbox.process import running_sandbox


def _start_dbt(conn, path: str, when: str) -> None:  # a "worker" starting dbt as a night does
    command = [dbt_executable(), "60"]
    if when == "before dbt-bound runs":  # its first line runs after this process has died
        command = ["/bin/sh", "-c", 'sleep 1; exec "$0" "$@"', *command]
    env = {**os.environ, **dbt_started_here(), "LEADFLOW_DBT": "sleep", "PATH": path}
    child = subprocess.Popen(command, env=env)
    conn.send(child.pid)
    if when != "while dbt runs":
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(60)


@pytest.mark.parametrize("when", ["while dbt runs", "while dbt is starting", "before dbt-bound runs"])
def test_dbt_dies_with_the_worker_that_started_it(when: str, tmp_path: Path) -> None:
    """dbt here is a long sleep. "starting" slows setpriv down so that the worker dies before dbt-bound
    has asked the kernel for the signal, which only the check after setpriv then catches; "before"
    runs dbt-bound only once the worker is dead (its $PPID is then already another process)."""
    path = os.environ["PATH"]
    if when == "while dbt is starting":
        (tmp_path / "setpriv").write_text(f'#!/bin/sh\nsleep 1\nexec {shutil.which("setpriv")} "$@"\n')
        (tmp_path / "setpriv").chmod(0o755)
        path = f"{tmp_path}:{path}"
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(target=_start_dbt, args=(sender, path, when))
    worker.start()
    assert receiver.poll(30)
    try:
        child = psutil.Process(receiver.recv())
    except psutil.NoSuchProcess:  # gone already, with its worker
        return
    if when == "while dbt runs":  # the test kills the worker; in the other cases it kills itself
        deadline = time.monotonic() + 30
        while child.name() != "sleep" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert child.name() == "sleep"
        os.kill(worker.pid, signal.SIGKILL)
    worker.join()
    try:
        child.wait(timeout=10)
    except psutil.TimeoutExpired:
        if child.status() == psutil.STATUS_ZOMBIE:  # ended; its new parent has not reaped it yet
            return
        child.kill()
        pytest.fail(f"dbt outlived its worker, killed {when}")


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
