"""Jinja2 rendering of the report model into the email body and the PDF's HTML.

Autoescaping is on for every template and CRM strings reach the templates only as values of
the model, so ``{{ 7*7 }}`` in an account name is printed as those seven characters. The
templates use the gettext catalogs through ``jinja2.ext.i18n`` (new-style ``_()`` calls).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from reports.formatting import Formatter
from reports.labels import Labels
from reports.model import DetailTable, ReportModel
from sgl.i18n import translate, translations

DATE_COLUMNS = ("created", "qualified", "won")


@dataclass(frozen=True)
class ChartImage:
    """A rendered chart: PNG bytes, its alternative text and its size in CSS pixels."""

    name: str
    png: bytes
    alt: str
    width: int
    height: int

    @property
    def content_id(self) -> str:
        # Stable ids, so an archived HTML body and its images always match.
        return f"chart-{self.name}@sgl-report"


@dataclass(frozen=True)
class RenderOptions:
    """Rendering settings of one report: language, money style and the PDF's detail cap."""

    locale: str = "ja"
    money_style: str = "yen"
    detail_cap: int = 200
    timezone: str = "Asia/Tokyo"
    fiscal_year_start_month: int = 4
    show_company_name: bool = True

    def formatter(self, model: ReportModel) -> Formatter:
        return Formatter(self.locale, model.currency, self.money_style,  # type: ignore[arg-type]
                         self.fiscal_year_start_month)


@cache
def environment(locale: str) -> Environment:
    """Return the template environment of one locale, with its catalog installed."""
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    return env


def report_title(model: ReportModel, options: RenderOptions) -> str:
    month = options.formatter(model).month(model.period)
    return translate("SGL report, {month}", options.locale).format(month=month)


def footer_text(model: ReportModel, options: RenderOptions) -> str:
    """Company and period, as the PDF footer and the email's last line show them."""
    period = options.formatter(model).month(model.period)
    company = model.company_name if options.show_company_name else ""
    if not company:
        return period
    return translate("{company} · {period}", options.locale).format(company=company,
                                                                      period=period)


def render_email_html(model: ReportModel, charts: Mapping[str, ChartImage],
                      options: RenderOptions) -> str:
    """Render the email body; images refer to their MIME parts as ``cid:`` URLs."""
    sources = {name: _image_ref(chart, "cid:" + chart.content_id)
               for name, chart in charts.items()}
    return _render("email.html", model, sources, options)


def render_document_html(model: ReportModel, charts: Mapping[str, ChartImage],
                         options: RenderOptions, image_urls: Mapping[str, str],
                         font_url: str) -> str:
    """Render the PDF's HTML; ``image_urls`` maps chart names to URLs WeasyPrint may fetch."""
    sources = {name: _image_ref(chart, image_urls[name]) for name, chart in charts.items()}
    formatter = options.formatter(model)
    cap = max(options.detail_cap, 0)
    rows = [format_detail_row(model.detail, row, formatter, Labels(options.locale))
            for row in model.detail.rows[:cap]]
    return _render("document.html", model, sources, options, font_url=font_url,
                   detail_rows=rows, detail_total=len(model.detail.rows))


def format_detail_row(table: DetailTable, row: tuple[Any, ...], formatter: Formatter,
                      labels: Labels) -> list[str]:
    """Format one detail row for display: dates and channel names in the locale."""
    cells = []
    for column, value in zip(table.columns, row, strict=True):
        if value is None:
            cells.append("")
        elif column in DATE_COLUMNS:
            cells.append(formatter.day(value))
        elif column == "channel":
            cells.append(labels.channel(str(value)))
        else:
            cells.append(str(value))
    return cells


def _render(template: str, model: ReportModel, charts: Mapping[str, dict[str, Any]],
            options: RenderOptions, **extra: Any) -> str:
    formatter = options.formatter(model)
    displayed = model if options.show_company_name else _without_company(model)
    context = {
        "m": displayed,
        "fmt": formatter,
        "label": Labels(options.locale),
        "lang": options.locale,
        "title": report_title(model, options),
        "footer": footer_text(model, options),
        "charts": charts,
        "has_targets": any(h.target is not None for h in model.headlines)
        or any(r.target is not None for r in model.reps),
        "timezone": options.timezone,
        "fiscal_start": options.fiscal_year_start_month,
        **extra,
    }
    return environment(options.locale).get_template(template).render(context)


def _image_ref(chart: ChartImage, url: str) -> dict[str, Any]:
    return {"src": url, "alt": chart.alt, "width": chart.width, "height": chart.height}


def _without_company(model: ReportModel) -> ReportModel:
    return replace(model, company_name="")
