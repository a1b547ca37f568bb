"""HubSpot records to canonical frames: contacts → leads, deals → opportunities,
companies → accounts, engagements → activities, owners → users.

Every property value arrives as a string (or null), so a page becomes one all-text frame
and each canonical column is one Polars expression over it. A value that does not parse
(a date property holding text, an amount with letters) becomes null, is counted under
``object.property`` and stays in ``raw``.

Settings reach the normalizer through :class:`HubSpotOptions`. The registered function
uses the default options; a sync builds a configured one with
:func:`normalizer_from_settings`.

Links that HubSpot keeps as associations rather than properties (a deal's contacts and
company, an activity's contact) stay in the ``associations`` table;
:func:`deal_qualified_at` derives the "first associated deal" part of ``qualified_at``
from it after a pull.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from sgl.settings import Settings
from transforms import values
from transforms.normalize import NormalizedPage, Normalizer, Record, register

SOURCE = "hubspot"
ACTIVITY_TYPES = {"calls": "call", "meetings": "meeting", "emails": "email", "tasks": "task"}
DIRECTIONS = {"INBOUND": "inbound", "OUTBOUND": "outbound", "EMAIL": "outbound",
              "INCOMING_EMAIL": "inbound", "FORWARDED_EMAIL": "outbound"}
MS_PER_MINUTE = 60_000


@dataclass(frozen=True)
class HubSpotOptions:
    """The settings that normalization reads; see ``[sources.hubspot]``."""

    origin_property: str = "sgl_origin"
    channel_property: str = "sgl_channel"
    qualified_lifecycle_stages: tuple[str, ...] = ("salesqualifiedlead", "opportunity",
                                                   "customer")
    closed_won_stages: tuple[str, ...] = ()
    closed_lost_stages: tuple[str, ...] = ()
    default_currency: str = "JPY"
    abm_target_property: str = "hs_is_target_account"
    team_roles: Mapping[str, str] = field(default_factory=dict)
    owner_roles: Mapping[str, str] = field(default_factory=dict)
    default_role: str = "other"
    timezone: str = "Asia/Tokyo"  # the zone whose calendar date a deal's close date is

    @classmethod
    def from_settings(cls, settings: Settings) -> HubSpotOptions:
        hubspot = settings.sources.hubspot
        return cls(
            origin_property=hubspot.origin_property,
            channel_property=hubspot.channel_property,
            qualified_lifecycle_stages=tuple(hubspot.qualified_lifecycle_stages),
            closed_won_stages=tuple(hubspot.closed_won_stages),
            closed_lost_stages=tuple(hubspot.closed_lost_stages),
            default_currency=hubspot.default_currency or settings.general.reporting_currency,
            abm_target_property=hubspot.abm_target_property,
            team_roles=dict(hubspot.team_roles),
            owner_roles=dict(hubspot.owner_roles),
            default_role=hubspot.default_role,
            timezone=settings.general.timezone,
        )


@register(SOURCE)
def normalize_hubspot(object_name: str, records: list[Record]) -> NormalizedPage:
    """Normalize one page with the default options; see :func:`normalize_records`."""
    return normalize_records(object_name, records, HubSpotOptions())


def normalizer_from_settings(settings: Settings) -> Normalizer:
    """Return a normalizer that applies ``[sources.hubspot]`` and ``[general]``."""
    options = HubSpotOptions.from_settings(settings)
    return lambda object_name, records: normalize_records(object_name, records, options)


def normalize_records(object_name: str, records: list[Record],
                      options: HubSpotOptions) -> NormalizedPage:
    """Return the canonical frame of one page of ``object_name`` records, and its counts."""
    object_name = object_name.removesuffix("#archived")
    if object_name == "owners":
        return _users(records, options)
    builder = _BUILDERS.get(object_name)
    if builder is None:
        raise KeyError(f"HubSpot object {object_name!r} has no normalizer; known: owners, "
                       f"{', '.join(_BUILDERS)}.")
    table, columns, parsed = builder(options)
    frame = _property_frame(records, _needed_columns(columns, parsed))
    result = frame.select(*_record_columns(object_name), *columns)
    counts = _malformed_counts(object_name, frame, parsed)
    return NormalizedPage(frames={table: result}, malformed=counts)


# -- per object ------------------------------------------------------------------------

Parsed = dict[str, pl.Expr]  # property name -> its parsed expression, for malformed counts


def _leads(options: HubSpotOptions) -> tuple[str, list[pl.Expr], Parsed]:
    stage_dates = {f"hs_lifecyclestage_{stage}_date": values.timestamp(
        f"hs_lifecyclestage_{stage}_date") for stage in options.qualified_lifecycle_stages}
    created = values.timestamp("createdate")
    columns = [
        _text("email").str.strip_chars().alias("email"),
        pl.concat_str([_text("firstname"), _text("lastname")], separator=" ",
                      ignore_nulls=True).replace("", None).alias("full_name"),
        _text("company").alias("company"),
        pl.coalesce(created, values.timestamp("createdAt")).alias("created_at"),
        _text("hs_created_by_user_id").alias("created_by"),
        # NOTE: HubSpot keeps earlier owners only in propertiesWithHistory, which the pull
        # does not request, so the owner at creation is the current owner.
        _text("hubspot_owner_id").alias("owner_at_creation"),
        _text("hubspot_owner_id").alias("owner_id"),
        _text("hs_analytics_source").alias("lead_source"),
        _text("hs_object_source").alias("record_source"),
        pl.coalesce(_text("hs_object_source_detail_1"),
                    _text("hs_object_source_label")).alias("record_source_detail"),
        pl.coalesce(_text("lifecyclestage"), _text("hs_lead_status")).alias("status"),
        (pl.min_horizontal(*stage_dates.values()) if stage_dates
         else pl.lit(None, pl.Datetime("us", "UTC"))).alias("qualified_at"),
        _text("associatedcompanyid").alias("account_id"),
        pl.col("id").alias("contact_id"),
        _text(options.origin_property).alias("crm_origin"),
        _text(options.channel_property).alias("crm_channel"),
    ]
    return "leads", columns, {"createdate": created, **stage_dates}


def _opportunities(options: HubSpotOptions) -> tuple[str, list[pl.Expr], Parsed]:
    stage = _text("dealstage")
    if options.closed_won_stages or options.closed_lost_stages:
        won = stage.is_in(list(options.closed_won_stages))
        closed = stage.is_in([*options.closed_won_stages, *options.closed_lost_stages])
    else:
        won = values.boolean("hs_is_closed_won")
        closed = values.boolean("hs_is_closed")
    close_time = values.timestamp("closedate")
    created = values.timestamp("createdate")
    amount = _decimal("amount")
    columns = [
        _text("dealname").alias("name"),
        _text("hubspot_owner_id").alias("owner_id"),
        _text("hs_created_by_user_id").alias("created_by"),
        pl.coalesce(created, values.timestamp("createdAt")).alias("created_at"),
        _text("dealtype").alias("opportunity_type"),
        stage.alias("stage"),
        closed.alias("is_closed"),
        won.alias("is_won"),
        close_time.dt.convert_time_zone(options.timezone).dt.date().alias("closed_at"),
        amount.alias("amount"),
        pl.coalesce(_text("deal_currency_code"),
                    pl.lit(options.default_currency)).alias("currency"),
        _text("closed_lost_reason").alias("loss_reason"),
        _text("hs_next_step").alias("next_step"),
        _text("hs_analytics_source").alias("lead_source"),
        _text(options.origin_property).alias("crm_origin"),
        _text(options.channel_property).alias("crm_channel"),
    ]
    return "opportunities", columns, {"createdate": created, "closedate": close_time,
                                      "amount": amount}


def _accounts(options: HubSpotOptions) -> tuple[str, list[pl.Expr], Parsed]:
    created = values.timestamp("createdate")
    abm = values.boolean(options.abm_target_property)
    columns = [
        _text("name").alias("name"),
        _text("domain").str.strip_chars().str.to_lowercase().alias("domain"),
        _text("industry").alias("industry"),
        _text("type").alias("account_type"),
        _text("hubspot_owner_id").alias("owner_id"),
        _text("hs_created_by_user_id").alias("created_by"),
        pl.coalesce(created, values.timestamp("createdAt")).alias("created_at"),
        abm.alias("is_abm_target"),
    ]
    return "accounts", columns, {"createdate": created, options.abm_target_property: abm}


def _activities(object_name: str):
    def build(options: HubSpotOptions) -> tuple[str, list[pl.Expr], Parsed]:
        occurred = values.timestamp("hs_timestamp")
        parsed: Parsed = {"hs_timestamp": occurred}
        duration: pl.Expr = pl.lit(None, pl.Float64)
        direction: pl.Expr = pl.lit(None, pl.Utf8)
        if object_name == "calls":
            # hs_call_duration is in milliseconds.
            milliseconds = _text("hs_call_duration").cast(pl.Float64, strict=False)
            duration = milliseconds / MS_PER_MINUTE
            parsed["hs_call_duration"] = milliseconds
            direction = _direction("hs_call_direction")
        elif object_name == "meetings":
            start = values.timestamp("hs_meeting_start_time")
            end = values.timestamp("hs_meeting_end_time")
            duration = (end - start).dt.total_milliseconds().cast(pl.Float64) / MS_PER_MINUTE
            parsed.update({"hs_meeting_start_time": start, "hs_meeting_end_time": end})
        elif object_name == "emails":
            direction = _direction("hs_email_direction")
        columns = [
            pl.lit(ACTIVITY_TYPES[object_name]).alias("activity_type"),
            direction.alias("direction"),
            _text("hubspot_owner_id").alias("owner_id"),
            duration.alias("duration_minutes"),
            pl.coalesce(occurred, values.timestamp("hs_createdate"),
                        values.timestamp("createdAt")).alias("occurred_at"),
        ]
        return "activities", columns, parsed
    return build


_BUILDERS = {"contacts": _leads, "deals": _opportunities, "companies": _accounts,
             **{name: _activities(name) for name in ACTIVITY_TYPES}}


def _users(records: list[Record], options: HubSpotOptions) -> NormalizedPage:
    rows = []
    for owner in records:
        teams = owner.get("teams") or []
        primary = next((team for team in teams if team.get("primary")),
                       teams[0] if teams else None)
        name = " ".join(part for part in (owner.get("firstName"), owner.get("lastName"))
                        if part)
        rows.append({
            "source_id": str(owner["id"]),
            "raw": json.dumps(owner, ensure_ascii=False),
            "updated": owner.get("updatedAt"),
            "name": name or None,
            "email": owner.get("email"),
            "role": _owner_role(owner, teams, primary, options),
            "team": primary.get("name") if primary else None,
            "crm_user_id": (str(owner["userId"]) if owner.get("userId") is not None
                            else None),
            "is_active": not owner.get("archived", False),
        })
    schema = {"source_id": pl.Utf8, "raw": pl.Utf8, "updated": pl.Utf8, "name": pl.Utf8,
              "email": pl.Utf8, "role": pl.Utf8, "team": pl.Utf8, "crm_user_id": pl.Utf8,
              "is_active": pl.Boolean}
    frame = pl.DataFrame(rows, schema=schema)
    modified = values.timestamp("updated")
    result = frame.select(
        pl.lit(SOURCE).alias("source"), "source_id", pl.lit("owners").alias("object"),
        "raw", modified.alias("modified_at"), pl.lit(value=False).alias("is_deleted"),
        pl.lit(None, pl.Datetime("us", "UTC")).alias("deleted_at"),
        "name", "email", "role", "team", "crm_user_id", "is_active",
    )
    malformed = int(frame.select(values.malformed("updated", modified).sum()).item() or 0)
    return NormalizedPage(frames={"users": result},
                          malformed={"owners.updatedAt": malformed} if malformed else {})


def _owner_role(owner: Record, teams: Sequence[Record], primary: Record | None,
                options: HubSpotOptions) -> str:
    """Pick a role: the owner's own mapping, then the primary team's, then any team's."""
    for key in (str(owner.get("id")), owner.get("email") or ""):
        if key in options.owner_roles:
            return options.owner_roles[key]
    ordered = ([primary] if primary else []) + [team for team in teams if team is not primary]
    for team in ordered:
        role = options.team_roles.get(team.get("name") or "")
        if role:
            return role
    return options.default_role


