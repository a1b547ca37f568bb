"""The page-writing loop that both CRM connectors share.

A connector turns one object's pull into an iterator of :class:`~connectors.base.Page`;
:func:`write_pages` hands each page to the sink as it arrives, counts it, reports progress
and checks the API budget after the sink has saved the page, so a stop never loses a page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from connectors.base import Page, PageSink, Watermark
from connectors.retry import ApiBudget, CallContext

logger = logging.getLogger(__name__)

# Progress is logged at most this often when no callback is given.
LOG_INTERVAL_SECONDS = 10.0


@dataclass(frozen=True)
class Progress:
    """A snapshot of one object's pull, for a progress bar or a log line.

    ``total`` is the number of records the CRM expects to return, when it reports one.
    """

    source: str
    object: str
    records: int
    pages: int
    deleted: int
    elapsed_seconds: float
    total: int | None = None

    @property
    def records_per_second(self) -> float:
        return self.records / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0


ProgressCallback = Callable[[Progress], None]


@dataclass
class PullCounts:
    """Counts of one object's pull: records and deletes written, pages, calls, unreadable fields."""

    records: int = 0
    deleted: int = 0
    pages: int = 0
    api_calls: int = 0
    elapsed_seconds: float = 0.0
    missing_fields: list[str] = field(default_factory=list)
    mode: str = "rest"  # how the records were read: rest, bulk, or the connector's own label

    def as_dict(self) -> dict[str, int]:
        """Return the integer counts, as sync_state.last_counts stores them."""
        return {"records": self.records, "deleted": self.deleted, "pages": self.pages,
                "api_calls": self.api_calls, "missing_fields": len(self.missing_fields)}


class ProgressLogger:
    """A progress callback that logs one line per object at most every ``interval`` seconds."""

    def __init__(self, interval: float = LOG_INTERVAL_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._last: dict[tuple[str, str], float] = {}

    def __call__(self, progress: Progress) -> None:
        key = (progress.source, progress.object)
        now = self._clock()
        if now - self._last.get(key, -self.interval) < self.interval:
            return
        self._last[key] = now
        logger.info("%s %s: %d records, %d deletes in %d pages (%.0f records/s)",
                    progress.source, progress.object, progress.records, progress.deleted,
                    progress.pages, progress.records_per_second)


def write_pages(
    pages: Iterable[Page],
    sink: PageSink,
    counts: PullCounts,
    *,
    progress: ProgressCallback | None = None,
    budget: ApiBudget | None = None,
    total: int | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> PullCounts:
    """Hand every page to ``sink`` in order, updating ``counts`` and reporting progress.

    The budget is checked after each page is saved, so :class:`~connectors.retry.ApiBudgetExhausted`
    leaves the last saved watermark in place. An exception from the sink or the pages
    propagates with ``counts`` describing what was saved before it.
    """
    report = progress or ProgressLogger()
    started = clock() - counts.elapsed_seconds
    for page in pages:
        sink(page)
        counts.pages += 1
        counts.records += len(page.records)
        counts.deleted += len(page.deleted_ids)
        counts.elapsed_seconds = clock() - started
        report(Progress(page.source, page.object, counts.records, counts.pages,
                        counts.deleted, counts.elapsed_seconds, total))
        if budget is not None:
            budget.check(CallContext(page.source, page.object, page.number))
    counts.elapsed_seconds = clock() - started
    return counts


@dataclass(frozen=True)
class PullRequest:
    """The records of one object that a pull reads.

    Incremental: records after ``after`` (the saved watermark; None reads everything).
    Backfill: records created in ``[created_from, created_to)``, resuming after ``after``
    when an earlier backfill of the same range stopped part-way.
    """

    after: Watermark | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None

    @property
    def is_backfill(self) -> bool:
        return self.created_from is not None
