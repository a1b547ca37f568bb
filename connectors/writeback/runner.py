"""One write-back run: plan from the warehouse, check the fields, then re-read and write.

Steps of :func:`write_back`:

1. plan per CRM in Polars (:mod:`transforms.writeback_plan`): decisions joined with the
   values of the last pull and the product's last writes;
2. stop before any CRM call when an applied run would change more records than
   ``max_changes_per_run`` and ``confirm_large`` is not given;
3. sign in to each CRM with something to write and check every target field of the objects
   involved. Any problem stops the run before any write, with one error listing them all;
4. per object, in batches (200 Salesforce records, 100 HubSpot records): re-read the fields
   with one call, classify again, then write the rest (sObject Collections, Bulk API 2.0
   ingest above ``bulk_threshold`` records of one object, HubSpot batch update);
5. append one ``writeback_log`` row per field attempted, batch by batch, so a stopped run
   keeps its audit. A dry run does steps 1 to 4 without the writes and logs ``dry_run``.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Protocol

import polars as pl

from connectors.errors import RetriableError
from connectors.retry import StopRun
from connectors.writeback.batches import RecordChange, RecordOutcome
from connectors.writeback.errors import ChangeCapExceeded, TargetFieldsInvalid, WritebackDisabled
from connectors.writeback.targets import (
    HUBSPOT,
    SALESFORCE,
    Target,
    targets_frame,
    targets_from_settings,
)
from sgl.i18n import _
from sgl.settings import Settings, WritebackSettings
from sgl.warehouse import Warehouse
from transforms.writeback_plan import (
    DRY_RUN,
    FAILED,
    FIELD_KEY,
    RECORD_KEY,
    SKIPPED_PERSON_SET,
    STATE_SCHEMA,
    WRITE,
    WRITTEN,
    desired_values,
    plan_changes,
    pulled_values,
    recheck,
    record_decisions,
)

logger = logging.getLogger(__name__)

# Records per Bulk API 2.0 ingest job; a job's CSV must stay under 100 MB.
BULK_JOB_RECORDS = 10_000
LOG_COLUMNS = ["run_id", *FIELD_KEY, "before", "after", "result", "error"]
LOG_SCHEMA = {name: pl.Utf8 for name in LOG_COLUMNS}


class CrmWriter(Protocol):
    """The calls write-back makes on one CRM; see ``salesforce.py`` and ``hubspot.py``."""

    source: str

    @property
    def api_calls(self) -> int: ...

    def check_fields(self, targets: Sequence[Target],
                     values: Mapping[tuple[str, str], set[str]]) -> list[str]: ...

    def read_current(self, object_name: str, ids: Sequence[str], fields: Sequence[str],
                     label: str) -> pl.DataFrame: ...

    def write(self, object_name: str, changes: Sequence[RecordChange],
              label: str) -> list[RecordOutcome]: ...


WriterOpener = Callable[[str], AbstractContextManager[CrmWriter]]


@dataclass(frozen=True)
class WritebackOptions:
    """Options of one run: ``apply`` writes (else a dry run), ``limit`` caps the records."""

    apply: bool = False
    limit: int | None = None
    confirm_large: bool = False
    sources: tuple[str, ...] | None = None  # None: every enabled source
    run_id: str | None = None


@dataclass
class WritebackReport:
    """The outcome of a run: its log rows, the records planned and the API calls per CRM."""

    run_id: str
    applied: bool
    planned_records: int
    rows: pl.DataFrame
    api_calls: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        """Return the number of log rows per result."""
        return dict(self.rows.group_by("result").len().sort("result").iter_rows())


def new_run_id() -> str:
    return "wb-" + uuid.uuid4().hex[:12]


def enabled_sources(settings: Settings) -> tuple[str, ...]:
    sources = settings.sources
    return tuple(name for name, enabled in ((SALESFORCE, sources.salesforce.enabled),
                                            (HUBSPOT, sources.hubspot.enabled)) if enabled)


# -- entry points ----------------------------------------------------------------------------

def run_writeback(settings: Settings, options: WritebackOptions, *,
                  env: Mapping[str, str] | None = None,
                  open_writer: WriterOpener | None = None) -> WritebackReport:
    """Open the warehouse for writing and run :func:`write_back`."""
    if options.apply and settings.writeback.mode == "off":
        raise WritebackDisabled(_("Write-back is off ([writeback] mode = \"off\"). Set mode to "
                                  "\"dry-run\" or \"on\" to write to the CRM."))
    with Warehouse.open(settings.warehouse_path, write=True, holder="sgl writeback",
                        lock_timeout=settings.warehouse.lock_timeout_seconds) as warehouse:
        return write_back(warehouse, settings, options, env=env, open_writer=open_writer)


def run_for_flow(settings: Settings, env: Mapping[str, str] | None = None
                 ) -> WritebackReport | None:
    """Run write-back as ``[writeback] mode`` sets: skip (off), preview (dry-run), apply (on).

    A flow never confirms a large run: above ``max_changes_per_run`` it raises
    :class:`ChangeCapExceeded`, and an admin runs ``sgl writeback --apply --confirm-large``.
    """
    mode = settings.writeback.mode
    if mode == "off":
        logger.info("write-back skipped: [writeback] mode is off")
        return None
    return run_writeback(settings, WritebackOptions(apply=mode == "on"), env=env)


def write_back(warehouse: Warehouse, settings: Settings, options: WritebackOptions, *,
               env: Mapping[str, str] | None = None,
               open_writer: WriterOpener | None = None) -> WritebackReport:
    """Run write-back on an open warehouse; see the module docstring for the steps."""
    started = time.monotonic()
    run_id = options.run_id or new_run_id()
    sources = options.sources or enabled_sources(settings)
    plans = {source: plan_source(warehouse, settings, source) for source in sources}
    plans = limit_plans(plans, options.limit)
    planned = sum(_records_to_write(plan) for plan in plans.values())

    cap = settings.writeback.max_changes_per_run
    if options.apply and planned > cap and not options.confirm_large:
        raise ChangeCapExceeded(
            _("Write-back would change {planned} records, more than the limit of {cap} per run "
              "([writeback] max_changes_per_run). Check the dry run (`sgl writeback`), then run "
              "`sgl writeback --apply --confirm-large`, or use --limit.").format(
                planned=planned, cap=cap),
            planned=planned, cap=cap)

    opener = open_writer or default_opener(settings, env)
    audit = AuditLog(warehouse, run_id)
    calls: dict[str, int] = {}
    logger.info("write-back %s started (%s): %d records to change in %s", run_id,
                "apply" if options.apply else "dry run", planned, ", ".join(sources) or "-")
    with ExitStack() as stack:
        writers = {source: stack.enter_context(opener(source)) for source in sources
                   if _records_to_write(plans[source])}
        baseline = {source: writer.api_calls for source, writer in writers.items()}
        check_targets(settings, plans, writers)
        for source in sources:
            writer = writers.get(source)
            try:
                execute(plans[source], writer, audit, settings.writeback, apply=options.apply)
            finally:
                if writer is not None:
                    calls[source] = writer.api_calls - baseline[source]

    report = WritebackReport(run_id, options.apply, planned, audit.rows(), calls,
                             time.monotonic() - started)
    logger.info("write-back %s finished in %.1fs: %s, API calls %s", run_id, report.seconds,
                report.counts(), calls)
    return report


def default_opener(settings: Settings, env: Mapping[str, str] | None) -> WriterOpener:
    """Return an opener that signs in with the connectors' own clients and settings."""
    environment = os.environ if env is None else env

    @contextmanager
    def open_writer(source: str) -> Iterator[CrmWriter]:
        if source == SALESFORCE:
            from connectors.salesforce.connector import open_salesforce
            from connectors.writeback.salesforce import SalesforceWriter

            with open_salesforce(settings, environment) as connector:
                yield SalesforceWriter(connector.client,
                                       time_scale=settings.sources.retry.time_scale)
        else:
            from connectors.hubspot.connector import HubSpotConnector
            from connectors.writeback.hubspot import HubSpotWriter

            yield HubSpotWriter(HubSpotConnector(settings, env=environment).client)

    return open_writer


