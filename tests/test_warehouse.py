"""The DuckDB warehouse: upserts, atomic watermarks, migrations and the single-writer lock."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sgl.errors import SchemaVersionError, WarehouseBusyError, WarehouseError
from sgl.migrations import LATEST_VERSION
from sgl.warehouse import SyncState, Warehouse

T0 = datetime(2025, 3, 31, 16, 0, tzinfo=UTC)
T1 = datetime(2025, 4, 1, 9, 30, tzinfo=UTC)


def leads(ids: list[str], *, status: str = "Open", modified: datetime = T0) -> pl.DataFrame:
    return pl.DataFrame({
        "source": ["salesforce"] * len(ids),
        "source_id": ids,
        "object": ["Lead"] * len(ids),
        "status": [status] * len(ids),
        "lead_source": ["紹介"] * len(ids),
        "created_at": [T0] * len(ids),
        "modified_at": [modified] * len(ids),
        "raw": [f'{{"Id": "{record_id}"}}' for record_id in ids],
    })


def state(watermark: datetime | None, watermark_id: str | None, run: str = "run-1") -> SyncState:
    return SyncState("salesforce", "Lead", watermark, watermark_id, run, counts={"rows": 2})


def stored(warehouse: Warehouse) -> pl.DataFrame:
    return (
        warehouse.read("leads", include_deleted=True)
        .drop("loaded_at")
        .sort("source_id")
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "sgl.duckdb"


def test_new_file_created_at_latest_version(path: Path) -> None:
    with Warehouse.open(path, write=True) as warehouse:
        assert warehouse.schema_version() == LATEST_VERSION

    assert path.exists()


def test_upsert_same_batch_twice_is_idempotent(path: Path) -> None:
    batch = leads(["00Q000000000001AAA", "00Q000000000002AAA"])
    with Warehouse.open(path, write=True) as warehouse:
        warehouse.upsert("leads", batch, state(T0, "00Q000000000002AAA"))
        first = stored(warehouse)
        first_state = warehouse.sync_states().drop("last_run_at")

        warehouse.upsert("leads", batch, state(T0, "00Q000000000002AAA"))
        second = stored(warehouse)
        second_state = warehouse.sync_states().drop("last_run_at")

    assert first.height == 2
    assert_frame_equal(first, second)
    assert_frame_equal(first_state, second_state)


def test_upsert_updates_changed_rows(path: Path) -> None:
    with Warehouse.open(path, write=True) as warehouse:
        warehouse.upsert("leads", leads(["00Q1", "00Q2"]))
        warehouse.upsert("leads", leads(["00Q2"], status="Qualified", modified=T1))
        rows = stored(warehouse)

    assert rows["status"].to_list() == ["Open", "Qualified"]
    assert rows["modified_at"].to_list() == [T0, T1]


def test_upsert_keeps_columns_missing_from_batch(path: Path) -> None:
    partial = pl.DataFrame({"source": ["salesforce"], "source_id": ["00Q1"],
                            "object": ["Lead"], "status": ["Working"]})
    with Warehouse.open(path, write=True) as warehouse:
        warehouse.upsert("leads", leads(["00Q1"]))
        warehouse.upsert("leads", partial)
        row = stored(warehouse).row(0, named=True)

    assert row["status"] == "Working"
    assert row["lead_source"] == "紹介"
    assert row["created_at"] == T0


def test_duplicate_keys_in_batch_last_wins(path: Path) -> None:
    batch = pl.concat([leads(["00Q1"], status="Open"), leads(["00Q1"], status="Converted")])
    with Warehouse.open(path, write=True) as warehouse:
        count = warehouse.upsert("leads", batch)
        rows = stored(warehouse)

    assert count == 1
    assert rows["status"].to_list() == ["Converted"]


def test_amounts_keep_exact_decimals(path: Path) -> None:
    deal = pl.DataFrame({
        "source": ["hubspot"], "source_id": ["901"], "object": ["deals"],
        "amount": [Decimal("12345678.9")], "currency": ["JPY"],
    }, schema_overrides={"amount": pl.Decimal(20, 4)})
    with Warehouse.open(path, write=True) as warehouse:
        warehouse.upsert("opportunities", deal)
        amount = warehouse.read("opportunities", ["amount"])["amount"][0]

    assert amount == Decimal("12345678.9000")


def test_failed_batch_leaves_rows_and_watermark(path: Path) -> None:
    with Warehouse.open(path, write=True) as warehouse:
        warehouse.upsert("leads", leads(["00Q1"]), state(T0, "00Q1"))
        before_rows = stored(warehouse)
        before_state = warehouse.sync_states()

        # The second row lacks its object, which the schema requires: the whole batch fails.
        broken = leads(["00Q2", "00Q3"]).with_columns(
            pl.when(pl.col("source_id") == "00Q3").then(None).otherwise(pl.col("object"))
            .alias("object"))
        with pytest.raises(duckdb.ConstraintException):
            warehouse.upsert("leads", broken, state(T1, "00Q3", run="run-2"))

        assert_frame_equal(stored(warehouse), before_rows)
        assert_frame_equal(warehouse.sync_states(), before_state)


def test_failed_state_write_rolls_back_rows(path: Path) -> None:
    bad_state = SyncState("salesforce", None, T1, "00Q9", "run-2")  # type: ignore[arg-type]
    with Warehouse.open(path, write=True) as warehouse:
        warehouse.upsert("leads", leads(["00Q1"]), state(T0, "00Q1"))
        before_rows = stored(warehouse)

        with pytest.raises(duckdb.ConstraintException):
            warehouse.upsert("leads", leads(["00Q9"]), bad_state)

        assert_frame_equal(stored(warehouse), before_rows)
        assert warehouse.sync_states()["watermark_id"].to_list() == ["00Q1"]


def test_crash_mid_batch_keeps_file_consistent(path: Path) -> None:
    """A process killed inside the transaction leaves the last committed state."""
    with Warehouse.open(path, write=True) as warehouse:
        warehouse.upsert("leads", leads(["00Q1"]), state(T0, "00Q1"))

    script = textwrap.dedent(f"""
        import os, polars as pl
        from datetime import datetime, UTC
        from sgl.warehouse import Warehouse, SyncState
        with Warehouse.open({str(path)!r}, write=True) as warehouse:
            connection = warehouse._connection
            connection.execute("BEGIN TRANSACTION")
            connection.execute("UPDATE leads SET status = 'Lost'")
            connection.execute("UPDATE sync_state SET watermark_id = 'moved'")
            os._exit(9)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert result.returncode == 9

    with Warehouse.open(path) as warehouse:
        assert warehouse.read("leads")["status"].to_list() == ["Open"]
        assert warehouse.sync_states()["watermark_id"].to_list() == ["00Q1"]


