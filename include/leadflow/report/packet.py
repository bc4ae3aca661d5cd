"""The monthly lead-to-opportunity review packet: one HTML page, built from the published marts,
for the RevOps, sales and marketing leaders who meet on it.

It answers the meeting's questions in its order: how did the month's MQLs move through the funnel
per source (MQL month), what did sales decide in the month (decision month), how does the month
compare with the ones before it (12 months, month-over-month change), did each team meet the SLA
targets, why were leads rejected (per source), do the cohorts old enough to judge convert, how
do opportunities close and which stall, what waits for a person (the review queue), sample
records behind each pattern (from the reviewed month, each linking to the CRM), and the actions
decided, carried until done. Rates are ratios of the counts beside them, never averages.

Sample tables carry ids, sources, teams, dates and reasons only; owners are named
(``dim_owners.owner_name``); nothing of the leads' own people is shown.
"""

from __future__ import annotations

import base64
import csv
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
from matplotlib.ticker import FuncFormatter, PercentFormatter  # noqa: E402

from leadflow.report.actions import Action, actions_file, for_month, read_actions  # noqa: E402

Reader = Callable[[str], pd.DataFrame]  # a query on the published marts -> its rows

TREND_MONTHS = 12
SAMPLES = 8
FUNNEL = ("mqls", "routed", "accepted", "sqls", "opportunities", "won")
LABELS = {
    "source": "Source",
    "reason": "Reason",
    "team": "Team",
    "owner": "Owner",
    "month": "Month",
    "measure": "Measure",
    "stage": "Stage",
    "leads": "Leads",
    "cohort_month": "Cohort",
    "created_month": "Created",
    "mqls_reaching_sql": "MQLs reaching SQL",
    "sqls_with_opportunity": "SQLs with an opportunity",
    "mql_to_sql": "MQL → SQL",
    "sql_to_opportunity": "SQL → opportunity",
    "won_amount_usd": "Won (USD)",
    "amount_usd": "Amount (USD)",
    "acceptance_rate": "Acceptance",
    "win_rate": "Win rate",
    "all_sources": "All sources",
    "share": "Share",
    "records": "Records",
    "median_days_waiting": "Median days waiting",
    "this_month": "This month",
    "previous_month": "Previous month",
    "change": "Change",
    "breaches": "Breaches",
    "judged": "Judged",
    "closed": "Closed",
    "mqls": "MQLs",
    "routed": "Routed",
    "accepted": "Accepted",
    "rejected": "Rejected",
    "sqls": "SQLs",
    "opportunities": "Opportunities",
    "won": "Won",
}


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


# -- presentation -----------------------------------------------------------------------------------
def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return numerator / denominator.where(denominator > 0)


def _table(
    frame: pd.DataFrame,
    percent: tuple[str, ...] = (),
    money: tuple[str, ...] = (),
    *,
    decimals: int = 0,
    kind: str = "",
) -> str:
    """A table as a reader wants it: headers in words, counts with thousands separators, rates as
    percents, money in USD, no index; text escaped (source names and reasons come from the CRM)."""
    shown = frame.rename(columns=lambda c: LABELS.get(c, c.replace("_", " ")))
    formats: dict[str, Any] = {}
    for column, original in zip(shown.columns, frame.columns, strict=True):
        if original in percent:
            formats[column] = f"{{:.{decimals}%}}"
        elif original in money:
            formats[column] = "${:,.0f}"
        elif pd.api.types.is_integer_dtype(frame[original]) or pd.api.types.is_float_dtype(frame[original]):
            formats[column] = "{:,.0f}"
    styler = shown.style.hide(axis="index").format(formats, na_rep="–", escape="html")
    return styler.set_table_attributes(f'class="data {kind}"').to_html()


def _figure(title: str, ylabel: str) -> tuple[Any, Any]:
    figure, axis = plt.subplots(figsize=(9, 3.8), dpi=100)
    axis.set_title(title, loc="left", fontsize=11)
    axis.set_ylabel(ylabel)
    axis.grid(axis="y", alpha=0.3)
    axis.spines[["top", "right"]].set_visible(False)
    return figure, axis


