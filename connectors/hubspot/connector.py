"""The HubSpot connector: one generic pull loop over the objects of ``objects.py``.

:meth:`HubSpotConnector.pull` is the registry's entry point (``connectors.registry``): it
picks one of the pulls below and hands its pages to the sink through the shared
``connectors.pull.write_pages``. A request without a watermark is a full pull, one with a
watermark is incremental, one with a creation range is a backfill. Each pull is an iterator
of :class:`~connectors.base.Page`:

- ``incremental``: records changed since the watermark, through search (see ``search.py``),
  each page with the ``(timestamp, id)`` watermark of its last record;
- ``full``: every live record by list paging in id order, pages without a watermark, then
  one empty page whose watermark is the pull's start, so the next incremental pull reads
  what changed during this one;
- ``archived``: the archived-record sweep, pages of ``deleted_ids`` only, since search
  never returns archived records. It is its own object, ``<object>#archived``, so its
  sync_state row keeps when it last ran and it runs at most every
  ``archived_sweep_hours``;
- ``created``: records created in a range, for backfills, with watermarks on the created
  time (the sync saves them apart from the incremental watermark).

Owners come from the owners API (active and archived owners alike) into the users table.
Contacts pages also list the ids that merges removed (``hs_merged_object_ids``) as deletes.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.base import Page, PageSink, Record, Watermark
from connectors.hubspot.associations import read_associations
from connectors.hubspot.client import HubSpotClient, TokenSource
from connectors.hubspot.objects import CRM_OBJECTS, OWNERS, ObjectSpec, wanted_properties
from connectors.hubspot.search import ChangeSearch, SearchStats, key_watermark, record_key, to_ms
from connectors.pull import ProgressCallback, PullCounts, PullRequest, write_pages
from connectors.retry import ApiBudget, CallContext, RetryPolicy, policy_from_settings
from sgl.secrets import HUBSPOT_SECRETS, resolve_secrets
from sgl.settings import Settings

logger = logging.getLogger(__name__)

SOURCE = "hubspot"
LIST_PAGE_LIMIT = 100  # HubSpot's maximum for GET /crm/v3/objects/{type}
BATCH_READ_LIMIT = 100
# Above this many characters of "properties=..." query parameters, a list page requests ids
# only and reads the properties by batch read (POST), so the URL stays short.
# NOTE: HubSpot does not publish its URL limit, so 2,000 characters is a conservative guess.
MAX_PROPERTIES_QUERY_LENGTH = 2_000
SWEEP_SUFFIX = "#archived"


def sweep_object(object_name: str) -> str:
    """Return the name under which the archived sweep of ``object_name`` is pulled."""
    return object_name + SWEEP_SUFFIX


def all_object_names() -> tuple[str, ...]:
    """Return every object name the connector accepts, sweeps included."""
    return (OWNERS, *CRM_OBJECTS, *(sweep_object(name) for name in CRM_OBJECTS))


@dataclass
class PullStats:
    """API work of the connector in this process, for summaries and the benchmark."""

    search: SearchStats
    list_pages: int = 0
    batch_reads: int = 0
    association_reads: int = 0


class HubSpotConnector:
    """Pull HubSpot objects as pages; see the module docstring for the pull kinds."""

    source = SOURCE

    def __init__(self, settings: Settings, *, env: Mapping[str, str] | None = None,
                 token_source: TokenSource | None = None, policy: RetryPolicy | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.settings = settings
        self.hubspot = settings.sources.hubspot
        self._clock = clock
        environment = os.environ if env is None else env
        self.client = HubSpotClient(
            self.hubspot, token_source or _secret_token(settings, environment),
            ca_bundle=_resolved(settings, self.hubspot.ca_bundle),
            policy=policy or policy_from_settings(settings.sources.retry))
        self.stats = PullStats(SearchStats())
        self._budget: ApiBudget | None = None
        self._budget_read = False

    # -- the registry's interface ---------------------------------------------------------

    @property
    def api_calls(self) -> int:
        return self.client.calls

    def objects(self) -> list[str]:
        """Return the configured objects in pull order: owners first, then the CRM objects."""
        configured = set(self.hubspot.objects)
        return [name for name in (OWNERS, *CRM_OBJECTS) if name in configured]

    def objects_to_pull(self, only: Sequence[str] | None = None) -> list[str]:
        """Return the objects a sync pulls, each CRM object followed by its archived sweep."""
        names = []
        for name in self.objects():
            names.append(name)
            if name != OWNERS:
                names.append(sweep_object(name))
        if only:
            wanted = set(only) | {sweep_object(name) for name in only}
            names = [name for name in names if name in wanted]
        return names

    def table_of(self, object_name: str) -> str:
        """Return the canonical table that an object's records feed."""
        base = object_name.removesuffix(SWEEP_SUFFIX)
        return "users" if base == OWNERS else CRM_OBJECTS[base].table

    def pull(self, object_name: str, request: PullRequest, sink: PageSink,
             progress: ProgressCallback | None = None) -> PullCounts:
        """Pull one object as ``request`` specifies, handing each page to ``sink``."""
        budget = self._budget_for_run()
        calls_before = self.client.calls
        counts = PullCounts(mode=self._mode(object_name, request))
        try:
            write_pages(self._pages(object_name, request), sink, counts, progress=progress,
                        budget=budget)
        finally:
            counts.api_calls = self.client.calls - calls_before
        logger.info("hubspot %s: %d records and %d deletes in %d pages, %d API calls (%s)",
                    object_name, counts.records, counts.deleted, counts.pages,
                    counts.api_calls, counts.mode)
        return counts

    def _pages(self, object_name: str, request: PullRequest) -> Iterator[Page]:
        if object_name.endswith(SWEEP_SUFFIX):
            if request.is_backfill:
                return iter(())
            return self.sweep(object_name.removesuffix(SWEEP_SUFFIX), request.after)
        if request.is_backfill:
            assert request.created_from is not None and request.created_to is not None
            return self.created(object_name, request.created_from, request.created_to,
                                after=request.after)
        if request.after is None:
            return self.full(object_name)
        return self.incremental(object_name, request.after)

    def _mode(self, object_name: str, request: PullRequest) -> str:
        if object_name.endswith(SWEEP_SUFFIX):
            return "archived list"
        if request.is_backfill:
            return "search by created date"
        return "list" if request.after is None or object_name == OWNERS else "search"

    def _budget_for_run(self) -> ApiBudget | None:
        if not self._budget_read:
            self._budget = self.budget()
            self._budget_read = True
        return self._budget

    def sweep_due(self, last_sweep: datetime | None) -> bool:
        """Tell whether the archived-record sweep should run, given when it last ran."""
        if last_sweep is None:
            return True
        interval = timedelta(hours=self.hubspot.archived_sweep_hours)
        return self._clock() - last_sweep >= interval

    # -- pulls ---------------------------------------------------------------------------

    def incremental(self, object_name: str, since: Watermark | None) -> Iterator[Page]:
        """Yield pages of the records changed after ``since`` (all records when None)."""
        if object_name == OWNERS:
            yield from self.owners()
            return
        spec = CRM_OBJECTS[object_name]
        until = self._search_horizon()
        search = self._search(spec)
        pages = _Numbered(object_name)
        for batch in search.batches(since, until):
            watermark = key_watermark(record_key(batch[-1], spec.modified_property))
            yield self._page(spec, pages.next(), batch, watermark)
        self._log_search(object_name, search.stats)

    def full(self, object_name: str) -> Iterator[Page]:
        """Yield pages of every live record by list paging, then the closing watermark page."""
        if object_name == OWNERS:
            yield from self.owners()
            return
        spec = CRM_OBJECTS[object_name]
        started = self._search_horizon()
        properties = wanted_properties(spec, self.hubspot)
        hydrate = _query_length(properties) > MAX_PROPERTIES_QUERY_LENGTH
        listed = [spec.modified_property] if hydrate else properties
        pages = _Numbered(object_name)
        for response in self._list(spec.name, listed, archived=False):
            records = response.get("results") or []
            if hydrate and records:
                records = self._batch_read(spec, [record["id"] for record in records],
                                           properties)
            if records:
                yield self._page(spec, pages.next(), records, None)
        # Record id 0 sorts before every real id, so the next search reads all of ``started``.
        yield Page(SOURCE, object_name, pages.next(), [], key_watermark((started, 0)))

    def archived(self, object_name: str) -> Iterator[Page]:
        """Yield pages of the ids of archived records, to be marked deleted."""
        if object_name == OWNERS:
            return
        spec = CRM_OBJECTS[object_name]
        pages = _Numbered(object_name)
        for response in self._list(spec.name, [spec.modified_property], archived=True):
            ids = [str(record["id"]) for record in response.get("results") or []]
            if ids:
                yield Page(SOURCE, object_name, pages.next(), [], None, deleted_ids=ids)

    def sweep(self, object_name: str, last_sweep: Watermark | None) -> Iterator[Page]:
        """Run the archived sweep when it is due, then close with a page marking its time."""
        if last_sweep is not None and not self.sweep_due(last_sweep.at):
            logger.info("hubspot %s: archived sweep not due (last run %s)", object_name,
                        last_sweep.at.isoformat())
            return
        started = to_ms(self._clock())
        pages = 0
        for page in self.archived(object_name):
            pages = page.number
            yield page
        yield Page(SOURCE, object_name, pages + 1, [], key_watermark((started, 0)))

    def created(self, object_name: str, start: datetime, end: datetime,
                after: Watermark | None = None) -> Iterator[Page]:
        """Yield pages of the records created in ``[start, end)``, resuming after ``after``.

        Watermarks are keys on the created time, for the backfill's own progress.
        """
        if object_name == OWNERS:
            yield from self.owners()
            return
        spec = CRM_OBJECTS[object_name]
        search = self._search(spec, time_property=spec.created_property)
        pages = _Numbered(object_name)
        for batch in search.batches(after, to_ms(end) - 1, from_ms=to_ms(start)):
            watermark = key_watermark(record_key(batch[-1], spec.created_property))
            yield self._page(spec, pages.next(), batch, watermark)
        self._log_search(object_name, search.stats)

    def owners(self) -> Iterator[Page]:
        """Yield pages of owners, active and archived (archived owners are former users)."""
        pages = _Numbered(OWNERS)
        for archived in (False, True):
            after: str | None = None
            while True:
                response = self.client.owners_page(after=after, archived=archived,
                                                   context=self._context(OWNERS, "list"))
                owners = response.get("results") or []
                if owners:
                    yield Page(SOURCE, OWNERS, pages.next(), owners, None)
                after = _next_after(response)
                if after is None:
                    break

    # -- API budget ----------------------------------------------------------------------

    def budget(self) -> ApiBudget | None:
        """Return the API budget of this run, primed with today's usage; None when unknown.

        HubSpot reports the daily usage of private apps through the account-info API; calls
        this connector makes afterwards are added as they happen.
        """
        try:
            usage = self.client.daily_usage(self._context("-", "daily usage"))
        except Exception as error:  # noqa: BLE001 - a budget is optional; the pull goes on
            logger.warning("hubspot daily API usage not available (%s); running without a "
                           "budget", type(error).__name__)
            return None
        entries = usage if isinstance(usage, list) else [usage]
        entry = next((item for item in entries if isinstance(item, dict)
                      and item.get("usageLimit")), None)
        if entry is None:
            return None
        return _CountingBudget(self.client, int(entry.get("currentUsage") or 0),
                               int(entry["usageLimit"]), self.hubspot.api_budget_share)

    # -- helpers -------------------------------------------------------------------------

    def _page(self, spec: ObjectSpec, number: int, records: list[Record],
              watermark: Watermark | None) -> Page:
        ids = [str(record["id"]) for record in records]
        associations = []
        if spec.associations:
            self.stats.association_reads += len(spec.associations)
            associations = read_associations(
                self.client, spec.name, spec.associations, ids,
                lambda operation: self._context(spec.name, operation, number), SOURCE)
        return Page(SOURCE, spec.name, number, records, watermark,
                    deleted_ids=_merged_away(records), associations=associations,
                    association_targets=tuple(spec.associations))

    def _search(self, spec: ObjectSpec, time_property: str | None = None) -> ChangeSearch:
        search = ChangeSearch(self.client, spec, wanted_properties(spec, self.hubspot),
                              self.hubspot.page_size,
                              lambda operation: self._context(spec.name, operation),
                              time_property=time_property)
        self.stats.search = search.stats
        return search

    def _list(self, object_type: str, properties: list[str], *, archived: bool
              ) -> Iterator[dict[str, Any]]:
        after: str | None = None
        limit = min(self.hubspot.page_size, LIST_PAGE_LIMIT)
        while True:
            self.stats.list_pages += 1
            response = self.client.list_page(object_type, after=after, limit=limit,
                                             properties=properties, archived=archived,
                                             context=self._context(object_type, "list"))
            yield response
            after = _next_after(response)
            if after is None:
                return

    def _batch_read(self, spec: ObjectSpec, ids: list[str], properties: list[str]
                    ) -> list[Record]:
        records: list[Record] = []
        for start in range(0, len(ids), BATCH_READ_LIMIT):
            self.stats.batch_reads += 1
            response = self.client.batch_read(spec.name, ids[start:start + BATCH_READ_LIMIT],
                                              properties,
                                              self._context(spec.name, "batch read"))
            records += response.get("results") or []
        # A batch read returns records in no set order, and pages keep the list's id order.
        position = {record_id: index for index, record_id in enumerate(ids)}
        return sorted(records, key=lambda record: position.get(str(record["id"]), 0))

    def _search_horizon(self) -> int:
        """Return the newest modified time (epoch ms) that this run's searches read."""
        horizon = self._clock() - timedelta(seconds=self.hubspot.search_delay_seconds)
        return to_ms(horizon)

    def _context(self, object_name: str, operation: str, page: int | str = "-"
                 ) -> CallContext:
        return CallContext(SOURCE, object_name, page, operation)

    def _log_search(self, object_name: str, stats: SearchStats) -> None:
        logger.info("hubspot %s: %d records in %d searches over %d windows (%d splits, %d "
                    "id-ordered milliseconds, %d restarts)", object_name, stats.records,
                    stats.searches, stats.windows, stats.splits,
                    stats.id_ordered_milliseconds, stats.restarts)


