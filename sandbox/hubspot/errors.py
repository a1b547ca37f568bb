"""HubSpot's error bodies, and the exception that carries one out of a request handler.

Every error body has ``status: "error"``, a ``message``, a ``correlationId`` (a UUID that
HubSpot also sends as the ``X-HubSpot-Correlation-Id`` header) and usually a ``category``
such as ``VALIDATION_ERROR``, ``OBJECT_NOT_FOUND`` or ``INVALID_AUTHENTICATION``. Rate-limit
rejections differ: they carry ``errorType: RATE_LIMIT`` and a ``policyName``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sandbox.http import Response

AUTH_NOT_FOUND_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and "
    "you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)


class HubSpotError(Exception):
    """A request that HubSpot would reject; ``response()`` builds the body it sends."""

    def __init__(self, status: int, category: str, message: str, *,
                 context: dict[str, list[str]] | None = None, sub_category: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.category = category
        self.message = message
        self.context = context
        self.sub_category = sub_category

    def response(self) -> Response:
        body = error_body(self.category, self.message, context=self.context,
                          sub_category=self.sub_category)
        return json_response(self.status, body)


def error_body(category: str, message: str, *, context: dict[str, list[str]] | None = None,
               sub_category: str = "") -> dict[str, Any]:
    """Return a HubSpot error body; ``context`` maps names to lists of values."""
    body: dict[str, Any] = {"status": "error", "message": message,
                            "correlationId": str(uuid.uuid4())}
    if context:
        body["context"] = context
    body["category"] = category
    if sub_category:
        body["subCategory"] = sub_category
    return body


def item_error(category: str, message: str, context: dict[str, list[str]],
               sub_category: str = "") -> dict[str, Any]:
    """Return one entry of a batch response's ``errors`` list (no correlationId there)."""
    entry: dict[str, Any] = {"status": "error", "category": category}
    if sub_category:
        entry["subCategory"] = sub_category
    entry["message"] = message
    entry["context"] = context
    return entry


def json_response(status: int, body: Any, headers: dict[str, str] | None = None,
                  records: int = 0) -> Response:
    """Serialize a body with the correlation-id header HubSpot sends on every response."""
    correlation_id = body.get("correlationId") if isinstance(body, dict) else None
    all_headers = {"X-HubSpot-Correlation-Id": correlation_id or str(uuid.uuid4())}
    all_headers.update(headers or {})
    return Response.json(status, body, headers=all_headers, records=records)


def validation_error(message: str, **extra: Any) -> HubSpotError:
    return HubSpotError(400, "VALIDATION_ERROR", message, **extra)


def invalid_authentication() -> Response:
    """Return the 401 that HubSpot sends for a missing, malformed or unknown token."""
    return HubSpotError(401, "INVALID_AUTHENTICATION", AUTH_NOT_FOUND_MESSAGE).response()


def expired_authentication(expired_at: datetime) -> Response:
    """Return the 401 that HubSpot sends for an expired OAuth access token."""
    seconds = max(0, int((datetime.now(UTC) - expired_at).total_seconds()))
    message = f"The OAuth token used to make this call expired {seconds} second(s) ago."
    stamp = expired_at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    body = error_body("EXPIRED_AUTHENTICATION", message, context={"expire time": [stamp]})
    return json_response(401, body)


# HubSpot's policy names for the rate limits that the fault plan's scopes stand for.
_POLICIES = {
    "burst": ("TEN_SECONDLY_ROLLING", "ten_secondly_rolling"),
    "daily": ("DAILY", "daily"),
}


def rate_limited(scope: str, retry_after: int) -> Response:
    """Return the 429 of an exhausted rate limit; ``scope`` is ``burst`` or ``daily``."""
    if scope not in _POLICIES:
        raise ValueError(f"Rate-limit scope {scope!r} is invalid: use 'burst' or 'daily'.")
    policy, policy_text = _POLICIES[scope]
    body = {
        "status": "error",
        "message": f"You have reached your {policy_text} limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": str(uuid.uuid4()),
        "policyName": policy,
        "groupName": f"publicapi:private-app-api-calls-{policy_text.replace('_', '-')}:1",
    }
    headers = {"Retry-After": str(retry_after)}
    if scope == "burst":
        headers.update({"X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
                        "X-HubSpot-RateLimit-Max": "100",
                        "X-HubSpot-RateLimit-Remaining": "0"})
    return json_response(429, body, headers=headers)


def server_error(status: int) -> Response:
    """Return a 5xx response.

    NOTE: HubSpot's 502/503/504 bodies are not documented, so the sandbox sends the JSON
    error shape for every 5xx status, with a message that names the status.
    """
    messages = {500: "internal error", 502: "Bad Gateway", 503: "Service Unavailable",
                504: "Gateway Timeout"}
    body = error_body("INTERNAL_ERROR", messages.get(status, "internal error"))
    return json_response(status, body)
