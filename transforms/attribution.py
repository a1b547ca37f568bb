"""Attribution: the origin and channel of every lead and opportunity, decided per field.

Order of decision for each field, every step recording the id of what decided it:

1. ``explicit``: a person set the CRM origin or channel field. A value counts as person-set
   when it is not empty and differs from the last value this product wrote to that record
   and field (``writeback_log`` rows with result ``written``). A person-set channel implies
   its origin (``explicit:channel``), since every channel belongs to one origin.
2. the rules file, first match in file order; when a person fixed only the origin, the
   channel comes from the first matching rule of that origin.
3. fallback: a sales user typing the record in is ``sales/other_sales``; a form, marketing
   automation or another integration is ``marketing/other_marketing``; anything else is
   ``unknown/unknown`` (rule ids ``fallback:sales_by_hand``, ``fallback:automated``,
   ``fallback:unknown``). A decided origin without a channel of its own gets the origin's
   default channel (``default:<origin>``).
4. dormant revival: a sales-origin record whose channel was not set by a person and is in
   the configured set becomes ``dormant_revival`` when its account's history went quiet
   before the record was created (rule id ``dormant:<signal>``).

Leads of one person (see :mod:`transforms.identity`) share the decision of the person's
earliest record, unless a record holds a person-set value: then the latest such record's
decision is the person's. A record's own person-set field is never replaced. Opportunities
inherit per field from their lead (rule ids ``lead:<rule>``) unless they hold their own
person-set value; HubSpot deals inherit from their earliest-created associated contact, and
opportunities without any lead are decided on their own fields like leads.

Everything here is Polars on whole frames; there is no per-row Python.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

import polars as pl

from sgl.frames import (
    contiguous,
    hstack_in_chunks,
    in_chunks_of,
    join_columns,
    same_keys,
    spread,
)
from transforms.distinct import decide_distinct
from transforms.identity import creation_rank, resolve_persons
from transforms.rules import (
    CHANNELS_BY_ORIGIN,
    DEFAULT_CHANNEL,
    ORIGIN_OF_CHANNEL,
    ORIGINS,
    RuleSet,
    fold_expr,
    fold_text,
    match_rules,
    rule_keys,
)

logger = logging.getLogger(__name__)

UTC_TIMESTAMP = pl.Datetime("us", "UTC")
AMOUNT = pl.Decimal(20, 4)

# Canonical columns this module and the KPIs read, with their warehouse types.
CANONICAL_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "users": {"source": pl.Utf8(), "source_id": pl.Utf8(), "crm_user_id": pl.Utf8(),
              "name": pl.Utf8(), "role": pl.Utf8(), "team": pl.Utf8()},
    "accounts": {"source": pl.Utf8(), "source_id": pl.Utf8(), "domain": pl.Utf8(),
                 "is_abm_target": pl.Boolean()},
    "leads": {"source": pl.Utf8(), "source_id": pl.Utf8(), "object": pl.Utf8(),
              "person_id": pl.Utf8(), "email": pl.Utf8(), "full_name": pl.Utf8(),
              "created_at": UTC_TIMESTAMP, "created_by": pl.Utf8(),
              "owner_at_creation": pl.Utf8(), "owner_id": pl.Utf8(),
              "lead_source": pl.Utf8(), "record_source": pl.Utf8(),
              "record_source_detail": pl.Utf8(), "status": pl.Utf8(),
              "qualified_at": UTC_TIMESTAMP, "converted_at": UTC_TIMESTAMP,
              "opportunity_id": pl.Utf8(), "account_id": pl.Utf8(), "contact_id": pl.Utf8(),
              "crm_origin": pl.Utf8(), "crm_channel": pl.Utf8(), "modified_at": UTC_TIMESTAMP,
              "loaded_at": UTC_TIMESTAMP},
    "opportunities": {"source": pl.Utf8(), "source_id": pl.Utf8(), "object": pl.Utf8(),
                      "name": pl.Utf8(), "account_id": pl.Utf8(), "owner_id": pl.Utf8(),
                      "created_by": pl.Utf8(), "created_at": UTC_TIMESTAMP,
                      "opportunity_type": pl.Utf8(), "stage": pl.Utf8(),
                      "is_closed": pl.Boolean(), "is_won": pl.Boolean(), "closed_at": pl.Date(),
                      "amount": AMOUNT, "currency": pl.Utf8(), "loss_reason": pl.Utf8(),
                      "next_step": pl.Utf8(), "lead_id": pl.Utf8(), "contact_id": pl.Utf8(),
                      "lead_source": pl.Utf8(), "crm_origin": pl.Utf8(),
                      "crm_channel": pl.Utf8(), "modified_at": UTC_TIMESTAMP,
                      "loaded_at": UTC_TIMESTAMP},
    # No KPI reads an activity's own id, and at 10M activities it would take about 0.3 GiB.
    "activities": {"source": pl.Utf8(), "activity_type": pl.Utf8(),
                   "owner_id": pl.Utf8(), "lead_id": pl.Utf8(), "contact_id": pl.Utf8(),
                   "account_id": pl.Utf8(), "opportunity_id": pl.Utf8(),
                   "duration_minutes": pl.Float64(), "occurred_at": UTC_TIMESTAMP,
                   "loaded_at": UTC_TIMESTAMP},
    "associations": {"source": pl.Utf8(), "from_object": pl.Utf8(), "from_id": pl.Utf8(),
                     "to_object": pl.Utf8(), "to_id": pl.Utf8()},
    "writeback_log": {"source": pl.Utf8(), "object": pl.Utf8(), "source_id": pl.Utf8(),
                      "field": pl.Utf8(), "after": pl.Utf8(), "result": pl.Utf8(),
                      "logged_at": UTC_TIMESTAMP},
    "attribution": {"source": pl.Utf8(), "record_kind": pl.Utf8(), "source_id": pl.Utf8(),
                    "origin": pl.Utf8(), "channel": pl.Utf8(), "origin_rule": pl.Utf8(),
                    "channel_rule": pl.Utf8(), "origin_explicit": pl.Boolean(),
                    "channel_explicit": pl.Boolean(), "decided_at": UTC_TIMESTAMP,
                    "computed_at": UTC_TIMESTAMP},
}
ATTRIBUTION_COLUMNS = list(CANONICAL_SCHEMAS["attribution"])
RECORD_KEY = ["source", "record_kind", "source_id"]

DORMANT_SIGNALS = ("former_customer", "last_opportunity_lost", "inactive")
# Facts account_history adds: rules may read them, and dormant revival does.
HISTORY_FACTS = ("days_since_last_activity", "days_since_last_closed_opportunity",
                 "last_closed_lost", "former_customer")

# HubSpot Record source values (hs_object_source) that mean a user typed the record in, and
# values that mean a form, automation or integration created it. Other values (IMPORT, ...)
# say nothing about who generated the lead.
MANUAL_RECORD_SOURCES = ("crm_ui", "mobile_ios", "mobile_android", "extension", "sales",
                         "contacts", "bcc_to_crm", "email_integration")
AUTOMATED_RECORD_SOURCES = ("form", "forms", "automation_platform", "analytics", "api",
                            "integration", "batch_update", "bot", "conversations", "ads",
                            "marketing_email", "workflows")

# Object names that mark a deal or a contact in the associations table.
DEAL_OBJECTS = ("deals", "deal", "0-3", "opportunity", "opportunities")
CONTACT_OBJECTS = ("contacts", "contact", "0-1")

# Labels a person may type into the CRM origin or channel field, besides the ids themselves.
ORIGIN_LABELS: dict[str, tuple[str, ...]] = {
    "sales": ("Sales", "SGL", "営業", "営業起点"),
    "marketing": ("Marketing", "MQL", "マーケティング", "マーケティング起点"),
    "partner": ("Partner", "パートナー", "代理店"),
    "unknown": ("Unknown", "不明"),
}
CHANNEL_LABELS: dict[str, tuple[str, ...]] = {
    "referral": ("Referral", "リファーラル", "紹介", "リファーラル(紹介)"),
    "dormant_revival": ("Dormant revival", "休眠顧客の掘り起こし", "休眠掘り起こし"),
    "network": ("Network", "人脈・名刺からの再接触", "人脈", "名刺"),
    "social": ("Social", "SNS・個人発信", "SNS"),
    "abm": ("ABM", "ABM的アウトバウンド"),
    "other_sales": ("Other sales", "その他の営業起点"),
}


@dataclass(frozen=True)
class AttributionParams:
    """The settings attribution reads, as plain values (see ``[attribution]``)."""

    timezone: str = "Asia/Tokyo"
    sales_roles: tuple[str, ...] = ("sales",)
    inside_sales_counts_as_sales: bool = True
    dormant_days: int = 180
    dormant_signals: tuple[str, ...] = DORMANT_SIGNALS
    dormant_channels: tuple[str, ...] = ("other_sales", "abm", "network")
    existing_business_types: tuple[str, ...] = ("Existing Business",)
    origin_fields: tuple[str, ...] = ("SGL_Origin__c", "sgl_origin")
    channel_fields: tuple[str, ...] = ("SGL_Channel__c", "sgl_channel")

    @classmethod
    def from_settings(cls, settings: Any) -> AttributionParams:
        """Build the parameters from a loaded ``sgl.settings.Settings``.

        The CRM origin and channel fields are the write-back targets of every object, so a
        value is compared with what write-back last wrote to the same field.
        """
        section = settings.attribution
        origin_fields, channel_fields = set(cls.origin_fields), set(cls.channel_fields)
        writeback = getattr(settings, "writeback", None)
        for crm in ("salesforce", "hubspot"):
            targets = getattr(writeback, crm, None)
            for name in type(targets).model_fields if targets is not None else ():
                target = getattr(targets, name)
                origin_fields.update({target.origin} - {""})
                channel_fields.update({target.channel} - {""})
        return cls(
            timezone=settings.general.timezone,
            sales_roles=tuple(section.sales_roles),
            inside_sales_counts_as_sales=section.inside_sales_counts_as_sales,
            dormant_days=section.dormant_days,
            dormant_signals=tuple(section.dormant_signals),
            dormant_channels=tuple(section.dormant_channels),
            existing_business_types=tuple(section.existing_business_types),
            origin_fields=tuple(sorted(origin_fields)),
            channel_fields=tuple(sorted(channel_fields)),
        )


def decision_key(rules: RuleSet, params: AttributionParams) -> str:
    """Return a digest of everything that decides: the rules in order and the parameters.

    Labels and line numbers are left out, so rewording a rule changes nothing. Two runs
    with the same key decide unchanged records alike, so only changed ones need deciding.
    """
    deciding = [(rule.id, rule.conditions, rule.origin, rule.channel) for rule in rules.rules]
    text = repr((deciding, params))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical(table: str, rows: Iterable[Mapping[str, Any]] | pl.DataFrame | None = None,
              ) -> pl.DataFrame:
    """Build a frame of a canonical table; missing columns are null, extra ones are kept.

    >>> canonical("users", [{"source": "sf", "source_id": "U1", "role": "sales"}]).width
    6
    """
    schema = CANONICAL_SCHEMAS[table]
    if rows is None:
        return pl.DataFrame(schema=schema)
    frame = rows if isinstance(rows, pl.DataFrame) else pl.DataFrame(
        list(rows), infer_schema_length=None)
    if frame.height == 0 and frame.width == 0:
        return pl.DataFrame(schema=schema)
    columns = []
    for name, dtype in schema.items():
        if name not in frame.columns:
            columns.append(pl.lit(None, dtype=dtype).alias(name))
        elif frame.schema[name] != dtype:
            columns.append(_cast(pl.col(name), frame.schema[name], dtype).alias(name))
        else:
            columns.append(pl.col(name))
    extra = [pl.col(name) for name in frame.columns if name not in schema]
    return frame.select(columns + extra)


def _cast(expr: pl.Expr, current: pl.DataType, wanted: pl.DataType) -> pl.Expr:
    if isinstance(wanted, pl.Datetime) and current == pl.Utf8:
        return expr.str.to_datetime(time_zone="UTC", time_unit="us")
    if isinstance(wanted, pl.Datetime) and isinstance(current, pl.Datetime):
        if current.time_zone is None:
            return expr.dt.replace_time_zone("UTC").dt.cast_time_unit("us")
        return expr.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
    if wanted == pl.Date and current == pl.Utf8:
        return expr.str.to_date()
    if isinstance(wanted, pl.Decimal) and current == pl.Utf8:
        return expr.cast(wanted)
    return expr.cast(wanted)


@dataclass
class CanonicalFrames:
    """The canonical tables attribution and the KPIs read; each defaults to empty."""

    leads: pl.DataFrame = field(default_factory=lambda: canonical("leads"))
    opportunities: pl.DataFrame = field(default_factory=lambda: canonical("opportunities"))
    users: pl.DataFrame = field(default_factory=lambda: canonical("users"))
    accounts: pl.DataFrame = field(default_factory=lambda: canonical("accounts"))
    activities: pl.DataFrame = field(default_factory=lambda: canonical("activities"))
    associations: pl.DataFrame = field(default_factory=lambda: canonical("associations"))
    writeback_log: pl.DataFrame = field(default_factory=lambda: canonical("writeback_log"))
    attribution: pl.DataFrame = field(default_factory=lambda: canonical("attribution"))

    def __post_init__(self) -> None:
        for item in fields(self):
            frame = getattr(self, item.name)
            frame = canonical(item.name, frame)
            if "is_deleted" in frame.columns:
                frame = frame.filter(~pl.col("is_deleted").fill_null(value=False))
            setattr(self, item.name, contiguous(frame))


@dataclass
class AttributionResult:
    """Decisions as ``attribution`` table rows, with the facts behind them and the persons."""

    table: pl.DataFrame      # the attribution table's columns, one row per lead and opportunity
    # table columns plus the facts, person and inheritance behind them; None when the caller
    # asked for the table only
    details: pl.DataFrame | None
    persons: pl.DataFrame    # resolve_persons output: source, source_id, person_id, keys
    links: pl.DataFrame      # opportunity -> lead pairs (all of them, with priority)


# -- entry point --------------------------------------------------------------------------


def attribute(frames: CanonicalFrames, rules: RuleSet, params: AttributionParams,
              now: datetime, scope: RecordScope | None = None, *,
              keep_details: bool = True) -> AttributionResult:
    """Decide origin and channel of every lead and opportunity (or of ``scope`` only).

    ``now`` stamps ``computed_at`` and, where origin or channel changed against
    ``frames.attribution``, ``decided_at``. ``keep_details=False`` leaves
    ``AttributionResult.details`` empty: the facts of every record are several times the
    table's size, and only explanations and review lists read them.
    """
    # Persons need none of the facts, so they are resolved beside them; Polars releases the
    # GIL while it computes, so both cores stay busy.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sgl-identity") as pool:
        resolving = pool.submit(resolve_persons, frames.leads, frames.accounts)
        pairs = link_pairs(frames.leads, frames.opportunities, frames.associations)
        decided, lead_count = _decide_in_scope(frames, rules, params, scope,
                                               keep_details=keep_details)
        persons = resolving.result()
    links = rank_links(pairs, persons.get_column("rank"))

    # resolve_persons keeps the order of the leads, so its columns attach by position.
    lead_row = pl.col("lead_row")
    decided = decided.with_columns(
        pl.lit(persons.get_column("person_id")).gather(lead_row).alias("person_id"),
        pl.lit(persons.get_column("rank")).gather(lead_row).alias("rank"),
        pl.lit(persons.get_column("label")).gather(lead_row).alias("label"))

    lead_rows = _share_within_person(decided.head(lead_count), explain=keep_details)
    opportunity_rows = _inherit_from_leads(decided.slice(lead_count), lead_rows, links,
                                           explain=keep_details)
    details = pl.concat([lead_rows, opportunity_rows], how="diagonal_relaxed").drop(
        "lead_row", "opportunity_row")
    del decided, lead_rows, opportunity_rows
    stamped = _stamp(details.select(ATTRIBUTION_COLUMNS[:-2]), frames.attribution, now)
    details = details.hstack(stamped.select("decided_at", "computed_at")) if keep_details else None

    logger.info("attribution decided %d leads and %d opportunities", lead_count,
                stamped.height - lead_count)
    return AttributionResult(table=stamped, details=details, persons=persons, links=links)


def _decide_in_scope(frames: CanonicalFrames, rules: RuleSet, params: AttributionParams,
                     scope: RecordScope | None, *, keep_details: bool,
                     ) -> tuple[pl.DataFrame, int]:
    """Decide each lead, then each opportunity, in scope on its own facts (steps 1 to 4).

    Returns the records and how many of them are leads; ``lead_row`` and
    ``opportunity_row`` are their positions in ``frames``.
    """
    leads = frames.leads.with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"))
    opportunities = frames.opportunities.with_columns(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"))
    if scope is not None:
        leads = leads.join(scope.leads, on=["source", "source_id"], how="semi")
        opportunities = opportunities.join(scope.opportunities, on=["source", "source_id"],
                                           how="semi")

    # Without rules on account history, only records dormant revival may refine need it,
    # and those are known once the rules have decided.
    history_first = keep_details or any(name in HISTORY_FACTS for name in rules.fields)
    decided = decide_records(_facts(leads, opportunities, frames, params,
                                    history=history_first), rules, params)
    if not history_first:
        decided = _refine_dormant(decided, frames, params)
    if not keep_details:
        # The facts are no longer read, and dropping them frees several columns per record.
        decided = decided.select(*RECORD_KEY, "object", "lead_row", "opportunity_row",
                                 "origin_set", "channel_set", *DECIDED_COLUMNS)
    return decided, leads.height


def with_decisions(frames: CanonicalFrames, result: AttributionResult) -> CanonicalFrames:
    """Return ``frames`` with ``result``'s decisions and each lead's person.

    The attribution frame keeps the record keys, origin and channel, the columns the KPIs
    read, so the rule ids and times of the result can be freed.

    Leads get the resolved ``person_id`` and, as extra columns, ``person_rank`` and
    ``person_label`` (see :func:`transforms.identity.resolve_persons`), which spare the KPIs
    a sort by creation time. ``result.persons`` must come from these same leads.
    """
    persons = result.persons.select(
        pl.col("person_id").alias("_resolved"), pl.col("rank").alias("person_rank"),
        pl.col("label").alias("person_label"))
    if same_keys(result.persons, frames.leads):
        leads = frames.leads.hstack(persons)
    else:
        leads = frames.leads.join(
            result.persons.select("source", "source_id").hstack(persons),
            on=["source", "source_id"], how="left", maintain_order="left")
    resolved = pl.coalesce("_resolved", "person_id")
    if leads.get_column("_resolved").null_count() == 0:
        resolved = pl.col("_resolved")  # the same values, without a copy
    leads = leads.with_columns(resolved.alias("person_id")).drop("_resolved")
    return CanonicalFrames(
        leads=leads, opportunities=frames.opportunities, users=frames.users,
        accounts=frames.accounts, activities=frames.activities,
        associations=frames.associations, writeback_log=frames.writeback_log,
        attribution=result.table.select(*RECORD_KEY, "origin", "channel"))


# -- records and facts --------------------------------------------------------------------


def _facts(leads: pl.DataFrame, opportunities: pl.DataFrame, frames: CanonicalFrames,
           params: AttributionParams, *, history: bool = True) -> pl.DataFrame:
    """Build one row per lead, then per opportunity, with every fact a decision reads.

    Without ``history`` the account-history facts are empty (null days, false flags).
    """
    records = _records(leads, opportunities)
    records = _with_roles(records, frames.users, params)
    records = join_columns(
        records, frames.accounts.select("source", pl.col("source_id").alias("account_id"),
                                        "is_abm_target").unique(["source", "account_id"]),
        on=["source", "account_id"])
    if history:
        records = account_history(records, frames.opportunities, frames.activities, params)
    else:
        records = records.with_columns(
            pl.lit(None, dtype=pl.Int64).alias("days_since_last_activity"),
            pl.lit(None, dtype=pl.Int64).alias("days_since_last_closed_opportunity"),
            pl.lit(value=False).alias("last_closed_lost"),
            pl.lit(value=False).alias("former_customer"))
    return person_set_values(records, frames.writeback_log, params)


def _refine_dormant(decided: pl.DataFrame, frames: CanonicalFrames,
                    params: AttributionParams) -> pl.DataFrame:
    """Measure account history for the records dormant revival may refine, then refine them.

    ``decided`` was decided without history facts. The result equals deciding with them,
    because no rule reads them. The refinement only touches sales-origin records whose
    channel is one of the dormant channels and was not set by a person.
    """
    candidates = decided.select(
        _may_turn_dormant(params)
        & pl.col("account_id").is_not_null() & pl.col("created_at").is_not_null()
    ).to_series()
    if not candidates.any():
        return decided
    positions = candidates.arg_true()
    subset = decided.select(
        "source", "account_id", "created_at", "opportunity_type", "origin", "channel",
        "channel_rule", "channel_explicit").select(pl.all().gather(positions))
    facts = history_facts(subset.select("source", "account_id", "created_at",
                                        "opportunity_type"),
                          frames.opportunities, frames.activities, params)
    # Only the decision columns go back, because without kept details no caller reads facts.
    refined = _apply_dormant(subset.hstack(facts).with_columns(
        dormant_signal_expr(params).alias("dormant_signal")), params)
    return decided.with_columns(
        in_chunks_of(decided.get_column(name).scatter(positions, refined.get_column(name)),
                     decided)
        for name in ("channel", "channel_rule", "dormant_signal"))


def _records(leads: pl.DataFrame, opportunities: pl.DataFrame) -> pl.DataFrame:
    lead_records = leads.select(
        "source", "source_id", "object", pl.lit("lead").alias("record_kind"), "created_at",
        "lead_source", "record_source", "record_source_detail",
        pl.col("created_by").alias("creator_id"),
        pl.coalesce("owner_at_creation", "owner_id").alias("owner_at_creation_id"),
        "account_id", pl.lit(None, dtype=pl.Utf8).alias("opportunity_type"),
        "crm_origin", "crm_channel", pl.col("_row").alias("lead_row"),
        pl.lit(None, dtype=pl.UInt32).alias("opportunity_row"),
    )
    opportunity_records = opportunities.select(
        "source", "source_id", "object", pl.lit("opportunity").alias("record_kind"),
        "created_at", "lead_source", pl.lit(None, dtype=pl.Utf8).alias("record_source"),
        pl.lit(None, dtype=pl.Utf8).alias("record_source_detail"),
        pl.col("created_by").alias("creator_id"),
        pl.col("owner_id").alias("owner_at_creation_id"), "account_id", "opportunity_type",
        "crm_origin", "crm_channel", pl.lit(None, dtype=pl.UInt32).alias("lead_row"),
        pl.col("_row").alias("opportunity_row"),
    )
    # Equal schemas let the frames be stacked without copying their columns.
    return pl.concat([lead_records, opportunity_records.cast(lead_records.schema)],
                     how="vertical")


def effective_role(role: pl.Expr, params: AttributionParams) -> pl.Expr:
    """Map a user role to ``sales`` when it counts as sales; keep other roles as they are."""
    counts = role.is_in(list(params.sales_roles))
    if params.inside_sales_counts_as_sales:
        counts = counts | (role == "inside_sales")
    return pl.when(counts).then(pl.lit("sales")).otherwise(role)


def user_roles(users: pl.DataFrame, params: AttributionParams) -> pl.DataFrame:
    """Return ``source, user_id, role, effective_role, team, owner_id`` by both user keys.

    HubSpot records name their creator by user id (``crm_user_id``) and their owner by owner
    id (``source_id``), so both keys are listed; ``owner_id`` is the user's owner id, the
    one reps are credited, named and given targets under.
    """
    base = users.select("source", "source_id", "crm_user_id", "role", "team",
                        effective_role(pl.col("role"), params).alias("effective_role"))
    by_id = base.select("source", pl.col("source_id").alias("user_id"), "role",
                        "effective_role", "team", pl.col("source_id").alias("owner_id"))
    by_crm_id = (base.filter(pl.col("crm_user_id").is_not_null()
                             & (pl.col("crm_user_id") != pl.col("source_id")))
                 .select("source", pl.col("crm_user_id").alias("user_id"), "role",
                         "effective_role", "team", pl.col("source_id").alias("owner_id")))
    return pl.concat([by_id, by_crm_id]).unique(["source", "user_id"], keep="first",
                                                maintain_order=True)


def _with_roles(records: pl.DataFrame, users: pl.DataFrame,
                params: AttributionParams) -> pl.DataFrame:
    roles = user_roles(users, params)
    return records.with_columns(
        user_lookup(roles, "creator_id", "effective_role").alias("creator_role"),
        user_lookup(roles, "owner_at_creation_id", "effective_role").alias("owner_role"))


def user_lookup(users: pl.DataFrame, id_column: str, value_column: str) -> pl.Expr:
    """Map ``(source, id_column)`` to ``users[value_column]``, one lookup per source.

    ``users`` is :func:`user_roles` output. Users are few, so replacing through one mapping
    per source is several times faster than joining a million records on two string columns.
    """
    expression = pl.lit(None, dtype=users.schema[value_column])
    for (source,), group in users.group_by("source", maintain_order=True):
        mapping = dict(zip(group.get_column("user_id").to_list(),
                           group.get_column(value_column).to_list(), strict=True))
        expression = (pl.when(pl.col("source") == source)
                      .then(pl.col(id_column).replace_strict(
                          mapping, default=None, return_dtype=users.schema[value_column]))
                      .otherwise(expression))
    return expression


def local_date(expr: pl.Expr, timezone: str) -> pl.Expr:
    """Convert a UTC timestamp to its calendar date in ``timezone``."""
    return expr.dt.convert_time_zone(timezone).dt.date()


def account_history(records: pl.DataFrame, opportunities: pl.DataFrame,
                    activities: pl.DataFrame, params: AttributionParams) -> pl.DataFrame:
    """Add the account's history before each record's creation.

    Columns added: ``days_since_last_activity`` (local dates),
    ``days_since_last_closed_opportunity``, ``last_closed_lost``, ``former_customer``.
    Date-only ``closed_at`` is compared with the record's local creation date, strictly
    before it, so the record's own events never count as its history. Records without an
    account or creation time get null days and false flags.
    """
    keyed = records.select(pl.col("account_id").is_not_null()
                           & pl.col("created_at").is_not_null()).to_series()
    positions = keyed.arg_true()
    facts = history_facts(
        records.select("source", "account_id", "created_at", "opportunity_type").filter(keyed),
        opportunities, activities, params)
    return records.with_columns(
        in_chunks_of(spread(facts.get_column(name), positions, records.height, default),
                     records)
        for name, default in (("days_since_last_activity", None),
                              ("days_since_last_closed_opportunity", None),
                              ("last_closed_lost", False), ("former_customer", False)))


def history_facts(records: pl.DataFrame, opportunities: pl.DataFrame,
                  activities: pl.DataFrame, params: AttributionParams) -> pl.DataFrame:
    """Return the account-history facts of ``records``, one row each and in their order.

    ``records`` has ``source``, ``account_id``, ``created_at`` (neither null) and
    ``opportunity_type``; the columns returned are those :func:`account_history` adds.
    """
    # By creation time; ``_row`` is the position in ``records``.
    left = (records.with_row_index("_row").sort("created_at")
            .with_columns(local_date(pl.col("created_at"), params.timezone)
                          .alias("created_local_date")))

    # An activity belongs to its own account, else to its opportunity's account.
    on_opportunity = activities.filter(pl.col("account_id").is_null()
                                       & pl.col("opportunity_id").is_not_null())
    activity_accounts = pl.concat([
        activities.filter(pl.col("account_id").is_not_null())
        .select("source", "account_id", "occurred_at"),
        on_opportunity.join(
            opportunities.select("source", pl.col("source_id").alias("opportunity_id"),
                                 "account_id"),
            on=["source", "opportunity_id"], how="inner", suffix="_opportunity",
        ).select("source", pl.col("account_id_opportunity").alias("account_id"),
                 "occurred_at"),
    ]).filter(pl.col("account_id").is_not_null() & pl.col("occurred_at").is_not_null()
              ).sort("occurred_at")
    facts = left.join_asof(
        activity_accounts.rename({"occurred_at": "_last_activity_at"}),
        left_on="created_at", right_on="_last_activity_at", by=["source", "account_id"],
        strategy="backward", allow_exact_matches=False, check_sortedness=False,
    )

    closed = (
        opportunities.filter(pl.col("is_closed").fill_null(value=False)
                             & pl.col("closed_at").is_not_null()
                             & pl.col("account_id").is_not_null())
        .select("source", "account_id", pl.col("closed_at").alias("_last_closed_at"),
                pl.col("is_won").fill_null(value=False).alias("_last_closed_won"))
        # On a day with both outcomes the won deal sorts last, so it counts as the last one.
        .sort("_last_closed_at", "_last_closed_won")
    )
    # Local dates follow creation time except across a time-zone change at midnight.
    if not facts.get_column("created_local_date").is_sorted():
        facts = facts.sort("created_local_date")
    facts = facts.join_asof(
        closed, left_on="created_local_date", right_on="_last_closed_at",
        by=["source", "account_id"], strategy="backward", allow_exact_matches=False,
        check_sortedness=False,
    )

    existing_types = [fold_text(value) for value in params.existing_business_types]
    customer_since = pl.concat([
        opportunities.filter(pl.col("is_won").fill_null(value=False))
        .select("source", "account_id", pl.col("closed_at").alias("_since")),
        opportunities.filter(folded_in(opportunities, "opportunity_type", existing_types))
        .select("source", "account_id",
                local_date(pl.col("created_at"), params.timezone).alias("_since")),
    ]).filter(pl.col("account_id").is_not_null() & pl.col("_since").is_not_null()).group_by(
        "source", "account_id").agg(pl.col("_since").min())
    facts = facts.join(customer_since, on=["source", "account_id"], how="left",
                       maintain_order="left").select(
        "_row",
        (pl.col("created_local_date")
         - local_date(pl.col("_last_activity_at"), params.timezone)).dt.total_days()
        .alias("days_since_last_activity"),
        (pl.col("created_local_date") - pl.col("_last_closed_at")).dt.total_days()
        .alias("days_since_last_closed_opportunity"),
        (pl.col("_last_closed_at").is_not_null() & ~pl.col("_last_closed_won"))
        .alias("last_closed_lost"),
        ((pl.col("_since") < pl.col("created_local_date")).fill_null(value=False)
         | folded_in(left, "opportunity_type", existing_types)).alias("former_customer"),
    )

    return facts.sort("_row").drop("_row").with_columns(
        pl.col("last_closed_lost").fill_null(value=False))


def folded_in(frame: pl.DataFrame, column: str, folded: Sequence[str]) -> pl.Expr:
    """Return an expression true where ``column`` folds to one of ``folded``, else false.

    Folding runs once per distinct value of ``frame[column]`` instead of on every row, so
    the expression is only valid on ``frame``.
    """
    values = frame.get_column(column).drop_nulls().unique().to_frame("value")
    matching = values.filter(fold_expr(pl.col("value")).is_in(list(folded)))
    return pl.col(column).is_in(matching.get_column("value").implode()).fill_null(value=False)


def _last_writes(written: pl.DataFrame) -> pl.DataFrame:
    """Return the latest ``after`` per record; of equal times, the later log row wins.

    A log usually has one write per record and field, so the grouping is skipped when no
    record repeats (a hash collision only sends the log through the grouping).
    """
    keys = ["source", "object", "source_id"]
    written = written.select(*keys, "logged_at", "after")
    # Counting distinct hashes took half the time of marking duplicated ones (1.2M rows).
    if written.select(pl.struct(keys).hash().n_unique()).item() < written.height:
        if not written.get_column("logged_at").is_sorted():
            written = written.sort("logged_at", maintain_order=True)
        written = written.unique(subset=keys, keep="last")
    return written.select(*keys, "after")


def _vocabulary(labels: Mapping[str, Sequence[str]]) -> dict[str, str]:
    return {fold_text(value): key for key, values in labels.items() for value in (key, *values)}


def person_set_values(records: pl.DataFrame, writeback_log: pl.DataFrame,
                      params: AttributionParams) -> pl.DataFrame:
    """Add ``origin_set``/``channel_set``: the CRM values a person set, as ids, else null.

    Also adds ``last_written_origin``/``last_written_channel`` and ``origin_unrecognized`` /
    ``channel_unrecognized`` (a person-set value that is no known id or label: it is kept
    out of the decision and listed for review).
    """
    written = writeback_log.filter(pl.col("result") == "written")
    for kind, names in (("origin", params.origin_fields), ("channel", params.channel_fields)):
        if written.height == 0:
            records = records.with_columns(
                pl.lit(None, dtype=pl.Utf8).alias(f"last_written_{kind}"))
            continue
        last = _last_writes(written.filter(pl.col("field").is_in(list(names)))).rename(
            {"after": f"last_written_{kind}"})
        records = join_columns(records, last, on=["source", "object", "source_id"])

    vocabularies = {
        "origin": _vocabulary(ORIGIN_LABELS),
        "channel": _vocabulary(CHANNEL_LABELS | {
            channel: () for channel in ORIGIN_OF_CHANNEL if channel not in CHANNEL_LABELS}),
    }
    for kind, words in vocabularies.items():
        value = fold_expr(pl.col(f"crm_{kind}"))
        person_set = value.is_not_null() & (
            value.ne_missing(fold_expr(pl.col(f"last_written_{kind}"))))
        folded = pl.when(person_set).then(value).otherwise(None)
        mapped = folded.replace_strict(words, default=None, return_dtype=pl.Utf8)
        outputs = [mapped.alias(f"{kind}_set"),
                   (folded.is_not_null() & mapped.is_null()).alias(f"{kind}_unrecognized")]
        keys = records.select(f"crm_{kind}", f"last_written_{kind}")
        # A value that is empty or equal to our last write is no person's, so only the other
        # records are folded: after a write-back, almost none.
        crm = keys.get_column(f"crm_{kind}")
        open_values = crm.is_not_null() & crm.ne_missing(keys.get_column(f"last_written_{kind}"))
        if not open_values.any():
            records = records.with_columns(pl.lit(None, dtype=pl.Utf8).alias(f"{kind}_set"),
                                           pl.lit(value=False).alias(f"{kind}_unrecognized"))
            continue
        # The CRM value and our last write repeat across records: fold each pair once.
        positions = open_values.arg_true()
        decided = decide_distinct(
            keys.filter(open_values),
            lambda distinct, outputs=outputs: distinct.with_columns(outputs))
        records = hstack_in_chunks(records, pl.DataFrame([
            spread(decided.get_column(f"{kind}_set"), positions, records.height),
            spread(decided.get_column(f"{kind}_unrecognized"), positions, records.height,
                   default=False)]))
    return records


# -- per-field decision --------------------------------------------------------------------


def _by_origin(origin: pl.Expr, column_prefix: str) -> pl.Expr:
    chain = pl.when(origin == ORIGINS[0]).then(pl.col(f"{column_prefix}_{ORIGINS[0]}"))
    for name in ORIGINS[1:]:
        chain = chain.when(origin == name).then(pl.col(f"{column_prefix}_{name}"))
    return chain.otherwise(None)


def _mapped(expr: pl.Expr, mapping: Mapping[str, str]) -> pl.Expr:
    return expr.replace_strict(mapping, default=None, return_dtype=pl.Utf8)


def fallback_expr() -> tuple[pl.Expr, pl.Expr]:
    """Return the fallback (origin, rule id) expressions over a facts frame.

    The frame needs ``creator_role`` and ``_record_source`` (the folded record source).
    """
    record_source = pl.col("_record_source")
    by_hand = record_source.is_null() | record_source.is_in(list(MANUAL_RECORD_SOURCES))
    creator_sales = pl.col("creator_role") == "sales"
    automated = (pl.col("creator_role").is_in(["marketing", "integration"])
                 | record_source.is_in(list(AUTOMATED_RECORD_SOURCES)))
    origin = (pl.when(creator_sales.fill_null(value=False) & by_hand).then(pl.lit("sales"))
              .when(automated.fill_null(value=False)).then(pl.lit("marketing"))
              .otherwise(pl.lit("unknown")))
    rule = (pl.when(creator_sales.fill_null(value=False) & by_hand)
            .then(pl.lit("fallback:sales_by_hand"))
            .when(automated.fill_null(value=False)).then(pl.lit("fallback:automated"))
            .otherwise(pl.lit("fallback:unknown")))
    return origin, rule


def decide_records(records: pl.DataFrame, rules: RuleSet,
                   params: AttributionParams) -> pl.DataFrame:
    """Decide origin and channel of every record from its facts (steps 1 to 4).

    Adds ``origin``, ``channel``, ``origin_rule``, ``channel_rule``, ``origin_explicit``,
    ``channel_explicit`` and ``dormant_signal``. A decision depends only on a few
    low-cardinality facts, so each distinct combination of them is decided once.
    """
    records = records.with_columns(dormant_signal_expr(params).alias("dormant_signal"))
    names = [name for name in rules.fields if name in records.columns]
    names += [name for name in ("creator_role", "record_source", "origin_set", "channel_set",
                                "dormant_signal") if name not in names]
    keys = rule_keys(records, rules, names)
    decided = decide_distinct(keys, lambda combos: _apply_dormant(
        _decide_fields(match_rules(combos, rules)), params).select(
        *names, *DECIDED_COLUMNS))
    return hstack_in_chunks(records, decided)


DECIDED_COLUMNS = ["origin", "channel", "origin_rule", "channel_rule", "origin_explicit",
                   "channel_explicit"]


def _decide_fields(frame: pl.DataFrame) -> pl.DataFrame:
    fallback_origin, fallback_rule = fallback_expr()
    implied = _mapped(pl.col("channel_set"), ORIGIN_OF_CHANNEL)
    frame = frame.with_columns(fold_expr(pl.col("record_source")).alias("_record_source"))
    frame = frame.with_columns(
        pl.coalesce("origin_set", implied, "rule_origin", fallback_origin).alias("origin"),
        pl.when(pl.col("origin_set").is_not_null()).then(pl.lit("explicit"))
        .when(implied.is_not_null()).then(pl.lit("explicit:channel"))
        .when(pl.col("rule_origin").is_not_null()).then(pl.col("rule_id"))
        .otherwise(fallback_rule).alias("origin_rule"),
        pl.col("origin_set").is_not_null().alias("origin_explicit"),
        pl.col("channel_set").is_not_null().alias("channel_explicit"),
    )
    rule_channel = _by_origin(pl.col("origin"), "rule_channel")
    rule_channel_id = _by_origin(pl.col("origin"), "rule_id")
    from_fallback = (pl.col("origin_set").is_null() & implied.is_null()
                     & pl.col("rule_origin").is_null())
    default = _mapped(pl.col("origin"), DEFAULT_CHANNEL)
    return frame.with_columns(
        pl.coalesce("channel_set", rule_channel, default).alias("channel"),
        pl.when(pl.col("channel_set").is_not_null()).then(pl.lit("explicit"))
        .when(rule_channel.is_not_null()).then(rule_channel_id)
        .when(from_fallback).then(pl.col("origin_rule"))
        .otherwise(pl.lit("default:") + pl.col("origin")).alias("channel_rule"),
    ).drop("_record_source")


def dormant_signal_expr(params: AttributionParams) -> pl.Expr:
    """Return the first dormant signal that holds for a record's account, or null."""
    signals = {
        "former_customer": pl.col("former_customer").fill_null(value=False),
        "last_opportunity_lost": pl.col("last_closed_lost").fill_null(value=False),
        "inactive": (pl.col("days_since_last_activity") > params.dormant_days)
        .fill_null(value=False),
    }
    chain: Any = None
    for name in DORMANT_SIGNALS:
        if name not in params.dormant_signals:
            continue
        chain = (pl.when(signals[name]) if chain is None else chain.when(signals[name])
                 ).then(pl.lit(name))
    return pl.lit(None, dtype=pl.Utf8) if chain is None else chain.otherwise(None)


