"""State shared by the commands of one ``sgl`` invocation."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import typer

from sgl.logs import configure_cli_logging
from sgl.settings import Settings, load_settings


@dataclass
class CliState:
    config_path: str | None
    verbosity: int = 0
    _settings: Settings | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        configure_cli_logging(self.verbosity)

    def settings(self) -> Settings:
        """Load the settings once; a ConfigError reaches the user as one line per problem."""
        if self._settings is None:
            path = Path(self.config_path) if self.config_path else None
            self._settings = load_settings(path, os.environ)
        return self._settings


def state(ctx: typer.Context) -> CliState:
    return ctx.find_object(CliState)
