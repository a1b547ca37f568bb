"""The call object that route handlers receive: request, store and parameter helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sandbox.faults import FaultPlan
from sandbox.http import Request
from sandbox.hubspot.catalog import OBJECT_TYPE_ALIASES
from sandbox.hubspot.errors import HubSpotError, validation_error
from sandbox.hubspot.store import HubSpotStore


@dataclass
class Call:
    """One request in progress. ``params`` contains the named groups of the matched path."""

    request: Request
    params: dict[str, str]
    store: HubSpotStore
    faults: FaultPlan | None

    def object_type(self, key: str = "object_type") -> str:
        """Resolve a path's object type (plural, singular or type id) to its plural name."""
        raw = self.params[key]
        name = OBJECT_TYPE_ALIASES.get(raw.lower())
        if name is None:
            raise HubSpotError(400, "VALIDATION_ERROR",
                               f"Unable to infer object type from: {raw}")
        return name

    def flag(self, name: str) -> bool:
        return (self.request.arg(name) or "false").strip().lower() == "true"

    def integer(self, name: str, default: int, maximum: int) -> int:
        """Read a whole-number query parameter; values above ``maximum`` are rejected."""
        raw = self.request.arg(name)
        if raw in (None, ""):
            return default
        try:
            value = int(raw)
        except ValueError:
            raise validation_error(f"{name}={raw!r} is invalid: use a whole number.") from None
        if not 1 <= value <= maximum:
            raise validation_error(f"{name}={value} is invalid: use 1 to {maximum}.")
        return value

    def names(self, name: str) -> list[str] | None:
        """Read a list parameter sent repeated or comma-separated; None when absent."""
        values = self.request.query.get(name)
        if values is None:
            return None
        return [part.strip() for value in values for part in value.split(",") if part.strip()]

    def body(self) -> Any:
        try:
            return self.request.json()
        except ValueError:
            raise validation_error("Invalid input JSON: the body is not valid JSON.") from None

    def next_link(self, after: str) -> str:
        """Return the URL of the next page: this request's URL with ``after`` replaced."""
        host = self.request.headers.get("host", "127.0.0.1")
        pairs = [(key, value) for key, values in self.request.query.items() if key != "after"
                 for value in values]
        pairs.append(("after", after))
        return f"https://{host}{self.request.path}?{urlencode(pairs)}"
