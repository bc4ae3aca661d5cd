"""Great Expectations validation of the night's warehouse, before anything is published.

Runs every validation definition of the GX file context (see :mod:`leadflow.quality.suites`) on
what each suite's query returns from the warehouse (a row of aggregates, or a few columns of a
small table: never a model's rows, so the audit's memory does not grow with the warehouse), with
each hygiene control's threshold taken from the ``data_quality_controls`` seed so that dbt and
GX read one policy. Validation results and data docs go under the reports directory (``<reports>/gx``),
with ``tonight.html`` beside GX's index: the night's validations, on a page that opens offline.

* ``integrity`` suites guard the pipeline itself: any failure stops publishing.
* ``hygiene`` suites are the RevOps controls: a failure is a finding, published and alerted,
  unless the seed gives the control severity ``error``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from leadflow.quality import offline_index
from leadflow.quality.suites import SuiteSpec, all_suites, check_committed, open_context, validation_name

if TYPE_CHECKING:
    from leadflow.settings import Paths
    from leadflow.warehouse import Warehouse

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
logging.getLogger("great_expectations").setLevel(logging.WARNING)

SAMPLE_SIZE = 5


@dataclass
class Finding:
    suite: str
    expectation: str
    column: str | None
    control_name: str | None
    severity: str  # "error" stops publishing, "warn" publishes and alerts
    success: bool
    unexpected_percent: float | None
    threshold: float | None
    sample_ids: list[str] = field(default_factory=list)


@dataclass
class QualityReport:
    findings: list[Finding]
    data_docs: str | None

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if not f.success and f.severity == "error"]

    @property
    def failing(self) -> list[Finding]:
        return [f for f in self.findings if not f.success]

    def to_dict(self) -> dict[str, Any]:
        return {"data_docs": self.data_docs, "findings": [asdict(f) for f in self.findings]}


# what a result holds of the records themselves: values and ids, which come from the CRM
RECORD_VALUES = (
    "partial_unexpected_list",
    "partial_unexpected_counts",
    "partial_unexpected_index_list",
    "unexpected_list",
    "unexpected_index_list",
    "unexpected_index_query",
)


def _without_record_values(store: Any, key: Any) -> Any:
    """Keep a stored validation result to its counts and rates. Data docs render the stored result
    as HTML, and record values are CRM text (a script in a lead's title would run in the reader's
    browser; a name is personal data): the run summary and the alerts carry sample ids instead."""
    result = store.get(key)
    for outcome in result.results:
        for name in RECORD_VALUES:
            (outcome.result or {}).pop(name, None)
    store.set(key, result)
    return result


def _control_samples(warehouse: Warehouse) -> dict[str, list[str]]:
    """Each control's first failing record ids tonight, as ``mart_data_quality`` samples them
    (the dbt model reads the same registry row as the control's expectation)."""
    frame = warehouse.read_frame(
        "select control_name, coalesce(sample_record_ids, '') as ids from marts.mart_data_quality"
        " where run_as_of = (select max(run_as_of) from marts.mart_data_quality)"
    )
    return {row.control_name: [i for i in str(row.ids).split(", ") if i] for row in frame.itertuples()}


def _run(context: Any, spec: SuiteSpec, frame: Any, parameters: dict[str, float], run_id: Any, with_ids: bool) -> Any:
    """One suite's validation. SUMMARY gives counts and a few failing values; asking for ids makes
    GX list the id of every failing row (3-4 s per expectation at a million leads), so they are
    asked for only where needed (COMPLETE would also store and render every failing row)."""
    result_format: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}
    if with_ids:
        result_format["unexpected_index_column_names"] = [spec.id_column]
    return context.validation_definitions.get(validation_name(spec)).run(
        batch_parameters={"dataframe": frame},
        expectation_parameters=parameters,
        result_format=result_format,
        run_id=run_id,
    )


def validate(where: Paths) -> QualityReport:
    """Validate ``where``'s work warehouse with the committed suites; results and data docs go to
    its reports directory (``<reports>/gx``)."""
    from great_expectations.core.run_identifier import RunIdentifier

    warehouse = where.warehouse
    context = open_context(where.expectations, where.reports / "gx")
    run_id = RunIdentifier(run_name="leadflow", run_time=datetime.now(UTC))
    seed = warehouse.read_frame("select control_name, threshold, severity from policy.data_quality_controls")
    policy = {row.control_name: (float(row.threshold), str(row.severity)) for row in seed.itertuples()}
    parameters = {f"{name}_threshold": threshold for name, (threshold, _) in policy.items()}
    suites = all_suites(where.control_registry, where.dbt_manifest)
    check_committed(context, suites)
    samples_of_control: dict[str, list[str]] | None = None
    findings: list[Finding] = []
    for spec in suites:
        frame = warehouse.read_frame(spec.query)
        result = _run(context, spec, frame, parameters, run_id, with_ids=False)
        if spec.kind == "integrity" and spec.id_column and not result.success:
            # a night that will not publish: the ids say why
            result = _run(context, spec, frame, parameters, run_id, with_ids=True)
        for outcome in result.results:
            config = outcome.expectation_config
            control = (config.meta or {}).get("control_name")
            threshold, severity = policy.get(control, (None, "error" if spec.kind == "integrity" else "warn"))
            details = outcome.result or {}
            percent = details.get("unexpected_percent")
            if control and details.get("observed_value") is not None:
                percent = 100 * float(details["observed_value"])  # the control's failing share
            if control and not outcome.success:
                if samples_of_control is None:
                    samples_of_control = _control_samples(warehouse)
                samples = samples_of_control.get(control, [])
            else:
                samples = [
                    str(row.get(spec.id_column))
                    for row in (details.get("partial_unexpected_index_list") or [])
                    if isinstance(row, dict)
                ][:SAMPLE_SIZE]
            findings.append(
                Finding(
                    suite=spec.name,
                    expectation=config.type,
                    column=config.kwargs.get("column"),
                    control_name=control,
                    severity=severity,
                    success=bool(outcome.success),
                    unexpected_percent=percent,
                    threshold=threshold,
                    sample_ids=samples,
                )
            )
    # render this night's results only: the store keeps every night's, and re-rendering them all
    # would make each night slower than the one before
    tonight = [key for key in context.validation_results_store.list_keys() if key.run_id == run_id]
    results = {key: _without_record_values(context.validation_results_store, key) for key in tonight}
    suites = list({key.expectation_suite_identifier.name: key.expectation_suite_identifier for key in tonight}.values())
    sites = context.build_data_docs(resource_identifiers=tonight + suites)
    site = next(iter(sites.values()), None)
    if site is None:
        return QualityReport(findings=findings, data_docs=None)
    index = offline_index.write(context, results, offline_index.file_of(site).with_name("tonight.html"))
    return QualityReport(findings=findings, data_docs=index.as_uri())
