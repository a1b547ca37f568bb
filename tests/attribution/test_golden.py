"""Golden tests: every figure of the small world in golden_world.py, computed by hand.

Hand rules used below: Asia/Tokyo = UTC+9; W = 90 and W_win = 365 days; as-of 2025-08-10;
USD = 150 JPY; JPY has no minor unit, so averages round half-up to whole yen.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.attribution import golden_world as world
from transforms.attribution import attribute, with_decisions
from transforms.kpis import (
    KpiInputs,
    best_actions,
    cohort_rates,
    cost_per_sgl,
    lead_counts,
    lost_learnings,
    pipeline_mix,
    prepare,
    realized_ltv,
    sgl_counts,
    target_attainment,
    velocity,
    won_deal_size,
)
from transforms.rules import load_rules

APRIL, MAY = "2025-04", "2025-05"


@pytest.fixture(scope="module")
def decided():
    return attribute(world.frames(), load_rules(), world.ATTRIBUTION_PARAMS, world.NOW)


@pytest.fixture(scope="module")
def inputs(decided) -> KpiInputs:
    return prepare(with_decisions(world.frames(), decided), world.KPI_PARAMS)


def expected(rows: list[tuple], like: pl.DataFrame) -> pl.DataFrame:
    """Build the expected frame with the actual frame's columns and types."""
    return pl.DataFrame(rows, schema=like.schema, orient="row")


def yen(value: str) -> Decimal:
    return Decimal(value)


# -- attribution -------------------------------------------------------------------------


def test_attribution_decisions(decided) -> None:
    table = decided.table.select("source", "record_kind", "source_id", "origin", "channel",
                                 "origin_rule", "channel_rule", "origin_explicit",
                                 "channel_explicit")
    rows = [
        # L1: 紹介 typed by sales rep U1.
        ("sf", "lead", "L1", "sales", "referral", "referral", "referral", False, False),
        # L2: Web created by the Marketo integration user.
        ("sf", "lead", "L2", "marketing", "web", "web", "web", False, False),
        # L3: a Sansan card; account A2 had no history before 2025-04-05, so no dormancy.
        ("sf", "lead", "L3", "sales", "network", "card-source", "card-source", False, False),
        # L4: no source, typed by U1 -> fallback; A1 won O0 on 2024-06-30 -> dormant.
        ("sf", "lead", "L4", "sales", "dormant_revival", "fallback:sales_by_hand",
         "dormant:former_customer", False, False),
        # L5: cold call at ABM account A3; its CRM channel "referral" is our own write.
        ("sf", "lead", "L5", "sales", "abm", "abm-outbound", "abm-outbound", False, False),
        # L6: a person changed our "marketing" to "sales"; no sales rule fits a trade show
        # entered by marketing, so the channel is the sales default.
        ("sf", "lead", "L6", "sales", "other_sales", "explicit", "default:sales", True, False),
        # L7: HubSpot form contact, same email as L1 -> shares L1's decision.
        ("hs", "lead", "L7", "sales", "referral", "referral", "referral", False, False),
        ("sf", "lead", "L8", "sales", "referral", "referral", "referral", False, False),
        ("sf", "lead", "L9", "sales", "referral", "referral", "referral", False, False),
        ("sf", "lead", "L10", "marketing", "web", "inquiry", "inquiry", False, False),
        ("sf", "lead", "L11", "partner", "partner", "partner", "partner", False, False),
        ("sf", "lead", "L12", "sales", "referral", "referral", "referral", False, False),
        # L13: "Other" matches no rule and has no creator.
        ("sf", "lead", "L13", "unknown", "unknown", "fallback:unknown", "fallback:unknown",
         False, False),
        # O0: no lead, created by U1 with no source.
        ("sf", "opportunity", "O0", "sales", "other_sales", "fallback:sales_by_hand",
         "fallback:sales_by_hand", False, False),
        ("sf", "opportunity", "O1", "sales", "referral", "lead:referral", "lead:referral",
         False, False),
        ("sf", "opportunity", "O2", "marketing", "web", "lead:web", "lead:web", False, False),
        ("sf", "opportunity", "O4", "sales", "dormant_revival", "lead:fallback:sales_by_hand",
         "lead:dormant:former_customer", False, False),
        ("sf", "opportunity", "O5", "sales", "abm", "lead:abm-outbound", "lead:abm-outbound",
         False, False),
        # O6: no lead; created by marketing with lead source Web.
        ("sf", "opportunity", "O6", "marketing", "web", "web", "web", False, False),
        ("sf", "opportunity", "O8", "sales", "referral", "lead:referral", "lead:referral",
         False, False),
        ("sf", "opportunity", "O9", "sales", "referral", "lead:referral", "lead:referral",
         False, False),
        ("sf", "opportunity", "O10", "marketing", "web", "lead:inquiry", "lead:inquiry",
         False, False),
        # D1: HubSpot deal, inherits from its associated contact L7 (the person's decision).
        ("hs", "opportunity", "D1", "sales", "referral", "lead:referral", "lead:referral",
         False, False),
    ]
    assert_frame_equal(table, expected(rows, table), check_row_order=False)


