"""The generic pull of one Salesforce object, as an iterator of pages.

:func:`plan_object` decides the SELECT from describe: the wanted fields that the
integration user can read, and the wanted fields it cannot (reported, not fatal).
:class:`ObjectPull` then reads records ordered by ``(cursor, Id)`` after a start key. It
follows REST query pages through ``nextRecordsUrl`` until ``done``, and pages may hold fewer
records than the batch size. When more records remain after the first REST page than
``bulk_threshold``, it reads the rest with a Bulk API 2.0 job. Objects with ``IsDeleted`` are read through ``queryAll`` in one
pass, so changed and deleted records share one order and one watermark.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.base import Page, Record, Watermark
from connectors.retry import CallContext
from connectors.salesforce import soql
from connectors.salesforce.bulk import bulk_query
from connectors.salesforce.client import SOURCE, QueryLocatorExpired, SalesforceClient
from connectors.salesforce.objects import COMPOUND_FIELDS, CREATED, ObjectSpec, wanted_fields
from sgl.settings import SalesforceSettings

logger = logging.getLogger(__name__)


@dataclass
class ObjectPlan:
    """The SELECT plan of one object: readable fields, and wanted fields that are not readable."""

    spec: ObjectSpec
    fields: list[str]
    missing: list[str]
    field_types: dict[str, str] = field(default_factory=dict)

    @property
    def compound_fields(self) -> list[str]:
        return [name for name in self.fields if self.field_types.get(name) == "address"
                or name in COMPOUND_FIELDS]


@dataclass(frozen=True)
class PullWindow:
    """The range of records that one pull reads.

    ``start`` is the key after which records are read (None: from the beginning).
    ``floor`` is the saved incremental watermark; page watermarks never go below it, so
    an overlap re-read never moves the watermark back. ``created_from``/``created_to``
    bound ``CreatedDate`` for a backfill, which orders by ``(CreatedDate, Id)``.
    """

    start: Watermark | None = None
    floor: Watermark | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None

    @property
    def is_backfill(self) -> bool:
        return self.created_from is not None


def plan_object(client: SalesforceClient, spec: ObjectSpec,
                settings: SalesforceSettings) -> ObjectPlan:
    """Describe the object and keep the wanted fields that the integration user can read."""
    describe = client.describe(spec.name)
    described = {item["name"]: item for item in describe.get("fields", [])}
    by_lower = {name.lower(): name for name in described}
    relationships = {str(item.get("relationshipName") or "").lower(): item
                     for item in described.values() if item.get("relationshipName")}

    fields: list[str] = []
    missing: list[str] = []
    types: dict[str, str] = {}
    for name in wanted_fields(spec, settings):
        if "." in name:
            relationship, _dot, _rest = name.partition(".")
            readable = relationship.lower() in relationships
            if readable:
                types[name] = "string"
        else:
            actual = by_lower.get(name.lower())
            readable = actual is not None
            if readable:
                name = actual
                types[name] = str(described[actual].get("type", "string"))
        if readable:
            fields.append(name)
        elif name not in spec.optional:
            missing.append(name)

    if missing:
        logger.warning("salesforce %s: %d wanted fields are not readable and are skipped: %s",
                       spec.name, len(missing), ", ".join(missing))
    return ObjectPlan(spec, fields, missing, types)


def record_key(record: Record, cursor: str) -> Watermark:
    """Return the ``(cursor, Id)`` key of a raw record."""
    return Watermark(parse_salesforce_datetime(record[cursor]), str(record["Id"]))


def parse_salesforce_datetime(text: str) -> datetime:
    """Parse ``2025-03-31T16:00:00.000+0000`` (REST) or ``...Z`` into an aware datetime."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    elif len(value) > 5 and value[-5] in "+-" and value[-4:].isdigit():
        value = value[:-2] + ":" + value[-2:]
    return datetime.fromisoformat(value)


def _sort_key(key: Watermark) -> tuple[datetime, str]:
    return (key.at, key.record_id)


