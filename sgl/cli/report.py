"""``sgl report``: render (preview by default), archive and send the monthly report; resend."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import typer

from reports.adapter import build_model
from reports.delivery import envelope_from_settings, resend
from reports.kpi_source import collect
from reports.monthly import render_and_archive, report_locale
from reports.smtp import smtp_password
from sgl.cli import output
from sgl.cli.context import state
from sgl.errors import SglError
from sgl.i18n import _
from sgl.settings import Settings
from sgl.warehouse import Warehouse


def register(app: typer.Typer) -> None:
    report_app = typer.Typer(
        help=_("Render the monthly report (a preview unless --send), archive it and send it."),
        invoke_without_command=True, no_args_is_help=False)

    @report_app.callback()
    def report(
        ctx: typer.Context,
        month: str = typer.Option(None, "--month", help=_("Month to report, as YYYY-MM.")),
        as_of: str = typer.Option(None, "--as-of",
                                  help=_("Date the figures are computed as of, as YYYY-MM-DD "
                                         "(default: today).")),
        lang: str = typer.Option(None, "--lang", help=_("Language of the report: ja or en.")),
        send: bool = typer.Option(False, "--send", help=_("Send the report by email.")),
        to: list[str] = typer.Option(None, "--to",
                                     help=_("Recipient in place of [report] recipients; "
                                            "repeat for more.")),
        force: bool = typer.Option(False, "--force",
                                   help=_("Send even if this month's report was already "
                                          "sent.")),
    ) -> None:
        if ctx.invoked_subcommand is not None:
            return
        if month is None:
            raise typer.BadParameter(_("--month is required, e.g. --month 2026-04."))
        settings = state(ctx).settings()
        locale = report_locale(settings, _language(lang))
        when = _as_of(as_of, settings)
        if (to or force) and not send:
            raise typer.BadParameter(_("--to and --force apply only with --send."))
        if send:
            _send_with_flow(ctx, _month(month), when, locale, to, force)
            return

        # A preview starts no Prefect server: it renders and archives with the plain functions.
        with _open_writer(settings, "sgl report") as warehouse:
            snapshot, context = collect(warehouse, settings, _month(month), when)
            rendered = render_and_archive(warehouse, build_model(snapshot, context), settings,
                                          locale)
        for _name, path in sorted(rendered.archived.paths.items()):
            output.stdout.print(str(path), markup=False, highlight=False)
        if rendered.restated:
            output.info(_("Marked as restated: the figures differ from the report "
                          "already sent."))
        output.info(_("Preview only: nothing was sent. Add --send to email it."))

    @report_app.command("resend", help=_("Send the archived report of a month again, "
                                         "unchanged."))
    def resend_command(
        ctx: typer.Context,
        month: str = typer.Option(..., "--month", help=_("Month to report, as YYYY-MM.")),
        lang: str = typer.Option(None, "--lang", help=_("Language of the report: ja or en.")),
        to: list[str] = typer.Option(None, "--to",
                                     help=_("Recipient in place of [report] recipients; "
                                            "repeat for more.")),
    ) -> None:
        settings = state(ctx).settings()
        locale = report_locale(settings, _language(lang))
        envelope = envelope_from_settings(settings.report, to)
        password = smtp_password(settings.report, os.environ)
        with _open_writer(settings, "sgl report resend") as warehouse:
            outcome = resend(warehouse, _month(month), locale, settings.report, envelope,
                             password)
        output.info(_("Sent the archived {period} report again to {count} recipients.")
                    .format(period=outcome.period, count=len(outcome.recipients)))

    app.add_typer(report_app, name="report")


def _send_with_flow(ctx: typer.Context, month: str, when: date, locale: str,
                    to: list[str] | None, force: bool) -> None:
    """Render and send through the `monthly-report` flow, as the scheduled deployment does."""
    from flows.report import monthly_report

    result = monthly_report(config_path=state(ctx).config_path, month=month,
                            as_of=when.isoformat(), locales=[locale], send=True, force=force,
                            recipients=list(to) if to else None)
    if not result["reports"]:
        # The flow skips a report that was already sent (or may have been), and its note
        # gives the reason.
        raise SglError(result["skipped"])

    sent = result["reports"][0]
    for path in sorted(Path(sent["folder"]).iterdir()):
        if path.name != "manifest.json":
            output.stdout.print(str(path), markup=False, highlight=False)
    if sent["restated"]:
        output.info(_("Marked as restated: the figures differ from the report already sent."))
    output.info(_("Sent the {period} report to {count} recipients.").format(
        period=month, count=sent["sent_to"]))


def _open_writer(settings: Settings, holder: str):  # type: ignore[no-untyped-def]
    return Warehouse.open(settings.warehouse_path, write=True, holder=holder,
                          lock_timeout=settings.warehouse.lock_timeout_seconds)


def _language(value: str | None) -> str | None:
    if value is not None and value not in ("ja", "en"):
        raise typer.BadParameter(_("Unknown language {value!r}: use ja or en.").format(
            value=value))
    return value


def _month(value: str) -> str:
    try:
        date.fromisoformat(value + "-01")
    except ValueError:
        raise typer.BadParameter(_("Invalid month {month!r}: expected YYYY-MM, such as "
                                   "2025-04.").format(month=value),
                                 param_hint="--month") from None
    return value


def _as_of(value: str | None, settings: Settings) -> date:
    if value is None:
        return datetime.now(ZoneInfo(settings.general.timezone)).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(_("Invalid date {value!r}: expected YYYY-MM-DD, such as "
                                   "2026-05-07.").format(value=value),
                                 param_hint="--as-of") from None