def test_state_without_watermark_keeps_previous(path: Path) -> None:
    with Warehouse.open(path, write=True) as warehouse:
        warehouse.upsert("leads", leads(["00Q1"]), state(T0, "00Q1"))
        warehouse.save_sync_state(SyncState("salesforce", "Lead", None, None, "run-2",
                                            status="failed", error="HTTP 503 on page 3"))
        row = warehouse.sync_states().row(0, named=True)

    assert row["watermark_at"] == T0
    assert row["watermark_id"] == "00Q1"
    assert row["last_status"] == "failed"
    assert row["last_error"] == "HTTP 503 on page 3"


def test_mark_deleted_is_soft(path: Path) -> None:
    with Warehouse.open(path, write=True) as warehouse:
        warehouse.upsert("leads", leads(["00Q1", "00Q2"]))
        changed = warehouse.mark_deleted("leads", "salesforce", ["00Q2", "00Q404"], T1)
        again = warehouse.mark_deleted("leads", "salesforce", ["00Q2"], T1)
        live = warehouse.read("leads")
        everything = stored(warehouse)

    assert changed == 1
    assert again == 0
    assert live["source_id"].to_list() == ["00Q1"]
    assert everything.filter(pl.col("is_deleted"))["deleted_at"].to_list() == [T1]


