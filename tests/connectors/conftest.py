"""Fixtures for the connector tests: a generated sandbox org, settings that point at it, a
warehouse in a temporary folder, and helpers to read what a pull stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from sandbox import Sandbox
from sandbox.faults import FaultPlan
from sgl.settings import Settings
from sgl.warehouse import Warehouse

AS_OF = datetime(2025, 6, 30, tzinfo=UTC)
SIZE = 250  # leads; the generator adds about five related records per lead


def salesforce_settings(sandbox: Sandbox, warehouse: Path, **salesforce: Any) -> Settings:
    """Settings that pull from the sandbox through HTTPS, trusting only its CA."""
    source = {"enabled": True, "instance_url": sandbox.url, "ca_bundle": str(sandbox.ca_file),
              "overlap_seconds": 0, "page_size": 200, **salesforce}
    return Settings.model_validate({
        "warehouse": {"path": str(warehouse)},
        "sources": {"salesforce": source, "retry": {"time_scale": 0.001,
                                                     "max_elapsed_seconds": 60}},
    })


def credentials_env(sandbox: Sandbox) -> dict[str, str]:
    credentials = sandbox.salesforce_credentials
    return {"SGL_SALESFORCE_CLIENT_ID": credentials.client_id,
            "SGL_SALESFORCE_CLIENT_SECRET": credentials.client_secret}


@pytest.fixture(scope="module")
def generated_org() -> Iterator[Sandbox]:
    """One generated org per test module; tests that change records use ``fresh_org``."""
    with Sandbox(size=SIZE, seed=11, as_of=AS_OF, mount_hubspot=False) as running:
        yield running


@pytest.fixture
def fresh_org(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A new generated org; indirect parametrization may pass a FaultPlan or options."""
    options = dict(getattr(request, "param", None) or {})
    faults = options.pop("faults", FaultPlan(seed=3, time_scale=0.001))
    with Sandbox(size=options.pop("size", SIZE), seed=11, as_of=AS_OF, faults=faults,
                 mount_hubspot=False, **options) as running:
        yield running


def read_table(path: Path, table: str, include_deleted: bool = False) -> pl.DataFrame:
    with Warehouse.open(path) as warehouse:
        return warehouse.read(table, include_deleted=include_deleted)


def sync_state(path: Path, object_name: str) -> dict[str, Any]:
    with Warehouse.open(path) as warehouse:
        states = warehouse.sync_states().filter(pl.col("object") == object_name)
    assert states.height == 1, f"no sync_state row for {object_name}"
    return states.row(0, named=True)


def live_ids(sandbox: Sandbox, object_name: str) -> set[str]:
    """Ids of the records Salesforce would return through query (not deleted)."""
    store = sandbox.salesforce.store
    where = ' WHERE NOT "IsDeleted"' if object_name not in ("User",) else ""
    return {row[0] for row in store.query(f'SELECT "Id" FROM "{object_name}"{where}')}


def api_calls(sandbox: Sandbox, path_contains: str = "/services/data/") -> int:
    return sandbox.request_log.count(api="salesforce", path_contains=path_contains)
