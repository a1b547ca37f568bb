"""The records a sandbox serves, in the shapes the real CRM APIs return them.

A :class:`World` is what the generator and the data-file loaders produce and what the
Salesforce and HubSpot APIs of the sandbox load. Records are plain JSON-ready dicts keyed by
the CRMs' own API names, so the same world can also be written to disk and read back.

Value conventions, as the real APIs send them:
- Salesforce datetimes: ``2025-03-31T16:00:00.000+0000``; dates: ``2025-03-31``; booleans
  as JSON booleans; currency amounts as JSON numbers; ``Id`` 18 characters with the
  object's key prefix (Lead ``00Q``, Contact ``003``, Account ``001``, Opportunity ``006``,
  User ``005``, Task ``00T``, Event ``00U``, UserRole ``00E``, Profile ``00e``,
  LeadHistory ``017``, OpportunityFieldHistory ``017``, OpportunityContactRole ``00K``).
- HubSpot: every property value is a string or null (``"2025-03-31T16:00:00.000Z"`` for
  datetimes, ``"1743436800000"`` for some date properties, ``"12000000"`` for amounts);
  ids are numeric strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# Salesforce fields that the generator fills and the sandbox describes, per SObject.
# Compound fields (``Address``, ``MailingAddress``, ``BillingAddress``) come back from the REST
# API as nested objects and cannot be served by Bulk API 2.0 queries.
SALESFORCE_FIELDS: dict[str, tuple[str, ...]] = {
    "UserRole": ("Id", "Name", "DeveloperName", "SystemModstamp"),
    "Profile": ("Id", "Name", "SystemModstamp"),
    "User": (
        "Id", "Username", "Name", "FirstName", "LastName", "Email", "IsActive",
        "UserRoleId", "ProfileId", "Department", "Title", "UserType",
        "CreatedDate", "LastModifiedDate", "SystemModstamp",
    ),
    "Account": (
        "Id", "Name", "Website", "Industry", "Type", "NumberOfEmployees", "AnnualRevenue",
        "BillingCity", "BillingState", "BillingCountry", "BillingAddress",
        "OwnerId", "CreatedById", "CreatedDate", "LastModifiedDate", "SystemModstamp",
        "LastActivityDate", "IsDeleted", "ABM_Target__c",
    ),
    "Lead": (
        "Id", "FirstName", "LastName", "Name", "Company", "Email", "Phone", "Title",
        "Industry", "LeadSource", "Lead_Source_Detail__c", "Status",
        "City", "State", "Country", "PostalCode", "Street", "Address",
        "OwnerId", "CreatedById", "CreatedDate", "LastModifiedDate", "SystemModstamp",
        "IsDeleted", "IsConverted", "ConvertedDate", "ConvertedAccountId",
        "ConvertedContactId", "ConvertedOpportunityId",
        "SGL_Origin__c", "SGL_Channel__c", "SGL_Rule__c", "SGL_Decided_At__c",
    ),
    "Contact": (
        "Id", "AccountId", "FirstName", "LastName", "Name", "Email", "Phone", "Title",
        "Department", "LeadSource", "Lead_Source_Detail__c", "MailingCity", "MailingAddress",
        "OwnerId", "CreatedById", "CreatedDate", "LastModifiedDate", "SystemModstamp",
        "IsDeleted", "SGL_Origin__c", "SGL_Channel__c", "SGL_Rule__c", "SGL_Decided_At__c",
    ),
    "Opportunity": (
        "Id", "Name", "AccountId", "ContactId", "Type", "StageName", "IsClosed", "IsWon",
        "CloseDate", "Amount", "CurrencyIsoCode", "Probability", "LeadSource", "NextStep",
        "Loss_Reason__c", "OwnerId", "CreatedById", "CreatedDate", "LastModifiedDate",
        "SystemModstamp", "IsDeleted",
        "SGL_Origin__c", "SGL_Channel__c", "SGL_Rule__c", "SGL_Decided_At__c",
    ),
    "OpportunityContactRole": (
        "Id", "OpportunityId", "ContactId", "Role", "IsPrimary",
        "CreatedDate", "LastModifiedDate", "SystemModstamp", "IsDeleted",
    ),
    "Task": (
        "Id", "Subject", "WhoId", "WhatId", "AccountId", "OwnerId", "CreatedById",
        "ActivityDate", "Status", "Type", "TaskSubtype", "CallType", "CallDurationInSeconds",
        "CreatedDate", "LastModifiedDate", "SystemModstamp", "IsDeleted",
    ),
    "Event": (
        "Id", "Subject", "WhoId", "WhatId", "AccountId", "OwnerId", "CreatedById",
        "Type", "ActivityDateTime", "StartDateTime", "EndDateTime", "DurationInMinutes",
        "CreatedDate", "LastModifiedDate", "SystemModstamp", "IsDeleted",
    ),
    # History objects have no SystemModstamp or LastModifiedDate: rows are immutable, so
    # incremental pulls read them by CreatedDate.
    "LeadHistory": ("Id", "LeadId", "Field", "OldValue", "NewValue", "CreatedById",
                    "CreatedDate", "IsDeleted"),
    "OpportunityFieldHistory": ("Id", "OpportunityId", "Field", "OldValue", "NewValue",
                                "CreatedById", "CreatedDate", "IsDeleted"),
}

# HubSpot properties that the generator fills and the sandbox's properties API defines.
HUBSPOT_PROPERTIES: dict[str, tuple[str, ...]] = {
    "contacts": (
        "email", "firstname", "lastname", "company", "jobtitle", "phone",
        "lifecyclestage", "hs_lead_status", "lead_source",
        "hs_analytics_source", "hs_analytics_source_data_1", "hs_analytics_source_data_2",
        "hs_object_source", "hs_object_source_label", "hs_object_source_detail_1",
        "hs_created_by_user_id", "hubspot_owner_id", "associatedcompanyid",
        "createdate", "lastmodifieddate", "hs_object_id", "hs_merged_object_ids",
        "hs_lifecyclestage_lead_date", "hs_lifecyclestage_marketingqualifiedlead_date",
        "hs_lifecyclestage_salesqualifiedlead_date", "hs_lifecyclestage_opportunity_date",
        "hs_lifecyclestage_customer_date",
        "sgl_origin", "sgl_channel", "sgl_rule_id", "sgl_decided_at",
    ),
    "companies": (
        "name", "domain", "industry", "lifecyclestage", "numberofemployees",
        "hs_is_target_account", "hubspot_owner_id", "hs_created_by_user_id",
        "createdate", "hs_lastmodifieddate", "hs_object_id",
    ),
    "deals": (
        "dealname", "amount", "deal_currency_code", "dealstage", "pipeline", "dealtype",
        "closedate", "closed_lost_reason", "hs_next_step", "hs_is_closed", "hs_is_closed_won",
        "hubspot_owner_id", "hs_created_by_user_id", "createdate", "hs_lastmodifieddate",
        "hs_object_id", "sgl_origin", "sgl_channel", "sgl_rule_id", "sgl_decided_at",
    ),
    "calls": ("hs_timestamp", "hs_call_direction", "hs_call_duration", "hs_call_status",
              "hubspot_owner_id", "hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
    "meetings": ("hs_timestamp", "hs_meeting_start_time", "hs_meeting_end_time",
                 "hs_meeting_outcome", "hubspot_owner_id", "hs_createdate",
                 "hs_lastmodifieddate", "hs_object_id"),
    "emails": ("hs_timestamp", "hs_email_direction", "hs_email_status", "hubspot_owner_id",
               "hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
    "tasks": ("hs_timestamp", "hs_task_type", "hs_task_status", "hs_task_subject",
              "hubspot_owner_id", "hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
}


@dataclass(frozen=True)
class Association:
    """A HubSpot association between two records, as the v4 associations API lists it."""

    from_type: str  # "contacts", "companies", "deals", "calls", ...
    from_id: str
    to_type: str
    to_id: str
    label: str = ""  # empty for the default association type


@dataclass
class World:
    """All records of one sandbox: both CRMs, relative to ``as_of`` (UTC)."""

    as_of: datetime
    salesforce: dict[str, list[dict]] = field(default_factory=dict)
    hubspot: dict[str, list[dict]] = field(default_factory=dict)
    hubspot_owners: list[dict] = field(default_factory=list)
    hubspot_associations: list[Association] = field(default_factory=list)

    def extend(self, part: World) -> None:
        """Append the records of ``part``, another part of the same world.

        Generators and loaders may produce a large world as a sequence of parts with disjoint
        records (see ``sandbox.generate.iter_world``). Extending an empty world with every
        part in order gives the whole world.
        """
        for name, rows in part.salesforce.items():
            self.salesforce.setdefault(name, []).extend(rows)
        for name, rows in part.hubspot.items():
            self.hubspot.setdefault(name, []).extend(rows)
        self.hubspot_owners.extend(part.hubspot_owners)
        self.hubspot_associations.extend(part.hubspot_associations)

    def count(self) -> dict[str, int]:
        """Return record counts per ``crm.object``, for logs and benchmarks."""
        counts = {f"salesforce.{name}": len(rows) for name, rows in self.salesforce.items()}
        counts.update({f"hubspot.{name}": len(rows) for name, rows in self.hubspot.items()})
        counts["hubspot.owners"] = len(self.hubspot_owners)
        counts["hubspot.associations"] = len(self.hubspot_associations)
        return counts
