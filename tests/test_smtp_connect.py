"""SMTP sessions against a real aiosmtpd server on 127.0.0.1: STARTTLS, SSL, plain, login."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pydantic import SecretStr

from reports.smtp import SmtpError, connect
from sandbox.tls import Certificates, generate_certificates
from sgl.settings import ReportSettings

USER = "sgl@example.co.jp"


def free_port() -> int:
    """Return a free port: aiosmtpd's controller cannot start on port 0."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
PASSWORD = "correct-horse-battery"


class Sink:
    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER \
        and auth_data.password.decode() == PASSWORD
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def certificates() -> Iterator[Certificates]:
    generated = generate_certificates()
    yield generated
    generated.remove()


@pytest.fixture
def client_context(certificates: Certificates) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificates.ca_file))


@pytest.fixture
def starttls_server(certificates: Certificates) -> Iterator[Controller]:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(certificates.cert_file, certificates.key_file)
    controller = Controller(Sink(), hostname="127.0.0.1", port=free_port(),
                            tls_context=server_context, require_starttls=True,
                            authenticator=authenticate, auth_require_tls=True)
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def plain_server() -> Iterator[Controller]:
    controller = Controller(Sink(), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


def settings_for(controller: Controller, **values) -> ReportSettings:
    return ReportSettings(smtp_host="127.0.0.1", smtp_port=controller.port, **values)


def test_starttls_login_succeeds(starttls_server: Controller,
                                 client_context: ssl.SSLContext) -> None:
    client = connect(settings_for(starttls_server, smtp_username=USER), SecretStr(PASSWORD),
                     context=client_context)
    try:
        assert client.noop()[0] == 250
    finally:
        client.quit()


def test_wrong_password_named_without_value(starttls_server: Controller,
                                            client_context: ssl.SSLContext) -> None:
    with pytest.raises(SmtpError) as caught:
        connect(settings_for(starttls_server, smtp_username=USER), SecretStr("wrong-password"),
                context=client_context)

    assert "rejected the login of sgl@example.co.jp" in str(caught.value)
    assert "wrong-password" not in str(caught.value)


def test_untrusted_certificate_fails(starttls_server: Controller) -> None:
    with pytest.raises(SmtpError) as caught:
        connect(settings_for(starttls_server, smtp_username=USER), SecretStr(PASSWORD),
                context=ssl.create_default_context())

    assert "SSLCertVerificationError" in str(caught.value)


def test_plain_smtp_refused_unless_allowed(plain_server: Controller) -> None:
    with pytest.raises(SmtpError) as caught:
        connect(settings_for(plain_server, smtp_tls="none"), None)

    assert "allow_plain_smtp = true" in str(caught.value)


def test_plain_smtp_to_localhost_when_allowed(plain_server: Controller) -> None:
    client = connect(settings_for(plain_server, smtp_tls="none", allow_plain_smtp=True), None)
    try:
        assert client.noop()[0] == 250
    finally:
        client.quit()


def test_plain_smtp_never_to_remote_host() -> None:
    remote = ReportSettings(smtp_host="mail.example.co.jp", smtp_tls="none",
                            allow_plain_smtp=True)

    with pytest.raises(SmtpError):
        connect(remote, None)


def test_closed_port_gives_clear_message() -> None:
    port = free_port()

    with pytest.raises(SmtpError) as caught:
        connect(ReportSettings(smtp_host="127.0.0.1", smtp_port=port), None)

    assert f"Cannot connect to the mail server 127.0.0.1:{port}" in str(caught.value)


@pytest.fixture
def ssl_server(certificates: Certificates) -> Iterator[Controller]:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(certificates.cert_file, certificates.key_file)
    controller = Controller(Sink(), hostname="127.0.0.1", port=free_port(),
                            ssl_context=server_context, authenticator=authenticate,
                            # aiosmtpd only counts STARTTLS as TLS; this transport is TLS already.
                            auth_require_tls=False)
    controller.start()
    yield controller
    controller.stop()


def test_implicit_ssl_login_succeeds(ssl_server: Controller,
                                     client_context: ssl.SSLContext) -> None:
    client = connect(settings_for(ssl_server, smtp_tls="ssl", smtp_username=USER),
                     SecretStr(PASSWORD), context=client_context)
    try:
        assert client.noop()[0] == 250
    finally:
        client.quit()