def _may_turn_dormant(params: AttributionParams) -> pl.Expr:
    """Select sales-origin records in a dormant channel that no person set."""
    return ((pl.col("origin") == "sales") & ~pl.col("channel_explicit")
            & pl.col("channel").is_in(list(params.dormant_channels)))


def _apply_dormant(frame: pl.DataFrame, params: AttributionParams) -> pl.DataFrame:
    """Refine the channel of sales-origin records by their ``dormant_signal``."""
    refine = _may_turn_dormant(params) & pl.col("dormant_signal").is_not_null()
    return frame.with_columns(
        pl.when(refine).then(pl.lit("dormant_revival")).otherwise(pl.col("channel"))
        .alias("channel"),
        pl.when(refine).then(pl.lit("dormant:") + pl.col("dormant_signal"))
        .otherwise(pl.col("channel_rule")).alias("channel_rule"),
    )


DECISION_COLUMNS = ["origin", "channel", "origin_rule", "channel_rule"]


def _share_within_person(leads: pl.DataFrame, *, explain: bool = True) -> pl.DataFrame:
    """Give each lead its person's decision unless the lead has a person-set value.

    ``leads`` carries ``person_id``, ``rank`` and ``label`` from identity resolution. The
    person's decision is that of its latest record with a person-set value, else of its
    earliest record (rank equal to the label). With ``explain``, adds ``decided_by``, the
    deciding record.
    """
    has_set = leads.select(pl.col("origin_explicit") | pl.col("channel_explicit")).to_series()
    rank, label = leads.get_column("rank"), leads.get_column("label")
    chosen = label
    if has_set.any():
        setters = (leads.filter(has_set).group_by("label")
                   .agg(pl.col("rank").max().alias("_chosen")))
        chosen = (label.to_frame().join(setters, on="label", how="left", maintain_order="left")
                  .select(pl.coalesce("_chosen", "label")).to_series())

    # Most records decide for themselves; only the others look up the deciding record.
    borrows = (chosen != rank) & ~has_set
    key = pl.col("source") + ":" + pl.col("source_id")
    decided_by = None
    if explain:
        decided_by = leads.get_column("person_id").clone()
        other = (rank != label).arg_true()
        if other.len():
            decided_by = decided_by.scatter(
                other, leads.select(key.gather(other)).to_series())
    if not borrows.any():
        if decided_by is not None:
            leads = leads.with_columns(decided_by.alias("decided_by"))
        return leads.drop("rank", "label")

    positions = borrows.arg_true()
    wanted = chosen.gather(positions).to_frame("rank")
    donors = leads.select("rank", *DECISION_COLUMNS,
                          *([key.alias("decided_by")] if explain else [])).join(
        wanted.unique(), on="rank", how="semi")
    borrowed = wanted.join(donors, on="rank", how="left", maintain_order="left")
    # A person may have typed an origin and a channel that do not belong together; the
    # record holding them keeps both, the person's other records get the origin's default.
    fits = _mapped(pl.col("channel"), ORIGIN_OF_CHANNEL) == pl.col("origin")
    borrowed = borrowed.with_columns(
        pl.when(fits).then(pl.col("channel"))
        .otherwise(_mapped(pl.col("origin"), DEFAULT_CHANNEL)).alias("channel"),
        pl.when(fits).then(pl.col("channel_rule"))
        .otherwise(pl.lit("default:") + pl.col("origin")).alias("channel_rule"),
    )
    # NOTE: a deciding record outside ``leads`` (a scope that splits a person) leaves the
    # record with its own decision.
    found = borrowed.get_column("origin").is_not_null()
    positions, borrowed = positions.filter(found), borrowed.filter(found)
    columns = {name: leads.get_column(name).scatter(positions, borrowed.get_column(name))
               for name in DECISION_COLUMNS}
    if decided_by is not None:
        columns["decided_by"] = decided_by.scatter(positions,
                                                   borrowed.get_column("decided_by"))
    return leads.with_columns(**columns).drop("rank", "label")