def test_unknown_column_rejected_with_names(path: Path) -> None:
    batch = leads(["00Q1"]).with_columns(pl.lit("x").alias("favourite_colour"))
    with Warehouse.open(path, write=True) as warehouse, pytest.raises(WarehouseError) as caught:
        warehouse.upsert("leads", batch)

    assert "favourite_colour" in str(caught.value)


def test_older_schema_file_is_migrated(path: Path) -> None:
    with Warehouse.open(path, write=True) as warehouse:
        pass
    # Rebuild the file as version 1 wrote it, with a row in it.
    path.unlink()
    connection = duckdb.connect(str(path))
    connection.close()
    with Warehouse.open(path, write=True) as warehouse:
        warehouse._connection.execute("DROP TABLE IF EXISTS schema_version")
        for table in ("attribution_runs", "report_log", "writeback_log", "attribution",
                      "persons", "users", "accounts", "leads", "opportunities",
                      "activities", "field_history", "associations", "sync_state"):
            warehouse._connection.execute(f"DROP TABLE IF EXISTS {table}")
        assert warehouse.migrate(target=1) == 1
        warehouse.upsert("leads", leads(["00Q1"]), state(T0, "00Q1"))
        tables = warehouse._connection.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()
        assert ("writeback_log",) not in tables

    with Warehouse.open(path) as warehouse:
        assert warehouse.schema_version() == LATEST_VERSION
        assert warehouse.read("leads")["source_id"].to_list() == ["00Q1"]
        assert warehouse.sync_states()["watermark_id"].to_list() == ["00Q1"]
        assert warehouse.read("report_log").height == 0


def test_newer_schema_file_rejected(path: Path) -> None:
    with Warehouse.open(path, write=True) as warehouse:
        warehouse._connection.execute(
            "INSERT INTO schema_version (version, description) VALUES (?, 'from the future')",
            [LATEST_VERSION + 1])

    for write in (True, False):
        with pytest.raises(SchemaVersionError) as caught, Warehouse.open(path, write=write):
            pass
        message = str(caught.value)
        assert f"schema version {LATEST_VERSION + 1}" in message
        assert "Upgrade sgl" in message


def test_reader_of_missing_file_told_what_to_do(path: Path) -> None:
    with pytest.raises(WarehouseError) as caught, Warehouse.open(path):
        pass

    assert "sgl sync" in str(caught.value)
    assert not path.exists()


def test_second_writer_in_process_busy(path: Path) -> None:
    with Warehouse.open(path, write=True, holder="sgl sync"):
        with pytest.raises(WarehouseBusyError) as caught:
            with Warehouse.open(path, write=True, lock_timeout=0.3):
                pass

    assert "in use: sgl sync, process" in str(caught.value)


