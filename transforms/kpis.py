"""SGL scorecard KPIs: pure functions from canonical frames and settings to tidy frames.

:func:`prepare` joins the canonical tables with their attribution once; every KPI function
then takes the prepared :class:`KpiInputs`, a month ``YYYY-MM`` and, where it matters, the
as-of date, and returns a tidy frame with ``period``, its dimension keys, ``value``,
``numerator``, ``denominator`` and ``maturing``.

Conventions, shared by every function:

- A timestamp's month is its month in the configured time zone: 2025-03-31T16:00Z is
  2025-04-01 01:00 in Asia/Tokyo, so it counts in April. Date-only fields (``closed_at``)
  are used as they are.
- Leads are counted once per person (:mod:`transforms.identity`), at the person's earliest
  record; the person's qualification and won dates are the earliest over all its records.
- Cohort windows compare local dates: an event is within W days when
  ``event_date <= created_local_date + W``. A cohort is maturing while
  ``last day of its month + W > as_of``.
- Amounts are exact decimals converted to the reporting currency (rates are kept to six
  decimal places); averages and per-SGL costs are rounded half-up (away from zero) to the
  currency's minor unit.
- A rate whose denominator is 0 is null, never 0.
"""

from __future__ import annotations

import calendar
import logging
import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
from babel.numbers import get_currency_precision

from sgl.errors import SglError
from sgl.frames import same_keys, spread
from sgl.i18n import _
from transforms.attribution import (
    AttributionParams,
    CanonicalFrames,
    link_opportunities,
    local_date,
    user_lookup,
    user_roles,
)
from transforms.distinct import map_distinct
from transforms.identity import creation_rank
from transforms.rules import ORIGINS

logger = logging.getLogger(__name__)

MONEY = pl.Decimal(38, 10)  # converted amounts: 4 decimals of the amount + 6 of the rate
# Effort minutes are added up in these units (ten-thousandths of a minute).
MINUTE_UNITS = 10_000
MONEY_SCALE = 10
RATE = pl.Decimal(38, 6)
TOP_ACTIONS = 5
TOP_LOSS_REASONS = 10
SEGMENTS = ("sgl", "other")


class KpiError(SglError):
    """The KPIs cannot be computed from the data and settings as they are."""


@dataclass(frozen=True)
class KpiParams:
    """The settings the KPIs read, as plain values (see ``[general]`` and ``[kpi]``)."""

    timezone: str = "Asia/Tokyo"
    fiscal_year_start_month: int = 4
    reporting_currency: str = "JPY"
    currency_rates: Mapping[str, Decimal] = field(default_factory=dict)
    window_days: int = 90
    win_window_days: int = 365
    default_minutes: Mapping[str, float] = field(default_factory=lambda: {
        "call": 10.0, "meeting": 60.0, "email": 5.0, "task": 15.0, "letter": 15.0,
        "other": 10.0})
    hourly_cost_by_role: Mapping[str, Decimal] = field(default_factory=dict)
    hourly_cost_by_user: Mapping[str, Decimal] = field(default_factory=dict)
    targets_by_rep: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    targets_by_team: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    attribution: AttributionParams = field(default_factory=AttributionParams)

    @classmethod
    def from_settings(cls, settings: Any) -> KpiParams:
        """Build the parameters from a loaded ``sgl.settings.Settings``."""
        general, kpi = settings.general, settings.kpi
        return cls(
            timezone=general.timezone,
            fiscal_year_start_month=general.fiscal_year_start_month,
            reporting_currency=general.reporting_currency,
            currency_rates=dict(general.currency_rates),
            window_days=kpi.window_days,
            win_window_days=kpi.win_window_days,
            default_minutes=dict(kpi.default_minutes),
            hourly_cost_by_role=dict(kpi.hourly_cost_by_role),
            hourly_cost_by_user=dict(kpi.hourly_cost_by_user),
            targets_by_rep={key: dict(value) for key, value in kpi.targets_by_rep.items()},
            targets_by_team={key: dict(value) for key, value in kpi.targets_by_team.items()},
            attribution=AttributionParams.from_settings(settings),
        )

    @property
    def minor_digits(self) -> int:
        return get_currency_precision(self.reporting_currency)


@dataclass
class KpiInputs:
    """Canonical frames joined with their attribution, ready for the KPI functions."""

    # every lead with its period and cohort dates. ``counted`` marks the one row per person
    # that the KPIs count (see _person_dates).
    leads: pl.DataFrame
    opportunities: pl.DataFrame  # every opportunity, with amounts in the reporting currency
    activities: pl.DataFrame
    users: pl.DataFrame          # source, user_id, role, effective_role, team
    params: KpiParams
    # every lead: source, source_id, contact_id, person_id, sgl_person (the person counts
    # as an SGL)
    lead_records: pl.DataFrame


# -- months ------------------------------------------------------------------------------


def month_bounds(month: str) -> tuple[date, date]:
    """Return the first and last day of ``YYYY-MM`` (ASCII digits, nothing around them)."""
    try:
        # int() would also take " 2025-4", full-width digits or a sign, and the period
        # filters would then match no month at all.
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}", month):
            raise ValueError(month)
        year, number = (int(part) for part in month.split("-"))
        first = date(year, number, 1)
    except ValueError:
        raise KpiError(_("Invalid month {month!r}: expected YYYY-MM, such as 2025-04.")
                       .format(month=month)) from None
    return first, date(year, number, calendar.monthrange(year, number)[1])


def fiscal_year_start(month: str, start_month: int) -> date:
    """Return the first day of the fiscal year containing ``month``."""
    first, _last = month_bounds(month)
    year = first.year if first.month >= start_month else first.year - 1
    return date(year, start_month, 1)


def fiscal_year_label(month: str, start_month: int) -> str:
    """Name a fiscal year by the calendar year it starts in: FY2025 runs 2025-04 to 2026-03."""
    return f"FY{fiscal_year_start(month, start_month).year}"


