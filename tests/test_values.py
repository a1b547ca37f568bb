"""Parsers of CRM and export values: amounts, timestamps and dates."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import polars as pl
import pytest

from transforms import values


@pytest.mark.parametrize(("text", "expected"), [
    ("$22,700.00", Decimal("22700")),
    ("¥1,200,000", Decimal("1200000")),
    ("1,200,000円", Decimal("1200000")),
    ("１２００", Decimal("1200")),
    ("-5.5", Decimal("-5.5")),
    ("100万円", Decimal("1000000")),
    ("1.2億円", Decimal("120000000")),
    (" 300 ", Decimal("300")),
])
def test_amount_reads_money(text: str, expected: Decimal) -> None:
    parsed = pl.DataFrame({"raw": [text]}).select(values.amount("raw"))["raw"][0]

    assert parsed == expected


@pytest.mark.parametrize("text", ["約50万", "=1+1", "1e6", "2026/03/01", "1,2,3", "abc"])
def test_amount_rejects_other_shapes(text: str) -> None:
    frame = pl.DataFrame({"raw": [text]})

    parsed = frame.select(values.amount("raw"))["raw"][0]
    flagged = frame.select(values.malformed("raw", values.amount("raw")))["raw"][0]

    assert parsed is None
    assert flagged is True


@pytest.mark.parametrize("text", [
    "2025-03-31T16:00:00.000+0000", "2025-03-31T16:00:00Z", "2025-03-31T16:00:00+00:00",
    "2025-04-01T01:00:00+09:00", "1743436800000", "2025-03-31 16:00:00",
])
def test_timestamp_shapes_to_utc(text: str) -> None:
    parsed = pl.DataFrame({"raw": [text]}).select(values.timestamp("raw"))["raw"][0]

    assert parsed == datetime(2025, 3, 31, 16, 0, tzinfo=UTC)


def test_naive_timestamp_in_given_zone() -> None:
    parsed = pl.DataFrame({"raw": ["2025-04-01 01:00:00"]}).select(
        values.timestamp("raw", naive_zone="Asia/Tokyo"))["raw"][0]

    assert parsed == datetime(2025, 3, 31, 16, 0, tzinfo=UTC)


def test_garbage_timestamp_counted() -> None:
    frame = pl.DataFrame({"raw": ["garbage", None, ""]})

    flagged = frame.select(values.malformed("raw", values.timestamp("raw")))["raw"].to_list()

    assert flagged == [True, False, False]
