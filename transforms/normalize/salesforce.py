"""Salesforce records to canonical frames, one builder per object, explicit schemas.

Every value is first read as text (REST booleans and numbers, Bulk CSV cells alike), then
parsed with :mod:`transforms.values`. A value that does not parse becomes null and is
counted under ``Object.Field``, and the original stays in ``raw``. Picklist values (lead source, status, stage)
are kept as they are.

Date-only fields that feed timestamp columns (``ConvertedDate``, a Task's ``ActivityDate``)
become midnight of that date in the configured time zone, so converting them back to local
dates gives the date as written. ``CloseDate`` feeds a DATE column and stays a date.

Columns computed after the pull from other objects (``owner_at_creation``, ``qualified_at``,
an opportunity's ``lead_id`` and ``contact_id``, ``person_id``) are left out of the frames,
so an upsert never clears them; ``transforms.derive`` fills them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from sgl.settings import Settings
from transforms import values
from transforms.normalize import NormalizedPage, Record, register

SOURCE = "salesforce"
UTC_TIME = pl.Datetime("us", "UTC")

# Salesforce id prefixes of the objects that WhoId and WhatId point to.
LEAD_PREFIX, CONTACT_PREFIX, ACCOUNT_PREFIX, OPPORTUNITY_PREFIX = "00Q", "003", "001", "006"


@dataclass(frozen=True)
class RoleRule:
    """A compiled ``[sources.salesforce] user_role_rules`` line."""

    fields: tuple[str, ...]
    pattern: re.Pattern[str]
    role: str
    team: str | None = None


@dataclass(frozen=True)
class SalesforceOptions:
    """The settings that normalization needs, with the shipped defaults."""

    origin_field: str = "SGL_Origin__c"
    channel_field: str = "SGL_Channel__c"
    lead_source_detail_field: str | None = "Lead_Source_Detail__c"
    loss_reason_field: str | None = "Loss_Reason__c"
    abm_target_field: str | None = "ABM_Target__c"
    default_currency: str = "JPY"
    timezone: str = "Asia/Tokyo"
    role_rules: tuple[RoleRule, ...] = ()
    default_user_role: str = "other"
    team_from: str = "department"

    @classmethod
    def from_settings(cls, settings: Settings) -> SalesforceOptions:
        source = settings.sources.salesforce
        rules = tuple(RoleRule(tuple(rule.fields), re.compile(rule.pattern, re.IGNORECASE),
                               rule.role, rule.team) for rule in source.user_role_rules)
        return cls(
            origin_field=source.origin_field, channel_field=source.channel_field,
            lead_source_detail_field=source.lead_source_detail_field,
            loss_reason_field=source.loss_reason_field,
            abm_target_field=source.abm_target_field,
            default_currency=source.default_currency or settings.general.reporting_currency,
            timezone=settings.general.timezone, role_rules=rules,
            default_user_role=source.default_user_role, team_from=source.team_from,
        )


def default_options() -> SalesforceOptions:
    """Return the options of the default settings."""
    return SalesforceOptions.from_settings(Settings())


# -- reading raw records ---------------------------------------------------------------------

def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _lookup(record: Record, path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _raw_json(record: Record) -> str:
    body = {key: value for key, value in record.items() if key != "attributes"}
    return json.dumps(body, ensure_ascii=False, default=str)


def text_frame(records: Sequence[Record], fields: Sequence[str]) -> pl.DataFrame:
    """Return one Utf8 column per field (dotted paths read parent fields) plus ``raw``."""
    data: dict[str, list[str | None]] = {
        name: [_text(_lookup(record, name)) for record in records] for name in fields}
    data["raw"] = [_raw_json(record) for record in records]
    schema = {name: pl.Utf8 for name in data}
    return pl.DataFrame(data, schema=schema)


class Parsed:
    """Collects parsed columns of one page and counts values that did not parse."""

    def __init__(self, object_name: str, frame: pl.DataFrame) -> None:
        self.object_name = object_name
        self.frame = frame
        self.malformed: dict[str, int] = {}

    def count(self, raw_field: str, parsed: pl.Expr) -> pl.Expr:
        """Return ``parsed`` after counting the rows where ``raw_field`` did not parse."""
        bad = int(self.frame.select(values.malformed(raw_field, parsed).sum()).item() or 0)
        if bad:
            key = f"{self.object_name}.{raw_field}"
            self.malformed[key] = self.malformed.get(key, 0) + bad
        return parsed

    def timestamp(self, raw_field: str) -> pl.Expr:
        return self.count(raw_field, values.timestamp(raw_field))

    def local_date_as_timestamp(self, raw_field: str, timezone: str) -> pl.Expr:
        return self.count(raw_field, values.timestamp(raw_field, naive_zone=timezone))

    def date(self, raw_field: str) -> pl.Expr:
        return self.count(raw_field, values.date(raw_field))

    def boolean(self, raw_field: str) -> pl.Expr:
        return self.count(raw_field, values.boolean(raw_field))

    def amount(self, raw_field: str) -> pl.Expr:
        return self.count(raw_field, values.amount(raw_field))

    def number(self, raw_field: str) -> pl.Expr:
        return self.count(raw_field, pl.col(raw_field).str.strip_chars()
                          .cast(pl.Float64, strict=False))


def _text_or_null(name: str | None) -> pl.Expr:
    return pl.col(name) if name else pl.lit(None, dtype=pl.Utf8)


def _record_columns(object_name: str) -> list[pl.Expr]:
    return [
        pl.lit(SOURCE).alias("source"),
        pl.col("Id").alias("source_id"),
        pl.lit(object_name).alias("object"),
        pl.col("raw"),
        pl.lit(False).alias("is_deleted"),
        pl.lit(None, dtype=UTC_TIME).alias("deleted_at"),
    ]


def _prefixed(column: str, prefix: str) -> pl.Expr:
    return pl.when(pl.col(column).str.starts_with(prefix)).then(pl.col(column)).otherwise(None)


def _fields(*names: str | None) -> list[str]:
    return [name for name in names if name]


# -- builders, one per object -------------------------------------------------------------------

Builder = Callable[[Sequence[Record], SalesforceOptions], tuple[str, pl.DataFrame, dict[str, int]]]


def build_users(records: Sequence[Record], options: SalesforceOptions
                ) -> tuple[str, pl.DataFrame, dict[str, int]]:
    frame = text_frame(records, ["Id", "Name", "Email", "IsActive", "Department", "Title",
                                 "UserRole.Name", "Profile.Name", "SystemModstamp"])
    parsed = Parsed("User", frame)
    roles, teams = zip(*(assign_role(row, options) for row in frame.iter_rows(named=True)),
                       strict=True) if frame.height else ((), ())
    out = frame.select(
        *_record_columns("User"),
        parsed.timestamp("SystemModstamp").alias("modified_at"),
        pl.col("Name").alias("name"), pl.col("Email").alias("email"),
        pl.Series("role", list(roles), dtype=pl.Utf8),
        pl.Series("team", list(teams), dtype=pl.Utf8),
        pl.col("Department").alias("department"),
        pl.col("Profile.Name").alias("profile_name"),
        pl.col("UserRole.Name").alias("role_name"),
        pl.col("Id").alias("crm_user_id"),
        parsed.boolean("IsActive").alias("is_active"),
    )
    return "users", out, parsed.malformed


def assign_role(user: dict[str, Any], options: SalesforceOptions) -> tuple[str, str | None]:
    """Return ``(role, team)`` of a user row by the first matching rule, else the default role."""
    values_by_field = {"role": user.get("UserRole.Name"), "profile": user.get("Profile.Name"),
                       "department": user.get("Department"), "title": user.get("Title")}
    primary, secondary = (("department", "role") if options.team_from == "department"
                          else ("role", "department"))
    default_team = values_by_field[primary] or values_by_field[secondary]
    for rule in options.role_rules:
        for name in rule.fields:
            value = values_by_field.get(name)
            if value and rule.pattern.search(value):
                return rule.role, rule.team or default_team
    return options.default_user_role, default_team


def build_accounts(records: Sequence[Record], options: SalesforceOptions
                   ) -> tuple[str, pl.DataFrame, dict[str, int]]:
    abm = options.abm_target_field
    frame = text_frame(records, _fields("Id", "Name", "Website", "Industry", "Type",
                                        "OwnerId", "CreatedById", "CreatedDate",
                                        "SystemModstamp", abm))
    parsed = Parsed("Account", frame)
    out = frame.select(
        *_record_columns("Account"),
        parsed.timestamp("SystemModstamp").alias("modified_at"),
        pl.col("Name").alias("name"),
        website_domain(pl.col("Website")).alias("domain"),
        pl.col("Industry").alias("industry"), pl.col("Type").alias("account_type"),
        pl.col("OwnerId").alias("owner_id"), pl.col("CreatedById").alias("created_by"),
        parsed.timestamp("CreatedDate").alias("created_at"),
        (parsed.boolean(abm) if abm else pl.lit(None, dtype=pl.Boolean)).alias("is_abm_target"),
    )
    return "accounts", out, parsed.malformed


def website_domain(website: pl.Expr) -> pl.Expr:
    """Reduce ``https://www.Example.co.jp/about`` to ``example.co.jp``; blank becomes null."""
    host = (
        website.str.strip_chars().str.to_lowercase()
        .str.replace(r"^[a-z][a-z0-9+.-]*://", "")
        .str.replace(r"[/?#:].*$", "")
        .str.replace(r"^www\d*\.", "")
    )
    return pl.when(host.str.len_chars() > 0).then(host).otherwise(None)


