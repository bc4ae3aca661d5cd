"""The semantic layer: rates defined once as ratios of sums (MetricFlow), equal to the marts'
counts divided, over any cut."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import BIN, cohort_maturity_days
from leadflow.settings import PROJECT_ROOT, paths

pytestmark = pytest.mark.night


class MetricFlow:
    """``mf`` on a copy of the dbt project parsed against the night's work warehouse: ``mf`` reads
    ``target/semantic_manifest.json``, whose relations name the warehouse it was parsed for."""

    def __init__(self, project: Path) -> None:
        shutil.copytree(PROJECT_ROOT / "dbt_project", project, ignore=shutil.ignore_patterns("target*", "logs*"))
        self.project = project
        self.env = {
            **os.environ,
            **paths().dbt_env,
            "DBT_PROFILES_DIR": str(project),
            "DBT_TARGET_PATH": "target",
            "DBT_LOG_PATH": "logs",
        }
        parsed = subprocess.run(
            [str(BIN / "dbt"), "parse", "--quiet"], cwd=project, env=self.env, capture_output=True, text=True
        )
        assert parsed.returncode == 0, parsed.stdout[-3000:]

    def query(self, metrics: str, group_by: str) -> dict[str, dict[str, float | None]]:
        out = self.project / f"{group_by}.csv"
        result = subprocess.run(
            [str(BIN / "mf"), "query", "--metrics", metrics, "--group-by", group_by, "--csv", str(out)],
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        with out.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        return {row.pop(group_by): {k: float(v) if v else None for k, v in row.items()} for row in rows}


def test_rates_are_ratios_of_the_marts_sums(night_copy: Path, tmp_path: Path) -> None:
    mf = MetricFlow(tmp_path / "dbt_project")
    by_source = mf.query("mqls,mql_to_sql_rate,sql_to_opportunity_rate", "lead__original_source")
    by_team = mf.query("decision_met_rate,first_touch_met_rate", "owner__owner_team")
    by_maturity = mf.query("mqls", "lead__is_mql_month_mature")
    with duckdb.connect(str(night_copy), read_only=True) as con:
        as_of = con.execute("select max(run_as_of) from marts.mart_data_quality").fetchall()[0][0]
        mql_months = con.execute(
            """select date_trunc('month', mql_at) + interval 1 month, count(*)
               from marts.fct_lead_lifecycle where is_mql group by 1"""
        ).fetchall()
        marts = {
            source: counts
            for source, *counts in con.execute(
                """select original_source, sum(mqls), sum(mqls_reaching_sql), sum(sqls), sum(sqls_with_opportunity)
                   from marts.mart_stage_conversion group by 1"""
            ).fetchall()
        }
        teams = {
            team: (met, judged)
            for team, met, judged in con.execute(
                """select o.owner_team, sum(s.decision_met), sum(s.decision_met + s.decision_breached)
                   from marts.mart_sla_compliance as s inner join marts.dim_owners as o
                     on s.routed_owner_id = o.owner_id group by 1"""
            ).fetchall()
        }
    assert set(by_source) == {s for s, (mqls, *_) in marts.items() if mqls} and len(by_source) > 3
    for source, metric in by_source.items():
        mqls, reaching, sqls, with_opportunity = marts[source]
        assert metric["mqls"] == mqls, source
        assert metric["mql_to_sql_rate"] == pytest.approx(reaching / mqls), source
        if sqls:
            assert metric["sql_to_opportunity_rate"] == pytest.approx(with_opportunity / sqls), source
    assert teams and set(teams) <= set(by_team)
    # an MQL month is judged once the policy's days for MQL months have passed since it ended
    days = cohort_maturity_days("mql_month")
    mature = {end + timedelta(days=days) <= as_of: 0 for end, _ in mql_months}
    for end, mqls in mql_months:
        mature[end + timedelta(days=days) <= as_of] += mqls
    assert set(mature) == {True, False}, "the night has both judged and young MQL months"
    assert by_maturity.pop("")["mqls"] == 0, "a lead with no MQL month has no maturity"
    assert {flag.lower() == "true": metric["mqls"] for flag, metric in by_maturity.items()} == mature
    for team, (met, judged) in teams.items():
        assert by_team[team]["decision_met_rate"] == pytest.approx(met / judged), team
