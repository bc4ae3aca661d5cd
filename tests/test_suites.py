"""The committed Great Expectations suites are exactly what ``make suites`` writes (fast lane)."""

from __future__ import annotations

import shutil
from pathlib import Path

from leadflow.quality.suites import init_context
from leadflow.settings import PROJECT_ROOT, paths


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "uncommitted" not in p.parts
    }


def test_make_suites_rewrites_nothing_that_is_committed(tmp_path: Path) -> None:
    copy = tmp_path / "expectations"
    shutil.copytree(PROJECT_ROOT / "expectations", copy, ignore=shutil.ignore_patterns("uncommitted"))
    init_context(copy, paths().control_registry, paths().dbt_manifest)
    assert _files(copy) == _files(PROJECT_ROOT / "expectations")
