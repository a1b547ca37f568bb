"""Numbers, money styles, rates and fiscal years in Japanese and English."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from reports.formatting import Formatter, fiscal_year_of
from reports.model import Figure, Headline


@pytest.mark.parametrize(("style", "locale", "amount", "expected"), [
    ("yen", "ja", "1234567", "¥1,234,567"),
    ("yen", "en", "1234567", "¥1,234,567"),
    ("yen", "ja", "-2500", "-¥2,500"),
    ("yen", "ja", "0.5", "¥1"),  # half-up to the yen
    ("man", "ja", "12345678", "1,235万円"),
    ("oku", "ja", "123456789", "1.2億円"),
    ("oku", "ja", "98765432", "9,877万円"),
    ("man", "ja", "9999", "¥9,999"),
    ("oku", "en", "123456789", "¥123.5M"),
])
def test_money_styles(style: str, locale: str, amount: str, expected: str) -> None:
    formatter = Formatter(locale, "JPY", style)  # type: ignore[arg-type]

    assert formatter.money(Decimal(amount)) == expected


def test_other_currency_uses_babel() -> None:
    assert Formatter("en", "USD").money(Decimal("1234.565")) == "$1,234.57"


def test_rate_shows_numerator_and_denominator() -> None:
    formatter = Formatter("ja")

    assert formatter.rate(Figure.ratio(7, 17)) == "41.2% (7/17)"
    assert formatter.rate(Figure.ratio(0, 0)) == "– (0/0)"


def test_rate_change_in_points() -> None:
    headline = Headline("sgl_sql_rate", "rate", Figure.ratio(1, 2), Figure.ratio(1, 4))

    assert Formatter("en").change(headline, headline.month_change) == "+25.0 pt"


@pytest.mark.parametrize(("locale", "expected"), [("ja", "2026年4月"), ("en", "April 2026")])
def test_month_label(locale: str, expected: str) -> None:
    assert Formatter(locale).month(date(2026, 4, 1)) == expected


@pytest.mark.parametrize(("month", "start", "year"), [
    (date(2026, 4, 1), 4, 2026), (date(2027, 3, 1), 4, 2026), (date(2026, 3, 1), 1, 2026),
])
def test_fiscal_year_named_by_start(month: date, start: int, year: int) -> None:
    assert fiscal_year_of(month, start) == year


def test_fiscal_year_label_english() -> None:
    assert Formatter("en").fiscal_year(2026) == "FY2026"
