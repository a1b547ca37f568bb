"""The golden PDF: text extracted with pypdfium2, and Japanese glyphs on a rasterized page."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest

from reports.email import ReportFiles
from sgl.i18n import translate
from tests.reports.golden import HOSTILE, SCRIPT


@pytest.fixture(scope="module")
def document(golden_files: ReportFiles) -> pdfium.PdfDocument:
    return pdfium.PdfDocument(golden_files.pdf)


@pytest.fixture(scope="module")
def text(document: pdfium.PdfDocument) -> str:
    return "\n".join(document[index].get_textpage().get_text_range()
                     for index in range(len(document)))


def test_pdf_is_a4(document: pdfium.PdfDocument) -> None:
    width, height = document[0].get_size()

    assert (round(width), round(height)) == (595, 842)  # A4 in points


@pytest.mark.parametrize("value", ["18", "41.2% (7/17) *", "¥12,345,678", "¥48,500",
                                   "+3", "90.0%", "2026年4月", "2026年5月7日"])
def test_pdf_has_kpi_values(text: str, value: str) -> None:
    assert value in text


@pytest.mark.parametrize("heading", ["Headline KPIs", "SGL vs MQL conversion",
                                     "Best SGL actions this month",
                                     "Learnings from lost SGLs", "Definitions"])
def test_pdf_has_headings_in_report_language(text: str, heading: str) -> None:
    assert translate(heading, "ja") in text


def test_footer_and_page_numbers(document: pdfium.PdfDocument, text: str) -> None:
    pages = len(document)

    assert pages > 1
    assert f"1 / {pages}" in text
    assert f"{pages} / {pages}" in text
    assert text.count("サンプル株式会社 · 2026年4月") == pages


def test_detail_capped_with_note(text: str) -> None:
    note = translate("The first {shown} of {total} rows; the attached CSV has all of them.",
                     "ja").format(shown=10, total=30)
    assert note in text.replace("\r\n", "")
    assert "00Q5g0000000000009" in text
    assert "00Q5g0000000000010" not in text


def test_detail_header_repeats_on_every_page(document: pdfium.PdfDocument) -> None:
    header = translate("Record id", "ja")
    last_pages = [document[index].get_textpage().get_text_range()
                  for index in range(len(document))]
    with_detail = [page for page in last_pages if "00Q5g" in page]

    assert with_detail
    assert all(header in page for page in with_detail)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_crm_strings_literal_in_pdf(text: str, hostile: str) -> None:
    assert hostile in text.replace("\r", "").replace("\n", " ") or hostile in text


def test_template_syntax_not_evaluated_in_pdf(text: str) -> None:
    assert "{{ 7*7 }}" in text
    assert SCRIPT in text
    assert "49" not in text


def test_japanese_glyphs_rendered(document: pdfium.PdfDocument) -> None:
    """Pixels under the Japanese company name are dark: a missing font would leave boxes
    or nothing, and a wrong font would not map these characters at all."""
    page = document[0]
    textpage = page.get_textpage()
    searcher = textpage.search("サンプル株式会社")
    found = searcher.get_next()
    assert found is not None
    index, count = found
    boxes = [textpage.get_charbox(index + offset) for offset in range(count)]
    scale = 2
    image = page.render(scale=scale, grayscale=True).to_pil().convert("L")
    height = image.height

    for left, bottom, right, top in boxes:
        crop = image.crop((int(left * scale), int(height - top * scale),
                           int(right * scale) + 1, int(height - bottom * scale) + 1))
        dark = sum(crop.histogram()[:128])
        assert dark >= 4, f"no glyph drawn at {left:.0f},{bottom:.0f}"
