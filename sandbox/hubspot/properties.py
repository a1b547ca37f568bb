"""Property and property-group definitions, as the CRM v3 properties API returns them."""

from __future__ import annotations

from typing import Any

from sandbox.hubspot.catalog import PROPERTY_GROUPS, PropertySpec
from sandbox.hubspot.errors import HubSpotError, validation_error

PROPERTY_TYPES = ("string", "number", "date", "datetime", "enumeration", "bool")
FIELD_TYPES = ("textarea", "text", "date", "file", "number", "select", "radio", "checkbox",
               "booleancheckbox", "calculation_equation", "phonenumber", "html")
_REQUIRED_ON_CREATE = ("name", "label", "type", "fieldType", "groupName")


def definition_from_spec(name: str, spec: PropertySpec, observed: set[str],
                         stamp: str) -> dict[str, Any]:
    """Build a property definition; enumeration options add the values the world holds."""
    values = list(spec.options) + sorted(observed - set(spec.options))
    if spec.field_type == "checkbox" and not spec.options:
        values = []  # multi-value lists such as hs_merged_object_ids have no fixed options
    definition: dict[str, Any] = {
        "updatedAt": stamp,
        "createdAt": stamp,
        "name": name,
        "label": spec.label,
        "type": spec.type,
        "fieldType": spec.field_type,
        "description": "",
        "groupName": spec.group,
        "options": [_option(value, order) for order, value in enumerate(values)]
        if spec.type in ("enumeration", "bool") else [],
        "displayOrder": -1,
        "calculated": spec.calculated,
        "externalOptions": bool(spec.referenced_object_type),
        "hasUniqueValue": False,
        "hidden": False,
        "modificationMetadata": {
            "archivable": not spec.hubspot_defined,
            "readOnlyDefinition": spec.hubspot_defined,
            "readOnlyValue": spec.read_only,
        },
        "formField": not spec.read_only,
        "dataSensitivity": "non_sensitive",
    }
    if spec.hubspot_defined:
        definition["hubspotDefined"] = True
    if spec.referenced_object_type:
        definition["referencedObjectType"] = spec.referenced_object_type
    return definition


def _option(value: str, order: int) -> dict[str, Any]:
    label = value.replace("_", " ").capitalize() if value not in ("true", "false") else (
        "Yes" if value == "true" else "No")
    return {"label": label, "value": value, "displayOrder": order, "hidden": False}


