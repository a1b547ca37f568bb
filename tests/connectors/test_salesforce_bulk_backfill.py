"""Bulk API 2.0 above the threshold, the REST fallback for compound fields, and backfills."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
from salesforce_helpers import credentials_env, live_ids, read_table, salesforce_settings, sync_state

from flows.steps import backfill_source, sync_source
from sandbox import Sandbox


def test_bulk_above_threshold(fresh_org: Sandbox, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    settings = salesforce_settings(fresh_org, warehouse, bulk_threshold=50)

    summary = sync_source(settings, "salesforce", ["Lead"], env=credentials_env(fresh_org))

    lead = summary.objects[0]
    assert lead.mode == "bulk"
    assert fresh_org.request_log.count(method="POST", path_contains="/jobs/query") == 1
    assert fresh_org.request_log.count(path_contains="/queryAll") == 1  # the first REST page
    stored = read_table(warehouse, "leads")
    assert sorted(stored["source_id"]) == sorted(live_ids(fresh_org, "Lead"))
    rest_warehouse = tmp_path / "rest.duckdb"
    sync_source(salesforce_settings(fresh_org, rest_warehouse), "salesforce", ["Lead"],
                env=credentials_env(fresh_org))
    columns = ["source_id", "created_at", "status", "converted_at", "owner_id", "crm_origin"]
    rest = read_table(rest_warehouse, "leads").select(columns).sort("source_id")
    assert stored.select(columns).sort("source_id").equals(rest)


def test_compound_field_stays_on_rest(fresh_org: Sandbox, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    settings = salesforce_settings(fresh_org, warehouse, bulk_threshold=50,
                                   extra_fields={"Lead": ["Address"]})

    summary = sync_source(settings, "salesforce", ["Lead"], env=credentials_env(fresh_org))

    assert summary.objects[0].mode == "rest"
    assert fresh_org.request_log.count(path_contains="/jobs/query") == 0
    raw = read_table(warehouse, "leads")["raw"].str.json_path_match("$.Address.city")
    assert raw.drop_nulls().len() > 0


def test_backfill_keeps_watermark_and_is_idempotent(fresh_org: Sandbox, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    settings = salesforce_settings(fresh_org, warehouse)
    env = credentials_env(fresh_org)
    sync_source(settings, "salesforce", ["Lead"], env=env)
    incremental = sync_state(warehouse, "Lead")
    start, end = date(2024, 1, 1), date(2024, 4, 1)

    first = backfill_source(settings, "salesforce", start, end, ["Lead"], env=env)
    stored_after_first = read_table(warehouse, "leads").drop("loaded_at").sort("source_id")
    second = backfill_source(settings, "salesforce", start, end, ["Lead"], env=env)

    assert first.ok
    assert second.ok
    created = {row[0] for row in fresh_org.salesforce.store.query(
        'SELECT "Id" FROM "Lead" WHERE "CreatedDate" >= ? AND "CreatedDate" < ?',
        ("2023-12-31T15:00:00.000+0000", "2024-03-31T15:00:00.000+0000"))}
    assert first.objects[0].records + first.objects[0].deleted == len(created)
    assert second.objects[0].records == first.objects[0].records
    # Three months in Asia/Tokyo, one query each; pages stay under 200 records.
    assert fresh_org.request_log.count(path_contains="/queryAll") >= 6
    after = sync_state(warehouse, "Lead")
    assert (after["watermark_at"], after["watermark_id"]) == (incremental["watermark_at"],
                                                               incremental["watermark_id"])
    backfill_state = sync_state(warehouse, "Lead#backfill")
    assert backfill_state["last_status"] == "ok"
    assert backfill_state["watermark_at"] < datetime(2024, 3, 31, 15, tzinfo=UTC)
    stored_after_second = read_table(warehouse, "leads").drop("loaded_at").sort("source_id")
    assert stored_after_second.equals(stored_after_first)
    assert stored_after_second.height == len(live_ids(fresh_org, "Lead"))


def test_backfill_alone_fills_only_range(fresh_org: Sandbox, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    settings = salesforce_settings(fresh_org, warehouse)

    backfill_source(settings, "salesforce", date(2024, 2, 1), date(2024, 3, 1), ["Lead"],
                    env=credentials_env(fresh_org))

    stored = read_table(warehouse, "leads")
    local = stored["created_at"].dt.convert_time_zone("Asia/Tokyo").dt.date()
    assert stored.height > 0
    assert local.min() >= date(2024, 2, 1)
    assert local.max() < date(2024, 3, 1)
    with_state = read_table(warehouse, "leads").filter(pl.col("object") == "Lead")
    assert with_state.height == stored.height
