"""The Salesforce objects and fields the sandbox serves, declared as data.

Field names come from :data:`sandbox.world.SALESFORCE_FIELDS`; this module adds what describe
and SOQL need: types, relationships, compound fields and which fields are read-only. A field
name means the same thing on every object here (``OwnerId`` is always a lookup to User), so
types are declared once per name, with per-object exceptions where Salesforce differs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from sandbox.world import SALESFORCE_FIELDS

KEY_PREFIXES = {
    "UserRole": "00E", "Profile": "00e", "User": "005", "Account": "001", "Lead": "00Q",
    "Contact": "003", "Opportunity": "006", "OpportunityContactRole": "00K", "Task": "00T",
    "Event": "00U", "LeadHistory": "017", "OpportunityFieldHistory": "017",
}

PLURAL_LABELS = {
    "UserRole": "Roles", "Profile": "Profiles", "User": "Users", "Account": "Accounts",
    "Lead": "Leads", "Contact": "Contacts", "Opportunity": "Opportunities",
    "OpportunityContactRole": "Opportunity Contact Roles", "Task": "Tasks", "Event": "Events",
    "LeadHistory": "Lead History", "OpportunityFieldHistory": "Opportunity Field History",
}

# Describe types by field name. Fields not listed are "string".
FIELD_TYPES: dict[str, str] = {
    "Id": "id",
    "CreatedDate": "datetime", "LastModifiedDate": "datetime", "SystemModstamp": "datetime",
    "ActivityDateTime": "datetime", "StartDateTime": "datetime", "EndDateTime": "datetime",
    "SGL_Decided_At__c": "datetime",
    "ConvertedDate": "date", "CloseDate": "date", "ActivityDate": "date",
    "LastActivityDate": "date",
    "IsActive": "boolean", "IsDeleted": "boolean", "IsConverted": "boolean",
    "IsClosed": "boolean", "IsWon": "boolean", "IsPrimary": "boolean", "ABM_Target__c": "boolean",
    "NumberOfEmployees": "int", "CallDurationInSeconds": "int", "DurationInMinutes": "int",
    "AnnualRevenue": "currency", "Amount": "currency", "Probability": "percent",
    "Email": "email", "Phone": "phone", "Website": "url",
    "Address": "address", "BillingAddress": "address", "MailingAddress": "address",
    "OldValue": "anyType", "NewValue": "anyType",
    "Industry": "picklist", "LeadSource": "picklist", "Status": "picklist", "Type": "picklist",
    "StageName": "picklist", "CurrencyIsoCode": "picklist", "TaskSubtype": "picklist",
    "CallType": "picklist", "Role": "picklist", "Field": "picklist", "UserType": "picklist",
    "SGL_Origin__c": "picklist", "SGL_Channel__c": "picklist", "Loss_Reason__c": "picklist",
    "Street": "textarea", "NextStep": "string", "Username": "string",
}

# Lookup fields: name -> (relationship name, referenced objects).
REFERENCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "OwnerId": ("Owner", ("User",)),
    "CreatedById": ("CreatedBy", ("User",)),
    "UserRoleId": ("UserRole", ("UserRole",)),
    "ProfileId": ("Profile", ("Profile",)),
    "AccountId": ("Account", ("Account",)),
    "ContactId": ("Contact", ("Contact",)),
    "OpportunityId": ("Opportunity", ("Opportunity",)),
    "LeadId": ("Lead", ("Lead",)),
    "ConvertedAccountId": ("ConvertedAccount", ("Account",)),
    "ConvertedContactId": ("ConvertedContact", ("Contact",)),
    "ConvertedOpportunityId": ("ConvertedOpportunity", ("Opportunity",)),
    "WhoId": ("Who", ("Contact", "Lead")),
    "WhatId": ("What", ("Account", "Opportunity")),
}

# Compound fields and their components, per object. Compound fields are read-only and are
# rejected by Bulk API queries; address compounds come back as nested objects.
COMPOUND_FIELDS: dict[str, dict[str, dict[str, str]]] = {
    "Lead": {
        "Name": {"FirstName": "firstName", "LastName": "lastName"},
        "Address": {"Street": "street", "City": "city", "State": "state",
                    "PostalCode": "postalCode", "Country": "country"},
    },
    "Contact": {
        "Name": {"FirstName": "firstName", "LastName": "lastName"},
        "MailingAddress": {"MailingCity": "city"},
    },
    "User": {"Name": {"FirstName": "firstName", "LastName": "lastName"}},
    "Account": {
        "BillingAddress": {"BillingCity": "city", "BillingState": "state",
                           "BillingCountry": "country"},
    },
}

# Fields the platform maintains; writes to them fail with INVALID_FIELD_FOR_INSERT_UPDATE.
SYSTEM_FIELDS = frozenset({
    "Id", "CreatedDate", "CreatedById", "LastModifiedDate", "SystemModstamp", "IsDeleted",
    "IsConverted", "ConvertedDate", "ConvertedAccountId", "ConvertedContactId",
    "ConvertedOpportunityId", "IsClosed", "IsWon", "LastActivityDate", "UserType",
})
# Objects whose every field is read-only through the API.
READ_ONLY_OBJECTS = frozenset({"LeadHistory", "OpportunityFieldHistory"})

NOT_NILLABLE = frozenset({
    "Id", "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate", "SystemModstamp",
    "OwnerId", "LastName", "Company", "StageName", "CloseDate", "Username",
})
NOT_NILLABLE_BY_OBJECT = {"Lead": {"Status"}, "Account": {"Name"}, "Opportunity": {"Name"}}

# Picklist values declared by the product's custom fields; values found in the data are added.
DECLARED_PICKLISTS: dict[str, tuple[str, ...]] = {
    "SGL_Origin__c": ("sales", "marketing", "partner", "unknown"),
    "SGL_Channel__c": ("referral", "dormant_revival", "network", "social", "abm", "other_sales"),
}

SOAP_TYPES = {
    "id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "datetime": "xsd:dateTime",
    "date": "xsd:date", "int": "xsd:int", "double": "xsd:double", "currency": "xsd:double",
    "percent": "xsd:double", "address": "urn:address", "anyType": "xsd:anyType",
}
STRING_LENGTHS = {"id": 18, "reference": 18, "email": 80, "phone": 40, "url": 255,
                  "picklist": 255, "textarea": 255, "string": 255}

API_VERSIONS = tuple(f"{number}.0" for number in range(31, 63))
LATEST_API_VERSION = API_VERSIONS[-1]


@dataclass(frozen=True)
class FieldInfo:
    """One field of one object, as describe lists it."""

    name: str
    type: str
    object: str
    relationship_name: str | None = None
    reference_to: tuple[str, ...] = ()
    compound_field_name: str | None = None
    updateable: bool = True
    nillable: bool = True

    @property
    def custom(self) -> bool:
        return self.name.endswith("__c")

    @property
    def is_compound(self) -> bool:
        return self.name in COMPOUND_FIELDS.get(self.object, {})

    @property
    def is_text(self) -> bool:
        return self.type in ("id", "reference", "string", "email", "phone", "url", "picklist",
                             "textarea")

    @property
    def label(self) -> str:
        base = self.name.removesuffix("__c").replace("_", " ")
        if self.type == "reference" and base.endswith("Id"):
            base = base[:-2] + " ID"
        return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", base).strip()


@dataclass
class ObjectInfo:
    """One SObject: its fields in declaration order and a case-insensitive index of them."""

    name: str
    fields: dict[str, FieldInfo]
    hidden: frozenset[str] = frozenset()

    @cached_property
    def _by_lower(self) -> dict[str, FieldInfo]:
        return {name.lower(): info for name, info in self.fields.items()}

    @cached_property
    def _relationships(self) -> dict[str, FieldInfo]:
        return {info.relationship_name.lower(): info for info in self.fields.values()
                if info.relationship_name and info.name not in self.hidden}

    def field(self, name: str) -> FieldInfo | None:
        """Find a readable field by case-insensitive name; hidden fields are not found."""
        info = self._by_lower.get(name.lower())
        return None if info is None or info.name in self.hidden else info

    def relationship(self, name: str) -> FieldInfo | None:
        """Find the lookup field of a relationship name such as ``Owner``."""
        return self._relationships.get(name.lower())

    def visible_fields(self) -> list[FieldInfo]:
        return [info for name, info in self.fields.items() if name not in self.hidden]

    @property
    def key_prefix(self) -> str:
        return KEY_PREFIXES[self.name]

    @property
    def has_modstamp(self) -> bool:
        return "SystemModstamp" in self.fields


@dataclass
class Schema:
    """All objects of the sandbox org. ``hidden`` lists fields without field-level read access."""

    hidden: dict[str, set[str]] = field(default_factory=dict)
    objects: dict[str, ObjectInfo] = field(init=False)

    def __post_init__(self) -> None:
        unknown = {f"{name}.{field_name}" for name, names in self.hidden.items()
                   for field_name in names
                   if field_name not in SALESFORCE_FIELDS.get(name, ())}
        if unknown:
            raise ValueError(
                f"Hidden fields {sorted(unknown)} do not exist: name fields listed in "
                "sandbox.world.SALESFORCE_FIELDS."
            )
        self.objects = {
            name: ObjectInfo(name, {field_name: build_field(name, field_name)
                                    for field_name in names},
                             frozenset(self.hidden.get(name, ())))
            for name, names in SALESFORCE_FIELDS.items()
        }
        self._by_lower = {name.lower(): info for name, info in self.objects.items()}

    def object(self, name: str) -> ObjectInfo | None:
        """Find an object by case-insensitive name."""
        return self._by_lower.get(name.lower())


def build_field(object_name: str, name: str) -> FieldInfo:
    """Describe one field from the declarations above."""
    reference = REFERENCES.get(name)
    field_type = "reference" if reference else FIELD_TYPES.get(name, "string")
    compound_of = next((compound for compound, parts in COMPOUND_FIELDS.get(object_name, {})
                        .items() if name in parts), None)
    is_compound = name in COMPOUND_FIELDS.get(object_name, {})
    updateable = not (name in SYSTEM_FIELDS or is_compound or object_name in READ_ONLY_OBJECTS)
    nillable = name not in NOT_NILLABLE and name not in NOT_NILLABLE_BY_OBJECT.get(
        object_name, ()) and field_type != "boolean"
    return FieldInfo(
        name=name, type=field_type, object=object_name,
        relationship_name=reference[0] if reference else None,
        reference_to=reference[1] if reference else (),
        compound_field_name=compound_of, updateable=updateable, nillable=nillable,
    )
