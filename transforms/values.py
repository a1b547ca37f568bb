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


# A money value: an optional currency sign, digits with optional thousands separators and
# decimals, and an optional Japanese unit (円, 万円, 億円, 万, 億). Anything else, such as
# "約50万", "1e6", "=1+1" or a date, is malformed rather than guessed at.
_AMOUNT_PATTERN = (r"^(?P<sign>-?)[¥$€£]?(?P<digits>\d{1,3}(,\d{3})+|\d+)(?P<decimals>\.\d+)?"
                   r"(?P<unit>万円|億円|円|万|億)?$")
_UNIT_FACTORS = {"万円": 10_000, "万": 10_000, "億円": 100_000_000, "億": 100_000_000}


def amount(column: str | pl.Expr) -> pl.Expr:
    """Parse money such as ``$22,700.00``, ``¥1,200,000``, ``1,200,000円``, ``１２００`` or
    ``120万円`` exactly; any other shape becomes null, so :func:`malformed` counts it.

    Full-width characters are folded first (NFKC) and spaces dropped. The currency itself is
    not read here: it comes from its own field.
    """
    raw = pl.col(column) if isinstance(column, str) else column
    text = raw.cast(pl.Utf8).str.normalize("NFKC").str.replace_all(r"\s", "")
    parts = text.str.extract_groups(_AMOUNT_PATTERN)
    number = pl.concat_str(
        parts.struct.field("sign"),
        parts.struct.field("digits").str.replace_all(",", ""),
        parts.struct.field("decimals").fill_null(""),
    )
    factor = (
        parts.struct.field("unit")
        .replace_strict(_UNIT_FACTORS, default=1, return_dtype=pl.Int64)
        .fill_null(1)
    )
    valid = text.str.contains(_AMOUNT_PATTERN)
    value = number.cast(AMOUNT_DTYPE, strict=False) * factor.cast(AMOUNT_DTYPE)
    # Named like the raw column, as the other parsers are.
    return pl.when(valid).then(value).otherwise(None).cast(AMOUNT_DTYPE, strict=False) \
        .name.keep()


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
