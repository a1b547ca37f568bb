"""HubSpot pulls through the real hubspot-api-client against the sandbox, into DuckDB.

The sink here normalizes each page and saves it with its watermark in one warehouse
transaction, as a sync does; associations are collected beside it. The other HubSpot test
files import these helpers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from connectors.base import Page, Watermark
from connectors.hubspot.connector import HubSpotConnector
from connectors.pull import PullRequest
from flows.steps import WarehouseSink, sync_source
from sandbox import Sandbox
from sandbox.hubspot.table import ARCHIVED, LIVE
from sgl.settings import Settings
from sgl.warehouse import Warehouse
from transforms.normalize.hubspot import normalizer_from_settings

AS_OF = datetime(2025, 6, 30, tzinfo=UTC)


def hubspot_settings(sandbox: Sandbox, tmp_path: Path, **hubspot: Any) -> Settings:
    """Settings aimed at the sandbox: its URL and CA, no search delay, fast retries."""
    values = {"enabled": True, "base_url": sandbox.url, "ca_bundle": str(sandbox.ca_file),
              "search_delay_seconds": 0, **hubspot}
    return Settings.model_validate({
        "warehouse": {"path": str(tmp_path / "sgl.duckdb")},
        "sources": {"hubspot": values,
                    "retry": {"time_scale": 0.001, "max_attempts": 20}},
    })


def connector_for(sandbox: Sandbox, tmp_path: Path, **hubspot: Any) -> HubSpotConnector:
    return HubSpotConnector(hubspot_settings(sandbox, tmp_path, **hubspot),
                            token_source=lambda: sandbox.hubspot_token)


@dataclass
class RecordingSink:
    """The sync's own sink, recording pages and associations, optionally crashing first."""

    warehouse: Warehouse
    connector: HubSpotConnector
    object_name: str
    run_id: str = "test-run"
    fail_after_pages: int | None = None
    pages: list[Page] = field(default_factory=list)
    associations: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        normalizer = normalizer_from_settings(self.connector.settings)
        self.sink = WarehouseSink(self.warehouse, normalizer, "hubspot", self.object_name,
                                  self.connector.table_of(self.object_name), self.run_id,
                                  self.object_name)

    def __call__(self, page: Page) -> None:
        if self.fail_after_pages is not None and len(self.pages) >= self.fail_after_pages:
            raise RuntimeError(f"simulated crash before page {page.number}")
        self.sink(page)
        self.associations += page.associations
        self.pages.append(page)

    def record_ids(self) -> list[str]:
        return [str(record["id"]) for page in self.pages for record in page.records]


def pull(warehouse: Warehouse, connector: HubSpotConnector, object_name: str,
         request: PullRequest | None = None, **options: Any) -> RecordingSink:
    """Pull one object through ``connector.pull`` into the warehouse; return the sink."""
    sink = RecordingSink(warehouse, connector, object_name, **options)
    connector.pull(object_name, request or PullRequest(), sink)
    return sink


def saved_watermark(warehouse: Warehouse, object_name: str) -> Watermark | None:
    states = warehouse.sync_states().filter(pl.col("object") == object_name)
    if states.height == 0 or states["watermark_at"][0] is None:
        return None
    return Watermark(states["watermark_at"][0], states["watermark_id"][0])


def live_ids(sandbox: Sandbox, object_type: str, state: int = LIVE) -> set[str]:
    table = sandbox.hubspot.store.table(object_type)
    return {table.id_at(row) for row in range(len(table)) if table.state(row) == state}


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(size=300, seed=5, as_of=AS_OF) as running:
        yield running


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    with Warehouse.open(tmp_path / "sgl.duckdb", write=True, holder="test") as opened:
        yield opened


