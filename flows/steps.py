"""Plain functions that the sync flows and the CLI compose: pull, normalize, store, derive.

:func:`sync_source` pulls each object of one source after its saved watermark;
:func:`backfill_source` re-pulls the records created in a date range, month by month. Both
open the warehouse for writing and hand every page to a :class:`WarehouseSink`, which
normalizes it and saves rows, deletes and the page's watermark together, so a crash loses
at most the page in flight. Failures are recorded per object in ``sync_state``
(``last_status``, ``last_error`` naming the object and page, never record contents).

Sources plug in through ``connectors.registry`` (the connector) and
``transforms.normalize`` (the normalizer). A normalizer module may define
``normalizer_from_settings(settings)`` when it needs settings such as custom field names.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from importlib import import_module
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from connectors.base import Page, Watermark
from connectors.errors import RetriableError
from connectors.pull import ProgressCallback, PullCounts, PullRequest
from connectors.registry import Connector, connector_factory
from connectors.retry import StopRun
from sgl.errors import SglError
from sgl.i18n import _
from sgl.settings import Settings
from sgl.warehouse import SyncState, Warehouse
from transforms import derive
from transforms.normalize import Normalizer, normalize
from transforms.normalize.hubspot import deal_qualified_at

logger = logging.getLogger(__name__)

BACKFILL_SUFFIX = "#backfill"
MAX_ERROR_LENGTH = 500


# -- summaries ------------------------------------------------------------------------------

@dataclass
class ObjectSummary:
    """The outcome of one object's pull: ok, failed, stopped or skipped, with counts."""

    source: str
    object: str
    status: str = "ok"
    records: int = 0
    deleted: int = 0
    pages: int = 0
    api_calls: int = 0
    seconds: float = 0.0
    mode: str = "-"
    missing_fields: list[str] = field(default_factory=list)
    malformed: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    # The failure may pass on a later attempt (network, 429, 5xx): flows retry such pulls.
    retriable: bool = False

    def counts(self) -> dict[str, int]:
        return {"records": self.records, "deleted": self.deleted, "pages": self.pages,
                "api_calls": self.api_calls, "missing_fields": len(self.missing_fields),
                "malformed": sum(self.malformed.values())}


@dataclass
class SyncSummary:
    """The outcome of one sync or backfill run of one source."""

    run_id: str
    source: str
    objects: list[ObjectSummary] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(item.status in ("ok", "skipped") for item in self.objects)

    @property
    def stopped(self) -> bool:
        return any(item.status == "stopped" for item in self.objects)

    @property
    def retriable(self) -> bool:
        """True when every failed object failed in a way that may pass on a later attempt."""
        failed = [item for item in self.objects if item.status == "failed"]
        return bool(failed) and all(item.retriable for item in failed)

    def failures(self) -> list[str]:
        """Return one line per failed or stopped object: source, object, page and cause."""
        lines = []
        for item in self.objects:
            if item.status == "failed":
                lines.append(f"{item.source} {item.error}")  # the error names object and page
            elif item.status == "stopped":
                lines.append(f"{item.source} {item.object}: {item.error}")
        return lines

    def rows(self) -> list[dict[str, Any]]:
        """Return one row per object for tables, JSON and CSV."""
        return [{
            "source": item.source, "object": item.object, "status": item.status,
            "records": item.records, "deleted": item.deleted, "pages": item.pages,
            "api_calls": item.api_calls, "seconds": round(item.seconds, 1), "mode": item.mode,
            "missing_fields": ", ".join(item.missing_fields),
            "malformed": sum(item.malformed.values()), "error": item.error or "",
        } for item in self.objects]


# -- the sink -------------------------------------------------------------------------------

