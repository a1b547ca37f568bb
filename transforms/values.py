"""Polars expressions that parse the value shapes CRMs and exports produce.

Every parser keeps going on bad input: a value it cannot read becomes null, and
:func:`malformed` marks the rows where a non-empty raw value was lost that way, so callers
count them and keep the raw value beside the parsed one.

Timestamp shapes read, all converted to UTC:
- ISO 8601 with ``Z``, ``+0000`` or ``+00:00`` (Salesforce ``2025-03-31T16:00:00.000+0000``,
  HubSpot ``2025-03-31T16:00:00.000Z``), with or without fractional seconds;
- ISO 8601 without a zone, with ``T`` or a space, read in ``naive_zone`` (UTC by default);
- epoch milliseconds as a number or a string of digits (HubSpot date properties);
- a date alone (``2025-03-31``), read as midnight in ``naive_zone``;
- any extra ``strftime`` formats the caller names, such as an export's ``%d %b, %Y %H:%M:%S``.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

UTC = "UTC"
AMOUNT_DTYPE = pl.Decimal(20, 4)

_ZONED_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z")
_NAIVE_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S",
                  "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d")
# Epoch milliseconds between 1973 and 2286 have 12 or 13 digits.
_EPOCH_MS_PATTERN = r"^-?\d{12,13}$"


def timestamp(column: str | pl.Expr, naive_zone: str = UTC,
              extra_formats: Sequence[str] = ()) -> pl.Expr:
    """Parse a string or integer column into ``Datetime("us", "UTC")``."""
    raw = pl.col(column) if isinstance(column, str) else column
    text = raw.cast(pl.Utf8).str.strip_chars()
    # "%z" reads +0000 and +00:00 but not a bare Z.
    zoned_text = text.str.replace(r"Z$", "+00:00")

    candidates: list[pl.Expr] = [
        zoned_text.str.to_datetime(fmt, strict=False, time_zone=UTC, time_unit="us")
        for fmt in _ZONED_FORMATS
    ]
    candidates += [
        text.str.to_datetime(fmt, strict=False, time_unit="us")
        .dt.replace_time_zone(naive_zone, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone(UTC)
        for fmt in (*_NAIVE_FORMATS, *extra_formats)
    ]
    candidates += [
        text.str.to_date(fmt, strict=False).cast(pl.Datetime("us"))
        .dt.replace_time_zone(naive_zone, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone(UTC)
        for fmt in _DATE_FORMATS
    ]
    epoch = (
        pl.when(text.str.contains(_EPOCH_MS_PATTERN))
        .then(text.cast(pl.Int64, strict=False))
        .otherwise(None)
    )
    candidates.append(pl.from_epoch(epoch, time_unit="ms").dt.cast_time_unit("us")
                      .dt.replace_time_zone(UTC))
    return pl.coalesce(candidates)


def date(column: str | pl.Expr, extra_formats: Sequence[str] = ()) -> pl.Expr:
    """Parse a date-only field (Salesforce ``CloseDate``) into ``Date``, kept as written.

    A full timestamp is cut to its date as written, without a time-zone conversion, since
    date fields carry no zone. Epoch milliseconds (HubSpot) are read as a UTC date.
    """
    raw = pl.col(column) if isinstance(column, str) else column
    text = raw.cast(pl.Utf8).str.strip_chars()
    candidates = [text.str.slice(0, 10).str.to_date(fmt, strict=False) for fmt in _DATE_FORMATS]
    candidates += [text.str.to_datetime(fmt, strict=False).dt.date() for fmt in extra_formats]
    epoch = (
        pl.when(text.str.contains(_EPOCH_MS_PATTERN))
        .then(text.cast(pl.Int64, strict=False))
        .otherwise(None)
    )
    candidates.append(pl.from_epoch(epoch, time_unit="ms").dt.date())
    return pl.coalesce(candidates)


def amount(column: str | pl.Expr) -> pl.Expr:
    """Parse money such as ``$22,700.00``, ``¥1,200,000``, ``1,200,000円`` or ``１２００`` exactly.

    Full-width characters are folded first (NFKC); currency signs, thousands separators and
    spaces are dropped. The currency itself is not read here: it comes from its own field.
    """
    raw = pl.col(column) if isinstance(column, str) else column
    cleaned = (
        raw.cast(pl.Utf8)
        .str.normalize("NFKC")
        .str.replace_all(r"[^0-9.\-]", "")
    )
    valid = cleaned.str.contains(r"^-?\d+(\.\d+)?$")
    return pl.when(valid).then(cleaned).otherwise(None).cast(AMOUNT_DTYPE, strict=False)


def boolean(column: str | pl.Expr) -> pl.Expr:
    """Parse true/false, yes/no, 1/0 and はい/いいえ, case-insensitively; anything else is null."""
    raw = pl.col(column) if isinstance(column, str) else column
    text = raw.cast(pl.Utf8).str.strip_chars().str.to_lowercase()
    return (
        pl.when(text.is_in(["true", "yes", "y", "1", "はい", "t"])).then(True)
        .when(text.is_in(["false", "no", "n", "0", "いいえ", "f"])).then(False)
        .otherwise(None)
    )


def blank_to_null(column: str | pl.Expr, placeholders: Sequence[str] = ()) -> pl.Expr:
    """Turn empty strings, whitespace and placeholder values (such as "Select") into null."""
    raw = pl.col(column) if isinstance(column, str) else column
    text = raw.cast(pl.Utf8)
    empty = text.str.strip_chars().eq("") | text.is_in(list(placeholders))
    return pl.when(empty).then(None).otherwise(text)


def malformed(raw: str | pl.Expr, parsed: pl.Expr) -> pl.Expr:
    """Mark rows where a non-empty raw value could not be parsed."""
    raw_expr = pl.col(raw) if isinstance(raw, str) else raw
    present = raw_expr.is_not_null() & raw_expr.cast(pl.Utf8).str.strip_chars().ne("")
    return present & parsed.is_null()
