"""Exceptions of the report package, named for what the caller should do.

    SglError (sgl.errors)        the user must act; the CLI prints it and exits with 1
    └── ReportError
        ├── AlreadySentError     the period was sent (or may have been): pass --force to resend
        ├── NotRenderedError     nothing archived for the period: render it first
        ├── ArchiveError         an archived file is missing or changed: render again
        └── SendError            the mail server refused or dropped the message: retry later
"""

from __future__ import annotations

from sgl.errors import SglError


class ReportError(SglError):
    """The report cannot be rendered, archived or sent as asked."""


class AlreadySentError(ReportError):
    """The report of this period and language was already sent."""


class NotRenderedError(ReportError):
    """No archived report exists for this period and language."""


class ArchiveError(ReportError):
    """An archive folder is missing, incomplete or was changed after it was written."""


class SendError(ReportError):
    """Sending failed; the report log records the failure and a later send may retry."""