def _period(expr: pl.Expr) -> pl.Expr:
    return expr.dt.strftime("%Y-%m")


def _periods(dates: pl.Series) -> pl.Series:
    """Format dates as ``YYYY-MM``, once per distinct date (at most 366 a year)."""
    return map_distinct(dates, lambda distinct: distinct.dt.strftime("%Y-%m"))


# -- money -------------------------------------------------------------------------------


def divide_half_up(numerator: pl.Expr, denominator: pl.Expr, digits: int,
                   scale: int = MONEY_SCALE) -> pl.Expr:
    """Divide an exact decimal by a whole number, rounding half-up to ``digits`` decimals.

    ``numerator`` must have ``scale`` decimals. The division runs on 128-bit integers, so
    no float touches the amount; a denominator of 0 or null gives null.

    >>> frame = pl.DataFrame({"n": [Decimal("10")]}, schema={"n": MONEY})
    >>> frame.select(divide_half_up(pl.col("n"), pl.lit(4), 0)).item()
    Decimal('3')
    """
    units = (numerator * (10 ** scale)).cast(pl.Int128) * (10 ** digits)
    divisor = denominator.cast(pl.Int128) * (10 ** scale)
    magnitude = (units.abs() * 2 + divisor) // (divisor * 2)
    signed = pl.when(units < 0).then(magnitude * -1).otherwise(magnitude)
    result = signed.cast(pl.Decimal(38, 0)) * pl.lit(Decimal(1).scaleb(-digits))
    return pl.when(denominator > 0).then(result.cast(pl.Decimal(38, digits))).otherwise(None)


