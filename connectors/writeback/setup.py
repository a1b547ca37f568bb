"""``sgl writeback setup``: create the HubSpot properties, describe the Salesforce fields.

HubSpot properties are created through the properties API in the ``sgl`` property group,
with labels in Japanese and English (``日本語 (English)``) and the origin and channel ids
as enumeration options. Existing properties are left as they are, and options they lack are
reported. Salesforce custom fields are only described: creating fields in an org is an
admin's deliberate act, so the command prints their definitions and the permissions the
integration user needs.
"""

from __future__ import annotations

import logging
from typing import Any

from connectors.errors import ConnectorError
from connectors.writeback.hubspot import HubSpotWriter
from connectors.writeback.targets import (
    FIELD_SPECS,
    SALESFORCE,
    Target,
    bilingual,
    part_description,
    part_label,
    value_label,
)
from sgl.i18n import _, translate

logger = logging.getLogger(__name__)

GROUP_NAME = "sgl"
ALREADY_EXISTS = 409


def group_definition() -> dict[str, Any]:
    return {"name": GROUP_NAME, "displayOrder": -1,
            "label": bilingual(translate("SGL origin tags", "en"),
                               translate("SGL origin tags", "ja"))}


def property_definition(target: Target) -> dict[str, Any]:
    """Return the HubSpot PropertyCreate body of one target."""
    spec = FIELD_SPECS[target.part]
    definition: dict[str, Any] = {
        "name": target.field,
        "label": bilingual(part_label(target.part, "en"), part_label(target.part, "ja")),
        "description": part_description(target.part, "en"),
        "groupName": GROUP_NAME,
        "type": spec.hubspot_type,
        "fieldType": spec.hubspot_field_type,
        "formField": False,
    }
    if spec.values:
        definition["options"] = [
            {"label": bilingual(value_label(value, "en"), value_label(value, "ja")),
             "value": value, "displayOrder": order, "hidden": False}
            for order, value in enumerate(spec.values)]
    return definition


def set_up_hubspot(writer: HubSpotWriter, targets: list[Target]) -> list[dict[str, str]]:
    """Create the ``sgl`` group and the missing properties; return one row per property.

    Each row has ``object``, ``property``, ``status`` (created or exists) and ``note`` (the
    options an existing enumeration property lacks).
    """
    rows: list[dict[str, str]] = []
    for object_type in sorted({target.object for target in targets}):
        existing = writer.properties(object_type)
        if GROUP_NAME not in writer.groups(object_type):
            writer.create_group(object_type, group_definition())
            logger.info("hubspot property group %s created on %s", GROUP_NAME, object_type)
        for target in (target for target in targets if target.object == object_type):
            definition = property_definition(target)
            current = existing.get(target.field)
            if current is None:
                try:
                    writer.create_property(object_type, definition)
                except ConnectorError as error:
                    if error.status != ALREADY_EXISTS:
                        raise
                else:
                    logger.info("hubspot property %s.%s created", object_type, target.field)
                    rows.append({"object": object_type, "property": target.field,
                                 "status": "created", "note": ""})
                    continue
            expected = {option["value"] for option in definition.get("options", [])}
            present = {option.get("value") for option in (current or {}).get("options") or []}
            lacking = sorted(expected - present) if current is not None else []
            note = _("lacks options {values}: add them in HubSpot (Settings > Properties)"
                     ).format(values=", ".join(lacking)) if lacking else ""
            rows.append({"object": object_type, "property": target.field, "status": "exists",
                         "note": note})
    return rows


def salesforce_fields(targets: list[Target]) -> list[dict[str, str]]:
    """Return the custom fields an admin creates in Salesforce, one row per object and field."""
    rows = []
    for target in targets:
        if target.source != SALESFORCE:
            continue
        spec = FIELD_SPECS[target.part]
        details = ", ".join(spec.values) if spec.values else (
            _("length {length}").format(length=spec.length) if spec.length else "")
        rows.append({
            "object": target.object,
            "api_name": target.field,
            "field_name": target.field.removesuffix("__c"),
            "label": part_label(target.part, "en"),
            "label_ja": part_label(target.part, "ja"),
            "type": spec.salesforce_type,
            "values": details,
            "description": part_description(target.part, "en"),
        })
    return rows


def salesforce_permissions() -> list[str]:
    """Return what the Salesforce integration user needs, one line each."""
    return [
        _("The integration user's profile or permission set needs API Enabled."),
        _("Object permissions: Read and Edit on Lead, Contact and Opportunity."),
        _("Field-level security: Read and Edit on every field listed above, on each object."),
        _("Picklist fields: add the values listed above; an unrestricted picklist also accepts "
          "new values, but reports group by the listed ones."),
        _("Validation rules and flows that block updates by the integration user make those "
          "records fail one by one; `sgl writeback log` lists them."),
    ]
