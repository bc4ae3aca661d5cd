"""The review packet: built from the published marts, read by a person in a real browser."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from conftest import headless_chromium, offline, screenshot
from leadflow.report.packet import build_published_packet

pytestmark = pytest.mark.night


@pytest.fixture
def packet(night_copy: Path) -> tuple[Path, Path]:
    return build_published_packet(), night_copy


def test_packet_has_the_review_sections_and_real_sample_ids(packet: tuple[Path, Path]) -> None:
    path, warehouse = packet
    assert path.name == "review-packet-2026-05.html"
    html = path.read_text(encoding="utf-8")
    for section in (
        "volumes",
        "acceptance",
        "rejections",
        "sla",
        "conversion",
        "evidence",
        "pipeline",
        "aging",
        "quality",
        "review-queue",
        "samples",
    ):
        assert f'<section id="{section}">' in html, section
    for pattern in (
        "High volume, low acceptance",
        "High acceptance, low opportunity creation",
        "Many duplicates",
        "Source unknown",
        "MQLs unworked past SLA",
    ):
        assert pattern in html
    assert len(re.findall(r'<img class="chart"[^>]*src="data:image/png;base64,', html)) >= 4
    sample_ids = set(re.findall(r'<td class="lead-id">(00Q\w+)</td>', html))
    assert len(sample_ids) >= 10
    with duckdb.connect(str(warehouse), read_only=True) as con:
        known = {i for (i,) in con.execute("select lead_id from marts.fct_lead_lifecycle").fetchall()}
    assert sample_ids <= known
    assert "@" not in re.sub(r"<style.*?</style>", "", html, flags=re.S), "no e-mail addresses in the packet"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        queue = dict(con.execute("select reason, count(*) from marts.mart_review_queue group by 1").fetchall())
        waiting = {i for (i,) in con.execute("select record_id from marts.mart_review_queue").fetchall()}
    assert queue, "the generated fixture has records waiting"
    for reason, records in queue.items():
        assert f"({reason})</h3>\n<p>{records} records wait;" in html, reason
    queued_ids = set(re.findall(r'<td class="record-id">(\w+)</td>', html))
    assert queued_ids and queued_ids <= waiting


def test_packet_renders_in_headless_chromium(packet: tuple[Path, Path]) -> None:
    path, _ = packet
    with headless_chromium() as browser:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        refused = offline(page)
        page.goto(path.as_uri())
        drawn = page.evaluate("""() => [...document.querySelectorAll('img.chart')]
                                      .map(img => img.complete && img.naturalWidth > 300 && img.naturalHeight > 100)""")
        shot = screenshot(page, "review-packet")
    assert refused == [], "the packet works offline"
    assert len(drawn) >= 4 and all(drawn)
    assert shot.stat().st_size > 50_000