class WarehouseSink:
    """Normalizes each page and saves its rows, deletes and watermark in the warehouse.

    ``state_object`` is the sync_state key: the object name for incremental pulls,
    ``Object#backfill`` for backfills, so a backfill never moves the incremental watermark.
    ``row_filter`` drops rows before the upsert (first-touch Contacts, roles of unknown
    opportunities).
    """

    def __init__(self, warehouse: Warehouse, normalizer: Normalizer, source: str,
                 object_name: str, table: str, run_id: str, state_object: str,
                 row_filter: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
                 extra_counts: Mapping[str, int] | None = None) -> None:
        self.warehouse = warehouse
        self.normalizer = normalizer
        self.source = source
        self.object_name = object_name
        self.table = table
        self.run_id = run_id
        self.state_object = state_object
        self.row_filter = row_filter
        self.extra_counts = dict(extra_counts or {})
        self.page_in_flight: int | None = None
        self.malformed: dict[str, int] = {}
        # What has been saved so far, for the summary of a pull that fails part-way.
        self.records = 0
        self.deleted = 0
        self.pages = 0

    def __call__(self, page: Page) -> None:
        self.page_in_flight = page.number
        normalized = self.normalizer(page.object, page.records)
        for key, count in normalized.malformed.items():
            self.malformed[key] = self.malformed.get(key, 0) + count

        state = self._state(page.watermark)
        frames = [(table, frame) for table, frame in normalized.frames.items()]
        if self.row_filter is not None:
            frames = [(table, self.row_filter(frame)) for table, frame in frames]

        # Associations go first and the state goes with the last write of the page, so a
        # crash between two writes leaves the watermark before this page and the page is
        # read again; every write is idempotent.
        if page.association_targets:
            self.warehouse.replace_associations(
                self.source, page.object, page.record_ids(), page.association_targets,
                pl.DataFrame(page.associations))
        writes = len(frames) + (1 if page.deleted_ids else 0)
        for index, (table, frame) in enumerate(frames):
            last = index == writes - 1
            self.warehouse.upsert(table, frame, state=state if last else None)
        if page.deleted_ids:
            self.warehouse.mark_deleted(self.table, self.source, page.deleted_ids,
                                        datetime.now(UTC), state=state)
        if writes == 0:
            self.warehouse.save_sync_state(state)
        self.records += len(page.records)
        self.deleted += len(page.deleted_ids)
        self.pages += 1
        self.page_in_flight = None

    def _state(self, watermark: Watermark | None) -> SyncState:
        counts = {"records": self.records, **self.extra_counts}
        return SyncState(self.source, self.state_object,
                         watermark.at if watermark else None,
                         watermark.record_id if watermark else None,
                         self.run_id, status="running", counts=counts)


# -- per-source hooks -----------------------------------------------------------------------

def build_normalizer(settings: Settings, source: str) -> Normalizer:
    """Return the source's normalizer, configured by settings when its module supports it."""
    try:
        module = import_module(f"transforms.normalize.{source}")
    except ModuleNotFoundError:
        module = None
    factory = getattr(module, "normalizer_from_settings", None)
    if factory is not None:
        return factory(settings)
    return lambda object_name, records: normalize(source, object_name, records)


def _salesforce_row_filter(warehouse: Warehouse, source: str, object_name: str
                           ) -> Callable[[pl.DataFrame], pl.DataFrame] | None:
    if object_name == "Contact":
        # NOTE: a Contact is recognised as converted only when its Lead is already stored, so
        # `--object Contact` alone before the first Lead pull stores converted Contacts too.
        converted = warehouse.read("leads", ["contact_id"], {"source": source, "object": "Lead"},
                                   include_deleted=True)["contact_id"].drop_nulls()
        return lambda frame: derive.first_touch_contacts(frame, converted)
    if object_name == "OpportunityContactRole":
        # A role of an opportunity not stored yet is skipped rather than creating a bare row.
        known = warehouse.read("opportunities", ["source_id"], {"source": source},
                               include_deleted=True)["source_id"]
        return lambda frame: frame.filter(pl.col("source_id").is_in(known.implode()))
    return None


