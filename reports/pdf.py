"""The A4 PDF of the report, written by WeasyPrint with the packaged IPAexGothic font.

WeasyPrint may fetch only two kinds of URL here: the font file and the charts, which are
embedded as ``data:image/png`` URLs. Anything else a document might name (a URL in a CRM
string is escaped text, but defence in depth costs nothing) is refused, so rendering never
touches the network or other local files.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from reports.fonts import japanese_font_path
from reports.model import ReportModel
from reports.rendering import ChartImage, RenderOptions, render_document_html

logger = logging.getLogger(__name__)

PNG_DATA_PREFIX = "data:image/png;base64,"


class ReportUrlFetcher(URLFetcher):
    """A URL fetcher that serves the report's font and PNG data URLs and rejects the rest."""

    def __init__(self, font_url: str) -> None:
        super().__init__(allowed_protocols=("file", "data"))
        self._font_url = font_url

    def fetch(self, url, headers=None):  # type: ignore[no-untyped-def] # WeasyPrint's signature
        if url != self._font_url and not url.startswith(PNG_DATA_PREFIX):
            raise ValueError(f"URL {url[:80]!r} rejected: the report PDF loads only its font "
                             "and embedded charts")
        return super().fetch(url, headers)


def document_html(model: ReportModel, charts: Mapping[str, ChartImage],
                  options: RenderOptions) -> tuple[str, str]:
    """Render the PDF's HTML; return it with the font URL it refers to."""
    font_url = japanese_font_path().as_uri()
    image_urls = {name: PNG_DATA_PREFIX + base64.b64encode(chart.png).decode("ascii")
                  for name, chart in charts.items()}
    html = render_document_html(model, charts, options, image_urls, font_url)
    return html, font_url


def render_pdf(model: ReportModel, charts: Mapping[str, ChartImage],
               options: RenderOptions) -> bytes:
    """Render the report as PDF bytes."""
    html, font_url = document_html(model, charts, options)
    return html_to_pdf(html, font_url)


def html_to_pdf(html: str, font_url: str) -> bytes:
    font_config = FontConfiguration()
    document = HTML(string=html, url_fetcher=ReportUrlFetcher(font_url))
    pdf = document.write_pdf(font_config=font_config)
    logger.info("report pdf written: %d bytes", len(pdf))
    return pdf