def rate_expr(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """Divide counts into a rate; a denominator of 0 gives null."""
    return pl.when(denominator > 0).then(numerator / denominator).otherwise(None)


def _rates(params: KpiParams) -> pl.DataFrame:
    table = {code.upper(): Decimal(rate) for code, rate in params.currency_rates.items()}
    table[params.reporting_currency.upper()] = Decimal(1)
    return pl.DataFrame({"_currency": list(table), "_rate": list(table.values())},
                        schema={"_currency": pl.Utf8, "_rate": RATE})


def convert_amounts(opportunities: pl.DataFrame, params: KpiParams) -> pl.DataFrame:
    """Add ``amount_rc``: the amount in the reporting currency, exact.

    A record without a currency is taken to be in the reporting currency. Raises KpiError
    naming the currencies that have no rate in ``[general] currency_rates``.
    """
    frame = opportunities.with_columns(
        pl.coalesce(pl.col("currency").str.to_uppercase(),
                    pl.lit(params.reporting_currency.upper())).alias("_currency"))
    frame = frame.join(_rates(params), on="_currency", how="left")
    missing = (frame.filter(pl.col("amount").is_not_null() & pl.col("_rate").is_null())
               .get_column("_currency").unique().sort().to_list())
    if missing:
        raise KpiError(_("No exchange rate for {currencies} to {reporting}. Add them to "
                         "[general] currency_rates, e.g. USD = 150.").format(
            currencies=", ".join(missing), reporting=params.reporting_currency))
    return frame.with_columns(
        (pl.col("amount").cast(MONEY) * pl.col("_rate").cast(MONEY)).alias("amount_rc")
    ).drop("_currency", "_rate")


# -- preparation -------------------------------------------------------------------------


def prepare(frames: CanonicalFrames, params: KpiParams,
            links: pl.DataFrame | None = None) -> KpiInputs:
    """Join leads and opportunities with their attribution, reps, teams and cohort dates.

    ``links`` is :func:`~transforms.attribution.link_opportunities` of ``frames`` when the
    caller has it already (an attribution result carries it).
    """
    timezone = params.timezone
    users = user_roles(frames.users, params.attribution)
    decisions = frames.attribution.select("source", "record_kind", "source_id", "origin",
                                          "channel")

    # Activities need nothing from the rest, so their months are found beside it.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sgl-kpi-activities") as pool:
        activity_periods = pool.submit(
            lambda: _periods(local_date(frames.activities.get_column("occurred_at"), timezone)))
        inputs = _prepare_records(frames, params, links, users, decisions)
        inputs.activities = frames.activities.with_columns(
            activity_periods.result().alias("period"))
    logger.debug("KPI inputs: %d leads, %d opportunities, %d activities",
                 inputs.leads.height, inputs.opportunities.height, inputs.activities.height)
    return inputs


def _prepare_records(frames: CanonicalFrames, params: KpiParams, links: pl.DataFrame | None,
                     users: pl.DataFrame, decisions: pl.DataFrame) -> KpiInputs:
    timezone = params.timezone
    leads = _with_person_order(frames.leads)
    if links is None:
        links = link_opportunities(frames.leads, frames.opportunities, frames.associations,
                                   leads.get_column("person_rank"))
    leads = (
        leads.hstack(_decisions_of(leads, decisions, "lead"))
        .with_columns(user_lookup(users, "created_by", "effective_role").alias("_creator_role"))
        .with_columns(
            pl.col("origin").fill_null("unknown"),
            pl.col("channel").fill_null("unknown"),
            local_date(pl.col("created_at"), timezone).alias("created_local_date"),
            # Credited rep: the creator when the creator counts as sales, else the owner at
            # creation (the current owner when the CRM keeps no owner history). A HubSpot
            # creator is a user id, so it is credited under the user's owner id.
            pl.when(pl.col("_creator_role") == "sales")
            .then(pl.coalesce(user_lookup(users, "created_by", "owner_id"), "created_by"))
            .otherwise(pl.coalesce("owner_at_creation", "owner_id")).alias("rep_id"),
        )
        .with_columns(user_lookup(users, "rep_id", "team").alias("team"))
    )

    # Link rows are positions in leads and opportunities, so dates move by gather and scatter.
    opportunity_created = local_date(frames.opportunities.get_column("created_at"), timezone)
    won_date = frames.opportunities.select(
        pl.when(pl.col("is_won").fill_null(value=False)).then(pl.col("closed_at"))
        .otherwise(None)).to_series()
    per_lead = (
        links.select("lead_row", pl.lit(opportunity_created).gather(pl.col("opportunity_row"))
                     .alias("_opportunity_created"),
                     pl.lit(won_date).gather(pl.col("opportunity_row")).alias("_won_date"))
        .group_by("lead_row")
        .agg(pl.col("_opportunity_created").min(), pl.col("_won_date").min())
    )
    rows = per_lead.get_column("lead_row")
    leads = leads.with_columns(
        spread(per_lead.get_column("_opportunity_created"), rows, leads.height),
        spread(per_lead.get_column("_won_date"), rows, leads.height),
    ).with_columns(
        pl.min_horizontal(local_date(pl.col("qualified_at"), timezone),
                          local_date(pl.col("converted_at"), timezone),
                          pl.col("_opportunity_created")).alias("_qualified_date"))

    leads = _person_dates(leads)
    counted = leads.select(
        "source", "source_id", "person_id", "origin", "channel", "created_at",
        "created_local_date", "period", "rep_id", "team", "qualified_date", "won_date",
        "counted")

    inherited = links.filter(pl.col("is_inherited")).select("opportunity_row", "lead_row")
    lead_row = spread(inherited.get_column("lead_row"), inherited.get_column("opportunity_row"),
                       frames.opportunities.height)
    opportunities = (
        convert_amounts(frames.opportunities, params)
        .hstack(_decisions_of(frames.opportunities, decisions, "opportunity"))
        .with_columns(
            pl.col("origin").fill_null("unknown"),
            pl.col("channel").fill_null("unknown"),
            pl.coalesce(pl.lit(leads.get_column("rep_id")).gather(lead_row), "owner_id")
            .alias("rep_id"),
            pl.lit(opportunity_created).alias("created_local_date"),
            pl.col("is_won").fill_null(value=False),
            pl.col("is_closed").fill_null(value=False),
        )
        .with_columns(
            pl.lit(_periods(opportunity_created)).alias("created_period"),
            pl.lit(_periods(frames.opportunities.get_column("closed_at"))).alias("closed_period"),
            pl.when(pl.col("origin") == "sales").then(pl.lit("sgl")).otherwise(pl.lit("other"))
            .alias("segment"),
        )
        .with_columns(user_lookup(users, "rep_id", "team").alias("team"))
    )

    # Ranks are positions 0..n-1, so whether each person counts as an SGL moves by rank.
    firsts = leads.select("person_rank", "person_label",
                          (pl.col("origin") == "sales").alias("_sgl")).filter(
        pl.col("person_rank") == pl.col("person_label"))
    sgl_by_rank = spread(firsts.get_column("_sgl"), firsts.get_column("person_rank"),
                          leads.height)
    lead_records = leads.select(
        "source", "source_id", "contact_id", "person_id",
        pl.lit(sgl_by_rank).gather(pl.col("person_label")).fill_null(value=False)
        .alias("sgl_person"))
    return KpiInputs(leads=counted, opportunities=opportunities, activities=frames.activities,
                     users=users, params=params, lead_records=lead_records)


def _decisions_of(frame: pl.DataFrame, decisions: pl.DataFrame, kind: str) -> pl.DataFrame:
    """Return ``origin`` and ``channel`` of each row of ``frame`` (null where undecided).

    An attribution result lists leads, then opportunities, each in the order of their
    frames. Then the decisions attach by position without a copy, else through a join on
    the record key.
    """
    offset = 0 if kind == "lead" else decisions.height - frame.height
    if offset >= 0:
        aligned = decisions.slice(offset, frame.height)
        if aligned.get_column("record_kind").eq(kind).all() and same_keys(aligned, frame):
            return aligned.select("origin", "channel")
    own = decisions.filter(pl.col("record_kind") == kind)
    return frame.select("source", "source_id").join(
        own.select("source", "source_id", "origin", "channel"), on=["source", "source_id"],
        how="left", maintain_order="left").select("origin", "channel")


def _person_dates(leads: pl.DataFrame) -> pl.DataFrame:
    """Mark the lead each person is counted by, with the person's earliest SQL and won dates.

    ``counted`` is true on each person's earliest lead that has a creation time. That row's
    ``qualified_date`` and ``won_date`` are the earliest over all the person's leads; other
    rows keep their own. Every lead stays, so no column is copied: filtering 10M leads down
    to their persons would copy 1.3 GiB. Most persons have one lead, so only the labels of
    persons with several are grouped.
    """
    shared = leads.select("person_rank", "person_label").filter(
        pl.col("person_rank") != pl.col("person_label")).select("person_label").unique()
    person_dates = (
        leads.select("person_label", "_qualified_date", "_won_date")
        .join(shared, on="person_label", how="semi")
        .group_by("person_label")
        .agg(pl.col("_qualified_date").min(), pl.col("_won_date").min())
    )
    # Labels are the ranks of the persons' first leads, and ranks are 0..n-1, so the person
    # dates move to those leads by rank.
    labels, rank = person_dates.get_column("person_label"), pl.col("person_rank")
    qualified_by_rank, won_by_rank = (
        spread(person_dates.get_column(name), labels, leads.height)
        for name in ("_qualified_date", "_won_date"))
    return leads.with_columns(
        pl.coalesce(pl.lit(qualified_by_rank).gather(rank), "_qualified_date")
        .alias("qualified_date"),
        pl.coalesce(pl.lit(won_by_rank).gather(rank), "_won_date").alias("won_date"),
        ((rank == pl.col("person_label")) & pl.col("created_at").is_not_null())
        .alias("counted"),
        _periods(leads.get_column("created_local_date")).alias("period"),
    )


def _with_person_order(leads: pl.DataFrame) -> pl.DataFrame:
    """Add ``person_rank`` (creation order) and ``person_label`` (the person's first rank).

    Attribution results carry both (see ``with_decisions``); leads read from the warehouse
    get them from their ``person_id``, or their own id when it is missing.
    """
    if leads.get_column("person_id").has_nulls():
        leads = leads.with_columns(
            pl.coalesce("person_id", pl.col("source") + ":" + pl.col("source_id"))
            .alias("person_id"))
    present = [name for name in ("person_rank", "person_label") if name in leads.columns]
    if len(present) < 2 or any(leads.get_column(name).has_nulls() for name in present):
        leads = leads.with_columns(creation_rank(leads).alias("person_rank"))
        leads = leads.with_columns(
            pl.col("person_rank").min().over("person_id").alias("person_label"))
    return leads


# -- lead counts -------------------------------------------------------------------------


def counted_in(month: str) -> pl.Expr:
    """Select the leads created in ``month`` that their persons are counted by."""
    return pl.col("counted") & (pl.col("period") == month)


def _tidy(frame: pl.DataFrame, maturing: bool | pl.Expr = False) -> pl.DataFrame:
    flag = maturing if isinstance(maturing, pl.Expr) else pl.lit(maturing)
    return frame.with_columns(flag.alias("maturing"))


def sgl_counts(inputs: KpiInputs, month: str) -> pl.DataFrame:
    """Count SGLs created in ``month``: in total, per channel, per credited rep and per team.

    ``dimension`` names the grouping (total, channel, rep, team); keys outside it are null.
    ``value`` and ``numerator`` are the count.

    Example: three SGLs in 2025-04, two referrals by rep U1 (team A) and one network by U2
    (team B), give total 3; channel referral 2, network 1; rep U1 2, U2 1; team A 2, B 1.
    """
    sgls = inputs.leads.filter(counted_in(month) & (pl.col("origin") == "sales"))
    groupings = {"total": [], "channel": ["channel"], "rep": ["rep_id", "team"],
                 "team": ["team"]}
    parts = []
    for dimension, keys in groupings.items():
        counted = (sgls.group_by(keys).agg(pl.len().cast(pl.Int64).alias("value"))
                   if keys else pl.DataFrame({"value": [sgls.height]},
                                             schema={"value": pl.Int64}))
        parts.append(counted.with_columns(pl.lit(dimension).alias("dimension")))
    frame = pl.concat(parts, how="diagonal_relaxed")
    for name in ("rep_id", "team", "channel"):
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.Utf8).alias(name))
    order = {name: index for index, name in enumerate(groupings)}
    return _tidy(frame.with_columns(
        pl.lit(month).alias("period"),
        pl.col("value").alias("numerator"),
        pl.lit(None, dtype=pl.Int64).alias("denominator"),
    ).sort(pl.col("dimension").replace_strict(order), "channel", "rep_id", "team",
           nulls_last=True).select("period", "dimension", "rep_id", "team", "channel", "value",
                                   "numerator", "denominator"))


