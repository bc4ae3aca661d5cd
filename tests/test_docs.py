"""The documentation a user opens from disk: dbt docs as one static file, read in a real browser
with no network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import headless_chromium, offline, screenshot
from leadflow import dbt_docs
from leadflow.settings import paths

pytestmark = pytest.mark.night


def test_dbt_docs_open_from_disk_with_models_and_catalog(night_copy: Path) -> None:
    docs = dbt_docs.build(paths())
    assert docs.parent == paths().reports
    with headless_chromium() as browser:
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        refused = offline(page)
        page.goto(f"{docs.as_uri()}#!/model/model.leadflow.fct_lead_lifecycle")
        page.get_by_text("fct_lead_lifecycle", exact=True).first.wait_for(timeout=20_000)
        page.get_by_text("One row per lead", exact=False).first.wait_for(timeout=20_000)
        text = page.inner_text("body")
        screenshot(page, "dbt-docs-fct_lead_lifecycle")
    assert refused == []
    assert "(loading)" not in text
    # the catalog of the work warehouse is in it: column types as the warehouse has them
    assert "lead_id" in text and "VARCHAR" in text and "TIMESTAMP" in text


def test_gx_validations_open_from_disk(night_copy: Path) -> None:
    """GX's own index is blank offline (it fetches its scripts from CDNs); the night's page of
    validations opens, lists every suite with its status, and links to each validation's page."""
    summary = json.loads((paths().reports / "last_run.json").read_text())
    assert summary["data_docs"].endswith("/gx/data_docs/tonight.html")
    failing_suites = {f["suite"] for f in summary["gx_failures"]}
    index = paths().reports / "gx" / "data_docs" / "tonight.html"  # the copy's, beside its reports
    with headless_chromium() as browser:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        refused = offline(page)
        page.goto(index.as_uri())
        refused_by_index = list(refused)
        rows = [r.split("\t") for r in page.locator("tbody tr").all_inner_texts()]
        screenshot(page, "gx-tonight")
        failed = {suite for suite, status, *_ in rows if status == "failed"}
        page.get_by_role("link", name=sorted(failing_suites)[0]).click()
        page.get_by_text("Expectation Validation Result").wait_for()
        validation = page.inner_text("body")
        screenshot(page, "gx-validation")
    assert failed == failing_suites and len(rows) > len(failed)
    assert "Evaluated Expectations" in validation and "Status: Failed" in validation
    assert refused_by_index == [], "the index needs nothing from the network"
