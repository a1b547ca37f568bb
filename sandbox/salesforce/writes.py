"""Record writes shared by the sObject resource, sObject Collections and Bulk API ingest.

Request-level problems (an unknown field, a value of the wrong JSON type) raise
:class:`~sandbox.salesforce.errors.ApiError`; record-level problems come back as error dicts
``{"statusCode", "message", "fields"}`` so that each resource can report them its own way.
"""

from __future__ import annotations

from typing import Any

from sandbox.faults import FaultPlan
from sandbox.salesforce.errors import ApiError
from sandbox.salesforce.schema import ObjectInfo, Schema
from sandbox.salesforce.store import Store
from sandbox.salesforce.values import to_store

RecordErrors = list[dict[str, Any]]


def record_error(code: str, message: str, fields: list[str] | None = None) -> dict[str, Any]:
    return {"statusCode": code, "message": message, "fields": fields or []}


class Writer:
    """Validate and apply creates, updates and deletes as Salesforce does."""

    def __init__(self, schema: Schema, store: Store, faults: FaultPlan):
        self.schema = schema
        self.store = store
        self.faults = faults

    def object(self, name: str) -> ObjectInfo:
        info = self.schema.object(name)
        if info is None:
            raise ApiError(404, "NOT_FOUND", f"The requested resource does not exist: sObject "
                                             f"type '{name}' is not supported.")
        return info

    def normalize(self, info: ObjectInfo, values: dict[str, Any]) -> dict[str, Any]:
        """Map field names to their canonical case; raises ApiError for unknown fields or values."""
        normalized = {}
        for name, value in values.items():
            if name == "attributes":
                continue
            field = info.field(name)
            if field is None:
                raise ApiError(400, "INVALID_FIELD",
                               f"No such column '{name}' on sobject of type {info.name}")
            try:
                to_store(field, value)
            except ValueError as error:
                raise ApiError(400, "JSON_PARSER_ERROR",
                               f"Cannot deserialize instance of {field.type} from value "
                               f"{value!r} for field {field.name}: {error}") from error
            normalized[field.name] = value
        return normalized

    def check_update(self, info: ObjectInfo, record_id: str | None,
                     values: dict[str, Any]) -> RecordErrors:
        """Return the record-level errors that would stop this update (empty when none)."""
        if not record_id:
            return [record_error("MISSING_ARGUMENT", "Id not specified in an update call")]
        current = self.store.get(info.name, record_id, include_deleted=True)
        if current is None:
            return [record_error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")]
        if current.get("IsDeleted"):
            return [record_error("ENTITY_IS_DELETED", "entity is deleted")]
        read_only = [name for name in values if name != "Id" and not info.fields[name].updateable]
        if read_only:
            return [record_error(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to create/update fields: {', '.join(read_only)}. Please check the "
                "security settings of this field and verify that it is read/write for your "
                "profile or permission set.", read_only)]
        if info.name == "Lead" and current.get("IsConverted"):
            return [record_error("CANNOT_UPDATE_CONVERTED_LEAD",
                                 "cannot reference converted lead")]
        injected = self.faults.record_error("salesforce", info.name, record_id)
        if injected is not None:
            return [record_error(injected.code, injected.message, list(injected.fields))]
        return []

    def update(self, info: ObjectInfo, record_id: str, values: dict[str, Any]) -> None:
        changes = {name: value for name, value in values.items() if name != "Id"}
        self.store.update(info.name, record_id, changes)

    def check_insert(self, info: ObjectInfo, values: dict[str, Any]) -> RecordErrors:
        read_only = [name for name in values
                     if not info.fields[name].updateable and name not in ("OwnerId",)]
        if read_only:
            return [record_error(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to create/update fields: {', '.join(read_only)}. Please check the "
                "security settings of this field and verify that it is read/write for your "
                "profile or permission set.", read_only)]
        missing = [name for name, field in info.fields.items()
                   if not field.nillable and field.updateable and field.type != "boolean"
                   and values.get(name) in (None, "") and name != "OwnerId"]
        if missing:
            return [record_error("REQUIRED_FIELD_MISSING",
                                 f"Required fields are missing: [{', '.join(missing)}]", missing)]
        return []

    def insert(self, info: ObjectInfo, values: dict[str, Any], owner_id: str) -> str:
        record = dict(values)
        for name in ("OwnerId", "CreatedById"):
            if name in info.fields:
                record.setdefault(name, owner_id)
        return self.store.insert(info.name, record)

    def check_delete(self, info: ObjectInfo, record_id: str) -> RecordErrors:
        current = self.store.get(info.name, record_id, include_deleted=True)
        if current is None:
            return [record_error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")]
        if current.get("IsDeleted"):
            return [record_error("ENTITY_IS_DELETED", "entity is deleted")]
        return []
