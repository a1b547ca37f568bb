"""Exceptions of the shared package, named for what the caller should do.

    SglError                   the user must act; the CLI prints it and exits with 1
    ├── ConfigError            settings file or environment override invalid (one line per problem)
    ├── SecretMissingError     a credential is in neither a Secret block nor the environment
    └── WarehouseError         the warehouse cannot be used as asked
        ├── WarehouseBusyError     another process holds the warehouse (a sync is in progress)
        └── SchemaVersionError     the file was written by a newer version of sgl

Messages are already translated into the active locale when the exception is raised. They
carry ids, paths and setting names, never secret values or CRM record contents.
"""

from __future__ import annotations


class SglError(Exception):
    """An error the user must act on; ``str(error)`` is the message shown to them."""


class ConfigError(SglError):
    """Invalid settings; ``problems`` contains one translated line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class SecretMissingError(SglError):
    """A credential is not configured."""


class WarehouseError(SglError):
    """The warehouse cannot be opened or changed as requested."""


class WarehouseBusyError(WarehouseError):
    """Another process has the warehouse open."""


class SchemaVersionError(WarehouseError):
    """The warehouse schema is newer than this version of sgl supports."""
