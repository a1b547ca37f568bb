"""Incremental attribution: a scoped run decides its records as a full run does.

An activity on account A2 is the only change. Opportunity O1 sits on A2, so the scope takes
it; O1 inherits from lead L1 (its ``lead_id``), which has no account and did not change.
Unless the scope takes L1 too, O1 is decided on its own fields and gets another rule.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from transforms.attribution import (
    RECORD_KEY,
    AttributionParams,
    CanonicalFrames,
    attribute,
    canonical,
    incremental_scope,
)
from transforms.rules import load_rules

BEFORE = datetime(2025, 1, 1, tzinfo=UTC)
SINCE = datetime(2025, 6, 1, tzinfo=UTC)
AFTER = datetime(2025, 7, 1, tzinfo=UTC)
NOW = datetime(2025, 8, 1, tzinfo=UTC)


def frames() -> CanonicalFrames:
    users = [{"source": "sf", "source_id": "U1", "role": "sales", "team": "East"},
             {"source": "sf", "source_id": "M1", "role": "marketing", "team": "Web"}]
    leads = [
        {"source": "sf", "source_id": "L1", "object": "Lead", "created_by": "U1",
         "owner_id": "U1", "lead_source": "紹介", "created_at": "2025-03-01T01:00:00Z",
         "loaded_at": BEFORE},
        {"source": "sf", "source_id": "L2", "object": "Lead", "created_by": "M1",
         "owner_id": "U1", "lead_source": "Web", "account_id": "A1",
         "created_at": "2025-03-02T01:00:00Z", "loaded_at": BEFORE},
    ]
    opportunities = [
        {"source": "sf", "source_id": "O1", "object": "Opportunity", "lead_id": "L1",
         "account_id": "A2", "owner_id": "U1", "created_by": "M1",
         "created_at": "2025-04-01T01:00:00Z", "loaded_at": BEFORE},
    ]
    activities = [
        {"source": "sf", "source_id": "T1", "activity_type": "call", "owner_id": "U1",
         "account_id": "A2", "occurred_at": "2025-06-15T01:00:00Z", "loaded_at": AFTER},
    ]
    return CanonicalFrames(
        users=canonical("users", users), leads=canonical("leads", leads),
        opportunities=canonical("opportunities", opportunities),
        activities=canonical("activities", activities),
        accounts=canonical("accounts", [
            {"source": "sf", "source_id": "A1", "domain": "a1.example.jp"},
            {"source": "sf", "source_id": "A2", "domain": "a2.example.jp"}]))


def test_scope_takes_inherited_lead() -> None:
    scope = incremental_scope(frames(), SINCE)

    assert scope.opportunities.get_column("source_id").to_list() == ["O1"]
    assert scope.leads.get_column("source_id").to_list() == ["L1"]


def test_scoped_run_matches_full_run() -> None:
    world = frames()
    rules = load_rules()
    params = AttributionParams()
    full = attribute(world, rules, params, NOW).table
    scoped = attribute(world, rules, params, NOW, scope=incremental_scope(world, SINCE),
                       keep_details=False).table

    compared = scoped.join(full, on=RECORD_KEY, how="left", suffix="_full")
    opportunity = compared.filter(pl.col("source_id") == "O1").row(0, named=True)

    assert opportunity["origin"] == opportunity["origin_full"] == "sales"
    assert opportunity["channel"] == opportunity["channel_full"] == "referral"
    assert opportunity["origin_rule"] == opportunity["origin_rule_full"]
    assert opportunity["origin_rule"].startswith("lead:")
    assert opportunity["channel_rule"] == opportunity["channel_rule_full"]