class _CountingBudget(ApiBudget):
    """An API budget whose usage is the day's usage at start plus this client's calls."""

    def __init__(self, client: HubSpotClient, used_at_start: int, limit: int,
                 share: float) -> None:
        super().__init__(SOURCE, share)
        self._client = client
        self._calls_at_start = client.calls
        self._used_at_start = used_at_start
        self.record(used_at_start, limit)

    def check(self, context: CallContext) -> None:
        self.record(self._used_at_start + self._client.calls - self._calls_at_start,
                    self.limit or 0)
        super().check(context)


class _Numbered:
    def __init__(self, object_name: str) -> None:
        self.object_name = object_name
        self.count = 0

    def next(self) -> int:
        self.count += 1
        return self.count


def _merged_away(records: list[Record]) -> list[str]:
    """Return the ids that merges folded into these records (HubSpot keeps no record of them)."""
    merged = []
    for record in records:
        value = (record.get("properties") or {}).get("hs_merged_object_ids") or ""
        merged += [part.strip() for part in value.split(";")
                   if part.strip() and part.strip() != str(record["id"])]
    return merged


def _next_after(response: dict[str, Any]) -> str | None:
    after = ((response.get("paging") or {}).get("next") or {}).get("after")
    return str(after) if after else None


def _query_length(properties: list[str]) -> int:
    return sum(len("&properties=") + len(name) for name in properties)


def _secret_token(settings: Settings, env: Mapping[str, str]) -> TokenSource:
    hubspot = settings.sources.hubspot

    def token() -> str:
        secrets = resolve_secrets("HubSpot", HUBSPOT_SECRETS, hubspot.secret_block, env,
                                  "sources.hubspot.secret_block")
        return secrets["access_token"].get_secret_value()
    return token


def _resolved(settings: Settings, path: Path | None) -> Path | None:
    return settings.resolve(path) if path is not None else None


@contextmanager
def open_hubspot(settings: Settings, env: Mapping[str, str]) -> Iterator[HubSpotConnector]:
    """Yield a connector for ``[sources.hubspot]``, with the token from ``sgl.secrets``."""
    yield HubSpotConnector(settings, env=env)
