"""Fixtures of the report tests: a real SMTP server, a warehouse, settings, rendered files."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from reports.email import ReportFiles
from reports.monthly import render_files, render_options
from sandbox.tls import Certificates, generate_certificates
from sgl.settings import Settings
from sgl.warehouse import Warehouse
from tests.reports.golden import golden_model
from tests.reports.smtp_inbox import Inbox, free_port


@pytest.fixture(scope="session")
def certificates() -> Iterator[Certificates]:
    generated = generate_certificates()
    yield generated
    generated.remove()


@pytest.fixture
def client_context(certificates: Certificates) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificates.ca_file))


@pytest.fixture
def smtp_server(certificates: Certificates) -> Iterator[tuple[Controller, Inbox]]:
    """A STARTTLS mail server on 127.0.0.1 with a certificate from a throwaway CA."""
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(certificates.cert_file, certificates.key_file)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(),
                            tls_context=server_context, require_starttls=True)
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def settings(tmp_path: Path, smtp_server: tuple[Controller, Inbox]) -> Settings:
    controller, _inbox = smtp_server
    return Settings.model_validate({
        "general": {"company_name": "サンプル株式会社"},
        "warehouse": {"path": str(tmp_path / "sgl.duckdb")},
        "report": {
            "sender": "sgl@example.co.jp",
            "recipients": ["ceo@example.co.jp", "cfo@example.co.jp"],
            "cc": ["revops@example.co.jp"],
            "reply_to": "revops@example.co.jp",
            "smtp_host": "127.0.0.1",
            "smtp_port": controller.port,
            "archive_dir": str(tmp_path / "reports"),
            "pdf_detail_rows": 10,
        },
    })


@pytest.fixture
def warehouse(settings: Settings) -> Iterator[Warehouse]:
    with Warehouse.open(settings.warehouse_path, write=True, holder="report tests") as opened:
        yield opened


@pytest.fixture(scope="session")
def golden_files() -> ReportFiles:
    """The golden report rendered once in Japanese, its PDF detail capped at 10 rows."""
    capped = Settings.model_validate({"report": {"pdf_detail_rows": 10}})
    return render_files(golden_model(), render_options(capped, "ja"))
