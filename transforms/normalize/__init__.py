"""Raw CRM records to canonical Polars frames, one normalizer per source.

A normalizer turns one page of raw records of one object into frames for the canonical
tables (``leads``, ``opportunities``, ...; columns as the warehouse schema defines them,
with ``source``, ``source_id``, ``object`` and ``raw`` always present), and counts the
values it had to leave unparsed. It never raises on a malformed value: the raw record keeps
the original, and the count reaches the run's summary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

Record = dict[str, Any]


@dataclass
class NormalizedPage:
    """Canonical frames by table name, and malformed-value counts by ``object.field``."""

    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    malformed: dict[str, int] = field(default_factory=dict)


Normalizer = Callable[[str, list[Record]], NormalizedPage]

NORMALIZERS: dict[str, Normalizer] = {}


def register(source: str) -> Callable[[Normalizer], Normalizer]:
    """Register the normalizer of a source (``salesforce``, ``hubspot``, ``import:...``)."""
    def decorate(function: Normalizer) -> Normalizer:
        NORMALIZERS[source] = function
        return function
    return decorate


def normalize(source: str, object_name: str, records: list[Record]) -> NormalizedPage:
    """Normalize one page of ``object_name`` records pulled from ``source``."""
    if source not in NORMALIZERS:
        raise KeyError(f"No normalizer registered for source {source!r}; known: "
                       f"{', '.join(sorted(NORMALIZERS)) or 'none'}.")
    return NORMALIZERS[source](object_name, records)
