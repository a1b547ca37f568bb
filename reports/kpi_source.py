"""Read the warehouse and compute the KPI frames one report needs (the month, last month,
the same month last year and a 12-month trend), with rep names and source states."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import polars as pl

from reports.adapter import TREND_MONTHS, KpiSnapshot, ReportContext
from reports.model import SourceNote
from sgl.attribution_store import read_frames
from sgl.settings import Settings
from sgl.warehouse import Warehouse
from transforms.attribution import CanonicalFrames
from transforms.kpis import (
    KpiParams,
    all_kpis,
    counted_in,
    lead_counts,
    month_bounds,
    prepare,
)

CRM_SOURCES = ("salesforce", "hubspot")


def collect(warehouse: Warehouse, settings: Settings, month: str,
            as_of: date) -> tuple[KpiSnapshot, ReportContext]:
    """Compute the snapshot of ``month`` as of ``as_of`` and the context around it."""
    month_bounds(month)
    frames = read_frames(warehouse)
    params = KpiParams.from_settings(settings)
    inputs = prepare(frames, params)

    months = _months_back(month, TREND_MONTHS)
    previous_month, previous_year = months[-2], months[0]
    sgl_leads = inputs.leads.filter(counted_in(month) & (pl.col("origin") == "sales"))
    without_duration = inputs.activities.filter(
        (pl.col("period") == month) & pl.col("duration_minutes").is_null()).height
    snapshot = KpiSnapshot(
        month=month, as_of=as_of,
        current=all_kpis(inputs, month, as_of),
        previous_month=all_kpis(inputs, previous_month, as_of),
        previous_year=all_kpis(inputs, previous_year, as_of),
        trend=[(name, lead_counts(inputs, name)) for name in months[1:]],
        sgl_leads=sgl_leads,
        activities_without_duration=without_duration,
    )
    context = ReportContext(
        company_name=settings.general.company_name,
        currency=settings.general.reporting_currency,
        fiscal_year_start_month=settings.general.fiscal_year_start_month,
        window_days=settings.kpi.window_days,
        win_window_days=settings.kpi.win_window_days,
        rep_names=_rep_names(frames),
        sources=source_notes(frames, warehouse.sync_states(), settings),
    )
    return snapshot, context


def source_notes(frames: CanonicalFrames, sync_states: pl.DataFrame,
                 settings: Settings) -> tuple[SourceNote, ...]:
    """State of each source: data with origin decisions, data without them, or no data."""
    enabled = [name for name in CRM_SOURCES if getattr(settings.sources, name).enabled]
    with_leads = set(frames.leads["source"].unique().to_list())
    # A source with opportunities but no leads (an export such as Maven's) has data but no
    # lead origin at all.
    with_data = with_leads | set(frames.opportunities["source"].unique().to_list())
    decided = set(frames.attribution.filter(pl.col("record_kind") == "lead")["source"]
                  .unique().to_list())
    zone = ZoneInfo(settings.general.timezone)
    notes = []
    for source in sorted(set(enabled) | with_data):
        synced = sync_states.filter(pl.col("source") == source)["last_run_at"].max() \
            if sync_states.height else None
        last_sync = synced.astimezone(zone).date() if synced is not None else None
        if source not in with_data:
            status = "missing"
        elif source not in decided:
            status = "no_origin_data"
        else:
            status = "ok"
        notes.append(SourceNote(source, status, last_sync))  # type: ignore[arg-type]
    return tuple(notes)


def _rep_names(frames: CanonicalFrames) -> dict[str, str]:
    users = frames.users.filter(pl.col("name").is_not_null())
    return dict(zip(users["source_id"].to_list(), users["name"].to_list(), strict=True))


def _months_back(month: str, count: int) -> list[str]:
    """Return the ``count`` months before ``month`` and ``month`` itself, oldest first."""
    first, _last = month_bounds(month)
    index = first.year * 12 + first.month - 1
    return [f"{(index - back) // 12:04d}-{(index - back) % 12 + 1:02d}"
            for back in range(count, -1, -1)]