# -- planning --------------------------------------------------------------------------------

def plan_source(warehouse: Warehouse, settings: Settings, source: str) -> pl.DataFrame:
    """Return the plan of one CRM (``transforms.writeback_plan.PLAN_COLUMNS``)."""
    targets = targets_frame(targets_from_settings(settings, source))
    filters = {"source": source}
    attribution = warehouse.read("attribution", filters=filters)
    leads = warehouse.read("leads", ["source", "source_id", "object", "converted_at",
                                     "contact_id", "opportunity_id", "raw", "modified_at"],
                           filters)
    opportunities = warehouse.read("opportunities", ["source", "source_id", "object", "raw",
                                                     "modified_at"], filters)
    pulled_columns = ["source", "object", "source_id", "raw", "modified_at"]
    records = pl.concat([leads.select(pulled_columns), opportunities.select(pulled_columns)])
    decisions = record_decisions(attribution, leads, opportunities)
    return plan_changes(desired_values(decisions, targets),
                        pulled_values(records.with_columns(pl.col("raw").cast(pl.Utf8)),
                                      targets),
                        warehouse.writeback_state(source).cast(STATE_SCHEMA))  # type: ignore[arg-type]


def limit_plans(plans: dict[str, pl.DataFrame], limit: int | None) -> dict[str, pl.DataFrame]:
    """Keep the writes of the first ``limit`` records (CRM, object, id order); skips stay."""
    if limit is None:
        return plans
    limited = {}
    remaining = limit
    for source, plan in plans.items():
        keys = (plan.filter(pl.col("action") == WRITE).select(RECORD_KEY).unique()
                .sort(RECORD_KEY).head(max(remaining, 0)))
        remaining -= keys.height
        limited[source] = pl.concat([
            plan.filter(pl.col("action") != WRITE),
            plan.filter(pl.col("action") == WRITE).join(keys, on=RECORD_KEY, how="semi"),
        ])
    return limited


