"""Celery settings of Leadflow's Airflow workers: Airflow's, and the DAG files parsed once per worker.

A Celery worker runs each task in a process forked from its pool, and that process parses the
task's DAG file. What the parse imports (Cosmos and its operators, the Leadflow modules the DAG
names, Airflow's decorators) is imported again by every task process unless the worker already
holds it. Airflow's Celery app preloads a few of its own modules for that reason (its
``import_modules`` handler); this one parses the DAG folder there too, before the pool forks, so
a night's 140 task processes (most of them Cosmos model and test tasks that only read the one
dbt build's outcome) start with all of it loaded. A DAG that fails to parse is only recorded by
that parse; the task process parses again and reports it. It then imports what the night's task
bodies import when they run (``nightly.TASK_BODY_IMPORTS``; what that saves: DECISIONLOG 39).

Airflow reads it from ``AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS=leadflow.celery_config.CELERY_CONFIG``.
"""

from __future__ import annotations

import importlib
from typing import Any

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG
from celery.signals import import_modules

from leadflow.nightly import TASK_BODY_IMPORTS

# Airflow's settings as they are: naming this module is what registers the handler below
CELERY_CONFIG: dict[str, Any] = DEFAULT_CELERY_CONFIG


@import_modules.connect
def preload(**_: object) -> None:
    """Parse the DAG folder and import the task bodies' libraries, once per worker."""
    from airflow.dag_processing.dagbag import DagBag

    DagBag()
    for module in TASK_BODY_IMPORTS:
        importlib.import_module(module)
