"""Warehouse glue for attribution and KPIs: read canonical tables, write decisions and persons.

The transforms stay pure; this module is the only place that moves their frames in and out
of the warehouse, through the public :class:`~sgl.warehouse.Warehouse` methods.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from sgl.settings import Settings
from sgl.warehouse import Warehouse
from transforms.attribution import (
    ATTRIBUTION_COLUMNS,
    CANONICAL_SCHEMAS,
    AttributionParams,
    AttributionResult,
    CanonicalFrames,
    attribute,
    decision_key,
    incremental_scope,
    with_decisions,
)
from transforms.identity import persons_table
from transforms.kpis import KpiInputs, KpiParams, prepare
from transforms.rules import RuleSet, load_rules

logger = logging.getLogger(__name__)


@dataclass
class AttributionRun:
    """Summary of one attribution run: records decided, changed and written."""

    full: bool
    leads: int
    opportunities: int
    changed: int                       # records whose origin or channel changed
    persons: int
    counts: pl.DataFrame = field(repr=False)  # records per record_kind, origin, channel
    # whether an incremental run became a full one because the rules or settings changed
    rules_changed: bool = False


def read_frames(warehouse: Warehouse) -> CanonicalFrames:
    """Read the canonical columns attribution and the KPIs use; deleted records stay out."""
    frames = {table: warehouse.read(table, columns=list(schema))
              for table, schema in CANONICAL_SCHEMAS.items()}
    return CanonicalFrames(**frames)


def rules_for(settings: Settings, path: Path | None = None) -> RuleSet:
    """Load ``path``, else the configured rules file, else the shipped rules."""
    return load_rules(path if path is not None else settings.rules_path)


def decide(settings: Settings, frames: CanonicalFrames, rules: RuleSet,
           now: datetime | None = None) -> AttributionResult:
    """Run attribution over every record, without writing anything."""
    return attribute(frames, rules, AttributionParams.from_settings(settings),
                     now or datetime.now(UTC))


def run_attribution(settings: Settings, *, full: bool = False, holder: str = "sgl attribute",
                    now: datetime | None = None) -> AttributionRun:
    """Attribute changed records (or all with ``full``) and save decisions and persons.

    An incremental run recomputes the persons and accounts touched by records loaded since
    the previous run's ``computed_at``. It is a full run when there is no previous run, or
    when the rules or attribution settings differ from the previous run's (a changed rule
    may move records whose data did not change).
    """
    now = now or datetime.now(UTC)
    rules = rules_for(settings)
    params = AttributionParams.from_settings(settings)
    key = decision_key(rules, params)
    with Warehouse.open(settings.warehouse_path, write=True, holder=holder,
                        lock_timeout=settings.warehouse.lock_timeout_seconds) as warehouse:
        frames = read_frames(warehouse)
        previous = frames.attribution
        since = previous.get_column("computed_at").max() if previous.height else None
        last_run = warehouse.last_attribution_run()
        incremental = not full and since is not None
        rules_changed = incremental and (last_run is None or last_run["settings_key"] != key)
        if rules_changed:
            logger.info("attribution rules or settings changed since the run of %s; "
                        "recomputing every record", since)
        scope = incremental_scope(frames, since) if incremental and not rules_changed else None
        result = attribute(frames, rules, params, now, scope=scope, keep_details=False)
        changed = _count_changed(previous, result.table)

        written = warehouse.replace_rows("attribution", ["source", "record_kind", "source_id"],
                                         result.table.select(ATTRIBUTION_COLUMNS))
        persons = persons_table(result.persons)
        warehouse.replace_table("persons", persons)
        _save_person_ids(warehouse, frames.leads, result.persons)

        counts = (result.table.group_by("record_kind", "origin", "channel")
                  .agg(pl.len().alias("records")).sort("record_kind", "origin", "channel"))
        run = AttributionRun(
            full=scope is None, persons=persons.height, changed=changed, counts=counts,
            leads=result.table.filter(pl.col("record_kind") == "lead").height,
            opportunities=result.table.filter(pl.col("record_kind") == "opportunity").height,
            rules_changed=rules_changed)
        warehouse.record_attribution_run(now, is_full=run.full, settings_key=key,
                                         leads=run.leads, opportunities=run.opportunities,
                                         changed=changed)
    logger.info("attribution saved %d decisions (%d changed, %s run), %d persons",
                written, changed, "full" if run.full else "incremental", run.persons)
    return run


def _count_changed(previous: pl.DataFrame, current: pl.DataFrame) -> int:
    keys = ["source", "record_kind", "source_id"]
    joined = current.join(previous.select(*keys, pl.col("origin").alias("_origin"),
                                          pl.col("channel").alias("_channel")),
                          on=keys, how="left")
    return joined.filter(pl.col("_origin").ne_missing(pl.col("origin"))
                         | pl.col("_channel").ne_missing(pl.col("channel"))).height


def _save_person_ids(warehouse: Warehouse, leads: pl.DataFrame, persons: pl.DataFrame) -> None:
    """Write each lead's person_id where it changed (upserting only those rows)."""
    changed = (
        leads.select("source", "source_id", "object", "person_id")
        .join(persons.select("source", "source_id", pl.col("person_id").alias("_person")),
              on=["source", "source_id"], how="inner")
        .filter(pl.col("person_id").ne_missing(pl.col("_person")))
        .select("source", "source_id", "object", pl.col("_person").alias("person_id"))
    )
    if changed.height:
        warehouse.upsert("leads", changed)
        logger.info("person_id updated on %d leads", changed.height)


def kpi_inputs(settings: Settings, holder: str = "sgl kpis") -> KpiInputs:
    """Read the warehouse and prepare the KPI inputs from the stored attribution."""
    with Warehouse.open(settings.warehouse_path, holder=holder,
                        lock_timeout=settings.warehouse.lock_timeout_seconds) as warehouse:
        frames = read_frames(warehouse)
    return prepare(frames, KpiParams.from_settings(settings))


def kpi_inputs_from(settings: Settings, frames: CanonicalFrames,
                    result: AttributionResult) -> KpiInputs:
    """Prepare KPI inputs from frames and a fresh attribution result (nothing stored)."""
    return prepare(with_decisions(frames, result), KpiParams.from_settings(settings),
                   links=result.links)
