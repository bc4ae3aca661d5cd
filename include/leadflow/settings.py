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
                             before it spills to disk (default ``2GB``; dbt's profile reads it too)
``LEADFLOW_REPORTS_DIR``     run summaries, GX data docs and the review packet
``LEADFLOW_HOME``            the project root (dbt_project/, expectations/)
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from leadflow.postgres import PostgresDatabase

PROJECT_ROOT = Path(__file__).resolve().parents[2]

Location = Path | PostgresDatabase


@dataclass(frozen=True)
class Paths:
    home: Path
    warehouse: Location
    work_warehouse: Location
    reports: Path
    reader_role: str | None = None

    @property
    def dbt_project(self) -> Path:
        return self.home / "dbt_project"

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
        DAG parsing reads it."""
        return self.dbt_project / "target" / "manifest.json"

    @property
    def dbt_target(self) -> str:
        return "postgres" if isinstance(self.work_warehouse, PostgresDatabase) else "duckdb"

    @property
    def dbt_env(self) -> dict[str, str]:
        """What dbt's profile needs beyond the environment the worker already has."""
        return {"LEADFLOW_WORK_WAREHOUSE": str(self.work_warehouse)} if self.dbt_target == "duckdb" else {}


def duckdb_config() -> dict[str, str]:
    """Settings of every DuckDB connection the night opens on its warehouse files."""
    return {"memory_limit": os.environ.get("LEADFLOW_DUCKDB_MEMORY_LIMIT", "2GB")}


def dbt_executable() -> str:
    """The dbt installed beside this Python (the virtualenv's), else the one on PATH."""
    return shutil.which("dbt", path=str(Path(sys.executable).parent)) or shutil.which("dbt") or "dbt"


def _postgres(dbname: str) -> PostgresDatabase:
    return PostgresDatabase(
        host=os.environ.get("LEADFLOW_PG_HOST", "127.0.0.1"),
        port=int(os.environ.get("LEADFLOW_PG_PORT", "5432")),
        user=os.environ.get("LEADFLOW_PG_USER", "postgres"),
        password=os.environ.get("LEADFLOW_PG_PASSWORD", ""),
        dbname=dbname,
    )


def paths() -> Paths:
    home = Path(os.environ.get("LEADFLOW_HOME", PROJECT_ROOT)).resolve()
    if os.environ.get("LEADFLOW_DBT_TARGET", "duckdb") == "postgres":
        reports = Path(os.environ.get("LEADFLOW_REPORTS_DIR", home / "warehouse" / "reports")).resolve()
        return Paths(
            home=home,
            warehouse=_postgres(os.environ.get("LEADFLOW_PG_PUBLISHED_DATABASE", "leadflow")),
            work_warehouse=_postgres(os.environ.get("LEADFLOW_PG_DATABASE", "leadflow_work")),
            reports=reports,
            reader_role=os.environ.get("LEADFLOW_PG_READER_ROLE") or None,
        )
    warehouse = Path(os.environ.get("LEADFLOW_WAREHOUSE", home / "warehouse" / "leadflow.duckdb")).resolve()
    work = os.environ.get("LEADFLOW_WORK_WAREHOUSE")
    work_path = Path(work).resolve() if work else warehouse.with_name(f"{warehouse.stem}.work.duckdb")
    reports = Path(os.environ.get("LEADFLOW_REPORTS_DIR", warehouse.parent / "reports")).resolve()
    return Paths(home=home, warehouse=warehouse, work_warehouse=work_path, reports=reports)
