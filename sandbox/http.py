"""Request and response types shared by the sandbox server and the CRM APIs it hosts.

The server (``sandbox.server``) parses each HTTPS request into a :class:`Request`, applies
the fault plan, and hands the request to the first :class:`Api` whose ``handles`` returns
true. APIs never touch sockets, TLS or threads, so they can be tested without a server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    """One parsed HTTP request. Header names are lower-cased."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""

    @classmethod
    def build(cls, method: str, target: str, headers: dict[str, str], body: bytes = b"") -> Request:
        """Build a request from the raw request target (path plus query string)."""
        parts = urlsplit(target)
        return cls(
            method=method.upper(),
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in headers.items()},
            body=body,
        )

    def arg(self, name: str, default: str | None = None) -> str | None:
        """Return the first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        """Decode the body as JSON; raises ``ValueError`` on a malformed body."""
        return json.loads(self.body.decode("utf-8")) if self.body else None


@dataclass
class Response:
    """One HTTP response. ``records`` is the number of CRM records it returns, for the request log."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    records: int = 0

    @classmethod
    def json(
        cls,
        status: int,
        payload: Any,
        headers: dict[str, str] | None = None,
        records: int = 0,
    ) -> Response:
        """Serialize ``payload`` as UTF-8 JSON with the matching content type."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        all_headers = {"Content-Type": "application/json;charset=UTF-8", **(headers or {})}
        return cls(status=status, body=body, headers=all_headers, records=records)

    @classmethod
    def text(
        cls,
        status: int,
        text: str,
        content_type: str = "text/csv",
        headers: dict[str, str] | None = None,
        records: int = 0,
    ) -> Response:
        """Return a UTF-8 text body, such as a Bulk API CSV result."""
        all_headers = {"Content-Type": f"{content_type};charset=UTF-8", **(headers or {})}
        return cls(status=status, body=text.encode("utf-8"), headers=all_headers, records=records)


class Api(Protocol):
    """One CRM API hosted by the sandbox server (Salesforce or HubSpot)."""

    name: str  # "salesforce" or "hubspot": used by the request log and fault targeting

    def handles(self, request: Request) -> bool:
        """Return true when the request's path belongs to this API."""
        ...

    def handle(self, request: Request) -> Response:
        """Answer the request the way the real API would."""
        ...


class ErrorResponder(Protocol):
    """Optional method of an :class:`Api`: the body of an injected fault, as the CRM sends it.

    The server calls ``api.error_response(fault, request)`` when the fault plan rejects a call
    (``fault.kind`` is ``"rate_limit"``, ``"server_error"`` or ``"session_expired"``; see
    ``sandbox.faults``). An API without the method gets a generic JSON body with the fault's
    status. Record faults (per-record write errors, missing fields, malformed dates) are not
    sent here: each API calls ``faults.record_error(...)`` and ``faults.shape_record(...)`` where
    it writes or serializes records.
    """

    def error_response(self, fault: Any, request: Request) -> Response:
        """Build the response for ``fault``: status, body and headers such as Retry-After."""
        ...