def test_duplicate_person_shares_id(decided) -> None:
    persons = decided.persons.filter(pl.col("source_id").is_in(["L1", "L7"]))

    assert persons.get_column("person_id").to_list() == ["sf:L1", "sf:L1"]


def test_decided_at_kept_when_unchanged(decided) -> None:
    from dataclasses import replace
    from datetime import UTC, datetime

    later = datetime(2025, 9, 1, tzinfo=UTC)
    frames = replace(world.frames(), attribution=decided.table)
    again = attribute(frames, load_rules(), world.ATTRIBUTION_PARAMS, later)

    assert again.table.get_column("decided_at").unique().to_list() == [world.NOW]
    assert again.table.get_column("computed_at").unique().to_list() == [later]


def test_decided_at_moves_on_change(decided) -> None:
    from dataclasses import replace
    from datetime import UTC, datetime

    later = datetime(2025, 9, 1, tzinfo=UTC)
    changed = decided.table.with_columns(
        pl.when(pl.col("source_id") == "L2").then(pl.lit("unknown")).otherwise(pl.col("origin"))
        .alias("origin"))
    frames = replace(world.frames(), attribution=changed)
    again = attribute(frames, load_rules(), world.ATTRIBUTION_PARAMS, later)
    moved = again.table.filter(pl.col("decided_at") == later).get_column("source_id")

    assert moved.to_list() == ["L2"]


# -- lead counts -------------------------------------------------------------------------


def test_lead_counts_april(inputs) -> None:
    # April (local): L1 (2025-03-31T16:00Z = 04-01 01:00), L2..L6. L7 is L1's person and is
    # not counted again. sales = L1, L3, L4, L5, L6; marketing = L2.
    frame = lead_counts(inputs, APRIL)
    rows = [
        (APRIL, "sales", None, 5, 5, None, False),
        (APRIL, "sales", "abm", 1, 1, None, False),
        (APRIL, "sales", "dormant_revival", 1, 1, None, False),
        (APRIL, "sales", "network", 1, 1, None, False),
        (APRIL, "sales", "other_sales", 1, 1, None, False),
        (APRIL, "sales", "referral", 1, 1, None, False),
        (APRIL, "marketing", None, 1, 1, None, False),
        (APRIL, "marketing", "web", 1, 1, None, False),
        (APRIL, "partner", None, 0, 0, None, False),
        (APRIL, "unknown", None, 0, 0, None, False),
    ]
    assert_frame_equal(frame, expected(rows, frame))


def test_lead_counts_may(inputs) -> None:
    # May: L8, L9 (sales), L10 (marketing), L11 (partner), L13 (unknown). L12 was created
    # 2025-05-31T15:30Z = 06-01 00:30 local, so it is June's.
    frame = lead_counts(inputs, MAY)
    rows = [
        (MAY, "sales", None, 2, 2, None, False),
        (MAY, "sales", "referral", 2, 2, None, False),
        (MAY, "marketing", None, 1, 1, None, False),
        (MAY, "marketing", "web", 1, 1, None, False),
        (MAY, "partner", None, 1, 1, None, False),
        (MAY, "partner", "partner", 1, 1, None, False),
        (MAY, "unknown", None, 1, 1, None, False),
        (MAY, "unknown", "unknown", 1, 1, None, False),
    ]
    assert_frame_equal(frame, expected(rows, frame))


