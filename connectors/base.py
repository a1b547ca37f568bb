"""The contract between a CRM pull and whatever stores its pages.

A connector pulls one object at a time and hands each page to a :class:`PageSink` as soon
as it arrives. The sink normalizes the raw records and saves them together with the page's
watermark in one warehouse transaction, so memory stays flat and a crash loses at most the
page in flight. The next run starts from the saved watermark.

Watermarks are ``(timestamp, id)`` pairs compared in that order: a page's watermark is the
key of its last record in the pull's sort order, so records sharing a timestamp are neither
skipped nor read twice when a pull resumes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Record = dict[str, Any]


@dataclass(frozen=True)
class Watermark:
    """The ``(modified timestamp, record id)`` key of the last record saved, timestamp in UTC."""

    at: datetime
    record_id: str


@dataclass
class Page:
    """One page of a pull, as the CRM returned it."""

    source: str               # "salesforce" or "hubspot"
    object: str               # the CRM object: "Lead", "contacts", ...
    number: int               # 1 for the first page of this run
    records: list[Record]     # raw records, as the API returned them
    watermark: Watermark | None = None   # key of the last record, None for unordered pulls
    deleted_ids: list[str] = field(default_factory=list)
    # The complete associations of this page's records to each object type in
    # ``association_targets`` (rows of the warehouse's associations table).
    associations: list[Record] = field(default_factory=list)
    association_targets: tuple[str, ...] = ()

    def record_ids(self) -> list[str]:
        """Return the ids of this page's records (HubSpot ``id``, Salesforce ``Id``)."""
        return [str(record.get("id") or record.get("Id")) for record in self.records]


PageSink = Callable[[Page], None]
