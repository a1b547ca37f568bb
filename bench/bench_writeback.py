"""Benchmark: write-back of N origin-tag changes to Salesforce and HubSpot through the real clients.

Serves N untagged Salesforce leads and N untagged HubSpot contacts from the sandbox over
HTTPS, stores them in a DuckDB warehouse as a pull would, saves one decision per record, and
applies write-back (four fields per record). Salesforce runs twice: sObject Collections only,
then with the default Bulk API 2.0 threshold. Prints records written per second and API calls
per 1,000 changed records, split by kind, next to the fewest the APIs allow (one write and one
re-read per batch). Run from the repository root:

    .venv/bin/python bench/bench_writeback.py --size 100000
    .venv/bin/python bench/bench_writeback.py --size 5000   # quick form
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.writeback import WritebackOptions, run_writeback  # noqa: E402
from connectors.writeback.runner import BULK_JOB_RECORDS, default_opener  # noqa: E402
from connectors.writeback.setup import set_up_hubspot  # noqa: E402
from connectors.writeback.targets import targets_from_settings  # noqa: E402
from sandbox import Sandbox  # noqa: E402
from sandbox.hubspot.columns import format_ms  # noqa: E402
from sandbox.world import World  # noqa: E402
from sgl.settings import Settings  # noqa: E402
from sgl.warehouse import Warehouse  # noqa: E402

AS_OF = datetime(2025, 6, 30, tzinfo=UTC)
START = datetime(2023, 7, 1, tzinfo=UTC)
USER_ID = "005000000000001AAA"
DECIDED_AT = datetime(2025, 7, 1, tzinfo=UTC)
CHANNELS = ("referral", "dormant_revival", "network", "social", "abm", "other_sales")


def salesforce_stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def build_world(size: int) -> World:
    """N leads and N contacts without SGL values, created over two years."""
    step = timedelta(days=730) / size
    users = [{"Id": USER_ID, "Username": "bench@example.jp", "LastName": "ベンチ",
              "IsActive": True, "CreatedDate": salesforce_stamp(START),
              "LastModifiedDate": salesforce_stamp(START),
              "SystemModstamp": salesforce_stamp(START)}]
    leads = []
    for index in range(size):
        stamp = salesforce_stamp(START + index * step)
        leads.append({"Id": f"00Q{index:012d}AAA", "LastName": f"山田{index}",
                      "Company": f"会社{index}", "Status": "Open - Not Contacted",
                      "OwnerId": USER_ID, "CreatedById": USER_ID, "CreatedDate": stamp,
                      "LastModifiedDate": stamp, "SystemModstamp": stamp, "IsDeleted": False,
                      "IsConverted": False})
    start_ms = int(START.timestamp() * 1000)
    step_ms = int(step.total_seconds() * 1000)
    contacts = [{"id": str(1_000_000 + index), "properties": {
        "email": f"person{index}@example.jp", "lastname": f"山田{index}",
        "createdate": format_ms(start_ms + index * step_ms),
        "lastmodifieddate": format_ms(start_ms + index * step_ms),
        "hs_object_id": str(1_000_000 + index)}} for index in range(size)]
    return World(as_of=AS_OF, salesforce={"User": users, "Lead": leads},
                 hubspot={"contacts": contacts})


def settings_for(sandbox: Sandbox, warehouse: Path, **writeback: Any) -> Settings:
    return Settings.model_validate({
        "warehouse": {"path": str(warehouse)},
        "sources": {
            "salesforce": {"enabled": True, "instance_url": sandbox.url,
                           "ca_bundle": str(sandbox.ca_file)},
            "hubspot": {"enabled": True, "base_url": sandbox.url,
                        "ca_bundle": str(sandbox.ca_file)},
        },
        "writeback": writeback,
    })


def load_warehouse(path: Path, source: str, object_name: str, ids: list[str],
                   raw: list[str]) -> None:
    """Store the records as a pull would and save one decision per record."""
    records = pl.DataFrame({"source": source, "source_id": ids, "object": object_name,
                            "raw": raw, "modified_at": START})
    decisions = pl.DataFrame({
        "source": source, "record_kind": "lead", "source_id": ids, "origin": "sales",
        "channel": [CHANNELS[index % len(CHANNELS)] for index in range(len(ids))],
        "origin_rule": "rule:bench", "channel_rule": "rule:bench", "origin_explicit": False,
        "channel_explicit": False, "decided_at": DECIDED_AT, "computed_at": DECIDED_AT})
    with Warehouse.open(path, write=True, holder="bench") as warehouse:
        warehouse.upsert("leads", records)
        # The attribution writer belongs to the attribution step, so the bench inserts directly.
        connection = warehouse._connection  # noqa: SLF001
        connection.register("decisions", decisions.to_arrow())
        connection.execute("INSERT OR REPLACE INTO attribution SELECT * FROM decisions")
        connection.unregister("decisions")


def kind_of(method: str, path: str) -> str:
    if "/composite/sobjects" in path:
        return "collections write"
    if "/jobs/ingest" in path:
        return "bulk ingest"
    if "/query" in path:
        return "re-read query"
    if "/batch/update" in path:
        return "batch update"
    if "/batch/read" in path:
        return "batch read"
    if "/properties/" in path:
        return "properties"
    if "/describe" in path:
        return "describe"
    if "/oauth2/token" in path:
        return "sign-in"
    return f"other {method}"


def measure(label: str, sandbox: Sandbox, settings: Settings, env: dict[str, str], size: int,
            fewest: int) -> None:
    before = len(sandbox.request_log)
    started = time.perf_counter()
    report = run_writeback(settings, WritebackOptions(apply=True, confirm_large=True), env=env)
    seconds = time.perf_counter() - started
    calls = sandbox.request_log.entries()[before:]
    written = report.rows.filter(pl.col("result") == "written")["source_id"].n_unique()
    kinds = Counter(kind_of(entry.method, entry.path) for entry in calls)
    split = ", ".join(f"{kind} {count * 1000 / size:.2f}" for kind, count in sorted(kinds.items()))
    print(f"{label:<34} {written:>9,} {len(calls) * 1000 / size:>9.2f} "
          f"{fewest * 1000 / size:>7.2f} {written / seconds:>10,.0f} {seconds:>8.1f}  {split}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000,
                        help="records to change per CRM")
    arguments = parser.parse_args()
    size = arguments.size
    logging.basicConfig(level=logging.WARNING)

    started = time.perf_counter()
    with Sandbox(build_world(size)) as sandbox, \
            tempfile.TemporaryDirectory(prefix="sgl-bench-") as folder:
        print(f"sandbox with {size:,} leads and {size:,} contacts ready in "
              f"{time.perf_counter() - started:.1f}s")
        credentials = sandbox.salesforce_credentials
        env = {"SGL_SALESFORCE_CLIENT_ID": credentials.client_id,
               "SGL_SALESFORCE_CLIENT_SECRET": credentials.client_secret,
               "SGL_HUBSPOT_ACCESS_TOKEN": sandbox.hubspot_token or ""}
        lead_ids = [f"00Q{index:012d}AAA" for index in range(size)]
        lead_raw = [json.dumps({"Id": record_id, "SGL_Origin__c": None, "SGL_Channel__c": None,
                                "SGL_Rule__c": None, "SGL_Decided_At__c": None})
                    for record_id in lead_ids]
        contact_ids = [str(1_000_000 + index) for index in range(size)]
        contact_raw = [json.dumps({"id": record_id, "properties": {"sgl_origin": None,
                                                                  "sgl_channel": None}})
                       for record_id in contact_ids]
        print(f"{'write-back':<34} {'records':>9} {'calls/1k':>9} {'fewest':>7} "
              f"{'records/s':>10} {'seconds':>8}  calls per 1,000 records by kind")

        batches = math.ceil(size / 200)
        # A Bulk API 2.0 job takes six calls: create, upload, close, status, failed and
        # successful results; the records are re-read in batches of 200 all the same.
        jobs = math.ceil(size / BULK_JOB_RECORDS)
        for label, threshold, fewest in (
                ("salesforce, sObject Collections", 10**9, 2 * batches),
                ("salesforce, Bulk API 2.0", min(2_000, size - 1), batches + 6 * jobs)):
            path = Path(folder) / f"sf-{threshold}.duckdb"
            load_warehouse(path, "salesforce", "Lead", lead_ids, lead_raw)
            sandbox.salesforce.store.connection.execute(
                'UPDATE "Lead" SET "SGL_Origin__c" = NULL, "SGL_Channel__c" = NULL, '
                '"SGL_Rule__c" = NULL, "SGL_Decided_At__c" = NULL')
            settings = settings_for(sandbox, path, bulk_threshold=threshold)
            settings.sources.hubspot.enabled = False
            measure(label, sandbox, settings, env, size, fewest)

        path = Path(folder) / "hs.duckdb"
        load_warehouse(path, "hubspot", "contacts", contact_ids, contact_raw)
        settings = settings_for(sandbox, path)
        settings.sources.salesforce.enabled = False
        with default_opener(settings, env)("hubspot") as writer:
            set_up_hubspot(writer, targets_from_settings(settings, "hubspot"))
        measure("hubspot, batch update", sandbox, settings, env, size, 2 * math.ceil(size / 100))
    print("'fewest' is one write call and one re-read per batch (200 Salesforce records, 100 "
          "HubSpot records), or for Bulk API 2.0 one re-read per 200 records plus six calls "
          "per job; calls include sign-in, describe and property reads.")


if __name__ == "__main__":
    main()
