"""Benchmark: generate and load a sandbox world, then page through every lead over HTTPS.

Measures wall time and peak memory (resident set) of each step. The steps are: start
(generate, load into the Salesforce store, index, start the server), a full ``queryAll`` of
the leads with simple-salesforce in pages of 2,000, an incremental query by SystemModstamp,
and a Bulk API 2.0 query of the leads. Run from the repository root:

    .venv/bin/python bench/bench_sandbox_serve.py --size 1000000
    .venv/bin/python bench/bench_sandbox_serve.py --size 20000   # quick form
"""

from __future__ import annotations

import argparse
import logging
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import requests
from simple_salesforce import Salesforce

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox import Sandbox  # noqa: E402


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def report(step: str, started: float, extra: str = "") -> None:
    print(f"{step:<28} {time.perf_counter() - started:8.1f} s   "
          f"rss {current_rss_mib():8.0f} MiB   peak {peak_rss_mib():8.0f} MiB   {extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="number of leads")
    parser.add_argument("--seed", type=int, default=1, help="generator seed")
    parser.add_argument("--skip-bulk", action="store_true", help="leave out the Bulk query")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    started = time.perf_counter()
    sandbox = Sandbox(size=arguments.size, seed=arguments.seed,
                      as_of=datetime(2025, 6, 30, tzinfo=UTC)).start()
    store = sandbox.salesforce.store
    counts = {name: store.count(name, include_deleted=True) for name in store.schema.objects}
    report("start (generate+load)", started,
           f"salesforce records {sum(counts.values()):,}, leads {counts['Lead']:,}, "
           f"store {'file' if store.path else 'memory'}")

    try:
        session = requests.Session()
        session.trust_env = False
        session.verify = str(sandbox.ca_file)
        sf = Salesforce(instance_url=sandbox.url, session_id=sandbox.salesforce_token(),
                        session=session)

        started = time.perf_counter()
        seen = 0
        for _ in sf.query_all_iter("SELECT Id, Name, Email, LeadSource, Status, OwnerId, "
                                   "CreatedById, CreatedDate, SystemModstamp, IsDeleted, "
                                   "Owner.Name FROM Lead ORDER BY SystemModstamp, Id",
                                   include_deleted=True):
            seen += 1
        pages = sandbox.request_log.count(api="salesforce", path_contains="/query")
        report("queryAll leads", started, f"{seen:,} records in {pages:,} pages, "
               f"{seen / (time.perf_counter() - started):,.0f} records/s")

        started = time.perf_counter()
        recent = sf.query_all("SELECT Id FROM Lead WHERE SystemModstamp > "
                              "2025-06-01T00:00:00Z")["totalSize"]
        report("incremental query", started, f"{recent:,} records")

        if not arguments.skip_bulk:
            started = time.perf_counter()
            rows = 0
            for page in sf.bulk2.Lead.query("SELECT Id, Email, CreatedDate, SystemModstamp "
                                            "FROM Lead", max_records=100_000, wait=0):
                rows += page.count("\n") - 1
            report("bulk 2.0 query leads", started, f"{rows:,} rows")
    finally:
        started = time.perf_counter()
        sandbox.stop()
        report("stop", started)


if __name__ == "__main__":
    main()
