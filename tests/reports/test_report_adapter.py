"""KPI frames of the hand-computed golden world through the adapter into the report and PDF.

Figures below are those of tests/attribution/test_golden.py (May 2025, as of 2025-08-10).
"""

from __future__ import annotations

from decimal import Decimal

import pypdfium2 as pdfium
import pytest

from reports.adapter import KpiSnapshot, ReportContext, build_model
from reports.model import Figure, SourceNote
from reports.monthly import render_options
from reports.pdf import render_pdf
from sgl.settings import Settings
from tests.attribution import golden_world as world
from transforms.attribution import attribute, with_decisions
from transforms.kpis import all_kpis, lead_counts, prepare
from transforms.rules import load_rules

APRIL, MAY = "2025-04", "2025-05"


@pytest.fixture(scope="module")
def model():
    decided = attribute(world.frames(), load_rules(), world.ATTRIBUTION_PARAMS, world.NOW)
    inputs = prepare(with_decisions(world.frames(), decided), world.KPI_PARAMS)
    snapshot = KpiSnapshot(
        month=MAY, as_of=world.AS_OF,
        current=all_kpis(inputs, MAY, world.AS_OF),
        previous_month=all_kpis(inputs, APRIL, world.AS_OF),
        trend=[(APRIL, lead_counts(inputs, APRIL)), (MAY, lead_counts(inputs, MAY))])
    context = ReportContext(company_name="ゴールデン株式会社", currency="JPY",
                            fiscal_year_start_month=4, window_days=90, win_window_days=365,
                            rep_names={"U1": "rep one", "U2": "rep two", "H1": "hubspot rep"},
                            sources=(SourceNote("sf", "ok"),))
    return build_model(snapshot, context)


def headline(model, metric):
    return next(h for h in model.headlines if h.metric == metric)


def test_sgl_count_with_month_change(model) -> None:
    sgls = headline(model, "sgl_count")

    assert sgls.current.value == 2
    assert sgls.previous_month.value == 5
    assert sgls.month_change == -3
    assert sgls.previous_year is None
    assert sgls.target == 2  # U1's default target; West has no May target


def test_sql_rate_maturing(model) -> None:
    rate = headline(model, "sgl_sql_rate").current

    assert (rate.numerator, rate.denominator, rate.maturing) == (2, 2, True)
    assert headline(model, "sgl_sql_rate").previous_month == Figure.ratio(2, 5)


def test_conversion_rows_side_by_side(model) -> None:
    rows = {row.origin: row for row in model.conversion}

    assert [row.origin for row in model.conversion] == ["sales", "marketing", "partner",
                                                       "unknown"]
    assert rows["sales"].leads == 2
    assert rows["marketing"].sql_rate == Figure.ratio(1, 1, maturing=True)
    assert rows["marketing"].win_rate == Figure.ratio(1, 1, maturing=True)


def test_reps_named(model) -> None:
    assert [(row.rep, row.team, row.sgl_count, row.target) for row in model.reps] == [
        ("rep one", "East", 1, Decimal(2)), ("rep two", "West", 1, None)]


def test_best_actions_and_losses(model) -> None:
    first = model.best_actions[0]

    assert (first.event, first.rep, first.amount, first.next_step) == (
        "won", "rep one", Decimal(3_000_000), "契約書送付")
    assert [(row.reason, row.opportunities, row.amount) for row in model.lost_reasons] == [
        ("価格", 1, Decimal(1_200_000)), ("競合", 1, Decimal(600_000))]


def test_velocity_and_quality_note(model) -> None:
    sales = next(row for row in model.velocity if row.origin == "sales")

    assert (sales.days_to_sql, sales.sql_intervals) == (Decimal("2.0"), 1)
    assert (sales.days_sql_to_won, sales.won_intervals) == (Decimal("39.0"), 1)
    assert [(note.kind, note.count) for note in model.quality_notes][0] == (
        "negative_interval", 1)


def test_trend_points(model) -> None:
    assert [(p.period.month, p.sgl_count, p.mql_count) for p in model.trend] == [
        (4, 5, 1), (5, 2, 1)]


def test_golden_pdf_has_kpi_values(model) -> None:
    pdf = pdfium.PdfDocument(render_pdf(model, {}, render_options(Settings(), "ja")))
    text = "\n".join(pdf[index].get_textpage().get_text_range() for index in range(len(pdf)))

    assert "100.0% (2/2) *" in text
    assert "¥3,000,000" in text
    assert "rep one" in text
    assert "2025年5月" in text
    assert "ゴールデン株式会社" in text
    assert "39.0" in text
