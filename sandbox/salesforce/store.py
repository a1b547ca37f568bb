"""The records of the sandbox org, in SQLite: one table per SObject, one column per field.

SQLite keeps a million leads with their related records in a fraction of the memory that
Python dicts need, runs SOQL translated to SQL with indexes, and can live in a file when
the org is large. One connection is shared by the server's threads under a lock.

Tests change records through :meth:`Store.insert`, :meth:`Store.update` and
:meth:`Store.delete`; every change bumps ``LastModifiedDate`` and ``SystemModstamp`` as
Salesforce does.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sandbox.salesforce.schema import COMPOUND_FIELDS, ObjectInfo, Schema
from sandbox.salesforce.values import format_datetime, from_store, to_store

logger = logging.getLogger(__name__)

_SQL_TYPES = {"boolean": "INTEGER", "int": "INTEGER", "double": "REAL", "currency": "REAL",
              "percent": "REAL"}
# Fields indexed for incremental pulls and lookups; Id is always indexed.
_INDEXED = ("SystemModstamp", "LastModifiedDate", "CreatedDate")
_ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_LOAD_CHUNK = 20_000


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Store:
    """SQLite tables for every object of ``schema``; ``path`` None keeps them in memory."""

    def __init__(self, schema: Schema, path: Path | None = None,
                 clock: Callable[[], datetime] | None = None):
        self.schema = schema
        self.path = path
        self._clock = clock or (lambda: datetime.now(UTC))
        self._last_stamp: datetime | None = None
        self.lock = threading.RLock()
        self.connection = sqlite3.connect(
            str(path) if path else ":memory:", check_same_thread=False, isolation_level=None,
        )
        self.connection.execute("PRAGMA journal_mode=OFF" if path else "PRAGMA journal_mode=MEMORY")
        self.connection.execute("PRAGMA synchronous=OFF")
        self.connection.execute("PRAGMA cache_size=-262144")  # 256 MiB page cache
        self.connection.execute("PRAGMA temp_store=MEMORY")
        for info in schema.objects.values():
            self._create_table(info)

    def _create_table(self, info: ObjectInfo) -> None:
        columns = ", ".join(f"{quote(name)} {_SQL_TYPES.get(field.type, 'TEXT')}"
                            for name, field in info.fields.items())
        self.connection.execute(f"CREATE TABLE {quote(info.name)} ({columns})")
        self.connection.execute(
            f"CREATE UNIQUE INDEX {quote(info.name + '_Id')} ON {quote(info.name)} (\"Id\")")

    def _create_indexes(self) -> None:
        for info in self.schema.objects.values():
            for name in _INDEXED:
                if name in info.fields:
                    self.connection.execute(
                        f"CREATE INDEX IF NOT EXISTS {quote(info.name + '_' + name)} "
                        f"ON {quote(info.name)} ({quote(name)})")

    def close(self) -> None:
        with self.lock:
            self.connection.close()

    # Loading -----------------------------------------------------------------------------

    def load(self, records_by_object: dict[str, Iterable[dict]]) -> dict[str, int]:
        """Insert the records of a world's ``salesforce`` mapping; returns counts per object."""
        counts = self.append(records_by_object)
        self.finish_load()
        return counts

    def append(self, records_by_object: dict[str, Iterable[dict]]) -> dict[str, int]:
        """Insert one part of a world without indexing it; call :meth:`finish_load` after."""
        unknown = sorted(set(records_by_object) - set(self.schema.objects))
        if unknown:
            raise ValueError(
                f"Unsupported Salesforce objects {unknown} in the world: use the objects "
                f"of sandbox.world.SALESFORCE_FIELDS."
            )
        counts = {}
        with self.lock:
            for name, records in records_by_object.items():
                counts[name] = self._load_object(self.schema.objects[name], records)
        return counts

    def finish_load(self) -> None:
        """Index the loaded records for incremental pulls and refresh the planner statistics."""
        with self.lock:
            self._create_indexes()
            self.connection.execute("ANALYZE")
        logger.info("Salesforce store ready: %s", {name: self.count(name, include_deleted=True)
                                                   for name in self.schema.objects})

    def _load_object(self, info: ObjectInfo, records: Iterable[dict]) -> int:
        fields = list(info.fields.values())
        sql = (f"INSERT INTO {quote(info.name)} VALUES "
               f"({', '.join('?' for _ in fields)})")
        count = 0
        batch: list[tuple] = []
        self.connection.execute("BEGIN")
        for record in records:
            batch.append(tuple(to_store(field, record.get(field.name)) for field in fields))
            if len(batch) >= _LOAD_CHUNK:
                self.connection.executemany(sql, batch)
                count += len(batch)
                batch.clear()
        self.connection.executemany(sql, batch)
        count += len(batch)
        self.connection.execute("COMMIT")
        return count

    # Reading -----------------------------------------------------------------------------

    def query(self, sql: str, parameters: Sequence[Any] = ()) -> list[tuple]:
        with self.lock:
            return self.connection.execute(sql, parameters).fetchall()

    def get(self, object_name: str, record_id: str, include_deleted: bool = False
            ) -> dict[str, Any] | None:
        """Return one record as the REST API serializes it, or None when it does not exist."""
        info = self.schema.objects[object_name]
        names = list(info.fields)
        rows = self.query(
            f"SELECT {', '.join(quote(name) for name in names)} FROM {quote(object_name)} "
            f"WHERE \"Id\" = ?", (record_id,))
        if not rows:
            return None
        record = {name: from_store(info.fields[name], value)
                  for name, value in zip(names, rows[0], strict=True)}
        if record.get("IsDeleted") and not include_deleted:
            return None
        return record

    def count(self, object_name: str, include_deleted: bool = False) -> int:
        where = "" if include_deleted or "IsDeleted" not in self.schema.objects[
            object_name].fields else " WHERE NOT \"IsDeleted\""
        return self.query(f"SELECT count(*) FROM {quote(object_name)}{where}")[0][0]

    # Writing -----------------------------------------------------------------------------

    def next_stamp(self) -> str:
        """Return a modification timestamp later than every one issued before."""
        with self.lock:
            now = self._clock().astimezone(UTC)
            now = now.replace(microsecond=now.microsecond // 1000 * 1000)
            if self._last_stamp is not None and now <= self._last_stamp:
                now = self._last_stamp + timedelta(milliseconds=1)
            self._last_stamp = now
            return format_datetime(now)

    def new_id(self, object_name: str) -> str:
        prefix = self.schema.objects[object_name].key_prefix
        body = "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))
        return prefix + body + "AAA"

    def insert(self, object_name: str, values: dict[str, Any]) -> str:
        """Create a record; system fields are filled as Salesforce fills them."""
        info = self.schema.objects[object_name]
        stamp = self.next_stamp()
        record = dict(values)
        record.setdefault("Id", self.new_id(object_name))
        for name in ("CreatedDate", "LastModifiedDate", "SystemModstamp"):
            if name in info.fields:
                record.setdefault(name, stamp)
        for name, field in info.fields.items():
            if field.type == "boolean":
                record.setdefault(name, False)
        provided = set(COMPOUND_FIELDS.get(object_name, {})) & set(values)
        self._fill_compounds(info, record, set(values))
        record.update({name: values[name] for name in provided})
        names = [name for name in info.fields if name in record]
        with self.lock:
            self.connection.execute(
                f"INSERT INTO {quote(object_name)} ({', '.join(quote(n) for n in names)}) "
                f"VALUES ({', '.join('?' for _ in names)})",
                [to_store(info.fields[name], record[name]) for name in names])
        return record["Id"]

    def update(self, object_name: str, record_id: str, values: dict[str, Any]) -> None:
        """Change fields of a record and bump its modification stamps.

        Raises KeyError when the record does not exist.
        """
        info = self.schema.objects[object_name]
        with self.lock:
            current = self.get(object_name, record_id, include_deleted=True)
            if current is None:
                raise KeyError(f"{object_name} {record_id} does not exist.")
            changes = dict(values)
            merged = {**current, **changes}
            for compound in self._fill_compounds(info, merged, set(values)):
                changes[compound] = merged[compound]
            stamp = self.next_stamp()
            for name in ("LastModifiedDate", "SystemModstamp"):
                if name in info.fields:
                    changes[name] = stamp
            names = list(changes)
            self.connection.execute(
                f"UPDATE {quote(object_name)} SET "
                f"{', '.join(quote(name) + ' = ?' for name in names)} WHERE \"Id\" = ?",
                [to_store(info.fields[name], changes[name]) for name in names] + [record_id])

    def delete(self, object_name: str, record_id: str) -> None:
        """Move a record to the recycle bin: ``IsDeleted`` true, visible to queryAll only."""
        self.update(object_name, record_id, {"IsDeleted": True})

    def undelete(self, object_name: str, record_id: str) -> None:
        self.update(object_name, record_id, {"IsDeleted": False})

    @staticmethod
    def _fill_compounds(info: ObjectInfo, record: dict[str, Any], written: set[str]) -> list[str]:
        """Recompute the compound fields whose components are in ``written``.

        Returns the names of the compound fields it changed.
        """
        changed = []
        for compound, parts in COMPOUND_FIELDS.get(info.name, {}).items():
            if not written.intersection(parts) or compound not in info.fields:
                continue
            if compound == "Name":
                value = " ".join(str(record[part]) for part in parts if record.get(part))
            else:
                previous = record.get(compound) or {}
                value = {**previous, **{key: record.get(part) for part, key in parts.items()}}
            if record.get(compound) != value:
                record[compound] = value
                changed.append(compound)
        return changed
