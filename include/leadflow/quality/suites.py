"""The expectation suites, written into the GX file context under ``expectations/``.

``leadflow quality init`` (re)writes the suites, the pandas data source and one validation
definition per suite from the specification below; the resulting JSON is committed, so a change
to a suite is reviewed as a diff. Hygiene expectations take ``mostly`` as a suite parameter
(``<control>_mostly``), filled at run time from the ``data_quality_controls`` seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATASOURCE = "leadflow_warehouse"


@dataclass(frozen=True)
class SuiteSpec:
    name: str  # "<kind>.<table>"
    table: str  # schema.table in the work warehouse
    expectations: tuple[tuple[str, dict[str, Any], dict[str, Any]], ...]  # (class name, kwargs, meta)

    @property
    def kind(self) -> str:
        return self.name.split(".", 1)[0]


def _control(name: str, expectation: str, **kwargs: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
    kwargs["mostly"] = {"$PARAMETER": f"{name}_mostly"}
    return expectation, kwargs, {"control_name": name}


def _check(expectation: str, **kwargs: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
    return expectation, kwargs, {}


SUITES: tuple[SuiteSpec, ...] = (
    SuiteSpec(
        "integrity.fct_lead_lifecycle",
        "marts.fct_lead_lifecycle",
        (
            _check("ExpectTableRowCountToBeBetween", min_value=1),
            _check("ExpectColumnValuesToNotBeNull", column="lead_id"),
            _check("ExpectColumnValuesToBeUnique", column="lead_id"),
            _check("ExpectColumnValuesToNotBeNull", column="original_source"),
            _check(
                "ExpectColumnValuesToBeInSet",
                column="segment",
                value_set=["SMB", "Mid-Market", "Enterprise", "Unknown"],
            ),
            _check("ExpectColumnValuesToNotBeNull", column="cohort_month"),
        ),
    ),
    SuiteSpec(
        "integrity.fct_lead_sla",
        "marts.fct_lead_sla",
        (
            _check("ExpectColumnValuesToBeUnique", column="lead_id"),
            _check("ExpectColumnValuesToBeInSet", column="assign_status", value_set=["met", "breached", "pending"]),
        ),
    ),
    SuiteSpec(
        "integrity.fct_opportunities",
        "marts.fct_opportunities",
        (
            _check("ExpectColumnValuesToNotBeNull", column="opportunity_id"),
            _check("ExpectColumnValuesToBeUnique", column="opportunity_id"),
        ),
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
        "intermediate.int_raw_staging_reconciliation",
        (_check("ExpectColumnPairValuesToBeEqual", column_A="raw_records", column_B="staging_records"),),
    ),
    SuiteSpec(
        "integrity.pipeline",
        "intermediate.int_pipeline_integrity",
        (_check("ExpectColumnValuesToBeBetween", column="failing", min_value=0, max_value=0),),
    ),
    SuiteSpec(
        "hygiene.fct_lead_lifecycle",
        "marts.fct_lead_lifecycle",
        (
            _control(
                "source_unknown", "ExpectColumnValuesToNotBeInSet", column="original_source", value_set=["Unknown"]
            ),
            _control(
                "duplicate_leads_multiple_owners",
                "ExpectColumnValuesToNotBeInSet",
                column="is_duplicate_multiple_owners",
                value_set=[True],
                row_condition="email_key_hash.notnull()",
                condition_parser="pandas",
            ),
            _control(
                "rejection_reason_other",
                "ExpectColumnValuesToNotBeInSet",
                column="rejection_reason",
                value_set=["Other"],
                row_condition="rejected_at.notnull()",
                condition_parser="pandas",
            ),
            _control(
                "rejection_reason_missing",
                "ExpectColumnValuesToNotBeInSet",
                column="rejection_reason",
                value_set=["Missing"],
                row_condition="rejected_at.notnull()",
                condition_parser="pandas",
            ),
            _control(
                "sql_date_missing",
                "ExpectColumnValuesToNotBeInSet",
                column="sql_date_missing",
                value_set=[True],
                row_condition="reached_sql == True",
                condition_parser="pandas",
            ),
            _control(
                "opportunity_source_overwritten",
                "ExpectColumnValuesToNotBeInSet",
                column="is_opportunity_source_overwritten",
                value_set=[True],
                row_condition="is_opportunity == True",
                condition_parser="pandas",
            ),
            _control(
                "routed_to_inactive_owner",
                "ExpectColumnValuesToNotBeInSet",
                column="is_owner_inactive",
                value_set=[True],
                row_condition="is_open_lead == True",
                condition_parser="pandas",
            ),
        ),
    ),
    SuiteSpec(
        "hygiene.fct_opportunities",
        "marts.fct_opportunities",
        (
            _control(
                "opportunity_missing_next_step",
                "ExpectColumnValuesToNotBeInSet",
                column="has_next_step",
                value_set=[False],
                row_condition="is_closed == False",
                condition_parser="pandas",
            ),
            _control(
                "opportunity_missing_evidence",
                "ExpectColumnValuesToNotBeInSet",
                column="is_missing_evidence",
                value_set=[True],
            ),
        ),
    ),
    SuiteSpec(
        "hygiene.fct_lead_sla",
        "marts.fct_lead_sla",
        (
            _control(
                "mql_unworked_past_sla",
                "ExpectColumnValuesToNotBeInSet",
                column="is_unworked_past_sla",
                value_set=[True],
            ),
        ),
    ),
)


def validation_name(suite: SuiteSpec) -> str:
    return f"validate.{suite.name}"


def init_context(project_root: Path) -> None:
    """Write the data source, suites and validation definitions into the GX file context."""
    import great_expectations as gx

    context = gx.get_context(mode="file", project_root_dir=str(project_root))
    datasource = context.data_sources.add_or_update_pandas(DATASOURCE)
    for spec in SUITES:
        try:
            asset = datasource.get_asset(spec.table)
        except LookupError:
            asset = datasource.add_dataframe_asset(spec.table)
        try:
            batch = asset.get_batch_definition("whole_table")
        except KeyError:
            batch = asset.add_batch_definition_whole_dataframe("whole_table")
        suite = gx.ExpectationSuite(name=spec.name, meta={"table": spec.table, "kind": spec.kind})
        for class_name, kwargs, meta in spec.expectations:
            suite.add_expectation(getattr(gx.expectations, class_name)(**kwargs, meta=meta or None))
        suite = context.suites.add_or_update(suite)
        context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=validation_name(spec), data=batch, suite=suite)
        )
