"""``make bench-extract``: extraction throughput and peak memory for N generated leads.

Generates a fixture, serves it from the sandbox, extracts every object into a fresh work warehouse
(page by page, as the nightly DAG does) and prints records/second and the extractor's peak RSS.
Peak memory should stay flat as N grows: pages are streamed into DuckDB, never held whole.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from leadflow.extract import jobs
from leadflow.extract.http import ApiCredentials
from leadflow.extract.marketo import MarketoClient
from leadflow.extract.salesforce import SalesforceClient
from leadflow.fixtures import MARKETO_OBJECTS, SALESFORCE_OBJECTS
from leadflow.generator import generate
from leadflow.raw import PageResult, open_raw_store
from leadflow.sandbox.process import running_sandbox
from leadflow.timefmt import parse_instant

AS_OF = "2026-06-30T23:00:00Z"


def bench(leads: int, workdir: Path) -> dict[str, float]:
    fixture = workdir / "fixture"
    started = time.perf_counter()
    generate(fixture, leads, 1, AS_OF)
    generated = time.perf_counter() - started
    as_of = parse_instant(AS_OF)
    with running_sandbox(fixture, workdir / "tls") as sandbox:
        creds = ApiCredentials(sandbox.url, sandbox.client_id, sandbox.client_secret, verify=str(sandbox.ca_file))
        salesforce, marketo = SalesforceClient(creds), MarketoClient(creds)
        total = PageResult()
        started = time.perf_counter()
        with open_raw_store(workdir / "bench.work.duckdb") as store:
            for obj in SALESFORCE_OBJECTS:
                total.add(jobs.extract_salesforce_object(salesforce, store, obj, as_of, "bench"))
            by_name = {obj.name: obj for obj in MARKETO_OBJECTS}
            types = marketo.activity_types()
            history = parse_instant("2015-01-01T00:00:00Z")
            total.add(jobs.extract_marketo_reference(store, by_name["activity_types"], types, "bench"))
            total.add(jobs.extract_marketo_reference(store, by_name["programs"], marketo.programs(), "bench"))
            total.add(jobs.extract_marketo_leads(marketo, store, by_name["leads"], as_of, "bench", history))
            total.add(
                jobs.extract_marketo_activities(
                    marketo, store, by_name["activities"], [int(t["id"]) for t in types], "bench", history
                )
            )
        elapsed = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "leads": leads,
        "records": total.loaded,
        "seconds": elapsed,
        "records_per_second": total.loaded / elapsed,
        "peak_rss_mib": peak_mib,
        "generate_seconds": generated,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as tmp:
        result = bench(args.leads, Path(tmp))
    print(
        f"leads {result['leads']}: {result['records']} records extracted in {result['seconds']:.1f} s "
        f"= {result['records_per_second']:.0f} records/s; extractor peak RSS {result['peak_rss_mib']:.0f} MiB "
        f"(fixture generated in {result['generate_seconds']:.1f} s)"
    )


if __name__ == "__main__":
    main()