def build_leads(records: Sequence[Record], options: SalesforceOptions
                ) -> tuple[str, pl.DataFrame, dict[str, int]]:
    detail = options.lead_source_detail_field
    frame = text_frame(records, _fields(
        "Id", "Name", "FirstName", "LastName", "Company", "Email", "LeadSource", "Status",
        "OwnerId", "CreatedById", "CreatedDate", "SystemModstamp", "ConvertedDate",
        "ConvertedAccountId", "ConvertedContactId", "ConvertedOpportunityId",
        options.origin_field, options.channel_field, detail))
    parsed = Parsed("Lead", frame)
    out = frame.select(
        *_record_columns("Lead"),
        parsed.timestamp("SystemModstamp").alias("modified_at"),
        pl.col("Email").alias("email"),
        _full_name().alias("full_name"),
        pl.col("Company").alias("company"),
        parsed.timestamp("CreatedDate").alias("created_at"),
        pl.col("CreatedById").alias("created_by"),
        pl.col("OwnerId").alias("owner_id"),
        pl.col("LeadSource").alias("lead_source"),
        pl.lit(None, dtype=pl.Utf8).alias("record_source"),
        _text_or_null(detail).alias("record_source_detail"),
        pl.col("Status").alias("status"),
        parsed.local_date_as_timestamp("ConvertedDate", options.timezone).alias("converted_at"),
        pl.col("ConvertedOpportunityId").alias("opportunity_id"),
        pl.col("ConvertedAccountId").alias("account_id"),
        pl.col("ConvertedContactId").alias("contact_id"),
        pl.col(options.origin_field).alias("crm_origin"),
        pl.col(options.channel_field).alias("crm_channel"),
    )
    return "leads", out, parsed.malformed


