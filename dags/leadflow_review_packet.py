"""Leadflow review packet: rebuilt from the published marts every time the night publishes them."""

from __future__ import annotations

from datetime import UTC, datetime

from airflow.sdk import dag, task
from leadflow.alerts import failure_notifiers
from leadflow.assets import PUBLISHED_MARTS


@dag(
    schedule=[PUBLISHED_MARTS],
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 1, "on_failure_callback": failure_notifiers()},
    tags=["leadflow", "revops"],
    doc_md=__doc__,
)
def leadflow_review_packet() -> None:
    @task
    def build_review_packet() -> str:
        from leadflow.report.packet import build_published_packet  # pandas and matplotlib: not at parse time

        return str(build_published_packet())

    build_review_packet()


leadflow_review_packet()
