"""``sgl demo``: the main job end to end on generated data."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import typer

from sgl.cli import output
from sgl.cli.output import OutputFormat
from sgl.errors import SglError
from sgl.i18n import _

# The demo company is Japanese: "today" is the date in Tokyo.
DEMO_ZONE = ZoneInfo("Asia/Tokyo")


def register(app: typer.Typer) -> None:
    @app.command("demo", help=_("Run the main job on a local CRM sandbox with generated data."))
    def demo(
        as_of: str = typer.Option(None, "--as-of", metavar="YYYY-MM-DD",
                                  help=_("Date the generated history ends (default: today).")),
        size: int = typer.Option(2_000, "--size", min=100, max=1_000_000,
                                 help=_("Number of generated Salesforce leads.")),
        directory: Path = typer.Option(Path("var/demo"), "--dir",
                                       help=_("Folder for the demo project; replaced on each "
                                              "run.")),
        output_format: OutputFormat = typer.Option(OutputFormat.table, "--format",
                                                   help=_("Output format.")),
    ) -> None:
        from flows.demo import run_demo

        try:
            day = date.fromisoformat(as_of) if as_of else datetime.now(DEMO_ZONE).date()
        except ValueError:
            raise typer.BadParameter(_("{value!r} is not a date in the form YYYY-MM-DD.")
                                     .format(value=as_of), param_hint="--as-of") from None

        output.info(_("Starting the CRM sandbox with {size} generated leads up to {day}…")
                    .format(size=size, day=day.isoformat()))
        result = run_demo(directory, day, size)

        counts = [{"object": name, "records": count}
                  for name, count in sorted(result.record_counts.items())]
        output.emit(counts, output_format, title=_("Generated records in the sandbox"),
                    headers={"object": _("Object"), "records": _("Records")})
        output.emit(result.checks, output_format, title=_("Connection checks"),
                    headers={"target": _("CRM"), "status": _("Status"), "detail": _("Detail")})
        output.info(_("Demo project: {path}").format(path=result.project_dir))
        output.info(_("Warehouse: {path} (schema version {version})").format(
            path=result.warehouse_path, version=result.schema_version))
        output.info(_("Pulling, attribution, KPIs, the report and write-back are not built yet, "
                      "so this demo shows no SGL figures."))
        if any(check["status"] != "ok" for check in result.checks):
            raise SglError(_("A connection to the sandbox failed; see the table above."))
