"""Salesforce pulls against the sandbox through the real simple-salesforce over HTTPS."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest

from salesforce_helpers import (
    api_calls,
    credentials_env,
    live_ids,
    read_table,
    salesforce_settings,
    sync_state,
)
from flows.steps import sync_source
from sandbox import Sandbox


def run_sync(sandbox: Sandbox, warehouse: Path, objects=None, **options):
    settings = salesforce_settings(sandbox, warehouse, **options)
    return sync_source(settings, "salesforce", objects, env=credentials_env(sandbox))


def by_object(summary) -> dict:
    return {item.object: item for item in summary.objects}


def lead_rows(warehouse: Path) -> pl.DataFrame:
    return read_table(warehouse, "leads").filter(pl.col("object") == "Lead")


def test_full_pull_stores_every_object(fresh_org: Sandbox, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    summary = run_sync(fresh_org, warehouse)

    assert summary.ok
    stored = lead_rows(warehouse)
    assert set(stored["source_id"]) == live_ids(fresh_org, "Lead")
    assert stored["source_id"].is_unique().all()
    activities = read_table(warehouse, "activities")
    assert set(activities["source_id"]) == live_ids(fresh_org, "Task") | live_ids(fresh_org,
                                                                                   "Event")
    users = read_table(warehouse, "users")
    assert set(users["role"]) >= {"sales", "inside_sales", "marketing", "integration"}
    history = read_table(warehouse, "field_history")
    assert history.height == len(live_ids(fresh_org, "LeadHistory")) + len(
        live_ids(fresh_org, "OpportunityFieldHistory"))
    assert "Contact" not in by_object(summary)  # not a first-touch object by default


def test_incremental_pull_reads_only_changes(fresh_org: Sandbox, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    run_sync(fresh_org, warehouse)
    store = fresh_org.salesforce.store
    leads = sorted(live_ids(fresh_org, "Lead"))
    changed, deleted = leads[:3], leads[3]
    for lead_id in changed:
        store.update("Lead", lead_id, {"Status": "Changed Status"})
    store.delete("Lead", deleted)
    new_id = store.insert("Lead", {"LastName": "New", "Company": "New KK", "Status": "Open",
                                   "OwnerId": store.query('SELECT "Id" FROM "User"')[0][0],
                                   "CreatedById": store.query('SELECT "Id" FROM "User"')[0][0]})
    fresh_org.request_log.clear()

    summary = run_sync(fresh_org, warehouse, objects=["Lead"])

    lead = by_object(summary)["Lead"]
    assert lead.records == 4  # three changed and one new
    assert lead.deleted == 1
    assert lead.pages == 1
    assert api_calls(fresh_org, "/query") == 1  # the first page says done
    stored = lead_rows(warehouse)
    assert set(stored.filter(pl.col("status") == "Changed Status")["source_id"]) == set(changed)
    assert new_id in set(stored["source_id"])
    assert deleted not in set(stored["source_id"])
    everything = read_table(warehouse, "leads", include_deleted=True)
    assert everything.filter(pl.col("source_id") == deleted)["is_deleted"].to_list() == [True]


def test_incremental_pull_without_changes(fresh_org: Sandbox, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    run_sync(fresh_org, warehouse)
    before = sync_state(warehouse, "Lead")

    summary = run_sync(fresh_org, warehouse, objects=["Lead"])

    assert by_object(summary)["Lead"].records == 0
    after = sync_state(warehouse, "Lead")
    assert (after["watermark_at"], after["watermark_id"]) == (before["watermark_at"],
                                                               before["watermark_id"])


def test_ties_at_page_edges_read_once(fresh_org: Sandbox, tmp_path: Path) -> None:
    """Nine leads share one SystemModstamp; pages of four split them across three pages."""
    store = fresh_org.salesforce.store
    owner = store.query('SELECT "Id" FROM "User"')[0][0]
    stamp = "2030-01-01T00:00:00.000+0000"
    tied = {store.insert("Lead", {"LastName": f"Tie{n}", "Company": "Tie KK", "Status": "Open",
                                  "OwnerId": owner, "CreatedById": owner,
                                  "SystemModstamp": stamp}) for n in range(9)}
    fresh_org.salesforce.page_size_limit = 4
    warehouse = tmp_path / "w.duckdb"

    summary = run_sync(fresh_org, warehouse, objects=["Lead"])

    lead = by_object(summary)["Lead"]
    expected = live_ids(fresh_org, "Lead")
    assert lead.records == len(expected)
    assert lead.pages == math.ceil((len(expected) + lead.deleted) / 4)
    stored = lead_rows(warehouse)
    assert stored.height == len(expected)
    assert tied <= set(stored["source_id"])
    state = sync_state(warehouse, "Lead")
    assert state["watermark_id"] == max(tied)


def test_overlap_rereads_without_moving_back(fresh_org: Sandbox, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    run_sync(fresh_org, warehouse, objects=["Lead"])
    before = sync_state(warehouse, "Lead")

    summary = run_sync(fresh_org, warehouse, objects=["Lead"], overlap_seconds=10 * 86400)

    assert by_object(summary)["Lead"].records > 0  # the window re-read records already held
    after = sync_state(warehouse, "Lead")
    assert after["watermark_at"] == before["watermark_at"]
    assert after["watermark_id"] == before["watermark_id"]
    assert lead_rows(warehouse)["source_id"].is_unique().all()


def test_short_pages_follow_next_records_url(fresh_org: Sandbox, tmp_path: Path) -> None:
    fresh_org.salesforce.page_size_limit = 7
    warehouse = tmp_path / "w.duckdb"

    summary = run_sync(fresh_org, warehouse, objects=["Lead"])

    lead = by_object(summary)["Lead"]
    returned = lead.records + lead.deleted
    assert lead.pages == math.ceil(returned / 7)
    assert api_calls(fresh_org, "/queryAll") == lead.pages
    assert lead_rows(warehouse).height == len(live_ids(fresh_org, "Lead"))


@pytest.mark.parametrize("fresh_org", [{"hidden_fields": {"Lead": {"Lead_Source_Detail__c"}}}],
                         indirect=True)
def test_unreadable_field_is_reported(fresh_org: Sandbox, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"

    summary = run_sync(fresh_org, warehouse, objects=["Lead"])

    lead = by_object(summary)["Lead"]
    assert lead.status == "ok"
    assert lead.missing_fields == ["Lead_Source_Detail__c"]
    assert summary.rows()[0]["missing_fields"] == "Lead_Source_Detail__c"
    assert lead_rows(warehouse)["record_source_detail"].null_count() == lead.records
    assert '"missing_fields": 1' in sync_state(warehouse, "Lead")["last_counts"]


def test_contacts_feed_leads_when_first_touch(fresh_org: Sandbox, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"

    summary = run_sync(fresh_org, warehouse, first_touch_objects=["Lead", "Contact"])

    assert by_object(summary)["Contact"].status == "ok"
    stored = read_table(warehouse, "leads")
    contacts = set(stored.filter(pl.col("object") == "Contact")["source_id"])
    converted = set(stored.filter(pl.col("object") == "Lead")["contact_id"].drop_nulls())
    assert contacts  # the generator adds business-card contacts without a lead
    assert not contacts & converted
    assert contacts | (converted & live_ids(fresh_org, "Contact")) == live_ids(fresh_org,
                                                                               "Contact")


def test_derivations_fill_links(fresh_org: Sandbox, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    run_sync(fresh_org, warehouse)

    leads = lead_rows(warehouse)
    opportunities = read_table(warehouse, "opportunities")
    assert leads["owner_at_creation"].null_count() == 0
    converted = leads.filter(pl.col("opportunity_id").is_not_null())
    assert converted.height > 0
    assert converted["qualified_at"].null_count() == 0
    linked = opportunities.filter(pl.col("lead_id").is_not_null())
    assert set(linked["lead_id"]) <= set(converted["source_id"])
    assert opportunities.filter(pl.col("contact_id").is_not_null()).height > 0
    assert opportunities["raw"].null_count() == 0  # contact roles never create bare rows