def lead_counts(inputs: KpiInputs, month: str) -> pl.DataFrame:
    """Count leads created in ``month`` per origin (SGL, MQL, partner, unknown) and channel.

    Rows with a null ``channel`` are the origin's total; every origin has a total row, 0
    when it had no leads.

    Example: leads in 2025-04 of origins sales, sales, marketing give sales 2, marketing 1,
    partner 0 and unknown 0, plus one row per (origin, channel) that occurred.
    """
    created = inputs.leads.filter(counted_in(month))
    totals = pl.DataFrame({"origin": list(ORIGINS)}).join(
        created.group_by("origin").agg(pl.len().cast(pl.Int64).alias("value")),
        on="origin", how="left").with_columns(pl.col("value").fill_null(0),
                                              pl.lit(None, dtype=pl.Utf8).alias("channel"))
    by_channel = created.group_by("origin", "channel").agg(
        pl.len().cast(pl.Int64).alias("value"))
    order = {name: index for index, name in enumerate(ORIGINS)}
    frame = pl.concat([totals.select("origin", "channel", "value"),
                       by_channel.select("origin", "channel", "value")])
    return _tidy(frame.with_columns(
        pl.lit(month).alias("period"), pl.col("value").alias("numerator"),
        pl.lit(None, dtype=pl.Int64).alias("denominator"),
    ).sort(pl.col("origin").replace_strict(order), "channel", nulls_last=False)
        .select("period", "origin", "channel", "value", "numerator", "denominator"))


def target_attainment(inputs: KpiInputs, month: str) -> pl.DataFrame:
    """Compare SGL counts in ``month`` with the monthly targets per rep and team.

    A target comes from ``[kpi] targets_by_rep`` / ``targets_by_team`` under the month's
    key, else under ``default``. Only reps and teams with a target get a row.

    Example: rep U1 with target 4 and 3 SGLs in the month: value 0.75, numerator 3,
    denominator 4. A target of 0 gives a null value.
    """
    counts = sgl_counts(inputs, month)
    parts = []
    for dimension, key, targets in (("rep", "rep_id", inputs.params.targets_by_rep),
                                    ("team", "team", inputs.params.targets_by_team)):
        due = {name: by_month.get(month, by_month.get("default"))
                  for name, by_month in targets.items()}
        due = {name: target for name, target in due.items() if target is not None}
        if not due:
            continue
        goal = pl.DataFrame({key: list(due), "denominator": list(due.values())},
                            schema={key: pl.Utf8, "denominator": pl.Int64})
        actual = counts.filter(pl.col("dimension") == dimension).select(key, "value")
        parts.append(goal.join(actual, on=key, how="left").select(
            pl.lit(dimension).alias("dimension"),
            (pl.col(key) if key == "rep_id" else pl.lit(None, dtype=pl.Utf8)).alias("rep_id"),
            (pl.col(key) if key == "team" else pl.lit(None, dtype=pl.Utf8)).alias("team"),
            pl.col("value").fill_null(0).alias("numerator"), "denominator"))
    if not parts:
        return _tidy(pl.DataFrame(schema={
            "period": pl.Utf8, "dimension": pl.Utf8, "rep_id": pl.Utf8, "team": pl.Utf8,
            "value": pl.Float64, "numerator": pl.Int64, "denominator": pl.Int64}))
    frame = pl.concat(parts).with_columns(
        pl.lit(month).alias("period"),
        rate_expr(pl.col("numerator"), pl.col("denominator")).alias("value"))
    return _tidy(frame.sort("dimension", "rep_id", "team").select(
        "period", "dimension", "rep_id", "team", "value", "numerator", "denominator"))


