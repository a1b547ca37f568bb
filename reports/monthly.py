"""Render one monthly report from its model, archive it and log it: the step before sending.

    model ──render_files──▶ ReportFiles ──write_archive──▶ folder ──add_report_render──▶ log

A report whose period and language were sent before with other figures is marked as
restated before it is rendered, so the mark is part of its HTML and PDF.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from reports.archive import (
    ArchivedReport,
    csv_bytes,
    detail_frame,
    figures_checksum,
    report_folder,
    write_archive,
)
from reports.charts import render_charts
from reports.email import ReportFiles
from reports.model import ReportModel
from reports.pdf import render_pdf
from reports.plain_text import render_plain_text
from reports.rendering import RenderOptions, render_email_html, report_title
from sgl.i18n import translate
from sgl.settings import Settings
from sgl.warehouse import Warehouse

logger = logging.getLogger(__name__)

SENT_RESULTS = ("sent", "resent")


@dataclass(frozen=True)
class RenderedReport:
    """A report written to the archive and logged, ready to send."""

    period: str  # YYYY-MM
    locale: str
    rendered_at: datetime
    archived: ArchivedReport
    restated: bool


def render_options(settings: Settings, locale: str) -> RenderOptions:
    report = settings.report
    return RenderOptions(locale=locale, money_style=report.money_style,
                         detail_cap=report.pdf_detail_rows, timezone=settings.general.timezone,
                         fiscal_year_start_month=settings.general.fiscal_year_start_month,
                         show_company_name=report.show_company_name)


def report_locale(settings: Settings, requested: str | None = None) -> str:
    """Pick the report's language: the flag, then [report] locale, [general] locale, else ja."""
    return requested or settings.report.locale or settings.general.locale or "ja"


def render_files(model: ReportModel, options: RenderOptions) -> ReportFiles:
    """Render the email body, plain text, charts, PDF and detail CSV of a report."""
    locale = options.locale
    charts = render_charts(model, options.formatter(model))
    html = render_email_html(model, charts, options)
    text = render_plain_text(model, options)
    pdf = render_pdf(model, charts, options)
    detail = csv_bytes(detail_frame(model, locale))

    title = report_title(model, options)
    company = model.company_name if options.show_company_name else ""
    subject = translate("{title} ({company})", locale).format(
        title=title, company=company) if company else title
    period = f"{model.period:%Y-%m}"
    return ReportFiles(
        subject=subject,
        text=text.encode("utf-8"),
        html=html.encode("utf-8"),
        charts=tuple(charts.values()),
        pdf=pdf,
        pdf_name=translate("SGL-report", locale) + f"_{period}.pdf",
        csv=detail,
        csv_name=translate("SGL-detail", locale) + f"_{period}.csv",
    )


def render_and_archive(warehouse: Warehouse, model: ReportModel, settings: Settings,
                       locale: str, rendered_at: datetime | None = None) -> RenderedReport:
    """Render a report, mark it restated where needed, archive it and log the render."""
    rendered_at = rendered_at or datetime.now(UTC)
    period = f"{model.period:%Y-%m}"
    model = mark_restated(model, warehouse.report_log(period, locale),
                          ZoneInfo(settings.general.timezone))

    files = render_files(model, render_options(settings, locale))
    archive_dir = settings.resolve(settings.report.archive_dir)
    folder = report_folder(archive_dir, model.period, locale, rendered_at)
    archived = write_archive(folder, files, model, locale, rendered_at)
    warehouse.add_report_render(
        period=period, locale=locale, as_of=model.as_of, rendered_at=rendered_at,
        archive_dir=str(folder), files=sorted(archived.file_hashes), checksum=archived.checksum,
        figures_checksum=archived.figures_checksum, is_restated=model.restated)
    logger.info("report %s %s rendered (restated=%s, html %d bytes, pdf %d bytes)", period,
                locale, model.restated, len(files.html), len(files.pdf))
    return RenderedReport(period, locale, rendered_at, archived, model.restated)


def mark_restated(model: ReportModel, log: pl.DataFrame, zone: ZoneInfo) -> ReportModel:
    """Mark the model restated when the last sent report of its period had other figures."""
    sent = log.filter(pl.col("send_result").is_in(SENT_RESULTS)) if log.height else log
    if not sent.height:
        return model
    last = sent.sort("sent_at").row(-1, named=True)
    if last["figures_checksum"] == figures_checksum(model):
        return model
    sent_at = last["sent_at"]
    sent_on = sent_at.astimezone(zone).date() if sent_at is not None else None
    return dataclasses.replace(model, restated=True, restated_from=sent_on)


def archive_paths(rendered: RenderedReport) -> dict[str, Path]:
    return rendered.archived.paths
