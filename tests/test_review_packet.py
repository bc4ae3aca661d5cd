"""The review packet: built from the published marts, read by a person in a real browser, its
numbers equal to the marts'."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import cohort_maturity_days, headless_chromium, offline, screenshot
from leadflow.report.actions import ActionsFileError, read_actions
from leadflow.report.packet import build_published_packet

pytestmark = pytest.mark.night

MONTH = ("2026-05-01", "2026-06-01")  # the session night's as-of is 2026-06-30: it reviews May
AS_OF = date(2026, 6, 30)


@pytest.fixture
def packet(night_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    actions = tmp_path / "actions.csv"
    actions.write_text(
        "decided,action,owner,due,status\n"
        "2026-04,Retire the Other rejection reason,RevOps,2026-06-15,open\n"
        "2026-04,Re-route webinar MQLs,Sales Ops,2026-05-10,done\n"
        "2026-05,Review Website form scoring,Marketing Ops,2026-06-30,open\n"
    )
    monkeypatch.setenv("LEADFLOW_ACTIONS", str(actions))
    return build_published_packet(), night_copy


def _cells(page, selector: str) -> list[list[str]]:
    return [row.split("\t") for row in page.locator(f"{selector} tbody tr").all_inner_texts()]


def _count(text: str) -> int:
    return int(text.replace(",", ""))


def _percent(text: str) -> float | None:
    return None if text.strip() == "–" else int(text.rstrip("%")) / 100


def _matures_on(month: date, cohort: str) -> date:
    """The day the policy judges ``month`` of that kind of cohort (its days after the month)."""
    return (month + timedelta(days=32)).replace(day=1) + timedelta(days=cohort_maturity_days(cohort))


def _shows(cell: str, numerator: int, denominator: int) -> bool:
    """The cell shows numerator / denominator as a whole percent (a dash when undefined)."""
    if not denominator:
        return _percent(cell) is None
    return abs(_percent(cell) - numerator / denominator) <= 0.005 + 1e-9


def test_packet_numbers_equal_the_marts(packet: tuple[Path, Path]) -> None:
    """Every count and rate of the funnel and SLA sections, read off the page a person sees,
    equals what the marts say (queried here independently)."""
    path, warehouse = packet
    with headless_chromium() as browser:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        refused = offline(page)
        page.goto(path.as_uri())
        funnel = _cells(page, "table.funnel")
        sla = _cells(page, "table.sla-team")
        cohorts = _cells(page, "#conversion table")
        wins = _cells(page, "#opportunities table:first-of-type")
        funnel_note = page.locator("#funnel p.note").inner_text()
        trend_note = page.locator("#trend").inner_text()
        headings = page.locator("h2").all_inner_texts()
        screenshot(page, "review-packet")
    assert refused == [], "the packet works offline"
    assert headings[0] == "Funnel by source: May 2026 MQLs"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        expected = {
            source: counts
            for source, *counts in con.execute(
                """select original_source, count(*), count(routed_at), count(accepted_at),
                          count(*) filter (where reached_sql), count(*) filter (where is_opportunity),
                          count(*) filter (where opportunity_is_won)
                   from marts.fct_lead_lifecycle where mql_at >= ? and mql_at < ? group by 1""",
                list(MONTH),
            ).fetchall()
        }
        teams = {
            team: counts
            for team, *counts in con.execute(
                """select coalesce(o.owner_team, 'Unrouted'), sum(mqls),
                          sum(assign_breached + first_touch_breached + decision_breached),
                          sum(assign_met), sum(assign_breached), sum(first_touch_met), sum(first_touch_breached),
                          sum(decision_met), sum(decision_breached)
                   from marts.mart_sla_compliance as s left join marts.dim_owners as o
                     on s.routed_owner_id = o.owner_id
                   where mql_month = ? group by 1""",
                [MONTH[0]],
            ).fetchall()
        }
    shown = {row[0]: row for row in funnel}
    assert set(shown) == set(expected) | {"All sources"} and len(expected) > 3
    for source, counts in expected.items():
        row = shown[source]
        assert [_count(c) for c in row[1:7]] == counts, source
        mqls = counts[0]
        for step, cell in zip(counts[1:], row[7:12], strict=True):  # each step's share of the MQLs
            assert _shows(cell, step, mqls), (source, cell)
    assert [_count(c) for c in shown["All sources"][1:7]] == [sum(c) for c in zip(*expected.values(), strict=True)]
    # a cohort month is judged once the policy's days have passed since it ended; until then the
    # packet says from when (lead cohorts, opportunity months) or that it is still converting
    for rows, kind in ((cohorts, "lead_created_month"), (wins, "opportunity_created_month")):
        assert len(rows) > 3, kind
        for label, *_, judged in rows:
            matures_on = _matures_on(datetime.strptime(label, "%b %Y").date(), kind)
            assert judged == ("yes" if matures_on <= AS_OF else f"from {matures_on.day} {matures_on:%b %Y}"), label
    young = _matures_on(date.fromisoformat(MONTH[0]), "mql_month") > AS_OF
    assert ("May 2026's MQLs are still converting" in trend_note) == young
    assert ("They are still converting" in funnel_note) == young
    assert {row[0] for row in sla} == set(teams)
    for team, mqls, breaches, *outcomes in sla:
        want = teams[team]
        assert (_count(mqls), _count(breaches)) == (want[0], want[1]), team
        for cell, met, breached in zip(outcomes, want[2::2], want[3::2], strict=True):
            assert _shows(cell, met, met + breached), (team, cell)


def test_packet_reads_like_a_review(packet: tuple[Path, Path]) -> None:
    path, warehouse = packet
    html = path.read_text(encoding="utf-8")
    assert path.name == "review-packet-2026-05.html"
    for section in (
        "funnel",
        "decisions",
        "trend",
        "sla",
        "rejections",
        "conversion",
        "opportunities",
        "review-queue",
        "samples",
        "quality",
        "actions",
    ):
        assert f'<section id="{section}">' in html, section
    assert "within 60 business minutes" in html, "SLA targets come from the policy seed"
    assert len(re.findall(r'<img class="chart"[^>]*src="data:image/png;base64,', html)) >= 5
    assert "@" not in re.sub(r"<style.*?</style>", "", html, flags=re.S), "no e-mail addresses in the packet"
    # samples: the month's MQLs, each linking to the lead in the CRM the connection names
    links = re.findall(r'<td class="lead-id"><a href="(https://[^"]+)/lightning/r/Lead/(00Q\w+)/view">', html)
    assert len(links) >= 10 and all(base.startswith("https://127.0.0.1:") for base, _ in links)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        mqls_of_month = {
            i
            for (i,) in con.execute(
                "select lead_id from marts.fct_lead_lifecycle where mql_at >= ? and mql_at < ?", list(MONTH)
            ).fetchall()
        }
        judged_cohort = {
            i
            for (i,) in con.execute(
                "select lead_id from marts.fct_lead_lifecycle where created_at < date '2026-04-01'"
            ).fetchall()
        }
        owners = {name for (name,) in con.execute("select owner_name from marts.dim_owners").fetchall()}
    samples = re.findall(r"<h3>([^<]+)</h3><p>[^<]*</p>\s*<table class=\"data pattern\">(.*?)</table>", html, re.S)
    for title, table in samples:
        ids = set(re.findall(r"/lightning/r/Lead/(00Q\w+)/view", table))
        pool = judged_cohort if title == "High acceptance, low opportunity creation" else mqls_of_month
        assert ids <= pool, title
    assert any(name in html for name in owners), "owners are named"
    # actions: this month's and the earlier ones still open; done ones are not carried
    actions = html[html.index('<section id="actions">') :]
    assert "Retire the Other rejection reason" in actions and "Review Website form scoring" in actions
    assert "Re-route webinar MQLs" not in actions


def test_a_malformed_actions_file_is_an_error_naming_the_line(tmp_path: Path) -> None:
    actions = tmp_path / "actions.csv"
    actions.write_text("decided,action,owner,due,status\n2026-05,Fix routing,Sales Ops,next week,open\n")
    with pytest.raises(ActionsFileError, match="line 2"):
        read_actions(actions)
