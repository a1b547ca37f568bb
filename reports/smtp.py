"""SMTP connections for sending reports and alerts: STARTTLS or SSL, plain only on localhost."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping

from pydantic import SecretStr

from sgl.errors import SglError
from sgl.i18n import _
from sgl.secrets import SMTP_SECRETS, resolve_secrets
from sgl.settings import ReportSettings

logger = logging.getLogger(__name__)

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class SmtpError(SglError):
    """The mail server could not be reached or refused the login."""


def smtp_password(report: ReportSettings, env: Mapping[str, str]) -> SecretStr | None:
    """Return the SMTP password, or None when no user name is configured."""
    if not report.smtp_username:
        return None
    secrets = resolve_secrets("SMTP", SMTP_SECRETS, report.secret_block, env,
                              "report.secret_block")
    return secrets["password"]


def connect(report: ReportSettings, password: SecretStr | None,
            context: ssl.SSLContext | None = None) -> smtplib.SMTP:
    """Open an authenticated SMTP session as configured; the caller must ``quit()`` it."""
    if report.smtp_tls == "none" and not (report.allow_plain_smtp
                                          and report.smtp_host in LOCAL_HOSTS):
        raise SmtpError(_("report.smtp_tls = \"none\" sends mail unencrypted and is allowed only "
                          "for localhost with report.allow_plain_smtp = true."))

    context = context or ssl.create_default_context()
    try:
        if report.smtp_tls == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(report.smtp_host, report.smtp_port,
                                                    timeout=report.timeout_seconds,
                                                    context=context)
        else:
            client = smtplib.SMTP(report.smtp_host, report.smtp_port,
                                  timeout=report.timeout_seconds)
            client.ehlo()
            if report.smtp_tls == "starttls":
                client.starttls(context=context)
                client.ehlo()
        if report.smtp_username and password is not None:
            client.login(report.smtp_username, password.get_secret_value())
    except smtplib.SMTPAuthenticationError:
        raise SmtpError(_("The mail server {host} rejected the login of {user}. Check "
                          "SGL_SMTP_PASSWORD or the Secret block.").format(
                            host=report.smtp_host, user=report.smtp_username)) from None
    except (OSError, smtplib.SMTPException) as error:
        raise SmtpError(_("Cannot connect to the mail server {host}:{port} ({reason}).").format(
            host=report.smtp_host, port=report.smtp_port, reason=type(error).__name__)) from None
    logger.info("smtp connected to %s:%d with %s", report.smtp_host, report.smtp_port,
                report.smtp_tls)
    return client
