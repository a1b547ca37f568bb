"""A thread-safe record of every request the sandbox served, for tests and benchmarks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class LoggedRequest:
    """One served request. ``time`` is seconds since the epoch; ``records`` counts CRM records."""

    time: float
    api: str  # "salesforce", "hubspot", or "" when no API handled the path
    method: str
    path: str
    status: int
    records: int
    fault: str = ""  # the kind of the injected fault that produced the response, or ""


class RequestLog:
    """Append-only list of :class:`LoggedRequest`, safe to write from the server's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def append(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[LoggedRequest]:
        """Return a snapshot of the entries in the order they were served."""
        with self._lock:
            return list(self._entries)

    def __iter__(self) -> Iterator[LoggedRequest]:
        return iter(self.entries())

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def count(self, api: str | None = None, method: str | None = None,
              path_contains: str | None = None, status: int | None = None) -> int:
        """Count entries that match every given filter."""
        return len(self.select(api=api, method=method, path_contains=path_contains, status=status))

    def select(self, api: str | None = None, method: str | None = None,
               path_contains: str | None = None, status: int | None = None) -> list[LoggedRequest]:
        """Return entries that match every given filter."""
        return [
            entry for entry in self.entries()
            if (api is None or entry.api == api)
            and (method is None or entry.method == method.upper())
            and (path_contains is None or path_contains in entry.path)
            and (status is None or entry.status == status)
        ]

    def records_returned(self, api: str | None = None) -> int:
        """Sum the CRM records returned by the matching entries."""
        return sum(entry.records for entry in self.select(api=api))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
