"""The ``sgl sandbox serve`` command's registration and options."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from sgl.cli.sandbox import register


def test_serve_help_lists_options() -> None:
    app = typer.Typer()
    app.command("noop")(lambda: None)
    register(app)

    result = CliRunner().invoke(app, ["sandbox", "serve", "--help"])

    assert result.exit_code == 0
    for option in ("--data", "--size", "--seed", "--port"):
        assert option in result.output
