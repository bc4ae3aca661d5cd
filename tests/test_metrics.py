"""The semantic layer: rates defined once as ratios of sums (MetricFlow), equal to the marts'
counts divided, over any cut."""

from __future__ import annotations

import csv
import os
import subprocess
from pathlib import Path

import duckdb
import pytest
from conftest import BIN
from leadflow.settings import paths

pytestmark = pytest.mark.night


def _mf(metrics: str, group_by: str, out: Path) -> dict[str, dict[str, float]]:
    """``mf query`` on the night's work warehouse, as a dict per group."""
    where = paths()
    result = subprocess.run(
        [str(BIN / "mf"), "query", "--metrics", metrics, "--group-by", group_by, "--csv", str(out)],
        cwd=where.dbt_project,
        env={**os.environ, **where.dbt_env, "DBT_PROFILES_DIR": str(where.dbt_project)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {row.pop(group_by): {k: float(v) if v else None for k, v in row.items()} for row in rows}


def test_funnel_rates_are_ratios_of_the_marts_sums(night_copy: Path, tmp_path: Path) -> None:
    by_source = _mf("mqls,mql_to_sql_rate,sql_to_opportunity_rate", "lead__original_source", tmp_path / "f.csv")
    with duckdb.connect(str(night_copy), read_only=True) as con:
        marts = {
            source: (mqls, reaching, sqls, with_opportunity)
            for source, mqls, reaching, sqls, with_opportunity in con.execute(
                """select original_source, sum(mqls), sum(mqls_reaching_sql), sum(sqls), sum(sqls_with_opportunity)
                   from marts.mart_stage_conversion group by 1"""
            ).fetchall()
        }
    sources_with_mqls = {s for s, (mqls, *_) in marts.items() if mqls}
    assert set(by_source) == sources_with_mqls and len(by_source) > 3
    for source, metric in by_source.items():
        mqls, reaching, sqls, with_opportunity = marts[source]
        assert metric["mqls"] == mqls, source
        assert metric["mql_to_sql_rate"] == pytest.approx(reaching / mqls), source
        if sqls:
            assert metric["sql_to_opportunity_rate"] == pytest.approx(with_opportunity / sqls), source


def test_sla_rates_by_team_are_ratios_of_sums(night_copy: Path, tmp_path: Path) -> None:
    by_team = _mf("decision_met_rate,first_touch_met_rate", "owner__owner_team", tmp_path / "s.csv")
    with duckdb.connect(str(night_copy), read_only=True) as con:
        teams = {
            team: (met, judged)
            for team, met, judged in con.execute(
                """select o.owner_team, sum(s.decision_met), sum(s.decision_met + s.decision_breached)
                   from marts.mart_sla_compliance as s inner join marts.dim_owners as o
                     on s.routed_owner_id = o.owner_id group by 1"""
            ).fetchall()
        }
    for team, (met, judged) in teams.items():
        assert by_team[team]["decision_met_rate"] == pytest.approx(met / judged), team
