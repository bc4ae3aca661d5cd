"""Where things live. Everything comes from the environment, with defaults for a checkout.

``LEADFLOW_DBT_TARGET``      ``duckdb`` (default: one machine, two DuckDB files) or ``postgres``
                             (scale-out: two PostgreSQL databases, no task needs a local file)
``LEADFLOW_WAREHOUSE``       the *published* DuckDB file BI tools read (marts only)
``LEADFLOW_WORK_WAREHOUSE``  the working DuckDB file the night writes (raw, staging, marts);
                             defaults to ``<published stem>.work.duckdb`` beside it
``LEADFLOW_PG_HOST``, ``LEADFLOW_PG_PORT``, ``LEADFLOW_PG_USER``, ``LEADFLOW_PG_PASSWORD``
                             the PostgreSQL warehouse server (dbt's profile reads the same ones)
``LEADFLOW_PG_DATABASE``     the work database the night writes (dbt's target)
``LEADFLOW_PG_PUBLISHED_DATABASE``  the published database BI tools read
``LEADFLOW_PG_READER_ROLE``  optional role granted read access to each newly published marts schema
``LEADFLOW_DUCKDB_MEMORY_LIMIT``  how much memory each DuckDB process of the night may hold
                             before it spills to disk (default ``2GB``; dbt's profile reads it
                             too; :mod:`leadflow.duckdb_settings`)
``LEADFLOW_LOCK_WAIT_SECONDS``  how long a writing step waits for another writer of the work
                             warehouse before failing with the holder's name (default 600)
``LEADFLOW_REPORTS_DIR``     run summaries, GX data docs and the review packet
``LEADFLOW_HOME``            the project root (dbt_project/, expectations/)
``LEADFLOW_ORG_CONFIG``      the org's configuration folder: CSV files that replace the shipped
                             policy seeds of the same name (:mod:`leadflow.org_config`)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leadflow.warehouse import Warehouse

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROFILE = "leadflow"  # in dbt_project/profiles.yml; its output is the warehouse's target


@dataclass(frozen=True)
class Paths:
    home: Path
    reports: Path
    warehouse: Warehouse  # the work and published warehouses (the engine's seam)

    @property
    def dbt_project(self) -> Path:
        return self.home / "dbt_project"

    @property
    def dbt_env(self) -> dict[str, str]:
        """The environment dbt runs with beyond the worker's: the warehouse's, the dbt that
        :func:`dbt_executable` runs, and neither unit tests, which test the models' code on fixed
        inputs that a night does not change (CI runs them: tests/test_dbt_project.py; at ten
        thousand leads they were a sixth of the build's thread time), nor exposures, which name
        the marts' readers and have nothing to run."""
        from leadflow import org_config

        return {
            **self.warehouse.dbt_env,
            **org_config.dbt_env(self.dbt_project),
            "LEADFLOW_DBT": _installed_dbt(),
            "DBT_EXCLUDE_RESOURCE_TYPES": "unit_test exposure",
        }

    def dbt(self, *args: str) -> subprocess.CompletedProcess[str]:
        """dbt run as the night runs it (:func:`dbt_executable`, this warehouse's environment, the
        profile and target named as Cosmos names them: dbt re-parses the whole project when they
        are named differently from the parse it has), its output captured."""
        profile = ["--profiles-dir", ".", "--profile", DBT_PROFILE, "--target", self.warehouse.target]
        return subprocess.run(
            [dbt_executable(), *args, *profile],
            cwd=self.dbt_project,
            env={**os.environ, **self.dbt_env, **dbt_started_here()},
            capture_output=True,
            text=True,
        )

    def dbt_parse(self) -> subprocess.CompletedProcess[str]:
        """dbt's parse of the project with this warehouse's profile: made at install (``leadflow
        parse``), it is the manifest the DAG renders from and the parse the first night reuses."""
        return self.dbt("parse", "--quiet")

    @property
    def expectations(self) -> Path:
        return self.home / "expectations"

    @property
    def control_registry(self) -> Path:
        """The data-quality controls, one row each: ``mart_data_quality`` and the GX hygiene suites
        are generated from it."""
        return self.dbt_project / "seeds" / "data_quality_controls.csv"

    @property
    def dbt_manifest(self) -> Path:
        """The project's manifest, built at install time (``make manifest``, the image's ``dbt parse``):
        DAG parsing reads it. In dbt's target folder (``DBT_TARGET_PATH``, default ``target``)."""
        return self.dbt_project / os.environ.get("DBT_TARGET_PATH", "target") / "manifest.json"

    @property
    def dbt_semantic_manifest(self) -> Path:
        """The semantic layer as dbt parsed it, beside :attr:`dbt_manifest` (the dashboards'
        datasets are made from it)."""
        return self.dbt_manifest.with_name("semantic_manifest.json")


def _installed_dbt() -> str:
    """The dbt installed beside this Python (the virtualenv's), else the one on PATH."""
    return shutil.which("dbt", path=str(Path(sys.executable).parent)) or shutil.which("dbt") or "dbt"


def dbt_executable() -> str:
    """What a night runs as dbt: ``dbt-bound``, which runs the installed dbt (``LEADFLOW_DBT`` in
    :attr:`Paths.dbt_env`) so that it dies with the process that started it (Linux)."""
    return str(Path(__file__).with_name("dbt-bound"))


def dbt_started_here() -> dict[str, str]:
    """The environment that names this process as the one starting :func:`dbt_executable`: the
    child's own ``$PPID`` is already another process when this one dies before the child's first
    line runs. In the environment of each process that starts dbt, as it starts it."""
    return {"LEADFLOW_DBT_PARENT": str(os.getpid())}


def paths() -> Paths:
    """Where things are, from the environment; an unknown ``LEADFLOW_DBT_TARGET`` is an error."""
    from leadflow.warehouse import from_environment

    home = Path(os.environ.get("LEADFLOW_HOME", PROJECT_ROOT)).resolve()
    warehouse = from_environment(home)
    reports = os.environ.get("LEADFLOW_REPORTS_DIR")
    return Paths(home, Path(reports).resolve() if reports else warehouse.default_reports(home), warehouse)
