"""People hear about the night: Slack (incoming webhook) and e-mail (SMTP).

Both channels are optional and configured only by Airflow connections:

``leadflow_slack``  a ``slackwebhook`` connection (the webhook URL is its secret)
``leadflow_smtp``   an ``smtp`` connection; ``extra`` holds ``{"to": "revops@example.com"}``
                    (comma-separated) and may hold ``from_email``

A control's owner (a team of the controls seed, e.g. ``sales-ops``) hears about its failing
controls on its own channels, ``leadflow_slack_sales_ops`` and ``leadflow_smtp_sales_ops``, where
those connections exist, else on the default ones above; an overview (controls failing per owner,
quarantine, the review queue per team) goes to the default channels. A channel whose connection
does not exist is skipped. Delivery uses the Slack and SMTP providers' hooks; a delivery failure
is logged, recorded in the run summary, and does not fail the night.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseNotifier

if TYPE_CHECKING:  # the DAG file imports this module: pandas is not needed to parse it
    import pandas as pd

log = logging.getLogger(__name__)
SLACK_CONN_ID = "leadflow_slack"
SMTP_CONN_ID = "leadflow_smtp"


def _connection(conn_id: str) -> Any | None:
    from airflow.sdk import Connection

    try:
        return Connection.get(conn_id)
    except Exception:  # AirflowNotFoundException: the channel is not configured
        return None


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    owner: str | None = None  # a control owner's team; None: for the default channels


def _owned(conn_id: str, owner: str | None) -> str | None:
    """The owner's connection of a channel (``leadflow_slack_sales_ops``), else the default one;
    None when neither exists."""
    if owner:
        specific = f"{conn_id}_{re.sub(r'[^a-z0-9]+', '_', owner.lower()).strip('_')}"
        if _connection(specific) is not None:
            return specific
    return conn_id if _connection(conn_id) is not None else None


def send(message: Message) -> dict[str, str]:
    """Deliver one message to its owner's channels (or the default ones): per channel,
    "delivered" or why not."""
    outcome: dict[str, str] = {}
    if slack := _owned(SLACK_CONN_ID, message.owner):
        from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

        try:
            SlackWebhookHook(slack_webhook_conn_id=slack).send(text=f"*{message.subject}*\n{message.text}")
            outcome["slack"] = "delivered"
        except Exception as error:
            log.exception("Slack alert not delivered")
            outcome["slack"] = f"not delivered: {type(error).__name__}"
    if smtp_id := _owned(SMTP_CONN_ID, message.owner):
        from airflow.providers.smtp.hooks.smtp import SmtpHook

        extra = _connection(smtp_id).extra_dejson
        try:
            with SmtpHook(smtp_conn_id=smtp_id) as hook:
                hook.send_email_smtp(
                    to=extra.get("to", ""),
                    subject=message.subject,
                    from_email=extra.get("from_email", "leadflow@localhost"),
                    html_content=f"<pre>{html.escape(message.text)}</pre>",
                )
            outcome["email"] = "delivered"
        except Exception as error:
            log.exception("E-mail alert not delivered")
            outcome["email"] = f"not delivered: {type(error).__name__}"
    if not outcome:
        outcome["none"] = f"not sent: no {SLACK_CONN_ID} or {SMTP_CONN_ID} connection is configured"
    return outcome


def _control_line(row: Any, previous: pd.DataFrame) -> str:
    change = ""
    if row.control_name in previous.index:
        delta = row.failing_rate - float(previous.loc[row.control_name, "failing_rate"])
        change = f", {delta:+.1%} since the previous run"
    return (
        f"- {row.control_name} [{row.severity}, {row.owner}]: {row.failing_rate:.1%} of {row.population} "
        f"(threshold {row.threshold:.1%}{change}); e.g. {row.sample_record_ids or '-'}"
    )


def night_messages(
    history: pd.DataFrame,
    data_docs: str | None,
    quarantined: dict[str, int] | None = None,
    queue: pd.DataFrame | None = None,
) -> list[Message]:
    """The night's messages: one per owner of failing controls (their controls, with the change
    since the previous run) and an overview for the default channels (failing controls per owner,
    records quarantined, the review queue per reason and team). None when nothing fails and
    nothing was quarantined. ``history`` holds ``mart_data_quality`` rows of the latest two runs;
    ``queue`` counts of ``mart_review_queue`` by ``reason`` and ``owner_team`` (``records``)."""
    quarantined = quarantined or {}
    latest_run = history.run_as_of.max() if not history.empty else None
    latest = history[history.run_as_of == latest_run]
    previous = history[history.run_as_of != latest_run].set_index("control_name")
    failing = latest[latest.status == "fail"]
    if failing.empty and not quarantined:
        return []
    messages = [
        Message(
            f"Leadflow data quality: {len(rows)} of your controls failing ({owner})",
            f"Run as of {latest_run:%Y-%m-%d %H:%M} UTC.\n"
            + "\n".join(_control_line(row, previous) for row in rows.itertuples())
            + (f"\nData docs: {data_docs}" if data_docs else ""),
            owner,
        )
        for owner, rows in failing.groupby("owner", sort=True)
    ]
    lines = []
    if latest_run is not None:
        per_owner = ", ".join(f"{owner} {len(rows)}" for owner, rows in failing.groupby("owner", sort=True))
        lines.append(
            f"Run as of {latest_run:%Y-%m-%d %H:%M} UTC: {len(failing)} of {len(latest)} controls failing"
            + (f" ({per_owner}; each owner was told)" if per_owner else "")
            + "."
        )
        lines += [_control_line(row, previous) for row in failing.itertuples()]
    if quarantined:
        counts = ", ".join(f"{name} {count}" for name, count in quarantined.items())
        lines.append(
            f"Records quarantined tonight (whole, fields nulled or truncated, or without their parent): {counts};"
            " the run summary names them and why."
        )
    if queue is not None and not queue.empty:
        lines.append(f"Review queue: {int(queue.records.sum())} records wait for a person:")
        for reason, rows in queue.groupby("reason", sort=True):
            teams = ", ".join(
                f"{team if isinstance(team, str) else 'no team'} {int(n)}"
                for team, n in zip(rows.owner_team, rows.records, strict=True)
            )
            lines.append(f"- {reason}: {int(rows.records.sum())} ({teams})")
    if data_docs:
        lines.append(f"Data docs: {data_docs}")
    subject = f"Leadflow data quality: {len(failing)} controls failing"
    if quarantined:
        subject += f", {sum(quarantined.values())} records quarantined"
    return [Message(subject, "\n".join(lines)), *messages]


class TaskFailureAlert(BaseNotifier):
    """Alerts when a task fails for good (its retries exhausted)."""

    def notify(self, context: Any) -> None:
        ti = context["ti"]
        exception = context.get("exception")
        send(
            Message(
                f"Leadflow: {ti.dag_id}.{ti.task_id} failed",
                f"Run {context['run_id']}: task {ti.task_id} failed after {ti.try_number} tries.\n{exception}",
            )
        )


def failure_notifiers() -> list[BaseNotifier]:
    return [TaskFailureAlert()]
