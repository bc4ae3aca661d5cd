"""What ``make demo`` shows while ``airflow dags test`` runs the night: each task as it starts and
ends (state, duration and, where the task returns them, its counts) and a line per phase. The
log file keeps every line Airflow wrote; only this reading of it is filtered.

It reads the lines ``airflow dags test`` logs at INFO: ``[DAG TEST] starting task_id=…`` and
``[DAG TEST] end task task_id=…`` (Airflow's own markers around each task), ``Task instance state
updated … new_state=…`` and ``Done. Returned value was: …`` (what the task returned).

``airflow dags test`` runs every task in its own process and writes no task log files; given
``task_logs`` (Airflow's log folder) each task's lines are also written where Airflow's UI reads
a task's log (``dag_id=…/run_id=…/task_id=…/attempt=1.log``), so ``make airflow`` shows them.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

_STAMP = r"^(\d{4}-\d{2}-\d{2}T[\d:.]+Z)"
START = re.compile(_STAMP + r" .*\[DAG TEST\] starting task_id=(\S+)")
END = re.compile(_STAMP + r" .*\[DAG TEST\] end task task_id=(\S+)")
STATE = re.compile(r"Task instance state updated .*new_state=(\w+)")
RETURNED = re.compile(r"Done\. Returned value was: (\{.*\}) \[")
FAILED = re.compile(r"\[DAG TEST\] Error running task|Task failed")
RUNNING = re.compile(r"\[DAG TEST\] running task <TaskInstance: (\S+?)\.(\S+) (\S+) ")


def phase_of(task_id: str) -> str:
    """The night's phase a task belongs to (the DAG's task ids name it)."""
    if task_id.startswith("extract_"):
        return "extract"
    if task_id.startswith("transform."):
        return "transform"
    return task_id


def _counts(returned: object) -> str:
    """The counts a task returned, for a person: extract results, rows per mart, findings."""
    if not isinstance(returned, dict):
        return ""
    if "received" in returned and "loaded" in returned:
        text = f"{returned['received']:,} received, {returned['loaded']:,} loaded"
        quarantined = returned.get("quarantined", 0) + returned.get("partly_quarantined", 0)
        skipped = returned.get("skipped")
        return (
            text
            + (f", {quarantined:,} quarantined" if quarantined else "")
            + (f"; skipped: {skipped}" if skipped else "")
        )
    if returned and all(isinstance(v, int) for v in returned.values()):
        return f"{len(returned)} tables, {sum(returned.values()):,} rows"
    return ""


@dataclass
class Phase:
    name: str
    started: datetime
    ended: datetime
    tasks: int = 0
    failed: int = 0
    received: int = 0
    loaded: int = 0


@dataclass
class Progress:
    """Fed the log's lines one by one; calls ``say`` with what a person watching should read."""

    say: Callable[[str], None] = print
    task_logs: Path | None = None
    _started: dict[str, datetime] = field(default_factory=dict)
    _task_log: TextIO | None = None
    _state: str = ""
    _returned: object = None
    _phase: Phase | None = None
    failed: list[str] = field(default_factory=list)

    def feed(self, line: str) -> None:
        if match := RUNNING.search(line):
            self._open_task_log(*match.groups())
        if self._task_log is not None:
            self._task_log.write(line)
        if match := START.match(line):
            at, task_id = _instant(match[1]), match[2]
            self._started[task_id] = at
            self._state, self._returned = "", None
            self._enter(phase_of(task_id), at)
            if phase_of(task_id) != "transform":
                self.say(f"  ▶ {task_id}")
            elif task_id.endswith("dbt_producer_watcher"):
                self.say("  ▶ transform: one dbt build; a task per model and test follows it")
        elif match := STATE.search(line):
            self._state = match[1]
        elif match := RETURNED.search(line):
            try:
                self._returned = ast.literal_eval(match[1])
            except (ValueError, SyntaxError):
                self._returned = None
        elif FAILED.search(line):
            self._state = "failed"
        elif match := END.match(line):
            self._end(match[2], _instant(match[1]))

    def _open_task_log(self, dag_id: str, task_id: str, run_id: str) -> None:
        self._close_task_log()
        if self.task_logs is not None:
            path = self.task_logs / f"dag_id={dag_id}" / f"run_id={run_id}" / f"task_id={task_id}" / "attempt=1.log"
            path.parent.mkdir(parents=True, exist_ok=True)
            self._task_log = path.open("w", encoding="utf-8")

    def _close_task_log(self) -> None:
        if self._task_log is not None:
            self._task_log.close()
            self._task_log = None

    def _end(self, task_id: str, at: datetime) -> None:
        self._close_task_log()
        seconds = (at - self._started.pop(task_id, at)).total_seconds()
        state = self._state or "done"
        mark = "✓" if state in ("success", "done", "skipped") else "✗"
        counts = _counts(self._returned)
        self.say(f"  {mark} {task_id:52s} {state:8s} {seconds:6.1f} s" + (f"  {counts}" if counts else ""))
        if self._phase is not None:
            self._phase.ended = at
            self._phase.tasks += 1
            if mark == "✗":
                self._phase.failed += 1
                self.failed.append(task_id)
            if isinstance(self._returned, dict) and "received" in self._returned:
                self._phase.received += int(self._returned.get("received") or 0)
                self._phase.loaded += int(self._returned.get("loaded") or 0)

    def _enter(self, name: str, at: datetime) -> None:
        if self._phase is not None and self._phase.name == name:
            return
        self.close()
        self._phase = Phase(name, at, at)

    def close(self) -> None:
        """The line that ends the current phase (call once more when the log ends)."""
        self._close_task_log()
        phase, self._phase = self._phase, None
        if phase is None or (phase.tasks <= 1 and phase.name not in ("extract", "transform")):
            return
        seconds = (phase.ended - phase.started).total_seconds()
        text = f"── {phase.name}: {phase.tasks} tasks in {seconds:.1f} s"
        if phase.received:
            text += f", {phase.received:,} records received, {phase.loaded:,} loaded"
        if phase.failed:
            text += f", {phase.failed} failed"
        self.say(text)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