def test_sgl_counts_april(inputs) -> None:
    # Credited reps: L1, L4 created by U1; L6 created by marketer M1 -> owner at creation U1;
    # L3 created by the Sansan user -> owner at creation U2; L5 created by U2 (inside sales).
    frame = sgl_counts(inputs, APRIL)
    rows = [
        (APRIL, "total", None, None, None, 5, 5, None, False),
        (APRIL, "channel", None, None, "abm", 1, 1, None, False),
        (APRIL, "channel", None, None, "dormant_revival", 1, 1, None, False),
        (APRIL, "channel", None, None, "network", 1, 1, None, False),
        (APRIL, "channel", None, None, "other_sales", 1, 1, None, False),
        (APRIL, "channel", None, None, "referral", 1, 1, None, False),
        (APRIL, "rep", "U1", "East", None, 3, 3, None, False),
        (APRIL, "rep", "U2", "West", None, 2, 2, None, False),
        (APRIL, "team", None, "East", None, 3, 3, None, False),
        (APRIL, "team", None, "West", None, 2, 2, None, False),
    ]
    assert_frame_equal(frame, expected(rows, frame))


def test_sgl_counts_may(inputs) -> None:
    # L8 by U1, L9 by U2, both referrals.
    frame = sgl_counts(inputs, MAY)
    rows = [
        (MAY, "total", None, None, None, 2, 2, None, False),
        (MAY, "channel", None, None, "referral", 2, 2, None, False),
        (MAY, "rep", "U1", "East", None, 1, 1, None, False),
        (MAY, "rep", "U2", "West", None, 1, 1, None, False),
        (MAY, "team", None, "East", None, 1, 1, None, False),
        (MAY, "team", None, "West", None, 1, 1, None, False),
    ]
    assert_frame_equal(frame, expected(rows, frame))


def test_targets_april_and_may(inputs) -> None:
    # April: U1 3 of 4 = 0.75; team West target 0 -> empty rate. May: U1 falls back to the
    # default target 2 -> 1 of 2 = 0.5; West has no May target and no default -> no row.
    april = target_attainment(inputs, APRIL)
    may = target_attainment(inputs, MAY)

    assert_frame_equal(april, expected([
        (APRIL, "rep", "U1", None, 0.75, 3, 4, False),
        (APRIL, "team", None, "West", None, 2, 0, False),
    ], april))
    assert_frame_equal(may, expected([(MAY, "rep", "U1", None, 0.5, 1, 2, False)], may))


# -- cohorts -----------------------------------------------------------------------------


def test_cohort_rates_april(inputs) -> None:
    # SQL within 90 days of the local creation date:
    #   L1 04-01 -> 04-11 (qualified_at 01:00Z = 10:00 local; O1 created the same day) yes
    #   L3 never; L4 04-10 -> 07-20 is 101 days, no; L5 04-12 -> O5 created 04-25, yes;
    #   L6 never.  sales 2/5 = 0.4.  L2 04-03 -> 06-20 is 78 days, yes: marketing 1/1.
    # Won within 365: L1's person won O1 and D1 on 05-20, yes; L4 won O4 08-05, yes:
    #   sales 2/5 = 0.4; L2 never: marketing 0/1 = 0.0.
    # Maturing: 04-30 + 90 = 07-29 <= 08-10 (final); 04-30 + 365 > 08-10 (maturing).
    frame = cohort_rates(inputs, APRIL, world.AS_OF)
    rows = [
        (APRIL, "sales", "sql", 90, 0.4, 2, 5, False),
        (APRIL, "marketing", "sql", 90, 1.0, 1, 1, False),
        (APRIL, "partner", "sql", 90, None, 0, 0, False),
        (APRIL, "unknown", "sql", 90, None, 0, 0, False),
        (APRIL, "sales", "won", 365, 0.4, 2, 5, True),
        (APRIL, "marketing", "won", 365, 0.0, 0, 1, True),
        (APRIL, "partner", "won", 365, None, 0, 0, True),
        (APRIL, "unknown", "won", 365, None, 0, 0, True),
    ]
    assert_frame_equal(frame, expected(rows, frame))


def test_cohort_rates_may(inputs) -> None:
    # L8 qualified 05-01, a day before its creation: still in the numerator. L9 -> O9 05-12.
    # sales SQL 2/2; neither won (O8, O9 lost): 0/2. L10 SQL 05-25 and won O10 05-31: 1/1.
    # L11 and L13 reached nothing: 0/1 each. 05-31 + 90 = 08-29 > 08-10: all maturing.
    frame = cohort_rates(inputs, MAY, world.AS_OF)
    rows = [
        (MAY, "sales", "sql", 90, 1.0, 2, 2, True),
        (MAY, "marketing", "sql", 90, 1.0, 1, 1, True),
        (MAY, "partner", "sql", 90, 0.0, 0, 1, True),
        (MAY, "unknown", "sql", 90, 0.0, 0, 1, True),
        (MAY, "sales", "won", 365, 0.0, 0, 2, True),
        (MAY, "marketing", "won", 365, 1.0, 1, 1, True),
        (MAY, "partner", "won", 365, 0.0, 0, 1, True),
        (MAY, "unknown", "won", 365, 0.0, 0, 1, True),
    ]
    assert_frame_equal(frame, expected(rows, frame))


