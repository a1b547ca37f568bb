"""The Salesforce connector: signs in, plans each object from describe and pulls its pages."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import timedelta

from connectors.base import PageSink, Watermark
from connectors.pull import ProgressCallback, PullCounts, PullRequest, write_pages
from connectors.retry import ApiBudget, CallContext, policy_from_settings
from connectors.salesforce.client import SOURCE, SalesforceClient
from connectors.salesforce.objects import OBJECT_SPECS, selected_objects
from connectors.salesforce.pages import ObjectPlan, ObjectPull, PullWindow, plan_object
from sgl.settings import Settings

logger = logging.getLogger(__name__)


class SalesforceConnector:
    """Pulls the objects of ``[sources.salesforce]``; one instance per run."""

    source = SOURCE

    def __init__(self, settings: Settings, client: SalesforceClient,
                 budget: ApiBudget | None) -> None:
        self.settings = settings
        self.source_settings = settings.sources.salesforce
        self.client = client
        self.budget = budget
        self._plans: dict[str, ObjectPlan] = {}

    @property
    def api_calls(self) -> int:
        return self.client.api_calls

    def objects_to_pull(self, only: Sequence[str] | None = None) -> list[str]:
        return [spec.name for spec in selected_objects(self.source_settings,
                                                       list(only) if only else None)]

    def table_of(self, object_name: str) -> str:
        return OBJECT_SPECS[object_name].table

    def plan(self, object_name: str) -> ObjectPlan:
        """Describe the object once per run and return its SELECT plan."""
        if object_name not in self._plans:
            self._plans[object_name] = plan_object(self.client, OBJECT_SPECS[object_name],
                                                   self.source_settings)
        return self._plans[object_name]

    def pull(self, object_name: str, request: PullRequest, sink: PageSink,
             progress: ProgressCallback | None = None) -> PullCounts:
        """Pull one object after ``request.after`` (incremental) or in its creation range."""
        if self.budget is not None:
            self.budget.check(CallContext(SOURCE, object_name, 0))
        calls_before = self.client.api_calls
        counts = PullCounts()
        try:
            plan = self.plan(object_name)
            counts.missing_fields = list(plan.missing)
            if request.is_backfill:
                window = PullWindow(start=request.after, created_from=request.created_from,
                                    created_to=request.created_to)
            else:
                window = PullWindow(start=self._start(request), floor=request.after)
            pull = ObjectPull(self.client, plan, window, self.source_settings,
                              time_scale=self.settings.sources.retry.time_scale)
            try:
                write_pages(pull.pages(), sink, counts, progress=progress, budget=self.budget)
            finally:
                if pull.mode != "rest":
                    counts.mode = pull.mode
        finally:
            counts.api_calls = self.client.api_calls - calls_before
        logger.info("salesforce %s: %d records and %d deletes in %d pages, %d API calls (%s)",
                    object_name, counts.records, counts.deleted, counts.pages,
                    counts.api_calls, counts.mode)
        return counts

    def _start(self, request: PullRequest) -> Watermark | None:
        """Return the key to read after: the watermark minus the overlap window, if any."""
        after = request.after
        overlap = self.source_settings.overlap_seconds
        if after is None or request.is_backfill or overlap == 0:
            return after
        # Re-read from the start of the overlap, including ties at that instant (Id > '').
        return Watermark(after.at - timedelta(seconds=overlap), "")


@contextmanager
def open_salesforce(settings: Settings, env: Mapping[str, str]
                    ) -> Iterator[SalesforceConnector]:
    """Sign in to the org of ``[sources.salesforce]`` and yield a connector."""
    source = settings.sources.salesforce
    budget = ApiBudget(SOURCE, source.api_budget_share)
    client = SalesforceClient(settings, policy_from_settings(settings.sources.retry), budget,
                              env)
    client.connect()
    try:
        yield SalesforceConnector(settings, client, budget)
    finally:
        client.session.close()
