"""The import flow: load exported or spreadsheet CSVs, attribute them, find the data's last month.

Used by ``sgl demo --data DIR --mapping FILE``; ``sgl import`` calls the same plain
functions (``flows.imports``) without Prefect.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from flows import tasks
from flows.common import settings_from, warehouse_slot
from flows.imports import import_with_mapping
from flows.reporting import last_full_month
from flows.summaries import run_markdown, table
from sgl.settings import Settings
from sgl.warehouse import Warehouse


@task(name="import-files")
def import_task(settings: Settings, mapping: str, files: list[str],
                skip_unmatched: bool) -> dict[str, int]:
    counts = import_with_mapping(settings, mapping, [Path(name) for name in files],
                                 skip_unmatched=skip_unmatched)
    written = counts.filter(pl.col("measure") == "rows_written")
    rows = written.group_by("table").agg(pl.col("count").sum()).sort("table")
    return dict(rows.iter_rows())


def data_end(settings: Settings) -> date | None:
    """Return the local date of the newest lead's creation (else opportunity's), or None."""
    with Warehouse.open(settings.warehouse_path, holder="import data end",
                        lock_timeout=settings.warehouse.lock_timeout_seconds) as warehouse:
        created = warehouse.read("leads", ["created_at"])["created_at"].max()
        if created is None:
            # Exports such as Maven's hold opportunities only.
            created = warehouse.read("opportunities", ["created_at"])["created_at"].max()
    if created is None:
        return None
    return created.astimezone(ZoneInfo(settings.general.timezone)).date()


def last_full_data_month(end: date) -> tuple[str, date]:
    """Return the last month that the data covers to its end, and the as-of date for it.

    Data ending on a month's last day covers that month; else the month before is the last
    full one. The as-of date is the day after the data ends.

    >>> last_full_data_month(date(2020, 6, 30))
    ('2020-06', datetime.date(2020, 7, 1))
    >>> last_full_data_month(date(2020, 6, 12))
    ('2020-05', datetime.date(2020, 6, 13))
    """
    as_of = end + timedelta(days=1)
    return last_full_month(as_of), as_of


@flow(name="import-files")
def import_files(mapping: str, files: list[str], config_path: str | None = None,
                 skip_unmatched: bool = False) -> dict[str, Any]:
    """Import ``files`` with ``mapping`` (a TOML path or a shipped mapping's name), attribute.

    ``skip_unmatched`` skips files the mapping does not name, as in a whole export folder.
    """
    logger = get_run_logger()
    settings = settings_from(config_path)
    with warehouse_slot():
        rows = import_task(settings, mapping, files, skip_unmatched)
        attribution = tasks.attribute(settings, full=True)
    end = data_end(settings)
    month, as_of = last_full_data_month(end) if end else (None, None)
    logger.info("imported %d files with mapping %s; data ends %s", len(files), mapping, end)
    create_markdown_artifact(
        key="import-files", description=f"Import with {mapping}",
        markdown=run_markdown(f"Import with {mapping}", attribution=attribution)
        + "\n## Rows written per table\n"
        + table([{"table": name, "rows": count} for name, count in rows.items()],
                ["table", "rows"]))
    return {"rows": rows, "attribution": attribution, "month": month,
            "as_of": as_of.isoformat() if as_of else None}
