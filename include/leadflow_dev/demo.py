"""``make demo``: a sandbox, one nightly run through Airflow, and a summary a person can read.

``make night`` is the same night without Airflow (the task bodies in the DAG's order, in this
process): the loop for developers and for most tests.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from leadflow import dbt_docs
from leadflow.org_config import ORG_CONFIG_ENV
from leadflow.report.packet import build_published_packet
from leadflow.settings import PROJECT_ROOT, paths
from leadflow.timefmt import parse_instant

from leadflow_dev import hubspot_render, sheet_render
from leadflow_dev.generator import generate
from leadflow_dev.progress import Progress
from leadflow_dev.sandbox.process import RunningSandbox, running_sandbox

NIGHTLY = "leadflow_nightly"
SUCCEEDED = re.compile(rf"DagRun Finished: dag_id={NIGHTLY}, .* state=success,")
DEMO_LEADS = 2000
DEMO_SEED = 7
DEMO_AS_OF = "2026-06-30T23:00:00Z"
SHEET_DEMO_NIGHTS = 3


def nightly_env(sandbox: RunningSandbox, warehouse: Path) -> dict[str, str]:
    """Environment of an ``airflow dags test`` run against a sandbox (connections by environment,
    for the systems its fixture holds)."""
    env = {**os.environ, "LEADFLOW_WAREHOUSE": str(warehouse)}
    # Cosmos runs dbt in a temporary copy of the project, whose target folder is its own: a
    # target path set for dbt runs in the project itself (a test worker's) would lead dbt out of
    # the copy, and the next night would start from a parse that names the gone copy's seeds
    env.pop("DBT_TARGET_PATH", None)
    for name, value in sandbox.connections_env().items():
        env.pop(name, None)
        if value is not None:
            env[name] = value
    return env


def run_nightly(
    env: dict[str, str],
    as_of: str,
    log_file: Path,
    say: Callable[[str], None] = print,
    when_succeeded: Callable[[], None] = lambda: None,
) -> int:
    """Run leadflow_nightly once with ``airflow dags test`` for the logical date ``as_of``: every
    line Airflow writes (at INFO) goes to ``log_file``; each task's start and end, and a line per
    phase, to ``say``. ``when_succeeded`` is called as soon as Airflow says the run succeeded:
    its process then still takes seconds to exit (the interpreter's last garbage collection of
    everything the in-process tasks loaded)."""
    airflow = str(Path(sys.executable).parent / "airflow")
    logical_date = parse_instant(as_of).isoformat()
    progress = Progress(say, task_logs=Path(env.get("AIRFLOW_HOME", PROJECT_ROOT / ".airflow")) / "logs")
    with (
        log_file.open("w") as log,
        subprocess.Popen(
            [airflow, "dags", "test", NIGHTLY, logical_date],
            env={**env, "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        ) as process,
    ):
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            progress.feed(line)
            if SUCCEEDED.search(line):
                when_succeeded()
        code = process.wait()
    progress.close()
    return code


def print_summary(summary_path: Path, log_file: Path, planted: bool = False) -> None:
    """The night's summary for a person; ``planted``: the demo's generated fixture, whose defects
    are made on purpose (each control has something to find)."""
    summary = json.loads(summary_path.read_text())
    print(f"\nLeadflow night as of {summary['as_of']}")
    print("Rows per published mart:")
    for name, count in summary["rows"].items():
        print(f"  {name:32s} {count:>8}")
    failing = summary["failing_controls"]
    print(f"Failing data-quality controls: {len(failing)} of {len(summary['controls'])}")
    if planted and failing:
        print(
            "  (the demo fixture is generated with these defects planted, so that every control has something\n"
            "   to find; on your own data each line is work for the control's owner, who is alerted)"
        )
    for control in failing:
        print(
            f"  {control['control_name']:34s} {control['failing_rate']:6.1%} > {control['threshold']:.1%}"
            f"  e.g. {control['sample_record_ids']}"
        )
    quarantined = summary.get("quarantined") or {}
    if quarantined:
        total = sum(quarantined.values())
        print(f"Records quarantined tonight (not loaded, fields nulled, or without their parent): {total}")
        for example in summary.get("quarantined_examples", []):
            print(f"  {example['object']:16s} {example['record_id'] or '(no id)':20s} {example['reason']}")
    print(f"Warehouse (published, BI reads this): {summary['warehouse']}")
    print(f"Work warehouse (raw, staging, marts): {summary['work_warehouse']}")
    print(f"Run summary: {summary_path}")
    print(f"Great Expectations data docs: {summary['data_docs']}")
    packet = summary.get("review_packet")
    if packet:
        print(f"Review packet: {packet}")
    if summary.get("dbt_docs"):
        print(f"dbt docs (every model and column, lineage; opens from disk): {summary['dbt_docs']}")
    print(f"Airflow log: {log_file} (the run, task by task, in Airflow's UI: make airflow)")
    print(f"Dashboards (Superset, on this warehouse): make superset WAREHOUSE={summary['warehouse']}")


def demo_fixture(crm: str = "salesforce") -> Path:
    """The demo's generated world (made once, under ``demo/``) as ``crm`` renders it: Salesforce +
    Marketo, or a HubSpot portal (with its ``org_config/``)."""
    fixtures = PROJECT_ROOT / "demo" / "fixtures"
    if not (fixtures / "manifest.json").exists():
        print(f"Generating a demo fixture ({DEMO_LEADS} leads, seed {DEMO_SEED}) in {fixtures}")
        generate(fixtures, DEMO_LEADS, DEMO_SEED, DEMO_AS_OF)
    if crm == "salesforce":
        return fixtures
    renderers = {"hubspot": ("a HubSpot portal", hubspot_render), "sheet": ("a lead sheet", sheet_render)}
    if crm not in renderers:
        raise ValueError(f"CRM={crm}: the demo renders salesforce, {' or '.join(renderers)}")
    what, renderer = renderers[crm]
    rendered = PROJECT_ROOT / "demo" / f"fixtures-{crm}"
    if not (rendered / "manifest.json").exists():
        print(f"Rendering the demo world as {what} in {rendered}")
        world = PROJECT_ROOT / "demo" / f"fixtures-{crm}-world"
        shutil.rmtree(world, ignore_errors=True)
        renderer.expressible(fixtures, world)
        renderer.render(world, rendered)
        shutil.rmtree(world)
    return rendered


def earlier_nights(fixtures: Path, as_of: str) -> list[str]:
    """The nights a demo runs before ``as_of``: for a lead sheet, whose history is its nightly
    reads, the two before it (so snapshots accumulate); none for a CRM, which keeps its own."""
    if not (fixtures / "sheet").is_dir():
        return []
    night = parse_instant(as_of)
    return [(night - timedelta(days=days)).isoformat() for days in range(SHEET_DEMO_NIGHTS - 1, 0, -1)]


class ClockBeforeAsOf(ValueError):
    """A sandbox clock earlier than the night's as-of: no source is read before its night ends."""