# -- cohorts -----------------------------------------------------------------------------


def cohort_rates(inputs: KpiInputs, month: str, as_of: date) -> pl.DataFrame:
    """Share of the leads created in ``month`` that reached SQL within W and won within W_win.

    One row per origin (sales = SGL, marketing = MQL, partner, unknown) and stage (``sql``,
    ``won``). Qualification dated before creation still counts, as a data-quality case.

    Example, W = 90: 4 SGLs created in 2025-04, qualified 10 days, 95 days after creation,
    never, and 3 days before creation: numerator 2, denominator 4, value 0.5. With as-of
    2025-07-15, 2025-04-30 + 90 days = 2025-07-29 > as-of, so the row is maturing.
    """
    params = inputs.params
    _first, last = month_bounds(month)
    created = inputs.leads.filter(counted_in(month))
    rows = []
    for stage, event, window in (("sql", "qualified_date", params.window_days),
                                 ("won", "won_date", params.win_window_days)):
        within = (pl.col(event) <= pl.col("created_local_date") + pl.duration(days=window))
        counted = created.group_by("origin").agg(
            within.fill_null(value=False).sum().cast(pl.Int64).alias("numerator"),
            pl.len().cast(pl.Int64).alias("denominator"))
        rows.append(pl.DataFrame({"origin": list(ORIGINS)}).join(
            counted, on="origin", how="left").with_columns(
            pl.lit(stage).alias("stage"), pl.lit(window, dtype=pl.Int64).alias("window_days"),
            pl.lit(last + timedelta(days=window) > as_of).alias("maturing")))
    order = {name: index for index, name in enumerate(ORIGINS)}
    frame = pl.concat(rows).with_columns(
        pl.col("numerator").fill_null(0), pl.col("denominator").fill_null(0),
        pl.lit(month).alias("period"))
    return frame.with_columns(
        rate_expr(pl.col("numerator"), pl.col("denominator")).alias("value")
    ).sort(pl.col("stage").replace_strict({"sql": 0, "won": 1}),
           pl.col("origin").replace_strict(order)).select(
        "period", "origin", "stage", "window_days", "value", "numerator", "denominator",
        "maturing")


# -- effort ------------------------------------------------------------------------------


def cost_per_sgl(inputs: KpiInputs, month: str) -> pl.DataFrame:
    """Prospecting effort per SGL created in ``month``, in hours and reporting currency.

    Effort is the rep's activities in the month on SGL leads, or on accounts that had no
    open opportunity at the activity's time. An activity without a duration counts the
    default minutes of its type (``[kpi] default_minutes``, else its ``other`` entry). The
    hourly cost is the user's own (``hourly_cost_by_user``), else the role's. One row per
    rep with effort or SGLs, plus a total row (``rep_id`` null).
    ``value`` = cost per SGL (half-up to the minor unit), ``numerator`` = effort cost,
    ``denominator`` = SGL count; ``effort_hours`` and ``hours_per_sgl`` beside them.

    Example: rep U1 (role sales at 6,000 JPY/hour) logs a 30-minute call and a meeting
    without duration (default 60) on SGL leads, and creates 2 SGLs: 1.5 hours, cost 9,000,
    0.75 hours and 4,500 JPY per SGL.
    """
    params = inputs.params
    activities = inputs.activities.filter(pl.col("period") == month)
    effort = _effort_activities(inputs, activities)

    defaults = {key.lower(): float(value) for key, value in params.default_minutes.items()}
    minutes = pl.coalesce(
        pl.col("duration_minutes"),
        pl.col("activity_type").str.to_lowercase().replace_strict(
            defaults, default=defaults.get("other"), return_dtype=pl.Float64),
        pl.lit(0.0))
    role_of = inputs.users.select("source", pl.col("user_id").alias("rep_id"), "role",
                                  "effective_role")
    rates = _hourly_rates(params)
    # Minutes are summed as whole ten-thousandths: a float sum depends on the order in which
    # parallel group-by adds rows, and the report must render the same bytes every time.
    per_rep = (
        effort.with_columns((minutes * MINUTE_UNITS).round(0).cast(pl.Int64).alias("_units"))
        .group_by("source", pl.col("owner_id").alias("rep_id"))
        .agg(pl.col("_units").sum())
        .with_columns((pl.col("_units") / MINUTE_UNITS).alias("_minutes"))
    )
    sgls = (inputs.leads.filter(counted_in(month) & (pl.col("origin") == "sales"))
            .group_by("source", "rep_id").agg(pl.len().cast(pl.Int64).alias("denominator")))
    frame = (
        per_rep.join(sgls, on=["source", "rep_id"], how="full", coalesce=True)
        .join(role_of, on=["source", "rep_id"], how="left")
        .join(inputs.users.select("source", pl.col("user_id").alias("rep_id"), "team"),
              on=["source", "rep_id"], how="left")
        .join(rates["user"], on="rep_id", how="left")
        .join(rates["role"], on="role", how="left")
        # Rows for sales reps and for anyone credited with an SGL, not for marketing users.
        .filter((pl.col("effective_role") == "sales") | pl.col("denominator").is_not_null())
        .with_columns(
            pl.col("_minutes").fill_null(0.0),
            pl.col("_units").fill_null(0),
            pl.col("denominator").fill_null(0),
            pl.coalesce("_user_rate", "_role_rate").alias("_rate"),
        )
        .with_columns(
            # Minutes are kept to 4 decimals and rates to 6, so this product is exact.
            (pl.col("_minutes").round(4).cast(MONEY) * pl.col("_rate").cast(MONEY))
            .alias("_minute_cost"))
    )
    total = frame.select(
        pl.lit(None, dtype=pl.Utf8).alias("rep_id"), pl.lit(None, dtype=pl.Utf8).alias("team"),
        (pl.col("_units").sum() / MINUTE_UNITS).alias("_minutes"), pl.col("denominator").sum(),
        # The total's cost is unknown when any rep's hourly cost is missing.
        pl.when(pl.col("_minute_cost").null_count() == 0).then(pl.col("_minute_cost").sum())
        .otherwise(None).alias("_minute_cost"),
    )
    digits = params.minor_digits
    # Sorted by source first, so reps with one id in two CRMs keep a stable order.
    combined = pl.concat([frame.sort("source", "rep_id").select(
        "rep_id", "team", "_minutes", "denominator", "_minute_cost"), total],
        how="vertical_relaxed")
    return _tidy(combined.with_columns(
        pl.lit(month).alias("period"),
        (pl.col("_minutes") / 60).alias("effort_hours"),
        divide_half_up(pl.col("_minute_cost"), pl.lit(60), digits).alias("numerator"),
        divide_half_up(pl.col("_minute_cost"), pl.col("denominator") * 60, digits)
        .alias("value"),
        rate_expr(pl.col("_minutes") / 60, pl.col("denominator")).alias("hours_per_sgl"),
    ).sort("rep_id", nulls_last=True, maintain_order=True).select(
        "period", "rep_id", "team", "value", "numerator", "denominator", "effort_hours",
        "hours_per_sgl"))


