# Leadflow's Airflow image: the official Airflow 3 image plus the pinned project requirements.
FROM apache/airflow:3.3.2-python3.11

USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
USER airflow

COPY --chown=airflow:root requirements.txt pyproject.toml /opt/airflow/leadflow/
COPY --chown=airflow:root include /opt/airflow/leadflow/include
RUN pip install --no-cache-dir -r /opt/airflow/leadflow/requirements.txt \
    && pip install --no-cache-dir --no-deps -e /opt/airflow/leadflow

COPY --chown=airflow:root dags /opt/airflow/dags
COPY --chown=airflow:root plugins /opt/airflow/plugins
COPY --chown=airflow:root dbt_project /opt/airflow/leadflow/dbt_project
# the manifest the DAG renders its dbt tasks from (parsing the DAG never runs dbt)
RUN cd /opt/airflow/leadflow/dbt_project && dbt parse --profiles-dir . --quiet
COPY --chown=airflow:root expectations /opt/airflow/leadflow/expectations

ENV LEADFLOW_HOME=/opt/airflow/leadflow \
    LEADFLOW_WAREHOUSE=/opt/airflow/warehouse/leadflow.duckdb \
    LEADFLOW_REPORTS_DIR=/opt/airflow/reports \
    GX_ANALYTICS_ENABLED=False \
    AIRFLOW__COSMOS__ENABLE_TELEMETRY=False
