"""Fixtures and helpers for write-back tests: a fresh sandbox with both CRMs, settings for it,
a warehouse snapshot of its records (as a pull would store them), decisions, runs and values.

Test modules import the fixtures ``crm`` and ``warehouse_path`` from here. A conftest.py in
this folder would replace the module that other test folders import as ``conftest``.

Decisions go straight into the ``attribution`` table, whose schema is fixed, so these tests
do not depend on the attribution engine.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from connectors.writeback import WritebackOptions, WritebackReport, run_writeback
from sandbox import Sandbox
from sandbox.faults import FaultPlan
from sandbox.hubspot.table import LIVE
from sgl.settings import Settings
from sgl.warehouse import Warehouse

AS_OF = datetime(2025, 6, 30, tzinfo=UTC)
DECIDED_AT = datetime(2025, 7, 1, 9, 30, tzinfo=UTC)
SIZE = 500  # Salesforce leads; the generator adds about 300 HubSpot contacts
SF_TAGS = ("SGL_Origin__c", "SGL_Channel__c", "SGL_Rule__c", "SGL_Decided_At__c")
HS_PULLED = ("sgl_origin", "sgl_channel")  # the HubSpot pull fetches these two only


@pytest.fixture
def crm(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A fresh sandbox; indirect parametrization may pass faults or sandbox options."""
    options = dict(getattr(request, "param", None) or {})
    faults = options.pop("faults", FaultPlan(seed=3, time_scale=0.001))
    with Sandbox(size=SIZE, seed=5, as_of=AS_OF, faults=faults, **options) as running:
        yield running


@pytest.fixture
def warehouse_path(tmp_path: Path) -> Path:
    return tmp_path / "sgl.duckdb"


def settings_for(sandbox: Sandbox, warehouse: Path, **writeback: Any) -> Settings:
    """Settings aimed at the sandbox's CRMs, with short retry waits."""
    return Settings.model_validate({
        "warehouse": {"path": str(warehouse)},
        "sources": {
            "salesforce": {"enabled": True, "instance_url": sandbox.url,
                           "ca_bundle": str(sandbox.ca_file)},
            "hubspot": {"enabled": True, "base_url": sandbox.url,
                        "ca_bundle": str(sandbox.ca_file)},
            "retry": {"time_scale": 0.001, "max_attempts": 20, "max_elapsed_seconds": 60},
        },
        "writeback": writeback,
    })


def env_for(sandbox: Sandbox) -> dict[str, str]:
    credentials = sandbox.salesforce_credentials
    return {"SGL_SALESFORCE_CLIENT_ID": credentials.client_id,
            "SGL_SALESFORCE_CLIENT_SECRET": credentials.client_secret,
            "SGL_HUBSPOT_ACCESS_TOKEN": sandbox.hubspot_token or ""}


def run(sandbox: Sandbox, settings: Settings, **options: Any) -> WritebackReport:
    """Run write-back (applied unless ``apply=False``) against the sandbox."""
    options.setdefault("apply", True)
    return run_writeback(settings, WritebackOptions(**options), env=env_for(sandbox))


# -- what a pull would have stored ----------------------------------------------------------

def _stamp(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("+0000", "+00:00")) if text else None


def snapshot_salesforce(sandbox: Sandbox, warehouse: Path) -> None:
    """Store every live Lead and Opportunity as the Salesforce pull stores them."""
    store = sandbox.salesforce.store
    lead_rows, opportunity_rows = [], []
    for (record_id,) in store.query('SELECT "Id" FROM "Lead" WHERE NOT "IsDeleted"'):
        record = store.get("Lead", record_id)
        converted = record.get("ConvertedDate")
        lead_rows.append({
            "source": "salesforce", "source_id": record_id, "object": "Lead",
            "raw": json.dumps(record), "modified_at": _stamp(record["SystemModstamp"]),
            "converted_at": datetime.fromisoformat(converted).replace(tzinfo=UTC)
            if converted else None,
            "contact_id": record.get("ConvertedContactId"),
            "opportunity_id": record.get("ConvertedOpportunityId"),
            "crm_origin": record.get("SGL_Origin__c"), "crm_channel": record.get("SGL_Channel__c"),
        })
    for (record_id,) in store.query('SELECT "Id" FROM "Opportunity" WHERE NOT "IsDeleted"'):
        record = store.get("Opportunity", record_id)
        opportunity_rows.append({
            "source": "salesforce", "source_id": record_id, "object": "Opportunity",
            "raw": json.dumps(record), "modified_at": _stamp(record["SystemModstamp"]),
            "crm_origin": record.get("SGL_Origin__c"), "crm_channel": record.get("SGL_Channel__c"),
        })
    _upsert(warehouse, "leads", lead_rows)
    _upsert(warehouse, "opportunities", opportunity_rows)