def build_contacts(records: Sequence[Record], options: SalesforceOptions
                   ) -> tuple[str, pl.DataFrame, dict[str, int]]:
    """Build ``leads`` rows from Contacts that are first touches (the caller filters them)."""
    detail = options.lead_source_detail_field
    frame = text_frame(records, _fields(
        "Id", "Name", "FirstName", "LastName", "Email", "LeadSource", "AccountId", "OwnerId",
        "CreatedById", "CreatedDate", "SystemModstamp", options.origin_field,
        options.channel_field, detail))
    parsed = Parsed("Contact", frame)
    out = frame.select(
        *_record_columns("Contact"),
        parsed.timestamp("SystemModstamp").alias("modified_at"),
        pl.col("Email").alias("email"),
        _full_name().alias("full_name"),
        pl.lit(None, dtype=pl.Utf8).alias("company"),
        parsed.timestamp("CreatedDate").alias("created_at"),
        pl.col("CreatedById").alias("created_by"),
        pl.col("OwnerId").alias("owner_id"),
        pl.col("LeadSource").alias("lead_source"),
        pl.lit(None, dtype=pl.Utf8).alias("record_source"),
        _text_or_null(detail).alias("record_source_detail"),
        pl.lit(None, dtype=pl.Utf8).alias("status"),
        pl.lit(None, dtype=UTC_TIME).alias("converted_at"),
        pl.lit(None, dtype=pl.Utf8).alias("opportunity_id"),
        pl.col("AccountId").alias("account_id"),
        pl.col("Id").alias("contact_id"),
        pl.col(options.origin_field).alias("crm_origin"),
        pl.col(options.channel_field).alias("crm_channel"),
    )
    return "leads", out, parsed.malformed


def _full_name() -> pl.Expr:
    joined = pl.concat_str([pl.col("LastName"), pl.col("FirstName")], separator=" ",
                           ignore_nulls=True)
    return pl.coalesce(pl.col("Name"), pl.when(joined.str.len_chars() > 0).then(joined))