# -- effort ------------------------------------------------------------------------------


def test_cost_per_sgl_april(inputs) -> None:
    # U1 (6,000 JPY/h): T1 30 min on SGL L1; T2 meeting on SGL L6 without duration = 60;
    #   T10 10 min on account A1 at 2025-03-31T15:30Z = 04-01 00:30 local, A1 had no open
    #   opportunity then; T3 is on MQL L2 without account: excluded. 100 min = 1.6667 h,
    #   cost 100 * 6000 / 60 = 10,000; 3 SGLs -> 3,333.33 -> 3,333; 100/60/3 h per SGL.
    # U2 (own rate 4,500 JPY/h): T4 15 min on A3 before O5 opened; T5 on A3 while O5 was
    #   open: excluded; T6 letter on SGL L5 without duration = 15. 30 min, cost 2,250;
    #   2 SGLs -> 1,125; 0.25 h per SGL.
    # M1 is marketing: no row. Total: 130 min, 12,250, 5 SGLs -> 2,450.
    frame = cost_per_sgl(inputs, APRIL)
    rows = [
        (APRIL, "U1", "East", yen("3333"), yen("10000"), 3, 100 / 60, 100 / 60 / 3, False),
        (APRIL, "U2", "West", yen("1125"), yen("2250"), 2, 30 / 60, 30 / 60 / 2, False),
        (APRIL, None, None, yen("2450"), yen("12250"), 5, 130 / 60, 130 / 60 / 5, False),
    ]
    assert_frame_equal(frame, expected(rows, frame))


def test_cost_per_sgl_may(inputs) -> None:
    # U1: T9 10 min on SGL L8 -> 1,000 JPY for 1 SGL. U2: no effort, 1 SGL -> 0.
    # Total 1,000 / 2 = 500.
    frame = cost_per_sgl(inputs, MAY)
    rows = [
        (MAY, "U1", "East", yen("1000"), yen("1000"), 1, 10 / 60, 10 / 60 / 1, False),
        (MAY, "U2", "West", yen("0"), yen("0"), 1, 0.0, 0.0, False),
        (MAY, None, None, yen("500"), yen("1000"), 2, 10 / 60, 10 / 60 / 2, False),
    ]
    assert_frame_equal(frame, expected(rows, frame))


# -- amounts -----------------------------------------------------------------------------


def test_won_deal_size(inputs) -> None:
    # May: SGL deals O1 3,000,000 and D1 1,000,001 -> 4,000,001 / 2 = 2,000,000.5 -> half-up
    # 2,000,001; other: O10 400,000. April won nothing: empty averages. FY2025 starts in
    # April, so May's fiscal YTD equals May.
    april = won_deal_size(inputs, APRIL)
    may = won_deal_size(inputs, MAY)

    assert_frame_equal(april, expected([
        (APRIL, "month", "FY2025", "sgl", None, yen("0"), 0, False),
        (APRIL, "month", "FY2025", "other", None, yen("0"), 0, False),
        (APRIL, "fiscal_ytd", "FY2025", "sgl", None, yen("0"), 0, False),
        (APRIL, "fiscal_ytd", "FY2025", "other", None, yen("0"), 0, False),
    ], april))
    assert_frame_equal(may, expected([
        (MAY, "month", "FY2025", "sgl", yen("2000001"), yen("4000001"), 2, False),
        (MAY, "month", "FY2025", "other", yen("400000"), yen("400000"), 1, False),
        (MAY, "fiscal_ytd", "FY2025", "sgl", yen("2000001"), yen("4000001"), 2, False),
        (MAY, "fiscal_ytd", "FY2025", "other", yen("400000"), yen("400000"), 1, False),
    ], may))