# -- derivations over the warehouse -----------------------------------------------------

def deal_qualified_at(leads: pl.DataFrame, opportunities: pl.DataFrame,
                      associations: pl.DataFrame) -> pl.DataFrame:
    """Return ``source_id, qualified_at`` of HubSpot leads: the earlier of the stored
    ``qualified_at`` and the creation of the contact's first associated deal.

    ``associations`` contains rows from deals to contacts (``from_object = "deals"``).

    >>> import datetime as dt
    >>> t = lambda day: dt.datetime(2025, 1, day, tzinfo=dt.timezone.utc)
    >>> leads = pl.DataFrame({"source_id": ["1", "2"], "qualified_at": [t(9), None]})
    >>> deals = pl.DataFrame({"source_id": ["d1"], "created_at": [t(5)]})
    >>> links = pl.DataFrame({"from_object": ["deals"], "from_id": ["d1"],
    ...                       "to_object": ["contacts"], "to_id": ["2"]})
    >>> deal_qualified_at(leads, deals, links)["qualified_at"].dt.day().to_list()
    [9, 5]
    """
    first_deal = (
        associations.filter((pl.col("from_object") == "deals")
                            & (pl.col("to_object") == "contacts"))
        .select(pl.col("to_id").alias("source_id"), pl.col("from_id").alias("deal_id"))
        .unique()
        .join(opportunities.select(pl.col("source_id").alias("deal_id"), "created_at"),
              on="deal_id", how="inner")
        .group_by("source_id").agg(pl.col("created_at").min().alias("first_deal_at"))
    )
    return (
        leads.select("source_id", "qualified_at")
        .join(first_deal, on="source_id", how="left")
        .select("source_id", pl.min_horizontal("qualified_at", "first_deal_at")
                .alias("qualified_at"))
    )


