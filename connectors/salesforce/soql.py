"""SOQL text for the pulls: literals, the tie-safe key condition and the SELECT statement.

SOQL writes datetime literals bare (``CreatedDate > 2025-03-31T16:00:00Z``) and string
literals in single quotes with backslash escapes; anything else is a ``MALFORMED_QUERY``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from connectors.base import Watermark

_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b",
            "\f": "\\f", '"': '\\"'}


def string_literal(value: str) -> str:
    """Quote ``value`` as a SOQL string, escaping quotes, backslashes and control characters."""
    return "'" + "".join(_ESCAPES.get(character, character) for character in value) + "'"


def datetime_literal(moment: datetime) -> str:
    """Write an aware datetime as a bare SOQL literal in UTC, with milliseconds when present."""
    if moment.tzinfo is None:
        raise ValueError(f"datetime {moment!r} has no time zone: pass an aware UTC datetime.")
    utc = moment.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond // 1000:03d}"
    return text + "Z"


def after_key(cursor: str, key: Watermark) -> str:
    """Return the condition "ordered after ``key``" on ``(cursor, Id)``.

    Records sharing the key's timestamp but with a greater Id still match, so a pull that
    resumes at a page boundary inside a run of equal timestamps neither skips nor repeats.
    """
    stamp = datetime_literal(key.at)
    return (f"({cursor} > {stamp} OR ({cursor} = {stamp} AND Id > "
            f"{string_literal(key.record_id)}))")


def select(object_name: str, fields: Sequence[str], conditions: Sequence[str],
           order_by: Sequence[str]) -> str:
    """Build ``SELECT ... FROM ... WHERE a AND b ORDER BY ...``; conditions must be parenthesized."""
    text = f"SELECT {', '.join(fields)} FROM {object_name}"
    if conditions:
        text += " WHERE " + " AND ".join(conditions)
    if order_by:
        text += " ORDER BY " + ", ".join(order_by)
    return text
