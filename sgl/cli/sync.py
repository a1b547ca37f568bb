"""``sgl sync`` and ``sgl backfill``: pull CRM records into the warehouse, with a progress bar.

Exit codes: 0 when every object was pulled, 1 when one failed or the API budget stopped the
run (the summary names the object, and the next run resumes), 2 for bad usage.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from connectors.pull import Progress as PullProgress
from connectors.pull import ProgressCallback
from connectors.registry import load_connectors
from flows.steps import SyncSummary, backfill_dates, backfill_source, sync_source
from sgl.cli import output
from sgl.cli.context import state
from sgl.cli.output import OutputFormat
from sgl.errors import SglError
from sgl.i18n import _
from sgl.settings import Settings


def register(app: typer.Typer) -> None:
    @app.command("sync", help=_("Pull the records changed since the last sync from each "
                                "enabled CRM into the warehouse."))
    def sync(
        ctx: typer.Context,
        source: str = typer.Option(None, "--source", help=_("Pull only this source: "
                                                            "salesforce or hubspot.")),
        object_name: list[str] = typer.Option(None, "--object", help=_(
            "Pull only this CRM object, e.g. Lead; repeat for more.")),
        output_format: OutputFormat = typer.Option(OutputFormat.table, "--format",
                                                   help=_("Output format.")),
    ) -> None:
        settings = state(ctx).settings()
        sources = _sources(settings, source, object_name)
        summaries = []
        with _progress_bar(output_format) as progress:
            for name in sources:
                summaries.append(sync_source(settings, name, object_name or None, progress))
        _finish(summaries, output_format)

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
        settings = state(ctx).settings()
        sources = _sources(settings, source, object_name)
        summaries = []
        with _progress_bar(output_format) as progress:
            for name in sources:
                summaries.append(backfill_source(settings, name, start, end,
                                                 object_name or None, progress))
        _finish(summaries, output_format)


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


@contextmanager
def _progress_bar(output_format: OutputFormat) -> Iterator[ProgressCallback | None]:
    """Yield a callback drawing one bar per object on stderr; tables only, and a terminal."""
    if output_format is not OutputFormat.table or not output.stderr.is_terminal:
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(),
               TextColumn("{task.completed:,.0f} " + _("records")),
               TextColumn("{task.fields[rate]:,.0f}/s"), TimeElapsedColumn())
    with Progress(*columns, console=output.stderr, transient=False) as bar:
        tasks: dict[tuple[str, str], int] = {}

        def report(progress: PullProgress) -> None:
            key = (progress.source, progress.object)
            if key not in tasks:
                tasks[key] = bar.add_task(f"{progress.source} {progress.object}",
                                          total=progress.total, rate=0.0)
            bar.update(tasks[key], completed=progress.records,
                       rate=progress.records_per_second)

        yield report


def _finish(summaries: list[SyncSummary], output_format: OutputFormat) -> None:
    rows = [row for summary in summaries for row in summary.rows()]
    output.emit(rows, output_format, title=_("Sync summary"), headers=_headers())
    if any(summary.stopped for summary in summaries):
        output.error(_("The run stopped early at the API budget; the next run continues "
                       "from the saved position."))
        raise typer.Exit(1)
    if not all(summary.ok for summary in summaries):
        output.error(_("Some objects failed; see the error column and run `sgl status`."))
        raise typer.Exit(1)


def _headers() -> dict[str, str]:
    return {
        "source": _("Source"), "object": _("Object"), "status": _("Status"),
        "records": _("Records"), "deleted": _("Deleted"), "pages": _("Pages"),
        "api_calls": _("API calls"), "seconds": _("Seconds"), "mode": _("API"),
        "missing_fields": _("Unreadable fields"), "malformed": _("Malformed values"),
        "error": _("Error"),
    }