def derive_salesforce(warehouse: Warehouse, settings: Settings, source: str) -> dict[str, int]:
    """Fill owner_at_creation, qualified_at and the opportunities' lead and contact links."""
    filters = {"source": source}
    leads = warehouse.read("leads", ["source_id", "object", "owner_id", "owner_at_creation",
                                     "qualified_at", "converted_at", "opportunity_id",
                                     "created_at"], filters)
    lead_rows = leads.filter(pl.col("object") == "Lead")
    history = warehouse.read("field_history", ["record_id", "field", "old_value", "new_value",
                                               "changed_at"],
                             {"source": source, "object": "LeadHistory"})
    opportunities = warehouse.read("opportunities", ["source_id", "object", "created_at",
                                                     "lead_id", "contact_id", "raw"], filters)

    owners = derive.owner_at_creation(leads, history)
    qualified = derive.qualified_at(lead_rows, history, opportunities,
                                    settings.sources.salesforce.qualified_lead_statuses)
    links = derive.opportunity_links(opportunities, lead_rows)

    changed = {
        "owner_at_creation": _save_changes(warehouse, source, "leads", leads, owners,
                                           ["owner_at_creation"]),
        "qualified_at": _save_changes(warehouse, source, "leads", lead_rows, qualified,
                                      ["qualified_at"]),
        "opportunity_links": _save_changes(warehouse, source, "opportunities", opportunities, links,
                                           ["lead_id", "contact_id"]),
    }
    logger.info("salesforce derivations changed %s", changed)
    return changed


def _save_changes(warehouse: Warehouse, source: str, table: str, current: pl.DataFrame,
                  derived: pl.DataFrame, columns: list[str]) -> int:
    rows = derive.changed_rows(current, derived, columns)
    if rows.height == 0:
        return 0
    keyed = rows.join(current.select("source_id", "object"), on="source_id", how="left")
    frame = keyed.with_columns(pl.lit(source).alias("source"))
    return warehouse.upsert(table, frame.select("source", "source_id", "object", *columns))


ROW_FILTERS = {"salesforce": _salesforce_row_filter}


def derive_hubspot(warehouse: Warehouse, settings: Settings, source: str) -> dict[str, int]:
    """Bring a contact's qualified_at forward to the creation of its first associated deal."""
    filters = {"source": source}
    leads = warehouse.read("leads", ["source_id", "object", "qualified_at"], filters)
    deals = warehouse.read("opportunities", ["source_id", "created_at"], filters)
    links = warehouse.read("associations", ["from_object", "from_id", "to_object", "to_id"],
                           filters)
    qualified = deal_qualified_at(leads, deals, links)

    changed = {"qualified_at": _save_changes(warehouse, source, "leads", leads, qualified,
                                             ["qualified_at"])}
    logger.info("hubspot derivations changed %s", changed)
    return changed


DERIVATIONS = {"salesforce": derive_salesforce, "hubspot": derive_hubspot}


# -- sync and backfill ----------------------------------------------------------------------

def sync_source(settings: Settings, source: str, objects: Sequence[str] | None = None,
                progress: ProgressCallback | None = None,
                env: Mapping[str, str] | None = None) -> SyncSummary:
    """Pull the objects of ``source`` changed since their watermarks into the warehouse."""
    return _run(settings, source, objects, progress, env, backfill=None)


def backfill_source(settings: Settings, source: str, start: date, end: date,
                    objects: Sequence[str] | None = None,
                    progress: ProgressCallback | None = None,
                    env: Mapping[str, str] | None = None) -> SyncSummary:
    """Re-pull the records of ``source`` created in ``[start, end)``, month by month.

    Dates are local dates in ``[general] timezone``. Progress is saved per object under
    ``Object#backfill``, so the incremental watermark never moves. A rerun of the same range
    after a stop resumes where it stopped. A rerun after success pulls the range again and
    changes only what changed in the CRM meanwhile.
    """
    if start >= end:
        raise SglError(_("The backfill range is empty: --from {start} must be before --to "
                         "{end}.").format(start=start, end=end))
    return _run(settings, source, objects, progress, env, backfill=(start, end))


