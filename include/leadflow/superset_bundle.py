"""The Superset dashboards as an import bundle (``superset import-dashboards -p bundle.zip``).

Charts and dashboards are kept as code in ``bi/superset/`` in Superset's own export format. The
database and the datasets are not: they are made here, from the dbt project, when the bundle is
built, so they cannot drift from it:

- the database points at the warehouse BI reads (the published DuckDB file, opened read-only, or
  the published PostgreSQL database);
- each dbt semantic model becomes a dataset on its model's relation, with the model's columns
  (names, types and descriptions from the enforced contracts), its dimensions (a dimension with an
  ``expr`` becomes a calculated column), the categorical dimensions of the semantic models its
  foreign entities join to (``owner__owner_team``, MetricFlow's names), and the semantic layer's
  metrics as Superset metrics: a simple metric is its measure's aggregate, a ratio metric the ratio
  of its numerator's and denominator's sums. A rate on a dashboard is therefore always recomputed
  from the counts of whatever cut the chart shows, never an average of rates.

A dataset's UUID is derived from its semantic model's name, so the charts' ``dataset_uuid`` stay
valid across bundles.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from pathlib import Path
from typing import Any

import yaml

BUNDLE_VERSION = "1.0.0"
NAMESPACE = uuid.UUID("7f0c5e36-2f4b-4a53-9d8e-2c1b6f0a9e41")  # Leadflow's, for stable UUIDs

# Measure aggregation (MetricFlow) -> SQL aggregate of its expression.
AGGREGATES = {
    "sum": "SUM({})",
    "count": "COUNT({})",
    "count_distinct": "COUNT(DISTINCT {})",
    "sum_boolean": "SUM(CASE WHEN {} THEN 1 ELSE 0 END)",
    "min": "MIN({})",
    "max": "MAX({})",
    "average": "AVG({})",
}
# dbt contract data types Superset treats as temporal (a dataset column it can put on a time axis).
TEMPORAL = ("date", "timestamp")


class BundleError(ValueError):
    """The semantic layer or a chart asks for something the bundle cannot express."""


def dataset_uuid(semantic_model: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"dataset:{semantic_model}"))


DATABASE_UUID = str(uuid.uuid5(NAMESPACE, "database:leadflow"))


def _measures(semantic_model: dict[str, Any]) -> dict[str, str]:
    """Measure name -> its aggregate over the model's rows, in SQL."""
    measures = {}
    for measure in semantic_model["measures"]:
        template = AGGREGATES.get(measure["agg"])
        if template is None:
            raise BundleError(f"measure {measure['name']}: aggregation {measure['agg']} has no SQL here")
        measures[measure["name"]] = template.format(measure.get("expr") or measure["name"])
    return measures


def _metric_sql(metric: dict[str, Any], measures: dict[str, str], metrics: dict[str, dict[str, Any]]) -> str | None:
    """The SQL of a simple or ratio metric whose measures are all ``measures``; else None."""
    params = metric["type_params"]
    if metric.get("filter"):
        return None  # a filtered metric would need its filter translated; none is defined
    if metric["type"] == "simple":
        return measures.get(params["measure"]["name"])
    if metric["type"] == "ratio":
        parts = [_metric_sql(metrics[params[side]["name"]], measures, metrics) for side in ("numerator", "denominator")]
        if None in parts:
            return None
        return f"CAST({parts[0]} AS DOUBLE) / NULLIF({parts[1]}, 0)"
    return None


def _column(
    name: str, label: str | None, description: str | None, data_type: str | None, expression: str | None
) -> dict[str, Any]:
    return {
        "column_name": name,
        "verbose_name": label or name.replace("_", " ").capitalize(),
        "type": data_type.upper() if data_type else None,
        "is_dttm": bool(data_type) and data_type.lower().startswith(TEMPORAL),
        "groupby": True,
        "filterable": True,
        "description": description or None,
        "expression": expression,
    }