def hold_writer(path: Path, seconds: float) -> subprocess.Popen:
    """Start another process that holds the warehouse for writing."""
    script = textwrap.dedent(f"""
        import sys, time
        from sgl.warehouse import Warehouse
        with Warehouse.open({str(path)!r}, write=True, holder="nightly-sync flow run 42"):
            print("locked", flush=True)
            time.sleep({seconds})
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "locked"
    return process


def test_reader_during_sync_gets_clear_message(path: Path) -> None:
    with Warehouse.open(path, write=True):
        pass
    process = hold_writer(path, 30)
    try:
        with pytest.raises(WarehouseBusyError) as caught, Warehouse.open(path):
            pass
        with pytest.raises(WarehouseBusyError) as caught_writer:
            with Warehouse.open(path, write=True, lock_timeout=0.5):
                pass
    finally:
        process.kill()
        process.wait()

    message = str(caught.value)
    assert message.startswith("A sync is in progress (nightly-sync flow run 42, process ")
    assert "Try again when it has finished." in message
    assert "nightly-sync flow run 42" in str(caught_writer.value)


def test_writer_waits_for_sync_to_finish(path: Path) -> None:
    with Warehouse.open(path, write=True):
        pass
    process = hold_writer(path, 1.5)
    started = time.monotonic()
    try:
        with Warehouse.open(path, write=True, lock_timeout=30) as warehouse:
            waited = time.monotonic() - started
            assert warehouse.schema_version() == LATEST_VERSION
    finally:
        process.wait(timeout=30)

    assert waited > 0.5


def test_foreign_duckdb_holder_gets_clear_message(path: Path) -> None:
    """A program that opens the file directly, bypassing the lock file, still gets named."""
    with Warehouse.open(path, write=True):
        pass
    script = (f"import duckdb, time; c = duckdb.connect({str(path)!r}); "
              "print('open', flush=True); time.sleep(30)")
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "open"
    try:
        with pytest.raises(WarehouseBusyError) as caught, Warehouse.open(path):
            pass
    finally:
        process.kill()
        process.wait()

    assert "open in another program" in str(caught.value)


def test_read_only_connection_rejects_writes(path: Path) -> None:
    with Warehouse.open(path, write=True):
        pass
    with Warehouse.open(path) as warehouse, pytest.raises(WarehouseError):
        warehouse.upsert("leads", leads(["00Q1"]))


def test_record_counts_by_source_and_object(path: Path) -> None:
    contacts = leads(["003A"]).with_columns(pl.lit("Contact").alias("object"))
    with Warehouse.open(path, write=True) as warehouse:
        warehouse.upsert("leads", pl.concat([leads(["00Q1", "00Q2"]), contacts]))
        warehouse.mark_deleted("leads", "salesforce", ["00Q2"], T1)
        counts = warehouse.record_counts()

    assert counts.select("table_name", "source", "object", "rows", "deleted").to_dicts() == [
        {"table_name": "leads", "source": "salesforce", "object": "Contact", "rows": 1,
         "deleted": 0},
        {"table_name": "leads", "source": "salesforce", "object": "Lead", "rows": 1,
         "deleted": 1},
    ]


def test_replace_associations_of_page(path: Path) -> None:
    def rows(pairs: list[tuple[str, str, str]]) -> pl.DataFrame:
        return pl.DataFrame(
            [{"from_object": "deals", "from_id": deal, "to_object": to_object, "to_id": to_id,
              "label": ""} for deal, to_object, to_id in pairs])

    with Warehouse.open(path, write=True) as warehouse:
        warehouse.replace_associations(
            "hubspot", "deals", ["901", "902"], ["contacts", "companies"],
            rows([("901", "contacts", "51"), ("901", "contacts", "52"),
                  ("902", "companies", "7")]))
        # The next pull of deal 901 no longer lists contact 52; deal 902 is not in the page.
        stored = warehouse.replace_associations(
            "hubspot", "deals", ["901"], ["contacts", "companies"],
            rows([("901", "contacts", "51"), ("901", "companies", "7")]))
        table = warehouse.read("associations", ["from_id", "to_object", "to_id"]).sort(
            "from_id", "to_object", "to_id")

    assert stored == 2
    assert table.rows() == [("901", "companies", "7"), ("901", "contacts", "51"),
                            ("902", "companies", "7")]


def test_replace_associations_empty_page_clears(path: Path) -> None:
    with Warehouse.open(path, write=True) as warehouse:
        warehouse.replace_associations("hubspot", "deals", ["901"], ["contacts"], pl.DataFrame(
            [{"from_object": "deals", "from_id": "901", "to_object": "contacts", "to_id": "51",
              "label": "Primary"}]))
        stored = warehouse.replace_associations("hubspot", "deals", ["901"], ["contacts"],
                                                pl.DataFrame())
        remaining = warehouse.read("associations").height

    assert stored == 0
    assert remaining == 0
