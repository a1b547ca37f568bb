"""The report email over a real SMTP server: structure, Japanese headers, images, attachments."""

from __future__ import annotations

import dataclasses
import re
from email.message import EmailMessage

import pytest

from reports.delivery import envelope_from_settings
from reports.email import Envelope, ReportFiles, build_message
from reports.smtp import connect
from sgl.settings import Settings
from tests.reports.golden import HOSTILE

JAPANESE_PDF = "SGLレポート_2026年4月.pdf"
JAPANESE_CSV = "SGL明細_2026年4月.csv"


@pytest.fixture
def received(golden_files: ReportFiles, settings: Settings, smtp_server, client_context
             ) -> EmailMessage:
    """Send the golden report with Japanese file names and return what the server got."""
    _controller, inbox = smtp_server
    files = dataclasses.replace(golden_files, pdf_name=JAPANESE_PDF, csv_name=JAPANESE_CSV)
    envelope = envelope_from_settings(settings.report)
    client = connect(settings.report, None, context=client_context)
    try:
        client.send_message(build_message(files, envelope), to_addrs=envelope.all_recipients)
    finally:
        client.quit()
    [message] = inbox.messages()
    return message


def test_subject_is_japanese(received: EmailMessage) -> None:
    assert "2026年4月" in received["Subject"]
    assert "サンプル株式会社" in received["Subject"]


def test_subject_encoded_rfc2047(smtp_server, received: EmailMessage) -> None:
    raw = smtp_server[1].envelopes[0].original_content
    subject_line = re.search(rb"^Subject: (.*?)\r\n(?! )", raw, re.M | re.S).group(1)
    assert subject_line.isascii()
    assert b"=?utf-8?" in subject_line.lower()


def test_recipients_cc_reply_to(received: EmailMessage, smtp_server) -> None:
    envelope = smtp_server[1].envelopes[0]

    assert received["To"] == "ceo@example.co.jp, cfo@example.co.jp"
    assert received["Cc"] == "revops@example.co.jp"
    assert received["Reply-To"] == "revops@example.co.jp"
    assert sorted(envelope.rcpt_tos) == ["ceo@example.co.jp", "cfo@example.co.jp",
                                         "revops@example.co.jp"]


def test_mime_structure(received: EmailMessage) -> None:
    structure = [part.get_content_type() for part in received.walk()]

    assert structure == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
        "image/png", "image/png", "image/png",
        "application/pdf",
        "text/csv",
    ]


def test_text_parts_are_utf8(received: EmailMessage) -> None:
    for part in received.walk():
        if part.get_content_maintype() == "text":
            assert part.get_content_charset() == "utf-8"


def test_inline_images_referenced_from_html(received: EmailMessage) -> None:
    html = received.get_body(("html",)).get_content()
    images = [part for part in received.walk() if part.get_content_type() == "image/png"]

    for image in images:
        content_id = image["Content-ID"].strip("<>")
        assert image.get_content_disposition() == "inline"
        assert f'src="cid:{content_id}"' in html
        assert image.get_content().startswith(b"\x89PNG")
    assert len(re.findall(r'<img [^>]*alt="[^"]+"', html)) == len(images)


def test_attachments_have_japanese_names(received: EmailMessage) -> None:
    attachments = list(received.iter_attachments())

    assert [part.get_filename() for part in attachments] == [JAPANESE_PDF, JAPANESE_CSV]
    assert attachments[0].get_content_type() == "application/pdf"
    assert attachments[0].get_content().startswith(b"%PDF-")
    assert attachments[1].get_payload(decode=True).startswith(b"\xef\xbb\xbf")


def test_file_names_encoded_rfc2231(smtp_server, received: EmailMessage) -> None:
    raw = smtp_server[1].envelopes[0].original_content.decode("ascii")
    unfolded = re.sub(r"\r\n[ \t]+", " ", raw)

    # Long names are split into RFC 2231 continuations (filename*0*, filename*1*, ...).
    assert re.search(r"filename\*(0\*)?=utf-8''SGL%E3%83%AC%E3%83%9D%E3%83%BC%E3%83%88", unfolded)
    assert re.search(r"filename\*(0\*)?=utf-8''SGL%E6%98%8E%E7%B4%B0", unfolded)


def test_html_part_under_100_kb(received: EmailMessage) -> None:
    html = received.get_body(("html",)).get_payload(decode=True)

    assert len(html) < 100 * 1024


def test_html_has_no_script_or_svg(received: EmailMessage) -> None:
    html = received.get_body(("html",)).get_content()

    assert "<script" not in html
    assert "<svg" not in html
    assert "<style" not in html


@pytest.mark.parametrize("hostile", HOSTILE)
def test_crm_strings_literal_in_html(received: EmailMessage, hostile: str) -> None:
    html = received.get_body(("html",)).get_content()
    escaped = (hostile.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
               .replace('"', "&#34;"))

    assert escaped in html


def test_template_syntax_not_evaluated(received: EmailMessage) -> None:
    html = received.get_body(("html",)).get_content()

    assert "{{ 7*7 }}" in html
    assert "49" not in html


def test_envelope_rejects_bad_address(settings: Settings) -> None:
    report = settings.report.model_copy(update={"recipients": ["not an address"]})

    with pytest.raises(Exception, match="not an address"):
        envelope_from_settings(report)


def test_to_flag_replaces_recipients_and_cc(settings: Settings) -> None:
    envelope = envelope_from_settings(settings.report, ["coo@example.co.jp"])

    assert envelope == Envelope(sender="sgl@example.co.jp", recipients=("coo@example.co.jp",),
                                cc=(), reply_to="revops@example.co.jp")