class ObjectPull:
    """The pages of one object's pull; see the module docstring."""

    def __init__(self, client: SalesforceClient, plan: ObjectPlan, window: PullWindow,
                 settings: SalesforceSettings, time_scale: float = 1.0,
                 first_page: int = 1) -> None:
        self.client = client
        self.plan = plan
        self.spec = plan.spec
        self.window = window
        self.settings = settings
        self.time_scale = time_scale
        self.cursor = CREATED if window.is_backfill else self.spec.cursor
        self.next_number = first_page
        self.mode = "rest"
        self.last_key: Watermark | None = window.start

    # SOQL ---------------------------------------------------------------------------------

    def query_text(self, after: Watermark | None) -> str:
        fields = list(self.plan.fields)
        for required in ("Id", self.cursor):
            if required not in fields:
                fields.insert(0, required)
        if self.spec.deletes and "IsDeleted" not in fields:
            fields.append("IsDeleted")
        return soql.select(self.spec.name, fields, self._conditions(after),
                           [self.cursor, "Id"])

    def _conditions(self, after: Watermark | None) -> list[str]:
        conditions = []
        if after is not None:
            conditions.append(soql.after_key(self.cursor, after))
        if self.window.created_from is not None:
            conditions.append(f"(CreatedDate >= {soql.datetime_literal(self.window.created_from)})")
        if self.window.created_to is not None:
            conditions.append(f"(CreatedDate < {soql.datetime_literal(self.window.created_to)})")
        return conditions

    # Pages --------------------------------------------------------------------------------

    def pages(self) -> Iterator[Page]:
        """Yield the object's pages in ``(cursor, Id)`` order, each with its watermark."""
        while True:
            try:
                yield from self._rest_pages()
                return
            except QueryLocatorExpired:
                # Salesforce closes idle cursors and keeps at most 10 open per user. The query
                # restarts after the last page handed out, because the sink has saved it.
                logger.warning("salesforce %s: query cursor expired after page %d; "
                               "restarting after the last saved record", self.spec.name,
                               self.next_number - 1)

    def _rest_pages(self) -> Iterator[Page]:
        context = CallContext(SOURCE, self.spec.name, self.next_number, "query")
        result = self.client.query(self.query_text(self.last_key),
                                   include_deleted=self.spec.deletes, context=context)
        first_records = result.get("records", [])
        remaining = int(result.get("totalSize", 0)) - len(first_records)
        yield self._page(first_records)
        if result.get("done", True):
            return

        if self._use_bulk(remaining):
            yield from self._bulk_pages()
            return

        while not result.get("done", True):
            context = CallContext(SOURCE, self.spec.name, self.next_number, "query more")
            result = self.client.query_more(result["nextRecordsUrl"], context)
            yield self._page(result.get("records", []))

    def _use_bulk(self, remaining: int) -> bool:
        if remaining <= self.settings.bulk_threshold:
            return False
        compound = self.plan.compound_fields
        if compound:
            logger.info("salesforce %s: %d records remain, above the Bulk threshold, but Bulk "
                        "API 2.0 cannot read the compound fields %s; staying on REST",
                        self.spec.name, remaining, ", ".join(compound))
            return False
        logger.info("salesforce %s: %d records remain; switching to a Bulk API 2.0 query",
                    self.spec.name, remaining)
        return True

    def _bulk_pages(self) -> Iterator[Page]:
        self.mode = "bulk"
        chunk = self.settings.page_size
        for records in bulk_query(self.client, self.spec.name, self.query_text(self.last_key),
                                  include_deleted=self.spec.deletes,
                                  field_types=self.plan.field_types,
                                  time_scale=self.time_scale):
            for start in range(0, len(records), chunk):
                yield self._page(records[start:start + chunk])

    def _page(self, records: list[dict[str, Any]]) -> Page:
        live: list[Record] = []
        deleted: list[str] = []
        for record in records:
            if record.get("IsDeleted") is True:
                deleted.append(str(record["Id"]))
            else:
                live.append(record)

        watermark = None
        if records:
            key = record_key(records[-1], self.cursor)
            self.last_key = key
            floor = self.window.floor
            if floor is None or _sort_key(key) > _sort_key(floor):
                watermark = key
        page = Page(SOURCE, self.spec.name, self.next_number, live, watermark, deleted)
        self.next_number += 1
        return page
