"""Credited rep of opportunities linked to their lead by conversion or by association.

An opportunity's figures go to the credited rep of the lead it came from: the lead's
creator when the creator's role counts as sales, else the lead's owner at creation. Only
an opportunity without a lead goes to its own owner. The world below has opportunities
that point to no lead themselves (no ``lead_id``): Salesforce leads converted into them
(the lead's ``opportunity_id``) and HubSpot deals associated with a contact.

The KPI inputs are built three ways, which must agree: with the attribution's links, with
links recomputed in ``prepare``, and from warehouse-shaped leads (``person_id`` only, in
another order).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.attribution import golden_world
from transforms.attribution import (
    AttributionParams,
    AttributionResult,
    CanonicalFrames,
    attribute,
    canonical,
    with_decisions,
)
from transforms.kpis import KpiInputs, KpiParams, all_kpis, best_actions, prepare
from transforms.rules import load_rules

NOW = datetime(2025, 8, 1, tzinfo=UTC)
MAY = "2025-05"

USERS = [
    {"source": "sf", "source_id": "U1", "role": "sales", "team": "East"},
    {"source": "sf", "source_id": "U2", "role": "inside_sales", "team": "West"},
    {"source": "sf", "source_id": "OW", "role": "sales", "team": "North"},
    {"source": "sf", "source_id": "M1", "role": "marketing", "team": "Marketing"},
    # HubSpot names owners by owner id (source_id) and creators by user id (crm_user_id).
    {"source": "hs", "source_id": "H1", "crm_user_id": "901", "role": "sales", "team": "East"},
    {"source": "hs", "source_id": "H2", "crm_user_id": "902", "role": "sales", "team": "South"},
    {"source": "hs", "source_id": "HX", "crm_user_id": "909", "role": "integration"},
]


def _lead(source_id: str, created: str, **values: object) -> dict[str, object]:
    row: dict[str, object] = {"source": "sf", "source_id": source_id, "object": "Lead",
                              "created_at": created, "email": f"{source_id.lower()}@example.jp"}
    row.update(values)
    return row


def _contact(source_id: str, created: str, **values: object) -> dict[str, object]:
    return _lead(source_id, created, source="hs", object="contacts", lead_source="OFFLINE",
                 crm_origin="sales", **values)


LEADS = [
    # LA: created by inside sales, which counts as sales, so U2 is its rep. OW owns it now.
    _lead("LA", "2025-05-01T00:00:00Z", created_by="U2", owner_id="OW", lead_source="紹介",
          opportunity_id="OA"),
    # LB: created by marketing, so the owner at creation, U1, is its rep.
    _lead("LB", "2025-05-02T00:00:00Z", created_by="M1", owner_at_creation="U1",
          owner_id="OW", lead_source="Reference", opportunity_id="OB"),
    # HC1: created by an integration user, so its owner H1 is its rep. Its origin is set
    # by a person in the CRM (no write-back log), which makes it an SGL.
    _contact("HC1", "2025-05-03T00:00:00Z", created_by="909", owner_id="H1"),
    # HC2: created by H1 (user id 901, role sales) and owned by H2.
    _contact("HC2", "2025-05-04T00:00:00Z", created_by="901", owner_id="H2"),
]


def _won_opportunity(source_id: str, amount: str, **values: object) -> dict[str, object]:
    row: dict[str, object] = {"source": "sf", "source_id": source_id, "object": "Opportunity",
                              "name": source_id, "created_at": "2025-05-10T00:00:00Z",
                              "amount": amount, "currency": "JPY", "owner_id": "OW",
                              "is_closed": True, "is_won": True, "closed_at": "2025-05-20"}
    row.update(values)
    return row


OPPORTUNITIES = [
    _won_opportunity("OA", "5000000"),
    _won_opportunity("OB", "4000000"),
    _won_opportunity("D1", "3000000", source="hs", object="deals", owner_id="H2"),
    _won_opportunity("D2", "2000000", source="hs", object="deals", owner_id="H2"),
    # OD has no lead at all: a person set its origin, and its owner OW is its rep.
    _won_opportunity("OD", "1000000", crm_origin="sales"),
]

ASSOCIATIONS = [
    {"source": "hs", "from_object": "deals", "from_id": "D1", "to_object": "contacts",
     "to_id": "HC1"},
    {"source": "hs", "from_object": "contacts", "from_id": "HC2", "to_object": "deals",
     "to_id": "D2"},
]

ACTIVITIES = [
    {"source": "sf", "source_id": "T1", "owner_id": "U2", "activity_type": "call",
     "occurred_at": "2025-05-01T03:00:00Z", "duration_minutes": 20.0, "lead_id": "LA"},
    {"source": "hs", "source_id": "T2", "owner_id": "H1", "activity_type": "meeting",
     "occurred_at": "2025-05-05T03:00:00Z", "duration_minutes": None, "contact_id": "HC1"},
]

# Rep and team of each opportunity, from the comments above.
EXPECTED_REPS = {
    ("sf", "OA"): ("U2", "West"),
    ("sf", "OB"): ("U1", "East"),
    ("hs", "D1"): ("H1", "East"),
    ("sf", "OD"): ("OW", "North"),
}


def frames() -> CanonicalFrames:
    return CanonicalFrames(
        leads=canonical("leads", LEADS),
        opportunities=canonical("opportunities", OPPORTUNITIES),
        users=canonical("users", USERS),
        activities=canonical("activities", ACTIVITIES),
        associations=canonical("associations", ASSOCIATIONS),
    )


def warehouse_frames(decided: CanonicalFrames) -> CanonicalFrames:
    """Return ``decided`` as read back from the warehouse: leads keep only ``person_id``."""
    leads = decided.leads.drop("person_rank", "person_label").reverse()
    return replace(decided, leads=leads)


def inputs_three_ways(source: CanonicalFrames, result: AttributionResult,
                      params: KpiParams) -> dict[str, KpiInputs]:
    decided = with_decisions(source, result)
    return {
        "attribution links": prepare(decided, params, links=result.links),
        "recomputed links": prepare(decided, params),
        "warehouse": prepare(warehouse_frames(decided), params),
    }


@pytest.fixture(scope="module")
def small_world() -> dict[str, KpiInputs]:
    source = frames()
    result = attribute(source, load_rules(), AttributionParams(), NOW)
    return inputs_three_ways(source, result, KpiParams())


def reps_of(frame: pl.DataFrame) -> dict[tuple[str, str], tuple[str, str]]:
    return {(row["source"], row["source_id"]): (row["rep_id"], row["team"])
            for row in frame.iter_rows(named=True)}


def test_links_have_no_lead_id(small_world: dict[str, KpiInputs]) -> None:
    # The case under test: none of the opportunities names its lead.
    opportunities = small_world["attribution links"].opportunities

    assert opportunities.get_column("lead_id").null_count() == opportunities.height


@pytest.mark.parametrize("way", ["attribution links", "recomputed links", "warehouse"])
def test_opportunity_rep_is_lead_rep(small_world: dict[str, KpiInputs], way: str) -> None:
    credited = reps_of(small_world[way].opportunities)

    for key, rep in EXPECTED_REPS.items():
        assert credited[key] == rep, key


@pytest.mark.parametrize("way", ["attribution links", "recomputed links", "warehouse"])
def test_best_actions_credit_lead_rep(small_world: dict[str, KpiInputs], way: str) -> None:
    actions = best_actions(small_world[way], MAY)

    # All five deals are SGL deals won in May, so the top five by amount lists them all.
    assert actions.get_column("source_id").to_list() == ["OA", "OB", "D1", "D2", "OD"]
    credited = reps_of(actions)
    for key, rep in EXPECTED_REPS.items():
        assert credited[key] == rep, key


@pytest.mark.parametrize("way", ["attribution links", "recomputed links", "warehouse"])
def test_association_creator_team(small_world: dict[str, KpiInputs], way: str) -> None:
    # D2's contact HC2 was created by H1 (role sales), not by the deal owner H2 (South).
    team = reps_of(small_world[way].opportunities)[("hs", "D2")][1]

    assert team == "East"


@pytest.mark.parametrize("way", ["attribution links", "warehouse"])
def test_hubspot_creator_credited_by_owner_id(small_world: dict[str, KpiInputs],
                                              way: str) -> None:
    inputs = small_world[way]

    assert reps_of(inputs.opportunities)[("hs", "D2")] == ("H1", "East")
    assert reps_of(inputs.leads)[("hs", "HC2")] == ("H1", "East")


# -- the same KPIs whichever way the inputs were built ------------------------------------


def assert_same_kpis(ways: dict[str, KpiInputs], months: list[str], as_of: date) -> None:
    (first_way, first), *others = ways.items()
    for month in months:
        expected = all_kpis(first, month, as_of)
        for way, inputs in others:
            actual = all_kpis(inputs, month, as_of)
            for name, frame in expected.items():
                try:
                    assert_frame_equal(actual[name], frame)
                except AssertionError as error:
                    raise AssertionError(
                        f"{name} of {month} differs between {way} and {first_way}") from error


def test_small_world_kpis_agree(small_world: dict[str, KpiInputs]) -> None:
    source = frames()
    lean = attribute(source, load_rules(), AttributionParams(), NOW, keep_details=False)
    ways = {**small_world,
            "without details": prepare(with_decisions(source, lean), KpiParams(),
                                       links=lean.links)}

    assert lean.details is None
    assert_same_kpis(ways, ["2025-04", MAY], date(2025, 8, 10))


def test_golden_world_kpis_agree() -> None:
    source = golden_world.frames()
    rules = load_rules()
    result = attribute(source, rules, golden_world.ATTRIBUTION_PARAMS, golden_world.NOW)
    lean = attribute(source, rules, golden_world.ATTRIBUTION_PARAMS, golden_world.NOW,
                     keep_details=False)
    ways = inputs_three_ways(source, result, golden_world.KPI_PARAMS)
    ways["without details"] = prepare(with_decisions(source, lean), golden_world.KPI_PARAMS,
                                      links=lean.links)

    assert_same_kpis(ways, ["2025-04", MAY], golden_world.AS_OF)
