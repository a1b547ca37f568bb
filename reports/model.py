"""The report model: every figure the monthly report shows, and nothing the templates compute.

One adapter (``reports.adapter``) fills it from the KPI frames; the templates, charts, CSV
export and checksums read only these dataclasses. Amounts are ``Decimal`` in the reporting
currency; rates keep their numerator and denominator, and a rate whose denominator is 0 has
no value (it is shown empty, never as 0 %).

CRM strings (rep names, teams, account and opportunity names, loss reasons, next steps) are
plain ``str`` data here. The templates escape them and never compile them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

Origin = Literal["sales", "marketing", "partner", "unknown"]
Unit = Literal["count", "rate", "money", "hours"]

ORIGINS: tuple[Origin, ...] = ("sales", "marketing", "partner", "unknown")
CHANNELS = ("referral", "dormant_revival", "network", "social", "abm", "other_sales")


@dataclass(frozen=True)
class Figure:
    """One number of the report; a rate also carries its numerator and denominator."""

    value: Decimal | None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    # A cohort younger than its window: shown, but never as final.
    maturing: bool = False

    @classmethod
    def ratio(cls, numerator: int | Decimal, denominator: int | Decimal,
              maturing: bool = False) -> Figure:
        """Build a rate; an empty denominator gives an empty value, not zero."""
        numerator, denominator = Decimal(numerator), Decimal(denominator)
        value = numerator / denominator if denominator else None
        return cls(value, numerator, denominator, maturing)

    @classmethod
    def of(cls, value: int | Decimal | None, maturing: bool = False) -> Figure:
        return cls(None if value is None else Decimal(value), maturing=maturing)


@dataclass(frozen=True)
class Headline:
    """A headline KPI with last month, the same month last year and the target."""

    metric: str  # one of HEADLINE_METRICS
    unit: Unit
    current: Figure
    previous_month: Figure | None = None
    previous_year: Figure | None = None
    target: Decimal | None = None

    @property
    def month_change(self) -> Decimal | None:
        return _difference(self.current, self.previous_month)

    @property
    def year_change(self) -> Decimal | None:
        return _difference(self.current, self.previous_year)

    @property
    def attainment(self) -> Decimal | None:
        """Share of the target reached; None without a target or a value."""
        if self.target is None or not self.target or self.current.value is None:
            return None
        return self.current.value / self.target


# Headline metrics in display order; the templates hold their labels.
HEADLINE_METRICS = ("sgl_count", "sgl_sql_rate", "sgl_win_rate", "sgl_won_amount",
                    "sgl_pipeline_amount", "cost_per_sgl")


@dataclass(frozen=True)
class ConversionRow:
    """One origin's cohort of the month: lead count and the SQL and win rates."""

    origin: Origin
    leads: int
    sql_rate: Figure
    win_rate: Figure


@dataclass(frozen=True)
class ChannelRow:
    channel: str  # one of CHANNELS
    sgl_count: int
    previous_month: int | None
    share: Figure


@dataclass(frozen=True)
class RepRow:
    """A credited rep's SGLs of the month (names are CRM data)."""

    rep: str
    team: str
    sgl_count: int
    target: Decimal | None

    @property
    def attainment(self) -> Decimal | None:
        if not self.target:
            return None
        return Decimal(self.sgl_count) / self.target


@dataclass(frozen=True)
class CostRow:
    """Prospecting effort and cost per SGL of one rep; ``rep`` None is the total line."""

    rep: str | None
    team: str | None
    effort_hours: Decimal
    cost: Decimal
    sgl_count: int
    cost_per_sgl: Figure


@dataclass(frozen=True)
class DealRow:
    """Won deals of SGL-sourced (``segment`` sgl) or other deals: average size and LTV."""

    segment: Literal["sgl", "other"]
    won_deals: int
    average_deal_size: Decimal | None
    realized_ltv: Decimal | None
    accounts: int


