"""Connector exceptions, named for what the caller should do.

    ConnectorError            stop: the user must act (credentials, settings, permissions)
    └── AuthenticationError   the CRM rejected the credentials
    RetriableError            try again later (network failure, 429, 5xx)

A CRM's response body may hold personal data, so it is kept on ``body`` (truncated) and never
put into ``str(error)``, log lines or reports.
"""

from __future__ import annotations

from sgl.errors import SglError

BODY_LIMIT = 2000


class ConnectorError(SglError):
    """A CRM call failed in a way that retrying will not fix."""

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 body: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.body = body[:BODY_LIMIT] if body else None


class AuthenticationError(ConnectorError):
    """The CRM rejected the credentials or the token."""


class RetriableError(SglError):
    """A CRM call failed in a way that may pass on a later attempt."""