def month_chunks(start: date, end: date, timezone: str) -> list[tuple[datetime, datetime]]:
    """Split local dates ``[start, end)`` into month-aligned UTC ranges.

    >>> [(a.isoformat(), b.isoformat()) for a, b in month_chunks(
    ...     date(2025, 3, 15), date(2025, 4, 2), "Asia/Tokyo")]
    [('2025-03-14T15:00:00+00:00', '2025-03-31T15:00:00+00:00'), \
('2025-03-31T15:00:00+00:00', '2025-04-01T15:00:00+00:00')]
    """
    zone = ZoneInfo(timezone)
    chunks = []
    cursor = start
    while cursor < end:
        next_month = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
        chunk_end = min(next_month, end)
        chunks.append((_local_midnight(cursor, zone), _local_midnight(chunk_end, zone)))
        cursor = chunk_end
    return chunks


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(UTC)


def _run(settings: Settings, source: str, objects: Sequence[str] | None,
         progress: ProgressCallback | None, env: Mapping[str, str] | None,
         backfill: tuple[date, date] | None) -> SyncSummary:
    factory = connector_factory(source)
    unknown = [name for name in objects or () if name not in factory.objects]
    if unknown:
        raise SglError(_("Unknown {source} objects: {objects}. Use one of: {known}.").format(
            source=source, objects=", ".join(unknown), known=", ".join(factory.objects)))

    run_id = uuid.uuid4().hex[:12]
    summary = SyncSummary(run_id, source)
    normalizer = build_normalizer(settings, source)
    holder = f"sgl {'backfill' if backfill else 'sync'} {source}"
    logger.info("%s run %s started", holder, run_id)

    with Warehouse.open(settings.warehouse_path, write=True, holder=holder,
                        lock_timeout=settings.warehouse.lock_timeout_seconds) as warehouse:
        states = _states(warehouse, source)
        with factory.open(settings, os.environ if env is None else env) as connector:
            for object_name in connector.objects_to_pull(objects):
                result = _pull_object(settings, warehouse, connector, normalizer, run_id,
                                      object_name, states, progress, backfill)
                summary.objects.append(result)
                if result.status == "stopped":
                    break
        derivation = DERIVATIONS.get(source)
        if derivation is not None and summary.objects:
            derivation(warehouse, settings, source)

    logger.info("%s run %s finished: %s", holder, run_id,
                ", ".join(f"{item.object}={item.status}" for item in summary.objects))
    return summary


def _states(warehouse: Warehouse, source: str) -> dict[str, dict[str, Any]]:
    frame = warehouse.sync_states().filter(pl.col("source") == source)
    return {row["object"]: row for row in frame.iter_rows(named=True)}


def _pull_object(settings: Settings, warehouse: Warehouse, connector: Connector,
                 normalizer: Normalizer, run_id: str, object_name: str,
                 states: Mapping[str, Mapping[str, Any]], progress: ProgressCallback | None,
                 backfill: tuple[date, date] | None) -> ObjectSummary:
    summary = ObjectSummary(connector.source, object_name)
    table = connector.table_of(object_name)
    row_filter_factory = ROW_FILTERS.get(connector.source)
    row_filter = (row_filter_factory(warehouse, connector.source, object_name)
                  if row_filter_factory else None)

    if backfill is None:
        state_object = object_name
        requests = [PullRequest(after=_watermark(states.get(object_name)))]
        range_counts: dict[str, int] = {}
    else:
        state_object = object_name + BACKFILL_SUFFIX
        requests, range_counts = _backfill_requests(settings, backfill,
                                                    states.get(state_object))

    sink = WarehouseSink(warehouse, normalizer, connector.source, object_name, table, run_id,
                         state_object, row_filter, range_counts)
    counts = PullCounts()
    calls_before = connector.api_calls
    try:
        for request in requests:
            _add(counts, connector.pull(object_name, request, sink, progress))
    except StopRun as error:
        _fill(summary, counts, sink, connector.api_calls - calls_before)
        summary.status = "stopped"
        summary.error = str(error)
    except (SglError, RetriableError) as error:
        _fill(summary, counts, sink, connector.api_calls - calls_before)
        summary.status = "failed"
        summary.error = _failure_text(object_name, sink, str(error))
        summary.retriable = isinstance(error, RetriableError)
        logger.error("%s %s failed at page %s: %s", connector.source, object_name,
                     sink.page_in_flight, type(error).__name__)
    except Exception as error:
        # A bug or an unexpected library error: recorded without its text, which may quote
        # record contents, then raised so that it is seen.
        _fill(summary, counts, sink, connector.api_calls - calls_before)
        summary.status = "failed"
        summary.error = _failure_text(object_name, sink, type(error).__name__)
        _save_outcome(warehouse, summary, run_id, state_object, range_counts)
        raise
    else:
        _fill(summary, counts, sink, connector.api_calls - calls_before)
    _save_outcome(warehouse, summary, run_id, state_object, range_counts)
    return summary


