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
from leadflow.settings import die_with_parent
from leadflow_dev.demo import only_demo_on_this_checkout, run_demo


def _start_child(queue) -> None:  # a "worker" that starts a long child, as build_models starts dbt
    child = subprocess.Popen(["sleep", "60"], preexec_fn=die_with_parent)
    queue.put(child.pid)
    time.sleep(60)


def test_a_child_dies_with_the_worker_that_started_it() -> None:
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
