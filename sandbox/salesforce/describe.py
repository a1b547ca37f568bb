"""Describe bodies: ``/sobjects/`` (global) and ``/sobjects/{Object}/describe``.

Hidden fields (no field-level read access for the integration user) are left out, as
Salesforce leaves them out. Picklist values are the declared ones plus those found in the data.
"""

from __future__ import annotations

import threading
from typing import Any

from sandbox.salesforce.schema import (
    DECLARED_PICKLISTS,
    PLURAL_LABELS,
    SOAP_TYPES,
    STRING_LENGTHS,
    FieldInfo,
    ObjectInfo,
    Schema,
)
from sandbox.salesforce.store import Store, quote

READ_ONLY_OBJECTS = ("LeadHistory", "OpportunityFieldHistory")


class Describer:
    def __init__(self, schema: Schema, store: Store):
        self.schema = schema
        self.store = store
        self._picklists: dict[tuple[str, str], list[str]] = {}
        self._lock = threading.Lock()

    def global_describe(self, version: str) -> dict[str, Any]:
        return {
            "encoding": "UTF-8",
            "maxBatchSize": 200,
            "sobjects": [self.object_summary(info, version)
                         for info in self.schema.objects.values()],
        }

    def object_summary(self, info: ObjectInfo, version: str) -> dict[str, Any]:
        writable = info.name not in READ_ONLY_OBJECTS
        base = f"/services/data/v{version}/sobjects/{info.name}"
        return {
            "activateable": False, "createable": writable, "custom": False,
            "customSetting": False, "deletable": writable, "deprecatedAndHidden": False,
            "feedEnabled": False, "keyPrefix": info.key_prefix, "label": _label(info.name),
            "labelPlural": PLURAL_LABELS[info.name], "layoutable": writable,
            "mergeable": info.name in ("Lead", "Contact", "Account"), "name": info.name,
            "queryable": True, "replicateable": True, "retrieveable": True,
            "searchable": writable, "triggerable": writable, "undeletable": writable,
            "updateable": writable,
            "urls": {"sobject": base, "describe": f"{base}/describe",
                     "rowTemplate": f"{base}/{{ID}}"},
        }

    def describe(self, info: ObjectInfo, version: str) -> dict[str, Any]:
        body = self.object_summary(info, version)
        body["fields"] = [self._field(info, field) for field in info.visible_fields()]
        body["childRelationships"] = self._child_relationships(info)
        body["recordTypeInfos"] = []
        return body

    def _field(self, info: ObjectInfo, field: FieldInfo) -> dict[str, Any]:
        length = STRING_LENGTHS.get(field.type, 0)
        numeric = field.type in ("double", "currency", "percent")
        return {
            "name": field.name,
            "label": field.label,
            "type": field.type,
            "soapType": SOAP_TYPES.get(field.type, "xsd:string"),
            "length": length,
            "byteLength": length * 3,
            "precision": 18 if numeric else 0,
            "scale": 2 if numeric else 0,
            "digits": 9 if field.type == "int" else 0,
            "custom": field.custom,
            "calculated": False,
            "createable": field.updateable or field.name == "OwnerId",
            "updateable": field.updateable,
            "nillable": field.nillable,
            "defaultedOnCreate": field.name in ("Id", "OwnerId", "CreatedDate", "CreatedById",
                                                "LastModifiedDate", "SystemModstamp",
                                                "IsDeleted") or field.type == "boolean",
            "filterable": field.type not in ("address", "anyType", "textarea"),
            "sortable": field.type not in ("address", "anyType", "textarea"),
            "groupable": field.type not in ("address", "anyType", "textarea", "datetime",
                                            "double", "currency", "percent"),
            "idLookup": field.name == "Id" or field.name in ("Email", "Username"),
            "externalId": False,
            "unique": field.name in ("Id", "Username"),
            "nameField": field.name == "Name",
            "compoundFieldName": field.compound_field_name,
            "relationshipName": field.relationship_name,
            "referenceTo": list(field.reference_to),
            "polymorphicForeignKey": len(field.reference_to) > 1,
            "picklistValues": self._picklist_values(info, field),
            "restrictedPicklist": field.name in DECLARED_PICKLISTS,
            "defaultValue": None,
            "inlineHelpText": None,
            "deprecatedAndHidden": False,
        }

    def _picklist_values(self, info: ObjectInfo, field: FieldInfo) -> list[dict[str, Any]]:
        if field.type != "picklist":
            return []
        key = (info.name, field.name)
        with self._lock:
            if key not in self._picklists:
                found = [row[0] for row in self.store.query(
                    f"SELECT DISTINCT {quote(field.name)} FROM {quote(info.name)} "
                    f"WHERE {quote(field.name)} IS NOT NULL LIMIT 500")]
                declared = list(DECLARED_PICKLISTS.get(field.name, ()))
                self._picklists[key] = declared + sorted(
                    value for value in found if value not in declared)
            values = self._picklists[key]
        return [{"active": True, "defaultValue": False, "label": value, "validFor": None,
                 "value": value} for value in values]

    def _child_relationships(self, info: ObjectInfo) -> list[dict[str, Any]]:
        children = []
        for child in self.schema.objects.values():
            for field in child.fields.values():
                if info.name in field.reference_to and field.name not in child.hidden:
                    children.append({
                        "childSObject": child.name, "field": field.name,
                        "cascadeDelete": False, "deprecatedAndHidden": False,
                        "relationshipName": None, "restrictedDelete": False,
                    })
        return children


def _label(name: str) -> str:
    return {"UserRole": "Role", "OpportunityContactRole": "Opportunity Contact Role",
            "LeadHistory": "Lead History",
            "OpportunityFieldHistory": "Opportunity Field History"}.get(name, name)