def _png(figure: Any) -> str:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _bars(frame: pd.DataFrame, title: str, ylabel: str, *, stacked: bool = False, money: bool = False) -> str:
    """Bars per row of ``frame`` (columns side by side or stacked), the legend outside the plot."""
    figure, axis = _figure(title, ylabel)
    if frame.empty:
        axis.text(0.5, 0.5, "no data", ha="center", va="center", transform=axis.transAxes)
    else:
        frame.rename(columns=lambda c: LABELS.get(c, c)).plot(
            kind="bar", ax=axis, stacked=stacked, width=0.75, legend=len(frame.columns) > 1, colormap="tab20"
        )
        axis.set_xlabel("")
        axis.tick_params(axis="x", labelrotation=30)
        for label in axis.get_xticklabels():
            label.set_horizontalalignment("right")
        axis.set_ylim(bottom=0)
        if len(frame.columns) > 1:
            axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=9)
    axis.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"${v:,.0f}" if money else f"{v:,.0f}"))
    return _png(figure)


def _lines(frame: pd.DataFrame, title: str, ylabel: str, *, percent: bool = False) -> str:
    """A line per column of ``frame`` over its index (months), the legend outside the plot."""
    figure, axis = _figure(title, ylabel)
    if frame.dropna(how="all").empty:
        axis.text(0.5, 0.5, "no data", ha="center", va="center", transform=axis.transAxes)
    else:
        positions = range(len(frame))
        for column in frame.columns:
            axis.plot(positions, frame[column], marker="o", label=LABELS.get(str(column), str(column)))
        axis.set_xticks(positions, [f"{m:%b %y}" for m in frame.index])
        axis.set_ylim(bottom=0, top=max(1.0, float(frame.max().max()) * 1.1) if percent else None)
        axis.tick_params(axis="x", labelrotation=30)
        axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=9)
    if percent:
        axis.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    else:
        axis.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    return _png(figure)


# -- sections -----------------------------------------------------------------------------------------
def _month_bounds(month: date) -> tuple[str, str]:
    following = (pd.Timestamp(month) + pd.offsets.MonthBegin(1)).date()
    return f"timestamp '{month}'", f"timestamp '{following}'"


def _funnel(read: Reader, month: date) -> pd.DataFrame:
    """The month's MQLs per source (first MQL in the month) and how far each got: routed,
    accepted, SQL, opportunity, won, with each step as a share of the MQLs."""
    start, end = _month_bounds(month)
    funnel = read(
        f"""
        select original_source as source, count(*) as mqls, count(routed_at) as routed,
               count(accepted_at) as accepted, count(*) filter (where reached_sql) as sqls,
               count(*) filter (where is_opportunity) as opportunities,
               count(*) filter (where opportunity_is_won) as won
        from marts.fct_lead_lifecycle
        where mql_at >= {start} and mql_at < {end}
        group by 1 order by 2 desc, 1"""
    )
    funnel[list(FUNNEL)] = funnel[list(FUNNEL)].astype("int64")
    total = pd.DataFrame([{"source": "All sources", **funnel[list(FUNNEL)].sum().to_dict()}])
    funnel = pd.concat([funnel, total], ignore_index=True) if not funnel.empty else total
    for step in FUNNEL[1:]:
        funnel[f"{step} % of MQLs"] = _ratio(funnel[step], funnel.mqls)
    return funnel


