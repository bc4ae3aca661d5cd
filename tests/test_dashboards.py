"""The Superset dashboards (``bi/superset``): a bundle whose datasets are the dbt semantic layer's,
imported into a real Superset on a built night and read in headless Chromium with the network
refused, each number on screen equal to the marts'."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import zipfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests
import yaml
from conftest import headless_chromium, screenshot
from leadflow import superset_bundle
from leadflow.cli import main as leadflow_cli
from leadflow.settings import PROJECT_ROOT, paths
from leadflow_dev import superset
from leadflow_dev.sandbox.process import free_port

ASSETS = PROJECT_ROOT / "bi" / "superset"


def _manifests() -> tuple[Path, Path]:
    return paths().dbt_manifest, paths().dbt_semantic_manifest


def test_every_semantic_layer_metric_is_a_superset_metric_of_sums() -> None:
    manifest, semantic = _manifests()
    made = superset_bundle.datasets(json.loads(manifest.read_text()), json.loads(semantic.read_text()))
    defined = json.loads(semantic.read_text())
    metrics = {m["metric_name"]: m for dataset in made for m in dataset["metrics"]}
    assert set(metrics) == {metric["name"] for metric in defined["metrics"]}
    for metric in defined["metrics"]:
        if metric["type"] == "ratio":  # a ratio of two aggregates, never an average of rates
            assert re.fullmatch(
                r"CAST\((SUM|COUNT)\(.+\) AS DOUBLE\) / NULLIF\((SUM|COUNT)\(.+\), 0\)",
                metrics[metric["name"]]["expression"],
            )
    sla = next(dataset for dataset in made if dataset["table_name"] == "sla_outcomes")
    assert "left join marts.dim_owners as owner" in sla["sql"]  # its foreign entity, joined for the team
    assert {"owner__owner_team", "owner__owner_name"} <= {c["column_name"] for c in sla["columns"]}


def test_a_chart_on_a_metric_the_semantic_layer_lacks_is_refused(tmp_path: Path) -> None:
    shutil.copytree(ASSETS, tmp_path / "assets")
    chart_file = tmp_path / "assets" / "charts" / "funnel_mqls.yaml"
    chart = yaml.safe_load(chart_file.read_text())
    chart["params"]["metric"] = "average_mql_rate"
    chart_file.write_text(yaml.safe_dump(chart))
    manifest, semantic = _manifests()
    with pytest.raises(superset_bundle.BundleError, match="no metric average_mql_rate"):
        superset_bundle.build(tmp_path / "assets", manifest, semantic, "duckdb:///x.duckdb")


def test_a_chart_on_a_column_the_semantic_layer_lacks_is_refused(tmp_path: Path) -> None:
    shutil.copytree(ASSETS, tmp_path / "assets")
    chart_file = tmp_path / "assets" / "charts" / "funnel_conversion_by_month.yaml"
    chart = yaml.safe_load(chart_file.read_text())
    chart["params"]["adhoc_filters"][0]["subject"] = "is_month_mature"
    chart_file.write_text(yaml.safe_dump(chart))
    manifest, semantic = _manifests()
    with pytest.raises(superset_bundle.BundleError, match="no column is_month_mature"):
        superset_bundle.build(tmp_path / "assets", manifest, semantic, "duckdb:///x.duckdb")


def test_every_dashboard_is_an_exposure_naming_the_metrics_it_shows() -> None:
    """dbt's lineage knows each dashboard and what it reads: an exposure per dashboard (by its
    URL's slug) that depends on every metric the dashboard's charts show."""
    manifest = json.loads(_manifests()[0].read_text())
    exposures = {e["url"].rstrip("/").rsplit("/", 1)[-1]: e for e in manifest["exposures"].values() if e.get("url")}
    for slug, layout in superset.dashboards().items():
        shown = set()
        for chart in superset.charts_on(layout):
            shown |= {m for m in [chart["params"].get("metric"), *(chart["params"].get("metrics") or [])] if m}
        assert slug in exposures, f"no exposure for dashboard {slug}"
        nodes = exposures[slug]["depends_on"]["nodes"]
        named = {node.rsplit(".", 1)[-1] for node in nodes if node.startswith("metric.")}
        assert shown <= named, f"{slug}: exposure lacks {shown - named}"


def _expected(published: Path) -> dict[str, Any]:
    """What the dashboards must show, computed from the marts (not from the semantic layer)."""
    with duckdb.connect(str(published), read_only=True) as con:

        def one(sql: str) -> Any:
            return con.execute(sql).fetchall()[0]

        leads, mqls, reaching, sqls, with_opportunity = one(
            """select sum(leads), sum(mqls), sum(mqls_reaching_sql), sum(sqls), sum(sqls_with_opportunity)
               from marts.mart_stage_conversion"""
        )
        first_met, first_judged, decision_met, decision_judged = one(
            """select sum(first_touch_met), sum(first_touch_met + first_touch_breached),
                      sum(decision_met), sum(decision_met + decision_breached) from marts.mart_sla_compliance"""
        )
        teams = con.execute(
            """select o.owner_team, sum(s.first_touch_met + s.first_touch_breached),
                      sum(s.first_touch_met) / nullif(sum(s.first_touch_met + s.first_touch_breached), 0)
               from marts.mart_sla_compliance as s join marts.dim_owners as o on o.owner_id = s.routed_owner_id
               group by 1"""
        ).fetchall()
        cells = con.execute(
            "select original_source, segment, sum(leads), sum(mqls) from marts.mart_stage_conversion group by all"
        ).fetchall()
        controls = con.execute("select control_name, status from marts.mart_data_quality").fetchall()
    return {
        "Leads": f"{int(leads):,}",
        "MQLs": f"{int(mqls):,}",
        "MQL to SQL": f"{reaching / mqls:.1%}",
        "SQL to opportunity": f"{with_opportunity / sqls:.1%}",
        "First touch SLA % met": f"{first_met / first_judged:.1%}",
        "Decision SLA % met": f"{decision_met / decision_judged:.1%}",
        "Failing controls tonight": str(sum(status == "fail" for _, status in controls)),
        "Controls evaluated": str(len(controls)),
        "teams": {
            team: (f"{int(judged):,}", "N/A" if rate is None else f"{rate:.1%}") for team, judged, rate in teams if team
        },
        "cells": {(source, segment): (f"{int(n):,}", f"{int(m):,}") for source, segment, n, m in cells},
        "controls": {name for name, _ in controls},
    }


def _shown(read: Callable[[], Any], want: Any, seconds: float = 120) -> Any:
    """What the page shows once it equals ``want``, or what it shows after ``seconds``.

    Superset draws each chart after its query returns and may draw a table twice (to size its
    columns), so a single read can catch a chart half drawn; the caller asserts on the result."""
    deadline = time.monotonic() + seconds
    while (seen := read()) != want and time.monotonic() < deadline:
        time.sleep(0.5)
    return seen


def _big_numbers(page: Any) -> dict[str, str]:
    numbers = {}
    for chart in page.locator("[data-test-viz-type=big_number_total]").all():
        name = chart.get_attribute("data-test-chart-name")
        numbers[name] = chart.inner_text().replace(name, "").strip()
    return numbers


def _table(page: Any, chart: str) -> list[list[str]]:
    rows = page.locator(f'[data-test-chart-name="{chart}"] table tbody tr')
    return [[cell.strip() for cell in row.locator("td").all_inner_texts()] for row in rows.all()]


def _funnel_cells(page: Any) -> dict[tuple[str, str], tuple[str, str]]:
    return {(r[0], r[1]): (r[2], r[3]) for r in _table(page, "Funnel by original source and segment")}


def _sla_teams(page: Any) -> dict[str, tuple[str, str]]:
    return {r[0]: (r[1], r[2]) for r in _table(page, "SLA % met by team")}


def _control_names(page: Any) -> set[str]:
    return {r[0] for r in _table(page, "Tonight's controls")}


# Per dashboard, its table read off the page and the key of _expected it must equal.
TABLES: dict[str, tuple[Callable[[Any], Any], str]] = {
    "lead-funnel": (_funnel_cells, "cells"),
    "sla-compliance": (_sla_teams, "teams"),
    "data-quality": (_control_names, "controls"),
}


@pytest.mark.night
def test_dashboards_show_the_nights_numbers_offline(night_copy: Path, tmp_path: Path) -> None:
    bundle, home = tmp_path / "bundle.zip", tmp_path / "superset-home"
    assert leadflow_cli(["superset-bundle", "--out", str(bundle)]) == 0
    with zipfile.ZipFile(bundle) as opened:
        database = yaml.safe_load(opened.read("leadflow_superset/databases/Leadflow.yaml"))
    assert database["sqlalchemy_uri"] == f"duckdb:///{night_copy.resolve()}?access_mode=read_only"
    superset.prepare(home, bundle)
    port = free_port()
    log = (tmp_path / "superset.log").open("wb")
    server = subprocess.Popen(superset.server(port), env=superset.environment(home), stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if requests.get(f"{base}/health", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "superset.log").read_text()[
                -3000:
            ]
            time.sleep(1)
        expected = _expected(night_copy)
        with headless_chromium() as browser:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            refused: list[str] = []

            def route(request_route: Any) -> None:  # Superset's own server only: no network
                if request_route.request.url.startswith((base, "data:", "blob:")):
                    request_route.continue_()
                else:
                    refused.append(request_route.request.url)
                    request_route.abort()

            page.route("**/*", route)
            user, password = superset.LOCAL_ADMIN
            page.goto(f"{base}/login/")
            page.fill("#username", user)
            page.fill("#password", password)
            page.click("[type=submit]")
            page.wait_for_load_state("networkidle")
            for slug, layout in superset.dashboards().items():
                page.goto(f"{base}/superset/dashboard/{slug}/?standalone=1")
                charts = superset.charts_on(layout)
                big = {
                    c["slice_name"]: expected[c["slice_name"]] for c in charts if c["viz_type"] == "big_number_total"
                }
                assert _shown(partial(_big_numbers, page), big) == big, slug
                read_table, key = TABLES[slug]
                assert _shown(partial(read_table, page), expected[key]) == expected[key], key
                loading = page.locator("[data-test-chart-name] .loading")
                assert _shown(loading.count, 0) == 0, slug
                assert page.locator("[data-test-chart-name]").count() == len(charts), slug
                screenshot(page, f"superset-{slug}")
                body = page.inner_text("body")
                assert layout["dashboard_title"] in body
                assert "Data error" not in body and "Unexpected error" not in body, body[:3000]
        # Superset's front end asks for nothing off the machine but its telemetry pixel (refused here).
        assert all("scarf.sh" in url for url in refused), refused
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
