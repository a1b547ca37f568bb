"""``sgl sync`` and ``sgl backfill``: run the ``nightly-sync`` and ``backfill`` flows.

``sgl sync`` pulls changes, attributes them and writes tags back in the configured
``[writeback] mode``; ``sgl backfill`` re-pulls a date range and recomputes. Both run the
flows in this process on Prefect's local server (or the server of ``PREFECT_API_URL``).

Exit codes: 0 when every object was pulled, 1 when one failed or the API budget stopped the
run (the summary names the object, and the next run resumes), 2 for bad usage.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from connectors.registry import load_connectors
from flows.steps import backfill_dates
from sgl.cli import output
from sgl.cli.context import state
from sgl.cli.output import OutputFormat
from sgl.errors import SglError
from sgl.i18n import _
from sgl.settings import Settings


def register(app: typer.Typer) -> None:
    @app.command("sync", help=_("Pull the records changed since the last sync from each "
                                "enabled CRM into the warehouse and attribute them (the "
                                "nightly-sync flow without write-back)."))
    def sync(
        ctx: typer.Context,
        source: str = typer.Option(None, "--source", help=_("Pull only this source: "
                                                            "salesforce or hubspot.")),
        object_name: list[str] = typer.Option(None, "--object", help=_(
            "Pull only this CRM object, e.g. Lead; repeat for more.")),
        output_format: OutputFormat = typer.Option(OutputFormat.table, "--format",
                                                   help=_("Output format.")),
    ) -> None:
        cli_state = state(ctx)
        sources = _sources(cli_state.settings(), source, object_name)
        from flows.nightly import nightly_sync

        # Write-back stays with the nightly deployment and `sgl writeback`, so a sync
        # before the CRM fields exist still pulls and attributes.
        _run_flow(lambda: nightly_sync(config_path=cli_state.config_path, sources=sources,
                                       objects=object_name or None, write_back=False),
                  output_format)

    @app.command("backfill", help=_("Pull again the records created in [--from, --to), "
                                    "month by month; the incremental watermark stays."))
    def backfill(
        ctx: typer.Context,
        date_from: str = typer.Option(..., "--from", help=_(
            "First day, YYYY-MM-DD, in the configured time zone.")),
        date_to: str = typer.Option(..., "--to", help=_(
            "Day after the last one, YYYY-MM-DD, in the configured time zone.")),
        source: str = typer.Option(None, "--source", help=_("Pull only this source: "
                                                            "salesforce or hubspot.")),
        object_name: list[str] = typer.Option(None, "--object", help=_(
            "Pull only this CRM object, e.g. Lead; repeat for more.")),
        recompute: bool = typer.Option(False, "--recompute", help=_(
            "Attribute every record again after the pull.")),
        rerender: bool = typer.Option(False, "--rerender", help=_(
            "Render again (never send) the reports of the months in the range.")),
        output_format: OutputFormat = typer.Option(OutputFormat.table, "--format",
                                                   help=_("Output format.")),
    ) -> None:
        try:
            start, end = backfill_dates(date_from, date_to)
        except SglError as error:
            _usage_error(str(error))
        if start >= end:
            _usage_error(_("--from {start} must be before --to {end}.").format(
                start=start, end=end))
        cli_state = state(ctx)
        sources = _sources(cli_state.settings(), source, object_name)
        from flows.backfill import backfill as backfill_flow

        _run_flow(lambda: backfill_flow(start=start.isoformat(), end=end.isoformat(),
                                        config_path=cli_state.config_path, sources=sources,
                                        objects=object_name or None, recompute=recompute,
                                        rerender=rerender), output_format)


def _usage_error(message: str) -> None:
    output.error(message)
    raise typer.Exit(2)


def _sources(settings: Settings, source: str | None, objects: list[str] | None) -> list[str]:
    """Return the sources to pull, checking --source and --object; exit 2 on bad usage."""
    factories = load_connectors()
    if source is not None and source not in factories:
        _usage_error(_("Unknown source {source!r}: use one of {known}.").format(
            source=source, known=", ".join(sorted(factories))))
    names = [source] if source else [name for name, factory in sorted(factories.items())
                                     if factory.enabled(settings)]
    if not names:
        _usage_error(_("No CRM is enabled. Set enabled = true under [sources.salesforce] or "
                       "[sources.hubspot], or name one with --source."))
    if objects:
        if len(names) > 1:
            _usage_error(_("--object needs --source, because object names differ between "
                           "CRMs."))
        known = factories[names[0]].objects
        unknown = [name for name in objects if name not in known]
        if unknown:
            _usage_error(_("Unknown {source} objects: {objects}. Use one of: {known}.").format(
                source=names[0], objects=", ".join(unknown), known=", ".join(known)))
    return names


def _run_flow(run: Callable[[], dict[str, Any]], output_format: OutputFormat) -> None:
    """Run a sync flow, print its per-object summary, and exit 1 when an object failed."""
    from flows.nightly import SyncFailed

    try:
        result = run()
    except SyncFailed as error:
        output.emit(error.result["pulls"], output_format, title=_("Sync summary"),
                    headers=_headers())
        output.error(str(error))
        raise typer.Exit(1) from None
    output.emit(result["pulls"], output_format, title=_("Sync summary"), headers=_headers())
    attribution = result.get("attribution")
    if attribution:
        output.info(_("Attributed {leads} leads and {opportunities} opportunities; {changed} "
                      "changed origin or channel.").format(**attribution))
    writeback = result.get("writeback")
    if writeback:
        output.info(_("Write-back {run} ({mode}): {written} written, {dry_run} previewed, "
                      "{skipped} skipped, {failed} failed.").format(
            run=writeback["run_id"], mode=writeback["mode"], written=writeback["written"],
            dry_run=writeback["dry_run"], skipped=writeback["skipped"],
            failed=writeback["failed"]))


def _headers() -> dict[str, str]:
    return {
        "source": _("Source"), "object": _("Object"), "status": _("Status"),
        "records": _("Records"), "deleted": _("Deleted"), "pages": _("Pages"),
        "api_calls": _("API calls"), "seconds": _("Seconds"), "mode": _("API"),
        "missing_fields": _("Unreadable fields"), "malformed": _("Malformed values"),
        "error": _("Error"),
    }
