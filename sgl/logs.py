"""Logging set-up and secret redaction.

Code logs ids, never secrets, names, emails or record bodies. As a second line of defence,
every secret that ``sgl.secrets`` resolves is registered here, and each log record is
redacted when it is created (a log record factory), so no handler, including Prefect's
API log handler, ever receives the value.
"""

from __future__ import annotations

import logging
import sys
import threading

from sgl.errors import SglError

REDACTED = "***"

# Shorter values are not treated as secrets: replacing every "a" or "12" would make logs
# unreadable, and such values are not credentials anyway.
MIN_SECRET_LENGTH = 6

_secrets: set[str] = set()
_lock = threading.Lock()
_base_factory = logging.getLogRecordFactory()
# Set for command-line runs: Prefect logs a failed task with its traceback, which for an
# error the user must act on (SglError) only hides the message among Python frames.
_hide_user_error_tracebacks = False
_traceback_formatter = logging.Formatter()


def register_secret(value: str) -> None:
    """Redact ``value`` from every log record created from now on."""
    if len(value) < MIN_SECRET_LENGTH:
        return
    with _lock:
        _secrets.add(value)
        # A PEM key is also hidden line by line, in case a message quotes part of it.
        for line in value.splitlines():
            if len(line) >= MIN_SECRET_LENGTH * 4:
                _secrets.add(line)
    _install_factory()


def redact(text: str) -> str:
    """Replace every registered secret in ``text``."""
    if not _secrets:
        return text
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def _redacting_factory(*args, **kwargs) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    if _hide_user_error_tracebacks and record.exc_info and isinstance(record.exc_info[1],
                                                                      SglError):
        # The message already names what failed and what to do, and the CLI prints it once.
        record.exc_info = None
    if _secrets:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set, so the traceback is redacted once here
            # for every handler.
            record.exc_text = redact(_traceback_formatter.formatException(record.exc_info))
    return record


def _install_factory() -> None:
    # Installed whenever a secret is registered or the CLI configures logging.
    if logging.getLogRecordFactory() is not _redacting_factory:
        logging.setLogRecordFactory(_redacting_factory)


class RedactingFormatter(logging.Formatter):
    """A formatter that also redacts tracebacks, which are formatted after the record exists."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_cli_logging(verbosity: int) -> None:
    """Send log lines to stderr: warnings by default, INFO with -v, DEBUG with -vv.

    Below -vv, tracebacks of errors the user must act on (SglError) are left out.
    """
    global _hide_user_error_tracebacks
    _hide_user_error_tracebacks = verbosity < 2
    _install_factory()
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_sgl_cli", False):
            root.removeHandler(existing)
    handler._sgl_cli = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
