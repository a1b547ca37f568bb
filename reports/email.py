"""The report email, built with the standard library's ``email`` package.

Structure::

    multipart/mixed
    ├── multipart/alternative
    │   ├── text/plain                      (UTF-8)
    │   └── multipart/related
    │       ├── text/html                   (UTF-8, refers to the charts as cid: URLs)
    │       └── image/png …                 (Content-ID, disposition inline)
    ├── application/pdf                     (the PDF report)
    └── text/csv                            (the full detail, UTF-8 with BOM)

Bodies are base64-encoded from the exact archived bytes, so a resent message decodes to the
same files byte for byte. The policy encodes a Japanese subject per RFC 2047 and Japanese
attachment names per RFC 2231 (``filename*=utf-8''…``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from reports.rendering import ChartImage

UTF8 = {"charset": "utf-8"}


@dataclass(frozen=True)
class ReportFiles:
    """The bytes of one rendered report that a message carries."""

    subject: str
    text: bytes  # UTF-8
    html: bytes  # UTF-8
    charts: tuple[ChartImage, ...]
    pdf: bytes
    pdf_name: str
    csv: bytes
    csv_name: str


@dataclass(frozen=True)
class Envelope:
    """Who the report goes to; ``recipients`` and ``cc`` are plain addresses."""

    sender: str
    recipients: tuple[str, ...]
    cc: tuple[str, ...] = ()
    reply_to: str | None = None

    @property
    def all_recipients(self) -> list[str]:
        return [*self.recipients, *self.cc]


def build_message(files: ReportFiles, envelope: Envelope,
                  sent_at: datetime | None = None) -> EmailMessage:
    """Assemble the multipart message of one report."""
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = files.subject
    message["From"] = envelope.sender
    message["To"] = ", ".join(envelope.recipients)
    if envelope.cc:
        message["Cc"] = ", ".join(envelope.cc)
    if envelope.reply_to:
        message["Reply-To"] = envelope.reply_to
    message["Date"] = format_datetime(sent_at or datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=_domain_of(envelope.sender))

    message.set_content(files.text, "text", "plain", cte="base64", params=UTF8)
    message.add_alternative(files.html, "text", "html", cte="base64", params=UTF8)
    html_part = message.get_payload()[1]
    for chart in files.charts:
        html_part.add_related(chart.png, "image", "png", cid=f"<{chart.content_id}>",
                              disposition="inline", filename=f"{chart.name}.png")

    message.add_attachment(files.pdf, "application", "pdf", filename=files.pdf_name)
    message.add_attachment(files.csv, "text", "csv", cte="base64", params=UTF8,
                           filename=files.csv_name)
    return message


def html_part_size(files: ReportFiles) -> int:
    """Return the size of the HTML body in bytes, before transfer encoding."""
    return len(files.html)


def parse_addresses(values: Sequence[str]) -> tuple[str, ...]:
    """Validate addresses such as ``a@example.co.jp``; raise ValueError naming a bad one."""
    checked = []
    for value in values:
        try:
            address = Address(addr_spec=value.strip())
        except (ValueError, IndexError):
            address = None
        if address is None or not address.domain:
            raise ValueError(f"{value!r} is not an email address such as sales@example.co.jp")
        checked.append(address.addr_spec)
    return tuple(checked)


def _domain_of(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip("> ") or "localhost"