def test_realized_ltv(inputs) -> None:
    # Won by 2025-08-10: A1 first won O0 (SGL, 2024) then O4 -> 2,000,000 + 5,000,000;
    # A5 won O1 (SGL) 3,000,000; HubSpot HA1 won D1 (SGL) 1,000,001. SGL: 3 accounts,
    # 11,000,001 -> 3,666,667 each. A7 first won O10 (MQL) 400,000.
    frame = realized_ltv(inputs, MAY, world.AS_OF)
    rows = [
        (MAY, world.AS_OF, "sgl", yen("3666667"), yen("11000001"), 3, False),
        (MAY, world.AS_OF, "other", yen("400000"), yen("400000"), 1, False),
    ]
    assert_frame_equal(frame, expected(rows, frame))


def test_pipeline_mix_may(inputs) -> None:
    # Created in April: O1 3,000,000 (referral), O5 USD 10,000.50 * 150 = 1,500,075 (abm),
    # O6 800,000 (marketing web). Created in May: O8 1,200,000, O9 600,000, D1 1,000,001
    # (referral, 2,800,001 in all), O10 400,000 (marketing web). Won in May: O1 + D1 =
    # 4,000,001 (referral), O10 400,000. Fiscal YTD = April + May.
    frame = pipeline_mix(inputs, MAY)
    rows = [
        (MAY, "fiscal_ytd", "FY2025", "new_pipeline", "sales", "abm", yen("1500075"), 1),
        (MAY, "fiscal_ytd", "FY2025", "new_pipeline", "sales", "referral", yen("5800001"), 4),
        (MAY, "fiscal_ytd", "FY2025", "new_pipeline", "marketing", "web", yen("1200000"), 2),
        (MAY, "fiscal_ytd", "FY2025", "won", "sales", "referral", yen("4000001"), 2),
        (MAY, "fiscal_ytd", "FY2025", "won", "marketing", "web", yen("400000"), 1),
        (MAY, "month", "FY2025", "new_pipeline", "sales", "referral", yen("2800001"), 3),
        (MAY, "month", "FY2025", "new_pipeline", "marketing", "web", yen("400000"), 1),
        (MAY, "month", "FY2025", "won", "sales", "referral", yen("4000001"), 2),
        (MAY, "month", "FY2025", "won", "marketing", "web", yen("400000"), 1),
    ]
    frame = frame.drop("numerator", "denominator", "maturing")
    assert_frame_equal(frame, expected(rows, frame))


def test_pipeline_mix_april(inputs) -> None:
    frame = pipeline_mix(inputs, APRIL).drop("numerator", "denominator", "maturing")
    rows = [
        (APRIL, "fiscal_ytd", "FY2025", "new_pipeline", "sales", "abm", yen("1500075"), 1),
        (APRIL, "fiscal_ytd", "FY2025", "new_pipeline", "sales", "referral", yen("3000000"), 1),
        (APRIL, "fiscal_ytd", "FY2025", "new_pipeline", "marketing", "web", yen("800000"), 1),
        (APRIL, "month", "FY2025", "new_pipeline", "sales", "abm", yen("1500075"), 1),
        (APRIL, "month", "FY2025", "new_pipeline", "sales", "referral", yen("3000000"), 1),
        (APRIL, "month", "FY2025", "new_pipeline", "marketing", "web", yen("800000"), 1),
    ]
    assert_frame_equal(frame, expected(rows, frame))


# -- velocity and lists ------------------------------------------------------------------


def test_velocity_april_and_may(inputs) -> None:
    # April SQL events: L1 10 days, L5 13 days -> median 11.5 (sales). No wins in April.
    # May SQL events: L8 -1 day (negative: left out, counted), L9 2 days -> 2.0 from 1;
    #   L10 10 days (marketing). May wins: L1's person 04-11 -> 05-20 = 39 days (sales);
    #   L10 05-25 -> 05-31 = 6 days (marketing).
    april = velocity(inputs, APRIL).filter(pl.col("numerator") > 0)
    may = velocity(inputs, MAY).filter((pl.col("numerator") > 0)
                                       | (pl.col("negative_intervals") > 0))

    assert_frame_equal(april, expected([
        (APRIL, "created_to_sql", "sales", 11.5, 2, None, 0, False)], april))
    assert_frame_equal(may, expected([
        (MAY, "created_to_sql", "sales", 2.0, 1, None, 1, False),
        (MAY, "created_to_sql", "marketing", 10.0, 1, None, 0, False),
        (MAY, "sql_to_won", "sales", 39.0, 1, None, 0, False),
        (MAY, "sql_to_won", "marketing", 6.0, 1, None, 0, False),
    ], may))