def _model_node(manifest: dict[str, Any], semantic_model: dict[str, Any]) -> dict[str, Any]:
    relation = semantic_model["node_relation"]
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node.get("relation_name") == relation["relation_name"]:
            return node
    raise BundleError(f"semantic model {semantic_model['name']}: no model {relation['alias']} in the manifest")


def _own_columns(manifest: dict[str, Any], model: dict[str, Any]) -> list[dict[str, Any]]:
    """The model's contract columns, then each dimension defined by an expression (a calculated
    column); a time dimension is temporal."""
    node = _model_node(manifest, model)
    columns = {
        name: _column(name, None, column.get("description"), column.get("data_type"), None)
        for name, column in node["columns"].items()
    }
    for dimension in model["dimensions"]:
        name, expr = dimension["name"], dimension.get("expr")
        data_type = "date" if dimension["type"] == "time" else None
        if name in columns and not expr:
            columns[name]["is_dttm"] |= dimension["type"] == "time"
        else:
            columns[name] = _column(name, dimension.get("label"), dimension.get("description"), data_type, expr or name)
    return list(columns.values())


def _joined(model: dict[str, Any], primaries: dict[str, dict[str, Any]]) -> tuple[str | None, list[dict[str, Any]]]:
    """For a model with foreign entities: a query joining each entity's primary model (left
    join, as MetricFlow does) with that model's categorical dimensions as ``<entity>__<name>``."""
    joins, selects, columns = [], ["base.*"], []
    for entity in model["entities"]:
        other = primaries.get(entity["name"])
        if entity["type"] != "foreign" or other is None:
            continue
        key = next(e for e in other["entities"] if e["name"] == entity["name"])
        alias, target = entity["name"], other["node_relation"]
        joins.append(
            f"left join {target['schema_name']}.{target['alias']} as {alias}"
            f" on {alias}.{key.get('expr') or key['name']} = base.{entity.get('expr') or entity['name']}"
        )
        for dimension in other["dimensions"]:
            if dimension["type"] == "categorical":
                name = f"{alias}__{dimension['name']}"
                selects.append(f"{alias}.{dimension.get('expr') or dimension['name']} as {name}")
                columns.append(_column(name, dimension.get("label") or dimension["name"].replace("_", " ").capitalize(),
                                       dimension.get("description"), "varchar", None))  # fmt: skip
    if not joins:
        return None, []
    relation = model["node_relation"]
    sql = "\n".join(
        [f"select {', '.join(selects)}", f"from {relation['schema_name']}.{relation['alias']} as base", *joins]
    )
    return sql, columns


