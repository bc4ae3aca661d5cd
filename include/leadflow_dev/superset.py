"""A local Superset with Leadflow's dashboards on a warehouse (``make superset``, the tests).

Superset lives in its own venv (``.venv/superset``, ``requirements-superset.txt``) and keeps its
metadata under a home folder (``SUPERSET_HOME``, default ``.superset/`` in the checkout). Preparing
a home creates its metadata database and a local admin once, then imports the bundle that
``leadflow superset-bundle`` builds (datasets made from the dbt semantic layer, the dashboards
of ``bi/superset``) again each time, so the dashboards follow the checkout.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from leadflow.settings import PROJECT_ROOT

SUPERSET_BIN = PROJECT_ROOT / ".venv" / "superset" / "bin"
CONFIG = PROJECT_ROOT / "bi" / "superset" / "superset_config.py"
LOCAL_ADMIN = ("admin", "admin")  # a local tool's login, printed where it starts; never deployed


def dashboards() -> dict[str, dict[str, Any]]:
    """The dashboards ``bi/superset`` ships, by slug (their export YAML: title, layout, ...)."""
    found = (yaml.safe_load(path.read_text()) for path in sorted((CONFIG.parent / "dashboards").glob("*.yaml")))
    return {dashboard["slug"]: dashboard for dashboard in found}


def charts_on(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """The charts a dashboard's layout places (their export YAML: name, viz_type, params, ...)."""
    charts = (yaml.safe_load(path.read_text()) for path in (CONFIG.parent / "charts").glob("*.yaml"))
    by_uuid = {chart["uuid"]: chart for chart in charts}
    placed = (node for node in dashboard["position"].values() if isinstance(node, dict) and node["type"] == "CHART")
    return [by_uuid[node["meta"]["uuid"]] for node in placed]


class SupersetError(RuntimeError):
    pass


def environment(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SUPERSET_HOME": str(home),
        "SUPERSET_CONFIG_PATH": str(CONFIG),
        "FLASK_APP": "superset",
        "PYTHONWARNINGS": "ignore",
    }


def _superset(home: Path, *args: str) -> None:
    result = subprocess.run(
        [str(SUPERSET_BIN / "superset"), *args], env=environment(home), capture_output=True, text=True
    )
    # import-* log a failure and exit 1; the others raise: either way the output says why.
    if result.returncode != 0:
        raise SupersetError(f"superset {args[0]} failed (exit {result.returncode}):\n{result.stderr[-4000:]}")


def prepare(home: Path, bundle: Path) -> None:
    """Metadata and a local admin (first time only), then the bundle's database, datasets, charts
    and dashboards imported over what the home had."""
    if not (SUPERSET_BIN / "superset").exists():
        raise SupersetError(f"no Superset at {SUPERSET_BIN} (make superset installs it)")
    home.mkdir(parents=True, exist_ok=True)
    initialised = home / ".initialised"
    if not initialised.exists():
        _superset(home, "db", "upgrade")
        user, password = LOCAL_ADMIN
        _superset(home, "fab", "create-admin", "--username", user, "--password", password,
                  "--firstname", "Local", "--lastname", "Admin", "--email", "admin@localhost")  # fmt: skip
        _superset(home, "init")
        initialised.touch()
    user = LOCAL_ADMIN[0]
    _superset(home, "import-datasources", "-p", str(bundle), "-u", user)  # overwrites the datasets
    _superset(home, "import-dashboards", "-p", str(bundle), "-u", user)


def server(port: int) -> list[str]:
    """The command that serves a home's Superset on ``port`` (Flask's server, threaded; run it
    with :func:`environment`)."""
    return [str(SUPERSET_BIN / "superset"), "run", "--host", "127.0.0.1", "--port", str(port), "--with-threads"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("SUPERSET_HOME", PROJECT_ROOT / ".superset")))
    parser.add_argument("--port", type=int, default=8088)
    args = parser.parse_args(argv)
    home = args.home.resolve()
    bundle = home / "leadflow-bundle.zip"
    home.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "leadflow.cli", "superset-bundle", "--out", str(bundle)], check=True)
    prepare(home, bundle)
    user, password = LOCAL_ADMIN
    print(f"Superset: http://127.0.0.1:{args.port}/ (user {user}, password {password}; Ctrl-C stops it)")
    for slug, dashboard in dashboards().items():
        print(f"  {dashboard['dashboard_title']}: http://127.0.0.1:{args.port}/superset/dashboard/{slug}/")
    command = server(args.port)
    os.execve(command[0], command, environment(home))
    return 0


if __name__ == "__main__":
    sys.exit(main())
