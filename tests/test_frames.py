"""Tests for sgl.frames: frames made contiguous keep their values."""

from __future__ import annotations

import polars as pl

from sgl.frames import contiguous, same_keys, spread


def chunked_frame() -> pl.DataFrame:
    parts = [pl.DataFrame({"id": [index, index + 1], "name": [f"n{index}", None]})
             for index in range(0, 6, 2)]
    return pl.concat(parts, rechunk=False)


def test_contiguous_joins_chunks() -> None:
    frame = chunked_frame()

    result = contiguous(frame)

    assert frame.n_chunks("all") == [3, 3]
    assert result.n_chunks("all") == [1, 1]


def test_contiguous_keeps_values_and_order() -> None:
    frame = chunked_frame()

    result = contiguous(frame)

    assert result.equals(frame)
    assert result.columns == ["id", "name"]
    assert result.schema == frame.schema


def test_contiguous_empty_frame() -> None:
    frame = pl.DataFrame(schema={"id": pl.Int64, "name": pl.Utf8})

    result = contiguous(frame)

    assert result.height == 0
    assert result.schema == frame.schema


def test_spread_fills_other_rows() -> None:
    values = pl.Series("flag", [True, True])

    result = spread(values, pl.Series([3, 0], dtype=pl.UInt32), 5, default=False)

    assert result.to_list() == [True, False, False, True, False]
    assert result.name == "flag"


def test_spread_default_null() -> None:
    result = spread(pl.Series("day", [7]), pl.Series([1], dtype=pl.UInt32), 3)

    assert result.to_list() == [None, 7, None]


def test_same_keys_order_matters() -> None:
    left = pl.DataFrame({"source": ["sf", "hs"], "source_id": ["1", "2"]})

    assert same_keys(left, left.with_columns(pl.lit(0).alias("extra")))
    assert not same_keys(left, left.reverse())
    assert not same_keys(left, left.head(1))