def _effort_activities(inputs: KpiInputs, activities: pl.DataFrame) -> pl.DataFrame:
    """Keep the activities that count as prospecting effort."""
    # An activity on any record of an SGL person counts: the lead, its converted contact or
    # the same person's record in the other CRM.
    records = inputs.lead_records.filter(pl.col("sgl_person"))
    record_people = pl.concat([
        records.select("source", pl.col("source_id").alias("_record")),
        records.filter(pl.col("contact_id").is_not_null())
        .select("source", pl.col("contact_id").alias("_record")),
    ])
    numbered = activities.with_row_index("_activity")
    sgl_activity = pl.concat([
        numbered.join(record_people.rename({"_record": "lead_id"}), on=["source", "lead_id"],
                      how="semi").select("_activity"),
        numbered.join(record_people.rename({"_record": "contact_id"}),
                      on=["source", "contact_id"], how="semi").select("_activity"),
    ])

    indexed = activities.with_row_index("_activity")
    opportunity_accounts = inputs.opportunities.select(
        "source", pl.col("source_id").alias("opportunity_id"),
        pl.col("account_id").alias("_opportunity_account"))
    with_account = indexed.join(opportunity_accounts, on=["source", "opportunity_id"],
                                how="left").with_columns(
        pl.coalesce("account_id", "_opportunity_account").alias("_account"),
        local_date(pl.col("occurred_at"), inputs.params.timezone).alias("_day"))
    spans = inputs.opportunities.filter(pl.col("account_id").is_not_null()).select(
        "source", pl.col("account_id").alias("_account"),
        pl.col("created_at").alias("_opened_at"), pl.col("is_closed").alias("_closed"),
        pl.col("closed_at").alias("_closed_on"))
    # Open at the activity: created before it and not closed before its day. A closed
    # opportunity without a close date counts as closed throughout.
    busy = (
        with_account.filter(pl.col("_account").is_not_null())
        .select("_activity", "source", "_account", "occurred_at", "_day")
        .join(spans, on=["source", "_account"], how="inner")
        .filter((pl.col("_opened_at") <= pl.col("occurred_at"))
                & (~pl.col("_closed") | (pl.col("_closed_on") >= pl.col("_day"))
                   .fill_null(value=False)))
        .select("_activity").unique()
    )
    quiet_account = with_account.filter(pl.col("_account").is_not_null()).join(
        busy, on="_activity", how="anti").select("_activity")
    keep = pl.concat([sgl_activity, quiet_account]).unique()
    return indexed.join(keep, on="_activity", how="semi").drop("_activity")


def _hourly_rates(params: KpiParams) -> dict[str, pl.DataFrame]:
    return {
        "user": pl.DataFrame({"rep_id": list(params.hourly_cost_by_user),
                              "_user_rate": [Decimal(value) for value in
                                             params.hourly_cost_by_user.values()]},
                             schema={"rep_id": pl.Utf8, "_user_rate": RATE}),
        "role": pl.DataFrame({"role": list(params.hourly_cost_by_role),
                              "_role_rate": [Decimal(value) for value in
                                             params.hourly_cost_by_role.values()]},
                             schema={"role": pl.Utf8, "_role_rate": RATE}),
    }


# -- amounts -----------------------------------------------------------------------------


def _fiscal_months(inputs: KpiInputs, month: str) -> list[str]:
    start = fiscal_year_start(month, inputs.params.fiscal_year_start_month)
    first, _last = month_bounds(month)
    months = []
    cursor = start
    while cursor <= first:
        months.append(cursor.strftime("%Y-%m"))
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    return months


def _scopes(inputs: KpiInputs, month: str) -> list[tuple[str, list[str]]]:
    return [("month", [month]), ("fiscal_ytd", _fiscal_months(inputs, month))]


