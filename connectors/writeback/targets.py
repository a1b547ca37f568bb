"""The CRM fields that write-back fills, declared as data, and what each must look like.

Each :class:`Target` names one CRM object and field that receives one part of a decision
(origin, channel, rule id, decided-at). :func:`targets_from_settings` reads them from
``[writeback]``; :data:`FIELD_SPECS` gives the type and values each part needs, which
``sgl writeback setup`` uses to create HubSpot properties and to print the Salesforce fields.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from sgl.i18n import translate
from sgl.settings import Settings
from transforms.rules import CHANNELS_BY_ORIGIN, ORIGINS
from transforms.writeback_plan import PARTS, TARGET_SCHEMA

SALESFORCE = "salesforce"
HUBSPOT = "hubspot"

# Settings keys of [writeback.salesforce] and [writeback.hubspot] and the CRM object of each.
SALESFORCE_OBJECTS = {"lead": "Lead", "contact": "Contact", "opportunity": "Opportunity"}
HUBSPOT_OBJECTS = {"contacts": "contacts", "deals": "deals"}

CHANNELS = tuple(channel for channels in CHANNELS_BY_ORIGIN.values() for channel in channels)


@dataclass(frozen=True)
class Target:
    """One CRM field that receives one decision part."""

    source: str
    object: str
    part: str
    field: str
    policy: str

    @property
    def kind(self) -> str:
        return "datetime" if self.part == "decided_at" else "text"


@dataclass(frozen=True)
class FieldSpec:
    """The shape a target field of one part needs: its type and, for choices, the values."""

    part: str
    salesforce_type: str
    hubspot_type: str
    hubspot_field_type: str
    values: tuple[str, ...] = ()
    length: int = 0


FIELD_SPECS: dict[str, FieldSpec] = {
    "origin": FieldSpec("origin", "Picklist", "enumeration", "select", ORIGINS),
    "channel": FieldSpec("channel", "Picklist", "enumeration", "select", CHANNELS),
    "rule": FieldSpec("rule", "Text", "string", "text", length=255),
    "decided_at": FieldSpec("decided_at", "Date/Time", "datetime", "date"),
}


def targets_from_settings(settings: Settings, source: str | None = None) -> list[Target]:
    """Return the configured targets of every CRM (or of ``source``), empty fields left out."""
    writeback = settings.writeback
    found: list[Target] = []
    tables = ((SALESFORCE, writeback.salesforce, SALESFORCE_OBJECTS),
              (HUBSPOT, writeback.hubspot, HUBSPOT_OBJECTS))
    for crm, section, objects in tables:
        if source is not None and crm != source:
            continue
        for key, object_name in objects.items():
            fields = getattr(section, key)
            for part in PARTS:
                name = getattr(fields, part)
                policy = writeback.policy.get(part, "owned")
                if name and policy != "off":
                    found.append(Target(crm, object_name, part, name, policy))
    return found


def targets_frame(targets: list[Target]) -> pl.DataFrame:
    """Return targets as the frame that ``transforms.writeback_plan`` joins on."""
    return pl.DataFrame(
        [{"source": target.source, "object": target.object, "part": target.part,
          "field": target.field, "kind": target.kind, "policy": target.policy}
         for target in targets],
        schema=TARGET_SCHEMA)


def part_label(part: str, locale: str) -> str:
    """Return the label of a decision part's CRM field in ``locale``."""
    labels = {
        "origin": translate("SGL origin", locale),
        "channel": translate("SGL channel", locale),
        "rule": translate("SGL rule id", locale),
        "decided_at": translate("SGL decided at", locale),
    }
    return labels[part]


def part_description(part: str, locale: str) -> str:
    """Return the help text of a decision part's CRM field in ``locale``."""
    descriptions = {
        "origin": translate("Where the lead or deal came from: sales, marketing, partner or "
                            "unknown. The SGL pipeline sets it and keeps a value set by hand.",
                            locale),
        "channel": translate("The channel of the first contact, such as referral or network. "
                             "The SGL pipeline sets it and keeps a value set by hand.", locale),
        "rule": translate("The id of the attribution rule that decided the origin and channel.",
                          locale),
        "decided_at": translate("When the SGL pipeline last changed the origin or channel.",
                                locale),
    }
    return descriptions[part]


def value_label(value: str, locale: str) -> str:
    """Return the label of an origin or channel id in ``locale``; unknown ids stay as they are."""
    labels = {
        "sales": translate("Sales (SGL)", locale),
        "marketing": translate("Marketing", locale),
        "partner": translate("Partner", locale),
        "unknown": translate("Unknown", locale),
        "referral": translate("Referral (introduction)", locale),
        "dormant_revival": translate("Dormant customer revival", locale),
        "network": translate("Re-contact from network and business cards", locale),
        "social": translate("Social media and own posts", locale),
        "abm": translate("ABM-style outbound", locale),
        "other_sales": translate("Other sales-generated", locale),
        "web": translate("Website", locale),
        "advertising": translate("Advertising", locale),
        "email": translate("Email marketing", locale),
        "event": translate("Events and seminars", locale),
        "social_media": translate("Social media (marketing)", locale),
        "content": translate("Content", locale),
        "list": translate("Purchased or imported list", locale),
        "other_marketing": translate("Other marketing", locale),
    }
    return labels.get(value, value)


def bilingual(english: str, japanese: str) -> str:
    """Return ``日本語 (English)``, or one of them when the Japanese catalog has no entry."""
    return english if japanese == english else f"{japanese} ({english})"
