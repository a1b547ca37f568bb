"""`sgl report` end to end on an empty warehouse: preview, send once, force, resend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from sgl.cli.app import main
from tests.reports.smtp_inbox import Inbox, free_port


@pytest.fixture
def plain_server() -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def project(project: Path, plain_server, monkeypatch: pytest.MonkeyPatch) -> Path:
    controller, _inbox = plain_server
    (project / "sgl.toml").write_text(f"""
[general]
company_name = "テスト商事株式会社"

[report]
sender = "sgl@example.co.jp"
recipients = ["ceo@example.co.jp"]
smtp_host = "127.0.0.1"
smtp_port = {controller.port}
smtp_tls = "none"
allow_plain_smtp = true
archive_dir = "archive"
""", encoding="utf-8")
    return project


ARGS = ["report", "--month", "2026-04", "--as-of", "2026-05-07"]


def test_preview_prints_paths_and_sends_nothing(project: Path, plain_server, capsys) -> None:
    assert main(ARGS) == 0

    printed = capsys.readouterr().out.split()
    assert any(line.endswith("report.pdf") for line in printed)
    html = next(Path(line) for line in printed if line.endswith("report.html")).read_text()
    assert "2026年4月" in html
    assert plain_server[1].envelopes == []


def test_empty_month_says_so(project: Path, capsys) -> None:
    main([*ARGS, "--lang", "en"])

    html = next(Path(line) for line in capsys.readouterr().out.split()
                if line.endswith("report.html")).read_text()
    assert "No leads were created in April 2026" in html


def test_send_once_then_force(project: Path, plain_server, capsys) -> None:
    assert main([*ARGS, "--send"]) == 0
    assert main([*ARGS, "--send"]) == 1
    assert "--force" in capsys.readouterr().err
    assert main([*ARGS, "--send", "--force", "--to", "coo@example.co.jp"]) == 0

    envelopes = plain_server[1].envelopes
    assert [envelope.rcpt_tos for envelope in envelopes] == [["ceo@example.co.jp"],
                                                             ["coo@example.co.jp"]]


def test_resend_sends_archived_files(project: Path, plain_server) -> None:
    assert main([*ARGS, "--send"]) == 0
    assert main(["report", "resend", "--month", "2026-04"]) == 0

    first, second = plain_server[1].messages()
    assert [part.get_filename() for part in first.iter_attachments()] == \
        [part.get_filename() for part in second.iter_attachments()]
    assert first.get_body(("html",)).get_content() == second.get_body(("html",)).get_content()


def test_bad_month_is_usage_error(project: Path, capsys) -> None:
    assert main(["report", "--month", "2026-13"]) == 2
    assert "YYYY-MM" in capsys.readouterr().err