def won_deal_size(inputs: KpiInputs, month: str) -> pl.DataFrame:
    """Average won deal size, SGL-sourced deals vs others, for the month and fiscal YTD.

    Deals count in the month of ``closed_at``. ``value`` is the mean rounded half-up to the
    minor unit, ``numerator`` the won amount, ``denominator`` the number of won deals.

    Example (JPY): SGL deals of 1,000,000 and 2,000,001 won in 2025-04 average 1,500,001
    (1,500,000.5 rounded half-up); no other deal was won, so "other" has a null value.
    """
    digits = inputs.params.minor_digits
    won = inputs.opportunities.filter(pl.col("is_won") & pl.col("amount_rc").is_not_null())
    parts = []
    for scope, months in _scopes(inputs, month):
        summed = won.filter(pl.col("closed_period").is_in(months)).group_by("segment").agg(
            pl.col("amount_rc").sum().alias("numerator"),
            pl.len().cast(pl.Int64).alias("denominator"))
        parts.append(pl.DataFrame({"segment": list(SEGMENTS)}).join(
            summed, on="segment", how="left").with_columns(pl.lit(scope).alias("scope")))
    frame = pl.concat(parts).with_columns(
        pl.col("numerator").fill_null(Decimal(0)).cast(MONEY),
        pl.col("denominator").fill_null(0),
        pl.lit(month).alias("period"),
        pl.lit(fiscal_year_label(month, inputs.params.fiscal_year_start_month))
        .alias("fiscal_year"))
    return _tidy(frame.with_columns(
        divide_half_up(pl.col("numerator"), pl.col("denominator"), digits).alias("value")
    ).select("period", "scope", "fiscal_year", "segment", "value", "numerator", "denominator"))


def realized_ltv(inputs: KpiInputs, month: str, as_of: date) -> pl.DataFrame:
    """Realized LTV: all won amount to ``as_of`` of accounts first won through an SGL deal.

    An account's segment is that of its first won deal (earliest ``closed_at``, then
    creation). ``value`` is the average per account (half-up), ``numerator`` the won amount
    of the segment's accounts, ``denominator`` the number of accounts.

    Example: account A first won an SGL deal of 1,000,000 and later a marketing deal of
    500,000; account B won one marketing deal of 300,000. SGL: 1 account, 1,500,000.
    Other: 1 account, 300,000.
    """
    digits = inputs.params.minor_digits
    won = inputs.opportunities.filter(
        pl.col("is_won") & pl.col("account_id").is_not_null() & pl.col("closed_at").is_not_null()
        & pl.col("amount_rc").is_not_null() & (pl.col("closed_at") <= as_of))
    first = (won.sort("closed_at", "created_at", "source_id", nulls_last=True)
             .unique(["source", "account_id"], keep="first")
             .select("source", "account_id", "segment"))
    per_account = won.group_by("source", "account_id").agg(
        pl.col("amount_rc").sum().alias("_won"))
    summed = (first.join(per_account, on=["source", "account_id"])
              .group_by("segment").agg(pl.col("_won").sum().alias("numerator"),
                                       pl.len().cast(pl.Int64).alias("denominator")))
    frame = pl.DataFrame({"segment": list(SEGMENTS)}).join(summed, on="segment", how="left")
    return _tidy(frame.with_columns(
        pl.col("numerator").fill_null(Decimal(0)).cast(MONEY),
        pl.col("denominator").fill_null(0),
        pl.lit(month).alias("period"), pl.lit(as_of).alias("as_of"),
    ).with_columns(
        divide_half_up(pl.col("numerator"), pl.col("denominator"), digits).alias("value")
    ).select("period", "as_of", "segment", "value", "numerator", "denominator"))


def pipeline_mix(inputs: KpiInputs, month: str) -> pl.DataFrame:
    """New pipeline (by creation month) and won amount (by close month) per origin, channel.

    For the month and the fiscal year to date. ``value`` is the amount, ``opportunities``
    the count; ``numerator`` and ``denominator`` are null.

    Example: with the fiscal year starting in April, 2026-03 is the last month of FY2025,
    so its fiscal_ytd rows sum 2025-04 through 2026-03; an SGL referral deal of 2,000,000
    created in 2025-04 adds 2,000,000 to (new_pipeline, sales, referral) there.
    """
    frames = []
    opportunities = inputs.opportunities.filter(pl.col("amount_rc").is_not_null())
    for scope, months in _scopes(inputs, month):
        created = opportunities.filter(pl.col("created_period").is_in(months)).with_columns(
            pl.lit("new_pipeline").alias("measure"))
        won = opportunities.filter(pl.col("is_won") & pl.col("closed_period").is_in(months)
                                   ).with_columns(pl.lit("won").alias("measure"))
        frames.append(pl.concat([created, won]).group_by("measure", "origin", "channel").agg(
            pl.col("amount_rc").sum().alias("value"),
            pl.len().cast(pl.Int64).alias("opportunities"),
        ).with_columns(pl.lit(scope).alias("scope")))
    order = {name: index for index, name in enumerate(ORIGINS)}
    frame = pl.concat(frames).with_columns(
        pl.lit(month).alias("period"),
        pl.lit(fiscal_year_label(month, inputs.params.fiscal_year_start_month))
        .alias("fiscal_year"),
        pl.col("value").cast(MONEY),
        pl.lit(None, dtype=pl.Int64).alias("numerator"),
        pl.lit(None, dtype=pl.Int64).alias("denominator"))
    return _tidy(frame.sort("scope", "measure", pl.col("origin").replace_strict(order),
                            "channel").select(
        "period", "scope", "fiscal_year", "measure", "origin", "channel", "value",
        "opportunities", "numerator", "denominator"))


# -- velocity ----------------------------------------------------------------------------


