"""Incremental pulls through the CRM search endpoint, past its 10,000-result cap.

A search pages by offset (``after``) and never returns a result past the 10,000th. So the
changes since the watermark are read in time windows of at most that many records. A window
whose ``total`` is above the cap is split in two halves by time, and each half is searched
again, until every window fits. Windows are inclusive millisecond ranges that never overlap,
so a record whose timestamp sits on a window edge is read exactly once. A single millisecond
holding more than 10,000 records cannot be split by time; it is read by record id instead
(``hs_object_id`` greater than the last id read, sorted by id), which has no cap.

HubSpot sorts a search by one property only, so records that share a timestamp come in no
defined order. Batches are therefore emitted in ``(timestamp, id)`` order: the records of a
page's newest timestamp are held back until a later timestamp (or the window's end) shows
that no more records share it. A batch's last key is then a tie-safe watermark: the next run
searches from its timestamp (GTE) and drops records at or below the key.

The upper end of the first window is fixed when the pull starts, a little in the past
(``search_delay_seconds``), because the search index shows a change a few seconds after it
happens. Records changed during the pull move past that end, so the next run reads them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import Record, Watermark
from connectors.hubspot.client import HubSpotClient
from connectors.hubspot.objects import ObjectSpec
from connectors.retry import CallContext

logger = logging.getLogger(__name__)

SEARCH_RESULT_CAP = 10_000  # HubSpot's search never pages past its 10,000th result
ID_PROPERTY = "hs_object_id"

Key = tuple[int, int]  # (modified epoch milliseconds, record id)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


@dataclass
class SearchStats:
    """Counts of one incremental pull, for the run summary and the benchmark."""

    searches: int = 0
    windows: int = 0
    splits: int = 0
    id_ordered_milliseconds: int = 0
    restarts: int = 0  # pages read again because records left the window while paging
    records: int = 0
    skipped_at_edge: int = 0

    def as_counts(self) -> dict[str, int]:
        return {f"search_{name}": value for name, value in self.__dict__.items()}


@dataclass
class _EdgeOrder:
    """Reorders one window's pages into (timestamp, id) order; see the module docstring."""

    modified_property: str
    floor: Key | None
    held: list[Record] = field(default_factory=list)
    dropped: int = 0

    def add(self, records: list[Record]) -> list[Record]:
        combined = sorted(self.held + records, key=self.key)
        if not combined:
            return []
        newest = self.key(combined[-1])[0]
        split = next((index for index, record in enumerate(combined)
                      if self.key(record)[0] == newest), len(combined))
        self.held = combined[split:]
        return self._above_floor(combined[:split])

    def flush(self) -> list[Record]:
        ready, self.held = self.held, []
        return self._above_floor(ready)

    def key(self, record: Record) -> Key:
        return record_key(record, self.modified_property)

    def _above_floor(self, records: list[Record]) -> list[Record]:
        if self.floor is None:
            return records
        kept = [record for record in records if self.key(record) > self.floor]
        self.dropped += len(records) - len(kept)
        return kept


