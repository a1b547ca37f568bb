"""Salesforce write-back: field check by describe, re-read by SOQL, sObject Collections, Bulk 2.0.

Every call goes through :meth:`SalesforceClient.call`, so 5xx responses and the concurrent
request limit (403 ``REQUEST_LIMIT_EXCEEDED``) are retried with backoff, an expired session
is renewed once, and the daily limit stops the run.

- sObject Collections (``PATCH /composite/sobjects``) update up to 200 records per call with
  ``allOrNone=false``: each record succeeds or fails on its own, and the response lists the
  results in request order.
- Bulk API 2.0 ingest (``operation=update``, CSV) takes the records of one object in one job.
  An empty CSV cell leaves a field unchanged, and write-back never writes empty values.
"""

from __future__ import annotations

import csv
import io
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import polars as pl
from simple_salesforce.bulk2 import Operation

from connectors.retry import CallContext
from connectors.salesforce.client import SOURCE, SalesforceClient
from connectors.salesforce.soql import select, string_literal
from connectors.writeback.batches import (
    RecordChange,
    RecordOutcome,
    error_text,
    write_splitting,
)
from connectors.writeback.targets import FIELD_SPECS, Target
from sgl.i18n import _
from transforms.writeback_plan import CURRENT_SCHEMA

logger = logging.getLogger(__name__)

COLLECTIONS_PATH = "composite/sobjects"
BULK_POLL_SECONDS = 2.0
# An ingest job that is not complete after this long is reported as failed for its records.
BULK_TIMEOUT_SECONDS = 3600.0


