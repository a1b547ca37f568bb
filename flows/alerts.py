"""Email alerts to ops: a failed or late nightly sync.

Alerts go to ``[alerts] ops_address`` through the ``[report]`` SMTP settings. They name the
flow, the run and what failed (source, object, page and the error's class or message), never
record contents. Without an ops address an alert is only logged.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import make_msgid

from reports.smtp import connect, smtp_password
from sgl.settings import Settings

logger = logging.getLogger(__name__)


def send_ops_alert(settings: Settings, subject: str, lines: Sequence[str],
                   env: Mapping[str, str] | None = None) -> bool:
    """Email ``lines`` to the ops address; return False when none is configured.

    Raises :class:`reports.smtp.SmtpError` when the mail server cannot be reached, so that a
    caller can log it next to the failure it reports.
    """
    address = settings.alerts.ops_address
    if not address:
        logger.warning("alert not emailed, [alerts] ops_address is unset: %s", subject)
        return False
    report = settings.report
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = report.sender or address
    message["To"] = address
    message["Message-ID"] = make_msgid(domain=address.rpartition("@")[2] or None)
    message.set_content("\n".join(lines) + "\n")

    password = smtp_password(report, os.environ if env is None else env)
    client = connect(report, password)
    try:
        client.send_message(message)
    finally:
        client.quit()
    logger.info("alert emailed to the ops address: %s", subject)
    return True