def test_best_actions_may(inputs) -> None:
    # SGL deals created or won in May, by amount: O1 won 3,000,000 (rep of L1: U1), O8
    # created 1,200,000 (U1), D1 won 1,000,001 (L7's owner H1, team East), O9 created
    # 600,000 (U2).
    frame = best_actions(inputs, MAY).select("rank", "source_id", "event", "rep_id", "team",
                                             "channel", "value", "next_step")
    rows = [
        (1, "O1", "won", "U1", "East", "referral", yen("3000000"), "契約書送付"),
        (2, "O8", "created", "U1", "East", "referral", yen("1200000"), None),
        (3, "D1", "won", "H1", "East", "referral", yen("1000001"), None),
        (4, "O9", "created", "U2", "West", "referral", yen("600000"), None),
    ]
    assert_frame_equal(frame, expected(rows, frame))


def test_best_actions_april(inputs) -> None:
    # O1 3,000,000 and O5 1,500,075 were created in April; O6 is marketing's.
    frame = best_actions(inputs, APRIL).select("rank", "source_id", "event", "rep_id",
                                               "channel", "value", "next_step")
    rows = [
        (1, "O1", "created", "U1", "referral", yen("3000000"), "契約書送付"),
        (2, "O5", "created", "U2", "abm", yen("1500075"), "デモ"),
    ]
    assert_frame_equal(frame, expected(rows, frame))


def test_lost_learnings_may(inputs) -> None:
    # SGL deals lost in May: O8 価格 1,200,000 and O9 競合 600,000. O6 (価格) is an MQL
    # deal and stays out. Equal counts rank by amount.
    frame = lost_learnings(inputs, MAY)
    rows = [
        (MAY, 1, "価格", 1, yen("1200000"), 1, None, False),
        (MAY, 2, "競合", 1, yen("600000"), 1, None, False),
    ]
    assert_frame_equal(frame, expected(rows, frame))
    assert lost_learnings(inputs, APRIL).height == 0


# -- fiscal-year edge --------------------------------------------------------------------


def test_fiscal_year_edge() -> None:
    # Fiscal year from April. O-a created 2026-03-20 (FY2025) and won 2026-03-31; O-b
    # created 2026-03-31T15:30Z = 2026-04-01 00:30 local, so it is FY2026's first pipeline.
    # O-c created 2025-04-01T00:00Z (FY2025, April). March 2026's fiscal YTD new pipeline:
    # O-a 700,000 + O-c 300,000 = 1,000,000 over 2 deals; April 2026's: O-b 500,000 only.
    from transforms.attribution import CanonicalFrames, canonical

    opportunities = canonical("opportunities", [
        {"source": "sf", "source_id": "Oa", "created_at": "2026-03-20T00:00:00Z",
         "amount": "700000", "is_closed": True, "is_won": True, "closed_at": "2026-03-31"},
        {"source": "sf", "source_id": "Ob", "created_at": "2026-03-31T15:30:00Z",
         "amount": "500000", "is_closed": False, "is_won": False},
        {"source": "sf", "source_id": "Oc", "created_at": "2025-04-01T00:00:00Z",
         "amount": "300000", "is_closed": False, "is_won": False},
    ])
    frames = CanonicalFrames(opportunities=opportunities)
    decided = attribute(frames, load_rules(), world.ATTRIBUTION_PARAMS, world.NOW)
    inputs = prepare(with_decisions(frames, decided), world.KPI_PARAMS)
    march = pipeline_mix(inputs, "2026-03").filter(pl.col("measure") == "new_pipeline")
    april = pipeline_mix(inputs, "2026-04").filter(pl.col("measure") == "new_pipeline")
    size = won_deal_size(inputs, "2026-04").filter(pl.col("scope") == "fiscal_ytd")

    assert march.filter(pl.col("scope") == "fiscal_ytd").select(
        "fiscal_year", "value", "opportunities").rows() == [("FY2025", Decimal("1000000"), 2)]
    assert march.filter(pl.col("scope") == "month").select("value").item() == Decimal("700000")
    assert april.select("scope", "fiscal_year", "value").rows() == [
        ("fiscal_ytd", "FY2026", Decimal("500000")), ("month", "FY2026", Decimal("500000"))]
    # The March win is not in FY2026's year-to-date deal size.
    assert size.get_column("denominator").to_list() == [0, 0]


def test_month_of_tokyo_edge(inputs) -> None:
    l1 = inputs.leads.filter(pl.col("source_id") == "L1")

    assert l1.get_column("period").item() == "2025-04"
    assert l1.get_column("created_local_date").item() == date(2025, 4, 1)
