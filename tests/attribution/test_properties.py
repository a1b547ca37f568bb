"""Property tests: invariants of attribution and KPIs over generated canonical frames."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from transforms.attribution import AttributionParams, CanonicalFrames, attribute, canonical
from transforms.attribution import with_decisions as decided_frames
from transforms.kpis import KpiParams, cohort_rates, lead_counts, prepare, sgl_counts
from transforms.rules import CHANNELS_BY_ORIGIN, ORIGINS, load_rules

RULES = load_rules()
PARAMS = AttributionParams()
NOW = datetime(2025, 9, 1, tzinfo=UTC)
START = datetime(2025, 1, 1, tzinfo=UTC)
SOURCES = ["紹介", "Web", "Sansan", "展示会", "セミナー", "Cold Call", "REFERRALS", "Reference",
           "Partner Referral", "Other", None, "ＲＥＦＥＲＥＮＣＥ", "休眠", "note", "資料請求"]
CRM_VALUES = [None, None, None, "sales", "marketing", "partner", "Sales ", "営業起点", "bogus"]
CRM_CHANNELS = [None, None, None, "referral", "network", "web", "リファーラル", "other_sales"]
USERS = canonical("users", [
    {"source": "sf", "source_id": "S", "role": "sales", "team": "T1"},
    {"source": "sf", "source_id": "I", "role": "inside_sales", "team": "T2"},
    {"source": "sf", "source_id": "M", "role": "marketing"},
    {"source": "sf", "source_id": "X", "role": "integration"},
])

leads_strategy = st.lists(
    st.fixed_dictionaries({
        "hours": st.integers(min_value=0, max_value=24 * 240),
        "lead_source": st.sampled_from(SOURCES),
        "created_by": st.sampled_from(["S", "I", "M", "X", None]),
        "account": st.sampled_from([None, "A1", "A2"]),
        "email": st.sampled_from([None, "a@x.jp", "b@x.jp", "c@y.jp", "A@X.JP "]),
        "crm_origin": st.sampled_from(CRM_VALUES),
        "crm_channel": st.sampled_from(CRM_CHANNELS),
        "ours": st.booleans(),
        "qualified_after": st.one_of(st.none(), st.integers(min_value=-5, max_value=200)),
        "won_after": st.one_of(st.none(), st.integers(min_value=0, max_value=400)),
    }),
    min_size=1, max_size=15,
)


def build(rows: list[dict]) -> CanonicalFrames:
    leads, opportunities, log = [], [], []
    for index, row in enumerate(rows):
        created = START + timedelta(hours=row["hours"])
        lead_id = f"L{index}"
        leads.append({
            "source": "sf", "source_id": lead_id, "object": "Lead", "created_at": created,
            "created_by": row["created_by"], "owner_id": "S", "lead_source": row["lead_source"],
            "account_id": row["account"], "email": row["email"],
            "crm_origin": row["crm_origin"], "crm_channel": row["crm_channel"],
            "qualified_at": (created + timedelta(days=row["qualified_after"])
                             if row["qualified_after"] is not None else None),
        })
        if row["ours"] and row["crm_origin"]:
            # Our own earlier write of the same value: not a person's decision.
            log.append({"source": "sf", "object": "Lead", "source_id": lead_id,
                        "field": "SGL_Origin__c", "after": row["crm_origin"],
                        "result": "written", "logged_at": created})
        if row["won_after"] is not None:
            opportunities.append({
                "source": "sf", "source_id": f"O{index}", "lead_id": lead_id,
                "account_id": row["account"], "created_at": created + timedelta(days=1),
                "is_closed": True, "is_won": True, "amount": "1000",
                "closed_at": (created + timedelta(days=row["won_after"])).date()})
    return CanonicalFrames(leads=canonical("leads", leads),
                           opportunities=canonical("opportunities", opportunities),
                           users=USERS, writeback_log=canonical("writeback_log", log))


PROPERTY_SETTINGS = settings(max_examples=20, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(leads_strategy)
def test_one_origin_and_channel_each(rows: list[dict]) -> None:
    result = attribute(build(rows), RULES, PARAMS, NOW)
    leads = result.table.filter(pl.col("record_kind") == "lead")

    assert leads.height == len(rows)
    assert leads.select("source", "source_id").is_unique().all()
    assert leads.get_column("origin").is_in(list(ORIGINS)).all()
    assert leads.get_column("channel").null_count() == 0
    consistent = result.details.filter(~(pl.col("origin_explicit") & pl.col("channel_explicit")))
    for origin, channel in consistent.select("origin", "channel").unique().iter_rows():
        assert channel in CHANNELS_BY_ORIGIN[origin]


@PROPERTY_SETTINGS
@given(leads_strategy)
def test_person_set_values_win(rows: list[dict]) -> None:
    frames = build(rows)
    result = attribute(frames, RULES, PARAMS, NOW)
    words = {"sales": "sales", "sales ": "sales", "営業起点": "sales", "marketing": "marketing",
             "partner": "partner"}
    decided = dict(zip(result.table.get_column("source_id"), result.table.get_column("origin"),
                       strict=True))

    for index, row in enumerate(rows):
        value = row["crm_origin"]
        if value is None or row["ours"] or value.lower() not in words:
            continue
        assert decided[f"L{index}"] == words[value.lower()]


@PROPERTY_SETTINGS
@given(leads_strategy)
def test_rerun_changes_nothing(rows: list[dict]) -> None:
    frames = build(rows)
    first = attribute(frames, RULES, PARAMS, NOW)
    second = attribute(replace(frames, attribution=first.table), RULES, PARAMS,
                       NOW + timedelta(days=1))

    assert_frame_equal(first.table.drop("computed_at"), second.table.drop("computed_at"))


@PROPERTY_SETTINGS
@given(leads_strategy, st.sampled_from([date(2025, 3, 1), date(2025, 6, 15), date(2025, 12, 1)]))
def test_rates_within_bounds(rows: list[dict], as_of: date) -> None:
    frames = build(rows)
    inputs = prepare(decided_frames(frames, attribute(frames, RULES, PARAMS, NOW)), KpiParams())
    months = inputs.leads.filter(pl.col("counted")).get_column("period").unique().to_list()

    for month in months:
        rates = cohort_rates(inputs, month, as_of)
        assert (rates["numerator"] <= rates["denominator"]).all()
        present = rates.filter(pl.col("denominator") > 0)
        assert present.get_column("value").is_between(0, 1).all()
        assert rates.filter(pl.col("denominator") == 0).get_column("value").null_count() == \
            rates.filter(pl.col("denominator") == 0).height


@PROPERTY_SETTINGS
@given(leads_strategy, st.sampled_from(["紹介", "Web", None]), st.integers(0, 24 * 240))
def test_new_lead_leaves_other_months(rows: list[dict], source: str | None,
                                      hours: int) -> None:
    frames = build(rows)
    extra = {"source": "sf", "source_id": "NEW", "object": "Lead", "created_by": "S",
             "created_at": START + timedelta(hours=hours), "lead_source": source,
             "email": "new.person@elsewhere.jp"}
    grown = replace(frames, leads=pl.concat([frames.leads, canonical("leads", [extra])],
                                            how="diagonal_relaxed"))
    before = prepare(decided_frames(frames, attribute(frames, RULES, PARAMS, NOW)), KpiParams())
    after = prepare(decided_frames(grown, attribute(grown, RULES, PARAMS, NOW)), KpiParams())
    new_month = (START + timedelta(hours=hours) + timedelta(hours=9)).strftime("%Y-%m")

    for month in set(before.leads.get_column("period").to_list()) - {new_month}:
        assert_frame_equal(sgl_counts(before, month), sgl_counts(after, month))
        assert_frame_equal(lead_counts(before, month), lead_counts(after, month))
