# Leadflow: `make demo` and `make test` on a fresh machine do everything.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python

FIXTURES ?=
WAREHOUSE ?= warehouse/leadflow.duckdb
AS_OF ?=
SANDBOX_CLOCK ?=
ORG_CONFIG ?=
CRM ?=
BENCH_LEADS ?= 10000 100000
BENCH_HUBSPOT ?= 100000
BENCH_CACHE ?=

# Airflow runs from this checkout: metadata in .airflow/, DAGs from dags/, quiet.
export AIRFLOW_HOME := $(CURDIR)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False
# Cosmos keeps dbt's last parse per DAG here (not the machine-wide /tmp/cosmos, which other
# checkouts' nights, on other profiles, would overwrite)
export AIRFLOW__COSMOS__CACHE_DIR := $(AIRFLOW_HOME)/cosmos
export AIRFLOW__LOGGING__LOGGING_LEVEL := WARNING
# a Celery task still unacknowledged after this many seconds is delivered again (a second
# writer): Airflow's default of a day, far beyond a night, set so that it is a decision and
# Airflow stops warning of it in every worker (docker-compose.yml sets it too)
export AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT := 86400
export GX_ANALYTICS_ENABLED := False
export LEADFLOW_HOME := $(CURDIR)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help venv bytecode manifest airflow-init demo night airflow superset test test-fast lint format bench suites sheet-template docs clean

help:
	@echo "make demo   sandbox + nightly DAG end to end (FIXTURES=dir WAREHOUSE=file.duckdb AS_OF=iso SANDBOX_CLOCK=iso ORG_CONFIG=dir CRM=hubspot)"
	@echo "make airflow  the Airflow UI on this checkout's runs (AIRFLOW_PORT=8080)"
	@echo "make superset  Superset with the dashboards on WAREHOUSE (SUPERSET_PORT=8088)"
	@echo "make night  the same night without Airflow (FIXTURES=dir WAREHOUSE=file.duckdb AS_OF=iso SANDBOX_CLOCK=iso ORG_CONFIG=dir CRM=hubspot)"
	@echo "make test   lint and the whole test suite"
	@echo "make test-fast   the tests that build no night (pure Python, the sandbox API, dbt on empty sources)"
	@echo "make lint   ruff + sqlfluff"
	@echo "make docs   dbt docs as one HTML file beside the run summary (WAREHOUSE=file.duckdb)"
	@echo "make bench  a whole night per phase vs its floor, and a +1 day increment (BENCH_LEADS='10000 100000')"

# Bytecode compiled at install (as pip does; uv does not by default): where PYTHONDONTWRITEBYTECODE
# is set, as on CI here, every dbt, GX and Airflow process would otherwise compile its imports
# again (GX alone: 10 s of each audit).
$(VENV)/.installed: requirements.txt requirements-sandbox.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv==0.13.8
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(PY) -r requirements-dev.txt -e .
	touch $@

# Superset, for the dashboards in bi/superset, in a venv of its own (it pins Flask, SQLAlchemy 1.4
# and pandas 2). Its DuckDB, 1.1.3, is the 1.x client the tests open the published file with.
SUPERSET_VENV := $(VENV)/superset
$(SUPERSET_VENV)/.installed: requirements-superset.txt $(VENV)/.installed
	$(BIN)/uv venv --quiet --allow-existing --python $(PYTHON) $(SUPERSET_VENV)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(SUPERSET_VENV)/bin/python -r requirements-superset.txt
	touch $@

venv: $(VENV)/.installed $(SUPERSET_VENV)/.installed

# This checkout's own modules compiled likewise (compileall skips what is up to date): Airflow
# parses the DAG file, importing them, in every task process (0.7 s of each parse here).
bytecode: $(VENV)/.installed
	$(PY) -m compileall -q include dags

# The dbt graph the DAG renders from (Cosmos LoadMode.DBT_MANIFEST: DAG parsing never runs dbt),
# parsed with the profile of the warehouse configured here (LEADFLOW_WAREHOUSE, by default
# warehouse/leadflow.duckdb): a night there starts from this parse (Cosmos copies it), where any
# other profile makes dbt parse the whole project again.
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project/models dbt_project/macros dbt_project/seeds dbt_project/snapshots -type f) dbt_project/dbt_project.yml dbt_project/profiles.yml