@dataclass(frozen=True)
class PipelineRow:
    """New pipeline (by creation month) and won amount (by close month) of an origin/channel."""

    origin: Origin
    channel: str | None
    new_pipeline: Decimal
    won: Decimal
    new_pipeline_ytd: Decimal
    won_ytd: Decimal


@dataclass(frozen=True)
class VelocityRow:
    """Median days created→SQL and SQL→won of an origin, with the number of intervals."""

    origin: Origin
    days_to_sql: Decimal | None
    sql_intervals: int
    days_sql_to_won: Decimal | None
    won_intervals: int


@dataclass(frozen=True)
class BestAction:
    """One of the month's top SGL opportunities by amount (CRM strings)."""

    event: Literal["created", "won"]
    opportunity: str
    rep: str
    channel: str
    amount: Decimal
    next_step: str


@dataclass(frozen=True)
class LostReason:
    reason: str  # CRM value; empty means no reason recorded
    opportunities: int
    amount: Decimal


@dataclass(frozen=True)
class QualityNote:
    """A data-quality finding: ``kind`` selects the sentence, ``count`` the records."""

    kind: Literal["negative_interval", "missing_duration", "unconverted_currency",
                  "unknown_origin"]
    count: int
    metric: str | None = None


@dataclass(frozen=True)
class SourceNote:
    """State of one CRM source for this report."""

    source: str  # salesforce, hubspot, or an import name
    status: Literal["ok", "no_origin_data", "missing"]
    last_sync: date | None = None


@dataclass(frozen=True)
class TrendPoint:
    """SGL and MQL counts of one month, for the trend chart."""

    period: date
    sgl_count: int
    mql_count: int


@dataclass(frozen=True)
class DetailTable:
    """SGLs of the month row by row: the PDF shows the first rows, the CSV all of them."""

    columns: tuple[str, ...]  # keys of DETAIL_COLUMNS
    rows: tuple[tuple[str | int | Decimal | date | None, ...], ...]


DETAIL_COLUMNS = ("created", "rep", "team", "channel", "qualified", "won", "source", "record_id")


@dataclass(frozen=True)
class ReportModel:
    """The whole monthly report for one period, as of one date."""

    company_name: str
    period: date  # first day of the month
    as_of: date
    currency: str
    fiscal_year: int  # named by the year in which it starts
    sql_window_days: int
    win_window_days: int
    headlines: tuple[Headline, ...] = ()
    conversion: tuple[ConversionRow, ...] = ()
    channels: tuple[ChannelRow, ...] = ()
    reps: tuple[RepRow, ...] = ()
    costs: tuple[CostRow, ...] = ()
    deals: tuple[DealRow, ...] = ()
    pipeline: tuple[PipelineRow, ...] = ()
    velocity: tuple[VelocityRow, ...] = ()
    best_actions: tuple[BestAction, ...] = ()
    lost_reasons: tuple[LostReason, ...] = ()
    quality_notes: tuple[QualityNote, ...] = ()
    sources: tuple[SourceNote, ...] = ()
    trend: tuple[TrendPoint, ...] = ()
    detail: DetailTable = field(default_factory=lambda: DetailTable(DETAIL_COLUMNS, ()))
    # Set at render time when a report of this period was sent with other figures.
    restated: bool = False
    restated_from: date | None = None

    @property
    def is_empty(self) -> bool:
        """No lead of any origin was created in the month."""
        return not any(row.leads for row in self.conversion)

    @property
    def sources_without_origin(self) -> tuple[SourceNote, ...]:
        return tuple(note for note in self.sources if note.status == "no_origin_data")

    @property
    def missing_sources(self) -> tuple[SourceNote, ...]:
        return tuple(note for note in self.sources if note.status == "missing")

    @property
    def has_origin_data(self) -> bool:
        """At least one source delivered origin data, so SGL counts mean something."""
        return any(note.status == "ok" for note in self.sources) or not self.sources


def _difference(current: Figure, previous: Figure | None) -> Decimal | None:
    if previous is None or current.value is None or previous.value is None:
        return None
    return current.value - previous.value
