"""Airflow Assets that connect Leadflow's DAGs."""

from airflow.sdk import Asset

PUBLISHED_MARTS = Asset("leadflow://warehouse/marts")
