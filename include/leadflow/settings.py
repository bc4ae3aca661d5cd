"""Where things live. Everything comes from the environment, with defaults for a checkout.

``LEADFLOW_WAREHOUSE``       the *published* DuckDB file BI tools read (marts only)
``LEADFLOW_WORK_WAREHOUSE``  the working DuckDB file the night writes (raw, staging, marts);
                             defaults to ``<published stem>.work.duckdb`` beside it
``LEADFLOW_REPORTS_DIR``     run summaries, GX data docs and the review packet
``LEADFLOW_HOME``            the project root (dbt_project/, expectations/)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Paths:
    home: Path
    warehouse: Path
    work_warehouse: Path
    reports: Path

    @property
    def dbt_project(self) -> Path:
        return self.home / "dbt_project"

    @property
    def expectations(self) -> Path:
        return self.home / "expectations"


def paths() -> Paths:
    home = Path(os.environ.get("LEADFLOW_HOME", PROJECT_ROOT)).resolve()
    warehouse = Path(os.environ.get("LEADFLOW_WAREHOUSE", home / "warehouse" / "leadflow.duckdb")).resolve()
    work = os.environ.get("LEADFLOW_WORK_WAREHOUSE")
    work_path = Path(work).resolve() if work else warehouse.with_name(f"{warehouse.stem}.work.duckdb")
    reports = Path(os.environ.get("LEADFLOW_REPORTS_DIR", warehouse.parent / "reports")).resolve()
    return Paths(home=home, warehouse=warehouse, work_warehouse=work_path, reports=reports)
