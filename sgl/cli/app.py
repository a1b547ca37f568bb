"""The ``sgl`` command: builds the Typer app in the user's language and maps errors to exit codes.

Exit codes: 0 success, 1 a failure the user must act on, 2 bad usage.

Help texts are translated when the app is built, so the language is decided first, from
``--lang``, then the settings, then ``LANG``.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping, Sequence
from importlib import import_module

import typer

from sgl import i18n
from sgl.cli import output
from sgl.cli.context import CliState
from sgl.errors import SglError
from sgl.i18n import _
from sgl.prefect_env import INTERACTIVE_ENV

logger = logging.getLogger(__name__)

# Each module has ``register(app)`` adding its commands; a module that is not there yet is skipped.
COMMAND_MODULES = (
    "sgl.cli.config_commands",
    "sgl.cli.status",
    "sgl.cli.sync",
    "sgl.cli.imports",
    "sgl.cli.attribution",
    "sgl.cli.report",
    "sgl.cli.writeback",
    "sgl.cli.sandbox",
    "sgl.cli.demo",
)


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="sgl",
        help=_("Measure Sales Generated Leads (SGL) from Salesforce and HubSpot, report them "
               "monthly and write origin tags back to the CRM."),
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )

    @app.callback()
    def main_options(
        ctx: typer.Context,
        config: str = typer.Option(None, "--config", "-c", envvar="SGL_CONFIG",
                                   help=_("Settings file (default: ./sgl.toml).")),
        lang: str = typer.Option(None, "--lang",
                                 help=_("Language of messages: ja or en.")),
        verbose: int = typer.Option(0, "--verbose", "-v", count=True, show_default=False,
                                    help=_("Show log lines: -v for progress, -vv for debugging.")),
    ) -> None:
        ctx.obj = CliState(config_path=config, verbosity=verbose)

    for name in COMMAND_MODULES:
        try:
            module = import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            continue
        module.register(app)
    return app


def choose_locale(argv: Sequence[str], env: Mapping[str, str]) -> str:
    """Pick the language: ``--lang``, then ``[general] locale``, then ``LANG``."""
    from_flag = _flag_value(argv, "--lang")
    if from_flag is not None:
        chosen = i18n.normalize_locale(from_flag)
        if chosen is None:
            # Reported as a usage error once the app runs; meanwhile messages follow LANG.
            return i18n.locale_from_environment(env)
        return chosen

    from_settings = _locale_from_settings(argv, env)
    return from_settings or i18n.locale_from_environment(env)


def _locale_from_settings(argv: Sequence[str], env: Mapping[str, str]) -> str | None:
    from pathlib import Path

    from sgl.settings import load_settings

    config = _flag_value(argv, "--config") or _flag_value(argv, "-c")
    try:
        settings = load_settings(Path(config) if config else None, env)
    except SglError:
        # An invalid file is reported by the command itself, in the language of LANG.
        return None
    return settings.general.locale


def _flag_value(argv: Sequence[str], flag: str) -> str | None:
    for index, argument in enumerate(argv):
        if argument == flag and index + 1 < len(argv):
            return argv[index + 1]
        if argument.startswith(flag + "="):
            return argument.split("=", 1)[1]
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    interactive_before = os.environ.get(INTERACTIVE_ENV)
    os.environ[INTERACTIVE_ENV] = "1"
    try:
        return _run(arguments)
    finally:
        if interactive_before is None:
            os.environ.pop(INTERACTIVE_ENV, None)
        else:
            os.environ[INTERACTIVE_ENV] = interactive_before


def _run(arguments: list[str]) -> int:
    i18n.set_locale(choose_locale(arguments, os.environ))
    app = build_app()

    lang = _flag_value(arguments, "--lang")
    if lang is not None and i18n.normalize_locale(lang) is None:
        output.error(_("Unknown language {value!r}: use ja or en.").format(value=lang))
        return 2

    command = typer.main.get_command(app)
    try:
        # Outside standalone mode Typer returns the code of a `typer.Exit` instead of raising.
        result = command.main(args=arguments, prog_name="sgl", standalone_mode=False)
    except SglError as error:
        logger.debug("command failed", exc_info=True)
        output.error(str(error))
        return 1
    except (typer.Abort, KeyboardInterrupt):
        output.error(_("Interrupted."))
        return 1
    except typer.Exit as done:
        return done.exit_code
    except typer.TyperException as error:
        # Typer's own usage errors: unknown command or option, bad value. They print
        # themselves with the usage line.
        error.show()
        return getattr(error, "exit_code", 2)
    return result if isinstance(result, int) else 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
