"""The Salesforce objects the connector pulls, declared as data.

Each :class:`ObjectSpec` names the object, the canonical table its records feed, the cursor
field that orders incremental pulls and the fields wanted. Custom fields whose API names
differ between orgs are named by settings keys (``setting_fields``), so the table stays the
same for every org. One generic loop (``connectors.salesforce.pages``) pulls them all.
"""

from __future__ import annotations

from dataclasses import dataclass

from sgl.settings import SALESFORCE_OBJECTS, SalesforceSettings

MODSTAMP = "SystemModstamp"
CREATED = "CreatedDate"


@dataclass(frozen=True)
class ObjectSpec:
    """One pullable object.

    ``cursor`` orders and bounds incremental pulls: ``SystemModstamp`` for records that
    change, ``CreatedDate`` for history rows, which never change. ``deletes`` is true when
    the object has ``IsDeleted``, so the pull reads through ``queryAll``, which also returns deleted records.
    ``optional`` fields exist only in some orgs (``CurrencyIsoCode`` needs multi-currency),
    so their absence from describe is not reported.
    """

    name: str
    table: str
    cursor: str
    fields: tuple[str, ...]
    setting_fields: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    deletes: bool = True


_TAG_FIELDS = ("origin_field", "channel_field", "rule_field", "decided_at_field")

OBJECT_SPECS: dict[str, ObjectSpec] = {spec.name: spec for spec in (
    ObjectSpec(
        "User", "users", MODSTAMP,
        ("Id", "Username", "Name", "Email", "IsActive", "UserRoleId", "ProfileId",
         "Department", "Title", "UserType", "CreatedDate", "SystemModstamp",
         "UserRole.Name", "Profile.Name"),
        deletes=False,
    ),
    ObjectSpec(
        "Account", "accounts", MODSTAMP,
        ("Id", "Name", "Website", "Industry", "Type", "OwnerId", "CreatedById",
         "CreatedDate", "SystemModstamp", "IsDeleted"),
        setting_fields=("abm_target_field",),
    ),
    ObjectSpec(
        "Lead", "leads", MODSTAMP,
        ("Id", "FirstName", "LastName", "Name", "Company", "Email", "LeadSource", "Status",
         "OwnerId", "CreatedById", "CreatedDate", "SystemModstamp", "IsDeleted",
         "IsConverted", "ConvertedDate", "ConvertedAccountId", "ConvertedContactId",
         "ConvertedOpportunityId"),
        setting_fields=(*_TAG_FIELDS, "lead_source_detail_field"),
    ),
    ObjectSpec(
        "Contact", "leads", MODSTAMP,
        ("Id", "AccountId", "FirstName", "LastName", "Name", "Email", "LeadSource",
         "OwnerId", "CreatedById", "CreatedDate", "SystemModstamp", "IsDeleted"),
        setting_fields=(*_TAG_FIELDS, "lead_source_detail_field"),
    ),
    ObjectSpec(
        "Opportunity", "opportunities", MODSTAMP,
        ("Id", "Name", "AccountId", "ContactId", "Type", "StageName", "IsClosed", "IsWon",
         "CloseDate", "Amount", "CurrencyIsoCode", "LeadSource", "NextStep", "OwnerId",
         "CreatedById", "CreatedDate", "SystemModstamp", "IsDeleted"),
        setting_fields=(*_TAG_FIELDS, "loss_reason_field"),
        optional=("CurrencyIsoCode", "ContactId"),
    ),
    # Only primary roles are used: they set the opportunity's contact.
    ObjectSpec(
        "OpportunityContactRole", "opportunities", MODSTAMP,
        ("Id", "OpportunityId", "ContactId", "Role", "IsPrimary", "CreatedDate",
         "SystemModstamp", "IsDeleted"),
    ),
    ObjectSpec(
        "Task", "activities", MODSTAMP,
        ("Id", "WhoId", "WhatId", "AccountId", "OwnerId", "CreatedById", "ActivityDate",
         "Status", "Type", "TaskSubtype", "CallType", "CallDurationInSeconds",
         "CreatedDate", "SystemModstamp", "IsDeleted"),
        optional=("TaskSubtype", "CallType", "CallDurationInSeconds"),
    ),
    ObjectSpec(
        "Event", "activities", MODSTAMP,
        ("Id", "WhoId", "WhatId", "AccountId", "OwnerId", "CreatedById", "Type",
         "ActivityDateTime", "StartDateTime", "EndDateTime", "DurationInMinutes",
         "CreatedDate", "SystemModstamp", "IsDeleted"),
    ),
    ObjectSpec(
        "LeadHistory", "field_history", CREATED,
        ("Id", "LeadId", "Field", "OldValue", "NewValue", "CreatedById", "CreatedDate",
         "IsDeleted"),
    ),
    ObjectSpec(
        "OpportunityFieldHistory", "field_history", CREATED,
        ("Id", "OpportunityId", "Field", "OldValue", "NewValue", "CreatedById",
         "CreatedDate", "IsDeleted"),
    ),
)}

assert tuple(OBJECT_SPECS) == SALESFORCE_OBJECTS, "pull order must match the settings' list"

# Compound fields that Bulk API 2.0 query jobs reject; an object selecting one stays on REST.
COMPOUND_FIELDS = frozenset({"Address", "MailingAddress", "OtherAddress", "BillingAddress",
                             "ShippingAddress", "Location"})


def wanted_fields(spec: ObjectSpec, settings: SalesforceSettings) -> list[str]:
    """Return the fields to request for ``spec``: declared, configured custom and extra fields."""
    fields = list(spec.fields)
    for key in spec.setting_fields:
        name = getattr(settings, key)
        if name:
            fields.append(name)
    fields += settings.extra_fields.get(spec.name, [])

    unique: dict[str, None] = {}
    for name in fields:
        unique.setdefault(name, None)
    return list(unique)


def selected_objects(settings: SalesforceSettings, only: list[str] | None = None
                     ) -> list[ObjectSpec]:
    """Return the specs to pull, in pull order; Contact only when it is a first-touch object."""
    names = only or settings.objects
    specs = [OBJECT_SPECS[name] for name in SALESFORCE_OBJECTS if name in names]
    if only is None and "Contact" not in settings.first_touch_objects:
        specs = [spec for spec in specs if spec.name != "Contact"]
    return specs