def link_opportunities(leads: pl.DataFrame, opportunities: pl.DataFrame,
                       associations: pl.DataFrame,
                       lead_rank: pl.Series | None = None) -> pl.DataFrame:
    """List every (opportunity, lead) pair with the priority of the link that makes it.

    Priorities: 1 the opportunity's ``lead_id``; 2 the lead's ``opportunity_id`` (its
    conversion); 3 a HubSpot deal-contact association; 4 the opportunity's contact being
    the lead's record or its converted contact. Returns ``source, opportunity_id, lead_id,
    priority, lead_created_at, is_inherited, lead_row, opportunity_row`` where
    ``is_inherited`` marks the one pair per opportunity it inherits from: lowest priority,
    then earliest-created lead (then source and id), and the rows are positions in
    ``leads`` and ``opportunities``. ``lead_rank`` is :func:`creation_rank` of ``leads`` when
    the caller has it already.
    """
    rank = creation_rank(leads) if lead_rank is None else lead_rank
    return rank_links(link_pairs(leads, opportunities, associations), rank)


def link_pairs(leads: pl.DataFrame, opportunities: pl.DataFrame,
               associations: pl.DataFrame) -> pl.DataFrame:
    """Find the (opportunity, lead) pairs of :func:`link_opportunities`, not yet ranked."""
    # Integer positions stand in for the string keys once pairs are found.
    lead_keys = leads.select("source", pl.col("source_id").alias("lead_id"),
                             pl.col("created_at").alias("lead_created_at"),
                             pl.int_range(pl.len(), dtype=pl.UInt32).alias("lead_row"))
    pairs = [
        opportunities.select(
            "source", pl.col("source_id").alias("opportunity_id"), "lead_id",
            pl.lit(1).alias("priority")).filter(pl.col("lead_id").is_not_null()),
        leads.select(
            "source", "opportunity_id", pl.col("source_id").alias("lead_id"),
            pl.lit(2).alias("priority")).filter(pl.col("opportunity_id").is_not_null()),
    ]
    from_object = pl.col("from_object").str.to_lowercase()
    to_object = pl.col("to_object").str.to_lowercase()
    pairs.append(pl.concat([
        associations.filter(from_object.is_in(DEAL_OBJECTS) & to_object.is_in(CONTACT_OBJECTS))
        .select("source", pl.col("from_id").alias("opportunity_id"),
                pl.col("to_id").alias("lead_id")),
        associations.filter(from_object.is_in(CONTACT_OBJECTS) & to_object.is_in(DEAL_OBJECTS))
        .select("source", pl.col("to_id").alias("opportunity_id"),
                pl.col("from_id").alias("lead_id")),
    ]).with_columns(pl.lit(3).alias("priority")))
    with_contact = opportunities.select(
        "source", pl.col("source_id").alias("opportunity_id"), "contact_id").filter(
        pl.col("contact_id").is_not_null())
    pairs.append(pl.concat([
        with_contact.join(leads.select("source", pl.col("source_id").alias("contact_id"),
                                       pl.col("source_id").alias("lead_id")),
                          on=["source", "contact_id"]),
        with_contact.join(leads.select("source", "contact_id",
                                       pl.col("source_id").alias("lead_id"))
                          .filter(pl.col("contact_id").is_not_null()),
                          on=["source", "contact_id"]),
    ]).select("source", "opportunity_id", "lead_id", pl.lit(4).alias("priority")))

    known_opportunities = opportunities.select(
        "source", pl.col("source_id").alias("opportunity_id"),
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("opportunity_row"))
    return (
        pl.concat([pair.with_columns(pl.col("priority").cast(pl.Int8)) for pair in pairs])
        .join(lead_keys, on=["source", "lead_id"], how="inner")
        .join(known_opportunities, on=["source", "opportunity_id"], how="inner")
        .group_by("opportunity_row", "lead_row")
        .agg(pl.col("source", "opportunity_id", "lead_id", "lead_created_at").first(),
             pl.col("priority").min())
    )