class SalesforceWriter:
    """Write-back calls on one signed-in org; ``time_scale`` shortens bulk polling in tests."""

    source = SOURCE

    def __init__(self, client: SalesforceClient, *, time_scale: float = 1.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.client = client
        self.time_scale = time_scale
        self.sleep = sleep

    @property
    def api_calls(self) -> int:
        return self.client.api_calls

    # -- field check -----------------------------------------------------------------------

    def check_fields(self, targets: Sequence[Target],
                     values: Mapping[tuple[str, str], set[str]]) -> list[str]:
        """Return one line per target field that is missing, read-only or lacks a value.

        ``values`` maps ``(object, field)`` to the values this run would write, checked
        against restricted picklists.
        """
        problems: list[str] = []
        described: dict[str, dict[str, dict[str, Any]]] = {}
        for target in targets:
            if target.object not in described:
                body = self.client.describe(target.object)
                described[target.object] = {field["name"]: field for field in body["fields"]}
            field = described[target.object].get(target.field)
            spec = FIELD_SPECS[target.part]
            if field is None:
                problems.append(_(
                    "Salesforce: field {object}.{field} does not exist or the integration user "
                    "cannot see it. Create it as a custom field of type {type} (see `sgl "
                    "writeback setup`) and give the integration user read and edit access to "
                    "it.").format(object=target.object, field=target.field,
                                  type=spec.salesforce_type))
            elif not field.get("updateable"):
                problems.append(_(
                    "Salesforce: field {object}.{field} is read-only for the integration user. "
                    "Give its profile or permission set edit access to the field.").format(
                    object=target.object, field=target.field))
            elif field.get("restrictedPicklist"):
                allowed = {entry.get("value") for entry in field.get("picklistValues") or []
                           if entry.get("active", True)}
                missing = sorted(values.get((target.object, target.field), set()) - allowed)
                if missing:
                    problems.append(_(
                        "Salesforce: the restricted picklist {object}.{field} lacks the values "
                        "{values}. Add them to the picklist.").format(
                        object=target.object, field=target.field, values=", ".join(missing)))
        return problems

    # -- re-read ---------------------------------------------------------------------------

    def read_current(self, object_name: str, ids: Sequence[str], fields: Sequence[str],
                     label: str) -> pl.DataFrame:
        """Read ``fields`` of the records ``ids`` with one SOQL query (deleted ones are absent)."""
        condition = f"(Id IN ({', '.join(string_literal(record_id) for record_id in ids)}))"
        soql = select(object_name, ["Id", *fields], [condition], [])
        context = CallContext(SOURCE, object_name, label, "write-back re-read")
        page = self.client.query(soql, include_deleted=False, context=context)
        records = list(page["records"])
        while not page.get("done", True) and page.get("nextRecordsUrl"):
            page = self.client.query_more(page["nextRecordsUrl"], context)
            records += page["records"]
        rows = [{"source_id": record["Id"], "field": field,
                 "current": None if record.get(field) is None else str(record[field])}
                for record in records for field in fields]
        return pl.DataFrame(rows, schema=CURRENT_SCHEMA)

    # -- sObject Collections ---------------------------------------------------------------

    def write(self, object_name: str, changes: Sequence[RecordChange],
              label: str) -> list[RecordOutcome]:
        """Update up to 200 records in one call, splitting a batch that is rejected whole."""
        return write_splitting(lambda part: self._collections(object_name, part, label),
                               changes, label)

    def _collections(self, object_name: str, changes: Sequence[RecordChange],
                     label: str) -> list[RecordOutcome]:
        body = {"allOrNone": False, "records": [
            {"attributes": {"type": object_name}, "Id": change.source_id, **change.values}
            for change in changes]}
        sf = self.client.sf
        if sf is None:
            raise RuntimeError("SalesforceClient.connect() must run before write-back.")
        timeout = self.client.source_settings.timeout_seconds
        context = CallContext(SOURCE, object_name, label, "write-back update")
        results = self.client.call(
            lambda: sf.restful(COLLECTIONS_PATH, method="PATCH", json=body, timeout=timeout),
            context)
        outcomes = []
        for change, result in zip(changes, results or [], strict=False):
            if result.get("success"):
                outcomes.append(RecordOutcome(change.source_id))
            else:
                first = (result.get("errors") or [{}])[0]
                outcomes.append(RecordOutcome(change.source_id, error_text(
                    str(first.get("statusCode", "UNKNOWN_ERROR")), str(first.get("message", "")))))
        # A response shorter than the request would leave records unaccounted for.
        for change in changes[len(outcomes):]:
            outcomes.append(RecordOutcome(change.source_id, error_text("NO_RESULT")))
        return outcomes

    # -- Bulk API 2.0 ingest ---------------------------------------------------------------

    def write_bulk(self, object_name: str, changes: Sequence[RecordChange],
                   label: str) -> list[RecordOutcome]:
        """Update the records in one Bulk API 2.0 ingest job and read its per-record results."""
        fields = sorted({name for change in changes for name in change.values})
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["Id", *fields])
        for change in changes:
            writer.writerow([change.source_id, *(change.values.get(name, "") for name in fields)])

        client = self.client
        context = CallContext(SOURCE, object_name, label, "write-back bulk job")
        job = client.call(lambda: client.bulk_client(object_name).create_job(Operation.update),
                          context)
        job_id = job["id"]
        data = buffer.getvalue()
        client.call(lambda: client.bulk_client(object_name).upload_job_data(job_id, data),
                    context)
        client.call(lambda: client.bulk_client(object_name).close_job(job_id), context)
        state = self._wait(object_name, job_id, context)
        logger.info("salesforce write-back bulk job %s for %s ended %s (%d records)", job_id,
                    object_name, state, len(changes))
        if state != "JobComplete":
            return [RecordOutcome(change.source_id, error_text(f"BULK_JOB_{state.upper()}"))
                    for change in changes]

        failed = _failed_results(client.call(
            lambda: client.bulk_client(object_name).get_ingest_results(job_id, "failedResults"),
            context))
        succeeded = _successful_ids(client.call(
            lambda: client.bulk_client(object_name).get_ingest_results(
                job_id, "successfulResults"), context))
        outcomes = []
        for change in changes:
            if change.source_id in failed:
                outcomes.append(RecordOutcome(change.source_id, failed[change.source_id]))
            elif change.source_id in succeeded:
                outcomes.append(RecordOutcome(change.source_id))
            else:
                outcomes.append(RecordOutcome(change.source_id, error_text("UNPROCESSED")))
        return outcomes

    def _wait(self, object_name: str, job_id: str, context: CallContext) -> str:
        waited = 0.0
        while True:
            info = self.client.call(
                lambda: self.client.bulk_client(object_name).get_job(job_id, is_query=False),
                context)
            state = str(info.get("state"))
            if state in ("JobComplete", "Failed", "Aborted"):
                return state
            if waited >= BULK_TIMEOUT_SECONDS:
                return "Timeout"
            self.sleep(BULK_POLL_SECONDS * self.time_scale)
            waited += BULK_POLL_SECONDS


def _failed_results(text: str) -> dict[str, str]:
    """Map record ids to ``CODE: message`` from a ``failedResults`` CSV."""
    failed = {}
    for row in csv.DictReader(io.StringIO(text)):
        record_id = row.get("Id") or row.get("sf__Id") or ""
        code, _sep, rest = (row.get("sf__Error") or "UNKNOWN_ERROR").partition(":")
        message = rest.rsplit(":", 1)[0] if rest else ""
        failed[record_id] = error_text(code, message)
    return failed


def _successful_ids(text: str) -> set[str]:
    return {row.get("sf__Id") or row.get("Id") or "" for row in csv.DictReader(io.StringIO(text))}
