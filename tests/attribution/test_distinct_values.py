"""map_distinct and decide_distinct: computing once per distinct key equals computing per row.

The expected values come from running the same function or decision on each row alone, so
any row that receives another key's result, loses its result or moves makes a test fail.
"""

from __future__ import annotations

import math

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal, assert_series_equal

from transforms.distinct import decide_distinct, map_distinct, repeated

SETTINGS = settings(max_examples=60, deadline=None)

KEY_SCHEMA = {"text": pl.Utf8, "flag": pl.Boolean, "number": pl.Float64, "whole": pl.Int64}
# Small alphabets, so keys repeat. Polars counts 0.0 and -0.0 as one key, and every NaN as
# one key, so both pairs are here.
TEXTS = [None, "", "a", "A", "a ", "ａ", "営業"]
FLAGS = [None, True, False]
NUMBERS = [None, 0.0, -0.0, 1.5, 2.0, math.nan]
WHOLES = [None, -1, 0, 7]

key_rows = st.lists(
    st.tuples(st.sampled_from(TEXTS), st.sampled_from(FLAGS), st.sampled_from(NUMBERS),
              st.sampled_from(WHOLES)),
    max_size=30,
)


def key_frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=KEY_SCHEMA, orient="row")


def describe(frame: pl.DataFrame) -> pl.DataFrame:
    """Add columns computed from each row alone, and return the rows in another order."""
    return frame.with_columns(
        pl.concat_str(
            pl.col("text").fill_null("<null>"),
            pl.col("flag").cast(pl.Utf8).fill_null("<null>"),
            pl.col("whole").cast(pl.Utf8).fill_null("<null>"),
            separator="|",
        ).alias("label"),
        (pl.col("number") * 2 + pl.col("whole")).alias("total"),
        (pl.col("flag") & (pl.col("number") >= 1)).alias("flag_and_large"),
    ).reverse()


def decide_each_row(keys: pl.DataFrame, decide) -> pl.DataFrame:
    """Run ``decide`` on every row alone and keep the columns it adds."""
    parts = [decide(keys.slice(index, 1)).drop(keys.columns) for index in range(keys.height)]
    if not parts:
        return decide(keys).drop(keys.columns)
    return pl.concat(parts)


def distinct_count(rows: list[tuple]) -> int:
    """Count distinct key rows as Polars does: one NaN key and 0.0 equal to -0.0."""
    def canonical(value: object) -> object:
        if isinstance(value, float) and math.isnan(value):
            return "nan"
        return value

    return len({tuple(canonical(value) for value in row) for row in rows})


@SETTINGS
@given(key_rows)
def test_decide_distinct_matches_each_row(rows: list[tuple]) -> None:
    keys = key_frame(rows)

    decided = decide_distinct(keys, describe)

    assert decided.columns == ["label", "total", "flag_and_large"]
    assert_frame_equal(decided, decide_each_row(keys, describe))


@SETTINGS
@given(key_rows)
def test_decide_distinct_decides_each_key_once(rows: list[tuple]) -> None:
    keys = key_frame(rows)
    heights = []

    def count_and_describe(distinct: pl.DataFrame) -> pl.DataFrame:
        heights.append(distinct.height)
        return describe(distinct)

    decide_distinct(keys, count_and_describe)

    assert heights == [distinct_count(rows)]


@SETTINGS
@given(key_rows)
def test_decide_distinct_keeps_row_order(rows: list[tuple]) -> None:
    # Each row's position is part of its key, so every key row is distinct, and the
    # positions that come back must read 0, 1, 2, ... in the order of the input.
    keys = key_frame(rows).with_row_index("position")

    def shuffle(distinct: pl.DataFrame) -> pl.DataFrame:
        return distinct.with_columns(pl.col("position").alias("seen_position")).sort(
            "text", "position", descending=True, nulls_last=True)

    decided = decide_distinct(keys, shuffle)

    assert decided.get_column("seen_position").to_list() == list(range(len(rows)))


def test_decide_distinct_plain_values() -> None:
    keys = pl.DataFrame({"text": ["b", None, "b", "a", None], "flag": [True, None, True, None,
                                                                        None]})

    decided = decide_distinct(keys, lambda distinct: distinct.with_columns(
        pl.concat_str(pl.col("text").fill_null("-"), pl.col("flag").cast(pl.Utf8)
                      .fill_null("-")).alias("label")))

    # Written out by hand: each row's text (or "-") followed by its flag (or "-").
    assert decided.get_column("label").to_list() == ["btrue", "--", "btrue", "a-", "--"]


@SETTINGS
@given(st.lists(st.sampled_from(TEXTS), max_size=40))
def test_map_distinct_text_matches_function(values: list[str | None]) -> None:
    series = pl.Series("email", values, dtype=pl.Utf8)

    for function in (lambda text: text.str.to_uppercase(),
                     lambda text: text.str.len_chars(),
                     lambda text: text.str.contains("a")):
        assert_series_equal(map_distinct(series, function), function(series))


@SETTINGS
@given(st.lists(st.sampled_from(NUMBERS), max_size=40))
def test_map_distinct_numbers_match_function(values: list[float | None]) -> None:
    series = pl.Series("days", values, dtype=pl.Float64)

    def classify(numbers: pl.Series) -> pl.Series:
        return (numbers * 3 + 1).alias("ignored_name")

    mapped = map_distinct(series, classify)

    assert mapped.name == "days"
    assert_series_equal(mapped, classify(series).alias("days"))


def test_map_distinct_empty_series() -> None:
    series = pl.Series("name", [], dtype=pl.Utf8)

    mapped = map_distinct(series, lambda text: text.str.to_uppercase())

    assert_series_equal(mapped, series)


def test_repeated_marks_values_seen_twice() -> None:
    codes = pl.Series("code", [7, 3, None, 7, 5, None, 3, 3], dtype=pl.UInt64)

    marked = repeated(codes)

    assert marked.to_list() == [True, True, False, True, False, False, True, True]
    assert marked.name == "code"


@SETTINGS
@given(st.lists(st.one_of(st.none(), st.integers(0, 6)), max_size=40))
def test_repeated_matches_is_duplicated(values: list[int | None]) -> None:
    codes = pl.Series("code", values, dtype=pl.UInt64)

    expected = codes.is_duplicated() & codes.is_not_null()

    assert repeated(codes).to_list() == expected.to_list()