def rank_links(pairs: pl.DataFrame, lead_rank: pl.Series) -> pl.DataFrame:
    """Order :func:`link_pairs` output and mark the pair each opportunity inherits from.

    ``lead_rank`` is :func:`creation_rank` of the leads, which orders them by creation
    time, then source and id, as the inheritance rule requires.
    """
    linked = pairs.with_columns(
        pl.lit(lead_rank).gather(pl.col("lead_row")).alias("_lead_rank")).sort(
        "opportunity_row", "priority", "_lead_rank")
    return linked.with_columns(
        # Sorted by opportunity, so each opportunity's first pair is where the row changes.
        pl.col("opportunity_row").ne_missing(pl.col("opportunity_row").shift(1))
        .alias("is_inherited"),
    ).select("source", "opportunity_id", "lead_id", "priority", "lead_created_at",
             "is_inherited", "lead_row", "opportunity_row")


def _inherit_from_leads(opportunities: pl.DataFrame, leads: pl.DataFrame,
                        links: pl.DataFrame, *, explain: bool = True) -> pl.DataFrame:
    """Give each opportunity its inherited lead's decision, per field (see the module).

    With ``explain``, adds ``decided_by`` and ``linked_lead_id``.
    """
    inherited = links.filter(pl.col("is_inherited")).select(
        "opportunity_row", "lead_row", pl.col("lead_id").alias("linked_lead_id"))
    lead_decisions = leads.select(
        "lead_row", *[pl.col(name).alias(f"lead_{name}") for name in DECISION_COLUMNS])
    looked_up = opportunities.select("opportunity_row").join(
        inherited, on="opportunity_row", how="left", maintain_order="left")
    if lead_decisions.height and lead_decisions.get_column("lead_row").equals(
            pl.int_range(lead_decisions.height, dtype=pl.UInt32, eager=True).alias("lead_row")):
        # Every lead is here in its own position, so its decision moves by gather.
        row = looked_up.get_column("lead_row")
        looked_up = looked_up.hstack(
            lead_decisions.drop("lead_row").select(pl.all().gather(row)))
    else:
        looked_up = looked_up.join(lead_decisions, on="lead_row", how="left",
                                   maintain_order="left")
    frame = opportunities.drop("lead_row").hstack(looked_up.drop("opportunity_row"))

    has_lead = pl.col("lead_origin").is_not_null()
    implied = _mapped(pl.col("channel_set"), ORIGIN_OF_CHANNEL)
    origin = pl.coalesce("origin_set", implied, "lead_origin")
    frame = frame.with_columns(
        pl.when(has_lead).then(origin).otherwise(pl.col("origin")).alias("origin"),
        pl.when(~has_lead).then(pl.col("origin_rule"))
        .when(pl.col("origin_set").is_not_null()).then(pl.lit("explicit"))
        .when(implied.is_not_null()).then(pl.lit("explicit:channel"))
        .otherwise(pl.lit("lead:") + pl.col("lead_origin_rule")).alias("origin_rule"),
    )
    lead_channel_fits = _mapped(pl.col("lead_channel"), ORIGIN_OF_CHANNEL) == pl.col("origin")
    decided_by = (pl.when(has_lead).then(pl.col("source") + ":" + pl.col("linked_lead_id"))
                  .otherwise(pl.col("source") + ":" + pl.col("source_id")))
    frame = frame.with_columns(
        pl.when(~has_lead).then(pl.col("channel"))
        .when(pl.col("channel_set").is_not_null()).then(pl.col("channel_set"))
        .when(lead_channel_fits).then(pl.col("lead_channel"))
        .otherwise(_mapped(pl.col("origin"), DEFAULT_CHANNEL)).alias("channel"),
        pl.when(~has_lead).then(pl.col("channel_rule"))
        .when(pl.col("channel_set").is_not_null()).then(pl.lit("explicit"))
        .when(lead_channel_fits).then(pl.lit("lead:") + pl.col("lead_channel_rule"))
        .otherwise(pl.lit("default:") + pl.col("origin")).alias("channel_rule"),
        *([decided_by.alias("decided_by")] if explain else []),
    ).drop(*[f"lead_{name}" for name in DECISION_COLUMNS])
    return frame if explain else frame.drop("linked_lead_id")