$(MANIFEST): $(VENV)/.installed $(DBT_SOURCES)
	$(PY) -m leadflow.cli parse
	touch $@

manifest: $(MANIFEST)

$(AIRFLOW_HOME)/.initialised: $(VENV)/.installed
	mkdir -p $(AIRFLOW_HOME)
	$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/db-migrate.log 2>&1
	$(BIN)/airflow pools set leadflow_warehouse 1 "Tasks that write the DuckDB warehouse (one writer)" > /dev/null
	touch $@

airflow-init: $(AIRFLOW_HOME)/.initialised $(MANIFEST) bytecode

demo: airflow-init
	$(PY) -m leadflow_dev.cli demo $(if $(FIXTURES),--fixtures $(FIXTURES)) --warehouse $(WAREHOUSE) $(if $(AS_OF),--as-of $(AS_OF)) $(if $(SANDBOX_CLOCK),--sandbox-clock $(SANDBOX_CLOCK)) $(if $(ORG_CONFIG),--org-config $(ORG_CONFIG)) $(if $(CRM),--crm $(CRM))

# The Airflow UI on this checkout's metadata (the runs make demo made), every local user an admin.
AIRFLOW_PORT ?= 8080
airflow: airflow-init
	@echo "Airflow UI: http://localhost:$(AIRFLOW_PORT) (Ctrl-C stops it)"
	AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS=True $(BIN)/airflow api-server --port $(AIRFLOW_PORT)

# Superset with the dashboards on WAREHOUSE's published marts (metadata in .superset/).
SUPERSET_PORT ?= 8088
superset: $(SUPERSET_VENV)/.installed $(MANIFEST)
	LEADFLOW_WAREHOUSE=$(WAREHOUSE) $(PY) -m leadflow_dev.superset --port $(SUPERSET_PORT)

night: $(MANIFEST) bytecode
	$(PY) -m leadflow_dev.cli night $(if $(FIXTURES),--fixtures $(FIXTURES)) --warehouse $(WAREHOUSE) $(if $(AS_OF),--as-of $(AS_OF)) $(if $(SANDBOX_CLOCK),--sandbox-clock $(SANDBOX_CLOCK)) $(if $(ORG_CONFIG),--org-config $(ORG_CONFIG)) $(if $(CRM),--crm $(CRM))

lint: venv
	$(BIN)/ruff check include dags tests
	$(BIN)/ruff format --check include dags tests
	mkdir -p $(AIRFLOW_HOME)
	cd dbt_project && LEADFLOW_WORK_WAREHOUSE=$(AIRFLOW_HOME)/lint.duckdb ../$(BIN)/sqlfluff lint models --disable-progress-bar --processes 0

format: venv
	$(BIN)/ruff check --fix include dags tests
	mkdir -p $(AIRFLOW_HOME)
	cd dbt_project && LEADFLOW_WORK_WAREHOUSE=$(AIRFLOW_HOME)/lint.duckdb ../$(BIN)/sqlfluff fix models --disable-progress-bar --processes 0

# Tests run side by side, one worker per core (TEST_WORKERS=0: one process, in order).
TEST_WORKERS ?= auto

test: airflow-init lint
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

test-fast: $(MANIFEST) bytecode
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal -m "not night"

# The lead-sheet template's workbook, from its CSVs (tests/test_sheet_extraction.py checks they agree).
sheet-template: venv
	$(PY) -c "from leadflow_dev.sheet_render import TEMPLATE, template_workbook; template_workbook(TEMPLATE / 'lead-sheet.xlsx')"

suites: $(MANIFEST)
	$(PY) -m leadflow.cli quality init

docs: $(MANIFEST)
	LEADFLOW_WAREHOUSE=$(WAREHOUSE) $(BIN)/leadflow docs

bench: $(MANIFEST) bytecode
	$(PY) -m leadflow_dev.bench --leads $(BENCH_LEADS) --hubspot $(BENCH_HUBSPOT) $(if $(BENCH_CACHE),--cache $(BENCH_CACHE))

clean:
	rm -rf $(AIRFLOW_HOME) .superset warehouse demo dbt_project/target dbt_project/logs expectations/gx/uncommitted
