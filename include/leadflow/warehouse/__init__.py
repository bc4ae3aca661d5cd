"""The warehouse seam: where the night writes, where BI reads, and how one becomes the other.

Two implementations of :class:`~leadflow.warehouse.base.Warehouse`, chosen once from the
environment by ``LEADFLOW_DBT_TARGET`` (the dbt target of the same name): ``duckdb``
(:mod:`.duckdb`: one machine, two DuckDB files) and ``postgres`` (:mod:`.postgres`: the
scale-out shape, two PostgreSQL databases). Each imports the interface from :mod:`.base`; this
package imports an implementation only when one is asked for.
"""

from __future__ import annotations

import os
from pathlib import Path

from leadflow.warehouse.base import MARTS, UnknownTarget, Warehouse, WarehouseBusy, lock_wait_seconds

__all__ = ["MARTS", "UnknownTarget", "Warehouse", "WarehouseBusy", "from_environment", "lock_wait_seconds"]


def from_environment(home: Path) -> Warehouse:
    """The warehouse ``LEADFLOW_DBT_TARGET`` names (default ``duckdb``); an unknown name is an error."""
    target = os.environ.get("LEADFLOW_DBT_TARGET", "duckdb")
    if target == "duckdb":
        from leadflow.warehouse.duckdb import DuckDBWarehouse

        return DuckDBWarehouse.from_environment(home)
    if target == "postgres":
        from leadflow.warehouse.postgres import PostgresWarehouse

        return PostgresWarehouse.from_environment()
    raise UnknownTarget(f"LEADFLOW_DBT_TARGET={target!r}: expected 'duckdb' or 'postgres'")
