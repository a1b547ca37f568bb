"""Sending reports once: intent logged before the mail server is contacted, result after.

A period and language count as sent when a log row has ``send_result`` "sent" or "resent",
and as possibly sent when a row has an intent but no result (the process stopped while
sending). Either way a new send needs ``force``. A failed send ("failed: …") may be retried.
``resend`` sends an archived report's files unchanged and needs no ``force``: asking for a
resend is the decision to send again.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from pydantic import SecretStr

from reports.archive import ArchivedReport, read_archive
from reports.email import Envelope, build_message, parse_addresses
from reports.errors import AlreadySentError, NotRenderedError, ReportError, SendError
from reports.monthly import SENT_RESULTS, RenderedReport
from reports.smtp import connect
from sgl.i18n import _
from sgl.settings import ReportSettings
from sgl.warehouse import Warehouse

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendOutcome:
    period: str
    locale: str
    rendered_at: datetime
    recipients: tuple[str, ...]
    message_id: str


def envelope_from_settings(report: ReportSettings, recipients: list[str] | None = None
                           ) -> Envelope:
    """Build the envelope from [report]; ``recipients`` (--to) replaces the configured list."""
    to = recipients or report.recipients
    if not to:
        raise ReportError(_("No recipients: set [report] recipients or pass --to."))
    if not report.sender:
        raise ReportError(_("No sender: set [report] sender, e.g. sgl@example.co.jp."))
    try:
        return Envelope(sender=parse_addresses([report.sender])[0],
                        recipients=parse_addresses(to),
                        cc=parse_addresses(report.cc) if not recipients else (),
                        reply_to=report.reply_to)
    except ValueError as error:
        raise ReportError(_("Invalid email address: {detail}").format(detail=error)) from None


def check_not_sent(log: pl.DataFrame, period: str, locale: str) -> None:
    """Raise AlreadySentError when the period was sent or may have been."""
    if not log.height:
        return
    sent = log.filter(pl.col("send_result").is_in(SENT_RESULTS))
    if sent.height:
        sent_at = sent["sent_at"].max()
        raise AlreadySentError(
            _("The {locale} report for {period} was already sent at {sent_at}. Pass --force "
              "to send it again, or use `sgl report resend`.").format(
                locale=locale, period=period, sent_at=_timestamp(sent_at)))
    unknown = log.filter(pl.col("send_intent_at").is_not_null()
                         & pl.col("send_result").is_null())
    if unknown.height:
        raise AlreadySentError(
            _("A send of the {locale} report for {period} started at {started_at} and never "
              "recorded its result, so it may have been delivered. Check the mailbox, then "
              "pass --force to send it.").format(
                locale=locale, period=period,
                started_at=_timestamp(unknown["send_intent_at"].max())))


def send_rendered(warehouse: Warehouse, rendered: RenderedReport, report: ReportSettings,
                  envelope: Envelope, password: SecretStr | None, *, force: bool = False,
                  context: ssl.SSLContext | None = None) -> SendOutcome:
    """Send a report just rendered, once per period and language unless ``force``."""
    if not force:
        earlier = warehouse.report_log(rendered.period, rendered.locale).filter(
            pl.col("rendered_at") != rendered.rendered_at)
        check_not_sent(earlier, rendered.period, rendered.locale)
    return _send(warehouse, rendered.archived, rendered.period, rendered.locale,
                 rendered.rendered_at, report, envelope, password, "sent", context)


def resend(warehouse: Warehouse, period: str, locale: str, report: ReportSettings,
           envelope: Envelope, password: SecretStr | None,
           context: ssl.SSLContext | None = None) -> SendOutcome:
    """Send the archived files of the last sent report (else the last render) unchanged."""
    log = warehouse.report_log(period, locale)
    if not log.height:
        raise NotRenderedError(
            _("No {locale} report for {period} has been rendered. Run `sgl report --month "
              "{period}` first.").format(locale=locale, period=period))
    sent = log.filter(pl.col("send_result").is_in(SENT_RESULTS))
    row = (sent if sent.height else log).sort("rendered_at").row(-1, named=True)
    archived = read_archive(Path(row["archive_dir"]))
    return _send(warehouse, archived, period, locale, row["rendered_at"], report, envelope,
                 password, "resent", context)


def _send(warehouse: Warehouse, archived: ArchivedReport, period: str, locale: str,
          rendered_at: datetime, report: ReportSettings, envelope: Envelope,
          password: SecretStr | None, success: str,
          context: ssl.SSLContext | None) -> SendOutcome:
    message = build_message(archived.files, envelope)
    warehouse.record_report_send_intent(period, locale, rendered_at, datetime.now(UTC))
    logger.info("sending report %s %s to %d recipients", period, locale,
                len(envelope.all_recipients))
    try:
        client = connect(report, password, context=context)
    except Exception as error:
        warehouse.record_report_send_result(period, locale, rendered_at,
                                            f"failed: {type(error).__name__}", None)
        raise
    try:
        refused = client.send_message(message, from_addr=envelope.sender,
                                      to_addrs=envelope.all_recipients)
    except (OSError, smtplib.SMTPException) as error:
        warehouse.record_report_send_result(period, locale, rendered_at,
                                            f"failed: {type(error).__name__}", None)
        logger.warning("report %s %s not sent: %s", period, locale, type(error).__name__)
        raise SendError(_("The mail server did not accept the report ({reason}). Nothing was "
                          "sent; try again later.").format(reason=type(error).__name__)
                        ) from None
    finally:
        _quit(client)

    if refused:
        # The server took the message for the other recipients, so the report counts as sent.
        logger.warning("report %s %s: the mail server rejected %d recipients", period, locale,
                       len(refused))
    warehouse.record_report_send_result(period, locale, rendered_at, success, datetime.now(UTC))
    logger.info("report %s %s %s", period, locale, success)
    return SendOutcome(period, locale, rendered_at, tuple(envelope.all_recipients),
                       str(message["Message-ID"]))


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        # The message is already accepted or refused; a failed goodbye changes nothing.
        logger.debug("smtp quit failed", exc_info=True)


def _timestamp(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value is not None else "?"