def test_sync_full_then_incremental_reads_changes(sandbox: Sandbox, tmp_path: Path) -> None:
    settings = hubspot_settings(sandbox, tmp_path, objects=["owners", "contacts"],
                                archived_sweep_hours=0)
    env = {"SGL_HUBSPOT_ACCESS_TOKEN": sandbox.hubspot_token}
    first = sync_source(settings, "hubspot", env=env)
    contacts = sorted(live_ids(sandbox, "contacts"), key=int)
    archived_before = live_ids(sandbox, "contacts", ARCHIVED)

    changed = contacts[:3]
    for record_id in changed:
        sandbox.hubspot.update("contacts", record_id, {"jobtitle": "部長"})
    gone = contacts[3:5]
    for record_id in gone:
        sandbox.hubspot.archive("contacts", record_id)
    created = sandbox.hubspot.create("contacts", {"email": "new@example.jp"})
    # The sandbox stamps each change 1 ms after the previous one even when its clock has not
    # moved, so the change times can run a few ms ahead of the wall clock.
    time.sleep(0.01)
    second = sync_source(settings, "hubspot", env=env)

    assert first.ok and second.ok
    by_object = {item.object: item for item in second.objects}
    assert by_object["contacts"].mode == "search"
    assert by_object["contacts"].records == len(changed) + 1
    assert by_object["contacts#archived"].deleted == len(archived_before) + len(gone)
    # One search page and one association read, then one archived-list page; owners are
    # listed again (active and archived owners, one page each).
    assert by_object["contacts"].api_calls == 2
    assert by_object["contacts#archived"].api_calls == 1
    with Warehouse.open(settings.warehouse_path) as warehouse:
        leads = warehouse.read("leads", include_deleted=True)
    live = set(leads.filter(~pl.col("is_deleted"))["source_id"])
    assert live == live_ids(sandbox, "contacts")
    assert created in live
    assert set(leads.filter(pl.col("is_deleted"))["source_id"]) == set(gone)
    titles = dict(zip(leads["source_id"], leads["raw"].str.json_path_match(
        "$.properties.jobtitle"), strict=True))
    assert [titles[record_id] for record_id in changed] == ["部長"] * 3


def test_sweep_waits_for_its_interval(sandbox: Sandbox, warehouse: Warehouse,
                                      tmp_path: Path) -> None:
    connector = connector_for(sandbox, tmp_path, archived_sweep_hours=24)
    first = pull(warehouse, connector, "contacts#archived")
    again = pull(warehouse, connector, "contacts#archived",
                 PullRequest(after=saved_watermark(warehouse, "contacts#archived")))

    assert sum(len(page.deleted_ids) for page in first.pages) == len(
        live_ids(sandbox, "contacts", ARCHIVED))
    assert again.pages == []


def test_crash_after_page_resumes_there(sandbox: Sandbox, warehouse: Warehouse,
                                        tmp_path: Path) -> None:
    connector = connector_for(sandbox, tmp_path, page_size=40)
    # A watermark before every record makes the first run a search, which saves watermarks.
    start = PullRequest(after=Watermark(datetime(2000, 1, 1, tzinfo=UTC), "0"))
    with pytest.raises(RuntimeError, match="simulated crash"):
        pull(warehouse, connector, "contacts", start, fail_after_pages=3)
    saved = [str(record_id) for record_id in warehouse.read("leads")["source_id"]]
    resumed = pull(warehouse, connector, "contacts",
                   PullRequest(after=saved_watermark(warehouse, "contacts")), run_id="second")

    everything = live_ids(sandbox, "contacts")
    assert 0 < len(saved) < len(everything)
    assert not set(saved) & set(resumed.record_ids())
    assert sorted(saved + resumed.record_ids(), key=int) == sorted(everything, key=int)
    assert warehouse.read("leads").height == len(everything)


def test_associations_and_creators_land(sandbox: Sandbox, warehouse: Warehouse,
                                        tmp_path: Path) -> None:
    connector = connector_for(sandbox, tmp_path)
    associations = []
    for object_name in ("owners", "companies", "contacts", "deals", "calls"):
        associations += pull(warehouse, connector, object_name).associations

    links = pl.DataFrame(associations)
    pairs = set(zip(links["from_object"], links["to_object"], strict=True))
    assert {("contacts", "companies"), ("deals", "contacts"), ("deals", "companies"),
            ("calls", "contacts")} <= pairs
    contact_links = links.filter(pl.col("from_object") == "contacts")
    leads = warehouse.read("leads")
    with_company = leads.filter(pl.col("account_id").is_not_null())
    assert with_company.height > 0
    # associatedcompanyid is the contact's primary company, one of its associations.
    assert set(zip(with_company["source_id"], with_company["account_id"], strict=True)) <= set(
        zip(contact_links["from_id"], contact_links["to_id"], strict=True))

    deals = warehouse.read("opportunities")
    users = warehouse.read("users")
    created = deals.filter(pl.col("created_by").is_not_null())
    joined = created.join(users.select(pl.col("crm_user_id").alias("created_by"),
                                       pl.col("source_id").alias("creator_owner")),
                          on="created_by", how="left")
    assert created.height > 0
    assert joined["creator_owner"].null_count() == 0
    owner_of_user = {str(owner["userId"]): owner["id"] for owner in sandbox.hubspot.store.owners}
    assert all(owner_of_user[user] == owner for user, owner in
               zip(joined["created_by"], joined["creator_owner"], strict=True))