def _metrics(model: dict[str, Any], metrics: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The semantic layer's metrics computable from this model's measures, as Superset metrics."""
    measures = _measures(model)
    out = []
    for metric in metrics.values():
        expression = _metric_sql(metric, measures, metrics)
        if expression is not None:
            out.append(
                {
                    "metric_name": metric["name"],
                    "verbose_name": metric.get("label") or metric["name"],
                    "metric_type": metric["type"],
                    "expression": expression,
                    "description": metric.get("description"),
                    "d3format": ".1%" if metric["type"] == "ratio" else ",d",
                    "extra": {},
                    "warning_text": None,
                }
            )
    return out


def datasets(manifest: dict[str, Any], semantic_manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """One Superset dataset (export format) per semantic model: physical on the model's table, or
    a query when it joins other models for their dimensions (named after the semantic model)."""
    models = semantic_manifest["semantic_models"]
    metrics = {metric["name"]: metric for metric in semantic_manifest["metrics"]}
    primaries = {e["name"]: model for model in models for e in model["entities"] if e["type"] == "primary"}
    out = []
    for model in models:
        relation = model["node_relation"]
        sql, joined_columns = _joined(model, primaries)
        out.append(
            {
                "table_name": model["name"] if sql else relation["alias"],
                "main_dttm_col": (model.get("defaults") or {}).get("agg_time_dimension"),
                "description": model.get("description"),
                "default_endpoint": None,
                "offset": 0,
                "cache_timeout": None,
                "schema": relation["schema_name"],
                "sql": sql,
                "params": None,
                "template_params": None,
                "filter_select_enabled": True,
                "fetch_values_predicate": None,
                "extra": None,
                "normalize_columns": False,
                "always_filter_main_dttm": False,
                "uuid": dataset_uuid(model["name"]),
                "metrics": _metrics(model, metrics),
                "columns": _own_columns(manifest, model) + joined_columns,
                "version": BUNDLE_VERSION,
                "database_uuid": DATABASE_UUID,
            }
        )
    return out


def database(sqlalchemy_uri: str) -> dict[str, Any]:
    return {
        "database_name": "Leadflow",
        "sqlalchemy_uri": sqlalchemy_uri,
        "cache_timeout": None,
        "expose_in_sqllab": True,
        "allow_run_async": False,
        "allow_ctas": False,
        "allow_cvas": False,
        "allow_dml": False,
        "allow_file_upload": False,
        "extra": {"allows_virtual_table_explore": True},
        "uuid": DATABASE_UUID,
        "version": BUNDLE_VERSION,
    }


def build(
    assets: Path,
    manifest_path: Path,
    semantic_manifest_path: Path,
    sqlalchemy_uri: str,
) -> bytes:
    """The import ZIP: ``assets``' charts and dashboards, the database and the generated datasets.
    A chart on a dataset, metric or column the semantic layer does not make is an error, not a
    broken chart."""
    manifest = json.loads(manifest_path.read_text())
    semantic_manifest = json.loads(semantic_manifest_path.read_text())
    made = datasets(manifest, semantic_manifest)
    known = {dataset["uuid"]: dataset for dataset in made}
    root = "leadflow_superset"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:

        def put(name: str, content: dict[str, Any]) -> None:
            bundle.writestr(f"{root}/{name}", yaml.safe_dump(content, sort_keys=False, allow_unicode=True))

        # No "type": the one bundle imports with import-datasources (which overwrites datasets) and
        # import-dashboards (which keeps a dataset it already has).
        put("metadata.yaml", {"version": BUNDLE_VERSION, "timestamp": "1970-01-01T00:00:00+00:00"})
        put("databases/Leadflow.yaml", database(sqlalchemy_uri))
        for dataset in made:
            put(f"datasets/Leadflow/{dataset['table_name']}.yaml", dataset)
        for kind in ("charts", "dashboards"):
            for path in sorted((assets / kind).glob("*.yaml")):
                content = yaml.safe_load(path.read_text())
                if kind == "charts":
                    _check_chart(path.name, content, known)
                put(f"{kind}/{path.name}", content)
    return buffer.getvalue()


def _check_chart(name: str, chart: dict[str, Any], datasets_by_uuid: dict[str, dict[str, Any]]) -> None:
    dataset = datasets_by_uuid.get(chart.get("dataset_uuid"))
    if dataset is None:
        raise BundleError(f"chart {name}: dataset_uuid {chart.get('dataset_uuid')} is no semantic model's dataset")
    params = chart.get("params") or {}
    wanted = [params.get("metric"), *(params.get("metrics") or [])]
    names = {metric["metric_name"] for metric in dataset["metrics"]}
    missing = [m for m in wanted if isinstance(m, str) and m not in names]
    if missing:
        raise BundleError(f"chart {name}: dataset {dataset['table_name']} has no metric {', '.join(missing)}")
    named = [
        params.get("x_axis"),
        *(params.get("groupby") or []),
        *(params.get("all_columns") or []),
        *(f.get("subject") for f in params.get("adhoc_filters") or [] if f.get("expressionType") == "SIMPLE"),
    ]
    columns = {column["column_name"] for column in dataset["columns"]}
    missing = [c for c in named if isinstance(c, str) and c not in columns]
    if missing:
        raise BundleError(f"chart {name}: dataset {dataset['table_name']} has no column {', '.join(missing)}")
