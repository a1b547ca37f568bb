"""The write-back plan on tiny frames: ownership, nulls, freshness of the pull, re-check."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from transforms.writeback_plan import (
    PULLED_SCHEMA,
    STATE_SCHEMA,
    plan_changes,
    recheck,
)

PULLED_AT = datetime(2025, 7, 2, tzinfo=UTC)
WRITTEN_AT = datetime(2025, 7, 1, tzinfo=UTC)


def desired(after: str | None, *, kind: str = "text", policy: str = "owned") -> pl.DataFrame:
    return pl.DataFrame({"source": ["salesforce"], "object": ["Lead"], "source_id": ["00Q1"],
                         "field": ["F"], "part": ["origin"], "kind": [kind],
                         "policy": [policy], "after": [after]},
                        schema_overrides={"after": pl.Utf8})


def pulled(value: str | None, *, known: bool = True,
           at: datetime = PULLED_AT) -> pl.DataFrame:
    return pl.DataFrame({"source": ["salesforce"], "object": ["Lead"], "source_id": ["00Q1"],
                         "field": ["F"], "pulled": [value], "pulled_known": [known],
                         "pulled_at": [at]}, schema=PULLED_SCHEMA)


def state(last_written: str | None, *, at: datetime = WRITTEN_AT,
          last_result: str = "written") -> pl.DataFrame:
    return pl.DataFrame({"source": ["salesforce"], "object": ["Lead"], "source_id": ["00Q1"],
                         "field": ["F"], "last_written": [last_written],
                         "last_written_at": [at if last_written else None],
                         "last_result": [last_result], "last_before": [None],
                         "last_after": [last_written]}, schema=STATE_SCHEMA)


def no_state() -> pl.DataFrame:
    return pl.DataFrame(schema=STATE_SCHEMA)


@pytest.mark.parametrize(("after", "crm_value", "last", "expected"), [
    ("sales", None, None, "write"),                      # empty field is filled
    ("sales", "", None, "write"),                        # empty text counts as empty
    ("sales", "sales", None, None),                      # unchanged: not attempted
    ("sales", "marketing", "marketing", "write"),        # our earlier value is updated
    ("sales", "partner", "marketing", "skipped_person_set"),
    ("sales", "partner", None, "skipped_person_set"),    # set before the product ever wrote
])
def test_plan_actions(after: str, crm_value: str | None, last: str | None,
                      expected: str | None) -> None:
    plan = plan_changes(desired(after), pulled(crm_value),
                        state(last) if last else no_state())
    assert plan["action"].to_list() == ([expected] if expected else [])


def test_null_decision_is_never_planned() -> None:
    from transforms.writeback_plan import desired_values

    decisions = pl.DataFrame({"source": ["hubspot"], "object": ["deals"], "source_id": ["1"],
                              "origin": ["marketing"], "channel": [None], "rule": ["r"],
                              "decided_at": ["2025-07-01T00:00:00.000Z"]},
                             schema_overrides={"channel": pl.Utf8})
    targets = pl.DataFrame({"source": ["hubspot"] * 2, "object": ["deals"] * 2,
                            "part": ["origin", "channel"], "field": ["o", "c"],
                            "kind": ["text"] * 2, "policy": ["owned"] * 2})
    assert desired_values(decisions, targets)["field"].to_list() == ["o"]


def test_fill_empty_keeps_own_value() -> None:
    plan = plan_changes(desired("sales", policy="fill_empty"), pulled("marketing"),
                        state("marketing"))
    assert plan.height == 0


def test_pull_older_than_last_write_is_ignored() -> None:
    stale = pulled(None, at=datetime(2025, 6, 30, tzinfo=UTC))
    assert plan_changes(desired("sales"), stale, state("sales")).height == 0
    fresh = pulled(None)
    assert plan_changes(desired("sales"), fresh, state("sales"))["action"].to_list() == [
        "write"]


def test_datetimes_compare_across_offset_styles() -> None:
    plan = plan_changes(desired("2025-07-01T09:30:00.000Z", kind="datetime"),
                        pulled("2025-07-01T09:30:00.000+0000"), no_state())
    assert plan.height == 0


def test_person_set_skip_is_reported_once() -> None:
    logged = state(None, last_result="skipped_person_set").with_columns(
        last_before=pl.lit("partner"), last_after=pl.lit("sales"))
    plan = plan_changes(desired("sales"), pulled("partner"), logged)
    assert plan.height == 0


@pytest.mark.parametrize(("current", "expected"), [
    (None, "write"),
    ("sales", "skipped_unchanged"),
    ("partner", "skipped_changed_since_pull"),
])
def test_recheck_before_write(current: str | None, expected: str) -> None:
    plan = plan_changes(desired("sales"), pulled(None), no_state())
    now = pl.DataFrame({"source_id": ["00Q1"], "field": ["F"], "current": [current]},
                       schema_overrides={"current": pl.Utf8})
    checked = recheck(plan, now)
    assert checked["result"].to_list() == [expected]
    assert checked["before"].to_list() == [current]


def test_recheck_missing_record_fails() -> None:
    plan = plan_changes(desired("sales"), pulled(None), no_state())
    empty = pl.DataFrame(schema={"source_id": pl.Utf8, "field": pl.Utf8, "current": pl.Utf8})
    checked = recheck(plan, empty)
    assert checked.select("result", "error").rows() == [("failed", "NOT_FOUND")]