def test_owners_include_archived_as_inactive(sandbox: Sandbox, warehouse: Warehouse,
                                             tmp_path: Path) -> None:
    connector = connector_for(sandbox, tmp_path,
                              team_roles={"インサイドセールス部": "inside_sales"})
    pull(warehouse, connector, "owners")

    users = warehouse.read("users")
    owners = sandbox.hubspot.store.owners
    assert users.height == len(owners)
    inactive = set(users.filter(~pl.col("is_active"))["source_id"])
    assert inactive == {owner["id"] for owner in owners if owner["archived"]}
    inside = users.filter(pl.col("team") == "インサイドセールス部")
    assert inside.height > 0
    assert set(inside["role"]) == {"inside_sales"}


def test_backfill_reads_created_range(sandbox: Sandbox, warehouse: Warehouse,
                                      tmp_path: Path) -> None:
    connector = connector_for(sandbox, tmp_path)
    start, end = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 7, 1, tzinfo=UTC)
    sink = pull(warehouse, connector, "contacts",
                PullRequest(created_from=start, created_to=end))

    leads = warehouse.read("leads")
    table = sandbox.hubspot.store.table("contacts")
    in_range = {table.id_at(row) for row in range(len(table)) if table.state(row) == LIVE
                and start.isoformat()[:10] <= table.value(row, "createdate")[:10]
                < end.isoformat()[:10]}
    assert set(leads["source_id"]) == in_range
    assert leads["created_at"].min() >= start
    assert leads["created_at"].max() < end
    assert all(page.watermark is not None for page in sink.pages)


def test_sync_stores_page_associations(sandbox: Sandbox, tmp_path: Path) -> None:
    settings = hubspot_settings(sandbox, tmp_path, objects=["owners", "deals"],
                                archived_sweep_hours=0)
    env = {"SGL_HUBSPOT_ACCESS_TOKEN": sandbox.hubspot_token}

    summary = sync_source(settings, "hubspot", env=env)

    assert summary.ok
    with Warehouse.open(settings.warehouse_path) as warehouse:
        stored = warehouse.read("associations")
        deals = warehouse.read("opportunities", ["source_id"])
    assert stored.height > 0
    assert set(stored["from_object"]) == {"deals"}
    assert set(stored["from_id"]) <= set(deals["source_id"])
    assert {"contacts", "companies"} <= set(stored["to_object"])


def test_first_deal_brings_qualified_forward(sandbox: Sandbox, tmp_path: Path) -> None:
    settings = hubspot_settings(sandbox, tmp_path, objects=["owners", "contacts", "deals"],
                                archived_sweep_hours=0)
    env = {"SGL_HUBSPOT_ACCESS_TOKEN": sandbox.hubspot_token}

    sync_source(settings, "hubspot", env=env)

    with Warehouse.open(settings.warehouse_path) as warehouse:
        leads = warehouse.read("leads", ["source_id", "qualified_at"])
        deals = warehouse.read("opportunities", ["source_id", "created_at"])
        links = warehouse.read("associations").filter(
            (pl.col("from_object") == "deals") & (pl.col("to_object") == "contacts"))
    first_deal = (links.join(deals, left_on="from_id", right_on="source_id")
                  .group_by("to_id").agg(pl.col("created_at").min()))
    checked = first_deal.join(leads, left_on="to_id", right_on="source_id")
    assert checked.height > 0
    assert checked.filter(pl.col("qualified_at").is_null()).height == 0
    assert checked.filter(pl.col("qualified_at") > pl.col("created_at")).height == 0
