"""Benchmark: pull the leads of a generated sandbox org into a warehouse with ``sync_source``.

Measures API calls per 1,000 records and records per second for a full REST pull, a full
pull through Bulk API 2.0, and an incremental pull after 1 % of the leads changed, next to
the fewest calls the REST API allows (2,000 records per page). The whole product path runs:
OAuth sign-in, describe, simple-salesforce over HTTPS, normalization, DuckDB upserts and
the after-pull derivations. Client, server and warehouse share one process. Run from the
repository root:

    .venv/bin/python bench/bench_pull_salesforce.py --size 100000
    .venv/bin/python bench/bench_pull_salesforce.py --size 10000   # quick form
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows.steps import sync_source  # noqa: E402
from sandbox import Sandbox  # noqa: E402
from sgl.settings import Settings  # noqa: E402

REST_PAGE_MAX = 2000


def settings_for(sandbox: Sandbox, warehouse: Path, bulk_threshold: int) -> Settings:
    return Settings.model_validate({
        "warehouse": {"path": str(warehouse)},
        "sources": {"salesforce": {
            "enabled": True, "instance_url": sandbox.url, "ca_bundle": str(sandbox.ca_file),
            "page_size": REST_PAGE_MAX, "overlap_seconds": 0, "bulk_threshold": bulk_threshold,
        }},
    })


def pull(label: str, sandbox: Sandbox, settings: Settings, env: dict[str, str]) -> None:
    before = len(sandbox.request_log)
    started = time.perf_counter()
    summary = sync_source(settings, "salesforce", ["Lead"], env=env)
    seconds = time.perf_counter() - started
    calls = len(sandbox.request_log) - before
    lead = summary.objects[0]
    returned = lead.records + lead.deleted
    fewest = max(1, math.ceil(returned / REST_PAGE_MAX))
    per_thousand = calls / returned * 1000 if returned else float("nan")
    print(f"{label:<26} {returned:>9,} {calls:>6} {per_thousand:>9.2f} {fewest:>7} "
          f"{returned / seconds:>10,.0f} {seconds:>8.1f}  {lead.mode}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="number of leads")
    parser.add_argument("--seed", type=int, default=1, help="generator seed")
    parser.add_argument("--changed-share", type=float, default=0.01,
                        help="share of leads changed before the incremental pull")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    with Sandbox(size=arguments.size, seed=arguments.seed, mount_hubspot=False,
                 as_of=datetime(2025, 6, 30, tzinfo=UTC)) as sandbox, \
            tempfile.TemporaryDirectory(prefix="sgl-bench-") as folder:
        credentials = sandbox.salesforce_credentials
        env = {"SGL_SALESFORCE_CLIENT_ID": credentials.client_id,
               "SGL_SALESFORCE_CLIENT_SECRET": credentials.client_secret}
        store = sandbox.salesforce.store
        print(f"leads in the org (deleted included): {store.count('Lead', True):,}")
        print(f"{'pull':<26} {'records':>9} {'calls':>6} {'calls/1k':>9} {'fewest':>7} "
              f"{'records/s':>10} {'seconds':>8}  api")

        rest = settings_for(sandbox, Path(folder) / "rest.duckdb", bulk_threshold=10**9)
        pull("full, REST", sandbox, rest, env)
        bulk = settings_for(sandbox, Path(folder) / "bulk.duckdb",
                            bulk_threshold=max(1, arguments.size // 20))
        pull("full, Bulk API 2.0", sandbox, bulk, env)

        ids = [row[0] for row in store.query('SELECT "Id" FROM "Lead" WHERE NOT "IsDeleted"')]
        step = max(1, round(1 / arguments.changed_share))
        for lead_id in ids[::step]:
            store.update("Lead", lead_id, {"Status": "Working - Contacted"})
        pull(f"incremental ({len(ids[::step]):,} changed)", sandbox, rest, env)

    print("calls include the OAuth token request and the describe call of each pull; "
          "'fewest' is ceil(records / 2,000) REST query pages.")


if __name__ == "__main__":
    main()