def _stamp(details: pl.DataFrame, previous: pl.DataFrame, now: datetime) -> pl.DataFrame:
    stamp = pl.lit(now).cast(UTC_TIMESTAMP) if now.tzinfo else pl.lit(now).cast(
        pl.Datetime("us")).dt.replace_time_zone("UTC")
    before = previous.select(*RECORD_KEY, pl.col("origin").alias("_previous_origin"),
                             pl.col("channel").alias("_previous_channel"),
                             pl.col("decided_at").alias("_previous_decided_at"))
    unchanged = ((pl.col("_previous_origin") == pl.col("origin"))
                 & pl.col("_previous_channel").eq_missing(pl.col("channel")))
    unchanged = unchanged.fill_null(value=False)
    if previous.height == 0:
        return details.with_columns(stamp.alias("decided_at"), stamp.alias("computed_at"))
    return join_columns(details, before, on=RECORD_KEY).with_columns(
        pl.when(unchanged).then(pl.col("_previous_decided_at")).otherwise(stamp)
        .alias("decided_at"),
        stamp.alias("computed_at"),
    ).drop("_previous_origin", "_previous_channel", "_previous_decided_at")


# -- incremental scope --------------------------------------------------------------------


@dataclass
class RecordScope:
    """The leads and opportunities (``source, source_id``) to recompute."""

    leads: pl.DataFrame
    opportunities: pl.DataFrame


