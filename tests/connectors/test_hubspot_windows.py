"""Incremental HubSpot pulls past the search endpoint's 10,000-result cap."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.base import Watermark
from connectors.hubspot.search import SEARCH_RESULT_CAP
from connectors.pull import PullRequest
from sandbox import Sandbox
from sandbox.hubspot.columns import format_ms
from sandbox.world import World
from sgl.warehouse import Warehouse
from tests.connectors.test_hubspot_pull import connector_for, pull, saved_watermark

DAY_START_MS = 1_740_787_200_000  # 2025-03-01T00:00:00Z
DAY_MS = 86_400_000
TOTAL = 25_000
SLOTS = 5_000  # distinct modified times of the spread records, so several share each one
# One millisecond that 41 % of the records share: more than one search can page through.
CROWD_MS = DAY_START_MS + DAY_MS // 2 + 1


def modified_ms(index: int) -> int:
    if index % 100 < 41:
        return CROWD_MS
    return DAY_START_MS + (index * 7_919 % SLOTS) * (DAY_MS // SLOTS)


def one_day_world() -> World:
    """25,000 contacts all modified on 2025-03-01; ids do not follow modification order."""
    rows = [{"id": str(100_000 + index), "properties": {
        "email": f"p{index}@example.jp", "createdate": format_ms(DAY_START_MS - DAY_MS),
        "lastmodifieddate": format_ms(modified_ms(index)),
        "hs_object_id": str(100_000 + index)}} for index in range(TOTAL)]
    return World(as_of=datetime(2025, 3, 2, tzinfo=UTC), hubspot={"contacts": rows})


CROWD_IDS = sorted(100_000 + index for index in range(TOTAL) if modified_ms(index) == CROWD_MS)
LATER = sum(1 for index in range(TOTAL) if modified_ms(index) > CROWD_MS)


@pytest.fixture(scope="module")
def crowded_sandbox() -> Iterator[Sandbox]:
    with Sandbox(one_day_world()) as running:
        yield running


def test_one_day_of_25000_changes_pulls_completely(crowded_sandbox: Sandbox,
                                                   tmp_path: Path) -> None:
    connector = connector_for(crowded_sandbox, tmp_path, objects=["contacts"])
    before = Watermark(datetime(2025, 2, 28, tzinfo=UTC), "0")
    searches_before = crowded_sandbox.request_log.count(path_contains="/search")

    with Warehouse.open(tmp_path / "sgl.duckdb", write=True) as warehouse:
        sink = pull(warehouse, connector, "contacts", PullRequest(after=before))
        stored = warehouse.read("leads").height
        watermark = saved_watermark(warehouse, "contacts")

    ids = sink.record_ids()
    stats = connector.stats.search
    assert len(CROWD_IDS) > SEARCH_RESULT_CAP
    assert len(ids) == TOTAL
    assert len(set(ids)) == TOTAL
    assert stored == TOTAL
    assert stats.splits > 0
    assert stats.id_ordered_milliseconds == 1
    assert watermark is not None
    assert watermark.at.date().isoformat() == "2025-03-01"
    # 25,000 records need at least 125 searches of 200. Each split costs one probe search,
    # and each window one partly filled last page. Reaching the crowded millisecond halves
    # the day about log2(86,400,000) = 27 times, so splits stay under 40.
    searches = crowded_sandbox.request_log.count(path_contains="/search") - searches_before
    assert searches == stats.searches
    assert stats.splits < 40
    assert searches <= 125 + 2 * stats.splits + 2


def test_watermark_in_crowded_millisecond_resumes_by_id(crowded_sandbox: Sandbox,
                                                        tmp_path: Path) -> None:
    connector = connector_for(crowded_sandbox, tmp_path, objects=["contacts"])
    middle = len(CROWD_IDS) // 2
    since = Watermark(datetime.fromtimestamp(CROWD_MS / 1000, UTC), str(CROWD_IDS[middle]))

    pages = list(connector.incremental("contacts", since))

    read = [int(record["id"]) for page in pages for record in page.records]
    assert read[: len(CROWD_IDS) - middle - 1] == CROWD_IDS[middle + 1:]
    assert len(read) == len(CROWD_IDS) - middle - 1 + LATER
    assert len(set(read)) == len(read)
