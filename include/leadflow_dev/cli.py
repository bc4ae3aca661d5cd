"""``leadflow-dev``: the developer's command line (generate fixtures, serve them from the sandbox,
run the demo or a night without Airflow). Not part of the product image."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def _generate(args: argparse.Namespace) -> int:
    from leadflow_dev.generator import generate

    manifest = generate(Path(args.out_dir), args.leads, args.seed, args.as_of)
    print(json.dumps(manifest, indent=2))
    return 0


def _serve(args: argparse.Namespace) -> int:
    from leadflow_dev.sandbox.server import serve

    serve(
        Path(args.fixtures),
        args.port,
        Path(args.tls_dir),
        as_of=args.as_of,
        faults=args.faults,
        seed=args.seed,
        client_secret=os.environ.get("LEADFLOW_SANDBOX_CLIENT_SECRET", "sandbox-secret"),
        host=args.host,
        page_size=args.page_size,
    )
    return 0


def _sheet_fixture(args: argparse.Namespace) -> int:
    from leadflow_dev.sheet_render import template_fixture

    print(f"The template's sheet as a sandbox fixture: {template_fixture(Path(args.out_dir), args.as_of)}")
    return 0


ORG_CONFIG_HELP = (
    "the org's configuration folder: CSV files replacing the shipped policy seeds of the same name "
    "(default: the fixture's org_config/ if it has one)"
)


def _demo(args: argparse.Namespace) -> int:
    from leadflow_dev.demo import demo_fixture, run_demo

    fixtures = Path(args.fixtures) if args.fixtures else demo_fixture(args.crm)
    org_config = Path(args.org_config) if args.org_config else None
    return run_demo(fixtures, Path(args.warehouse), args.as_of, args.sandbox_clock, org_config)


def _night(args: argparse.Namespace) -> int:
    from leadflow_dev.demo import demo_fixture, run_night

    fixtures = Path(args.fixtures) if args.fixtures else demo_fixture(args.crm)
    org_config = Path(args.org_config) if args.org_config else None
    summary = run_night(fixtures, Path(args.warehouse), args.as_of, args.sandbox_clock, org_config=org_config)
    print(f"night done; run summary: {summary}")
    return 0


CLOCK_HELP = "the sandbox's clock, at or after the as-of (default: the as-of): a late night, a retry or a backfill"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leadflow-dev", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    gen = commands.add_parser("generate", help="write a synthetic fixture directory")
    gen.add_argument("out_dir")
    gen.add_argument("--leads", type=int, default=2000)
    gen.add_argument("--seed", type=int, default=7)
    gen.add_argument("--as-of", default="2026-06-30T23:00:00Z", help="the fixture's now (ISO 8601)")
    gen.set_defaults(func=_generate)

    sheet = commands.add_parser("sheet-fixture", help="the lead-sheet template as a fixture the sandbox serves")
    sheet.add_argument("out_dir")
    sheet.add_argument("--as-of", default="2025-05-31T23:00:00Z", help="the fixture's now (ISO 8601)")
    sheet.set_defaults(func=_sheet_fixture)

    sandbox = commands.add_parser("sandbox", help="the sandbox server (Salesforce, Marketo, HubSpot, Google Sheets)")
    sandbox_commands = sandbox.add_subparsers(dest="sandbox_command", required=True)
    serve = sandbox_commands.add_parser("serve", help="serve a fixture over HTTPS")
    serve.add_argument("--fixtures", required=True)
    serve.add_argument("--port", type=int, default=8443)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--as-of", help="the sandbox clock (default: the manifest's as_of)")
    serve.add_argument("--tls-dir", default=".sandbox-tls", help="where the CA and certificate are written")
    serve.add_argument("--faults", help="fault plan, e.g. '429:0.05,expire@3' (see leadflow_dev.sandbox.faults)")
    serve.add_argument("--seed", type=int, default=0, help="seed of the fault plan")
    serve.add_argument("--page-size", type=int, default=2000, help="Salesforce query page size")
    serve.set_defaults(func=_serve)

    demo = commands.add_parser("demo", help="sandbox + nightly DAG end to end, then a summary")
    demo.set_defaults(func=_demo)
    night = commands.add_parser("night", help="the same night without Airflow (sandbox + task bodies in order)")
    night.set_defaults(func=_night)
    for command in (demo, night):
        command.add_argument("--fixtures", help="fixture directory (default: the generated demo world)")
        command.add_argument("--warehouse", default="warehouse/leadflow.duckdb", help="published warehouse file")
        command.add_argument("--as-of", help="run as-of time (default: the manifest's as_of)")
        command.add_argument("--sandbox-clock", help=CLOCK_HELP)
        command.add_argument("--org-config", help=ORG_CONFIG_HELP)
        command.add_argument(
            "--crm",
            choices=("salesforce", "hubspot", "sheet"),
            default="salesforce",
            help="the generated demo world's lead database",
        )

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
