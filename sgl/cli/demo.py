"""``sgl demo``: the main job end to end, on generated data or on exported CSV files."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import typer

from sgl.cli import output
from sgl.cli.output import OutputFormat
from sgl.i18n import _

# The demo company is Japanese: "today" is the date in Tokyo.
DEMO_ZONE = ZoneInfo("Asia/Tokyo")


def register(app: typer.Typer) -> None:
    @app.command("demo", help=_("Run the main job end to end: on a local CRM sandbox with "
                                "generated data, or on exported CSV files with --data."))
    def demo(
        as_of: str = typer.Option(None, "--as-of", metavar="YYYY-MM-DD",
                                  help=_("Date the generated history ends (default: today).")),
        size: int = typer.Option(2_000, "--size", min=100, max=1_000_000,
                                 help=_("Number of generated Salesforce leads.")),
        data: Path = typer.Option(None, "--data", metavar="DIR",
                                  help=_("Folder of exported CSV files to report on instead "
                                         "of generated data; needs --mapping.")),
        mapping: str = typer.Option(None, "--mapping", metavar="FILE",
                                    help=_("Mapping of the --data files: a TOML file or a "
                                           "shipped mapping name such as zoho_crm.")),
        directory: Path = typer.Option(Path("var/demo"), "--dir",
                                       help=_("Folder for the demo project; replaced on each "
                                              "run.")),
        output_format: OutputFormat = typer.Option(OutputFormat.table, "--format",
                                                   help=_("Output format.")),
    ) -> None:
        if (data is None) != (mapping is None):
            raise typer.BadParameter(_("--data and --mapping go together."),
                                     param_hint="--data")
        if data is not None and as_of:
            raise typer.BadParameter(_("--as-of applies to generated data only; with --data "
                                       "the report covers the data's last full month."),
                                     param_hint="--as-of")
        try:
            day = date.fromisoformat(as_of) if as_of else datetime.now(DEMO_ZONE).date()
        except ValueError:
            raise typer.BadParameter(_("{value!r} is not a date in the form YYYY-MM-DD.")
                                     .format(value=as_of), param_hint="--as-of") from None

        if data is not None:
            from flows.demo import run_file_demo

            if not data.is_dir():
                raise typer.BadParameter(_("{path} is not a folder.").format(path=data),
                                         param_hint="--data")
            output.info(_("Importing the CSV files in {path} with the mapping {mapping}…")
                        .format(path=data, mapping=mapping))
            result = run_file_demo(directory, data, mapping)
        else:
            from flows.demo import run_demo

            output.info(_("Starting the CRM sandbox with {size} generated leads up to {day}…")
                        .format(size=size, day=day.isoformat()))
            result = run_demo(directory, day, size)
        _print(result, output_format)


def _print(result, output_format: OutputFormat) -> None:  # type: ignore[no-untyped-def]
    if result.pulls:
        output.emit(result.pulls, output_format, title=_("Records pulled"),
                    headers={"source": _("Source"), "object": _("Object"),
                             "backfill": _("Backfill"), "sync": _("Nightly sync"),
                             "status": _("Status")})
    else:
        rows = [{"table": name, "rows": count} for name, count in result.record_counts.items()]
        output.emit(rows, output_format, title=_("Rows imported"),
                    headers={"table": _("Table"), "rows": _("Rows")})
    # People read the metric's name; scripts key on its id.
    headline = result.headline
    if output_format is OutputFormat.table:
        headline = [{key: value for key, value in row.items() if key != "metric"}
                    for row in headline]
    output.emit(headline, output_format,
                title=_("KPI headline for {month}").format(month=result.month),
                headers={"metric": _("Metric id"), "name": _("Metric"), "value": _("Value"),
                         "numerator": _("Numerator"), "denominator": _("Denominator"),
                         "maturing": _("Maturing")})
    if result.writeback is not None:
        output.emit([result.writeback], output_format, title=_("Write-back"),
                    headers={"run_id": _("Run"), "mode": _("Mode"),
                             "planned_records": _("Records to change"),
                             "written": _("Fields written"), "dry_run": _("Dry run"),
                             "skipped": _("Skipped"), "failed": _("Failed"),
                             "api_calls": _("API calls")})
    files = []
    for report in result.reports:
        folder = Path(report["folder"])
        files += [{"file": _("Report HTML ({locale})").format(locale=report["locale"]),
                   "path": str(folder / "report.html")},
                  {"file": _("Report PDF ({locale})").format(locale=report["locale"]),
                   "path": str(folder / "report.pdf")}]
    files += [{"file": _("Received email"), "path": str(path)} for path in result.emails]
    output.emit(files, output_format, title=_("Files"),
                headers={"file": _("File"), "path": _("Path")})
    if not result.has_origin_data:
        output.info(_("The data has no lead origin, so the report's SGL sections say so "
                      "instead of showing figures."))
    output.info(_("Demo project: {path} (finished in {seconds:.0f} s)").format(
        path=result.project_dir, seconds=result.seconds))