def incremental_scope(frames: CanonicalFrames, since: datetime,
                      persons: pl.DataFrame | None = None) -> RecordScope:
    """Select the records to recompute after changes loaded after ``since``.

    Changed records are leads, opportunities and activities loaded (or modified in the CRM)
    after ``since``, plus records whose write-back log grew. The scope is every lead of a
    person with a changed lead, every lead and opportunity on an account touched by a
    change, and the leads and opportunities linked to either, closed over persons and links
    until every opportunity in it has the leads it may inherit from.
    """
    persons = persons if persons is not None else resolve_persons(frames.leads, frames.accounts)
    links = link_opportunities(frames.leads, frames.opportunities, frames.associations)
    stamp = pl.lit(since).cast(UTC_TIMESTAMP)

    def changed(frame: pl.DataFrame) -> pl.Expr:
        expression = pl.lit(value=False)
        for name in ("loaded_at", "modified_at"):
            if name in frame.columns:
                expression = expression | (pl.col(name) > stamp).fill_null(value=False)
        return expression

    logged = frames.writeback_log.filter(pl.col("logged_at") > stamp).select(
        "source", "source_id").unique()
    changed_leads = pl.concat([
        frames.leads.filter(changed(frames.leads)).select("source", "source_id"),
        frames.leads.join(logged, on=["source", "source_id"], how="semi")
        .select("source", "source_id"),
    ])
    changed_opportunities = pl.concat([
        frames.opportunities.filter(changed(frames.opportunities)).select("source", "source_id"),
        frames.opportunities.join(logged, on=["source", "source_id"], how="semi")
        .select("source", "source_id"),
    ])
    touched_accounts = pl.concat([
        frames.leads.join(changed_leads, on=["source", "source_id"], how="semi")
        .select("source", "account_id"),
        frames.opportunities.join(changed_opportunities, on=["source", "source_id"], how="semi")
        .select("source", "account_id"),
        frames.activities.filter(changed(frames.activities)).select("source", "account_id"),
    ]).drop_nulls().unique()

    leads = pl.concat([
        changed_leads,
        frames.leads.join(touched_accounts, on=["source", "account_id"], how="semi")
        .select("source", "source_id"),
        links.join(changed_opportunities.rename({"source_id": "opportunity_id"}),
                   on=["source", "opportunity_id"], how="semi")
        .select("source", pl.col("lead_id").alias("source_id")),
    ]).unique()
    base_opportunities = pl.concat([
        changed_opportunities,
        frames.opportunities.join(touched_accounts, on=["source", "account_id"], how="semi")
        .select("source", "source_id"),
    ])
    # Close the scope: every lead of a person in it, every opportunity linked to its leads,
    # and every lead its opportunities inherit from, until nothing more is added.
    while True:
        affected_persons = persons.join(leads, on=["source", "source_id"], how="semi").select(
            "person_id").unique()
        leads = persons.join(affected_persons, on="person_id", how="semi").select(
            "source", "source_id")
        opportunities = pl.concat([
            base_opportunities,
            links.join(leads.rename({"source_id": "lead_id"}), on=["source", "lead_id"],
                       how="semi").select("source", pl.col("opportunity_id").alias("source_id")),
        ]).unique()
        missing = (
            links.join(opportunities.rename({"source_id": "opportunity_id"}),
                       on=["source", "opportunity_id"], how="semi")
            .select("source", pl.col("lead_id").alias("source_id"))
            .join(leads, on=["source", "source_id"], how="anti").unique()
        )
        if missing.height == 0:
            break
        leads = pl.concat([leads, missing])
    logger.info("incremental attribution scope: %d leads, %d opportunities",
                leads.height, opportunities.height)
    return RecordScope(leads=leads, opportunities=opportunities)


