"""``leadflow``: the product's command line (``parse``, the dbt manifest the DAG renders from; the
Great Expectations suites; ``doctor``, which
checks the lifecycle configuration against the org of the Salesforce connection; ``docs``, dbt's
documentation as one file that opens from disk; ``superset-bundle``, the dashboards as a Superset
import bundle)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _parse(args: argparse.Namespace) -> int:
    from leadflow.settings import paths

    result = paths().dbt_parse()
    print(result.stdout + result.stderr, end="")
    return result.returncode


def _quality_init(args: argparse.Namespace) -> int:
    from leadflow.quality.suites import init_context
    from leadflow.settings import paths

    where = paths()
    init_context(where.expectations, where.control_registry, where.dbt_manifest)
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from leadflow import doctor, org_config
    from leadflow.settings import paths

    project = paths().dbt_project
    return doctor.main(project / (org_config.seed_path(project) or "seeds"))


def _docs(args: argparse.Namespace) -> int:
    from leadflow import dbt_docs
    from leadflow.settings import paths

    print(f"dbt docs: {dbt_docs.build(paths())}")
    return 0


def _superset_bundle(args: argparse.Namespace) -> int:
    from leadflow import superset_bundle
    from leadflow.settings import paths

    where = paths()
    bundle = superset_bundle.build(
        where.home / "bi" / "superset", where.dbt_manifest, where.dbt_semantic_manifest, where.warehouse.bi_uri
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(bundle)
    print(f"Superset bundle: {args.out} (import: superset import-dashboards -p {args.out} -u <user>)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leadflow", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    parse = commands.add_parser(
        "parse",
        help="dbt's manifest for the DAG, parsed with the configured warehouse's profile so that "
        "the first night there reuses the parse (make manifest, the image)",
    )
    parse.set_defaults(func=_parse)

    quality = commands.add_parser("quality", help="Great Expectations context")
    quality_commands = quality.add_subparsers(dest="quality_command", required=True)
    init = quality_commands.add_parser("init", help="(re)write suites and validation definitions (make suites)")
    init.set_defaults(func=_quality_init)

    check = commands.add_parser(
        "doctor",
        help="check the lifecycle configuration (lead_status_stages, lead_fields, owner_time_zones; "
        "LEADFLOW_ORG_CONFIG's over the shipped seeds) against each connected org or portal",
    )
    check.set_defaults(func=_doctor)

    docs = commands.add_parser("docs", help="dbt docs of the warehouse as one HTML file, beside the run summary")
    docs.set_defaults(func=_docs)

    superset = commands.add_parser(
        "superset-bundle",
        help="the Superset dashboards (bi/superset) with datasets made from the dbt semantic layer, as an import ZIP",
    )
    superset.add_argument("--out", type=Path, required=True, help="the ZIP to write")
    superset.set_defaults(func=_superset_bundle)

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
