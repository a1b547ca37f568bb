"""HubSpot object types, property definitions and association types served by the sandbox.

Everything here is data: the store, the properties API and the associations API read these
tables through one generic code path. Facts follow HubSpot's CRM v3/v4 developer docs and the
hubspot-api-client 12 models; each unverified value carries a NOTE.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sandbox.world import HUBSPOT_PROPERTIES


@dataclass(frozen=True)
class ObjectType:
    """One CRM object type: its names, timestamp properties and the properties lists return."""

    name: str  # plural API name, as in /crm/v3/objects/{name}
    singular: str  # used in association type names and error messages
    type_id: str  # HubSpot's object type id, accepted in paths in place of the name
    created_property: str
    modified_property: str
    default_properties: tuple[str, ...]  # returned when a request names no properties
    search_text_properties: tuple[str, ...]  # matched by the free-text ``query`` of a search


def _engagement(name: str, singular: str, type_id: str) -> ObjectType:
    return ObjectType(
        name=name, singular=singular, type_id=type_id,
        created_property="hs_createdate", modified_property="hs_lastmodifieddate",
        default_properties=("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
        search_text_properties=(),
    )


OBJECT_TYPES: dict[str, ObjectType] = {
    object_type.name: object_type
    for object_type in (
        ObjectType(
            name="contacts", singular="contact", type_id="0-1",
            created_property="createdate", modified_property="lastmodifieddate",
            default_properties=("createdate", "email", "firstname", "hs_object_id",
                                "lastmodifieddate", "lastname"),
            search_text_properties=("email", "firstname", "lastname", "phone", "company"),
        ),
        ObjectType(
            name="companies", singular="company", type_id="0-2",
            created_property="createdate", modified_property="hs_lastmodifieddate",
            default_properties=("createdate", "domain", "hs_lastmodifieddate", "hs_object_id",
                                "name"),
            search_text_properties=("name", "domain"),
        ),
        ObjectType(
            name="deals", singular="deal", type_id="0-3",
            created_property="createdate", modified_property="hs_lastmodifieddate",
            default_properties=("amount", "closedate", "createdate", "dealname", "dealstage",
                                "hs_lastmodifieddate", "hs_object_id", "pipeline"),
            search_text_properties=("dealname",),
        ),
        _engagement("calls", "call", "0-48"),
        _engagement("emails", "email", "0-49"),
        _engagement("meetings", "meeting", "0-47"),
        _engagement("tasks", "task", "0-27"),
    )
}

# Path spellings that HubSpot accepts for an object type: plural, singular and type id.
OBJECT_TYPE_ALIASES: dict[str, str] = {}
for _object_type in OBJECT_TYPES.values():
    for _alias in (_object_type.name, _object_type.singular, _object_type.type_id):
        OBJECT_TYPE_ALIASES[_alias] = _object_type.name


@dataclass(frozen=True)
class PropertySpec:
    """The parts of a property definition that differ between properties."""

    label: str
    type: str  # string, number, date, datetime, enumeration, bool
    field_type: str  # text, textarea, number, date, select, radio, checkbox, booleancheckbox...
    group: str
    options: tuple[str, ...] = ()  # enumeration values; values seen in the world are added
    read_only: bool = False  # HubSpot computes the value; writes are rejected
    calculated: bool = False
    hubspot_defined: bool = True
    referenced_object_type: str = ""


def _text(label: str, group: str, **extra) -> PropertySpec:
    return PropertySpec(label, "string", "text", group, **extra)


def _datetime(label: str, group: str, **extra) -> PropertySpec:
    return PropertySpec(label, "datetime", "date", group, **extra)


def _number(label: str, group: str, **extra) -> PropertySpec:
    return PropertySpec(label, "number", "number", group, **extra)


def _choice(label: str, group: str, options: tuple[str, ...], field_type: str = "select",
            **extra) -> PropertySpec:
    return PropertySpec(label, "enumeration", field_type, group, options=options, **extra)


def _flag(label: str, group: str, **extra) -> PropertySpec:
    return PropertySpec(label, "bool", "booleancheckbox", group, options=("true", "false"),
                        **extra)


LIFECYCLE_STAGES = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead",
                    "opportunity", "customer", "evangelist", "other")
ANALYTICS_SOURCES = ("ORGANIC_SEARCH", "PAID_SEARCH", "EMAIL_MARKETING", "SOCIAL_MEDIA",
                     "REFERRALS", "OTHER_CAMPAIGNS", "DIRECT_TRAFFIC", "OFFLINE", "PAID_SOCIAL")
SGL_ORIGINS = ("sales", "marketing", "partner", "unknown")
SGL_CHANNELS = ("referral", "dormant_revival", "network", "social", "abm", "other_sales")

_OWNER = PropertySpec("Owner", "enumeration", "select", "", referenced_object_type="OWNER")

# Properties shared by several object types; the group is filled in per type below.
_COMMON: dict[str, PropertySpec] = {
    "hs_object_id": _number("Record ID", "", read_only=True),
    "hubspot_owner_id": _OWNER,
    "hs_created_by_user_id": _number("Created by user ID", "", read_only=True),
    "createdate": _datetime("Create Date", "", read_only=True),
    "hs_createdate": _datetime("Create date", "", read_only=True),
    "hs_lastmodifieddate": _datetime("Last Modified Date", "", read_only=True),
    "hs_timestamp": _datetime("Activity date", ""),
    "lifecyclestage": _choice("Lifecycle Stage", "", LIFECYCLE_STAGES, field_type="radio"),
    # The sgl_* properties belong to this product, and its write-back setup creates them
    # through the properties API. These specs describe only those that a world contains.
    "sgl_origin": _choice("SGL origin", "sgl", SGL_ORIGINS, hubspot_defined=False),
    "sgl_channel": _choice("SGL channel", "sgl", SGL_CHANNELS, hubspot_defined=False),
    "sgl_rule_id": _text("SGL rule id", "sgl", hubspot_defined=False),
    "sgl_decided_at": _datetime("SGL decided at", "sgl", hubspot_defined=False),
}

_SPECIFIC: dict[str, dict[str, PropertySpec]] = {
    "contacts": {
        "email": _text("Email", "contactinformation"),
        "firstname": _text("First Name", "contactinformation"),
        "lastname": _text("Last Name", "contactinformation"),
        "company": _text("Company Name", "contactinformation"),
        "jobtitle": _text("Job Title", "contactinformation"),
        "phone": PropertySpec("Phone Number", "string", "phonenumber", "contactinformation"),
        "hs_lead_status": _choice(
            "Lead Status", "sales_properties",
            ("NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT",
             "CONNECTED", "BAD_TIMING"), field_type="radio"),
        # A portal's own property, so its options are the values the world holds.
        "lead_source": _choice("Lead Source", "contactinformation", (), hubspot_defined=False),
        "hs_analytics_source": _choice("Original Traffic Source", "analyticsinformation",
                                       ANALYTICS_SOURCES, read_only=True, calculated=True),
        "hs_analytics_source_data_1": _text("Original Traffic Source Drill-Down 1",
                                            "analyticsinformation", read_only=True),
        "hs_analytics_source_data_2": _text("Original Traffic Source Drill-Down 2",
                                            "analyticsinformation", read_only=True),
        # NOTE: HubSpot serves the record-source properties as enumerations. The sandbox lists
        # the values its world contains because the full option list is not published.
        "hs_object_source": _choice("Record source", "contactinformation", (),
                                    read_only=True),
        "hs_object_source_label": _choice("Record source", "contactinformation", (),
                                          read_only=True),
        "hs_object_source_detail_1": _text("Record source detail 1", "contactinformation",
                                           read_only=True),
        "associatedcompanyid": _number("Primary Associated Company ID", "contactinformation",
                                       read_only=True),
        "lastmodifieddate": _datetime("Last Modified Date", "contactinformation",
                                      read_only=True),
        "hs_merged_object_ids": _choice("Merged record IDs", "contactinformation", (),
                                        field_type="checkbox", read_only=True),
        **{
            f"hs_lifecyclestage_{stage}_date": _datetime(
                f"Became a {stage} date", "contactinformation", read_only=True,
                calculated=True)
            for stage in ("lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
                          "customer")
        },
    },
    "companies": {
        "name": _text("Company name", "companyinformation"),
        "domain": _text("Company Domain Name", "companyinformation"),
        "industry": _choice("Industry", "companyinformation", ()),
        "numberofemployees": _number("Number of Employees", "companyinformation"),
        "hs_is_target_account": _flag("Target Account", "companyinformation"),
    },
    "deals": {
        "dealname": _text("Deal Name", "dealinformation"),
        "amount": _number("Amount", "dealinformation"),
        "deal_currency_code": _choice("Currency", "dealinformation", ("JPY", "USD", "EUR")),
        "dealstage": _choice("Deal Stage", "dealinformation",
                             ("appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
                              "decisionmakerboughtin", "contractsent", "closedwon",
                              "closedlost"), field_type="radio"),
        "pipeline": _choice("Pipeline", "dealinformation", ("default",)),
        "dealtype": _choice("Deal Type", "dealinformation",
                            ("newbusiness", "existingbusiness"), field_type="radio"),
        "closedate": _datetime("Close Date", "dealinformation"),
        "closed_lost_reason": PropertySpec("Closed Lost Reason", "string", "textarea",
                                           "dealinformation"),
        "hs_next_step": PropertySpec("Next step", "string", "textarea", "dealinformation"),
        "hs_is_closed": _flag("Is Deal Closed?", "dealinformation", read_only=True,
                              calculated=True),
        "hs_is_closed_won": _flag("Is Closed Won", "dealinformation", read_only=True,
                                  calculated=True),
    },
    "calls": {
        "hs_call_direction": _choice("Call direction", "call", ("INBOUND", "OUTBOUND")),
        # hs_call_duration is in milliseconds.
        "hs_call_duration": _number("Call duration", "call"),
        "hs_call_status": _choice(
            "Call status", "call",
            ("BUSY", "CALLING_CRM_USER", "CANCELED", "COMPLETED", "CONNECTING", "FAILED",
             "IN_PROGRESS", "NO_ANSWER", "QUEUED", "RINGING")),
    },
    "meetings": {
        "hs_meeting_start_time": _datetime("Start time", "meeting"),
        "hs_meeting_end_time": _datetime("End time", "meeting"),
        "hs_meeting_outcome": _choice(
            "Meeting outcome", "meeting",
            ("SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED")),
    },
    "emails": {
        "hs_email_direction": _choice("Email direction", "email",
                                      ("EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL")),
        "hs_email_status": _choice("Email send status", "email",
                                   ("BOUNCED", "FAILED", "SCHEDULED", "SENDING", "SENT")),
    },
    "tasks": {
        "hs_task_type": _choice("Task type", "task", ("CALL", "EMAIL", "TODO")),
        "hs_task_status": _choice("Task status", "task",
                                  ("NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED",
                                   "DEFERRED")),
        "hs_task_subject": _text("Task title", "task"),
    },
}

# The group a shared property lands in, per object type.
# NOTE: the engagement group names (call, meeting, email, task) are a guess; HubSpot's
# engagement properties use several groups.
MAIN_GROUP = {
    "contacts": "contactinformation", "companies": "companyinformation",
    "deals": "dealinformation", "calls": "call", "meetings": "meeting", "emails": "email",
    "tasks": "task",
}

PROPERTY_GROUPS: dict[str, dict[str, str]] = {
    "contacts": {"contactinformation": "Contact information",
                 "analyticsinformation": "Web analytics history",
                 "sales_properties": "Sales properties"},
    "companies": {"companyinformation": "Company information"},
    "deals": {"dealinformation": "Deal information"},
    "calls": {"call": "Call information"},
    "meetings": {"meeting": "Meeting information"},
    "emails": {"email": "Email information"},
    "tasks": {"task": "Task information"},
}

SGL_PROPERTIES = frozenset(name for name in _COMMON if name.startswith("sgl_"))


def property_spec(object_type: str, name: str) -> PropertySpec:
    """Return the catalogue spec of a property that ``HUBSPOT_PROPERTIES`` lists."""
    spec = _SPECIFIC.get(object_type, {}).get(name) or _COMMON.get(name)
    if spec is None:
        raise KeyError(
            f"Property {name!r} of HubSpot {object_type} has no spec in the sandbox catalogue: "
            "add it to sandbox/hubspot/catalog.py."
        )
    if not spec.group:
        spec = replace(spec, group=MAIN_GROUP[object_type])
    return spec


def catalogue_properties(object_type: str) -> tuple[str, ...]:
    """Return the property names the sandbox defines for an object type, sgl_* included."""
    return HUBSPOT_PROPERTIES.get(object_type, ())


# HubSpot-defined association type ids as (unlabeled, primary); primary is None where HubSpot
# has no "Primary" label for the pair. Source: the v4 associations docs' type id table.
ASSOCIATION_TYPE_IDS: dict[tuple[str, str], tuple[int, int | None]] = {
    ("contacts", "companies"): (279, 1),
    ("companies", "contacts"): (280, 2),
    ("deals", "contacts"): (3, None),
    ("contacts", "deals"): (4, None),
    ("deals", "companies"): (341, 5),
    ("companies", "deals"): (342, 6),
    ("calls", "contacts"): (194, None),
    ("contacts", "calls"): (193, None),
    ("calls", "companies"): (182, None),
    ("companies", "calls"): (181, None),
    ("calls", "deals"): (206, None),
    ("deals", "calls"): (205, None),
    ("emails", "contacts"): (198, None),
    ("contacts", "emails"): (197, None),
    ("emails", "companies"): (186, None),
    ("companies", "emails"): (185, None),
    ("emails", "deals"): (210, None),
    ("deals", "emails"): (209, None),
    ("meetings", "contacts"): (200, None),
    ("contacts", "meetings"): (199, None),
    ("meetings", "companies"): (188, None),
    ("companies", "meetings"): (187, None),
    ("meetings", "deals"): (212, None),
    ("deals", "meetings"): (211, None),
    ("tasks", "contacts"): (204, None),
    ("contacts", "tasks"): (203, None),
    ("tasks", "companies"): (192, None),
    ("companies", "tasks"): (191, None),
    ("tasks", "deals"): (216, None),
    ("deals", "tasks"): (215, None),
}
