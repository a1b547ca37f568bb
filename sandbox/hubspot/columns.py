"""Compact column storage for HubSpot property values.

HubSpot sends every property value as a string. A million contacts with thirty properties
would cost gigabytes as Python strings, so datetimes and integers are stored as 64-bit
integers and turned back into the exact string on output. A value that would not come back
byte for byte (an epoch-millisecond string, a decimal amount) is kept as an override string.
"""

from __future__ import annotations

from array import array
from datetime import UTC, date, datetime

_NULL = -(2**63)  # marks a missing value in an integer column
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Canonical values end in Z, so arithmetic on their naive part is UTC arithmetic.
_EPOCH_NAIVE = _EPOCH.replace(tzinfo=None)


def format_ms(ms: int) -> str:
    """Format epoch milliseconds as HubSpot writes datetimes: ``2025-03-31T16:00:00.000Z``."""
    moment = datetime.fromtimestamp(ms // 1000, tz=UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


def parse_ms(value: str) -> int | None:
    """Parse a HubSpot datetime or date value to epoch milliseconds; None when unparseable.

    HubSpot accepts epoch milliseconds, ISO 8601 datetimes and ``YYYY-MM-DD`` dates (read as
    midnight UTC), in filters as in property values.
    """
    text = value.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return (day - _EPOCH.date()).days * 86_400_000
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _is_canonical_datetime(value: str) -> bool:
    return (len(value) == 24 and value[10] == "T" and value[19] == "." and value[23] == "Z")


def _is_canonical_integer(value: str) -> bool:
    return value.isdigit() and len(value) < 19 and (value == "0" or value[0] != "0")


class TextColumn:
    """Plain strings; enumeration values are interned so repeats share one object."""

    def __init__(self, *, interned: bool) -> None:
        self._values: list[str | None] = []
        self._interned: dict[str, str] | None = {} if interned else None

    def __len__(self) -> int:
        return len(self._values)

    def append(self, value: str | None) -> None:
        self._values.append(self._share(value))

    def extend(self, values: list[str | None]) -> None:
        if self._interned is None:
            self._values.extend(values)
            return
        share = self._interned.setdefault
        self._values.extend(None if value is None else share(value, value) for value in values)

    def get(self, row: int) -> str | None:
        return self._values[row]

    def set(self, row: int, value: str | None) -> None:
        self._values[row] = self._share(value)

    def _share(self, value: str | None) -> str | None:
        if value is None or self._interned is None:
            return value
        return self._interned.setdefault(value, value)


class _IntegerBackedColumn:
    """Values stored as 64-bit integers, with override strings for non-canonical values."""

    def __init__(self) -> None:
        self._numbers = array("q")
        self._overrides: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._numbers)

    def append(self, value: str | None) -> None:
        self._numbers.append(_NULL)
        self.set(len(self._numbers) - 1, value)

    def extend(self, values: list[str | None]) -> None:
        start = len(self._numbers)
        encode = self._encode
        numbers = array("q")
        for offset, value in enumerate(values):
            number = None if value is None else encode(value)
            if number is None:
                numbers.append(_NULL)
                if value is not None:
                    self._overrides[start + offset] = value
            else:
                numbers.append(number)
        self._numbers.extend(numbers)

    def set(self, row: int, value: str | None) -> None:
        self._overrides.pop(row, None)
        if value is None:
            self._numbers[row] = _NULL
            return
        number = self._encode(value)
        if number is None:
            self._numbers[row] = _NULL
            self._overrides[row] = value
        else:
            self._numbers[row] = number

    def get(self, row: int) -> str | None:
        number = self._numbers[row]
        if number == _NULL:
            return self._overrides.get(row)
        return self._decode(number)

    def _encode(self, value: str) -> int | None:
        raise NotImplementedError

    def _decode(self, number: int) -> str:
        raise NotImplementedError


class DatetimeColumn(_IntegerBackedColumn):
    """Datetimes as epoch milliseconds."""

    def _encode(self, value: str) -> int | None:
        if not _is_canonical_datetime(value):
            return None
        try:
            delta = datetime.fromisoformat(value[:19]) - _EPOCH_NAIVE
        except ValueError:
            return None
        return (delta.days * 86_400 + delta.seconds) * 1000 + int(value[20:23])

    def _decode(self, number: int) -> str:
        return format_ms(number)

    def ms(self, row: int) -> int | None:
        """Return the value as epoch milliseconds, parsing an override; None when missing."""
        number = self._numbers[row]
        if number != _NULL:
            return number
        override = self._overrides.get(row)
        return parse_ms(override) if override is not None else None


class IntegerColumn(_IntegerBackedColumn):
    """Integers such as ids and counts; decimals are kept as override strings."""

    def _encode(self, value: str) -> int | None:
        return int(value) if _is_canonical_integer(value) else None

    def _decode(self, number: int) -> str:
        return str(number)


Column = TextColumn | DatetimeColumn | IntegerColumn


def column_for(property_type: str) -> Column:
    """Return an empty column suited to a HubSpot property type."""
    if property_type in ("datetime", "date"):
        return DatetimeColumn()
    if property_type == "number":
        return IntegerColumn()
    return TextColumn(interned=property_type in ("enumeration", "bool"))
