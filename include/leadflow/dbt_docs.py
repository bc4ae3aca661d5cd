"""dbt's documentation site as one HTML file that opens from disk (``dbt docs generate --static``):
every model's description, columns, tests, lineage and the work warehouse's catalog. ``make docs``
and ``make demo`` write it beside the run summary, as ``dbt-docs.html``.

``target/index.html`` needs a web server (it fetches ``manifest.json`` and ``catalog.json``); the
static file carries both. It is built in a target directory of its own, so the manifest the DAG
parses from is not touched; that directory starts with the install-time parse (``leadflow
parse``), which dbt reuses when it was made with this warehouse's profile (about 3 s of 9 here).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from leadflow.settings import Paths


class DocsError(RuntimeError):
    pass


def build(where: Paths) -> Path:
    """Generate the static docs against ``where``'s work warehouse; the file's path."""
    where.reports.mkdir(parents=True, exist_ok=True)
    target = where.reports / "dbt-docs.html"
    with tempfile.TemporaryDirectory(prefix="leadflow-docs-") as out, where.warehouse.writer("dbt docs generate"):
        parsed = where.dbt_manifest.with_name("partial_parse.msgpack")
        if parsed.exists():
            shutil.copyfile(parsed, Path(out) / parsed.name)
        result = where.dbt("docs", "generate", "--static", "--target-path", out)
        if result.returncode != 0:
            raise DocsError(f"dbt docs generate failed (exit {result.returncode}):\n{result.stdout[-4000:]}")
        shutil.copyfile(Path(out) / "static_index.html", target)
    return target
