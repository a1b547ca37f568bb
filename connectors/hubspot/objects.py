"""The HubSpot objects the connector pulls, declared as data for one generic pull loop.

Each CRM object names its canonical table, its last-modified property (``lastmodifieddate``
on contacts, ``hs_lastmodifieddate`` elsewhere), the properties attribution and the KPIs
read, and the object types whose associations are read with it. Associations are two-way
in HubSpot, so each pair is read from one side only: contacts to companies, deals to
contacts and companies, each engagement to contacts, companies and deals.
"""

from __future__ import annotations

from dataclasses import dataclass

from sgl.settings import HubSpotSettings

ENGAGEMENT_TARGETS = ("contacts", "companies", "deals")


@dataclass(frozen=True)
class ObjectSpec:
    """One CRM object type of HubSpot and what the connector reads of it."""

    name: str  # the API's plural name, as in /crm/v3/objects/{name}
    table: str  # the canonical table its records feed
    created_property: str
    modified_property: str
    properties: tuple[str, ...]
    associations: tuple[str, ...] = ()


_OWNED = ("hubspot_owner_id", "hs_created_by_user_id")
_ENGAGEMENT_TIMES = ("hs_timestamp", "hs_createdate", "hs_lastmodifieddate")


def _engagement(name: str, *properties: str) -> ObjectSpec:
    return ObjectSpec(name, "activities", "hs_createdate", "hs_lastmodifieddate",
                      (*properties, *_OWNED, *_ENGAGEMENT_TIMES), ENGAGEMENT_TARGETS)


CRM_OBJECTS: dict[str, ObjectSpec] = {spec.name: spec for spec in (
    ObjectSpec(
        "companies", "accounts", "createdate", "hs_lastmodifieddate",
        ("name", "domain", "industry", "type", "lifecyclestage", "numberofemployees",
         "hs_is_target_account", *_OWNED, "createdate", "hs_lastmodifieddate"),
    ),
    ObjectSpec(
        "contacts", "leads", "createdate", "lastmodifieddate",
        ("email", "firstname", "lastname", "company", "jobtitle", "lifecyclestage",
         "hs_lead_status", "lead_source", "hs_analytics_source", "hs_analytics_source_data_1",
         "hs_analytics_source_data_2", "hs_object_source", "hs_object_source_label",
         "hs_object_source_id", "hs_object_source_detail_1", "hs_object_source_detail_2",
         "hs_object_source_detail_3", "associatedcompanyid", "hs_merged_object_ids",
         "hs_lifecyclestage_lead_date", "hs_lifecyclestage_marketingqualifiedlead_date",
         *_OWNED, "createdate", "lastmodifieddate"),
        ("companies",),
    ),
    ObjectSpec(
        "deals", "opportunities", "createdate", "hs_lastmodifieddate",
        ("dealname", "amount", "deal_currency_code", "dealstage", "pipeline", "dealtype",
         "closedate", "closed_lost_reason", "hs_next_step", "hs_is_closed", "hs_is_closed_won",
         "hs_analytics_source", *_OWNED, "createdate", "hs_lastmodifieddate"),
        ("contacts", "companies"),
    ),
    _engagement("calls", "hs_call_direction", "hs_call_duration", "hs_call_status"),
    _engagement("meetings", "hs_meeting_start_time", "hs_meeting_end_time",
                "hs_meeting_outcome"),
    _engagement("emails", "hs_email_direction", "hs_email_status"),
    _engagement("tasks", "hs_task_type", "hs_task_status", "hs_task_subject"),
)}

OWNERS = "owners"  # read through the owners API into the users table, not a CRM object


def qualified_date_property(stage: str) -> str:
    """Return the property HubSpot stamps when a contact enters a lifecycle stage."""
    return f"hs_lifecyclestage_{stage}_date"


def wanted_properties(spec: ObjectSpec, settings: HubSpotSettings) -> list[str]:
    """Return the properties to request: the declared ones, attribution's and the settings'.

    Order is kept and duplicates dropped, so the request is the same on every run.
    """
    names = list(spec.properties)
    if spec.name in ("contacts", "deals"):
        names += [settings.origin_property, settings.channel_property]
    if spec.name == "contacts":
        names += [qualified_date_property(stage)
                  for stage in settings.qualified_lifecycle_stages]
    if spec.name == "companies":
        names.append(settings.abm_target_property)
    names += settings.extra_properties.get(spec.name, [])
    return list(dict.fromkeys(names))