def velocity(inputs: KpiInputs, month: str) -> pl.DataFrame:
    """Median days created→SQL and SQL→won per origin, for end events in ``month``.

    Intervals are whole local days. Negative intervals (the later event dated before the
    earlier one) stay out of the median and are counted in ``negative_intervals``.
    ``numerator`` is the number of intervals in the median.

    Example: SGLs qualified in 2025-05 after 4, 10 and -2 days give median 7.0 from 2
    intervals, with 1 negative interval.
    """
    leads = inputs.leads
    first, last = month_bounds(month)
    created_to_sql = leads.filter(
        pl.col("counted") & pl.col("qualified_date").is_between(first, last)).select(
        "origin", (pl.col("qualified_date") - pl.col("created_local_date")).dt.total_days()
        .alias("_days"), pl.lit("created_to_sql").alias("measure"))
    sql_to_won = leads.filter(
        pl.col("counted") & pl.col("won_date").is_between(first, last)
        & pl.col("qualified_date").is_not_null()).select(
        "origin", (pl.col("won_date") - pl.col("qualified_date")).dt.total_days()
        .alias("_days"), pl.lit("sql_to_won").alias("measure"))
    grid = pl.DataFrame({"measure": ["created_to_sql"] * len(ORIGINS)
                         + ["sql_to_won"] * len(ORIGINS), "origin": list(ORIGINS) * 2})
    summary = pl.concat([created_to_sql, sql_to_won]).group_by("measure", "origin").agg(
        pl.col("_days").filter(pl.col("_days") >= 0).median().alias("value"),
        (pl.col("_days") >= 0).sum().cast(pl.Int64).alias("numerator"),
        (pl.col("_days") < 0).sum().cast(pl.Int64).alias("negative_intervals"))
    frame = grid.join(summary, on=["measure", "origin"], how="left").with_columns(
        pl.col("value").cast(pl.Float64),
        pl.col("numerator").fill_null(0), pl.col("negative_intervals").fill_null(0),
        pl.lit(month).alias("period"), pl.lit(None, dtype=pl.Int64).alias("denominator"))
    return _tidy(frame.select("period", "measure", "origin", "value", "numerator",
                              "denominator", "negative_intervals"))


# -- lists -------------------------------------------------------------------------------


def best_actions(inputs: KpiInputs, month: str) -> pl.DataFrame:
    """Top 5 SGL opportunities created or won in ``month``, by amount (今月のSGLベストアクション).

    ``event`` is ``won`` when the deal was won in the month, else ``created``. Ties in
    amount go by source and id.

    Example: SGL deals created in the month for 5,000,000 and 3,000,000 and one won for
    8,000,000 list the won deal first, then the two created ones.
    """
    sgl = inputs.opportunities.filter(pl.col("origin") == "sales")
    won_now = pl.col("is_won") & (pl.col("closed_period") == month)
    chosen = sgl.filter((pl.col("created_period") == month) | won_now).with_columns(
        pl.when(won_now).then(pl.lit("won")).otherwise(pl.lit("created")).alias("event"))
    top = chosen.sort(["amount_rc", "source", "source_id"], descending=[True, False, False],
                      nulls_last=True).head(TOP_ACTIONS)
    return _tidy(top.with_row_index("rank", offset=1).with_columns(
        pl.col("rank").cast(pl.Int64), pl.lit(month).alias("period"),
        pl.col("amount_rc").cast(MONEY).alias("value"),
        pl.lit(None, dtype=pl.Int64).alias("numerator"),
        pl.lit(None, dtype=pl.Int64).alias("denominator"),
    ).select("period", "rank", "source", "source_id", "name", "event", "rep_id", "team",
             "channel", "value", "next_step", "numerator", "denominator"))


def lost_learnings(inputs: KpiInputs, month: str) -> pl.DataFrame:
    """SGL opportunities closed lost in ``month``, grouped by loss reason (top 10).

    Ranked by count, then amount, then reason; a blank reason is its own group (null).
    ``value`` is the count and ``amount`` the lost amount.

    Example: three SGL deals lost in 2025-05 for 価格 (1,000,000 and 2,000,000) and 競合
    (500,000) give 価格 2 deals 3,000,000 first, then 競合 1 deal 500,000.
    """
    lost = inputs.opportunities.filter(
        (pl.col("origin") == "sales") & pl.col("is_closed") & ~pl.col("is_won")
        & (pl.col("closed_period") == month))
    reason = pl.col("loss_reason").str.strip_chars()
    grouped = lost.with_columns(
        pl.when(reason.str.len_bytes() > 0).then(reason).otherwise(None).alias("loss_reason")
    ).group_by("loss_reason").agg(
        pl.len().cast(pl.Int64).alias("value"),
        pl.col("amount_rc").sum().cast(MONEY).alias("amount"))
    top = grouped.sort(["value", "amount", "loss_reason"], descending=[True, True, False],
                       nulls_last=True).head(TOP_LOSS_REASONS)
    return _tidy(top.with_row_index("rank", offset=1).with_columns(
        pl.col("rank").cast(pl.Int64), pl.lit(month).alias("period"),
        pl.col("value").alias("numerator"), pl.lit(None, dtype=pl.Int64).alias("denominator"),
    ).select("period", "rank", "loss_reason", "value", "amount", "numerator", "denominator"))


# -- all ---------------------------------------------------------------------------------

KPI_NAMES = ("lead_counts", "sgl_counts", "target_attainment", "cohort_rates", "cost_per_sgl",
             "won_deal_size", "realized_ltv", "pipeline_mix", "velocity", "best_actions",
             "lost_learnings")


def all_kpis(inputs: KpiInputs, month: str, as_of: date) -> dict[str, pl.DataFrame]:
    """Compute every KPI of ``month`` as of ``as_of``, keyed by name."""
    month_bounds(month)
    calls: dict[str, Callable[[], pl.DataFrame]] = {
        "lead_counts": lambda: lead_counts(inputs, month),
        "sgl_counts": lambda: sgl_counts(inputs, month),
        "target_attainment": lambda: target_attainment(inputs, month),
        "cohort_rates": lambda: cohort_rates(inputs, month, as_of),
        "cost_per_sgl": lambda: cost_per_sgl(inputs, month),
        "won_deal_size": lambda: won_deal_size(inputs, month),
        "realized_ltv": lambda: realized_ltv(inputs, month, as_of),
        "pipeline_mix": lambda: pipeline_mix(inputs, month),
        "velocity": lambda: velocity(inputs, month),
        "best_actions": lambda: best_actions(inputs, month),
        "lost_learnings": lambda: lost_learnings(inputs, month),
    }
    # The KPIs are independent and Polars releases the GIL, so two run at a time.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="sgl-kpi") as pool:
        running = {name: pool.submit(call) for name, call in calls.items()}
        return {name: future.result() for name, future in running.items()}
