"""Send once, resend byte-identical, restated marking, and the report log around them."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pytest

from reports.delivery import envelope_from_settings, resend, send_rendered
from reports.errors import AlreadySentError, NotRenderedError, SendError
from reports.model import Figure, Headline
from reports.monthly import render_and_archive
from reports.smtp import SmtpError
from sgl.settings import Settings
from sgl.warehouse import Warehouse
from tests.reports.golden import small_model


def send(warehouse, settings, rendered, context, force=False):
    return send_rendered(warehouse, rendered, settings.report,
                         envelope_from_settings(settings.report), None, force=force,
                         context=context)


def parts(message: EmailMessage) -> dict[str, bytes]:
    """Decoded leaf parts by content type and file name."""
    found = {}
    for part in message.walk():
        if part.is_multipart():
            continue
        key = f"{part.get_content_type()}:{part.get_filename() or part['Content-ID'] or ''}"
        found[key] = part.get_payload(decode=True)
    return found


@pytest.fixture
def rendered(warehouse: Warehouse, settings: Settings):
    return render_and_archive(warehouse, small_model(), settings, "ja",
                              rendered_at=datetime(2026, 5, 7, 0, 30, tzinfo=UTC))


def test_render_logged_before_sending(warehouse: Warehouse, rendered) -> None:
    [row] = warehouse.report_log("2026-04", "ja").to_dicts()

    assert row["send_intent_at"] is None
    assert row["send_result"] is None
    assert row["checksum"] == rendered.archived.checksum
    assert "report.pdf" in json.loads(row["files"])
    assert Path(row["archive_dir"]).name == "20260507T003000000000Z"


def test_send_records_intent_and_result(warehouse, settings, rendered, client_context,
                                        smtp_server) -> None:
    send(warehouse, settings, rendered, client_context)

    [row] = warehouse.report_log("2026-04", "ja").to_dicts()
    assert row["send_intent_at"] is not None
    assert row["sent_at"] >= row["send_intent_at"]
    assert row["send_result"] == "sent"
    assert len(smtp_server[1].envelopes) == 1


def test_second_send_refused(warehouse, settings, rendered, client_context,
                             smtp_server) -> None:
    send(warehouse, settings, rendered, client_context)
    again = render_and_archive(warehouse, small_model(), settings, "ja")

    with pytest.raises(AlreadySentError, match="--force"):
        send(warehouse, settings, again, client_context)
    assert len(smtp_server[1].envelopes) == 1


def test_force_sends_again(warehouse, settings, rendered, client_context,
                           smtp_server) -> None:
    send(warehouse, settings, rendered, client_context)
    again = render_and_archive(warehouse, small_model(), settings, "ja")

    send(warehouse, settings, again, client_context, force=True)

    assert len(smtp_server[1].envelopes) == 2


def test_other_locale_sent_separately(warehouse, settings, rendered, client_context,
                                      smtp_server) -> None:
    send(warehouse, settings, rendered, client_context)
    english = render_and_archive(warehouse, small_model(), settings, "en")

    send(warehouse, settings, english, client_context)

    assert len(smtp_server[1].envelopes) == 2


def test_unknown_outcome_blocks_send(warehouse, settings, rendered, client_context) -> None:
    # An intent without a result: the process stopped while talking to the mail server.
    warehouse.record_report_send_intent("2026-04", "ja", rendered.rendered_at,
                                        datetime.now(UTC))
    again = render_and_archive(warehouse, small_model(), settings, "ja")

    with pytest.raises(AlreadySentError, match="may have been delivered"):
        send(warehouse, settings, again, client_context)


def test_failed_send_logged_and_retryable(warehouse, settings, rendered, client_context,
                                          smtp_server) -> None:
    closed = settings.model_copy(deep=True)
    closed.report.smtp_port = 1  # nothing listens there

    with pytest.raises(SmtpError):
        send(warehouse, closed, rendered, client_context)
    [row] = warehouse.report_log("2026-04", "ja").to_dicts()
    assert row["send_intent_at"] is not None
    assert row["send_result"] == "failed: SmtpError"

    send(warehouse, settings, rendered, client_context)
    assert warehouse.report_log("2026-04", "ja")["send_result"].to_list() == ["sent"]


def test_rejected_message_raises_send_error(warehouse, settings, rendered, client_context,
                                            smtp_server) -> None:
    wrong = settings.model_copy(deep=True)
    wrong.report.recipients = ["ceo@example.co.jp"]
    wrong.report.sender = "sgl@example.co.jp"
    controller, inbox = smtp_server

    async def refuse(server, session, envelope):
        return "554 Transaction failed"

    inbox.handle_DATA = refuse
    with pytest.raises(SendError, match="did not accept"):
        send(warehouse, wrong, rendered, client_context)
    assert warehouse.report_log("2026-04", "ja")["send_result"].to_list() == [
        "failed: SMTPDataError"]


def test_resend_is_byte_identical(warehouse, settings, rendered, client_context,
                                  smtp_server) -> None:
    send(warehouse, settings, rendered, client_context)

    resend(warehouse, "2026-04", "ja", settings.report,
           envelope_from_settings(settings.report), None, context=client_context)

    first, second = smtp_server[1].messages()
    assert parts(first) == parts(second)
    folder = rendered.archived.folder
    assert parts(second)["application/pdf:" + rendered.archived.files.pdf_name] == \
        (folder / "report.pdf").read_bytes()
    assert second.get_body(("html",)).get_payload(decode=True) == \
        (folder / "report.html").read_bytes()
    assert first["Message-ID"] != second["Message-ID"]
    assert warehouse.report_log("2026-04", "ja")["send_result"].to_list() == ["resent"]


def test_resend_detects_changed_archive(warehouse, settings, rendered, client_context) -> None:
    (rendered.archived.folder / "report.pdf").write_bytes(b"%PDF-tampered")

    with pytest.raises(Exception, match="SHA-256"):
        resend(warehouse, "2026-04", "ja", settings.report,
               envelope_from_settings(settings.report), None, context=client_context)


def test_resend_without_render_fails(warehouse, settings, client_context) -> None:
    with pytest.raises(NotRenderedError, match="sgl report --month 2026-03"):
        resend(warehouse, "2026-03", "ja", settings.report,
               envelope_from_settings(settings.report), None, context=client_context)


def changed_figures():
    model = small_model()
    first = model.headlines[0]
    return dataclasses.replace(model, headlines=(
        dataclasses.replace(first, current=Figure.of(19)), *model.headlines[1:]))


def test_rerender_after_send_with_new_figures_restated(warehouse, settings, rendered,
                                                       client_context) -> None:
    send(warehouse, settings, rendered, client_context)

    again = render_and_archive(warehouse, changed_figures(), settings, "en")
    restated = render_and_archive(warehouse, changed_figures(), settings, "ja")

    assert not again.restated  # English was never sent
    assert restated.restated
    html = restated.archived.files.html.decode("utf-8")
    assert "Restated" in html or "修正" in html
    assert warehouse.report_log("2026-04", "ja")["is_restated"].to_list() == [False, True]


def test_rerender_same_figures_not_restated(warehouse, settings, rendered,
                                            client_context) -> None:
    send(warehouse, settings, rendered, client_context)

    again = render_and_archive(warehouse, small_model(), settings, "ja")

    assert not again.restated


def test_unsent_report_never_restated(warehouse, settings, rendered) -> None:
    again = render_and_archive(warehouse, changed_figures(), settings, "ja")

    assert not again.restated


def test_headline_change_uses_unrounded_figures() -> None:
    headline = Headline("sgl_sql_rate", "rate", Figure.ratio(7, 17), Figure.ratio(6, 15))

    assert headline.month_change == Decimal(7) / 17 - Decimal(6) / 15
