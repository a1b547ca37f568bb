"""``sgl status``: per source and object, the rows held, the watermark, the last run and error."""

from __future__ import annotations

import polars as pl
import typer

from sgl.cli import output
from sgl.cli.context import state
from sgl.cli.output import OutputFormat
from sgl.i18n import _
from sgl.warehouse import Warehouse

STATUS_COLUMNS = ["source", "object", "rows", "deleted", "watermark_at", "watermark_id",
                  "last_run_at", "last_status", "last_error"]


def register(app: typer.Typer) -> None:
    @app.command("status", help=_("Show per source and object: rows, watermark, last run and "
                                  "last error."))
    def status(
        ctx: typer.Context,
        output_format: OutputFormat = typer.Option(OutputFormat.table, "--format",
                                                   help=_("Output format.")),
    ) -> None:
        settings = state(ctx).settings()
        path = settings.warehouse_path
        if not path.exists():
            output.info(_("No warehouse at {path} yet: nothing has been pulled or imported.")
                        .format(path=path))
            output.emit(pl.DataFrame(schema={name: pl.Utf8 for name in STATUS_COLUMNS}),
                        output_format, title=_("Sync status"), headers=_headers())
            return

        with Warehouse.open(path, holder="sgl status",
                            lock_timeout=settings.warehouse.lock_timeout_seconds) as warehouse:
            frame = status_frame(warehouse)
        output.emit(frame, output_format, title=_("Sync status"), headers=_headers())


def status_frame(warehouse: Warehouse) -> pl.DataFrame:
    """Join row counts per source and object with their sync state."""
    counts = (
        warehouse.record_counts()
        .group_by("source", "object")
        .agg(pl.col("rows").sum(), pl.col("deleted").sum())
    )
    states = warehouse.sync_states().select(
        "source", "object", "watermark_at", "watermark_id", "last_run_at", "last_status",
        "last_error",
    )
    return (
        counts.join(states, on=["source", "object"], how="full", coalesce=True)
        .with_columns(pl.col("rows").fill_null(0), pl.col("deleted").fill_null(0))
        .select(STATUS_COLUMNS)
        .sort("source", "object")
    )


def _headers() -> dict[str, str]:
    return {
        "source": _("Source"), "object": _("Object"), "rows": _("Rows"),
        "deleted": _("Deleted"), "watermark_at": _("Watermark"),
        "watermark_id": _("Watermark id"), "last_run_at": _("Last run"),
        "last_status": _("Last status"), "last_error": _("Last error"),
    }
