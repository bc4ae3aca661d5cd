"""Start and stop the sandbox as a local HTTPS server process (demo and tests)."""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests


@dataclass(frozen=True)
class RunningSandbox:
    url: str
    ca_file: Path
    client_id: str
    client_secret: str
    pid: int | None = None
    history_start: str | None = None  # the fixture's first instant: where a first Marketo export starts
    systems: tuple[str, ...] = ("salesforce", "marketo")  # the source systems the fixture holds

    def airflow_connection(self, **extra: object) -> str:
        """An Airflow connection (JSON form) pointing a client at this sandbox (``extra``: more
        connection options, e.g. ``bulk_threshold``)."""
        return json.dumps(
            {
                "conn_type": "http",
                "host": self.url,
                "login": self.client_id,
                "password": self.client_secret,
                "extra": {
                    "verify": str(self.ca_file),
                    **({"history_start": self.history_start} if self.history_start else {}),
                    **extra,
                },
            }
        )

    def connections_env(self) -> dict[str, str | None]:
        """Airflow connections (by environment) to this sandbox for the systems its fixture holds,
        None for the others (to be unset): a night skips them, as a real org's night skips a
        system it does not use."""
        from leadflow.sources import SYSTEMS

        return {
            f"AIRFLOW_CONN_{system.connection_id.upper()}": self.sheet_connection()
            if system.name == "sheet" and "sheet" in self.systems
            else self.airflow_connection()
            if system.name in self.systems
            else None
            for system in SYSTEMS
        }

    def sheet_connection(self) -> str:
        """The lead sheet's connection: the sandbox as the Sheets API, its spreadsheet, and the
        service account key it wrote (the password, as a real key is)."""
        from leadflow_dev.sandbox.sheets import KEY_FILE, SPREADSHEET_ID

        key = (self.ca_file.parent / KEY_FILE).read_text(encoding="utf-8")
        extra = {"verify": str(self.ca_file), "spreadsheet_id": SPREADSHEET_ID}
        return json.dumps({"conn_type": "http", "host": self.url, "password": key, "extra": extra})

    def admin(self, path: str, body: dict | None = None) -> dict:
        response = requests.request(
            "POST" if body is not None else "GET",
            f"{self.url}/__sandbox/{path}",
            json=body,
            verify=str(self.ca_file),
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def set_clock(self, as_of: str) -> None:
        self.admin("clock", {"as_of": as_of})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_sandbox(
    fixtures: Path,
    tls_dir: Path,
    as_of: str | None = None,
    faults: str | None = None,
    seed: int = 0,
    page_size: int = 2000,
    log_file: Path | None = None,
    start_seconds: float = 120,
) -> Iterator[RunningSandbox]:
    """The sandbox serving ``fixtures`` in a process of its own, until the block ends. It is up
    once it answers; loading a large fixture takes a while (``start_seconds``: a million leads,
    minutes), and a sandbox that exits instead is an error naming its log."""
    port = free_port()
    secret = secrets.token_urlsafe(16)
    command = [
        sys.executable,
        "-m",
        "leadflow_dev.cli",
        "sandbox",
        "serve",
        "--fixtures",
        str(fixtures),
        "--port",
        str(port),
        "--tls-dir",
        str(tls_dir),
        "--seed",
        str(seed),
        "--page-size",
        str(page_size),
    ]
    if as_of:
        command += ["--as-of", as_of]
    if faults:
        command += ["--faults", faults]
    env = {**os.environ, "LEADFLOW_SANDBOX_CLIENT_SECRET": secret}
    log_file = log_file or tls_dir / "sandbox.log"  # a failed start points at it
    log_file.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_file, "ab")  # noqa: SIM115
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    from leadflow.sources import SYSTEMS

    held = tuple(system.name for system in SYSTEMS if (fixtures / system.name).is_dir())
    url = f"https://127.0.0.1:{port}"
    sandbox = RunningSandbox(url, tls_dir / "ca.pem", "leadflow", secret, process.pid, systems=held)
    try:
        deadline = time.monotonic() + start_seconds
        while True:
            if process.poll() is not None:
                log.flush()
                tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-8:])
                raise RuntimeError(
                    f"sandbox exited with {process.returncode} before it was ready; {log_file} ends:\n{tail}"
                )
            try:
                health = sandbox.admin("health")
                sandbox = dataclasses.replace(sandbox, history_start=health.get("history_start"))
                break
            except (requests.ConnectionError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"sandbox did not start within {start_seconds:.0f} s; see {log_file}") from None
                time.sleep(0.2)
        yield sandbox
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