def snapshot_hubspot(sandbox: Sandbox, warehouse: Path) -> None:
    """Store every live contact and deal as the HubSpot pull stores them."""
    for object_type, table_name in (("contacts", "leads"), ("deals", "opportunities")):
        table = sandbox.hubspot.store.table(object_type)
        modified = table.object_type.modified_property
        rows = []
        for row in range(len(table)):
            if table.state(row) != LIVE:
                continue
            properties = {name: table.value(row, name) for name in HS_PULLED
                          if table.has_column(name)}
            rows.append({
                "source": "hubspot", "source_id": table.id_at(row), "object": object_type,
                "raw": json.dumps({"id": table.id_at(row), "properties": properties}),
                "modified_at": datetime.fromtimestamp(table.ms(row, modified) / 1000, UTC),
            })
        _upsert(warehouse, table_name, rows)


def _upsert(warehouse: Path, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    with Warehouse.open(warehouse, write=True) as opened:
        opened.upsert(table, pl.DataFrame(rows, infer_schema_length=None))


# -- decisions --------------------------------------------------------------------------------

def decide(warehouse: Path, source: str, record_kind: str, ids: Sequence[str], *,
           origin: str = "sales", channel: str | None = "referral",
           origin_rule: str = "rule:referral", channel_rule: str | None = None,
           decided_at: datetime = DECIDED_AT) -> None:
    """Save (or replace) one attribution decision per id."""
    frame = pl.DataFrame({
        "source": source, "record_kind": record_kind, "source_id": list(ids),
        "origin": origin, "channel": channel, "origin_rule": origin_rule,
        "channel_rule": channel_rule or origin_rule, "origin_explicit": False,
        "channel_explicit": False, "decided_at": decided_at, "computed_at": decided_at,
    }, schema_overrides={"channel": pl.Utf8})
    with Warehouse.open(warehouse, write=True) as opened:
        connection = opened._connection  # noqa: SLF001 - the attribution writer is not ours
        connection.register("decisions", frame.to_arrow())
        connection.execute("INSERT OR REPLACE INTO attribution SELECT * FROM decisions")
        connection.unregister("decisions")


def log_rows(warehouse: Path, run_id: str | None = None) -> pl.DataFrame:
    with Warehouse.open(warehouse) as opened:
        filters = {"run_id": run_id} if run_id else None
        return opened.read("writeback_log", filters=filters)


def lead_ids(sandbox: Sandbox, count: int, *, converted: bool = False) -> list[str]:
    """Ids of leads without any SGL value, converted or not, in id order."""
    condition = '"IsConverted"' if converted else 'NOT "IsConverted"'
    rows = sandbox.salesforce.store.query(
        f'SELECT "Id" FROM "Lead" WHERE NOT "IsDeleted" AND {condition} '
        f'AND "SGL_Origin__c" IS NULL AND "SGL_Channel__c" IS NULL ORDER BY "Id" LIMIT ?',
        (count,))
    assert len(rows) == count, f"the sandbox has only {len(rows)} such leads"
    return [row[0] for row in rows]


def contact_ids(sandbox: Sandbox, count: int) -> list[str]:
    """Ids of live HubSpot contacts without an SGL value, in id order."""
    table = sandbox.hubspot.store.table("contacts")
    found = [table.id_at(row) for row in range(len(table)) if table.state(row) == LIVE
             and not any(table.has_column(name) and table.value(row, name)
                         for name in HS_PULLED)]
    found.sort(key=int)
    assert len(found) >= count, f"the sandbox has only {len(found)} such contacts"
    return found[:count]


def salesforce_values(sandbox: Sandbox, object_name: str, record_id: str) -> dict[str, Any]:
    record = sandbox.salesforce.store.get(object_name, record_id)
    return {name: record[name] for name in SF_TAGS}


def hubspot_values(sandbox: Sandbox, object_type: str, record_id: str,
                   names: Sequence[str]) -> dict[str, str | None]:
    table = sandbox.hubspot.store.table(object_type)
    row = table.row_of(record_id)
    return {name: table.value(row, name) if table.has_column(name) else None for name in names}