class PropertyRegistry:
    """Definitions per object type; properties created through the API join at run time."""

    def __init__(self) -> None:
        self._definitions: dict[str, dict[str, dict[str, Any]]] = {}
        self._groups: dict[str, dict[str, dict[str, Any]]] = {
            object_type: {
                name: {"name": name, "label": label, "displayOrder": order, "archived": False}
                for order, (name, label) in enumerate(groups.items())
            }
            for object_type, groups in PROPERTY_GROUPS.items()
        }

    def add(self, object_type: str, definition: dict[str, Any]) -> None:
        self._definitions.setdefault(object_type, {})[definition["name"]] = definition
        group = definition["groupName"]
        groups = self._groups.setdefault(object_type, {})
        if group not in groups:
            groups[group] = {"name": group, "label": group.replace("_", " ").capitalize(),
                             "displayOrder": len(groups), "archived": False}

    def get(self, object_type: str, name: str) -> dict[str, Any] | None:
        return self._definitions.get(object_type, {}).get(name)

    def all(self, object_type: str) -> list[dict[str, Any]]:
        return list(self._definitions.get(object_type, {}).values())

    def type_of(self, object_type: str, name: str) -> str | None:
        definition = self.get(object_type, name)
        return definition["type"] if definition else None

    def groups(self, object_type: str) -> list[dict[str, Any]]:
        return list(self._groups.get(object_type, {}).values())

    def group(self, object_type: str, name: str) -> dict[str, Any] | None:
        return self._groups.get(object_type, {}).get(name)

    def create(self, object_type: str, body: Any, stamp: str) -> dict[str, Any]:
        """Create a property from a PropertyCreate body; raises HubSpotError as HubSpot does."""
        if not isinstance(body, dict):
            raise validation_error("Invalid input JSON: the body must be a JSON object.")
        missing = [key for key in _REQUIRED_ON_CREATE if not body.get(key)]
        if missing:
            raise validation_error(
                f"Invalid input JSON on line 1: missing required field(s) {', '.join(missing)}")
        name = str(body["name"])
        if self.get(object_type, name) is not None:
            # NOTE: message and category follow HubSpot's documented 409 for a duplicate
            # property name; the exact wording was not verified against a live portal.
            raise HubSpotError(409, "OBJECT_ALREADY_EXISTS",
                               f"Property named '{name}' already exists.")

        if body["type"] not in PROPERTY_TYPES:
            raise validation_error(
                f"Property type {body['type']!r} is invalid: use one of "
                f"{', '.join(PROPERTY_TYPES)}.")
        if body["fieldType"] not in FIELD_TYPES:
            raise validation_error(
                f"Field type {body['fieldType']!r} is invalid: use one of "
                f"{', '.join(FIELD_TYPES)}.")
        if self.group(object_type, body["groupName"]) is None:
            raise validation_error(
                f"Property group {body['groupName']!r} does not exist for {object_type}: "
                "create it first with POST /crm/v3/properties/{objectType}/groups.")

        options = [
            {"label": str(option.get("label", option.get("value"))),
             "value": str(option.get("value")),
             "displayOrder": int(option.get("displayOrder", order)),
             "hidden": bool(option.get("hidden", False)),
             **({"description": option["description"]} if "description" in option else {})}
            for order, option in enumerate(body.get("options") or [])
        ]

        definition = {
            "updatedAt": stamp, "createdAt": stamp, "name": name, "label": body["label"],
            "type": body["type"], "fieldType": body["fieldType"],
            "description": body.get("description", ""), "groupName": body["groupName"],
            "options": options, "displayOrder": body.get("displayOrder", -1),
            "calculated": False, "externalOptions": False,
            "hasUniqueValue": bool(body.get("hasUniqueValue", False)),
            "hidden": bool(body.get("hidden", False)),
            "modificationMetadata": {"archivable": True, "readOnlyDefinition": False,
                                     "readOnlyValue": False},
            "formField": bool(body.get("formField", False)),
            "dataSensitivity": "non_sensitive",
        }
        self.add(object_type, definition)
        return definition

    def create_group(self, object_type: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not body.get("name") or not body.get("label"):
            raise validation_error(
                "Invalid input JSON: a property group needs a name and a label.")
        name = str(body["name"])
        if self.group(object_type, name) is not None:
            raise HubSpotError(409, "OBJECT_ALREADY_EXISTS",
                               f"Property group named '{name}' already exists.")
        group = {"name": name, "label": str(body["label"]),
                 "displayOrder": int(body.get("displayOrder", -1)), "archived": False}
        self._groups.setdefault(object_type, {})[name] = group
        return group

    def invalid_value(self, object_type: str, name: str, value: Any) -> dict[str, Any] | None:
        """Return HubSpot's per-property validation entry for a write, or None when valid."""
        definition = self.get(object_type, name)
        if definition is None:
            return _invalid(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist')
        if definition["modificationMetadata"]["readOnlyValue"]:
            return _invalid(name, "READ_ONLY_VALUE",
                            f'"{name}" is a read only property; its value cannot be set.')
        if value is None or value == "":
            return None
        text = str(value)
        if definition["type"] == "enumeration" and definition["options"]:
            allowed = {option["value"] for option in definition["options"]}
            chosen = text.split(";") if definition["fieldType"] == "checkbox" else [text]
            bad = [choice for choice in chosen if choice not in allowed]
            if bad:
                return _invalid(name, "INVALID_OPTION",
                                f"{bad[0]} was not one of the allowed options: "
                                f"{', '.join(sorted(allowed))}")
        if definition["type"] == "number":
            try:
                float(text)
            except ValueError:
                return _invalid(name, "INVALID_FLOAT", f"{text} is not a valid number")
        return None


def _invalid(name: str, error: str, message: str) -> dict[str, Any]:
    return {"isValid": False, "message": message, "error": error, "name": name,
            "localizedErrorMessage": message}