def build_opportunities(records: Sequence[Record], options: SalesforceOptions
                        ) -> tuple[str, pl.DataFrame, dict[str, int]]:
    loss = options.loss_reason_field
    frame = text_frame(records, _fields(
        "Id", "Name", "AccountId", "OwnerId", "CreatedById", "CreatedDate", "SystemModstamp",
        "Type", "StageName", "IsClosed", "IsWon", "CloseDate", "Amount", "CurrencyIsoCode",
        "NextStep", "LeadSource", options.origin_field, options.channel_field, loss))
    parsed = Parsed("Opportunity", frame)
    is_closed = parsed.boolean("IsClosed")
    out = frame.select(
        *_record_columns("Opportunity"),
        parsed.timestamp("SystemModstamp").alias("modified_at"),
        pl.col("Name").alias("name"),
        pl.col("AccountId").alias("account_id"),
        pl.col("OwnerId").alias("owner_id"),
        pl.col("CreatedById").alias("created_by"),
        parsed.timestamp("CreatedDate").alias("created_at"),
        pl.col("Type").alias("opportunity_type"),
        pl.col("StageName").alias("stage"),
        is_closed.alias("is_closed"),
        parsed.boolean("IsWon").alias("is_won"),
        # CloseDate is the expected date while the opportunity is open, so only a closed
        # opportunity has a closed_at.
        pl.when(is_closed).then(parsed.date("CloseDate")).otherwise(None).alias("closed_at"),
        parsed.amount("Amount").alias("amount"),
        pl.coalesce(pl.col("CurrencyIsoCode"), pl.lit(options.default_currency))
        .alias("currency"),
        _text_or_null(loss).alias("loss_reason"),
        pl.col("NextStep").alias("next_step"),
        pl.col("LeadSource").alias("lead_source"),
        pl.col(options.origin_field).alias("crm_origin"),
        pl.col(options.channel_field).alias("crm_channel"),
    )
    return "opportunities", out, parsed.malformed


def build_contact_roles(records: Sequence[Record], options: SalesforceOptions
                        ) -> tuple[str, pl.DataFrame, dict[str, int]]:
    """Build partial ``opportunities`` rows that set ``contact_id`` from primary contact roles."""
    frame = text_frame(records, ["Id", "OpportunityId", "ContactId", "IsPrimary"])
    parsed = Parsed("OpportunityContactRole", frame)
    primary = frame.filter(parsed.boolean("IsPrimary").fill_null(False))
    out = primary.select(
        pl.lit(SOURCE).alias("source"),
        pl.col("OpportunityId").alias("source_id"),
        pl.lit("Opportunity").alias("object"),
        pl.col("ContactId").alias("contact_id"),
    ).unique(subset=["source_id"], keep="last", maintain_order=True)
    return "opportunities", out, parsed.malformed


TASK_SUBTYPES = {"call": "call", "email": "email", "listemail": "email", "task": None}
_LETTER = r"(?i)letter|手紙|dm|郵送|はがき"


def build_tasks(records: Sequence[Record], options: SalesforceOptions
                ) -> tuple[str, pl.DataFrame, dict[str, int]]:
    frame = text_frame(records, ["Id", "WhoId", "WhatId", "AccountId", "OwnerId",
                                 "ActivityDate", "Type", "TaskSubtype", "CallType",
                                 "CallDurationInSeconds", "CreatedDate", "SystemModstamp"])
    parsed = Parsed("Task", frame)
    subtype = pl.col("TaskSubtype").str.to_lowercase()
    kind = pl.col("Type").str.to_lowercase()
    activity_type = (
        pl.when(subtype == "call").then(pl.lit("call"))
        .when(subtype.is_in(["email", "listemail"])).then(pl.lit("email"))
        .when(kind == "call").then(pl.lit("call"))
        .when(kind == "email").then(pl.lit("email"))
        .when(kind == "meeting").then(pl.lit("meeting"))
        .when(pl.col("Type").str.contains(_LETTER)).then(pl.lit("letter"))
        .otherwise(pl.lit("task"))
    )
    seconds = parsed.number("CallDurationInSeconds")
    out = frame.select(
        *_record_columns("Task"),
        parsed.timestamp("SystemModstamp").alias("modified_at"),
        activity_type.alias("activity_type"),
        pl.col("CallType").str.to_lowercase().alias("direction"),
        *_activity_links(),
        (seconds / 60).alias("duration_minutes"),
        pl.coalesce(parsed.local_date_as_timestamp("ActivityDate", options.timezone),
                    parsed.timestamp("CreatedDate")).alias("occurred_at"),
    )
    return "activities", out, parsed.malformed


