"""The HubSpot portal a sandbox serves: records, owners, associations and property definitions.

Tests and the demo change records between pulls through the public methods here
(``create``, ``update``, ``archive``, ``merge``, ``associate``). Each change stamps the
record's last-modified property with :meth:`HubSpotStore.now_ms`. That time never goes
backwards and is always later than the newest timestamp in the world.

Which sgl_* properties exist at start: those that at least one record of the world holds a
value for. The others are absent until the write-back setup creates them with
``POST /crm/v3/properties/{objectType}``, as in a portal that never ran the product.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sandbox.hubspot.associations import AssociationIndex
from sandbox.hubspot.catalog import (
    OBJECT_TYPES,
    SGL_PROPERTIES,
    catalogue_properties,
    property_spec,
)
from sandbox.hubspot.columns import format_ms, parse_ms
from sandbox.hubspot.properties import PropertyRegistry, definition_from_spec
from sandbox.hubspot.table import ARCHIVED, LIVE, MERGED, ObjectTable
from sandbox.world import World

logger = logging.getLogger(__name__)

MERGED_IDS_PROPERTY = "hs_merged_object_ids"


class HubSpotStore:
    """All HubSpot data of one sandbox. Methods are thread-safe through one lock."""

    def __init__(self, world: World, clock: Callable[[], int] | None = None) -> None:
        self.lock = threading.RLock()
        # Account details that /account-info/v3/details returns.
        self.portal_id = 1
        self.time_zone = "Asia/Tokyo"
        self.currency = "JPY"
        self.utc_offset = "+09:00"
        self.utc_offset_ms = 9 * 3_600_000
        self.calls_today = 0  # authenticated calls, for the daily API usage endpoint
        self._clock = clock or (lambda: time.time_ns() // 1_000_000)
        self.properties = PropertyRegistry()
        self.tables: dict[str, ObjectTable] = {}
        self.owners = sorted((_owner_record(owner) for owner in world.hubspot_owners),
                             key=lambda owner: int(owner["id"]))
        self.associations = AssociationIndex(world.hubspot_associations)
        stamp = format_ms(int(world.as_of.timestamp() * 1000))
        self._last_ms = 0
        for name in OBJECT_TYPES:
            records = world.hubspot.get(name, [])
            self._load(name, records, stamp)
        self._hide_merged_away()
        logger.info("HubSpot sandbox store loaded: %s", {
            name: len(table) for name, table in self.tables.items()})

    def _load(self, object_type: str, records: list[dict], stamp: str) -> None:
        observed = _observed_values(object_type, records)
        property_types: dict[str, str] = {}
        for name in catalogue_properties(object_type):
            if name in SGL_PROPERTIES and not observed.get(name):
                continue
            spec = property_spec(object_type, name)
            if spec.type in ("enumeration", "bool") and spec.field_type != "checkbox":
                values = observed.get(name, set())
            else:
                values = set()
            self.properties.add(object_type, definition_from_spec(name, spec, values, stamp))
            if name != "hs_object_id":
                property_types[name] = spec.type
        table = ObjectTable(OBJECT_TYPES[object_type], property_types)
        table.load(records)
        self.tables[object_type] = table
        modified = OBJECT_TYPES[object_type].modified_property
        newest = table.rows_by_modified(None, None, descending=True)[:1]
        if newest:
            self._last_ms = max(self._last_ms, table.ms(newest[0], modified) or 0)

    def _hide_merged_away(self) -> None:
        """Mark ids listed in a survivor's hs_merged_object_ids as merged away, if stored."""
        for table in self.tables.values():
            if not table.has_column(MERGED_IDS_PROPERTY):
                continue
            for row in range(len(table)):
                merged = table.value(row, MERGED_IDS_PROPERTY)
                for merged_id in (merged or "").split(";"):
                    merged_row = table.row_of(merged_id.strip())
                    if merged_row is not None and merged_row != row:
                        table.set_state(merged_row, MERGED, 0)

    # -- clock -----------------------------------------------------------------------------

    def now_ms(self) -> int:
        """Return the time to stamp a change with: the clock, but always after the last one."""
        with self.lock:
            self._last_ms = max(self._clock(), self._last_ms + 1)
            return self._last_ms

    # -- lookups ---------------------------------------------------------------------------

    def table(self, object_type: str) -> ObjectTable:
        table = self.tables.get(object_type)
        if table is None:
            raise KeyError(
                f"HubSpot object type {object_type!r} is not served by the sandbox: use one of "
                f"{', '.join(self.tables)}.")
        return table

    def live_row(self, object_type: str, record_id: str) -> int:
        """Return the row of a live record; raises KeyError naming the id otherwise."""
        table = self.table(object_type)
        row = table.row_of(record_id)
        if row is None or table.state(row) != LIVE:
            raise KeyError(f"HubSpot {object_type} {record_id} does not exist or is not live.")
        return row

    # -- changes for tests and the demo ----------------------------------------------------

    def create(self, object_type: str, properties: dict[str, str | None]) -> str:
        """Create a record and return its id; created and modified times are now."""
        with self.lock:
            table = self.table(object_type)
            self._check_known(object_type, properties)
            now = format_ms(self.now_ms())
            values = {**properties}
            values.setdefault(table.object_type.created_property, now)
            values[table.object_type.modified_property] = now
            row = table.create(values)
            return table.id_at(row)

    def update(self, object_type: str, record_id: str, properties: dict[str, str | None],
               source: str = "CRM_UI") -> None:
        """Change property values of a live record as a person in HubSpot would."""
        with self.lock:
            self._check_known(object_type, properties)
            row = self.live_row(object_type, record_id)
            self.table(object_type).set_values(row, properties, self.now_ms(), source)

    def archive(self, object_type: str, record_id: str) -> None:
        """Archive (soft-delete) a live record: lists then show it only with archived=true."""
        with self.lock:
            row = self.live_row(object_type, record_id)
            self.table(object_type).set_state(row, ARCHIVED, self.now_ms())

    def merge(self, object_type: str, primary_id: str, merged_id: str) -> None:
        """Merge ``merged_id`` into ``primary_id`` as HubSpot's merge does.

        A read of the merged-away id then returns 404. Its associations move to the primary
        record, and the primary lists the id in hs_merged_object_ids (";"-separated).
        """
        with self.lock:
            table = self.table(object_type)
            primary_row = self.live_row(object_type, primary_id)
            merged_row = self.live_row(object_type, merged_id)
            earlier = table.value(merged_row, MERGED_IDS_PROPERTY)
            ids = [value for value in (table.value(primary_row, MERGED_IDS_PROPERTY) or ""
                                       ).split(";") if value]
            ids += [value for value in (earlier or "").split(";") if value] + [merged_id]
            if not table.has_column(MERGED_IDS_PROPERTY):
                table.add_column(MERGED_IDS_PROPERTY, "enumeration")
            table.set_state(merged_row, MERGED, self.now_ms())
            table.set_values(primary_row, {MERGED_IDS_PROPERTY: ";".join(ids)}, self.now_ms(),
                             "CRM_UI")
            self.associations.move(object_type, merged_id, primary_id)

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str,
                  primary: bool = False) -> None:
        """Associate two live records in both directions."""
        with self.lock:
            self.live_row(from_type, from_id)
            self.live_row(to_type, to_id)
            self.associations.add(from_type, from_id, to_type, to_id, primary)

    def _check_known(self, object_type: str, properties: dict[str, Any]) -> None:
        unknown = [name for name in properties
                   if self.properties.get(object_type, name) is None]
        if unknown:
            raise KeyError(
                f"HubSpot {object_type} has no properties {unknown}: create them first "
                "(POST /crm/v3/properties/{objectType}) or fix the names.")
        table = self.table(object_type)
        for name in properties:
            if not table.has_column(name) and name != "hs_object_id":
                table.add_column(name, self.properties.type_of(object_type, name) or "string")

    def write_value(self, object_type: str, name: str, value: Any) -> str | None:
        """Return the string HubSpot stores for a written value (datetimes normalized)."""
        if value is None or value == "":
            return None
        text = str(value)
        if self.properties.type_of(object_type, name) == "datetime":
            ms = parse_ms(text)
            return format_ms(ms) if ms is not None else text
        if isinstance(value, bool):
            return "true" if value else "false"
        return text


def _observed_values(object_type: str, records: list[dict]) -> dict[str, set[str]]:
    """Return the distinct non-null values per property of enumerations and sgl_* fields."""
    collected = set()
    for name in catalogue_properties(object_type):
        spec = property_spec(object_type, name)
        if spec.type in ("enumeration", "bool") or name in SGL_PROPERTIES:
            collected.add(name)
    observed: dict[str, set[str]] = {name: set() for name in collected}
    for record in records:
        properties = record.get("properties", record)
        for name in collected:
            value = properties.get(name)
            if value is not None and value != "":
                observed[name].add(str(value))
    return observed


def _owner_record(owner: dict) -> dict[str, Any]:
    record = {"id": str(owner["id"]), "email": owner.get("email"), "type": "PERSON",
              "firstName": owner.get("firstName"), "lastName": owner.get("lastName"),
              "userId": owner.get("userId"),
              "userIdIncludingInactive": owner.get("userIdIncludingInactive",
                                                   owner.get("userId")),
              "createdAt": owner.get("createdAt"), "updatedAt": owner.get("updatedAt"),
              "archived": bool(owner.get("archived", False))}
    record.update({key: value for key, value in owner.items() if key not in record})
    record.setdefault("teams", [])
    return record
