"""The expectation suites, written into the GX file context under ``expectations/``.

* ``integrity`` suites guard the pipeline itself; they are written below.
* ``hygiene`` suites are generated from the control registry (the dbt seed
  ``data_quality_controls``, which also generates ``mart_data_quality``): one suite per model,
  one expectation per control, "the share of failing rows in the population is at most the
  threshold", the threshold a suite parameter (``<control>_threshold``) filled at run time from
  the seed. The warehouse computes each share (one row per suite, a column per control) and GX
  judges and records it: the audit reads a row per suite, not the model's rows, so its memory
  does not grow with the warehouse.

``leadflow quality init`` (``make suites``) writes the suites, the pandas data source (it holds
what a suite's query returns: a row of aggregates, or a few columns of a small table) and one
validation definition per suite. Every object that did not change keeps its id, so the
committed JSON's diff shows only what changed; the audit refuses to run on suites that differ
from what this module generates (``SuitesOutOfDate``).
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATASOURCE = "leadflow_warehouse"
RESULTS_VARIABLE = "LEADFLOW_GX_RESULTS"  # great_expectations.yml puts results and data docs there
BATCH = "whole_table"

Expectation = tuple[str, dict[str, Any], dict[str, Any]]  # (class name, kwargs, meta)


@dataclass(frozen=True)
class SuiteSpec:
    name: str  # "<kind>.<table>"
    table: str  # schema.table in the work warehouse
    expectations: tuple[Expectation, ...]
    id_column: str | None = None  # sampled in findings
    measures: str | None = None  # a select list of aggregates: validate one row of them, not the rows

    @property
    def kind(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def query(self) -> str:
        """What the validation reads: its aggregates, or the columns its expectations name (a
        whole mart would cost more than its checks)."""
        if self.measures:
            return f"select {self.measures} from {self.table}"
        named: list[str] = [self.id_column] if self.id_column else []
        for _, kwargs, _ in self.expectations:
            for key in ("column", "column_A", "column_B"):
                if key in kwargs:
                    named.append(kwargs[key])
            named.extend(kwargs.get("column_list", []))
        return f"select {', '.join(dict.fromkeys(named))} from {self.table}"


@dataclass(frozen=True)
class Control:
    """One row of the control registry (see the seed's yml for what each field means)."""

    control_name: str
    description: str
    model: str
    record_id: str
    population_flag: str
    failing_flag: str
    threshold: float
    severity: str
    owner: str


class SuitesOutOfDate(RuntimeError):
    """The committed suites differ from what the registry and this module generate."""


def read_registry(registry: Path) -> list[Control]:
    with registry.open(newline="", encoding="utf-8") as handle:
        return [Control(**{**row, "threshold": float(row["threshold"])}) for row in csv.DictReader(handle)]


def _check(expectation: str, **kwargs: Any) -> Expectation:
    return expectation, kwargs, {}


# What dbt does not check. A mart's keys, not-null columns and value sets are its contract and
# data tests (the `<mart>.yml` beside it): a night that breaks one fails its `dbt build` and never
# reaches the audit, so the same check here could not fail (DECISIONLOG 43).
INTEGRITY_SUITES: tuple[SuiteSpec, ...] = (
    SuiteSpec(
        "integrity.fct_lead_lifecycle",
        "marts.fct_lead_lifecycle",
        (_check("ExpectColumnMinToBeBetween", column="leads", min_value=1),),
        measures="count(*) as leads",
    ),
    SuiteSpec(
        "integrity.mart_stage_conversion",
        "marts.mart_stage_conversion",
        (
            _check("ExpectTableRowCountToBeBetween", min_value=1),
            _check("ExpectCompoundColumnsToBeUnique", column_list=["cohort_month", "original_source", "segment"]),
        ),
    ),
    SuiteSpec(
        "integrity.raw_reconciliation",
        "audit.audit_raw_staging_reconciliation",
        (_check("ExpectColumnPairValuesToBeEqual", column_A="raw_records", column_B="staging_records"),),
        id_column="source_object",
    ),
    SuiteSpec(
        "integrity.pipeline",
        "audit.audit_pipeline_integrity",
        (_check("ExpectColumnValuesToBeBetween", column="failing", min_value=0, max_value=0),),
        id_column="check_name",
    ),
)


def model_relations(manifest: Path) -> dict[str, str]:
    """Each dbt model's relation as built (``schema.alias``), from the project's manifest."""
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"].values()
    return {n["name"]: f"{n['schema']}.{n['alias'] or n['name']}" for n in nodes if n["resource_type"] == "model"}


def failing_share(control: Control) -> str:
    """SQL: the share of ``control``'s population (the rows its population flag is true for, or
    every row) whose failing flag is true, 0 when the population is empty: as
    ``mart_data_quality`` counts them, named after the control."""
    population = control.population_flag or "true"
    return (
        f"coalesce(cast(count(case when {population} and {control.failing_flag} then 1 end) as double precision)"
        f" / nullif(count(case when {population} then 1 end), 0), 0) as {control.control_name}"
    )


def hygiene_suites(controls: list[Control], relations: dict[str, str]) -> tuple[SuiteSpec, ...]:
    """One suite per model named in the registry, one expectation per control, in registry order;
    each reads its model's relation in ``relations`` (:func:`model_relations`) as one row of
    failing shares. A failing control's sample ids come from ``mart_data_quality`` (dbt samples
    the registry's ``record_id``)."""
    suites: dict[str, SuiteSpec] = {}
    for control in controls:
        kwargs = {"column": control.control_name, "max_value": {"$PARAMETER": f"{control.control_name}_threshold"}}
        expectation = ("ExpectColumnMaxToBeBetween", kwargs, {"control_name": control.control_name})
        spec = suites.get(control.model) or SuiteSpec(f"hygiene.{control.model}", relations[control.model], ())
        measures = ", ".join(filter(None, [spec.measures, failing_share(control)]))
        suites[control.model] = SuiteSpec(spec.name, spec.table, (*spec.expectations, expectation), measures=measures)
    return tuple(suites.values())


def all_suites(registry: Path, manifest: Path) -> tuple[SuiteSpec, ...]:
    """The integrity suites and those the registry generates (their models' relations are read
    from the dbt manifest)."""
    return INTEGRITY_SUITES + hygiene_suites(read_registry(registry), model_relations(manifest))


def validation_name(suite: SuiteSpec) -> str:
    return f"validate.{suite.name}"


def _signature(expectation: Any) -> tuple[str, str]:
    """What identifies an expectation's content (its type and arguments, not its id)."""
    import json

    config = expectation.configuration if hasattr(expectation, "configuration") else expectation
    return config.type, json.dumps({"kwargs": config.kwargs, "meta": config.meta or {}}, sort_keys=True, default=str)


def _desired(spec: SuiteSpec) -> list[Any]:
    import great_expectations as gx

    return [getattr(gx.expectations, name)(**kwargs, meta=meta or None) for name, kwargs, meta in spec.expectations]


def check_committed(context: Any, suites: tuple[SuiteSpec, ...]) -> None:
    """Raise SuitesOutOfDate unless every suite is committed exactly as generated."""
    from great_expectations.exceptions import DataContextError

    stale = []
    for spec in suites:
        try:
            committed = context.suites.get(spec.name)
        except DataContextError:
            stale.append(spec.name)
            continue
        if sorted(map(_signature, committed.expectations)) != sorted(map(_signature, _desired(spec))):
            stale.append(spec.name)
    if stale:
        raise SuitesOutOfDate(
            f"suites differ from the control registry and quality/suites.py: {stale}; run make suites"
        )


def open_context(project_root: Path, results: Path) -> Any:
    """The GX file context at ``project_root``, its validation results and data docs written under
    ``results`` (the reports directory of the warehouse validated, not the checkout)."""
    import great_expectations as gx

    os.environ[RESULTS_VARIABLE] = str(results)
    return gx.get_context(mode="file", project_root_dir=str(project_root))


def init_context(project_root: Path, registry: Path, manifest: Path) -> None:
    """Write the data source, suites and validation definitions into the GX file context,
    keeping the id of everything that did not change, and removing suites no longer generated."""
    import great_expectations as gx
    from great_expectations.exceptions import DataContextError

    context = open_context(project_root, project_root / "gx" / "uncommitted")  # writes no results
    try:
        datasource = context.data_sources.get(DATASOURCE)
    except (KeyError, ValueError):
        datasource = context.data_sources.add_pandas(DATASOURCE)
    suites = all_suites(registry, manifest)
    for spec in suites:
        try:
            asset = datasource.get_asset(spec.table)
        except LookupError:
            asset = datasource.add_dataframe_asset(spec.table)
        try:
            batch = asset.get_batch_definition(BATCH)
        except KeyError:
            batch = asset.add_batch_definition_whole_dataframe(BATCH)
        try:
            existing = context.suites.get(spec.name)
        except DataContextError:
            existing = None
        if existing is None:
            suite = context.suites.add(
                gx.ExpectationSuite(name=spec.name, meta={"table": spec.table, "kind": spec.kind})
            )
            suite.expectations = []
        else:
            suite = existing
        # edit the suite in place: an unchanged expectation keeps its id, so the diff is the change
        desired = {_signature(e): e for e in _desired(spec)}
        current = {_signature(e): e for e in suite.expectations}
        for signature, expectation in current.items():
            if signature not in desired:
                suite.delete_expectation(expectation)
        for signature, expectation in desired.items():
            if signature not in current:
                suite.add_expectation(expectation)
        meta = {**suite.meta, "table": spec.table, "kind": spec.kind}
        if existing is None or current.keys() != desired.keys() or meta != suite.meta:
            suite.meta = meta
            suite.save()
        try:
            definition = context.validation_definitions.get(validation_name(spec))
        except DataContextError:
            definition = None
        if definition is None or definition.data.data_asset.name != spec.table:
            if definition is not None:
                context.validation_definitions.delete(validation_name(spec))
            context.validation_definitions.add(
                gx.ValidationDefinition(name=validation_name(spec), data=batch, suite=suite)
            )
    for asset in list(datasource.assets):
        if asset.name not in {spec.table for spec in suites}:
            datasource.delete_asset(asset.name)
    names = {spec.name for spec in suites}
    for suite in context.suites.all():
        if suite.name not in names:
            context.validation_definitions.delete(f"validate.{suite.name}")
            context.suites.delete(suite.name)
