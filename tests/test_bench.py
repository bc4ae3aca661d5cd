"""``make bench`` judges its figures against issue 37's targets, each for the sizes it names."""

from __future__ import annotations

import pytest
from leadflow_dev.bench import NightCost, against_targets, increment_table


def _night(cpu: float, wall: float | None = None, peak_mib: float = 1024) -> NightCost:
    return NightCost(wall={"transform": wall or cpu}, cpu={"transform": cpu}, peak_rss_mib=peak_mib)


def test_each_target_is_judged_for_the_sizes_it_names() -> None:
    small = {"leads": 100_000, "full": _night(40), "increment": _night(6), "late": _night(46), "floor_cpu": 4.0}
    large = {"leads": 1_000_000, "full": _night(120, wall=85, peak_mib=2500), "floor_cpu": 30.0}
    large |= {"increment": _night(36), "late": _night(126)}
    judged = {(j.leads, j.target.what): j for j in against_targets([small, large])}
    assert {what for leads, what in judged if leads == 100_000} == {
        "+1 day, CPU of the first night's",
        "a day late, CPU over on time",
    }
    figures = {key: (pytest.approx(j.figure), j.met) for key, j in judged.items()}
    assert figures == {
        (1_000_000, "first night, wall s"): (85, True),
        (1_000_000, "first night, CPU over the floor's"): (4.0, False),
        (1_000_000, "first night, peak RSS GiB"): (2500 / 1024, False),
        (1_000_000, "+1 day, CPU of the first night's"): (0.30, False),
        (100_000, "+1 day, CPU of the first night's"): (0.15, True),
        (1_000_000, "a day late, CPU over on time"): (0.05, True),
        (100_000, "a day late, CPU over on time"): (0.15, False),
    }
    assert str(judged[(1_000_000, "+1 day, CPU of the first night's")]).endswith("30%  target 10%: OVER")


def test_the_increment_table_shows_each_phase_of_the_next_day() -> None:
    phases = {"extract": 2.0, "transform": 9.0, "audit": 1.0, "publish": 0.5, "report": 0.3}
    increment = NightCost(wall=phases, cpu={name: 2 * wall for name, wall in phases.items()})
    rows = increment_table([{"leads": 10_000, "increment": increment}]).splitlines()
    assert rows[0].startswith("| +1 day | extract s (CPU s) | transform s (CPU s) |")
    assert rows[2] == "| 10,000 leads | 2.0 (4.0) | 9.0 (18.0) | 1.0 (2.0) | 0.5 (1.0) | 0.3 (0.6) | 13 (26) |"