def _add(total: PullCounts, part: PullCounts) -> None:
    total.api_calls += part.api_calls
    total.elapsed_seconds += part.elapsed_seconds
    if part.mode != "rest":
        total.mode = part.mode
    for name in part.missing_fields:
        if name not in total.missing_fields:
            total.missing_fields.append(name)


def _fill(summary: ObjectSummary, counts: PullCounts, sink: WarehouseSink,
          api_calls: int) -> None:
    summary.records = sink.records
    summary.deleted = sink.deleted
    summary.pages = sink.pages
    summary.api_calls = api_calls
    summary.seconds = counts.elapsed_seconds
    summary.mode = counts.mode
    summary.missing_fields = list(counts.missing_fields)
    summary.malformed = dict(sink.malformed)


def _failure_text(object_name: str, sink: WarehouseSink, reason: str) -> str:
    page = sink.page_in_flight if sink.page_in_flight is not None else "-"
    text = _("{object} page {page}: {reason}").format(object=object_name, page=page,
                                                      reason=reason)
    return text[:MAX_ERROR_LENGTH]


def _save_outcome(warehouse: Warehouse, summary: ObjectSummary, run_id: str,
                  state_object: str, range_counts: Mapping[str, int]) -> None:
    counts = {**summary.counts(), **range_counts}
    warehouse.save_sync_state(SyncState(summary.source, state_object, None, None, run_id,
                                        status=summary.status, counts=counts,
                                        error=summary.error))


def _watermark(state: Mapping[str, Any] | None) -> Watermark | None:
    if not state or state.get("watermark_at") is None:
        return None
    return Watermark(state["watermark_at"].astimezone(UTC), state["watermark_id"] or "")


def _backfill_requests(settings: Settings, backfill: tuple[date, date],
                       state: Mapping[str, Any] | None
                       ) -> tuple[list[PullRequest], dict[str, int]]:
    """Return one request per month, resuming inside the range an earlier run stopped in."""
    start, end = backfill
    range_counts = {"range_from": start.toordinal(), "range_to": end.toordinal()}
    resume = None
    if state and state.get("last_status") != "ok":
        stored = _stored_range(state)
        if stored == (start.toordinal(), end.toordinal()):
            resume = _watermark(state)

    requests = []
    for chunk_from, chunk_to in month_chunks(start, end, settings.general.timezone):
        if resume is not None and resume.at >= chunk_to:
            continue
        after = resume if resume is not None and resume.at >= chunk_from else None
        requests.append(PullRequest(after=after, created_from=chunk_from, created_to=chunk_to))
    if resume is not None:
        logger.info("backfill resumes after %s %s", resume.at.isoformat(), resume.record_id)
    return requests, range_counts


def _stored_range(state: Mapping[str, Any]) -> tuple[int, int] | None:
    try:
        counts = json.loads(state.get("last_counts") or "{}")
    except (TypeError, ValueError):
        return None
    if "range_from" not in counts or "range_to" not in counts:
        return None
    return int(counts["range_from"]), int(counts["range_to"])


def backfill_dates(text_from: str, text_to: str) -> tuple[date, date]:
    """Parse the ``--from`` and ``--to`` ISO dates; raise SglError naming the bad one."""
    parsed = []
    for option, text in (("--from", text_from), ("--to", text_to)):
        try:
            parsed.append(date.fromisoformat(text))
        except ValueError:
            raise SglError(_("{option} {value} is not a date: use YYYY-MM-DD.").format(
                option=option, value=text)) from None
    return parsed[0], parsed[1]
