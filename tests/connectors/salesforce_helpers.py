"""Helpers for the Salesforce connector tests: settings that point at a sandbox org and
readers of what a pull stored."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from sandbox import Sandbox
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
