"""The one adapter from KPI frames (``transforms.kpis``) to the report model.

It reshapes and labels; every figure comes from a KPI frame as computed there, so the report
shows what ``sgl kpis`` prints. Shares of a total (channel share, target attainment of the
headline) are the only divisions done here, on counts taken from the frames.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl

from reports.formatting import fiscal_year_of
from reports.model import (
    CHANNELS,
    DETAIL_COLUMNS,
    ORIGINS,
    BestAction,
    ChannelRow,
    ConversionRow,
    CostRow,
    DealRow,
    DetailTable,
    Figure,
    Headline,
    LostReason,
    PipelineRow,
    QualityNote,
    ReportModel,
    RepRow,
    SourceNote,
    TrendPoint,
    VelocityRow,
)

Frames = Mapping[str, pl.DataFrame]
TREND_MONTHS = 12


@dataclass(frozen=True)
class KpiSnapshot:
    """The KPI frames one report needs: the month, its comparisons and the trend."""

    month: str  # YYYY-MM
    as_of: date
    current: Frames  # transforms.kpis.all_kpis of the month
    previous_month: Frames | None = None
    previous_year: Frames | None = None
    # lead_counts frames of the trend months, oldest first, the report month last.
    trend: Sequence[tuple[str, pl.DataFrame]] = ()
    # SGLs of the month, one row per lead (source, source_id, created_local_date, rep_id,
    # team, channel, qualified_date, won_date), for the detail table.
    sgl_leads: pl.DataFrame | None = None
    activities_without_duration: int = 0


@dataclass(frozen=True)
class ReportContext:
    """What the report shows beside the KPIs: names, settings and source states."""

    company_name: str
    currency: str
    fiscal_year_start_month: int
    window_days: int
    win_window_days: int
    rep_names: Mapping[str, str] = field(default_factory=dict)  # user id -> display name
    sources: tuple[SourceNote, ...] = ()


def build_model(snapshot: KpiSnapshot, context: ReportContext) -> ReportModel:
    """Build the report model of one month from its KPI frames."""
    current = snapshot.current
    period = date.fromisoformat(snapshot.month + "-01")
    return ReportModel(
        company_name=context.company_name,
        period=period,
        as_of=snapshot.as_of,
        currency=context.currency,
        fiscal_year=fiscal_year_of(period, context.fiscal_year_start_month),
        sql_window_days=context.window_days,
        win_window_days=context.win_window_days,
        headlines=_headlines(snapshot),
        conversion=_conversion(current),
        channels=_channels(current, snapshot.previous_month),
        reps=_reps(current, context.rep_names),
        costs=_costs(current, context.rep_names),
        deals=_deals(current),
        pipeline=_pipeline(current),
        velocity=_velocity(current),
        best_actions=_best_actions(current, context.rep_names),
        lost_reasons=_lost_reasons(current),
        quality_notes=_quality_notes(snapshot),
        sources=context.sources,
        trend=_trend(snapshot.trend),
        detail=_detail(snapshot.sgl_leads, context.rep_names),
    )


# -- headline ------------------------------------------------------------------------------

def _headlines(snapshot: KpiSnapshot) -> tuple[Headline, ...]:
    def figures(metric: str) -> list[Figure | None]:
        return [_headline_figure(frames, metric) if frames is not None else None
                for frames in (snapshot.current, snapshot.previous_month,
                               snapshot.previous_year)]

    units = {"sgl_count": "count", "sgl_sql_rate": "rate", "sgl_win_rate": "rate",
             "sgl_won_amount": "money", "sgl_pipeline_amount": "money",
             "cost_per_sgl": "money"}
    headlines = []
    for metric, unit in units.items():
        current, previous_month, previous_year = figures(metric)
        target = _total_target(snapshot.current) if metric == "sgl_count" else None
        headlines.append(Headline(metric, unit, current or Figure(None), previous_month,  # type: ignore[arg-type]
                                  previous_year, target))
    return tuple(headlines)


def _headline_figure(frames: Frames, metric: str) -> Figure | None:
    if metric == "sgl_count":
        total = frames["sgl_counts"].filter(pl.col("dimension") == "total")
        return Figure.of(_first(total, "value", 0))
    if metric in ("sgl_sql_rate", "sgl_win_rate"):
        stage = "sql" if metric == "sgl_sql_rate" else "won"
        row = _one(frames["cohort_rates"].filter((pl.col("origin") == "sales")
                                                 & (pl.col("stage") == stage)))
        return _rate(row) if row else None
    if metric in ("sgl_won_amount", "sgl_pipeline_amount"):
        measure = "won" if metric == "sgl_won_amount" else "new_pipeline"
        rows = frames["pipeline_mix"].filter(
            (pl.col("scope") == "month") & (pl.col("measure") == measure)
            & (pl.col("origin") == "sales"))
        return Figure.of(_decimal_sum(rows, "value"))
    total = _one(frames["cost_per_sgl"].filter(pl.col("rep_id").is_null()))
    return Figure.of(_decimal(total["value"])) if total else None


def _total_target(frames: Frames) -> Decimal | None:
    targets = frames["target_attainment"]
    for dimension in ("rep", "team"):
        rows = targets.filter(pl.col("dimension") == dimension)
        if rows.height:
            return Decimal(int(rows["denominator"].sum()))
    return None


# -- sections ------------------------------------------------------------------------------

def _conversion(frames: Frames) -> tuple[ConversionRow, ...]:
    totals = frames["lead_counts"].filter(pl.col("channel").is_null())
    rates = frames["cohort_rates"]
    rows = []
    for origin in ORIGINS:
        leads = _first(totals.filter(pl.col("origin") == origin), "value", 0)
        by_stage = {stage: _one(rates.filter((pl.col("origin") == origin)
                                             & (pl.col("stage") == stage)))
                    for stage in ("sql", "won")}
        rows.append(ConversionRow(
            origin, int(leads),
            _rate(by_stage["sql"]) if by_stage["sql"] else Figure.ratio(0, 0),
            _rate(by_stage["won"]) if by_stage["won"] else Figure.ratio(0, 0)))
    return tuple(rows)


def _channels(frames: Frames, previous: Frames | None) -> tuple[ChannelRow, ...]:
    counts = _channel_counts(frames)
    before = _channel_counts(previous) if previous is not None else {}
    total = sum(counts.values())
    channels = [name for name in CHANNELS] + sorted(set(counts) - set(CHANNELS))
    return tuple(ChannelRow(name, counts.get(name, 0),
                            before.get(name, 0) if previous is not None else None,
                            Figure.ratio(counts.get(name, 0), total))
                 for name in channels)


def _channel_counts(frames: Frames) -> dict[str, int]:
    rows = frames["sgl_counts"].filter(pl.col("dimension") == "channel")
    return {row["channel"]: int(row["value"]) for row in rows.iter_rows(named=True)}


def _reps(frames: Frames, names: Mapping[str, str]) -> tuple[RepRow, ...]:
    targets = {row["rep_id"]: row["denominator"] for row in frames["target_attainment"]
               .filter(pl.col("dimension") == "rep").iter_rows(named=True)}
    rows = frames["sgl_counts"].filter(pl.col("dimension") == "rep").sort(
        "value", "rep_id", descending=[True, False])
    return tuple(RepRow(_name(row["rep_id"], names), row["team"] or "", int(row["value"]),
                        _optional_decimal(targets.get(row["rep_id"])))
                 for row in rows.iter_rows(named=True))


def _costs(frames: Frames, names: Mapping[str, str]) -> tuple[CostRow, ...]:
    rows = frames["cost_per_sgl"].sort("rep_id", nulls_last=False)
    return tuple(CostRow(
        None if row["rep_id"] is None else _name(row["rep_id"], names),
        None if row["rep_id"] is None else (row["team"] or ""),
        _decimal(row["effort_hours"]) or Decimal(0),
        _decimal(row["numerator"]) or Decimal(0),
        int(row["denominator"] or 0),
        Figure.of(_decimal(row["value"])))
        for row in rows.iter_rows(named=True))


def _deals(frames: Frames) -> tuple[DealRow, ...]:
    size = frames["won_deal_size"].filter(pl.col("scope") == "month")
    ltv = frames["realized_ltv"]
    rows = []
    for segment in ("sgl", "other"):
        won = _one(size.filter(pl.col("segment") == segment)) or {}
        lifetime = _one(ltv.filter(pl.col("segment") == segment)) or {}
        rows.append(DealRow(segment, int(won.get("denominator") or 0),  # type: ignore[arg-type]
                            _decimal(won.get("value")), _decimal(lifetime.get("value")),
                            int(lifetime.get("denominator") or 0)))
    if not any(row.won_deals or row.accounts for row in rows):
        return ()
    return tuple(rows)


def _pipeline(frames: Frames) -> tuple[PipelineRow, ...]:
    mix = frames["pipeline_mix"].with_columns(
        pl.when(pl.col("origin") == "sales").then(pl.col("channel")).otherwise(None)
        .alias("channel"))
    amounts: dict[tuple[str, str | None], dict[str, Decimal]] = {}
    for row in mix.iter_rows(named=True):
        key = (row["origin"], row["channel"])
        slot = amounts.setdefault(key, {})
        name = row["measure"] + ("_ytd" if row["scope"] == "fiscal_ytd" else "")
        slot[name] = slot.get(name, Decimal(0)) + (_decimal(row["value"]) or Decimal(0))
    order = {origin: index for index, origin in enumerate(ORIGINS)}
    rows = [PipelineRow(origin, channel, slot.get("new_pipeline", Decimal(0)),  # type: ignore[arg-type]
                        slot.get("won", Decimal(0)), slot.get("new_pipeline_ytd", Decimal(0)),
                        slot.get("won_ytd", Decimal(0)))
            for (origin, channel), slot in amounts.items()]
    return tuple(sorted(rows, key=lambda row: (order.get(row.origin, 9), row.channel or "")))


def _velocity(frames: Frames) -> tuple[VelocityRow, ...]:
    frame = frames["velocity"]
    rows = []
    for origin in ORIGINS:
        to_sql = _one(frame.filter((pl.col("origin") == origin)
                                   & (pl.col("measure") == "created_to_sql"))) or {}
        to_won = _one(frame.filter((pl.col("origin") == origin)
                                   & (pl.col("measure") == "sql_to_won"))) or {}
        sql_count, won_count = int(to_sql.get("numerator") or 0), int(to_won.get("numerator")
                                                                     or 0)
        if sql_count or won_count:
            rows.append(VelocityRow(origin, _decimal(to_sql.get("value")), sql_count,
                                    _decimal(to_won.get("value")), won_count))
    return tuple(rows)


def _best_actions(frames: Frames, names: Mapping[str, str]) -> tuple[BestAction, ...]:
    return tuple(BestAction(row["event"], row["name"] or "", _name(row["rep_id"], names),
                            row["channel"] or "", _decimal(row["value"]) or Decimal(0),
                            row["next_step"] or "")
                 for row in frames["best_actions"].sort("rank").iter_rows(named=True))


def _lost_reasons(frames: Frames) -> tuple[LostReason, ...]:
    return tuple(LostReason(row["loss_reason"] or "", int(row["value"]),
                            _decimal(row["amount"]) or Decimal(0))
                 for row in frames["lost_learnings"].sort("rank").iter_rows(named=True))


def _quality_notes(snapshot: KpiSnapshot) -> tuple[QualityNote, ...]:
    frames = snapshot.current
    notes = []
    negative = int(frames["velocity"]["negative_intervals"].sum() or 0)
    if negative:
        notes.append(QualityNote("negative_interval", negative))
    if snapshot.activities_without_duration:
        notes.append(QualityNote("missing_duration", snapshot.activities_without_duration))
    unknown = _first(frames["lead_counts"].filter(
        (pl.col("origin") == "unknown") & pl.col("channel").is_null()), "value", 0)
    if unknown:
        notes.append(QualityNote("unknown_origin", int(unknown)))
    return tuple(notes)


def _trend(months: Sequence[tuple[str, pl.DataFrame]]) -> tuple[TrendPoint, ...]:
    points = []
    for month, counts in months:
        totals = counts.filter(pl.col("channel").is_null())
        points.append(TrendPoint(
            date.fromisoformat(month + "-01"),
            int(_first(totals.filter(pl.col("origin") == "sales"), "value", 0)),
            int(_first(totals.filter(pl.col("origin") == "marketing"), "value", 0))))
    return tuple(points)


def _detail(leads: pl.DataFrame | None, names: Mapping[str, str]) -> DetailTable:
    if leads is None or not leads.height:
        return DetailTable(DETAIL_COLUMNS, ())
    ordered = leads.sort("created_local_date", "source", "source_id")
    rows = tuple((row["created_local_date"], _name(row["rep_id"], names), row["team"] or "",
                  row["channel"], row["qualified_date"], row["won_date"], row["source"],
                  row["source_id"])
                 for row in ordered.iter_rows(named=True))
    return DetailTable(DETAIL_COLUMNS, rows)


# -- values --------------------------------------------------------------------------------

def _rate(row: Mapping[str, Any]) -> Figure:
    return Figure.ratio(int(row["numerator"] or 0), int(row["denominator"] or 0),
                        maturing=bool(row.get("maturing")))


def _one(frame: pl.DataFrame) -> dict[str, Any] | None:
    return frame.row(0, named=True) if frame.height else None


def _first(frame: pl.DataFrame, column: str, default: Any) -> Any:
    return frame[column][0] if frame.height and frame[column][0] is not None else default


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    # Floats (medians, hours) go through their shortest repr, so 12.5 stays 12.5.
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _optional_decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def _decimal_sum(frame: pl.DataFrame, column: str) -> Decimal:
    return sum((_decimal(value) or Decimal(0) for value in frame[column]), Decimal(0))


def _name(user_id: str | None, names: Mapping[str, str]) -> str:
    if user_id is None:
        return ""
    return names.get(user_id) or user_id