def _records_to_write(plan: pl.DataFrame) -> int:
    return plan.filter(pl.col("action") == WRITE).select(RECORD_KEY).unique().height


def check_targets(settings: Settings, plans: Mapping[str, pl.DataFrame],
                  writers: Mapping[str, CrmWriter]) -> None:
    """Check the target fields of every object with writes; raise one error for all problems."""
    problems: list[str] = []
    for source, writer in writers.items():
        writes = plans[source].filter(pl.col("action") == WRITE)
        objects = set(writes["object"].unique().to_list())
        targets = [target for target in targets_from_settings(settings, source)
                   if target.object in objects]
        values: dict[tuple[str, str], set[str]] = {}
        choices = writes.filter(pl.col("part").is_in(["origin", "channel"]))
        for object_name, field_name, after in choices.select("object", "field", "after").unique(
                ).iter_rows():
            values.setdefault((object_name, field_name), set()).add(after)
        problems += writer.check_fields(targets, values)
    if problems:
        logger.error("write-back stopped: %d target fields cannot be written", len(problems))
        raise TargetFieldsInvalid(
            _("Write-back cannot start, so nothing was written:") + "\n"
            + "\n".join(f"- {problem}" for problem in problems),
            problems=problems)


# -- execution -------------------------------------------------------------------------------

class AuditLog:
    """The ``writeback_log`` rows of one run, appended to the warehouse as they happen."""

    def __init__(self, warehouse: Warehouse, run_id: str) -> None:
        self.warehouse = warehouse
        self.run_id = run_id
        self._frames: list[pl.DataFrame] = []

    def append(self, rows: pl.DataFrame) -> None:
        if not rows.height:
            return
        frame = rows.with_columns(run_id=pl.lit(self.run_id)).select(LOG_COLUMNS).cast(
            LOG_SCHEMA)  # type: ignore[arg-type]
        self.warehouse.append_writeback_log(frame)
        self._frames.append(frame)

    def rows(self) -> pl.DataFrame:
        if not self._frames:
            return pl.DataFrame(schema=LOG_SCHEMA)
        return pl.concat(self._frames)


