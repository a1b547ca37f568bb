"""``sgl import``: load CRM exports and spreadsheets into the warehouse.

- ``sgl import csv --mapping FILE CSV…`` maps any CSV with a TOML mapping (a path, or the
  name of a shipped one: zoho_crm, maven_crm, x_education);
- ``sgl import hubspot FILE…`` reads HubSpot exports by their English or Japanese labels;
- ``sgl import salesforce DIR`` reads a Data Export / Data Loader folder with API field names
  through the same normalizer as the API pull.

Records keep the CRM's ids: HubSpot and Salesforce imports write source ``hubspot`` and
``salesforce``, so a later API pull updates the same rows, while spreadsheets write
``import:<mapping name>``. The runs are plain functions in ``flows.imports``; this module
parses the options and prints the counts.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import typer

from connectors.files.mapping_file import shipped_mappings
from flows.imports import import_salesforce_export, import_with_mapping
from sgl.cli import output
from sgl.cli.context import state
from sgl.cli.output import OutputFormat
from sgl.i18n import _

__all__ = ["import_salesforce_export", "import_with_mapping", "register", "summary_table"]

HUBSPOT_MAPPING = "hubspot_export"
SUMMARY_KEYS = ["file", "object", "table", "field", "column"]


def register(app: typer.Typer) -> None:
    imports = typer.Typer(help=_("Load CRM exports and spreadsheets into the warehouse."),
                          no_args_is_help=True)
    app.add_typer(imports, name="import")

    encoding_help = _("Encoding of the files, such as utf-8 or cp932 (default: detected).")
    format_help = _("Output format.")

    @imports.command("csv", help=_("Import CSV files with a TOML mapping that names which "
                                   "column feeds which field."))
    def import_csv(
        ctx: typer.Context,
        files: list[Path] = typer.Argument(..., help=_("CSV files to import.")),
        mapping: str = typer.Option(
            ..., "--mapping", "-m",
            help=_("Mapping file (TOML), or the name of a shipped mapping: {names}.").format(
                names=", ".join(shipped_mappings()))),
        encoding: str = typer.Option(None, "--encoding", help=encoding_help),
        output_format: OutputFormat = typer.Option(OutputFormat.table, "--format",
                                                   help=format_help),
    ) -> None:
        settings = state(ctx).settings()
        counts = import_with_mapping(settings, mapping, files, encoding=encoding)
        _emit(counts, output_format)

    @imports.command("hubspot", help=_("Import HubSpot export CSVs (contacts, companies, "
                                       "deals) with English or Japanese column labels."))
    def import_hubspot(
        ctx: typer.Context,
        files: list[Path] = typer.Argument(..., help=_("HubSpot export files.")),
        object_name: str = typer.Option(
            None, "--object", help=_("The files' object: contacts, companies or deals "
                                     "(default: detected from the columns).")),
        encoding: str = typer.Option(None, "--encoding", help=encoding_help),
        output_format: OutputFormat = typer.Option(OutputFormat.table, "--format",
                                                   help=format_help),
    ) -> None:
        settings = state(ctx).settings()
        zone = settings.imports.hubspot_timezone or settings.general.timezone
        counts = import_with_mapping(settings, HUBSPOT_MAPPING, files, encoding=encoding,
                                     object_name=object_name, naive_zone=zone)
        _emit(counts, output_format)

    @imports.command("salesforce", help=_("Import a folder of Salesforce Data Export or Data "
                                          "Loader CSVs (Lead.csv, Opportunity.csv, ...)."))
    def import_salesforce(
        ctx: typer.Context,
        folder: Path = typer.Argument(..., help=_("Folder with the export's CSV files.")),
        encoding: str = typer.Option(None, "--encoding", help=encoding_help),
        output_format: OutputFormat = typer.Option(OutputFormat.table, "--format",
                                                   help=format_help),
    ) -> None:
        settings = state(ctx).settings()
        counts = import_salesforce_export(settings, folder, encoding=encoding)
        skipped = counts.filter(pl.col("measure") == "skipped_files")["count"].sum()
        _emit(counts.filter(pl.col("measure") != "skipped_files"), output_format)
        if skipped:
            output.info(_("Skipped {count} files that are not Salesforce objects this import "
                          "reads.").format(count=skipped))


# -- output -------------------------------------------------------------------------------------


def summary_table(counts: pl.DataFrame) -> pl.DataFrame:
    """Pivot the counts: one row per file, object, field and column, one column per measure."""
    if counts.is_empty():
        return counts
    named = counts.with_columns(pl.col("file").map_elements(lambda file: Path(file).name,
                                                            return_dtype=pl.Utf8))
    return named.pivot(on="measure", index=SUMMARY_KEYS, values="count",
                       aggregate_function="sum", maintain_order=True)


def _emit(counts: pl.DataFrame, output_format: OutputFormat) -> None:
    if output_format is OutputFormat.table:
        output.emit(summary_table(counts), output_format, title=_("Import counts"),
                    headers=_headers())
    else:
        output.emit(counts, output_format)


def _headers() -> dict[str, str]:
    return {
        "file": _("File"), "object": _("Object"), "table": _("Table"), "field": _("Field"),
        "column": _("Column"), "rows_read": _("Rows read"), "rows_written": _("Rows written"),
        "mapped": _("Mapped"), "missing": _("Missing"), "malformed": _("Malformed"),
        "replaced": _("Replaced"), "placeholders": _("Placeholders"), "absent": _("Absent"),
        "linked": _("Linked"), "unlinked": _("Unlinked"),
        "created_before_link": _("Created before link"), "filled": _("Filled"),
        "duplicate_ids": _("Duplicate ids"), "missing_id": _("Missing id"),
    }
