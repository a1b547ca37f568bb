"""Conversions of field values between JSON, the store, SOQL literals and Bulk API CSV.

The store keeps datetimes in Salesforce's REST form ``2025-03-31T16:00:00.000+0000`` (always
UTC, fixed width), so comparing the strings compares the instants. Booleans are stored as
0/1, address and anyType values as JSON text.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any

from sandbox.salesforce.schema import FieldInfo

_CANONICAL_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000\Z")
_DATE = re.compile(r"\d{4}-\d\d-\d\d\Z")


def format_datetime(moment: datetime) -> str:
    """Format an aware datetime as the REST API does: UTC, milliseconds, ``+0000``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime:
    """Parse an ISO 8601 datetime with ``Z``, ``+0000`` or ``+09:00``; raises ValueError."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"Datetime {text!r} has no UTC offset.")
    return moment


def canonical_datetime(value: Any) -> str | None:
    """Return a stored datetime in canonical form, converting other ISO forms to UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return format_datetime(value)
    text = str(value)
    if _CANONICAL_DATETIME.match(text):
        return text
    return format_datetime(parse_datetime(text))


def canonical_date(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if not _DATE.match(text):
        raise ValueError(f"Date {text!r} is invalid: use YYYY-MM-DD.")
    date.fromisoformat(text)
    return text


def to_store(info: FieldInfo, value: Any) -> Any:
    """Convert a JSON value of a field to its stored form; raises ValueError on a bad value."""
    if value is None:
        return None
    kind = info.type
    if kind == "datetime":
        return canonical_datetime(value)
    if kind == "date":
        return canonical_date(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ValueError(f"Field {info.name} takes true or false, not {value!r}.")
        return int(value)
    if kind in ("address", "anyType"):
        return json.dumps(value, ensure_ascii=False)
    if kind in ("int",):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"Field {info.name} takes a whole number, not {value!r}.")
        return int(value)
    if kind in ("double", "currency", "percent"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"Field {info.name} takes a number, not {value!r}.")
        return float(value)
    if isinstance(value, dict | list):
        raise ValueError(f"Field {info.name} takes a text value, not {type(value).__name__}.")
    return str(value) if not isinstance(value, str) else value


def from_store(info: FieldInfo, value: Any) -> Any:
    """Convert a stored value to the JSON value the REST API returns."""
    if value is None:
        return None
    kind = info.type
    if kind == "boolean":
        return bool(value)
    if kind in ("address", "anyType"):
        return json.loads(value)
    return value


def to_csv(info: FieldInfo, value: Any) -> str:
    """Format a stored value for a Bulk API 2.0 query result (datetimes end in ``Z``)."""
    if value is None:
        return ""
    kind = info.type
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "datetime":
        return value[:-5] + "Z"
    if kind == "anyType":
        decoded = json.loads(value)
        return "" if decoded is None else str(decoded)
    if isinstance(value, float) and value.is_integer() and kind == "int":
        return str(int(value))
    return str(value)


# Bulk API ingest: an empty cell leaves the field unchanged and #N/A sets it to null.
CSV_NULL = "#N/A"


def from_csv(info: FieldInfo, text: str) -> Any:
    """Convert a Bulk API ingest cell to a JSON value; raises ValueError on a bad value."""
    if text == CSV_NULL:
        return None
    kind = info.type
    if kind == "boolean":
        lowered = text.lower()
        if lowered not in ("true", "false", "1", "0"):
            raise ValueError(f"Field {info.name} takes true or false, not {text!r}.")
        return lowered in ("true", "1")
    if kind == "int":
        return int(text)
    if kind in ("double", "currency", "percent"):
        return float(text)
    return text
