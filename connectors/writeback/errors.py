"""Write-back exceptions, named for what the caller should do.

    SglError (sgl.errors)
    ├── WritebackDisabled      [writeback] mode is off: turn it on to write
    ├── ChangeCapExceeded      more records to change than the per-run cap: confirm or narrow
    └── ConnectorError (connectors.errors)
        └── TargetFieldsInvalid    a target field is missing, read-only or lacks a value:
                                   an admin fixes the CRM, nothing was written

Per-record failures (deleted record, validation rule, locked row, converted lead) are not
exceptions: they become ``failed`` rows of the write-back log and the run goes on.
"""

from __future__ import annotations

from connectors.errors import ConnectorError
from sgl.errors import SglError


class WritebackDisabled(SglError):
    """``[writeback] mode = "off"``: nothing may be written to a CRM."""


class ChangeCapExceeded(SglError):
    """The run would change more records than ``max_changes_per_run``; nothing was written."""

    def __init__(self, message: str, *, planned: int, cap: int) -> None:
        super().__init__(message)
        self.planned = planned
        self.cap = cap


class TargetFieldsInvalid(ConnectorError):
    """Target fields cannot receive the values; ``problems`` has one line per field."""

    def __init__(self, message: str, *, problems: list[str]) -> None:
        super().__init__(message, code="TARGET_FIELDS_INVALID")
        self.problems = problems
