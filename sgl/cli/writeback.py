"""``sgl writeback``: preview or apply origin tags in the CRMs, set up fields, read the audit log.

- ``sgl writeback`` previews (dry run): it prints what would change and saves it as CSV.
- ``sgl writeback --apply`` writes; above ``[writeback] max_changes_per_run`` records it
  also needs ``--confirm-large``. ``--limit N`` handles the first N records only.
- ``sgl writeback setup`` creates the HubSpot properties and prints the Salesforce fields.
- ``sgl writeback log [--run ID]`` lists runs, or the rows of one run.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import typer

from sgl.cli import output
from sgl.cli.context import state
from sgl.cli.output import OutputFormat
from sgl.i18n import _
from sgl.warehouse import Warehouse

PREVIEW_COLUMNS = ["source", "object", "source_id", "field", "before", "after", "result",
                   "error"]
PREVIEW_DIR = Path("var/writeback")


def register(app: typer.Typer) -> None:
    writeback_app = typer.Typer(
        help=_("Write origin tags to the CRMs: preview by default, --apply to write."),
        no_args_is_help=False, rich_markup_mode=None)

    @writeback_app.callback(invoke_without_command=True)
    def writeback(
        ctx: typer.Context,
        apply: bool = typer.Option(False, "--apply",
                                   help=_("Write the changes (default: dry run only).")),
        limit: int = typer.Option(None, "--limit", min=1,
                                  help=_("Handle at most this many records in this run.")),
        confirm_large: bool = typer.Option(
            False, "--confirm-large",
            help=_("Allow a run that changes more records than [writeback] "
                   "max_changes_per_run.")),
        csv_path: Path = typer.Option(
            None, "--csv", help=_("Where the dry run saves its CSV (default: "
                                  "var/writeback/<run id>.csv).")),
        output_format: OutputFormat = typer.Option(OutputFormat.table, "--format",
                                                   help=_("Output format.")),
    ) -> None:
        if ctx.invoked_subcommand is not None:
            return
        from connectors.writeback import WritebackOptions, run_writeback

        settings = state(ctx).settings()
        if apply:
            # Writing runs the `writeback` flow, so it is logged in Prefect like scheduled runs.
            from flows.nightly import writeback as writeback_flow

            report = writeback_flow(config_path=state(ctx).config_path, apply=True,
                                    limit=limit, confirm_large=confirm_large)
        else:
            report = run_writeback(settings, WritebackOptions(
                apply=False, limit=limit, confirm_large=confirm_large), env=os.environ)
        rows = report.rows.select(PREVIEW_COLUMNS).sort("source", "object", "source_id",
                                                        "field")
        if not apply:
            target = settings.resolve(csv_path or PREVIEW_DIR / f"{report.run_id}.csv")
            target.parent.mkdir(parents=True, exist_ok=True)
            rows.write_csv(target)
            output.emit(rows, output_format, title=_("Write-back dry run {run}").format(
                run=report.run_id), headers=_headers())
            output.info(_("Dry run {run}: {records} records would change ({counts}). Saved to "
                          "{path}. Run `sgl writeback --apply` to write them.").format(
                run=report.run_id, records=report.planned_records,
                counts=_counts_text(report.counts()), path=target))
            return
        failed = rows.filter(pl.col("result") == "failed")
        output.emit(rows if output_format is not OutputFormat.table else failed, output_format,
                    title=_("Failed writes"), headers=_headers())
        output.info(_("Write-back {run} finished: {counts}; API calls {calls}. See `sgl "
                      "writeback log --run {run}`.").format(
            run=report.run_id, counts=_counts_text(report.counts()),
            calls=", ".join(f"{source} {count}" for source, count in report.api_calls.items())
            or "0"))
        if failed.height:
            raise typer.Exit(1)

    @writeback_app.command("setup", help=_("Create the HubSpot properties and print the "
                                           "Salesforce custom fields to create."))
    def setup(
        ctx: typer.Context,
        output_format: OutputFormat = typer.Option(OutputFormat.table, "--format",
                                                   help=_("Output format.")),
    ) -> None:
        from connectors.writeback.runner import default_opener, enabled_sources
        from connectors.writeback.setup import (
            salesforce_fields,
            salesforce_permissions,
            set_up_hubspot,
        )
        from connectors.writeback.targets import HUBSPOT, SALESFORCE, targets_from_settings

        settings = state(ctx).settings()
        sources = enabled_sources(settings)
        if not sources:
            output.info(_("No CRM is enabled: set enabled = true in [sources.salesforce] or "
                          "[sources.hubspot]."))
            return
        if HUBSPOT in sources:
            with default_opener(settings, os.environ)(HUBSPOT) as writer:
                rows = set_up_hubspot(writer, targets_from_settings(settings, HUBSPOT))
            output.emit(rows, output_format, title=_("HubSpot properties"),
                        headers={"object": _("Object"), "property": _("Property"),
                                 "status": _("Status"), "note": _("Note")})
        if SALESFORCE in sources:
            fields = salesforce_fields(targets_from_settings(settings, SALESFORCE))
            output.emit(fields, output_format,
                        title=_("Salesforce custom fields to create (Setup > Object Manager)"),
                        headers={"object": _("Object"), "api_name": _("API name"),
                                 "field_name": _("Field name"), "label": _("Label"),
                                 "label_ja": _("Japanese label"), "type": _("Type"),
                                 "values": _("Values or length"),
                                 "description": _("Description")})
            for line in salesforce_permissions():
                output.info("- " + line)

    @writeback_app.command("log", help=_("List write-back runs, or the rows of one run."))
    def log(
        ctx: typer.Context,
        run: str = typer.Option(None, "--run", help=_("Show the rows of this run id.")),
        output_format: OutputFormat = typer.Option(OutputFormat.table, "--format",
                                                   help=_("Output format.")),
    ) -> None:
        settings = state(ctx).settings()
        path = settings.warehouse_path
        if not path.exists():
            output.info(_("No warehouse at {path} yet: nothing has been written back.")
                        .format(path=path))
            return
        with Warehouse.open(path, holder="sgl writeback log",
                            lock_timeout=settings.warehouse.lock_timeout_seconds) as warehouse:
            rows = warehouse.read("writeback_log", filters={"run_id": run} if run else None)
        if run:
            output.emit(rows.sort("logged_at", "source", "object", "source_id", "field")
                        .select("logged_at", *PREVIEW_COLUMNS), output_format,
                        title=_("Write-back run {run}").format(run=run), headers=_headers())
            return
        output.emit(run_summary(rows), output_format, title=_("Write-back runs"),
                    headers={"run_id": _("Run"), "started_at": _("Started"),
                             "rows": _("Rows"), "written": _("Written"),
                             "dry_run": _("Dry run"), "skipped": _("Skipped"),
                             "failed": _("Failed")})

    app.add_typer(writeback_app, name="writeback")


def run_summary(rows: pl.DataFrame) -> pl.DataFrame:
    """Return one line per run with its start and row counts per kind of result."""
    result = pl.col("result")
    return (
        rows.group_by("run_id")
        .agg(pl.col("logged_at").min().alias("started_at"), pl.len().alias("rows"),
             (result == "written").sum().alias("written"),
             (result == "dry_run").sum().alias("dry_run"),
             result.str.starts_with("skipped").sum().alias("skipped"),
             (result == "failed").sum().alias("failed"))
        .sort("started_at", descending=True)
    )


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{result} {count}" for result, count in counts.items()) or "-"


def _headers() -> dict[str, str]:
    return {"logged_at": _("Logged"), "source": _("Source"), "object": _("Object"),
            "source_id": _("Record id"), "field": _("Field"), "before": _("Before"),
            "after": _("After"), "result": _("Result"), "error": _("Error")}