# -- helpers ---------------------------------------------------------------------------

def _property_frame(records: list[Record], columns: set[str]) -> pl.DataFrame:
    """Return one text row per record: id, raw JSON, record timestamps and properties."""
    rows = []
    for record in records:
        row = {name: _as_text(value)
               for name, value in (record.get("properties") or {}).items() if name in columns}
        row["id"] = str(record["id"])
        row["raw"] = json.dumps(record, ensure_ascii=False)
        row["createdAt"] = record.get("createdAt")
        row["updatedAt"] = record.get("updatedAt")
        row["archived"] = "true" if record.get("archived") else "false"
        row["archivedAt"] = record.get("archivedAt")
        rows.append(row)
    names = sorted(columns | {"id", "raw", "createdAt", "updatedAt", "archived", "archivedAt"})
    return pl.DataFrame(rows, schema=dict.fromkeys(names, pl.Utf8))


def _record_columns(object_name: str) -> list[pl.Expr]:
    modified = "lastmodifieddate" if object_name == "contacts" else "hs_lastmodifieddate"
    archived = pl.col("archived") == "true"
    return [
        pl.lit(SOURCE).alias("source"),
        pl.col("id").alias("source_id"),
        pl.lit(object_name).alias("object"),
        pl.col("raw"),
        pl.coalesce(values.timestamp(modified), values.timestamp("updatedAt"))
        .alias("modified_at"),
        archived.alias("is_deleted"),
        pl.when(archived).then(values.timestamp("archivedAt")).alias("deleted_at"),
    ]


