"""Serialize stored rows as the objects API returns them (SimplePublicObject and friends)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sandbox.faults import FaultPlan
from sandbox.hubspot.catalog import ASSOCIATION_TYPE_IDS, OBJECT_TYPES
from sandbox.hubspot.columns import format_ms
from sandbox.hubspot.store import HubSpotStore
from sandbox.hubspot.table import ARCHIVED, ObjectTable


def property_names(store: HubSpotStore, object_type: str,
                   requested: Iterable[str] | None) -> list[str]:
    """Return the properties a response carries, sorted as HubSpot sorts them.

    Without a request, a type's default properties; with one, the requested properties that
    exist plus the id and timestamp properties HubSpot always adds. Unknown names are
    dropped without an error, as HubSpot does.
    """
    spec = OBJECT_TYPES[object_type]
    if requested is None:
        return sorted(spec.default_properties)
    names = {name for name in requested
             if name and store.properties.get(object_type, name) is not None}
    names.update((spec.created_property, spec.modified_property, "hs_object_id"))
    return sorted(names)


def serialize(store: HubSpotStore, object_type: str, row: int, names: list[str], *,
              history: Iterable[str] = (), associations: Iterable[str] = (),
              faults: FaultPlan | None = None) -> dict[str, Any]:
    """Return one record as a SimplePublicObject(WithAssociations) dict."""
    table = store.table(object_type)
    spec = table.object_type
    record_id = table.id_at(row)
    properties = {name: table.value(row, name) for name in names}
    if faults is not None and faults.has_record_faults("hubspot", object_type):
        properties = faults.shape_record("hubspot", object_type, record_id, properties)
    created = table.value(row, spec.created_property)
    updated = table.value(row, spec.modified_property) or created
    record: dict[str, Any] = {"id": record_id, "properties": properties}
    history_names = [name for name in history
                      if store.properties.get(object_type, name) is not None]
    if history_names:
        record["propertiesWithHistory"] = {
            name: _history_entries(table, row, name, created) for name in history_names}
    record["createdAt"] = created
    record["updatedAt"] = updated
    record["archived"] = table.state(row) == ARCHIVED
    archived_at = table.archived_at_ms(row)
    if record["archived"] and archived_at is not None:
        record["archivedAt"] = format_ms(archived_at)
    linked = {
        to_type: {"results": associated_ids_v3(store, object_type, record_id, to_type)}
        for to_type in associations
    }
    linked = {to_type: value for to_type, value in linked.items() if value["results"]}
    if linked:
        record["associations"] = linked
    return record


def _history_entries(table: ObjectTable, row: int, name: str,
                     created: str | None) -> list[dict[str, Any]]:
    """Return a property's values newest first, as propertiesWithHistory lists them."""
    entries = table.history(row, name)
    if not entries:
        value = table.value(row, name)
        if value is None:
            return []
        return [{"value": value, "timestamp": created, "sourceType": "CRM_UI"}]
    return [{"value": value if value is not None else "", "timestamp": format_ms(ms),
             "sourceType": source}
            for value, ms, source in reversed(entries)]


def association_type_name(from_type: str, to_type: str, *, primary: bool) -> str:
    """Return the v3 association type name, e.g. ``contact_to_company_unlabeled``."""
    base = f"{OBJECT_TYPES[from_type].singular}_to_{OBJECT_TYPES[to_type].singular}"
    has_primary = ASSOCIATION_TYPE_IDS.get((from_type, to_type), (0, None))[1] is not None
    return base if primary or not has_primary else f"{base}_unlabeled"


def associated_ids_v3(store: HubSpotStore, from_type: str, from_id: str,
                      to_type: str) -> list[dict[str, str]]:
    """Return v3 association entries: one per association type, primary ones included."""
    entries = []
    for to_id, primary in store.associations.targets(from_type, from_id, to_type):
        if primary:
            entries.append({"id": to_id, "type": association_type_name(from_type, to_type,
                                                                       primary=True)})
        entries.append({"id": to_id, "type": association_type_name(from_type, to_type,
                                                                   primary=False)})
    return entries


def association_types_v4(from_type: str, to_type: str, primary: bool) -> list[dict[str, Any]]:
    """Return the v4 ``associationTypes`` of one association, unlabeled type first."""
    unlabeled, primary_id = ASSOCIATION_TYPE_IDS.get((from_type, to_type), (0, None))
    types: list[dict[str, Any]] = [
        {"category": "HUBSPOT_DEFINED", "typeId": unlabeled, "label": None}]
    if primary and primary_id is not None:
        types.append({"category": "HUBSPOT_DEFINED", "typeId": primary_id, "label": "Primary"})
    return types