@contextmanager
def sandboxed_night(
    fixtures: Path | None,
    warehouse: Path,
    as_of: str | None,
    sandbox_clock: str | None = None,
    org_config: Path | None = None,
) -> Iterator[tuple[dict, str, Path]]:
    """A sandbox serving ``fixtures`` (a generated demo fixture by default) at ``sandbox_clock``
    (default: the as-of; a later clock rehearses a late night, a retry or a backfill: the source
    has moved on since the as-of); yields the night's environment (connections to the sandbox,
    warehouse, reports, the org's configuration folder: ``org_config``, else the fixture's own
    ``org_config/`` if it has one), its as-of and reports dir."""
    warehouse = warehouse.resolve()
    reports = Path(os.environ.get("LEADFLOW_REPORTS_DIR", warehouse.parent / "reports")).resolve()
    reports.mkdir(parents=True, exist_ok=True)
    fixtures = fixtures or demo_fixture()
    as_of = as_of or json.loads((fixtures / "manifest.json").read_text())["as_of"]
    sandbox_clock = sandbox_clock or as_of
    if parse_instant(sandbox_clock) < parse_instant(as_of):
        raise ClockBeforeAsOf(f"SANDBOX_CLOCK {sandbox_clock} is before AS_OF {as_of}: a night reads after its as-of")
    with running_sandbox(
        fixtures, PROJECT_ROOT / ".airflow" / "sandbox-tls", as_of=sandbox_clock, log_file=reports / "sandbox.log"
    ) as sandbox:
        env = nightly_env(sandbox, warehouse)
        env["LEADFLOW_REPORTS_DIR"] = str(reports)
        org_config = org_config or (fixtures / "org_config" if (fixtures / "org_config").is_dir() else None)
        if org_config:
            print(f"The org's configuration: {org_config}")
            env[ORG_CONFIG_ENV] = str(org_config.resolve())
        yield env, as_of, reports


