"""One HubSpot object type's records, stored by column and ordered by id.

Rows are kept in ascending id order, so list paging is a binary search on the id array. A
second index orders rows by (last-modified time, id) for the incremental searches that
connectors run. A row is never removed: archiving and merging change its state.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterable, Iterator

from sandbox.hubspot.catalog import ObjectType
from sandbox.hubspot.columns import Column, DatetimeColumn, column_for, format_ms, parse_ms

LIVE, ARCHIVED, MERGED = 0, 1, 2  # row states
_ROW_BITS = 32  # a modified-index key is (modified ms << 32) | row


class ObjectTable:
    """Records of one object type. Property values are HubSpot strings or None."""

    def __init__(self, object_type: ObjectType, property_types: dict[str, str]) -> None:
        self.object_type = object_type
        self._ids = array("q")
        self._states = bytearray()
        self._columns: dict[str, Column] = {}
        self._archived_at: dict[int, int] = {}
        # (row, property) -> earlier values as (value, epoch ms, source type), oldest first.
        self._history: dict[tuple[int, str], list[tuple[str | None, int, str]]] = {}
        self._modified_index: list[int] = []
        # Results of recent searches, dropped on every change, so that paging through one
        # search does not filter a million rows per page.
        self._searches: dict[object, object] = {}
        for name, property_type in property_types.items():
            self.add_column(name, property_type)

    def __len__(self) -> int:
        return len(self._ids)

    # -- loading ---------------------------------------------------------------------------

    def load(self, records: Iterable[dict]) -> None:
        """Append records in the shape the objects API returns, or flat property dicts.

        Records may come in any order; they are sorted by id. Raises ``ValueError`` naming the
        record when an id is missing or not numeric.
        """
        parsed = [_split_record(record, self.object_type) for record in records]
        parsed.sort(key=lambda item: item[0])
        ids = [item[0] for item in parsed]
        previous = self._ids[-1] if self._ids else 0
        for record_id in ids:
            if record_id <= previous:
                raise ValueError(
                    f"HubSpot {self.object_type.name} id {record_id} is not above the id "
                    f"{previous} before it: ids must be unique and new records get the next id.")
            previous = record_id
        self._searches.clear()
        start = len(self._ids)
        self._ids.extend(ids)
        self._states.extend(bytes(len(ids)))
        # Loading column by column is several times faster than row by row for big worlds.
        for name, column in self._columns.items():
            column.extend([item[1].get(name) for item in parsed])
        for offset, (_, _, archived_at, history) in enumerate(parsed):
            row = start + offset
            if archived_at is not None:
                self._states[row] = ARCHIVED
                self._archived_at[row] = archived_at
            for name, entries in history.items():
                self._history[(row, name)] = entries
        self._rebuild_modified_index()

    def _append_row(self, record_id: int, properties: dict[str, str | None]) -> int:
        if self._ids and record_id <= self._ids[-1]:
            raise ValueError(
                f"HubSpot {self.object_type.name} id {record_id} is not above the last id "
                f"{self._ids[-1]}: ids must be unique and new records get the next id."
            )
        self._searches.clear()
        row = len(self._ids)
        self._ids.append(record_id)
        self._states.append(LIVE)
        for name, column in self._columns.items():
            column.append(properties.get(name))
        return row

    def add_column(self, name: str, property_type: str) -> None:
        """Add an empty column for a property created after loading (a no-op if it exists)."""
        if name in self._columns:
            return
        column = column_for(property_type)
        for _ in range(len(self._ids)):
            column.append(None)
        self._columns[name] = column

    def has_column(self, name: str) -> bool:
        return name in self._columns

    # -- lookups ---------------------------------------------------------------------------

    def row_of(self, record_id: str) -> int | None:
        """Return the row of an id in any state, or None when the id was never stored."""
        if not record_id.isdigit():
            return None
        number = int(record_id)
        row = bisect.bisect_left(self._ids, number)
        if row < len(self._ids) and self._ids[row] == number:
            return row
        return None

    def id_at(self, row: int) -> str:
        return str(self._ids[row])

    def state(self, row: int) -> int:
        return self._states[row]

    def archived_at_ms(self, row: int) -> int | None:
        return self._archived_at.get(row)

    def value(self, row: int, name: str) -> str | None:
        if name == "hs_object_id":
            return self.id_at(row)
        column = self._columns.get(name)
        return column.get(row) if column is not None else None

    def ms(self, row: int, name: str) -> int | None:
        """Return a datetime property as epoch milliseconds, or None when missing."""
        column = self._columns.get(name)
        if isinstance(column, DatetimeColumn):
            return column.ms(row)
        text = self.value(row, name)
        return parse_ms(text) if text is not None else None

    def find_rows(self, name: str, value: str) -> list[int]:
        """Return live rows whose property equals ``value``, in id order (a full scan)."""
        return [row for row in range(len(self._ids))
                if self._states[row] == LIVE and self.value(row, name) == value]

    def cached_search(self, key: object) -> object | None:
        return self._searches.get(key)

    def remember_search(self, key: object, result: object) -> None:
        if len(self._searches) >= 8:
            self._searches.pop(next(iter(self._searches)))
        self._searches[key] = result

    def history(self, row: int, name: str) -> list[tuple[str | None, int, str]]:
        return self._history.get((row, name), [])

    # -- paging ----------------------------------------------------------------------------

    def first_row_from(self, record_id: int) -> int:
        """Return the first row whose id is at least ``record_id``."""
        return bisect.bisect_left(self._ids, record_id)

    def rows_in_state(self, start: int, state: int) -> Iterator[int]:
        """Yield rows from ``start`` on, in id order, that are in ``state``."""
        states = self._states
        for row in range(start, len(states)):
            if states[row] == state:
                yield row

    def rows_by_modified(self, low_ms: int | None, high_ms: int | None,
                         descending: bool = False) -> list[int]:
        """Return rows (any state) modified in [low_ms, high_ms], by (modified time, id)."""
        index = self._modified_index
        start = 0 if low_ms is None else bisect.bisect_left(index, low_ms << _ROW_BITS)
        stop = (len(index) if high_ms is None
                else bisect.bisect_left(index, (high_ms + 1) << _ROW_BITS))
        mask = (1 << _ROW_BITS) - 1
        rows = [key & mask for key in index[start:stop]]
        if descending:
            rows.reverse()
        return rows

    # -- changes ---------------------------------------------------------------------------

    def create(self, properties: dict[str, str | None]) -> int:
        """Append a record with the next id and return its row."""
        next_id = self._ids[-1] + 1 if self._ids else 1
        values = dict(properties)
        values.pop("hs_object_id", None)
        row = self._append_row(next_id, values)
        bisect.insort(self._modified_index, self._modified_key(row))
        return row

    def set_values(self, row: int, values: dict[str, str | None], now_ms: int,
                   source: str) -> None:
        """Write property values, keep the replaced ones as history and bump last-modified."""
        self._searches.clear()
        old_key = self._modified_key(row)
        for name, new_value in values.items():
            column = self._columns[name]
            old_value = column.get(row)
            if old_value == new_value:
                continue
            entries = self._history.setdefault((row, name), [])
            if not entries:
                entries.append((old_value, self.ms(row, self.object_type.modified_property) or 0,
                                "MIGRATION"))
            entries.append((new_value, now_ms, source))
            column.set(row, new_value)
        self._columns[self.object_type.modified_property].set(row, format_ms(now_ms))
        self._move_in_index(old_key, row)

    def set_state(self, row: int, state: int, now_ms: int) -> None:
        """Archive, merge away or restore a row; archiving stamps archivedAt."""
        self._searches.clear()
        self._states[row] = state
        if state == ARCHIVED:
            self._archived_at[row] = now_ms
        else:
            self._archived_at.pop(row, None)

    def _modified_key(self, row: int) -> int:
        modified = self.ms(row, self.object_type.modified_property) or 0
        return (modified << _ROW_BITS) | row

    def _move_in_index(self, old_key: int, row: int) -> None:
        index = self._modified_index
        position = bisect.bisect_left(index, old_key)
        if position < len(index) and index[position] == old_key:
            del index[position]
        bisect.insort(index, self._modified_key(row))

    def _rebuild_modified_index(self) -> None:
        self._modified_index = sorted(self._modified_key(row) for row in range(len(self._ids)))


def _split_record(record: dict, object_type: ObjectType
                  ) -> tuple[int, dict[str, str | None], int | None, dict]:
    """Return (id, properties, archivedAt ms, history) of a world record."""
    if "properties" in record:
        properties = dict(record["properties"])
        record_id = record.get("id") or properties.get("hs_object_id")
    else:
        properties = dict(record)
        record_id = properties.get("id") or properties.get("hs_object_id")
        properties.pop("id", None)
    if record_id is None or not str(record_id).isdigit():
        raise ValueError(
            f"A HubSpot {object_type.name} record has id {record_id!r}: give each record a "
            "numeric string id (\"id\" or properties.hs_object_id)."
        )
    # The top-level timestamps fill the properties they mirror when those are absent.
    for key, name in (("createdAt", object_type.created_property),
                      ("updatedAt", object_type.modified_property)):
        if properties.get(name) is None and record.get(key) is not None:
            properties[name] = record[key]
    archived_at = None
    if record.get("archived"):
        stamp = record.get("archivedAt") or properties.get(object_type.modified_property)
        archived_at = parse_ms(stamp) if stamp else 0
    history = {
        name: [(entry.get("value"), parse_ms(entry["timestamp"]) or 0,
                entry.get("sourceType", "API"))
               for entry in reversed(entries)]
        for name, entries in (record.get("propertiesWithHistory") or {}).items()
    }
    return int(record_id), properties, archived_at, history
