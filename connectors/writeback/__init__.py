"""Write-back of origin tags (origin, channel, rule id, decided-at) into Salesforce and HubSpot.

The nightly flow calls :func:`run_for_flow`; the CLI calls :func:`run_writeback` with
:class:`WritebackOptions`. Fields a person set are never overwritten, nulls are never
written, and every field attempted becomes one ``writeback_log`` row (see ``runner.py``).
CRM record contents never go into log lines or exception messages, only ids and error codes.
"""

from connectors.writeback.errors import ChangeCapExceeded, TargetFieldsInvalid, WritebackDisabled
from connectors.writeback.runner import (
    WritebackOptions,
    WritebackReport,
    run_for_flow,
    run_writeback,
    write_back,
)

__all__ = ["ChangeCapExceeded", "TargetFieldsInvalid", "WritebackDisabled", "WritebackOptions",
           "WritebackReport", "run_for_flow", "run_writeback", "write_back"]
