# Leadflow's images.
# airflow (the default target): the official Airflow 3 image plus the pinned runtime requirements and
#   the leadflow package; no developer tools, no browser.
# sandbox: the product image plus the sandbox of every source (`docker compose --profile sandbox`).
FROM apache/airflow:3.3.2-python3.11 AS airflow

COPY --chown=airflow:root requirements.txt pyproject.toml /opt/airflow/leadflow/
COPY --chown=airflow:root include/leadflow /opt/airflow/leadflow/include/leadflow
RUN pip install --no-cache-dir -r /opt/airflow/leadflow/requirements.txt \
    && pip install --no-cache-dir --no-deps -e /opt/airflow/leadflow

COPY --chown=airflow:root dags /opt/airflow/dags
COPY --chown=airflow:root plugins /opt/airflow/plugins
ENV LEADFLOW_HOME=/opt/airflow/leadflow \
    LEADFLOW_WAREHOUSE=/opt/airflow/warehouse/leadflow.duckdb \
    LEADFLOW_REPORTS_DIR=/opt/airflow/reports \
    GX_ANALYTICS_ENABLED=False \
    AIRFLOW__COSMOS__ENABLE_TELEMETRY=False

COPY --chown=airflow:root dbt_project /opt/airflow/leadflow/dbt_project
# the manifest the DAG renders its dbt tasks from (parsing the DAG never runs dbt), parsed with the
# warehouse's profile so that the first night reuses the parse
RUN leadflow parse
COPY --chown=airflow:root expectations /opt/airflow/leadflow/expectations
COPY --chown=airflow:root bi/superset /opt/airflow/leadflow/bi/superset

FROM airflow AS sandbox
COPY --chown=airflow:root requirements-sandbox.txt /opt/airflow/leadflow/
COPY --chown=airflow:root include/leadflow_dev /opt/airflow/leadflow/include/leadflow_dev
# the lead-sheet template, which `leadflow-dev sheet-fixture` serves
COPY --chown=airflow:root templates /opt/airflow/leadflow/templates
RUN pip install --no-cache-dir -r /opt/airflow/leadflow/requirements-sandbox.txt \
    && pip install --no-cache-dir --no-deps -e /opt/airflow/leadflow

# the product image is the last stage, so a plain `docker build .` makes it
FROM airflow