def execute(plan: pl.DataFrame, writer: CrmWriter | None, audit: AuditLog,
            settings: WritebackSettings, *, apply: bool) -> None:
    """Log the person-set skips of ``plan``, then re-read and write its changes per batch."""
    audit.append(plan.filter(pl.col("action") == SKIPPED_PERSON_SET).select(
        *FIELD_KEY, before=pl.col("pulled"), after=pl.col("after"),
        result=pl.col("action"), error=pl.lit(None, pl.Utf8)))
    writes = plan.filter(pl.col("action") == WRITE)
    if writer is None or not writes.height:
        return

    salesforce = writer.source == SALESFORCE
    size = settings.salesforce_batch_size if salesforce else settings.hubspot_batch_size
    for object_name in sorted(writes["object"].unique().to_list()):
        rows = writes.filter(pl.col("object") == object_name)
        ids = rows.select(pl.col("source_id").unique().sort())
        bulk = apply and salesforce and ids.height > settings.bulk_threshold
        # Numbering the records once and partitioning keeps the batching linear in rows.
        numbered = ids.with_columns(batch=pl.int_range(pl.len()) // size + 1)
        batches = rows.join(numbered, on="source_id").partition_by(
            "batch", as_dict=True, include_key=False)
        pending: list[pl.DataFrame] = []
        for (number,), batch in sorted(batches.items()):
            label = str(number)
            chunk = batch["source_id"].unique(maintain_order=True).to_list()
            fields = sorted(batch["field"].unique().to_list())
            checked = recheck(batch, writer.read_current(object_name, chunk, fields, label))
            if not apply:
                audit.append(checked.with_columns(
                    result=pl.when(pl.col("result") == WRITE).then(pl.lit(DRY_RUN))
                    .otherwise(pl.col("result"))))
                continue
            audit.append(checked.filter(pl.col("result") != WRITE))
            ready = checked.filter(pl.col("result") == WRITE)
            if not bulk:
                _send(writer.write, object_name, ready, label, audit)
                continue
            pending.append(ready)
            if sum(frame["source_id"].n_unique() for frame in pending) >= BULK_JOB_RECORDS:
                _send(writer.write_bulk, object_name, pl.concat(pending),  # type: ignore[attr-defined]
                      f"bulk {number}", audit)
                pending = []
        if pending:
            _send(writer.write_bulk, object_name, pl.concat(pending),  # type: ignore[attr-defined]
                  "bulk last", audit)


def _send(write: Callable[[str, Sequence[RecordChange], str], list[RecordOutcome]],
          object_name: str, ready: pl.DataFrame, label: str, audit: AuditLog) -> None:
    """Write the ``ready`` rows and log each field as written or failed."""
    if not ready.height:
        return
    grouped = ready.group_by("source_id", maintain_order=True).agg("field", "after")
    changes = [RecordChange(record_id, dict(zip(fields, values, strict=True)))
               for record_id, fields, values in grouped.iter_rows()]
    try:
        outcomes = write(object_name, changes, label)
    except (RetriableError, StopRun) as error:
        logger.error("write-back of %s batch %s stopped after retries: %s", object_name, label,
                     type(error).__name__)
        audit.append(ready.with_columns(result=pl.lit(FAILED),
                                        error=pl.lit(type(error).__name__)))
        raise
    outcome_frame = pl.DataFrame(
        {"source_id": [outcome.source_id for outcome in outcomes],
         "outcome_error": [outcome.error for outcome in outcomes],
         "reported": [True] * len(outcomes)},
        schema={"source_id": pl.Utf8, "outcome_error": pl.Utf8, "reported": pl.Boolean})
    # A record the CRM response does not mention counts as failed, never as written.
    logged = ready.join(outcome_frame, on="source_id", how="left").with_columns(
        result=pl.when(pl.col("reported") & pl.col("outcome_error").is_null())
        .then(pl.lit(WRITTEN)).otherwise(pl.lit(FAILED)),
        error=pl.when(pl.col("reported")).then(pl.col("outcome_error"))
        .otherwise(pl.lit("NO_RESULT")))
    audit.append(logged)
    failed = sum(1 for outcome in outcomes if outcome.error)
    logger.info("write-back %s batch %s: %d records, %d failed", object_name, label,
                len(changes), failed)
