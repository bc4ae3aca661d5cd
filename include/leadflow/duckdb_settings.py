"""Settings of every DuckDB connection the night opens (its warehouse files, bulk chunk checks).

``LEADFLOW_DUCKDB_MEMORY_LIMIT``: how much memory each may hold before it spills to disk (default
``2GB``; dbt's profile reads the same variable). A leaf module: the raw layer, the warehouses and
the extractors all open DuckDB connections, and none of them may import another for it.
"""

from __future__ import annotations

import os


def duckdb_config() -> dict[str, str]:
    return {"memory_limit": os.environ.get("LEADFLOW_DUCKDB_MEMORY_LIMIT", "2GB")}