def _decisions(read: Reader, month: date) -> pd.DataFrame:
    """Sales' decisions made in the month per source, whatever month the lead became an MQL."""
    start, end = _month_bounds(month)
    decisions = read(
        f"""
        select original_source as source,
               count(*) filter (where accepted_at >= {start} and accepted_at < {end}) as accepted,
               count(*) filter (where rejected_at >= {start} and rejected_at < {end}) as rejected
        from marts.fct_lead_lifecycle
        where (accepted_at >= {start} and accepted_at < {end}) or (rejected_at >= {start} and rejected_at < {end})
        group by 1 order by 2 desc, 1"""
    )
    decisions[["accepted", "rejected"]] = decisions[["accepted", "rejected"]].astype("int64")
    decisions["acceptance_rate"] = _ratio(decisions.accepted, decisions.accepted + decisions.rejected)
    return decisions


def _trend(read: Reader, month: date) -> pd.DataFrame:
    """The funnel's counts per MQL month over the last ``TREND_MONTHS`` months up to ``month``
    (from the first month with MQLs, when the history is shorter)."""
    first = (pd.Timestamp(month) - pd.DateOffset(months=TREND_MONTHS - 1)).date()
    _, end = _month_bounds(month)
    trend = read(
        f"""
        select cast(date_trunc('month', mql_at) as date) as month, count(*) as mqls,
               count(accepted_at) as accepted, count(*) filter (where reached_sql) as sqls,
               count(*) filter (where is_opportunity) as opportunities
        from marts.fct_lead_lifecycle
        where mql_at >= timestamp '{first}' and mql_at < {end}
        group by 1 order by 1"""
    )
    months = pd.date_range(pd.Timestamp(first), pd.Timestamp(month), freq="MS").date
    trend["month"] = pd.to_datetime(trend.month).dt.date
    trend = trend.set_index("month").reindex(months, fill_value=0).astype("int64")
    started = trend.mqls.to_numpy().nonzero()[0]
    return trend.iloc[started[0] :] if len(started) else trend.tail(1)  # from the first month with MQLs


def _still_converting(read: Reader, month: date) -> bool:
    """Whether ``month``'s MQLs are not yet judged (the seed ``cohort_maturity``'s days for MQL
    months have not passed since it ended): their later stages are still growing."""
    start, end = _month_bounds(month)
    young = read(
        f"""select count(*) filter (where not is_mql_month_mature) as young from marts.fct_lead_lifecycle
            where mql_at >= {start} and mql_at < {end}"""
    )
    return bool(young.young[0])


def _month_over_month(trend: pd.DataFrame) -> pd.DataFrame:
    """The reviewed month (the trend's last) against the one before: counts and change."""
    this, before = trend.iloc[-1], trend.iloc[-2] if len(trend) > 1 else trend.iloc[-1] * 0
    change = pd.DataFrame({"measure": [LABELS[c] for c in trend.columns], "this_month": this.values})
    change["previous_month"] = before.values
    change["change"] = _ratio(change.this_month - change.previous_month, change.previous_month)
    return change


def sla_targets(seeds: Path) -> dict[str, str]:
    """Each SLA's target in words, from the policy seed ``sla_policies``: ``60 business minutes``."""
    with (seeds / "sla_policies.csv").open(encoding="utf-8", newline="") as handle:
        return {
            row["sla_name"]: f"{row['target_minutes']} {row['minute_kind']} minutes" for row in csv.DictReader(handle)
        }


SLAS = ("assign", "first_touch", "decision")


