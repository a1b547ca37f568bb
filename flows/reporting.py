"""Plain functions of the monthly report run: which month, whether it went out, render, send.

The report itself is built in ``reports``; these functions open the warehouse for the flow
and the demo and return what their summaries show (paths, headline figures, send result).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import polars as pl

from reports.adapter import build_model
from reports.delivery import SendOutcome, check_not_sent, envelope_from_settings, send_rendered
from reports.errors import AlreadySentError
from reports.kpi_source import collect
from reports.labels import Labels
from reports.model import Headline
from reports.monthly import RenderedReport, render_and_archive
from reports.smtp import smtp_password
from sgl.i18n import get_locale
from sgl.settings import Settings
from sgl.warehouse import Warehouse
from transforms.kpis import counted_in

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportRun:
    """A rendered report with the headline figures it shows and, once sent, the outcome."""

    rendered: RenderedReport
    headlines: tuple[Headline, ...]
    has_origin_data: bool
    sent: SendOutcome | None = None


def last_full_month(as_of: date) -> str:
    """Return the month before ``as_of`` as YYYY-MM.

    >>> last_full_month(date(2026, 1, 5))
    '2025-12'
    """
    index = as_of.year * 12 + as_of.month - 2
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def send_block_reason(settings: Settings, month: str, locale: str) -> str | None:
    """Return why the report of ``month`` must not be sent again, or None when it may be."""
    if not settings.warehouse_path.exists():
        return None
    with Warehouse.open(settings.warehouse_path, holder="monthly report check",
                        lock_timeout=settings.warehouse.lock_timeout_seconds) as warehouse:
        log = warehouse.report_log(month, locale)
    try:
        check_not_sent(log, month, locale)
    except AlreadySentError as error:
        return str(error)
    return None


def render_report(settings: Settings, month: str, as_of: date, locale: str) -> ReportRun:
    """Compute the KPIs of ``month``, render the report, archive it and log the render."""
    with Warehouse.open(settings.warehouse_path, write=True, holder="monthly report",
                        lock_timeout=settings.warehouse.lock_timeout_seconds) as warehouse:
        snapshot, context = collect(warehouse, settings, month, as_of)
        model = build_model(snapshot, context)
        rendered = render_and_archive(warehouse, model, settings, locale)
    return ReportRun(rendered, model.headlines, model.has_origin_data)


def send_report(settings: Settings, run: ReportRun, *, force: bool = False,
                recipients: list[str] | None = None,
                env: Mapping[str, str] | None = None) -> ReportRun:
    """Email a rendered report once per month and language (again only with ``force``)."""
    envelope = envelope_from_settings(settings.report, recipients)
    password = smtp_password(settings.report, os.environ if env is None else env)
    with Warehouse.open(settings.warehouse_path, write=True, holder="monthly report send",
                        lock_timeout=settings.warehouse.lock_timeout_seconds) as warehouse:
        outcome = send_rendered(warehouse, run.rendered, settings.report, envelope, password,
                                force=force)
    return ReportRun(run.rendered, run.headlines, run.has_origin_data, outcome)


def headline_rows(headlines: tuple[Headline, ...]) -> list[dict[str, object]]:
    """Return one row per headline metric: its id and its name in the active locale, value,
    numerator, denominator and maturing flag."""
    labels = Labels(get_locale())
    rows = []
    for headline in headlines:
        figure = headline.current
        rows.append({
            "metric": headline.metric,
            "name": labels.metric(headline.metric),
            "value": _plain(figure.value, headline.unit),
            "numerator": _plain(figure.numerator, "count"),
            "denominator": _plain(figure.denominator, "count"),
            "maturing": figure.maturing,
        })
    return rows


def _plain(value: object, unit: str) -> str:
    if value is None:
        return ""
    if unit == "rate":
        return f"{float(value):.1%}"  # type: ignore[arg-type]
    if unit == "money":
        return f"{round(float(value)):,}"  # type: ignore[arg-type]
    return f"{float(value):,.0f}"  # type: ignore[arg-type]


def sgl_count(settings: Settings, month: str) -> int:
    """Return the number of SGLs created in ``month`` as stored (a check for tests and ops)."""
    from sgl.attribution_store import kpi_inputs

    inputs = kpi_inputs(settings, holder="sgl count")
    return inputs.leads.filter(counted_in(month) & (pl.col("origin") == "sales")).height
