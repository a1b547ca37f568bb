"""HubSpot failures, translated from hubspot-api-client's exceptions and named for the caller.

    RetriableError (connectors.errors)
    ├── RateLimited           429 of a burst policy: wait Retry-After, then repeat
    └── ServerFailed          5xx or a dropped connection: back off, then repeat
    AuthenticationError (connectors.errors)
    └── TokenExpired          401 EXPIRED_AUTHENTICATION: sign in again once, then repeat
    ConnectorError (connectors.errors)
    └── RequestRejected       400, 403, 404, 414, TLS failures: fix the settings or the request
    StopRun (connectors.retry)
    └── DailyLimitReached     429 of the DAILY policy: the run stops; resume after the reset

The generated client puts the whole response body into ``str(ApiException)``, so its
exceptions never reach a log line or a message: :func:`translate` keeps the body on the
``body`` attribute (truncated) and builds the message from status, category and ids only.
"""

from __future__ import annotations

import json
from typing import Any

import urllib3

from connectors.errors import AuthenticationError, ConnectorError, RetriableError
from connectors.retry import Failure, StopRun, retry_after_seconds
from sgl.i18n import _

SOURCE = "HubSpot"


class RateLimited(RetriableError):
    """HubSpot rejected a call under a burst rate limit (HTTP 429)."""

    def __init__(self, message: str, *, policy: str, retry_after: float | None) -> None:
        super().__init__(message)
        self.policy = policy
        self.retry_after = retry_after


class ServerFailed(RetriableError):
    """HubSpot returned 5xx, or the connection failed before a response arrived."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class TokenExpired(AuthenticationError):
    """HubSpot reported the access token as expired (401 EXPIRED_AUTHENTICATION)."""


class RequestRejected(ConnectorError):
    """HubSpot rejected a request in a way that repeating it will not change."""


class DailyLimitReached(StopRun):
    """The portal used its daily API allowance; the next run resumes from the saved pages."""


def translate(error: BaseException, operation: str) -> BaseException | None:
    """Return the exception of this module for a client or urllib3 error; None if unknown.

    ``operation`` names the call in messages, such as ``search contacts``.
    """
    status = getattr(error, "status", None)
    if status is not None and hasattr(error, "body") and hasattr(error, "reason"):
        return _from_api_exception(error, int(status), operation)
    if isinstance(error, urllib3.exceptions.SSLError) or (
            isinstance(error, urllib3.exceptions.MaxRetryError)
            and isinstance(error.reason, urllib3.exceptions.SSLError)):
        return RequestRejected(_("{source}: TLS verification failed on {operation}. Set "
                                 "sources.hubspot.ca_bundle when a proxy inspects TLS.")
                               .format(source=SOURCE, operation=operation), code="TLS")
    if isinstance(error, urllib3.exceptions.HTTPError | ConnectionError | TimeoutError):
        reason = type(getattr(error, "reason", None) or error).__name__
        return ServerFailed(_("{source}: {operation} failed: {reason}.").format(
            source=SOURCE, operation=operation, reason=reason), reason=reason)
    return None


def classify(error: BaseException) -> Failure | None:
    """Tell connectors.retry how to handle an exception of this module."""
    if isinstance(error, RateLimited):
        return Failure("retry", f"HTTP 429 {error.policy}", error.retry_after)
    if isinstance(error, ServerFailed):
        return Failure("retry", error.reason)
    if isinstance(error, TokenExpired):
        return Failure("reauthenticate", "HTTP 401 EXPIRED_AUTHENTICATION")
    if isinstance(error, RequestRejected | DailyLimitReached | AuthenticationError):
        return Failure("raise", type(error).__name__)
    return None


def _from_api_exception(error: Any, status: int, operation: str) -> BaseException:
    raw = error.body.decode("utf-8", "replace") if isinstance(error.body, bytes) else error.body
    body = _json(raw)
    category = str(body.get("category") or body.get("errorType") or "")
    headers = error.headers or {}

    if status == 0:
        # The client reports TLS failures as status 0 with the error text as reason.
        return RequestRejected(_("{source}: TLS verification failed on {operation}. Set "
                                 "sources.hubspot.ca_bundle when a proxy inspects TLS.")
                               .format(source=SOURCE, operation=operation), code="TLS")
    if status == 429:
        policy = str(body.get("policyName") or "UNKNOWN")
        if policy == "DAILY":
            return DailyLimitReached(
                _("{source}: the portal has used its daily API allowance ({operation}). The "
                  "pull resumes from its last saved page after the daily reset.")
                .format(source=SOURCE, operation=operation))
        return RateLimited(_("{source}: rate limited on {operation} ({policy}).").format(
            source=SOURCE, operation=operation, policy=policy), policy=policy,
            retry_after=retry_after_seconds(headers.get("Retry-After")))
    if status >= 500:
        return ServerFailed(_("{source}: {operation} failed with HTTP {status}.").format(
            source=SOURCE, operation=operation, status=status), reason=f"HTTP {status}")
    if status == 401 and category == "EXPIRED_AUTHENTICATION":
        return TokenExpired(_("{source}: the access token expired during {operation}.")
                            .format(source=SOURCE, operation=operation),
                            code=category, status=status, body=raw)
    if status == 401:
        return AuthenticationError(
            _("{source}: the access token was rejected (HTTP 401 {code}) on {operation}. Check "
              "SGL_HUBSPOT_ACCESS_TOKEN or the Secret block in sources.hubspot.secret_block.")
            .format(source=SOURCE, code=category or "-", operation=operation),
            code=category, status=status, body=raw)
    if status == 403:
        return RequestRejected(
            _("{source}: the private app lacks a scope for {operation} (HTTP 403 {code}). Add "
              "the CRM read scopes of this object to the app.")
            .format(source=SOURCE, operation=operation, code=category or "-"),
            code=category, status=status, body=raw)
    return RequestRejected(
        _("{source}: {operation} was rejected with HTTP {status} {code}. The response body "
          "is kept on the error for debugging.").format(
            source=SOURCE, operation=operation, status=status, code=category or "-"),
        code=category, status=status, body=raw)


def _json(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
