"""Numbers, money, rates and dates in the report's locale, with Babel.

Money styles for JPY: ``yen`` writes ¥1,234,567; ``man`` writes 1,234万円 (万 = 10^4);
``oku`` writes 1.2億円 (億 = 10^8) from one 億 upwards and 万円 below that. In English the
``man`` and ``oku`` styles use Babel's short form (¥12.3M), because 万 and 億 are not English
units. Other currencies always use Babel's standard currency format.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from babel.dates import format_skeleton
from babel.numbers import (
    format_compact_currency,
    format_currency,
    format_decimal,
    get_currency_precision,
)

from reports.model import Figure, Headline
from sgl.i18n import translate

MoneyStyle = Literal["yen", "man", "oku"]

MAN = Decimal(10_000)
OKU = Decimal(100_000_000)
EMPTY = "–"


class Formatter:
    """Formats the report's values for one locale, currency and money style."""

    def __init__(self, locale: str, currency: str = "JPY", money_style: MoneyStyle = "yen",
                 fiscal_year_start_month: int = 4) -> None:
        self.locale = locale
        self.currency = currency
        self.money_style = money_style
        self.fiscal_year_start_month = fiscal_year_start_month

    # -- numbers -------------------------------------------------------------------------

    def count(self, value: int | Decimal | None) -> str:
        if value is None:
            return EMPTY
        return format_decimal(value, format="#,##0", locale=self.locale)

    def number(self, value: Decimal | None, digits: int = 1) -> str:
        if value is None:
            return EMPTY
        pattern = "#,##0." + "0" * digits if digits else "#,##0"
        return format_decimal(value, format=pattern, locale=self.locale,
                              decimal_quantization=True)

    def percent(self, value: Decimal | None) -> str:
        """Write a share such as 0.1234 as 12.3%."""
        if value is None:
            return EMPTY
        return self.number(value * 100, 1) + "%"

    def rate(self, figure: Figure | None) -> str:
        """Write a rate with its numerator and denominator: 12.3% (12/98)."""
        if figure is None or figure.denominator is None:
            return EMPTY
        parts = f"({self.count(figure.numerator)}/{self.count(figure.denominator)})"
        if figure.value is None:
            return f"{EMPTY} {parts}"
        return f"{self.percent(figure.value)} {parts}"

    def hours(self, value: Decimal | None) -> str:
        if value is None:
            return EMPTY
        return translate("{hours} h", self.locale).format(hours=self.number(value, 1))

    def days(self, value: Decimal | None) -> str:
        if value is None:
            return EMPTY
        return translate("{days} days", self.locale).format(days=self.number(value, 1))

    # -- money ---------------------------------------------------------------------------

    def money(self, amount: Decimal | None) -> str:
        if amount is None:
            return EMPTY
        amount = _round_minor(amount, self.currency)
        if self.currency != "JPY":
            return format_currency(amount, self.currency, locale=self.locale)
        if self.money_style == "yen" or abs(amount) < MAN:
            # Babel's Japanese pattern uses the full-width ￥; business documents use ¥.
            sign = "-" if amount < 0 else ""
            return f"{sign}¥{format_decimal(abs(amount), format='#,##0', locale=self.locale)}"
        if self.locale != "ja":
            return format_compact_currency(amount, "JPY", locale=self.locale,
                                           fraction_digits=1)
        if self.money_style == "oku" and abs(amount) >= OKU:
            return self.number(amount / OKU, 1) + "億円"
        return self.number(amount / MAN, 0) + "万円"

    # -- values by unit ------------------------------------------------------------------

    def figure(self, figure: Figure | None, unit: str) -> str:
        if figure is None:
            return EMPTY
        if unit == "rate":
            return self.rate(figure)
        if unit == "money":
            return self.money(figure.value)
        if unit == "hours":
            return self.hours(figure.value)
        return self.count(figure.value)

    def change(self, headline: Headline, value: Decimal | None) -> str:
        """Write a change with its sign: +3, -1.2pt for rates, +¥120,000 for money."""
        if value is None:
            return EMPTY
        if value > 0:
            sign = "+"
        elif value < 0:
            sign = "-"
        else:
            sign = "±"
        magnitude = abs(value)
        if headline.unit == "rate":
            points = self.number(magnitude * 100, 1)
            return sign + translate("{points} pt", self.locale).format(points=points)
        if headline.unit == "money":
            return sign + self.money(magnitude)
        if headline.unit == "hours":
            return sign + self.hours(magnitude)
        return sign + self.count(magnitude)

    # -- dates ---------------------------------------------------------------------------

    def month(self, value: date) -> str:
        """Write a month: 2026年4月 / April 2026."""
        return format_skeleton("yMMMM", value, locale=self.locale)

    def day(self, value: date | None) -> str:
        if value is None:
            return EMPTY
        return format_skeleton("yMMMd", value, locale=self.locale)

    def fiscal_year(self, year: int) -> str:
        """Write a fiscal year named by its start year: 2026年度 / FY2026."""
        return translate("FY{year}", self.locale).format(year=year)


def fiscal_year_of(month: date, start_month: int) -> int:
    """Return the fiscal year of a month, named by the calendar year in which it starts.

    With April as the start month, 2026-04 to 2027-03 is fiscal year 2026 (2026年度), as
    Japanese companies name it.
    """
    return month.year if month.month >= start_month else month.year - 1


def _round_minor(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit (0 digits for JPY, 2 for USD)."""
    digits = get_currency_precision(currency)
    return amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
