"""The warehouse: one DuckDB file behind a narrow interface.

Everything above this module reads and writes Polars frames through :class:`Warehouse`
and never handles SQL or DuckDB, so the store can move to PostgreSQL behind the same methods.

Concurrency: DuckDB allows one process to open a file for writing and then no other
process at all. A lock file beside the database turns that into clear messages. A writer
takes an exclusive lock (waiting up to ``lock_timeout`` for readers to finish) and writes
who holds it into the lock file. A reader takes a shared lock without waiting, and when a
writer holds the file it raises :class:`WarehouseBusyError` naming the sync in progress.

Consistency: :meth:`Warehouse.upsert` writes a batch of rows and the sync watermark that
covers them in one transaction, so a crash never moves a watermark past unsaved rows.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from sgl.errors import SchemaVersionError, WarehouseBusyError, WarehouseError
from sgl.frames import contiguous
from sgl.i18n import _
from sgl.migrations import LATEST_VERSION, MIGRATIONS, RECORD_TABLES, Migration

logger = logging.getLogger(__name__)

KEY_COLUMNS = ("source", "source_id")
LOCK_POLL_SECONDS = 0.2
# Tables of derived decisions, rewritten by attribution rather than upserted from a CRM.
DECISION_TABLES = ("attribution", "persons")


@dataclass(frozen=True)
class SyncState:
    """Progress of the pull of one source and object, saved with the rows it covers."""

    source: str
    object: str
    watermark_at: datetime | None
    watermark_id: str | None
    run_id: str
    status: str = "ok"  # ok, failed or stopped
    counts: Mapping[str, int] = field(default_factory=dict)
    error: str | None = None


class WarehouseLock:
    """An advisory lock file beside the database (``<database>.lock``).

    ``flock`` locks belong to one open file description, so two writers in one process
    exclude each other too, and the kernel frees the lock when a process dies.
    """

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".lock")
        self._handle: Any = None
        self._exclusive = False

    def acquire_exclusive(self, holder: str, timeout: float) -> None:
        self._open()
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    description = self.describe_holder()
                    self.release()
                    raise WarehouseBusyError(
                        _("The warehouse {path} is in use: {holder}. Wait until it finishes "
                          "and try again.").format(path=self.path.with_suffix(""),
                                                   holder=description)
                    ) from None
                time.sleep(LOCK_POLL_SECONDS)

        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
            "holder": holder,
        }
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.write(json.dumps(info))
        self._handle.flush()
        self._exclusive = True

    def acquire_shared(self) -> None:
        self._open()
        try:
            fcntl.flock(self._handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            description = self.describe_holder()
            self.release()
            raise WarehouseBusyError(
                _("A sync is in progress ({holder}), so the warehouse cannot be read now. "
                  "Try again when it has finished.").format(holder=description)
            ) from None

    def describe_holder(self) -> str:
        """Return who holds the lock, as written by the exclusive holder."""
        try:
            info = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            info = {}
        if not info:
            return _("another process is reading it")
        return _("{holder}, process {pid} on {host} since {since}").format(
            holder=info.get("holder", "?"), pid=info.get("pid", "?"),
            host=info.get("host", "?"), since=info.get("since", "?"),
        )

    def release(self) -> None:
        if self._handle is not None:
            try:
                if self._exclusive:
                    # Clear the holder's note while still holding the lock, so it never goes stale.
                    self._handle.truncate(0)
                    self._handle.flush()
                    self._exclusive = False
                fcntl.flock(self._handle, fcntl.LOCK_UN)
            finally:
                self._handle.close()
                self._handle = None

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Opened for appending so that opening never truncates another holder's note.
        self._handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115


class Warehouse:
    """A connection to the warehouse file, for reading or for writing."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, path: Path, lock: WarehouseLock,
                 read_only: bool) -> None:
        self._connection = connection
        self.path = path
        self._lock = lock
        self.read_only = read_only

    # -- opening -----------------------------------------------------------------------

    @classmethod
    @contextmanager
    def open(cls, path: Path, *, write: bool = False, holder: str = "sgl",
             lock_timeout: float = 30.0) -> Iterator[Warehouse]:
        """Open the warehouse: writers create and migrate it, readers fail fast during a sync."""
        path = Path(path)
        if write:
            warehouse = cls._open_writer(path, holder, lock_timeout)
        else:
            warehouse = cls._open_reader(path, holder, lock_timeout)
        try:
            yield warehouse
        finally:
            warehouse.close()

    @classmethod
    def _open_writer(cls, path: Path, holder: str, lock_timeout: float) -> Warehouse:
        lock = WarehouseLock(path)
        lock.acquire_exclusive(holder, lock_timeout)
        try:
            connection = _connect(path, read_only=False, lock=lock)
            warehouse = cls(connection, path, lock, read_only=False)
            warehouse.migrate()
        except BaseException:
            lock.release()
            raise
        logger.info("warehouse %s opened for writing by %s", path, holder)
        return warehouse

    @classmethod
    def _open_reader(cls, path: Path, holder: str, lock_timeout: float) -> Warehouse:
        if not path.exists():
            raise WarehouseError(
                _("No warehouse at {path} yet. Run `sgl sync` or `sgl import` first, or check "
                  "[warehouse] path.").format(path=path)
            )
        if cls._needs_migration(path):
            # Readers cannot migrate, so an older file is upgraded once before reading.
            with cls.open(path, write=True, holder=holder, lock_timeout=lock_timeout):
                pass

        lock = WarehouseLock(path)
        lock.acquire_shared()
        try:
            connection = _connect(path, read_only=True, lock=lock)
            warehouse = cls(connection, path, lock, read_only=True)
            warehouse._check_version(warehouse.schema_version())
        except BaseException:
            lock.release()
            raise
        return warehouse

    @staticmethod
    def _needs_migration(path: Path) -> bool:
        lock = WarehouseLock(path)
        lock.acquire_shared()
        try:
            connection = _connect(path, read_only=True, lock=lock)
            try:
                version = _read_schema_version(connection)
            finally:
                connection.close()
        finally:
            lock.release()
        return version < LATEST_VERSION

    def close(self) -> None:
        try:
            self._connection.close()
        finally:
            self._lock.release()

    # -- schema ------------------------------------------------------------------------

    def schema_version(self) -> int:
        return _read_schema_version(self._connection)

    def migrate(self, target: int = LATEST_VERSION) -> int:
        """Apply the migrations up to ``target``; return the resulting version."""
        _require_writable(self)
        self._connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER PRIMARY KEY, description VARCHAR NOT NULL,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        current = self.schema_version()
        self._check_version(current)

        for migration in MIGRATIONS:
            if current < migration.version <= target:
                self._apply(migration)
                current = migration.version
        return current

    def _apply(self, migration: Migration) -> None:
        with self._transaction():
            for statement in migration.statements:
                self._connection.execute(statement)
            self._connection.execute(
                "INSERT INTO schema_version (version, description) VALUES (?, ?)",
                [migration.version, migration.description],
            )
        logger.info("warehouse %s migrated to schema version %d (%s)", self.path,
                    migration.version, migration.description)

    def _check_version(self, version: int) -> None:
        if version > LATEST_VERSION:
            raise SchemaVersionError(
                _("The warehouse {path} has schema version {found}, newer than this sgl "
                  "supports ({supported}). Upgrade sgl, or point [warehouse] path at another "
                  "file.").format(path=self.path, found=version, supported=LATEST_VERSION)
            )

    # -- writing -----------------------------------------------------------------------

    def upsert(self, table: str, frame: pl.DataFrame, state: SyncState | None = None) -> int:
        """Insert or update rows by ``(source, source_id)`` and save ``state``, atomically.

        Columns missing from ``frame`` keep their stored values on update. When a key
        appears more than once in the batch, its last row wins. Returns the row count.
        """
        _require_writable(self)
        columns = self._checked_columns(table, frame)
        batch = frame.select(columns).unique(subset=list(KEY_COLUMNS), keep="last",
                                             maintain_order=True)

        column_list = ", ".join(columns)
        updates = ", ".join(f"{name} = excluded.{name}" for name in columns
                            if name not in KEY_COLUMNS)
        statement = (
            f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM upsert_batch "
            f"ON CONFLICT (source, source_id) DO UPDATE SET {updates}, loaded_at = now()"
        )

        # The batch is registered outside the transaction: unregistering inside an aborted
        # transaction would fail and hide the error that aborted it.
        with self._registered("upsert_batch", batch):
            with self._transaction():
                if batch.height:
                    self._connection.execute(statement)
                if state is not None:
                    self._write_sync_state(state)
        logger.debug("upserted %d rows into %s", batch.height, table)
        return batch.height

    def mark_deleted(self, table: str, source: str, source_ids: Sequence[str],
                     deleted_at: datetime, state: SyncState | None = None) -> int:
        """Soft-delete the given records and save ``state``, atomically; return rows changed."""
        _require_writable(self)
        _check_table(table)
        ids = pl.DataFrame({"source_id": list(source_ids)}, schema={"source_id": pl.Utf8})
        with self._registered("deleted_ids", ids), self._transaction():
            changed = self._connection.execute(
                f"UPDATE {table} SET is_deleted = true, deleted_at = ?, loaded_at = now() "
                f"WHERE source = ? AND NOT is_deleted "
                f"AND source_id IN (SELECT source_id FROM deleted_ids)",
                [deleted_at, source],
            ).fetchall()[0][0]
            if state is not None:
                self._write_sync_state(state)
        return int(changed)

    def save_sync_state(self, state: SyncState) -> None:
        """Save a sync state on its own, e.g. a failed run's error."""
        _require_writable(self)
        with self._transaction():
            self._write_sync_state(state)

    def replace_rows(self, table: str, key_columns: Sequence[str], frame: pl.DataFrame) -> int:
        """Replace the rows of a decision table whose keys appear in ``frame``, atomically.

        Rows with other keys stay. Columns missing from ``frame`` take their defaults.
        Returns the number of rows written.
        """
        _require_writable(self)
        columns = self._checked_decision_columns(table, key_columns, frame)
        batch = frame.select(columns).unique(subset=list(key_columns), keep="last",
                                             maintain_order=True)
        matches = " AND ".join(f"{table}.{name} = replace_batch.{name}" for name in key_columns)
        column_list = ", ".join(columns)
        with self._registered("replace_batch", batch), self._transaction():
            self._connection.execute(
                f"DELETE FROM {table} WHERE EXISTS (SELECT 1 FROM replace_batch WHERE {matches})")
            self._connection.execute(
                f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM replace_batch")
        logger.debug("replaced %d rows of %s", batch.height, table)
        return batch.height

    def replace_table(self, table: str, frame: pl.DataFrame) -> int:
        """Replace every row of a decision table with ``frame``, atomically; return the count."""
        _require_writable(self)
        columns = self._checked_decision_columns(table, (), frame)
        column_list = ", ".join(columns)
        with self._registered("replace_batch", frame.select(columns)), self._transaction():
            self._connection.execute(f"DELETE FROM {table}")
            self._connection.execute(
                f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM replace_batch")
        logger.debug("replaced all of %s with %d rows", table, frame.height)
        return frame.height

    def _checked_decision_columns(self, table: str, key_columns: Sequence[str],
                                  frame: pl.DataFrame) -> list[str]:
        if table not in DECISION_TABLES:
            raise WarehouseError(
                _("{table} is not a decision table; use one of {tables}.").format(
                    table=table, tables=", ".join(DECISION_TABLES)))
        known = set(self._table_columns(table))
        missing = [name for name in key_columns if name not in frame.columns]
        unknown = [name for name in frame.columns if name not in known]
        if missing or unknown:
            raise WarehouseError(
                _("Cannot load the batch into {table}: missing columns {missing}, unknown "
                  "columns {unknown}.").format(table=table, missing=missing or "-",
                                               unknown=unknown or "-"))
        return list(frame.columns)

    def _write_sync_state(self, state: SyncState) -> None:
        self._connection.execute(
            """
            INSERT INTO sync_state (source, object, watermark_at, watermark_id, last_run_id,
                                    last_run_at, last_status, last_counts, last_error)
            VALUES (?, ?, ?, ?, ?, now(), ?, ?, ?)
            ON CONFLICT (source, object) DO UPDATE SET
                watermark_at = coalesce(excluded.watermark_at, sync_state.watermark_at),
                watermark_id = CASE WHEN excluded.watermark_at IS NULL
                                    THEN sync_state.watermark_id ELSE excluded.watermark_id END,
                last_run_id = excluded.last_run_id, last_run_at = excluded.last_run_at,
                last_status = excluded.last_status, last_counts = excluded.last_counts,
                last_error = excluded.last_error
            """,
            [state.source, state.object, state.watermark_at, state.watermark_id, state.run_id,
             state.status, json.dumps(dict(state.counts)), state.error],
        )

    # -- reading -----------------------------------------------------------------------

    def read(self, table: str, columns: Sequence[str] | None = None,
             filters: Mapping[str, Any] | None = None, include_deleted: bool = False,
             ) -> pl.DataFrame:
        """Return rows of a table as a Polars frame, filtered by column equality."""
        known = self._table_columns(table)
        selected = list(columns) if columns else known
        unknown = [name for name in [*selected, *(filters or {})] if name not in known]
        if unknown:
            raise WarehouseError(
                _("Unknown columns {columns} in table {table}.").format(
                    columns=", ".join(unknown), table=table)
            )

        conditions, parameters = [], []
        for name, value in (filters or {}).items():
            conditions.append(f"{name} = ?")
            parameters.append(value)
        if not include_deleted and "is_deleted" in known:
            conditions.append("NOT is_deleted")
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        return self._frame(f"SELECT {', '.join(selected)} FROM {table}{where}", parameters)

    def sync_states(self) -> pl.DataFrame:
        return self._frame("SELECT * FROM sync_state ORDER BY source, object")

    def record_counts(self) -> pl.DataFrame:
        """Return live and deleted row counts per table, source and object."""
        parts = [
            f"SELECT '{table}' AS table_name, source, object, "
            f"count(*) FILTER (WHERE NOT is_deleted) AS rows, "
            f"count(*) FILTER (WHERE is_deleted) AS deleted FROM {table} GROUP BY source, object"
            for table in RECORD_TABLES
        ]
        return self._frame(" UNION ALL ".join(parts) + " ORDER BY source, object, table_name")

    def replace_associations(self, source: str, from_object: str, from_ids: Sequence[str],
                             to_objects: Sequence[str], frame: pl.DataFrame) -> int:
        """Replace the stored associations of ``from_ids`` to ``to_objects`` with ``frame``.

        ``frame`` holds the complete associations of those records to those object types
        (columns ``from_object, from_id, to_object, to_id, label``; ``source`` optional), so
        an association removed in the CRM disappears here too. Returns the rows stored.
        """
        _require_writable(self)
        columns = ["from_object", "from_id", "to_object", "to_id", "label"]
        missing = [name for name in columns if name not in frame.columns]
        if frame.height and missing:
            raise WarehouseError(
                _("Cannot load the batch into {table}: missing columns {missing}, unknown "
                  "columns {unknown}.").format(table="associations", missing=missing,
                                               unknown="-"))
        rows = (frame.select(columns).with_columns(pl.lit(source).alias("source"))
                .unique(maintain_order=True)) if frame.height else pl.DataFrame(
            schema={name: pl.Utf8 for name in ["source", *columns]})
        ids = pl.DataFrame({"from_id": list(from_ids)}, schema={"from_id": pl.Utf8})
        targets = pl.DataFrame({"to_object": list(to_objects)}, schema={"to_object": pl.Utf8})

        with (self._registered("association_ids", ids),
              self._registered("association_targets", targets),
              self._registered("association_rows", rows),
              self._transaction()):
            self._connection.execute(
                "DELETE FROM associations WHERE source = ? AND from_object = ? "
                "AND from_id IN (SELECT from_id FROM association_ids) "
                "AND to_object IN (SELECT to_object FROM association_targets)",
                [source, from_object])
            if rows.height:
                self._connection.execute(
                    "INSERT INTO associations (source, from_object, from_id, to_object, to_id, "
                    "label) SELECT source, from_object, from_id, to_object, to_id, label "
                    "FROM association_rows")
        return rows.height

    # -- attribution runs --------------------------------------------------------------

    def record_attribution_run(self, computed_at: datetime, *, is_full: bool,
                               settings_key: str, leads: int, opportunities: int,
                               changed: int) -> None:
        """Log one saved attribution run (its counts and the key of the rules it used)."""
        _require_writable(self)
        with self._transaction():
            self._connection.execute(
                "INSERT INTO attribution_runs (computed_at, is_full, settings_key, leads, "
                "opportunities, changed) VALUES (?, ?, ?, ?, ?, ?)",
                [computed_at, is_full, settings_key, leads, opportunities, changed])

    def last_attribution_run(self) -> dict[str, Any] | None:
        """Return the latest logged attribution run as a dict, or None before the first."""
        rows = self._frame("SELECT * FROM attribution_runs ORDER BY computed_at DESC LIMIT 1")
        return rows.row(0, named=True) if rows.height else None

    # -- write-back audit --------------------------------------------------------------

    def append_writeback_log(self, frame: pl.DataFrame) -> int:
        """Append write-back audit rows; ``logged_at`` defaults to now. Returns the row count.

        The log is append-only: rows are never updated or deleted.
        """
        _require_writable(self)
        known = set(self._table_columns("writeback_log"))
        unknown = [name for name in frame.columns if name not in known]
        if unknown:
            raise WarehouseError(
                _("Cannot load the batch into {table}: missing columns {missing}, unknown "
                  "columns {unknown}.").format(table="writeback_log", missing="-",
                                               unknown=unknown))
        if not frame.height:
            return 0
        column_list = ", ".join(frame.columns)
        with self._registered("writeback_batch", frame), self._transaction():
            self._connection.execute(
                f"INSERT INTO writeback_log ({column_list}) "
                f"SELECT {column_list} FROM writeback_batch")
        return frame.height

    def writeback_state(self, source: str | None = None) -> pl.DataFrame:
        """Return per record and field the last successful write and the latest log row.

        Columns: ``source, object, source_id, field``, ``last_written`` and
        ``last_written_at`` (``after`` and ``logged_at`` of the latest ``written`` row), and
        ``last_result, last_before, last_after`` (the latest row of any result). A run logs
        each field once, so rows of one field never share ``logged_at``.
        """
        where = "WHERE source = ?" if source is not None else ""
        return self._frame(
            f"""
            SELECT source, object, source_id, field,
                   arg_max(after, logged_at) FILTER (WHERE result = 'written') AS last_written,
                   max(logged_at) FILTER (WHERE result = 'written') AS last_written_at,
                   arg_max(result, logged_at) AS last_result,
                   arg_max(before, logged_at) AS last_before,
                   arg_max(after, logged_at) AS last_after
            FROM writeback_log {where}
            GROUP BY source, object, source_id, field
            """,
            [source] if source is not None else [])

    # -- report log --------------------------------------------------------------------

    def add_report_render(self, *, period: str, locale: str, as_of: date, rendered_at: datetime,
                          archive_dir: str, files: Sequence[str], checksum: str,
                          figures_checksum: str, is_restated: bool) -> None:
        """Record one rendered and archived report (not yet sent)."""
        _require_writable(self)
        with self._transaction():
            self._connection.execute(
                "INSERT INTO report_log (period, locale, as_of, rendered_at, archive_dir, files,"
                " checksum, figures_checksum, is_restated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [period, locale, as_of, rendered_at, archive_dir, json.dumps(list(files)),
                 checksum, figures_checksum, is_restated],
            )

    def record_report_send_intent(self, period: str, locale: str, rendered_at: datetime,
                                  intent_at: datetime) -> None:
        """Mark a rendered report as about to be sent, before the mail server is contacted.

        A row with an intent and no result means the outcome is unknown (the process died
        while sending), so the caller must not assume the report went out or did not.
        """
        self._update_report_send(period, locale, rendered_at,
                                 "send_intent_at = ?, sent_at = NULL, send_result = NULL",
                                 [intent_at])

    def record_report_send_result(self, period: str, locale: str, rendered_at: datetime,
                                  result: str, sent_at: datetime | None) -> None:
        """Record how sending ended: ``result`` such as "sent", or "failed: SMTPDataError"."""
        self._update_report_send(period, locale, rendered_at, "sent_at = ?, send_result = ?",
                                 [sent_at, result])

    def report_log(self, period: str, locale: str) -> pl.DataFrame:
        """Return the report log rows of one period and locale, oldest render first."""
        return self._frame("SELECT * FROM report_log WHERE period = ? AND locale = ? "
                           "ORDER BY rendered_at", [period, locale])

    def _update_report_send(self, period: str, locale: str, rendered_at: datetime,
                            assignments: str, values: Sequence[Any]) -> None:
        _require_writable(self)
        with self._transaction():
            changed = self._connection.execute(
                f"UPDATE report_log SET {assignments} "
                "WHERE period = ? AND locale = ? AND rendered_at = ?",
                [*values, period, locale, rendered_at],
            ).fetchall()[0][0]
        if changed != 1:
            raise WarehouseError(
                _("No report log entry for {period} ({locale}) rendered at {rendered_at}. "
                  "Render the report again with `sgl report --month {period}`.").format(
                    period=period, locale=locale, rendered_at=rendered_at.isoformat()))

    # -- helpers -----------------------------------------------------------------------

    def _frame(self, query: str, parameters: Sequence[Any] = ()) -> pl.DataFrame:
        return contiguous(self._connection.sql(query, params=list(parameters) or None).pl())

    @contextmanager
    def _registered(self, name: str, frame: pl.DataFrame) -> Iterator[None]:
        self._connection.register(name, frame.to_arrow())
        try:
            yield
        finally:
            self._connection.unregister(name)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._connection.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise
        self._connection.execute("COMMIT")

    def _table_columns(self, table: str) -> list[str]:
        rows = self._connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position", [table]).fetchall()
        if not rows:
            raise WarehouseError(_("Unknown table {table}.").format(table=table))
        return [row[0] for row in rows]

    def _checked_columns(self, table: str, frame: pl.DataFrame) -> list[str]:
        _check_table(table)
        known = set(self._table_columns(table))
        missing_keys = [name for name in (*KEY_COLUMNS, "object") if name not in frame.columns]
        unknown = [name for name in frame.columns if name not in known]
        if missing_keys or unknown:
            raise WarehouseError(
                _("Cannot load the batch into {table}: missing columns {missing}, unknown "
                  "columns {unknown}.").format(table=table, missing=missing_keys or "-",
                                               unknown=unknown or "-")
            )
        return list(frame.columns)


def _check_table(table: str) -> None:
    if table not in RECORD_TABLES:
        raise WarehouseError(
            _("{table} is not a record table; use one of {tables}.").format(
                table=table, tables=", ".join(RECORD_TABLES))
        )


def _require_writable(warehouse: Warehouse) -> None:
    if warehouse.read_only:
        raise WarehouseError(_("The warehouse was opened for reading only."))


def _read_schema_version(connection: duckdb.DuckDBPyConnection) -> int:
    exists = connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    return connection.execute(
        "SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]


def _connect(path: Path, read_only: bool, lock: WarehouseLock) -> duckdb.DuckDBPyConnection:
    """Open DuckDB in UTC, turning its file-lock error into a 'sync in progress' message."""
    try:
        connection = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            # Another program (not sgl, or an sgl without this lock) has the file open.
            raise WarehouseBusyError(
                _("The warehouse {path} is open in another program ({holder}). Close it or "
                  "wait for the sync to finish.").format(path=path, holder=lock.describe_holder())
            ) from None
        raise WarehouseError(
            _("Cannot open the warehouse {path}: {reason}").format(path=path, reason=error)
        ) from None
    except duckdb.Error as error:
        raise WarehouseError(
            _("Cannot open the warehouse {path}: {reason}. Is it a DuckDB file?").format(
                path=path, reason=error)
        ) from None
    connection.execute("SET TimeZone = 'UTC'")
    return connection
