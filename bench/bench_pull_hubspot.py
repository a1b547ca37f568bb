"""Benchmark: full and incremental HubSpot contact pulls through the real client into DuckDB.

Serves N contacts (modified over two years, each associated with one of N/50 companies) from
the sandbox over HTTPS, then runs the connector's full pull (list pages of 100) and an
incremental pull of every contact (search pages of 200, windows split under the 10,000-result
cap), each page normalized and saved by the sync's own sink. Prints API calls per 1,000
records, split by kind, next to the fewest the API allows, and records per second. Run from
the repository root:

    .venv/bin/python bench/bench_pull_hubspot.py --size 100000
    .venv/bin/python bench/bench_pull_hubspot.py --size 10000   # quick form
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.base import Watermark  # noqa: E402
from connectors.hubspot.connector import HubSpotConnector  # noqa: E402
from connectors.pull import PullRequest  # noqa: E402
from flows.steps import WarehouseSink  # noqa: E402
from sandbox import Sandbox  # noqa: E402
from sandbox.hubspot.columns import format_ms  # noqa: E402
from sandbox.world import Association, World  # noqa: E402
from sgl.settings import Settings  # noqa: E402
from sgl.warehouse import Warehouse  # noqa: E402
from transforms.normalize.hubspot import normalizer_from_settings  # noqa: E402

START_MS = 1_672_531_200_000  # 2023-01-01T00:00:00Z
TWO_YEARS_MS = 2 * 365 * 86_400_000
SEARCH_PAGE = 200
LIST_PAGE = 100


def build_world(size: int) -> World:
    companies = max(1, size // 50)
    contacts = [{"id": str(1_000_000 + index), "properties": {
        "email": f"person{index}@example.jp", "firstname": "太郎", "lastname": f"山田{index}",
        "createdate": format_ms(START_MS + index * (TWO_YEARS_MS // size)),
        # Modification order differs from id order, as in a real portal.
        "lastmodifieddate": format_ms(START_MS + (index * 7_919 % size) * (TWO_YEARS_MS // size)),
        "lifecyclestage": "lead", "hs_analytics_source": "OFFLINE",
        "hubspot_owner_id": "71", "hs_object_id": str(1_000_000 + index)}}
        for index in range(size)]
    rows = [{"id": str(5_000 + index), "properties": {
        "name": f"会社{index}", "domain": f"c{index}.co.jp", "createdate": format_ms(START_MS),
        "hs_lastmodifieddate": format_ms(START_MS), "hs_object_id": str(5_000 + index)}}
        for index in range(companies)]
    links = [Association("contacts", str(1_000_000 + index), "companies",
                         str(5_000 + index % companies), "Primary") for index in range(size)]
    return World(as_of=datetime(2025, 1, 1, tzinfo=UTC),
                 hubspot={"contacts": contacts, "companies": rows},
                 hubspot_associations=links)


def run_pull(label: str, sandbox: Sandbox, settings: Settings, request: PullRequest,
             size: int, minimum_per_page: int) -> None:
    connector = HubSpotConnector(settings, token_source=lambda: sandbox.hubspot_token)
    with Warehouse.open(settings.warehouse_path, write=True, holder="bench") as warehouse:
        sink = WarehouseSink(warehouse, normalizer_from_settings(settings), "hubspot",
                             "contacts", "leads", label, "contacts")
        before = len(sandbox.request_log)
        started = time.perf_counter()
        counts = connector.pull("contacts", request, sink)
        seconds = time.perf_counter() - started
    calls = sandbox.request_log.entries()[before:]
    kinds = Counter(_kind(entry.method, entry.path) for entry in calls)
    per_thousand = {kind: count * 1000 / counts.records for kind, count in kinds.items()}
    fewest = math.ceil(size / minimum_per_page) * 1000 / size
    print(f"{label:<12} records {counts.records:>8}   {counts.records / seconds:8.0f} records/s"
          f"   {seconds:6.1f} s")
    print(f"{'':<12} API calls per 1,000 records: "
          + ", ".join(f"{kind} {value:.2f}" for kind, value in sorted(per_thousand.items()))
          + f"   total {len(calls) * 1000 / counts.records:.2f}"
          + f"   (fewest the API allows for the records alone: {fewest:.2f})")
    if label == "incremental":
        stats = connector.stats.search
        print(f"{'':<12} searches {stats.searches}, windows {stats.windows}, splits "
              f"{stats.splits}")


def _kind(method: str, path: str) -> str:
    if "/associations/" in path:
        return "associations"
    if path.startswith("/account-info/"):
        return "daily usage"
    if path.endswith("/search"):
        return "search"
    if path.endswith("/batch/read"):
        return "batch read"
    return "list" if method == "GET" else f"{method} other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="number of contacts")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    started = time.perf_counter()
    with Sandbox(build_world(arguments.size)) as sandbox, \
            tempfile.TemporaryDirectory() as folder:
        print(f"sandbox with {arguments.size} contacts ready in "
              f"{time.perf_counter() - started:.1f} s")
        settings = Settings.model_validate({
            "warehouse": {"path": str(Path(folder) / "bench.duckdb")},
            "sources": {"hubspot": {"enabled": True, "base_url": sandbox.url,
                                    "ca_bundle": str(sandbox.ca_file),
                                    "search_delay_seconds": 0}}})
        run_pull("full", sandbox, settings, PullRequest(), arguments.size, LIST_PAGE)
        everything = PullRequest(after=Watermark(datetime(2000, 1, 1, tzinfo=UTC), "0"))
        run_pull("incremental", sandbox, settings, everything, arguments.size, SEARCH_PAGE)


if __name__ == "__main__":
    main()
