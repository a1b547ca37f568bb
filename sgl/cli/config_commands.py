"""``sgl init`` and ``sgl config check``."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

import typer

from sgl import i18n
from sgl.cli import output
from sgl.cli.context import state
from sgl.cli.output import OutputFormat
from sgl.errors import ConfigError, SglError
from sgl.i18n import _
from sgl.secrets import HUBSPOT_SECRETS, SALESFORCE_SECRETS, SMTP_SECRETS, resolve_secrets
from sgl.settings import DEFAULT_CONFIG_NAME, Settings


def sample_config(locale: str) -> str:
    """Return the commented sample settings file in ``locale``."""
    return files("sgl").joinpath("templates", f"sgl.{locale}.toml").read_text(encoding="utf-8")


def register(app: typer.Typer) -> None:
    config_app = typer.Typer(help=_("Check the settings."), no_args_is_help=True)
    app.add_typer(config_app, name="config")

    @app.command("init", help=_("Write a commented sample settings file (sgl.toml)."))
    def init(
        path: Path = typer.Option(Path(DEFAULT_CONFIG_NAME), "--path",
                                  help=_("Where to write the settings file.")),
        force: bool = typer.Option(False, "--force",
                                   help=_("Overwrite an existing file.")),
    ) -> None:
        if path.exists() and not force:
            raise SglError(_("{path} already exists. Use --force to overwrite it.").format(
                path=path))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sample_config(i18n.get_locale()), encoding="utf-8")
        rules = path.with_name("sgl-rules.toml")
        if force or not rules.exists():
            from transforms.rules import sample_rules_text

            rules.write_text(sample_rules_text(), encoding="utf-8")
        output.info(_("Wrote {path}. Edit it, then run `sgl config check`.").format(path=path))

    @config_app.command("check", help=_("Validate the settings; with --online, also try each "
                                        "configured connection."))
    def check(
        ctx: typer.Context,
        online: bool = typer.Option(False, "--online",
                                    help=_("Connect to each enabled CRM and the mail server.")),
        output_format: OutputFormat = typer.Option(OutputFormat.table, "--format",
                                                   help=_("Output format.")),
    ) -> None:
        try:
            settings = state(ctx).settings()
        except ConfigError as error:
            output.error(_("The settings are invalid:"))
            for problem in error.problems:
                output.error(f"  - {problem}")
            raise typer.Exit(1) from None

        rows = offline_checks(settings)
        if online:
            rows.extend(online_checks(settings))
        output.emit(rows, output_format, title=_("Settings check"),
                    headers={"check": _("Check"), "status": _("Status"),
                             "detail": _("Detail")})
        if any(row["status"] != "ok" for row in rows):
            raise typer.Exit(1)


def offline_checks(settings: Settings) -> list[dict[str, str]]:
    """Describe the settings file, the warehouse and whether each credential is present."""
    config_file = str(settings.config_file) if settings.config_file else _("none (defaults)")
    rows = [
        _row(_("settings file"), ok=True, detail=config_file),
        _row(_("warehouse"), ok=True, detail=str(settings.warehouse_path)),
    ]

    credential_sets = []
    if settings.sources.salesforce.enabled:
        source = settings.sources.salesforce
        credential_sets.append(("salesforce", "Salesforce", SALESFORCE_SECRETS[source.auth],
                                source.secret_block, "sources.salesforce.secret_block"))
    if settings.sources.hubspot.enabled:
        source = settings.sources.hubspot
        credential_sets.append(("hubspot", "HubSpot", HUBSPOT_SECRETS, source.secret_block,
                                "sources.hubspot.secret_block"))
    if settings.report.smtp_username:
        credential_sets.append(("smtp", "SMTP", SMTP_SECRETS, settings.report.secret_block,
                                "report.secret_block"))

    for name, label, specs, block, setting_key in credential_sets:
        check = _("{name} credentials").format(name=name)
        try:
            resolve_secrets(label, specs, block, os.environ, setting_key)
            rows.append(_row(check, ok=True, detail=_("present")))
        except SglError as error:
            rows.append(_row(check, ok=False, detail=str(error)))

    rows.append(_rules_check(settings))

    if not settings.sources.salesforce.enabled and not settings.sources.hubspot.enabled:
        rows.append(_row(_("sources"), ok=True,
                         detail=_("no CRM enabled; imports and the demo still work")))
    return rows


def _rules_check(settings: Settings) -> dict[str, str]:
    """Load the attribution rules file, so a broken one is found before the nightly sync."""
    from sgl.attribution_store import rules_for

    try:
        rules = rules_for(settings)
    except SglError as error:
        return _row(_("rules file"), ok=False, detail=str(error))
    return _row(_("rules file"), ok=True, detail=_("{count} rules in {file}").format(
        count=len(rules.rules), file=rules.name))


def online_checks(settings: Settings) -> list[dict[str, str]]:
    """Try each enabled connection once."""
    from connectors.checks import check_hubspot, check_salesforce
    from reports.smtp import connect, smtp_password

    rows = []
    if settings.sources.salesforce.enabled:
        result = check_salesforce(settings, os.environ)
        rows.append(_row(_("salesforce connection"), ok=result.ok, detail=result.detail))
    if settings.sources.hubspot.enabled:
        result = check_hubspot(settings, os.environ)
        rows.append(_row(_("hubspot connection"), ok=result.ok, detail=result.detail))

    if settings.report.recipients or settings.report.smtp_username:
        report = settings.report
        try:
            client = connect(report, smtp_password(report, os.environ))
            client.quit()
            detail = _("connected to {host}:{port}").format(host=report.smtp_host,
                                                           port=report.smtp_port)
            rows.append(_row(_("mail server"), ok=True, detail=detail))
        except SglError as error:
            rows.append(_row(_("mail server"), ok=False, detail=str(error)))
    return rows


def _row(check: str, *, ok: bool, detail: str) -> dict[str, str]:
    # The status stays "ok" or "failed" in every language: scripts read it from JSON and CSV.
    return {"check": check, "status": "ok" if ok else "failed", "detail": detail}