@contextmanager
def only_demo_on_this_checkout() -> Iterator[None]:
    """``make demo`` runs Airflow from this checkout's metadata database (.airflow/): a second one
    at the same time would collide in it, so it is refused, saying who runs."""
    lock = PROJECT_ROOT / ".airflow" / "demo.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise DemoRunning(f"another make demo is running on this checkout ({handle.read().strip()})") from None
        handle.truncate(0)
        handle.write(f"pid {os.getpid()}, since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
        handle.flush()
        yield


class DemoRunning(RuntimeError):
    """Another ``make demo`` holds this checkout."""


def run_demo(
    fixtures: Path | None,
    warehouse: Path,
    as_of: str | None,
    sandbox_clock: str | None = None,
    org_config: Path | None = None,
) -> int:
    try:
        with only_demo_on_this_checkout():
            world = fixtures or demo_fixture()
            as_of = as_of or json.loads((world / "manifest.json").read_text())["as_of"]
            for earlier in earlier_nights(world, as_of):
                code = _run_demo(fixtures, warehouse, earlier, earlier, org_config, reports_too=False)
                if code != 0:
                    return code
            return _run_demo(fixtures, warehouse, as_of, sandbox_clock, org_config)
    except DemoRunning as busy:
        print(f"{busy}; wait for it to finish, or stop it", file=sys.stderr)
        return 1
    except ClockBeforeAsOf as refused:
        print(refused, file=sys.stderr)
        return 1


def _run_demo(
    fixtures: Path | None,
    warehouse: Path,
    as_of: str | None,
    sandbox_clock: str | None,
    org_config: Path | None,
    reports_too: bool = True,
) -> int:
    """One night through Airflow; with ``reports_too``, the review packet and dbt docs after it
    and the summary for a person (else one line)."""
    with (
        sandboxed_night(fixtures, warehouse, as_of, sandbox_clock, org_config) as (env, as_of, reports),
        environment(env),
        ThreadPoolExecutor(max_workers=2) as beside,
    ):
        # under a scheduler the leadflow_review_packet DAG runs on the published-marts Asset;
        # `airflow dags test` runs one DAG, so the demo builds the packet itself, from the
        # published file, while dbt documents the work warehouse (two files, no shared lock)
        built: dict[str, Future[Path]] = {}

        def build_reports() -> None:
            if reports_too:
                built["review_packet"] = beside.submit(build_published_packet)
                built["dbt_docs"] = beside.submit(dbt_docs.build, paths())

        log_file = reports / "airflow-dags-test.log"
        clock = sandbox_clock or as_of
        print(f"Sandbox clock {clock}, night as of {as_of}; running leadflow_nightly (log: {log_file})")
        quiet = not reports_too  # an earlier night of several says only how it ended
        code = run_nightly(env, as_of, log_file, say=(lambda _: None) if quiet else print, when_succeeded=build_reports)
        if code != 0:
            print(f"leadflow_nightly failed (exit {code}); the end of its log:", file=sys.stderr)
            print("\n".join(log_file.read_text().splitlines()[-40:]), file=sys.stderr)
            return code
        if not built:  # a run that succeeded without the line SUCCEEDED looks for
            build_reports()
        summary_path = reports / "last_run.json"
        summary = json.loads(summary_path.read_text())
        summary.update({name: str(report.result()) for name, report in built.items()})
    summary_path.write_text(json.dumps(summary, indent=2))
    if not reports_too:
        print(f"Night as of {as_of}: {summary['status']}")
        return 0
    print_summary(summary_path, log_file, planted=fixtures is None)
    return 0


def run_night(
    fixtures: Path | None,
    warehouse: Path,
    as_of: str | None,
    sandbox_clock: str | None = None,
    run_id: str = "make-night",
    org_config: Path | None = None,
) -> Path:
    """One night without Airflow against a sandbox; the run summary's path."""
    from leadflow import nightly

    with sandboxed_night(fixtures, warehouse, as_of, sandbox_clock, org_config) as (env, as_of, _), environment(env):
        return nightly.run(parse_instant(as_of), run_id)


@contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    """This process's environment replaced by ``env`` (what :func:`leadflow.settings.paths` reads)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
