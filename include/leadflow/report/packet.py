"""The monthly lead-to-opportunity review packet: an HTML page built from the published marts.

Sections follow the RevOps review (volumes by source and segment, acceptance, rejection reasons,
SLA compliance by team and owner, SQL-to-opportunity conversion, opportunity evidence misses,
pipeline by source, stage aging, data-quality trend), the review queue (per reason: how many
records wait, how long, with which teams, and the longest-waiting ones) and, for each diagnostic
pattern, a table of sample records: "the numbers point to the problem; sample records explain
it". Sample tables carry ids, sources, teams, dates and reasons only - no personal data.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from jinja2 import Environment, PackageLoader, select_autoescape  # noqa: E402

Reader = Callable[[str], pd.DataFrame]  # a query on the published marts -> its rows

YOUNG_COHORT_DAYS = 90  # a cohort younger than this has not had time to convert
SAMPLES = 8


@dataclass(frozen=True)
class Pattern:
    title: str
    question: str
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class QueueReason:
    """One reason of the review queue: how many records wait, how long, with which teams."""

    reason: str
    records: int
    median_age_days: float
    oldest_age_days: float
    by_team: str  # an HTML table
    samples: list[dict[str, Any]]  # the longest-waiting records


QUEUE_REASONS = {
    "unworked_past_sla": "MQLs past their decision SLA with no decision",
    "unrouted_mql": "MQLs never routed, past the assign SLA",
    "routed_to_inactive_owner": "Open leads owned by someone who left",
    "stalled_opportunity": "Open opportunities stuck in a stage past its threshold",
    "sql_without_touch": "SQLs nobody ever called or e-mailed",
}


def _review_queue(read: Reader) -> list[QueueReason]:
    """The review queue at the as-of time, per reason: counts, ages, teams and the oldest records."""
    queue = read(
        """select reason, record_id, record_type, coalesce(owner_team, 'no team') as team,
                  cast(since as date) as since, age_days
           from marts.mart_review_queue order by reason, age_days desc, record_id"""
    )
    reasons = []
    for reason, rows in queue.groupby("reason", sort=True):
        teams = rows.groupby("team").agg(records=("record_id", "size"), median_age_days=("age_days", "median"))
        samples = rows.head(SAMPLES)[["record_id", "record_type", "team", "since", "age_days"]].copy()
        samples["since"] = pd.to_datetime(samples.since).dt.strftime("%Y-%m-%d")
        reasons.append(
            QueueReason(
                f"{QUEUE_REASONS.get(reason, reason)} ({reason})",
                len(rows),
                float(rows.age_days.median()),
                float(rows.age_days.max()),
                _table(teams.round(1).reset_index()),
                samples.round({"age_days": 1}).astype(object).where(samples.notna(), "-").to_dict(orient="records"),
            )
        )
    return reasons


def _chart(frame: pd.DataFrame, kind: str, title: str, **kwargs: Any) -> str:
    """A matplotlib chart as a data URI."""
    figure, axis = plt.subplots(figsize=(8, 3.6), dpi=100)
    if frame.empty:
        axis.text(0.5, 0.5, "no data", ha="center", va="center")
    else:
        frame.plot(kind=kind, ax=axis, **kwargs)
    axis.set_title(title)
    axis.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, border=0, classes="data", na_rep="-", float_format=lambda v: f"{v:,.2f}")


def _samples(read: Reader, where: str, reason: str) -> list[dict[str, Any]]:
    frame = read(
        f"""
        select l.lead_id, l.original_source as source, o.owner_team as team,
               cast(l.created_at as date) as created, cast(l.mql_at as date) as mql,
               cast(coalesce(l.accepted_at, l.rejected_at, l.sql_at) as date) as decided,
               {reason} as reason
        from marts.fct_lead_lifecycle as l
        left join marts.dim_owners as o on l.routed_owner_id = o.owner_id
        left join marts.fct_lead_sla as s on l.lead_id = s.lead_id
        where {where}
        order by l.created_at desc, l.lead_id
        limit {SAMPLES}""",
    )
    return frame.astype(object).where(frame.notna(), "-").to_dict(orient="records")


def _patterns(read: Reader, month: date) -> list[Pattern]:
    by_source = read(
        f"""
        select original_source, sum(leads) as leads, sum(accepted) as accepted, sum(routed) as routed,
               sum(opportunities) as opportunities
        from marts.mart_stage_conversion where cohort_month <= date '{month}' group by 1""",
    )
    by_source["acceptance"] = by_source.accepted / by_source.routed.where(by_source.routed > 0)
    by_source["opportunity_rate"] = by_source.opportunities / by_source.accepted.where(by_source.accepted > 0)
    high_volume_low_acceptance = by_source[
        (by_source.leads >= by_source.leads.median()) & (by_source.acceptance <= by_source.acceptance.median())
    ]
    high_acceptance_low_opps = by_source[
        (by_source.acceptance >= by_source.acceptance.median())
        & (by_source.opportunity_rate <= by_source.opportunity_rate.median())
    ]

    def sources(frame: pd.DataFrame) -> str:
        names = [name.replace("'", "''") for name in frame.original_source]
        return ", ".join(f"'{n}'" for n in names) or "''"

    return [
        Pattern(
            "High volume, low acceptance",
            f"Sources {', '.join(high_volume_low_acceptance.original_source) or '-'}: why did sales reject these?",
            _samples(
                read,
                f"l.original_source in ({sources(high_volume_low_acceptance)}) and l.rejected_at is not null",
                "l.rejection_reason",
            ),
        ),
        Pattern(
            "High acceptance, low opportunity creation",
            f"Sources {', '.join(high_acceptance_low_opps.original_source) or '-'}: accepted, then what?",
            _samples(
                read,
                f"l.original_source in ({sources(high_acceptance_low_opps)}) "
                "and l.accepted_at is not null and not l.is_opportunity",
                "l.status",
            ),
        ),
        Pattern(
            "Many duplicates",
            "Same person, several leads, several owners: who owns the conversation?",
            _samples(read, "l.is_duplicate_multiple_owners", "'shared e-mail key, 2+ owners'"),
        ),
        Pattern(
            "Source unknown",
            "Where did these leads come from?",
            _samples(read, "l.original_source = 'Unknown'", "l.latest_source"),
        ),
        Pattern(
            "MQLs unworked past SLA",
            "Routed, never accepted or rejected in time: capacity or routing?",
            _samples(read, "s.is_unworked_past_sla", "'decision SLA breached'"),
        ),
    ]


def _stage_aging(read: Reader) -> pd.DataFrame:
    """Open leads by their latest stage, and the median days since they entered it."""
    latest = read(
        """
        with open_leads as (
            select e.lead_id, e.stage, e.entered_at,
                   row_number() over (partition by e.lead_id order by e.entered_at desc nulls last) as latest
            from marts.fct_lifecycle_events as e
            inner join marts.fct_lead_lifecycle as l on e.lead_id = l.lead_id
            where l.is_open_lead
        )
        select lead_id, stage, entered_at, (select max(created_at) from marts.fct_lead_lifecycle) as data_as_of
        from open_leads where latest = 1""",
    )
    latest["days"] = (latest.data_as_of.dt.normalize() - latest.entered_at.dt.normalize()).dt.days
    aging = latest.groupby("stage").agg(open_leads=("lead_id", "size"), median_days_in_stage=("days", "median"))
    return aging.round().reset_index().sort_values("open_leads", ascending=False)


def build_packet(read: Reader, out_dir: Path, month: date | None = None) -> Path:
    """Write ``review-packet-YYYY-MM.html`` for ``month`` (default: the last complete month),
    reading the published marts through ``read``."""
    latest = read("select max(run_as_of) as t from marts.mart_data_quality")
    as_of = pd.Timestamp(latest.t[0]).date()
    month = month or (as_of.replace(day=1) - pd.Timedelta(days=1)).replace(day=1)
    conversion = read(
        f"""
        select cohort_month, original_source, segment, leads, mqls, routed, accepted, rejected, sqls,
               opportunities, pipeline_amount
        from marts.mart_stage_conversion where cohort_month <= date '{month}'""",
    )
    conversion["cohort_month"] = pd.to_datetime(conversion.cohort_month).dt.date
    this_month = conversion[conversion.cohort_month == month]
    cohorts = conversion.groupby("cohort_month")[["leads", "mqls", "routed", "accepted", "sqls", "opportunities"]].sum()
    cohorts["sql_to_opportunity"] = cohorts.opportunities / cohorts.sqls.where(cohorts.sqls > 0)
    cohorts["too_young"] = [(as_of - c).days < YOUNG_COHORT_DAYS for c in cohorts.index]
    recent = cohorts.tail(6)
    volumes = this_month.pivot_table(
        index="original_source", columns="segment", values="leads", aggfunc="sum", fill_value=0
    )
    acceptance = this_month.groupby("original_source")[["routed", "accepted", "rejected"]].sum()
    decided = acceptance.accepted + acceptance.rejected
    acceptance["acceptance_rate"] = acceptance.accepted / decided.where(decided > 0)
    rejections = read(
        f"""
        select rejection_reason, cast(sum(rejections) as bigint) as rejections from marts.mart_rejection_reasons
        where rejected_month = date '{month}' group by 1 order by 2 desc""",
    )
    total_rejections = max(int(rejections.rejections.sum()), 1)
    share = {
        r: float(rejections[rejections.rejection_reason == r].rejections.sum()) / total_rejections
        for r in ("Other", "Missing")
    }
    sla = read(
        f"""
        select coalesce(o.owner_team, 'Unrouted') as team, s.routed_owner_id as owner_id, sum(s.mqls) as mqls,
               sum(s.first_touch_met) as first_touch_met, sum(s.first_touch_breached) as first_touch_breached,
               sum(s.decision_met) as decision_met, sum(s.decision_breached) as decision_breached,
               sum(s.decision_pending) as decision_pending
        from marts.mart_sla_compliance as s left join marts.dim_owners as o on s.routed_owner_id = o.owner_id
        where s.mql_month = date '{month}' group by 1, 2 order by 1, 2""",
    )
    counts = [c for c in sla.columns if c not in ("team", "owner_id")]
    sla[counts] = sla[counts].fillna(0).astype("int64")
    by_team = sla.groupby("team")[
        ["mqls", "first_touch_met", "first_touch_breached", "decision_met", "decision_breached"]
    ].sum()
    evidence = read(
        f"""
        select count(*) as opportunities, sum(case when is_missing_evidence then 1 else 0 end) as missing_evidence,
               sum(case when not has_next_step and not is_closed then 1 else 0 end) as open_without_next_step
        from marts.fct_opportunities where created_month = date '{month}'""",
    )
    pipeline = read(
        f"""
        select original_source, sum(pipeline_amount) as pipeline, sum(won_amount) as won
        from marts.mart_source_pipeline where cohort_month = date '{month}' group by 1 order by 2 desc""",
    )
    aging = _stage_aging(read)
    quality = read(
        """
        select run_as_of, control_name, failing_rate, threshold, status, failing_rows, population
        from marts.mart_data_quality order by run_as_of, control_name""",
    )
    latest_quality = quality[quality.run_as_of == quality.run_as_of.max()] if not quality.empty else quality
    trend = quality.pivot_table(index="run_as_of", columns="control_name", values="failing_rate")

    charts = {
        "Leads by source and segment": _chart(volumes, "bar", f"Leads created in {month:%B %Y}", stacked=True),
        "Rejection-reason mix": _chart(
            rejections.set_index("rejection_reason"), "barh", f"Rejections in {month:%B %Y}", legend=False
        ),
        "SQL to opportunity by cohort": _chart(
            recent[["sql_to_opportunity"]], "line", "SQL to opportunity rate (recent cohorts)", marker="o"
        ),
        "Pipeline by source": _chart(
            pipeline.set_index("original_source"), "bar", f"Pipeline from {month:%B %Y} leads"
        ),
        "Data-quality trend": _chart(trend, "line", "Failing rate by control, run by run", marker="o"),
    }
    environment = Environment(loader=PackageLoader("leadflow.report"), autoescape=select_autoescape())
    html = environment.get_template("packet.html").render(
        month=month,
        as_of=as_of,
        young_days=YOUNG_COHORT_DAYS,
        charts=charts,
        headline={
            "leads": int(this_month.leads.sum()),
            "mqls": int(this_month.mqls.sum()),
            "accepted": int(this_month.accepted.sum()),
            "sqls": int(this_month.sqls.sum()),
            "opportunities": int(this_month.opportunities.sum()),
            "pipeline": float(this_month.pipeline_amount.sum()),
            "too_young": bool(cohorts.too_young.get(month, True)),
        },
        volumes=_table(volumes.reset_index()),
        acceptance=_table(acceptance.reset_index()),
        rejections=_table(rejections),
        other_share=share["Other"],
        missing_share=share["Missing"],
        sla_by_team=_table(by_team.reset_index()),
        sla_by_owner=_table(sla),
        cohorts=_table(recent.reset_index()),
        evidence=_table(evidence),
        pipeline=_table(pipeline),
        aging=_table(aging),
        quality=_table(latest_quality),
        patterns=_patterns(read, month),
        review_queue=_review_queue(read),
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"review-packet-{month:%Y-%m}.html"
    path.write_text(html, encoding="utf-8")
    return path


def build_published_packet() -> Path:
    """The packet from the published marts, into the reports directory (the task of the
    ``leadflow_review_packet`` DAG, run after each publish)."""
    from leadflow.settings import paths

    where = paths()
    return build_packet(partial(where.warehouse.read_frame, published=True), where.reports)
