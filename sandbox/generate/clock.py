"""Integer UTC timestamps and their Salesforce and HubSpot string forms.

The generator keeps every time as integer seconds since the Unix epoch (UTC) and formats
it only when it writes a record. Formatting goes through tables of day and time-of-day
strings, which is several times faster than ``datetime.strftime`` at a million records.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

DAY = 86_400
JST_OFFSET = 9 * 3600  # Asia/Tokyo has no daylight saving time.
OFFICE_OPENS = 9 * 3600  # 09:00, in seconds after midnight in Tokyo
OFFICE_HOURS = 9 * 3600

# Days formatted past ``as_of``, for planned close dates and due dates in the future.
FUTURE_DAYS = 400

_SALESFORCE_TIMES: list[str] = []
_HUBSPOT_TIMES: list[str] = []


def _time_tables() -> tuple[list[str], list[str]]:
    if not _SALESFORCE_TIMES:
        for second in range(DAY):
            hours, rest = divmod(second, 3600)
            minutes, seconds = divmod(rest, 60)
            clock = f"T{hours:02d}:{minutes:02d}:{seconds:02d}"
            _SALESFORCE_TIMES.append(clock + ".000+0000")
            # HubSpot sends milliseconds. A fixed scramble of the second keeps them varied
            # without one more random draw per timestamp.
            _HUBSPOT_TIMES.append(f"{clock}.{(second * 7919) % 1000:03d}Z")
    return _SALESFORCE_TIMES, _HUBSPOT_TIMES


def months_before(moment: datetime, months: int) -> datetime:
    """Return the same day and time ``months`` calendar months earlier, clamped to month end."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last_day = (next_month - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


class Clock:
    """The generated time window ``[start, end]`` and formatters for it.

    ``end`` is ``as_of``; ``start`` is ``months`` calendar months earlier. Formatters accept
    any second from the first day of the window to ``FUTURE_DAYS`` days after ``as_of``.
    """

    def __init__(self, as_of: datetime, months: int) -> None:
        if as_of.tzinfo is None:
            raise ValueError(f"as_of must be timezone-aware, got naive {as_of!r}; pass tzinfo=UTC")
        if months < 1:
            raise ValueError(f"months must be at least 1, got {months}")
        as_of = as_of.astimezone(UTC).replace(microsecond=0)
        self.as_of = as_of
        self.end = int(as_of.timestamp())
        self.start = int(months_before(as_of, months).timestamp())
        self.first_day = self.start - self.start % DAY - DAY
        first_date = datetime.fromtimestamp(self.first_day, UTC).date()
        day_count = (self.end - self.first_day) // DAY + FUTURE_DAYS + 2
        self._days = [(first_date + timedelta(days=n)).isoformat() for n in range(day_count)]
        self._sf_times, self._hs_times = _time_tables()

    def salesforce(self, second: int) -> str:
        """Format as a Salesforce datetime: ``2025-03-31T16:00:00.000+0000``."""
        return self._days[(second - self.first_day) // DAY] + self._sf_times[second % DAY]

    def hubspot(self, second: int) -> str:
        """Format as a HubSpot datetime: ``2025-03-31T16:00:00.123Z``."""
        return self._days[(second - self.first_day) // DAY] + self._hs_times[second % DAY]

    def office_time(self, second: int, fraction: float, not_before: int) -> int:
        """Move ``second`` into office hours (09:00-18:00 Asia/Tokyo, Monday to Friday).

        ``fraction`` in [0, 1) picks the time of day. The result is never before
        ``not_before`` or after ``as_of``, even where that leaves office hours.
        """
        midnight = second - (second + JST_OFFSET) % DAY
        weekday = ((midnight + JST_OFFSET) // DAY + 3) % 7  # 1970-01-01 was a Thursday
        if weekday >= 5:
            midnight += (7 - weekday) * DAY
        moment = midnight + OFFICE_OPENS + int(fraction * OFFICE_HOURS)
        return min(max(moment, not_before), self.end)

    def tokyo_date(self, second: int) -> str:
        """Return the Asia/Tokyo calendar date, the date a Japanese org's users see."""
        return self._days[(second + JST_OFFSET - self.first_day) // DAY]