def build_events(records: Sequence[Record], options: SalesforceOptions
                 ) -> tuple[str, pl.DataFrame, dict[str, int]]:
    frame = text_frame(records, ["Id", "WhoId", "WhatId", "AccountId", "OwnerId",
                                 "ActivityDateTime", "StartDateTime", "EndDateTime",
                                 "DurationInMinutes", "CreatedDate", "SystemModstamp"])
    parsed = Parsed("Event", frame)
    start = parsed.timestamp("StartDateTime")
    end = parsed.timestamp("EndDateTime")
    span = (end - start).dt.total_seconds() / 60
    out = frame.select(
        *_record_columns("Event"),
        parsed.timestamp("SystemModstamp").alias("modified_at"),
        pl.lit("meeting").alias("activity_type"),
        pl.lit(None, dtype=pl.Utf8).alias("direction"),
        *_activity_links(),
        pl.coalesce(parsed.number("DurationInMinutes"), span).alias("duration_minutes"),
        pl.coalesce(parsed.timestamp("ActivityDateTime"), start,
                    parsed.timestamp("CreatedDate")).alias("occurred_at"),
    )
    return "activities", out, parsed.malformed


def _activity_links() -> list[pl.Expr]:
    return [
        pl.col("OwnerId").alias("owner_id"),
        _prefixed("WhoId", LEAD_PREFIX).alias("lead_id"),
        _prefixed("WhoId", CONTACT_PREFIX).alias("contact_id"),
        pl.coalesce(pl.col("AccountId"), _prefixed("WhatId", ACCOUNT_PREFIX)).alias("account_id"),
        _prefixed("WhatId", OPPORTUNITY_PREFIX).alias("opportunity_id"),
    ]


def _history_builder(object_name: str, record_field: str) -> Builder:
    def build(records: Sequence[Record], options: SalesforceOptions
              ) -> tuple[str, pl.DataFrame, dict[str, int]]:
        frame = text_frame(records, ["Id", record_field, "Field", "OldValue", "NewValue",
                                     "CreatedById", "CreatedDate"])
        parsed = Parsed(object_name, frame)
        changed_at = parsed.timestamp("CreatedDate")
        out = frame.select(
            *_record_columns(object_name),
            changed_at.alias("modified_at"),
            pl.col(record_field).alias("record_id"),
            pl.col("Field").alias("field"),
            pl.col("OldValue").alias("old_value"),
            pl.col("NewValue").alias("new_value"),
            pl.col("CreatedById").alias("changed_by"),
            changed_at.alias("changed_at"),
        )
        return "field_history", out, parsed.malformed
    return build


BUILDERS: dict[str, Builder] = {
    "User": build_users,
    "Account": build_accounts,
    "Lead": build_leads,
    "Contact": build_contacts,
    "Opportunity": build_opportunities,
    "OpportunityContactRole": build_contact_roles,
    "Task": build_tasks,
    "Event": build_events,
    "LeadHistory": _history_builder("LeadHistory", "LeadId"),
    "OpportunityFieldHistory": _history_builder("OpportunityFieldHistory", "OpportunityId"),
}


@dataclass
class SalesforceNormalizer:
    """A normalizer bound to the settings' field names, mapping and currency."""

    options: SalesforceOptions = field(default_factory=default_options)

    def __call__(self, object_name: str, records: list[Record]) -> NormalizedPage:
        if object_name not in BUILDERS:
            raise KeyError(f"No Salesforce normalizer for object {object_name!r}; known: "
                           f"{', '.join(BUILDERS)}.")
        if not records:
            return NormalizedPage()
        table, frame, malformed = BUILDERS[object_name](records, self.options)
        return NormalizedPage({table: frame}, malformed)


def normalizer_from_settings(settings: Settings) -> SalesforceNormalizer:
    """Return the normalizer configured by ``settings`` (the flows use this one)."""
    return SalesforceNormalizer(SalesforceOptions.from_settings(settings))


@register(SOURCE)
def normalize_salesforce(object_name: str, records: list[Record]) -> NormalizedPage:
    """Normalize one page with the default settings' field names."""
    return SalesforceNormalizer()(object_name, records)
