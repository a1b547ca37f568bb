"""Compute on distinct values once, then spread the results back over every row.

Attribution reads a dozen low-cardinality fields (lead source, roles, record source, a few
flags) on every lead and opportunity. Deciding each distinct combination once and joining the
decisions back through a 64-bit hash of the combination is several times faster than running
the string expressions on every row. The hash is only used when no two distinct combinations
share one (checked each time), so results are exact.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

HASH = "_distinct_hash"


def map_distinct(values: pl.Series, function: Callable[[pl.Series], pl.Series]) -> pl.Series:
    """Apply an element-wise ``function`` to each distinct value of ``values`` once."""
    keys = values.to_frame("_value")
    mapped = decide_distinct(keys, lambda distinct: distinct.with_columns(
        function(distinct.get_column("_value")).alias("_mapped")))
    return mapped.get_column("_mapped").alias(values.name)


def decide_distinct(keys: pl.DataFrame,
                    decide: Callable[[pl.DataFrame], pl.DataFrame]) -> pl.DataFrame:
    """Run ``decide`` on the distinct rows of ``keys``; return its new columns per row.

    ``decide`` receives the distinct rows and returns them with extra columns, in any order;
    the result has those extra columns, one row per row of ``keys`` and in the same order.
    Null key values match each other.
    """
    names = keys.columns
    decided = decide(keys.unique())
    added = [name for name in decided.columns if name not in names]
    decided = decided.with_columns(pl.struct(names).hash().alias(HASH))

    if decided.get_column(HASH).n_unique() == decided.height:
        rows = keys.select(pl.struct(names).hash().alias(HASH))
        joined = rows.join(decided.select(HASH, *added), on=HASH, how="left",
                           maintain_order="left")
    else:
        joined = keys.join(decided.select(*names, *added), on=names, how="left",
                           nulls_equal=True, maintain_order="left")
    return joined.select(added)
