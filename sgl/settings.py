"""Settings: one TOML file plus ``SGL_SECTION__KEY`` environment overrides, validated with pydantic.

The file is ``--config``, else ``$SGL_CONFIG``, else ``./sgl.toml`` when it exists, else the
defaults alone. Every key can be overridden from the environment: ``SGL_GENERAL__TIMEZONE``
sets ``[general] timezone`` and ``SGL_SOURCES__SALESFORCE__ENABLED`` sets
``[sources.salesforce] enabled``. A value starting with ``[`` or ``{`` is read as a TOML
inline array or table. Any other value is a string, which pydantic converts to the key's type.

Relative paths in the file are relative to the file's folder, so a project folder can be
moved or run from anywhere. Secrets are not settings: only the names of the Prefect Secret
blocks that hold them are (see ``sgl.secrets``).

Later capabilities add their keys to these models under the same scheme.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.numbers import is_currency
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sgl.errors import ConfigError
from sgl.i18n import _

logger = logging.getLogger(__name__)

CONFIG_ENV = "SGL_CONFIG"
ENV_PREFIX = "SGL_"
ENV_SEPARATOR = "__"
DEFAULT_CONFIG_NAME = "sgl.toml"


class Section(BaseModel):
    """A settings section: unknown keys are errors, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


