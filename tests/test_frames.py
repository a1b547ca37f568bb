"""Tests for sgl.frames: frames made contiguous keep their values."""

from __future__ import annotations

import polars as pl

from sgl.frames import contiguous


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
