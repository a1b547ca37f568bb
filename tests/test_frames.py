"""Tests for sgl.frames: frames made contiguous keep their values."""

from __future__ import annotations

import polars as pl
import pytest

from sgl.frames import (
    contiguous,
    hstack_in_chunks,
    in_chunks_of,
    join_columns,
    same_keys,
    spread,
)


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


def test_in_chunks_of_cuts_like_the_frame() -> None:
    frame = chunked_frame()

    result = in_chunks_of(pl.Series("flag", [True, False] * 3), frame)

    assert result.chunk_lengths() == [2, 2, 2]
    assert result.to_list() == [True, False] * 3


def test_in_chunks_of_rechunks_a_differently_cut_column() -> None:
    frame = chunked_frame()
    column = pl.concat([pl.Series("n", [1, 2, 3]), pl.Series("n", [4, 5, 6])], rechunk=False)

    result = in_chunks_of(column, frame)

    assert result.chunk_lengths() == [2, 2, 2]
    assert result.to_list() == [1, 2, 3, 4, 5, 6]


def test_hstack_in_chunks_keeps_the_frame_uncopied() -> None:
    # A one-chunk column beside three-chunk columns makes the next expression copy every
    # column into one chunk. Cut into the frame's chunks, it copies nothing.
    frame = chunked_frame()
    added = pl.DataFrame({"flag": [True, False] * 3})

    plain = frame.hstack(added).with_columns((pl.col("id") * 2).alias("double"))
    cut = hstack_in_chunks(frame, added).with_columns((pl.col("id") * 2).alias("double"))

    assert plain.n_chunks("all") == [1, 1, 1, 1]
    assert cut.n_chunks("all") == [3, 3, 3, 3]
    assert cut.equals(plain)


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


def test_hstack_in_chunks_rejects_other_length() -> None:
    # A join that repeated a key gives one row too many, and the rows after it would sit
    # beside the wrong records.
    frame = chunked_frame()

    with pytest.raises(pl.exceptions.ShapeError, match="7 rows but the frame has 6"):
        hstack_in_chunks(frame, pl.DataFrame({"flag": list(range(7))}))


def test_join_columns_keeps_rows_and_chunks() -> None:
    frame = chunked_frame()
    names = pl.DataFrame({"id": [4, 0], "label": ["four", "zero"]})

    result = join_columns(frame, names, on=["id"])

    assert result.get_column("label").to_list() == ["zero", None, None, None, "four", None]
    assert result.n_chunks("all") == [3, 3, 3]


def test_join_columns_rejects_repeated_key() -> None:
    names = pl.DataFrame({"id": [0, 0], "label": ["zero", "again"]})

    with pytest.raises(pl.exceptions.ShapeError):
        join_columns(chunked_frame(), names, on=["id"])
