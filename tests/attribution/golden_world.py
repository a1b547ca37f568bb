"""A small hand-checked world: two months (2025-04, 2025-05), two sales reps, one of each trap.

Every KPI value the golden tests assert is derived by hand in those tests' comments from the
rows below. Times are UTC; Asia/Tokyo is UTC+9, so 2025-03-31T16:00Z is 2025-04-01 01:00.

Leads (local creation date, creator, lead source -> decision; why the row is here):

- L1: 04-01 01:00, U1, 紹介 -> sales/referral; created 2025-03-31 in UTC.
- L2: 04-03, MK, Web -> marketing/web; an MQL.
- L3: 04-05, SS, Sansan -> sales/network; card integration, new account A2.
- L4: 04-10, U1, blank -> sales/dormant_revival; account A1 won a deal in 2024.
- L5: 04-12, U2, Cold Call -> sales/abm; ABM account, CRM channel is our own write.
- L6: 04-15, M1, 展示会 -> sales/other_sales; a person set the origin.
- L7: 04-20, HubSpot form, ORGANIC_SEARCH -> sales/referral; the same person as L1.
- L8: 05-02, U1, Reference -> sales/referral; qualified the day before creation.
- L9: 05-10, U2, リファーラル -> sales/referral.
- L10: 05-15, MK, 資料請求 -> marketing/web; an MQL won in May.
- L11: 05-20, none, Partner Referral -> partner/partner.
- L12: 06-01 00:30, U1, 紹介 -> sales/referral; created 2025-05-31 in UTC.
- L13: 05-25, none, Other -> unknown/unknown.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl

from sgl.warehouse import Warehouse
from transforms.attribution import AttributionParams, CanonicalFrames, canonical
from transforms.kpis import KpiParams

AS_OF = date(2025, 8, 10)
NOW = datetime(2025, 8, 10, 0, 0, tzinfo=UTC)

USERS = [
    {"source": "sf", "source_id": "U1", "name": "rep one", "role": "sales", "team": "East"},
    {"source": "sf", "source_id": "U2", "name": "rep two", "role": "inside_sales",
     "team": "West"},
    {"source": "sf", "source_id": "MK", "name": "marketo sync", "role": "integration"},
    {"source": "sf", "source_id": "SS", "name": "sansan sync", "role": "integration"},
    {"source": "sf", "source_id": "M1", "name": "marketer", "role": "marketing",
     "team": "Marketing"},
    {"source": "hs", "source_id": "H1", "crm_user_id": "901", "name": "hubspot rep",
     "role": "sales", "team": "East"},
]

ACCOUNTS = [
    {"source": "sf", "source_id": "A1", "domain": "alpha.example.co.jp", "is_abm_target": False},
    {"source": "sf", "source_id": "A2", "domain": "beta.example.co.jp", "is_abm_target": False},
    {"source": "sf", "source_id": "A3", "domain": "gamma.example.co.jp", "is_abm_target": True},
    {"source": "sf", "source_id": "A5", "domain": "delta.example.co.jp", "is_abm_target": False},
    {"source": "sf", "source_id": "A7", "domain": "eta.example.co.jp", "is_abm_target": False},
    {"source": "hs", "source_id": "HA1", "domain": "delta.example.co.jp"},
]


def _lead(source_id: str, created: str, **values: object) -> dict[str, object]:
    row: dict[str, object] = {"source": "sf", "source_id": source_id, "object": "Lead",
                              "created_at": created, "email": f"{source_id.lower()}@example.jp"}
    row.update(values)
    return row


LEADS = [
    _lead("L1", "2025-03-31T16:00:00Z", created_by="U1", owner_id="U1", lead_source="紹介",
          email="ichiro@delta.example.co.jp", full_name="鈴木 一郎",
          qualified_at="2025-04-11T01:00:00Z"),
    _lead("L2", "2025-04-03T02:00:00Z", created_by="MK", owner_id="U1", lead_source="Web",
          qualified_at="2025-06-20T00:00:00Z", opportunity_id="O2"),
    _lead("L3", "2025-04-05T03:00:00Z", created_by="SS", owner_at_creation="U2", owner_id="U1",
          lead_source="Sansan", account_id="A2"),
    _lead("L4", "2025-04-10T00:00:00Z", created_by="U1", owner_id="U1", account_id="A1",
          qualified_at="2025-07-20T00:00:00Z", opportunity_id="O4"),
    _lead("L5", "2025-04-12T00:00:00Z", created_by="U2", owner_id="U2", lead_source="Cold Call",
          account_id="A3", crm_channel="referral"),
    _lead("L6", "2025-04-15T00:00:00Z", created_by="M1", owner_at_creation="U1", owner_id="U1",
          lead_source="展示会", crm_origin="sales"),
    {"source": "hs", "source_id": "L7", "object": "contacts", "created_at": "2025-04-20T00:00:00Z",
     "email": "ICHIRO@delta.example.co.jp ", "full_name": "鈴木一郎", "owner_id": "H1",
     "lead_source": "ORGANIC_SEARCH", "record_source": "FORM"},
    _lead("L8", "2025-05-02T00:00:00Z", created_by="U1", owner_id="U1", lead_source="Reference",
          qualified_at="2025-05-01T00:00:00Z"),
    _lead("L9", "2025-05-10T00:00:00Z", created_by="U2", owner_id="U2",
          lead_source="リファーラル"),
    _lead("L10", "2025-05-15T00:00:00Z", created_by="MK", owner_id="U1", lead_source="資料請求",
          qualified_at="2025-05-25T00:00:00Z"),
    _lead("L11", "2025-05-20T00:00:00Z", owner_id="U1", lead_source="Partner Referral"),
    _lead("L12", "2025-05-31T15:30:00Z", created_by="U1", owner_id="U1", lead_source="紹介"),
    _lead("L13", "2025-05-25T00:00:00Z", owner_id="U2", lead_source="Other"),
]


def _opportunity(source_id: str, created: str, amount: str, **values: object,
                 ) -> dict[str, object]:
    row: dict[str, object] = {"source": "sf", "source_id": source_id, "object": "Opportunity",
                              "created_at": created, "amount": amount, "currency": "JPY",
                              "owner_id": "U1", "is_closed": False, "is_won": False}
    row.update(values)
    return row


def _won(closed: str) -> dict[str, object]:
    return {"is_closed": True, "is_won": True, "closed_at": closed}


def _lost(closed: str, reason: str) -> dict[str, object]:
    return {"is_closed": True, "is_won": False, "closed_at": closed, "loss_reason": reason}


OPPORTUNITIES = [
    _opportunity("O0", "2024-03-01T00:00:00Z", "2000000", account_id="A1", created_by="U1",
                 opportunity_type="New Business", **_won("2024-06-30")),
    _opportunity("O1", "2025-04-11T01:00:00Z", "3000000", lead_id="L1", account_id="A5",
                 next_step="契約書送付", **_won("2025-05-20")),
    _opportunity("O2", "2025-06-20T00:00:00Z", "900000", account_id="A7"),
    _opportunity("O4", "2025-07-20T00:00:00Z", "5000000", lead_id="L4", account_id="A1",
                 **_won("2025-08-05")),
    _opportunity("O5", "2025-04-25T00:00:00Z", "10000.50", currency="USD", lead_id="L5",
                 account_id="A3", owner_id="U2", next_step="デモ"),
    _opportunity("O6", "2025-04-18T00:00:00Z", "800000", account_id="A2", created_by="M1",
                 lead_source="Web", **_lost("2025-05-10", "価格")),
    _opportunity("O8", "2025-05-05T00:00:00Z", "1200000", lead_id="L8",
                 **_lost("2025-05-28", "価格")),
    _opportunity("O9", "2025-05-12T00:00:00Z", "600000", lead_id="L9", owner_id="U2",
                 **_lost("2025-05-30", "競合")),
    _opportunity("O10", "2025-05-25T00:00:00Z", "400000", lead_id="L10", account_id="A7",
                 **_won("2025-05-31")),
    {"source": "hs", "source_id": "D1", "object": "deals", "created_at": "2025-05-02T00:00:00Z",
     "amount": "1000001", "currency": "JPY", "owner_id": "H1", "account_id": "HA1",
     **_won("2025-05-20")},
]

ASSOCIATIONS = [
    {"source": "hs", "from_object": "deals", "from_id": "D1", "to_object": "contacts",
     "to_id": "L7"},
]


def _activity(source_id: str, owner: str, kind: str, at: str, minutes: float | None,
              **values: object) -> dict[str, object]:
    row: dict[str, object] = {"source": "sf", "source_id": source_id, "owner_id": owner,
                              "activity_type": kind, "occurred_at": at,
                              "duration_minutes": minutes}
    row.update(values)
    return row


ACTIVITIES = [
    _activity("T1", "U1", "call", "2025-04-02T01:00:00Z", 30.0, lead_id="L1"),
    _activity("T2", "U1", "meeting", "2025-04-16T00:00:00Z", None, lead_id="L6"),
    _activity("T3", "U1", "email", "2025-04-20T00:00:00Z", 5.0, lead_id="L2"),
    _activity("T4", "U2", "call", "2025-04-12T00:00:00Z", 15.0, account_id="A3"),
    _activity("T5", "U2", "call", "2025-04-28T00:00:00Z", 20.0, account_id="A3"),
    _activity("T6", "U2", "letter", "2025-04-29T00:00:00Z", None, lead_id="L5"),
    _activity("T8", "M1", "email", "2025-04-16T00:00:00Z", 5.0, lead_id="L6"),
    _activity("T9", "U1", "call", "2025-05-03T00:00:00Z", 10.0, lead_id="L8"),
    _activity("T10", "U1", "call", "2025-03-31T15:30:00Z", 10.0, account_id="A1"),
]

# Our earlier write-back: L5's channel "referral" is ours, L6's origin was "marketing" when we
# wrote it and a person has since changed it to "sales".
WRITEBACK_LOG = [
    {"source": "sf", "object": "Lead", "source_id": "L5", "field": "SGL_Channel__c",
     "after": "referral", "result": "written", "logged_at": "2025-04-13T00:00:00Z"},
    {"source": "sf", "object": "Lead", "source_id": "L6", "field": "SGL_Origin__c",
     "after": "marketing", "result": "written", "logged_at": "2025-04-16T00:00:00Z"},
]


def frames() -> CanonicalFrames:
    return CanonicalFrames(
        leads=canonical("leads", LEADS),
        opportunities=canonical("opportunities", OPPORTUNITIES),
        users=canonical("users", USERS),
        accounts=canonical("accounts", ACCOUNTS),
        activities=canonical("activities", ACTIVITIES),
        associations=canonical("associations", ASSOCIATIONS),
        writeback_log=canonical("writeback_log", WRITEBACK_LOG),
    )


ATTRIBUTION_PARAMS = AttributionParams()
KPI_PARAMS = KpiParams(
    currency_rates={"USD": Decimal("150")},
    default_minutes={"call": 10.0, "meeting": 60.0, "email": 5.0, "letter": 15.0,
                     "other": 10.0},
    hourly_cost_by_role={"sales": Decimal("6000"), "inside_sales": Decimal("6000")},
    hourly_cost_by_user={"U2": Decimal("4500")},
    targets_by_rep={"U1": {"2025-04": 4, "default": 2}},
    targets_by_team={"West": {"2025-04": 0}},
)


# CRM object names for the tables whose rows the world builds without one.
OBJECTS = {"users": "User", "accounts": "Account", "activities": "Task"}


def save(warehouse_path: Path) -> None:
    """Write the world's canonical tables into a new warehouse at ``warehouse_path``."""
    world = frames()
    with Warehouse.open(warehouse_path, write=True) as warehouse:
        for table in ("users", "accounts", "leads", "opportunities", "activities"):
            frame = getattr(world, table)
            frame = frame.select([name for name in frame.columns
                                  if name not in ("loaded_at", "modified_at")])
            if "object" not in frame.columns:
                frame = frame.with_columns(pl.lit(OBJECTS[table]).alias("object"))
            warehouse.upsert(table, frame)
