"""People hear about the night: Slack (incoming webhook) and e-mail (SMTP).

Both channels are optional and configured only by Airflow connections:

``leadflow_slack``  a ``slackwebhook`` connection (the webhook URL is its secret)
``leadflow_smtp``   an ``smtp`` connection; ``extra`` holds ``{"to": "revops@example.com"}``
                    (comma-separated) and may hold ``from_email``

A channel whose connection does not exist is skipped. Delivery uses the Slack and SMTP providers'
hooks; a delivery failure is logged and does not fail the night.
"""

from __future__ import annotations

import html
import logging
from typing import Any

import pandas as pd
from airflow.sdk import BaseNotifier

log = logging.getLogger(__name__)
SLACK_CONN_ID = "leadflow_slack"
SMTP_CONN_ID = "leadflow_smtp"


def _connection(conn_id: str) -> Any | None:
    from airflow.sdk import Connection

    try:
        return Connection.get(conn_id)
    except Exception:  # AirflowNotFoundException: the channel is not configured
        return None


def send(subject: str, text: str) -> dict[str, str]:
    """Deliver one message to every configured channel: per channel, "delivered" or why not."""
    outcome: dict[str, str] = {}
    if _connection(SLACK_CONN_ID) is not None:
        from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

        try:
            SlackWebhookHook(slack_webhook_conn_id=SLACK_CONN_ID).send(text=f"*{subject}*\n{text}")
            outcome["slack"] = "delivered"
        except Exception as error:
            log.exception("Slack alert not delivered")
            outcome["slack"] = f"not delivered: {type(error).__name__}"
    smtp = _connection(SMTP_CONN_ID)
    if smtp is not None:
        from airflow.providers.smtp.hooks.smtp import SmtpHook

        extra = smtp.extra_dejson
        try:
            with SmtpHook(smtp_conn_id=SMTP_CONN_ID) as hook:
                hook.send_email_smtp(
                    to=extra.get("to", ""),
                    subject=subject,
                    from_email=extra.get("from_email", "leadflow@localhost"),
                    html_content=f"<pre>{html.escape(text)}</pre>",
                )
            outcome["email"] = "delivered"
        except Exception as error:
            log.exception("E-mail alert not delivered")
            outcome["email"] = f"not delivered: {type(error).__name__}"
    return outcome


def quality_message(
    history: pd.DataFrame, data_docs: str | None, quarantined: dict[str, int] | None = None
) -> tuple[str, str] | None:
    """Subject and text for the latest run's failing controls and tonight's quarantined records
    (per object), or None when there is neither. ``history`` holds the rows of
    ``mart_data_quality`` for the latest two runs (the change is since the previous one)."""
    quarantined = quarantined or {}
    if history.empty and not quarantined:
        return None
    latest_run = history.run_as_of.max()
    latest = history[history.run_as_of == latest_run]
    previous = history[history.run_as_of != latest_run].set_index("control_name")
    failing = latest[latest.status == "fail"]
    if failing.empty and not quarantined:
        return None
    lines = []
    if not history.empty:
        lines.append(f"Run as of {latest_run:%Y-%m-%d %H:%M} UTC: {len(failing)} of {len(latest)} controls failing.")
    for row in failing.itertuples():
        change = ""
        if row.control_name in previous.index:
            delta = row.failing_rate - float(previous.loc[row.control_name, "failing_rate"])
            change = f", {delta:+.1%} since the previous run"
        lines.append(
            f"- {row.control_name} [{row.severity}, {row.owner}]: {row.failing_rate:.1%} of {row.population} "
            f"(threshold {row.threshold:.1%}{change}); e.g. {row.sample_record_ids or '-'}"
        )
    if quarantined:
        counts = ", ".join(f"{name} {count}" for name, count in quarantined.items())
        lines.append(
            f"Records quarantined tonight (whole, or fields nulled or truncated): {counts};"
            " the run summary names them and why."
        )
    if data_docs:
        lines.append(f"Data docs: {data_docs}")
    subject = f"Leadflow data quality: {len(failing)} controls failing"
    if quarantined:
        subject += f", {sum(quarantined.values())} records quarantined"
    return subject, "\n".join(lines)


class TaskFailureAlert(BaseNotifier):
    """Alerts when a task fails for good (its retries exhausted)."""

    def notify(self, context: Any) -> None:
        ti = context["ti"]
        exception = context.get("exception")
        send(
            f"Leadflow: {ti.dag_id}.{ti.task_id} failed",
            f"Run {context['run_id']}: task {ti.task_id} failed after {ti.try_number} tries.\n{exception}",
        )


def failure_notifiers() -> list[BaseNotifier]:
    return [TaskFailureAlert()]