def _sla(read: Reader, month: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SLA outcomes of the month's MQLs by team and by owner: met, breached, pending and % met
    (met over met plus breached: a pending clock is not judged yet)."""
    sums = ", ".join(f"sum(s.{sla}_{outcome}) as {sla}_{outcome}" for sla in SLAS for outcome in ("met", "breached"))
    rows = read(
        f"""
        select coalesce(o.owner_team, 'Unrouted') as team,
               coalesce(o.owner_name, s.routed_owner_id, '(not routed)') as owner,
               sum(s.mqls) as mqls, {sums}
        from marts.mart_sla_compliance as s left join marts.dim_owners as o on s.routed_owner_id = o.owner_id
        where s.mql_month = date '{month}' group by 1, 2 order by 1, 2"""
    )
    counts = [c for c in rows.columns if c not in ("team", "owner")]
    rows[counts] = rows[counts].fillna(0).astype("int64")

    def judged(frame: pd.DataFrame) -> pd.DataFrame:
        for sla in SLAS:
            frame[f"{sla}_met_rate"] = _ratio(frame[f"{sla}_met"], frame[f"{sla}_met"] + frame[f"{sla}_breached"])
        return frame

    by_team = judged(rows.groupby("team", as_index=False)[counts].sum())
    by_team["breaches"] = sum(by_team[f"{sla}_breached"] for sla in SLAS)
    by_owner = judged(rows[rows.team != "Unrouted"].copy())
    by_owner["breaches"] = sum(by_owner[f"{sla}_breached"] for sla in SLAS)
    return by_team, by_owner.sort_values(["breaches", "owner"], ascending=[False, True])


def _rejections_by_source(read: Reader, month: date) -> pd.DataFrame:
    reasons = read(
        f"""
        select rejection_reason as reason, original_source as source, sum(rejections) as rejections
        from marts.mart_rejection_reasons where rejected_month = date '{month}' group by 1, 2"""
    )
    if reasons.empty:
        return pd.DataFrame(columns=["reason", "all_sources", "share"])
    table = reasons.pivot_table(index="reason", columns="source", values="rejections", aggfunc="sum", fill_value=0)
    table = table.astype("int64")
    table.insert(0, "all_sources", table.sum(axis=1))
    table.insert(1, "share", table.all_sources / table.all_sources.sum())
    return table.sort_values("all_sources", ascending=False).reset_index()


# A cohort mart's maturity columns, summed over the cells of a month (see _judged).
MATURITY = "min(cohort_matures_on) as matures_on, bool_and(is_cohort_mature) as is_mature"


def _judged(frame: pd.DataFrame, month_column: str) -> tuple[list[str], int | None]:
    """Takes ``frame``'s maturity columns (:data:`MATURITY`) out; per row "yes", or from when a
    month still converting is judged (the seed ``cohort_maturity``, through the mart), and the
    policy's days after a month's end (None without rows)."""
    matures_on = pd.to_datetime(frame.pop("matures_on")).dt.date
    is_mature = frame.pop("is_mature").astype(bool)
    judged = [
        "yes" if mature else f"from {on.day} {on:%b %Y}" for mature, on in zip(is_mature, matures_on, strict=True)
    ]
    if frame.empty:
        return judged, None
    month_end = (pd.Timestamp(frame[month_column].iloc[0]) + pd.offsets.MonthBegin(1)).date()
    return judged, (matures_on.iloc[0] - month_end).days


def _cohorts(read: Reader, month: date) -> tuple[pd.DataFrame, int | None]:
    """Conversion per lead cohort (creation month), ratios of sums, each cohort judged or not yet
    (:func:`_judged`), and the policy's days."""
    cohorts = read(
        f"""
        select cohort_month, {MATURITY},
               sum(leads) as leads, sum(mqls) as mqls, sum(mqls_reaching_sql) as mqls_reaching_sql,
               sum(sqls) as sqls, sum(sqls_with_opportunity) as sqls_with_opportunity, sum(won) as won
        from marts.mart_stage_conversion where cohort_month <= date '{month}'
        group by 1 order by 1 desc limit {TREND_MONTHS}"""
    )
    cohorts["cohort_month"] = pd.to_datetime(cohorts.cohort_month).dt.date
    judged, days = _judged(cohorts, "cohort_month")
    counts = [c for c in cohorts.columns if c != "cohort_month"]
    cohorts[counts] = cohorts[counts].fillna(0).astype("int64")
    cohorts["mql_to_sql"] = _ratio(cohorts.mqls_reaching_sql, cohorts.mqls)
    cohorts["sql_to_opportunity"] = _ratio(cohorts.sqls_with_opportunity, cohorts.sqls)
    cohorts["judged"] = judged
    return cohorts, days


def _months(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """``frame`` with ``column`` (first days of months) written as ``Apr 2026``."""
    return frame.assign(**{column: [f"{pd.Timestamp(m):%b %Y}" for m in frame[column]]})


def _opportunities(read: Reader, month: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Win rate by creation month (won over closed), each month judged or not yet (a young month's
    rate counts only the deals that closed fast), and open opportunities stalled per stage."""
    wins = read(
        f"""
        select created_month, {MATURITY}, sum(opportunities) as opportunities, sum(closed) as closed,
               sum(won) as won, sum(won_amount_usd) as won_amount_usd
        from marts.mart_win_rates where created_month <= date '{month}'
        group by 1 order by 1 desc limit 6"""
    )
    judged, _ = _judged(wins, "created_month")
    counts = ["opportunities", "closed", "won"]
    wins[counts] = wins[counts].fillna(0).astype("int64")
    wins["win_rate"] = _ratio(wins.won, wins.closed)
    wins["judged"] = judged
    wins = _months(wins, "created_month")
    stalled = read(
        """
        select stage_name as stage, count(*) as stalled_opportunities, sum(amount_usd) as amount_usd,
               median(days_in_current_stage) as median_days_in_stage
        from marts.fct_opportunities where is_stalled group by 1 order by 2 desc, 1"""
    )
    return wins, stalled


def _review_queue(read: Reader) -> list[QueueReason]:
    """The review queue at the as-of time, per reason: counts, ages, teams and the oldest records."""
    queue = read(
        """select reason, record_id, record_type, coalesce(owner_team, 'no team') as team,
                  cast(since as date) as since, age_days
           from marts.mart_review_queue order by reason, age_days desc, record_id"""
    )
    reasons = []
    for reason, rows in queue.groupby("reason", sort=True):
        teams = rows.groupby("team").agg(records=("record_id", "size"), median_days_waiting=("age_days", "median"))
        samples = rows.head(SAMPLES)[["record_id", "record_type", "team", "since", "age_days"]].copy()
        samples["since"] = pd.to_datetime(samples.since).dt.strftime("%Y-%m-%d")
        samples["age_days"] = samples.age_days.round().astype("int64")
        reasons.append(
            QueueReason(
                f"{QUEUE_REASONS.get(reason, reason)} ({reason})",
                len(rows),
                float(rows.age_days.median()),
                float(rows.age_days.max()),
                _table(teams.reset_index()),
                samples.astype(object).where(samples.notna(), "–").to_dict(orient="records"),
            )
        )
    return reasons


def _samples(read: Reader, where: str, reason: str, order: str = "l.mql_at desc") -> list[dict[str, Any]]:
    frame = read(
        f"""
        select l.lead_id, l.original_source as source, o.owner_team as team, o.owner_name as owner,
               cast(l.created_at as date) as created, cast(l.mql_at as date) as mql,
               cast(coalesce(l.accepted_at, l.rejected_at, l.sql_at) as date) as decided,
               {reason} as reason
        from marts.fct_lead_lifecycle as l
        left join marts.dim_owners as o on l.routed_owner_id = o.owner_id
        left join marts.fct_lead_sla as s on l.lead_id = s.lead_id
        where {where}
        order by {order}, l.lead_id
        limit {SAMPLES}""",
    )
    for column in ("created", "mql", "decided"):
        frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d")
    return frame.astype(object).where(frame.notna(), "–").to_dict(orient="records")


def _quoted(names: pd.Series) -> str:
    return ", ".join("'" + str(n).replace("'", "''") + "'" for n in names) or "''"


def _patterns(read: Reader, month: date, funnel: pd.DataFrame, judged_month: date | None) -> list[Pattern]:
    """Sample records behind each pattern, from the reviewed month's MQLs; the conversion pattern
    from the latest cohort old enough to judge."""
    start, end = _month_bounds(month)
    in_month = f"l.mql_at >= {start} and l.mql_at < {end}"
    sources = funnel[funnel.source != "All sources"].assign(acceptance=lambda f: _ratio(f.accepted, f.routed))
    low_acceptance = sources[
        (sources.mqls >= sources.mqls.median()) & (sources.acceptance <= sources.acceptance.median())
    ].source
    patterns = [
        Pattern(
            "High volume, low acceptance",
            f"{', '.join(low_acceptance) or 'No source'}: many MQLs this month, few accepted."
            " Why did sales reject these?",
            _samples(
                read,
                f"{in_month} and l.original_source in ({_quoted(low_acceptance)}) and l.rejected_at is not null",
                "l.rejection_reason",
            ),
        ),
    ]
    if judged_month is not None:
        judged_start, judged_end = _month_bounds(judged_month)
        patterns.append(
            Pattern(
                "High acceptance, low opportunity creation",
                f"Leads of {judged_month:%B %Y} (old enough to judge) accepted without an opportunity:"
                " accepted, then what?",
                _samples(
                    read,
                    f"l.created_at >= {judged_start} and l.created_at < {judged_end} "
                    "and l.accepted_at is not null and not l.is_opportunity",
                    "l.status",
                    "l.accepted_at",
                ),
            )
        )
    patterns += [
        Pattern(
            "Many duplicates",
            "Same person, several leads, several owners: who owns the conversation?",
            _samples(read, f"{in_month} and l.is_duplicate_multiple_owners", "'shared e-mail key, 2+ owners'"),
        ),
        Pattern(
            "Source unknown",
            "Where did these MQLs come from?",
            _samples(read, f"{in_month} and l.original_source = 'Unknown'", "l.latest_source"),
        ),
        Pattern(
            "MQLs unworked past SLA",
            "Routed, never accepted or rejected in time: capacity or routing?",
            _samples(read, f"{in_month} and s.is_unworked_past_sla", "'decision SLA breached'"),
        ),
    ]
    return patterns


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
    return aging.reset_index().sort_values("open_leads", ascending=False)


# -- the packet ------------------------------------------------------------------------------------
def build_packet(
    read: Reader,
    out_dir: Path,
    month: date | None = None,
    *,
    targets: dict[str, str] | None = None,
    actions: list[Action] | None = None,
    crm_url: str | None = None,
) -> Path:
    """Write ``review-packet-YYYY-MM.html`` for ``month`` (default: the last complete month before
    the data's as-of), reading the published marts through ``read``. ``targets``: each SLA's
    target in words (:func:`sla_targets`); ``actions``: the review's decisions; ``crm_url``: where
    records open (sample ids link there)."""
    latest = read("select max(run_as_of) as t from marts.mart_data_quality")
    as_of = pd.Timestamp(latest.t[0]).date()
    month = month or (as_of.replace(day=1) - pd.Timedelta(days=1)).replace(day=1)
    targets = targets or {}
    funnel = _funnel(read, month)
    decisions = _decisions(read, month)
    trend = _trend(read, month)
    sla_by_team, sla_by_owner = _sla(read, month)
    cohorts, maturity_days = _cohorts(read, month)
    judged = cohorts[cohorts.judged == "yes"]
    judged_month = judged.cohort_month.iloc[0] if not judged.empty else None
    wins, stalled = _opportunities(read, month)
    rejections = _rejections_by_source(read, month)
    quality = read(
        """select run_as_of, control_name, failing_rate, threshold, status, failing_rows, population
           from marts.mart_data_quality order by run_as_of, control_name"""
    )
    latest_quality = quality[quality.run_as_of == quality.run_as_of.max()].drop(columns="run_as_of")
    decided, carried = for_month(actions or [], month)
    pct = tuple(f"{s} % of MQLs" for s in FUNNEL[1:])
    sla_rates = tuple(f"{sla}_met_rate" for sla in SLAS)
    sla_labels = {f"{sla}_met_rate": f"{sla.replace('_', ' ')} % met ({targets.get(sla, 'target')})" for sla in SLAS}
    total = funnel[funnel.source == "All sources"].iloc[0]
    charts = {
        "funnel": _bars(
            funnel[funnel.source != "All sources"].set_index("source")[list(FUNNEL)],
            f"Funnel of {month:%B %Y} MQLs by source",
            "leads",
        ),
        "trend": _lines(trend, f"MQLs by the month of their MQL, to {month:%B %Y}", "leads"),
        "rejections": _bars(
            rejections.set_index("reason")[
                [c for c in rejections.columns if c not in ("reason", "all_sources", "share")]
            ],
            f"Rejections in {month:%B %Y} by reason and source",
            "rejections",
            stacked=True,
        ),
        "cohorts": _lines(
            cohorts.set_index("cohort_month")[["mql_to_sql", "sql_to_opportunity"]]
            .sort_index()
            .rename(columns={"mql_to_sql": "MQL to SQL", "sql_to_opportunity": "SQL to opportunity"}),
            "Conversion by lead cohort (young cohorts still converting)",
            "share of the cohort",
            percent=True,
        ),
        "wins": _bars(
            wins.set_index("created_month")[["won_amount_usd"]].iloc[::-1],
            "Won amount by opportunity creation month",
            "USD",
            money=True,
        ),
    }
    environment = Environment(loader=PackageLoader("leadflow.report"), autoescape=select_autoescape())
    html = environment.get_template("packet.html").render(
        month=month,
        as_of=as_of,
        maturity_days=maturity_days,
        charts=charts,
        headline={
            "mqls": int(total.mqls),
            "accepted": int(total.accepted),
            "sqls": int(total.sqls),
            "opportunities": int(total.opportunities),
            "acceptance": decisions.accepted.sum() / max(int(decisions.accepted.sum() + decisions.rejected.sum()), 1),
        },
        funnel=_table(funnel, percent=pct, kind="funnel"),
        decisions=_table(decisions, percent=("acceptance_rate",), kind="decisions"),
        month_over_month=_table(_month_over_month(trend), percent=("change",)),
        still_converting=_still_converting(read, month),
        trend=_table(_months(trend.reset_index(), "month")),
        sla_by_team=_table(
            sla_by_team[["team", "mqls", "breaches", *sla_rates]].rename(columns=sla_labels),
            percent=tuple(sla_labels.values()),
            kind="sla-team",
        ),
        sla_by_owner=_table(
            sla_by_owner.head(15)[["owner", "team", "mqls", "breaches", *sla_rates]].rename(columns=sla_labels),
            percent=tuple(sla_labels.values()),
        ),
        targets=targets,
        rejections=_table(rejections, percent=("share",)),
        cohorts=_table(_months(cohorts, "cohort_month"), percent=("mql_to_sql", "sql_to_opportunity")),
        wins=_table(wins, percent=("win_rate",), money=("won_amount_usd",)),
        stalled=_table(stalled, money=("amount_usd",)),
        aging=_table(_stage_aging(read)),
        quality=_table(latest_quality, percent=("failing_rate", "threshold"), decimals=1),
        patterns=_patterns(read, month, funnel, judged_month),
        review_queue=_review_queue(read),
        decided=decided,
        carried=carried,
        crm_url=crm_url,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"review-packet-{month:%Y-%m}.html"
    path.write_text(html, encoding="utf-8")
    return path


def build_published_packet(month: date | None = None) -> Path:
    """The packet from the published marts, into the reports directory (the task of the
    ``leadflow_review_packet`` DAG, run after each publish), with the SLA targets of the policy
    seed, the review's actions file and record links to the Salesforce connection's org."""
    from leadflow.connections import instance_url
    from leadflow.settings import paths

    where = paths()
    return build_packet(
        partial(where.warehouse.read_frame, published=True),
        where.reports,
        month,
        targets=sla_targets(where.dbt_project / "seeds"),
        actions=read_actions(actions_file(where.home)),
        crm_url=instance_url(),
    )