# -- review and preview --------------------------------------------------------------------


def review_list(details: pl.DataFrame) -> pl.DataFrame:
    """List records a person should decide: unknown origin, unreadable or conflicting tags."""
    conflict = (pl.col("origin_explicit") & pl.col("channel_explicit")
                & (_mapped(pl.col("channel"), ORIGIN_OF_CHANNEL) != pl.col("origin")))
    reason = (
        pl.when(pl.col("origin_unrecognized") | pl.col("channel_unrecognized"))
        .then(pl.lit("unrecognized_crm_value"))
        .when(conflict.fill_null(value=False)).then(pl.lit("conflicting_crm_values"))
        .when(pl.col("origin") == "unknown").then(pl.lit("unknown_origin"))
        .otherwise(None)
    )
    return (
        details.with_columns(reason.alias("reason"))
        .filter(pl.col("reason").is_not_null())
        .select("reason", "source", "record_kind", "object", "source_id", "created_at",
                "lead_source", "record_source", "record_source_detail", "creator_role",
                "owner_role", "crm_origin", "crm_channel", "origin", "channel", "origin_rule",
                "channel_rule")
        .sort("reason", "source", "record_kind", "source_id")
    )


def compare_decisions(current: pl.DataFrame, proposed: pl.DataFrame) -> pl.DataFrame:
    """List records whose origin or channel differs between two attribution tables."""
    return (
        current.select(*RECORD_KEY, pl.col("origin").alias("origin_before"),
                       pl.col("channel").alias("channel_before"),
                       pl.col("channel_rule").alias("rule_before"))
        .join(proposed.select(*RECORD_KEY, pl.col("origin").alias("origin_after"),
                              pl.col("channel").alias("channel_after"),
                              pl.col("channel_rule").alias("rule_after")),
              on=RECORD_KEY, how="full", coalesce=True)
        .filter(pl.col("origin_before").ne_missing(pl.col("origin_after"))
                | pl.col("channel_before").ne_missing(pl.col("channel_after")))
        .sort(*RECORD_KEY)
    )


def summarize_moves(moves: pl.DataFrame) -> pl.DataFrame:
    """Count the records a rule change moves, per (origin, channel) before and after."""
    return (
        moves.group_by("origin_before", "channel_before", "origin_after", "channel_after")
        .agg(pl.len().alias("records"))
        .sort("records", "origin_before", "channel_before", descending=[True, False, False])
    )


__all__ = [
    "ATTRIBUTION_COLUMNS", "AttributionParams", "AttributionResult", "CANONICAL_SCHEMAS",
    "CHANNELS_BY_ORIGIN", "CanonicalFrames", "RecordScope", "account_history", "attribute",
    "canonical", "compare_decisions", "decision_key", "incremental_scope",
    "link_opportunities",
    "person_set_values", "review_list", "summarize_moves", "user_lookup", "user_roles",
]
