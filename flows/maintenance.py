"""Warehouse preparation: create or migrate the warehouse and report what it holds."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact

from sgl.settings import load_settings
from sgl.warehouse import Warehouse


@task(name="migrate-warehouse", retries=0)
def migrate_warehouse(path: Path, lock_timeout: float) -> dict:
    """Open the warehouse for writing, which creates and migrates it; return its state."""
    with Warehouse.open(path, write=True, holder="prepare-warehouse flow",
                        lock_timeout=lock_timeout) as warehouse:
        counts = warehouse.record_counts()
        return {"schema_version": warehouse.schema_version(), "tables": counts.to_dicts()}


@flow(name="prepare-warehouse", log_prints=False)
def prepare_warehouse(config_path: str | None = None) -> dict:
    """Create or migrate the warehouse named in the settings."""
    logger = get_run_logger()
    settings = load_settings(Path(config_path) if config_path else None)
    state = migrate_warehouse(settings.warehouse_path, settings.warehouse.lock_timeout_seconds)
    logger.info("warehouse at schema version %d with %d record groups",
                state["schema_version"], len(state["tables"]))
    create_table_artifact(
        key="warehouse-state",
        table=state["tables"] or [{"table_name": "-", "source": "-", "object": "-", "rows": 0,
                                   "deleted": 0}],
        description=f"Warehouse schema version {state['schema_version']}",
    )
    return state
