"""Records that CRM writers receive and return, and the split of batches a CRM rejects."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from connectors.errors import ConnectorError

logger = logging.getLogger(__name__)

# Error text kept per failed record in the write-back log (CRM code and message).
MAX_ERROR_LENGTH = 500


@dataclass(frozen=True)
class RecordChange:
    """The fields to set on one CRM record: ``{field name: value}``."""

    source_id: str
    values: dict[str, str]


@dataclass(frozen=True)
class RecordOutcome:
    """The result of one record: ``error`` is None when the CRM accepted the update."""

    source_id: str
    error: str | None = None


def error_text(code: str, message: str = "") -> str:
    """Return ``CODE: message`` cut to the length the log keeps."""
    text = f"{code}: {message}" if message else code
    return text[:MAX_ERROR_LENGTH]


def rejects_whole_batch(error: ConnectorError) -> bool:
    """Tell whether the CRM rejected a batch for its content (HTTP 400), not for access."""
    return error.status == 400


def write_splitting(send: Callable[[Sequence[RecordChange]], list[RecordOutcome]],
                    changes: Sequence[RecordChange], label: str) -> list[RecordOutcome]:
    """Send ``changes``; when the CRM rejects the whole batch, send each half on its own.

    Halving isolates the record that makes a batch invalid in about 2·log2(n) extra calls.
    A single record that is still rejected fails with the CRM's error code. Other errors
    (access, retries exhausted) propagate.
    """
    try:
        return send(changes)
    except ConnectorError as error:
        if not rejects_whole_batch(error):
            raise
        if len(changes) == 1:
            logger.warning("write-back batch %s: record %s rejected (%s)", label,
                           changes[0].source_id, error.code)
            return [RecordOutcome(changes[0].source_id, error_text(error.code or "REJECTED"))]
        logger.warning("write-back batch %s of %d records rejected (%s); splitting it", label,
                       len(changes), error.code)
        middle = len(changes) // 2
        return (write_splitting(send, changes[:middle], label + "a")
                + write_splitting(send, changes[middle:], label + "b"))