def _needed_columns(columns: list[pl.Expr], parsed: Parsed) -> set[str]:
    names = {"lastmodifieddate", "hs_lastmodifieddate", *parsed}
    for expression in columns:
        names.update(expression.meta.root_names())
    return names


def _malformed_counts(object_name: str, frame: pl.DataFrame, parsed: Parsed
                      ) -> dict[str, int]:
    if not parsed or frame.height == 0:
        return {}
    row = frame.select(
        values.malformed(name, expression).sum().alias(name)
        for name, expression in parsed.items()
    ).row(0, named=True)
    return {f"{object_name}.{name}": int(count) for name, count in row.items() if count}


def _text(name: str) -> pl.Expr:
    return values.blank_to_null(name)


def _decimal(name: str) -> pl.Expr:
    """Parse a HubSpot number property: plain digits with an optional decimal point.

    ``values.amount`` accepts currency text from exports. The API sends bare numbers, so
    anything else here is a malformed value, not an amount to guess.
    """
    text = _text(name).str.strip_chars()
    valid = text.str.contains(r"^-?\d+(\.\d+)?$")
    return pl.when(valid).then(text).otherwise(None).cast(values.AMOUNT_DTYPE, strict=False)


def _direction(name: str) -> pl.Expr:
    raw = _text(name)
    return raw.replace_strict(DIRECTIONS, default=raw.str.to_lowercase(), return_dtype=pl.Utf8)


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