class ChangeSearch:
    """The records of one object changed in ``[since, until]``, in watermark order.

    ``time_property`` is the object's last-modified property by default; a backfill passes
    the created property to read records created in a range.
    """

    def __init__(self, client: HubSpotClient, spec: ObjectSpec, properties: list[str],
                 page_size: int, context: Callable[[str], CallContext],
                 time_property: str | None = None) -> None:
        self.client = client
        self.spec = spec
        self.time_property = time_property or spec.modified_property
        self.properties = properties
        self.page_size = page_size
        self.context = context
        self.stats = SearchStats()

    def batches(self, since: Watermark | None, until_ms: int, from_ms: int = 0
                ) -> Iterator[list[Record]]:
        """Yield batches of records after ``since`` (else from ``from_ms``) up to ``until_ms``."""
        floor = watermark_key(since)
        pending = [(floor[0] if floor else from_ms, until_ms)]
        while pending:
            low, high = pending.pop()
            if low > high:
                continue
            first = self._search(low, high, after=0)
            total = int(first.get("total", 0))
            if total > SEARCH_RESULT_CAP:
                results = first.get("results") or []
                # No record sits before the first result, so the split starts there.
                low = max(low, record_key(results[0], self.time_property)[0]
                          if results else low)
                if low >= high:
                    yield from self._one_millisecond(low, floor)
                    continue
                middle = low + (high - low) // 2
                self.stats.splits += 1
                logger.info("hubspot %s: %d changes in %s..%s pass the search cap; splitting at "
                            "%s", self.spec.name, total, _iso(low), _iso(high), _iso(middle))
                pending.append((middle + 1, high))
                pending.append((low, middle))
                continue

            self.stats.windows += 1
            order = _EdgeOrder(self.time_property, floor)
            for page, last in self._window_pages(low, high, first):
                # The window's last page completes its newest timestamp, so nothing is held.
                batch = order.add(page) + (order.flush() if last else [])
                if batch:
                    yield self._counted(batch)
            self.stats.skipped_at_edge += order.dropped

    # -- one window ----------------------------------------------------------------------

    def _window_pages(self, low: int, high: int, first: dict[str, Any]
                      ) -> Iterator[tuple[list[Record], bool]]:
        """Yield a window's pages (new records only, in the search's order) and whether each
        is the last.

        When the window's ``total`` shrinks between pages, records left it (changed or
        archived meanwhile) and the later ones moved to lower offsets. The offset then steps
        back by the difference and the page is read again. Ids already read are dropped.
        """
        response, offset, seen = first, 0, set()
        last_total = int(first.get("total", 0))
        while True:
            total = int(response.get("total", 0))
            if total < last_total and offset:
                offset = max(0, offset - (last_total - total))
                last_total = total
                self.stats.restarts += 1
                response = self._search(low, high, after=offset)
                continue
            results = response.get("results") or []
            fresh = [record for record in results if record["id"] not in seen]
            seen.update(record["id"] for record in fresh)
            last = not results or not (response.get("paging") or {}).get("next")
            yield fresh, last
            if last:
                return
            offset += len(results)
            response = self._search(low, high, after=offset)

    def _one_millisecond(self, moment: int, floor: Key | None) -> Iterator[list[Record]]:
        """Read every record modified in one millisecond, by id, without the search cap."""
        self.stats.id_ordered_milliseconds += 1
        logger.warning("hubspot %s: more than %d records share the modified time %s; reading "
                       "them by id", self.spec.name, SEARCH_RESULT_CAP, _iso(moment))
        last_id = floor[1] if floor and floor[0] == moment else 0
        while True:
            filters = [*self._range_filters(moment, moment),
                       {"propertyName": ID_PROPERTY, "operator": "GT", "value": str(last_id)}]
            response = self._post(filters, ID_PROPERTY, after=0)
            results = sorted(response.get("results") or [], key=lambda record: int(record["id"]))
            if results:
                yield self._counted(results)
                last_id = int(results[-1]["id"])
            if len(results) < self.page_size:
                return

    # -- requests ------------------------------------------------------------------------

    def _search(self, low: int, high: int, after: int) -> dict[str, Any]:
        return self._post(self._range_filters(low, high), self.time_property, after)

    def _range_filters(self, low: int, high: int) -> list[dict[str, str]]:
        modified = self.time_property
        return [{"propertyName": modified, "operator": "GTE", "value": str(low)},
                {"propertyName": modified, "operator": "LTE", "value": str(high)}]

    def _post(self, filters: list[dict[str, str]], sort_property: str, after: int
              ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "filterGroups": [{"filters": filters}],
            "sorts": [{"propertyName": sort_property, "direction": "ASCENDING"}],
            "properties": self.properties,
            "limit": self.page_size,
        }
        if after:
            body["after"] = str(after)
        self.stats.searches += 1
        return self.client.search(self.spec.name, body, self.context("search"))

    def _counted(self, batch: list[Record]) -> list[Record]:
        self.stats.records += len(batch)
        return batch


def record_key(record: Record, modified_property: str) -> Key:
    """Return a record's ``(modified epoch ms, id)``; a missing time counts as 0."""
    properties = record.get("properties") or {}
    value = properties.get(modified_property) or record.get("updatedAt")
    return (parse_ms(value) or 0, int(record["id"]))


def parse_ms(value: Any) -> int | None:
    """Read HubSpot's datetime shapes, ISO 8601 or epoch milliseconds, as epoch ms."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return to_ms(moment)


def to_ms(moment: datetime) -> int:
    """Return epoch milliseconds, exactly (float timestamps can round 0.001 s down)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MILLISECOND


def watermark_key(watermark: Watermark | None) -> Key | None:
    if watermark is None:
        return None
    record_id = int(watermark.record_id) if watermark.record_id.isdigit() else 0
    return (to_ms(watermark.at), record_id)


def key_watermark(key: Key) -> Watermark:
    return Watermark(at=_EPOCH + key[0] * _MILLISECOND, record_id=str(key[1]))


def _iso(ms: int) -> str:
    return (_EPOCH + ms * _MILLISECOND).isoformat(timespec="milliseconds")
