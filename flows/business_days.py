"""Business days in Japan, for the monthly report's "first business day" schedule.

A business day is a weekday that is neither a Japanese national holiday (from the
``holidays`` package, which follows the Cabinet Office's list, substitute holidays
included) nor a company holiday from ``[report] company_holidays`` (month-day strings, by
default 01-02 and 01-03, the New Year days most Japanese companies close on).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import holidays


def is_business_day(day: date, company_holidays: Iterable[str] = ()) -> bool:
    """Return True when ``day`` is a weekday, no Japanese holiday and no company holiday."""
    if day.weekday() >= 5:
        return False
    if day in holidays.Japan(years=day.year):
        return False
    return f"{day:%m-%d}" not in set(company_holidays)


def first_business_day(year: int, month: int, company_holidays: Iterable[str] = ()) -> date:
    """Return the first business day of a month.

    >>> first_business_day(2026, 5)  # May 1 is a Friday; Golden Week starts on May 3
    datetime.date(2026, 5, 1)
    >>> first_business_day(2027, 1, ["01-02", "01-03"])  # Jan 1 is a holiday, then a weekend
    datetime.date(2027, 1, 4)
    """
    closed = list(company_holidays)
    day = date(year, month, 1)
    while not is_business_day(day, closed):
        day += timedelta(days=1)
    return day


def is_first_business_day(day: date, company_holidays: Iterable[str] = ()) -> bool:
    return day == first_business_day(day.year, day.month, company_holidays)
