"""Frame layout helpers shared by the warehouse and the transforms."""

from __future__ import annotations

import polars as pl


def contiguous(frame: pl.DataFrame) -> pl.DataFrame:
    """Return ``frame`` with every column in one contiguous chunk.

    DuckDB results and Parquet files arrive in many chunks (one per row group or batch).
    Several operations attribution uses copy such columns into one chunk on every call, so
    rechunking once at reading made attribution and KPIs on 10M leads about 11% faster and
    1.1 GiB smaller (BENCHMARKS.md). Columns are rechunked one at a time, so each old column
    is freed before the next is copied, as long as no other reference keeps the frame.
    """
    for name in frame.columns:
        column = frame.get_column(name)
        if column.n_chunks() > 1:
            frame = frame.with_columns(column.rechunk())
        del column
    return frame


def in_chunks_of(column: pl.Series, frame: pl.DataFrame) -> pl.Series:
    """Return ``column`` cut into the chunks of ``frame``'s columns, without copying.

    Polars copies every column of a frame into one chunk when an expression runs on a frame
    whose columns are chunked differently. Attribution stacks the leads' and the
    opportunities' columns without copying them (two chunks), so a column added to that
    frame in one chunk would make the next expression copy every column of every record:
    2 GiB at 10M leads. Slices of one chunk share its memory.
    """
    if frame.width == 0:
        return column
    if column.len() != frame.height:
        # Raise as DataFrame.hstack does, because slicing would drop extra rows silently.
        raise pl.exceptions.ShapeError(
            f"column {column.name!r} has {column.len()} rows but the frame has {frame.height}")
    lengths = frame.get_column(frame.columns[0]).chunk_lengths()
    if column.chunk_lengths() == lengths:
        return column
    if column.n_chunks() > 1:
        column = column.rechunk()
    pieces, offset = [], 0
    for length in lengths:
        pieces.append(column.slice(offset, length))
        offset += length
    return pl.concat(pieces, rechunk=False)


def hstack_in_chunks(frame: pl.DataFrame, columns: pl.DataFrame) -> pl.DataFrame:
    """Add ``columns`` to ``frame`` in the chunks of ``frame`` (see :func:`in_chunks_of`)."""
    return frame.hstack([in_chunks_of(column, frame) for column in columns.get_columns()])


def join_columns(frame: pl.DataFrame, other: pl.DataFrame,
                 on: list[str]) -> pl.DataFrame:
    """Add ``other``'s columns to ``frame`` by a left join on ``on``, keeping ``frame``'s rows.

    Only the key columns take part in the join, so none of ``frame``'s other columns is
    copied. ``other`` has one row per key, and a repeated key raises ``ShapeError``.
    """
    found = frame.select(on).join(other, on=on, how="left", maintain_order="left")
    return hstack_in_chunks(frame, found.drop(on))


def spread(values: pl.Series, positions: pl.Series, height: int,
           default: object = None) -> pl.Series:
    """Place ``values`` at ``positions`` of a series of ``height`` rows filled with ``default``."""
    return pl.repeat(default, height, dtype=values.dtype, eager=True).scatter(
        positions, values).alias(values.name)


def same_keys(left: pl.DataFrame, right: pl.DataFrame,
              keys: tuple[str, ...] = ("source", "source_id")) -> bool:
    """Tell whether both frames list the same records, by ``keys``, in the same order."""
    return left.height == right.height and all(
        left.get_column(key).equals(right.get_column(key)) for key in keys)