class GeneralSettings(Section):
    company_name: str = ""
    timezone: str = "Asia/Tokyo"
    fiscal_year_start_month: int = Field(default=4, ge=1, le=12)
    # Unset means: reports in Japanese, command-line output in the language of LANG.
    locale: Literal["ja", "en"] | None = None
    reporting_currency: str = "JPY"
    # Units of the reporting currency per one unit of the key currency, e.g. USD = 150.
    currency_rates: dict[str, Decimal] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(_("an IANA time zone name such as Asia/Tokyo")) from None
        return value

    @field_validator("reporting_currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        if not is_currency(value):
            raise ValueError(_("an ISO 4217 currency code such as JPY or USD"))
        return value

    @field_validator("currency_rates")
    @classmethod
    def _positive_rates(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for code, rate in value.items():
            if not is_currency(code):
                raise ValueError(_("ISO 4217 currency codes as keys, such as USD"))
            if rate <= 0:
                raise ValueError(_("rates greater than zero"))
        return value


class WarehouseSettings(Section):
    path: Path = Path("var/sgl.duckdb")
    # How long a writer waits for readers or another writer to finish before giving up.
    lock_timeout_seconds: float = Field(default=30.0, ge=0)


class PrefectSettings(Section):
    # Project-local Prefect home, so the embedded server's database and logs stay in the project.
    home: Path = Path("var/prefect")


# Roles that users get from the settings' role mappings; attribution counts sales roles.
UserRole = Literal["sales", "inside_sales", "marketing", "integration", "other"]

# Salesforce objects the connector can pull, in pull order: users and accounts first, then
# leads before the contacts, opportunities and history that refer to them.
SALESFORCE_OBJECTS = ("User", "Account", "Lead", "Contact", "Opportunity",
                      "OpportunityContactRole", "Task", "Event", "LeadHistory",
                      "OpportunityFieldHistory")


class UserRoleRule(Section):
    """One line of the Salesforce user mapping: a pattern searched in some User values."""

    # User values searched: the role name (UserRole.Name), profile name (Profile.Name),
    # Department or Title.
    fields: list[Literal["role", "profile", "department", "title"]] = Field(
        default_factory=lambda: ["role", "profile"])
    # A regular expression, searched case-insensitively.
    pattern: str
    role: UserRole
    # The team of matching users; unset means the value named by team_from.
    team: str | None = None

    @field_validator("pattern")
    @classmethod
    def _valid_pattern(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error:
            raise ValueError(_("a valid regular expression")) from None
        return value


def _default_user_role_rules() -> list[UserRoleRule]:
    # English and Japanese names of common profiles and roles; inside sales before sales.
    return [
        UserRoleRule(fields=["profile"], pattern=r"integration|\bapi\b|連携", role="integration"),
        UserRoleRule(pattern=r"inside|インサイド", role="inside_sales"),
        UserRoleRule(pattern=r"marketing|マーケティング", role="marketing"),
        UserRoleRule(pattern=r"sales|営業", role="sales"),
    ]


class SalesforceSettings(Section):
    enabled: bool = False
    # The org's My Domain URL, e.g. https://example.my.salesforce.com
    instance_url: str | None = None
    auth: Literal["client_credentials", "jwt", "password"] = "client_credentials"
    # The JWT bearer flow's audience: login.salesforce.com for production orgs,
    # test.salesforce.com for sandboxes.
    jwt_audience: str = "https://login.salesforce.com"
    # Name of a Prefect Secret block holding the credentials; unset means environment variables.
    secret_block: str | None = None
    ca_bundle: Path | None = None
    proxy: str | None = None
    api_version: str = Field(default="59.0", pattern=r"^\d{2,3}\.0$")
    timeout_seconds: float = Field(default=60.0, gt=0)
    # Objects to pull, from SALESFORCE_OBJECTS; they are pulled in that list's order.
    objects: list[str] = Field(default_factory=lambda: list(SALESFORCE_OBJECTS))
    # More fields to pull per object, e.g. {Lead = ["Sansan_Card_Id__c"]}. A field that the
    # integration user cannot read is reported in the sync summary and skipped.
    extra_fields: dict[str, list[str]] = Field(default_factory=dict)
    # Objects whose records are first touches (the leads table). Add "Contact" when people
    # create Contacts without Leads (business-card tools, orgs without Leads); Contacts made
    # by converting a Lead are never counted twice.
    first_touch_objects: list[Literal["Lead", "Contact"]] = Field(
        default_factory=lambda: ["Lead"])
    # Custom fields holding the origin and channel that people set and that write-back writes,
    # with the rule id and decision time that write-back records beside them.
    origin_field: str = "SGL_Origin__c"
    channel_field: str = "SGL_Channel__c"
    rule_field: str = "SGL_Rule__c"
    decided_at_field: str = "SGL_Decided_At__c"
    # Field with the finer lead source (the campaign, event or referrer); unset when none.
    lead_source_detail_field: str | None = "Lead_Source_Detail__c"
    # Opportunity field with the loss reason; unset when the org records none.
    loss_reason_field: str | None = "Loss_Reason__c"
    # Account checkbox that marks ABM target accounts; unset when the org has none.
    abm_target_field: str | None = "ABM_Target__c"
    # Role and team of each user: the first rule whose pattern matches wins; users that no rule
    # matches get default_user_role.
    user_role_rules: list[UserRoleRule] = Field(default_factory=_default_user_role_rules)
    default_user_role: UserRole = "other"
    # Where a user's team comes from when the matching rule names none: the Department field
    # or the role name; when that value is empty, the other one.
    team_from: Literal["department", "role"] = "department"
    # Lead statuses that mark a lead qualified (an SQL) when LeadHistory records the lead
    # entering them. Conversion and the converted opportunity's creation always count.
    qualified_lead_statuses: list[str] = Field(default_factory=list)
    # Above this many records to pull, an object is read with a Bulk API 2.0 query job instead
    # of REST query pages. Objects whose fields include a compound field (Address) stay on REST.
    bulk_threshold: int = Field(default=100_000, ge=0)
    # Share of the org's daily API allowance (Sforce-Limit-Info) after which a run stops,
    # checkpoint saved, so other integrations keep their calls.
    api_budget_share: float = Field(default=0.5, gt=0, le=1)
    # Each incremental pull re-reads this many seconds before the saved watermark, because
    # a long transaction can commit a record whose SystemModstamp is older than one read.
    overlap_seconds: int = Field(default=300, ge=0)
    # Records per REST query page (Salesforce serves 200 to 2,000 and may send fewer).
    page_size: int = Field(default=2000, ge=200, le=2000)
    # Currency of records without CurrencyIsoCode (single-currency orgs); unset means
    # [general] reporting_currency.
    default_currency: str | None = None

    @field_validator("objects")
    @classmethod
    def _known_salesforce_objects(cls, value: list[str]) -> list[str]:
        if any(name not in SALESFORCE_OBJECTS for name in value):
            raise ValueError(_("a list of Salesforce objects from {objects}").format(
                objects=", ".join(SALESFORCE_OBJECTS)))
        return value

    @field_validator("extra_fields")
    @classmethod
    def _known_extra_field_objects(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        if any(name not in SALESFORCE_OBJECTS for name in value):
            raise ValueError(_("Salesforce objects as keys, such as Lead or Opportunity"))
        return value

    @field_validator("default_currency")
    @classmethod
    def _known_org_currency(cls, value: str | None) -> str | None:
        if value is not None and not is_currency(value):
            raise ValueError(_("an ISO 4217 currency code such as JPY or USD"))
        return value

    @field_validator("instance_url")
    @classmethod
    def _https_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError(_("an https:// URL such as https://example.my.salesforce.com"))
        return value.rstrip("/") if value else value


HUBSPOT_OBJECTS = ("owners", "companies", "contacts", "deals", "calls", "meetings", "emails",
                   "tasks")


class HubSpotSettings(Section):
    enabled: bool = False
    base_url: str = "https://api.hubapi.com"
    secret_block: str | None = None
    ca_bundle: Path | None = None
    proxy: str | None = None
    timeout_seconds: float = Field(default=60.0, gt=0)
    # Objects to pull, from HUBSPOT_OBJECTS; owners feed the users table.
    objects: list[str] = Field(default_factory=lambda: list(HUBSPOT_OBJECTS))
    # More properties to pull per object, e.g. {contacts = ["sansan_card_id"]}. The properties
    # that attribution needs are always pulled.
    extra_properties: dict[str, list[str]] = Field(default_factory=dict)
    # The properties holding the origin and channel that people set and write-back writes.
    origin_property: str = "sgl_origin"
    channel_property: str = "sgl_channel"
    # Lifecycle stages whose entry date (hs_lifecyclestage_<stage>_date) qualifies a contact;
    # the earliest one set becomes qualified_at.
    qualified_lifecycle_stages: list[str] = Field(
        default_factory=lambda: ["salesqualifiedlead", "opportunity", "customer"])
    # Deal stage ids that count as won and as lost. Empty lists mean HubSpot's own
    # hs_is_closed_won and hs_is_closed properties decide.
    closed_won_stages: list[str] = Field(default_factory=list)
    closed_lost_stages: list[str] = Field(default_factory=list)
    # Currency of deals without deal_currency_code; unset means [general] reporting_currency.
    default_currency: str | None = None
    # Company property that marks ABM target accounts (true/false).
    abm_target_property: str = "hs_is_target_account"
    # Role per owner team name, and per owner id or email (which wins); others get default_role.
    team_roles: dict[str, UserRole] = Field(default_factory=dict)
    owner_roles: dict[str, UserRole] = Field(default_factory=dict)
    default_role: UserRole = "other"
    # Records per search page (HubSpot allows 1 to 200); list pages hold at most 100.
    page_size: int = Field(default=200, ge=1, le=200)
    # Search cannot return archived records, so a list of archived records runs at most this
    # often (hours); 0 sweeps on every sync.
    archived_sweep_hours: float = Field(default=24.0, ge=0)
    # Changes younger than this are left for the next run, because HubSpot's search index
    # shows changes a few seconds after they happen.
    search_delay_seconds: float = Field(default=60.0, ge=0)
    # Share of the portal's daily API allowance that one sync may use; a run that passes it
    # stops with its pages saved and resumes on the next run.
    api_budget_share: float = Field(default=0.5, gt=0, le=1)

    @field_validator("base_url")
    @classmethod
    def _https_url(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError(_("an https:// URL such as https://api.hubapi.com"))
        return value.rstrip("/")

    @field_validator("objects")
    @classmethod
    def _known_objects(cls, value: list[str]) -> list[str]:
        if any(name not in HUBSPOT_OBJECTS for name in value):
            raise ValueError(_("a list of HubSpot objects from {objects}").format(
                objects=", ".join(HUBSPOT_OBJECTS)))
        return value

    @field_validator("extra_properties")
    @classmethod
    def _known_extra_objects(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        if any(name not in HUBSPOT_OBJECTS or name == "owners" for name in value):
            raise ValueError(_("HubSpot CRM objects as keys, such as contacts or deals"))
        return value

    @field_validator("default_currency")
    @classmethod
    def _known_default_currency(cls, value: str | None) -> str | None:
        if value is not None and not is_currency(value):
            raise ValueError(_("an ISO 4217 currency code such as JPY or USD"))
        return value


class RetrySettings(Section):
    """Retries of CRM calls on 429, 5xx and network errors, shared by both connectors."""

    # Calls per request, the first one included.
    max_attempts: int = Field(default=8, ge=1, le=50)
    # Wall-clock seconds from the first call after which no further wait is started.
    max_elapsed_seconds: float = Field(default=600.0, gt=0)
    # Waits grow as base × 2^(attempt - 1) up to the maximum, drawn at random below that
    # (full jitter); a server's Retry-After is the minimum wait.
    base_delay_seconds: float = Field(default=1.0, ge=0)
    max_delay_seconds: float = Field(default=60.0, ge=0)
    # Multiplies every wait; tests and demos set it below 1 to keep waits short.
    time_scale: float = Field(default=1.0, ge=0)


class SourcesSettings(Section):
    salesforce: SalesforceSettings = Field(default_factory=SalesforceSettings)
    hubspot: HubSpotSettings = Field(default_factory=HubSpotSettings)
    retry: RetrySettings = Field(default_factory=RetrySettings)


class ReportSettings(Section):
    sender: str | None = None
    recipients: list[str] = Field(default_factory=list)
    cc: list[str] = Field(default_factory=list)
    reply_to: str | None = None
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=587, ge=1, le=65535)
    # "none" sends in plain text and is accepted only for localhost with allow_plain_smtp.
    smtp_tls: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_username: str | None = None
    allow_plain_smtp: bool = False
    secret_block: str | None = None
    timeout_seconds: float = Field(default=30.0, gt=0)
    # Language of the report; unset means [general] locale, else Japanese.
    locale: Literal["ja", "en"] | None = None
    # Amounts in yen as ¥1,234,567 ("yen"), 1,234万円 ("man") or 1.2億円 from 1億 up ("oku").
    money_style: Literal["yen", "man", "oku"] = "yen"
    # Rows of the SGL detail table in the PDF; the attached CSV always has every row.
    pdf_detail_rows: int = Field(default=200, ge=0)
    # Every render is kept here as <YYYY-MM>/<locale>/<time>/ with HTML, PDF and KPI data.
    archive_dir: Path = Path("var/reports")
    # Show [general] company_name in the report heading and the PDF footer.
    show_company_name: bool = True
    # Days (MM-DD) the company is closed besides weekends and Japanese national holidays; the
    # scheduled monthly report goes out on the first business day of the month.
    company_holidays: list[str] = Field(default_factory=lambda: ["01-02", "01-03"])

    @field_validator("company_holidays")
    @classmethod
    def _month_days(cls, value: list[str]) -> list[str]:
        for text in value:
            if not re.fullmatch(r"\d{2}-\d{2}", text) or not _valid_month_day(text):
                raise ValueError(_("month-day strings such as 01-02"))
        return value


def _valid_month_day(text: str) -> bool:
    month, day = (int(part) for part in text.split("-"))
    # 2000 is a leap year, so 02-29 is accepted.
    try:
        date(2000, month, day)
    except ValueError:
        return False
    return True


class AlertSettings(Section):
    # Where a failed or late nightly sync is reported; unset means the alerts only go to logs.
    ops_address: str | None = None
    # A scheduled nightly sync that starts this many minutes after its planned time is late.
    late_after_minutes: int = Field(default=60, ge=1)


class ImportSettings(Section):
    """`sgl import`: how exported files are read."""

    # Time zone of export timestamps written without one (Zoho "15 Apr, 2021 00:03:00").
    # A mapping's own `timezone` key wins over it.
    timezone: str = "UTC"
    # HubSpot exports write dates such as "2024-03-31 16:00" in the portal's time zone;
    # unset means [general] timezone.
    hubspot_timezone: str | None = None

    @field_validator("timezone", "hubspot_timezone")
    @classmethod
    def _known_import_timezone(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(_("an IANA time zone name such as Asia/Tokyo")) from None
        return value


# The decision parts that write-back can write, and what a CRM field of each must hold.
WRITEBACK_FIELDS = ("origin", "channel", "rule", "decided_at")


class WritebackTargets(Section):
    """The CRM fields of one object that receive the decision; "" leaves that part unwritten."""

    origin: str = ""
    channel: str = ""
    rule: str = ""
    decided_at: str = ""


def _salesforce_targets() -> WritebackTargets:
    return WritebackTargets(origin="SGL_Origin__c", channel="SGL_Channel__c", rule="SGL_Rule__c",
                            decided_at="SGL_Decided_At__c")


def _hubspot_targets() -> WritebackTargets:
    return WritebackTargets(origin="sgl_origin", channel="sgl_channel", rule="sgl_rule_id",
                            decided_at="sgl_decided_at")


class SalesforceWritebackTargets(Section):
    lead: WritebackTargets = Field(default_factory=_salesforce_targets)
    contact: WritebackTargets = Field(default_factory=_salesforce_targets)
    opportunity: WritebackTargets = Field(default_factory=_salesforce_targets)


class HubSpotWritebackTargets(Section):
    contacts: WritebackTargets = Field(default_factory=_hubspot_targets)
    deals: WritebackTargets = Field(default_factory=_hubspot_targets)


WritebackPolicy = Literal["owned", "fill_empty", "off"]


class WritebackSettings(Section):
    """`sgl writeback` and the write-back step of the nightly sync."""

    # off: flows skip write-back; dry-run: flows only log what would change; on: flows write.
    # `sgl writeback` previews unless --apply is given, and --apply is refused while off.
    mode: Literal["off", "dry-run", "on"] = "dry-run"
    salesforce: SalesforceWritebackTargets = Field(default_factory=SalesforceWritebackTargets)
    hubspot: HubSpotWritebackTargets = Field(default_factory=HubSpotWritebackTargets)
    # Per decision part: "owned" updates the product's own earlier values but never a value
    # a person set. "fill_empty" writes only into empty fields, and "off" never writes.
    policy: dict[str, WritebackPolicy] = Field(
        default_factory=lambda: dict.fromkeys(WRITEBACK_FIELDS, "owned"))
    # Records to change in one run above which the run stops and requires --confirm-large.
    max_changes_per_run: int = Field(default=10_000, ge=0)
    # Salesforce records of one object per run above which Bulk API 2.0 ingest replaces
    # sObject Collections; Salesforce suggests Bulk API 2.0 above about 2,000 records.
    bulk_threshold: int = Field(default=2_000, ge=0)
    # Records per write call: sObject Collections take at most 200, HubSpot batches 100.
    salesforce_batch_size: int = Field(default=200, ge=1, le=200)
    hubspot_batch_size: int = Field(default=100, ge=1, le=100)

    @field_validator("policy")
    @classmethod
    def _known_parts(cls, value: dict[str, str]) -> dict[str, str]:
        if any(name not in WRITEBACK_FIELDS for name in value):
            raise ValueError(_("decision parts as keys, from {parts}").format(
                parts=", ".join(WRITEBACK_FIELDS)))
        return {**dict.fromkeys(WRITEBACK_FIELDS, "owned"), **value}


SALES_CHANNELS = ("referral", "dormant_revival", "network", "social", "abm", "other_sales")
UserRole = Literal["sales", "inside_sales", "marketing", "integration", "other"]
SalesChannel = Literal["referral", "dormant_revival", "network", "social", "abm", "other_sales"]
DormantSignal = Literal["former_customer", "last_opportunity_lost", "inactive"]


class AttributionSettings(Section):
    """`sgl attribute` and the attribution step of the nightly sync."""

    # The rules file; unset means the rules shipped with sgl (`sgl init` writes a copy).
    rules_file: Path | None = None
    # Roles whose records count as sales-generated; inside_sales is governed by the next key.
    sales_roles: list[UserRole] = Field(default_factory=lambda: ["sales"])
    inside_sales_counts_as_sales: bool = True
    # An account with activity before, but none in this many days before a record was
    # created, makes the record a dormant revival.
    dormant_days: int = Field(default=180, ge=1)
    # Which account histories count as gone quiet: a former customer, a last opportunity
    # closed lost, activity that stopped for dormant_days.
    dormant_signals: list[DormantSignal] = Field(
        default_factory=lambda: ["former_customer", "last_opportunity_lost", "inactive"])
    # Sales channels that dormant revival may refine; a referral stays a referral.
    dormant_channels: list[SalesChannel] = Field(
        default_factory=lambda: ["other_sales", "abm", "network"])
    # Opportunity types that mean the account is already a customer.
    existing_business_types: list[str] = Field(default_factory=lambda: ["Existing Business"])


class KpiSettings(Section):
    """Windows, effort costs and targets of the monthly KPIs."""

    # Days after a lead's creation (local dates) within which SQL and a won deal count.
    window_days: int = Field(default=90, ge=1)
    win_window_days: int = Field(default=365, ge=1)
    # Minutes counted for an activity without a duration, per activity type; "other" covers
    # types not listed.
    default_minutes: dict[str, float] = Field(default_factory=lambda: {
        "call": 10.0, "meeting": 60.0, "email": 5.0, "task": 15.0, "letter": 15.0,
        "other": 10.0})
    # Cost of one hour of effort in the reporting currency, per user role and per user id
    # (a user's own rate wins).
    hourly_cost_by_role: dict[str, Decimal] = Field(default_factory=dict)
    hourly_cost_by_user: dict[str, Decimal] = Field(default_factory=dict)
    # Monthly SGL-count targets: rep id or team name -> {"YYYY-MM" or "default": count}.
    targets_by_rep: dict[str, dict[str, int]] = Field(default_factory=dict)
    targets_by_team: dict[str, dict[str, int]] = Field(default_factory=dict)

    @field_validator("default_minutes")
    @classmethod
    def _non_negative_minutes(cls, value: dict[str, float]) -> dict[str, float]:
        if any(minutes < 0 for minutes in value.values()):
            raise ValueError(_("minutes of at least 0"))
        return {key.lower(): minutes for key, minutes in value.items()}

    @field_validator("hourly_cost_by_role", "hourly_cost_by_user")
    @classmethod
    def _non_negative_costs(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        if any(cost < 0 for cost in value.values()):
            raise ValueError(_("amounts of at least 0"))
        return value

    @field_validator("targets_by_rep", "targets_by_team")
    @classmethod
    def _monthly_targets(cls, value: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
        for by_month in value.values():
            for month, target in by_month.items():
                if not (month == "default" or re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month)):
                    raise ValueError(_("months as YYYY-MM (or default) mapped to counts"))
                if target < 0:
                    raise ValueError(_("counts of at least 0"))
        return value


class Settings(Section):
    general: GeneralSettings = Field(default_factory=GeneralSettings)
    warehouse: WarehouseSettings = Field(default_factory=WarehouseSettings)
    prefect: PrefectSettings = Field(default_factory=PrefectSettings)
    sources: SourcesSettings = Field(default_factory=SourcesSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    attribution: AttributionSettings = Field(default_factory=AttributionSettings)
    kpi: KpiSettings = Field(default_factory=KpiSettings)
    imports: ImportSettings = Field(default_factory=ImportSettings)
    writeback: WritebackSettings = Field(default_factory=WritebackSettings)

    # Where the settings came from: relative paths are resolved against base_dir.
    config_file: Path | None = Field(default=None, exclude=True)
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)

    def resolve(self, path: Path) -> Path:
        """Return ``path`` made absolute against the settings file's folder."""
        expanded = path.expanduser()
        return expanded if expanded.is_absolute() else (self.base_dir / expanded).resolve()

    @property
    def warehouse_path(self) -> Path:
        return self.resolve(self.warehouse.path)

    @property
    def rules_path(self) -> Path | None:
        """Return the configured rules file made absolute, or None for the shipped rules."""
        rules_file = self.attribution.rules_file
        return self.resolve(rules_file) if rules_file is not None else None

    @property
    def prefect_home(self) -> Path:
        return self.resolve(self.prefect.home)


def find_config_file(explicit: Path | None, env: Mapping[str, str]) -> Path | None:
    """Return the settings file to read: ``--config``, ``$SGL_CONFIG``, ``./sgl.toml`` or none."""
    if explicit is not None:
        return explicit
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV])
    default = Path.cwd() / DEFAULT_CONFIG_NAME
    return default if default.is_file() else None


def load_settings(
    config_file: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Read, override and validate the settings; raise ConfigError listing every problem."""
    env = os.environ if env is None else env
    path = find_config_file(config_file, env)

    data: dict[str, Any] = read_toml(path) if path is not None else {}
    overrides = environment_overrides(env)
    for keys, (variable, value) in overrides.items():
        set_nested(data, keys, value, variable)

    base_dir = path.resolve().parent if path is not None else Path.cwd()
    try:
        settings = Settings.model_validate(data)
    except ValidationError as error:
        problems = [describe_problem(item, path, overrides) for item in error.errors()]
        raise ConfigError(problems) from None

    settings.config_file = path.resolve() if path is not None else None
    settings.base_dir = base_dir
    logger.debug("settings loaded from %s with %d environment overrides", path, len(overrides))
    return settings


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning a missing file or a syntax error into a ConfigError."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(
            [_("{file}: settings file not found. Create one with `sgl init`.").format(file=path)]
        ) from None
    except tomllib.TOMLDecodeError as error:
        # tomllib's message already names the line and column, e.g. "(at line 3, column 7)".
        raise ConfigError(
            [_("{file}: not valid TOML: {detail}").format(file=path, detail=error)]
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(
            [_("{file}: not UTF-8 text. Save the file as UTF-8.").format(file=path)]
        ) from None
    except OSError as error:
        # A folder, or a file this user may not read.
        raise ConfigError(
            [_("{file}: cannot be read ({reason}). Name a settings file with --config.")
             .format(file=path, reason=error.strerror)]
        ) from None


def environment_overrides(env: Mapping[str, str]) -> dict[tuple[str, ...], tuple[str, Any]]:
    """Collect ``SGL_SECTION__KEY`` variables as ``{key path: (variable, value)}``."""
    overrides: dict[tuple[str, ...], tuple[str, Any]] = {}
    for variable, raw in env.items():
        if not variable.startswith(ENV_PREFIX) or ENV_SEPARATOR not in variable:
            continue
        keys = tuple(part.lower() for part in variable[len(ENV_PREFIX):].split(ENV_SEPARATOR))
        if not all(keys):
            continue
        overrides[keys] = (variable, parse_environment_value(raw))
    return overrides


def parse_environment_value(raw: str) -> Any:
    """Read ``[...]`` and ``{...}`` as TOML inline values; keep anything else a string."""
    stripped = raw.strip()
    if stripped[:1] in ("[", "{"):
        try:
            return tomllib.loads(f"value = {stripped}")["value"]
        except tomllib.TOMLDecodeError:
            return raw
    return raw


def set_nested(data: dict[str, Any], keys: tuple[str, ...], value: Any, variable: str) -> None:
    """Set ``data[k1][k2]... = value``, creating tables on the way."""
    table = data
    for key in keys[:-1]:
        child = table.setdefault(key, {})
        if not isinstance(child, dict):
            raise ConfigError(
                [
                    _("{variable}: {key} is a value, not a section.").format(
                        variable=variable, key=key
                    )
                ]
            )
        table = child
    table[keys[-1]] = value


# Pydantic error types mapped to what the key expects, in the user's language.
def _expected_phrases() -> dict[str, str]:
    return {
        "bool_parsing": _("true or false"),
        "bool_type": _("true or false"),
        "int_parsing": _("a whole number"),
        "int_type": _("a whole number"),
        "int_from_float": _("a whole number"),
        "float_parsing": _("a number"),
        "float_type": _("a number"),
        "decimal_parsing": _("a number"),
        "string_type": _("a text value in quotes"),
        "list_type": _("a list such as [\"a\", \"b\"]"),
        "dict_type": _("a table of keys and values"),
        "model_type": _("a section (a TOML table)"),
        "missing": _("a value (this key is required)"),
    }


def describe_problem(
    error: Mapping[str, Any],
    path: Path | None,
    overrides: Mapping[tuple[str, ...], tuple[str, Any]],
) -> str:
    """Write one line naming where the value came from, the key, the bad value and what fits."""
    location = tuple(str(part) for part in error["loc"])
    key = ".".join(location)
    origin = _origin_of(location, path, overrides)
    kind = error["type"]
    context = error.get("ctx") or {}

    if kind == "value_error":
        expected = str(context.get("error", error["msg"]))
    elif kind == "literal_error":
        # Pydantic lists the choices as "'a', 'b' or 'c'"; the "or" is English, so it goes.
        choices = str(context.get("expected", "")).replace(" or ", ", ")
        expected = _("one of {choices}").format(choices=choices)
    elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bound = next(iter(context.values()), "")
        phrase = {
            "greater_than_equal": _("a number ≥ {bound}"),
            "less_than_equal": _("a number ≤ {bound}"),
            "greater_than": _("a number > {bound}"),
            "less_than": _("a number < {bound}"),
        }[kind]
        expected = phrase.format(bound=bound)
    elif kind == "string_pattern_mismatch" and location[-1] == "api_version":
        expected = _("an API version such as \"59.0\"")
    else:
        expected = _expected_phrases().get(kind, error["msg"])

    if kind == "extra_forbidden":
        return _("{origin}: {key}: unknown key. Valid keys here: {keys}").format(
            origin=origin, key=key, keys=", ".join(_valid_keys(location[:-1]))
        )
    if kind == "missing":
        return _("{origin}: {key}: expected {expected}").format(
            origin=origin, key=key, expected=expected
        )
    return _("{origin}: {key} = {value}: expected {expected}").format(
        origin=origin, key=key, value=_short_repr(error.get("input")), expected=expected
    )


def _valid_keys(section: tuple[str, ...]) -> list[str]:
    """Return the keys of the settings section at ``section`` (empty tuple: the top level)."""
    model: type[BaseModel] = Settings
    for name in section:
        annotation = model.model_fields[name].annotation if name in model.model_fields else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return [name for name, info in model.model_fields.items() if not info.exclude]


def _origin_of(
    location: tuple[str, ...],
    path: Path | None,
    overrides: Mapping[tuple[str, ...], tuple[str, Any]],
) -> str:
    for keys, (variable, _value) in overrides.items():
        # The error may sit at the variable's key or, for an unknown section, above it.
        if location[: len(keys)] == keys or keys[: len(location)] == location:
            return _("environment variable {variable}").format(variable=variable)
    if path is not None:
        return str(path)
    return _("default settings")


def _short_repr(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
