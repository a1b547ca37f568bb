"""Bulk API 2.0: query jobs (``/jobs/query``) and ingest jobs (``/jobs/ingest``).

Jobs finish as soon as they can. A query job fixes its matching rows when it is created and
reports ``JobComplete`` at the first status poll. An ingest job processes its CSV when the
client sets the state to ``UploadComplete``. Result pages of a query job are paged with the
``locator`` and ``maxRecords`` parameters and the ``Sforce-Locator`` /
``Sforce-NumberOfRecords`` response headers, as Salesforce pages them.
"""

from __future__ import annotations

import base64
import csv
import io
import logging
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from sandbox.http import Request, Response
from sandbox.salesforce.errors import ApiError, not_found
from sandbox.salesforce.query import CompiledQuery, compile_query
from sandbox.salesforce.rest import parse_body
from sandbox.salesforce.schema import ObjectInfo, Schema
from sandbox.salesforce.soql import SoqlError, parse
from sandbox.salesforce.store import Store
from sandbox.salesforce.values import from_csv
from sandbox.salesforce.writes import Writer

logger = logging.getLogger(__name__)

DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^",
              "BACKQUOTE": "`"}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
INGEST_OPERATIONS = ("insert", "update", "delete", "hardDelete")
# Result pages of a query job when the client sends no maxRecords.
DEFAULT_MAX_RECORDS = 100_000


@dataclass
class Job:
    id: str
    kind: str  # "query" or "ingest"
    info: dict[str, Any]
    compiled: CompiledQuery | None = None
    row_ids: list[int] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    successful: list[list[str]] = field(default_factory=list)
    failed: list[list[str]] = field(default_factory=list)
    polls: int = 0

    @property
    def delimiter(self) -> str:
        return DELIMITERS[self.info["columnDelimiter"]]

    @property
    def line_ending(self) -> str:
        return LINE_ENDINGS[self.info["lineEnding"]]


class BulkJobs:
    """All Bulk API 2.0 jobs of the sandbox org; thread-safe."""

    def __init__(self, schema: Schema, store: Store, writer: Writer):
        self.schema = schema
        self.store = store
        self.writer = writer
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    # Shared -----------------------------------------------------------------------------

    def _new_info(self, operation: str, object_name: str, body: dict, version: str,
                  user_id: str) -> dict[str, Any]:
        delimiter = body.get("columnDelimiter", "COMMA")
        line_ending = body.get("lineEnding", "LF")
        if delimiter not in DELIMITERS:
            raise ApiError(400, "INVALIDJOB", f"columnDelimiter {delimiter!r} is invalid: use "
                                              f"one of {', '.join(DELIMITERS)}.")
        if line_ending not in LINE_ENDINGS:
            raise ApiError(400, "INVALIDJOB", f"lineEnding {line_ending!r} is invalid: use LF "
                                              "or CRLF.")
        stamp = self.store.next_stamp()
        return {
            "id": "750" + "".join(secrets.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
                                  for _ in range(15)),
            "operation": operation, "object": object_name, "createdById": user_id,
            "createdDate": stamp, "systemModstamp": stamp, "state": "Open",
            "concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": float(version),
            "lineEnding": line_ending, "columnDelimiter": delimiter,
        }

    def _job(self, job_id: str, kind: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or job.kind != kind:
            raise not_found()
        return job

    def _status(self, job: Job) -> dict[str, Any]:
        info = dict(job.info)
        if job.kind == "query":
            info.update({"jobType": "V2Query", "numberRecordsProcessed": len(job.row_ids),
                         "retries": 0, "totalProcessingTime": 0})
        else:
            info.update({"jobType": "V2Ingest",
                         "numberRecordsProcessed": len(job.successful) + len(job.failed),
                         "numberRecordsFailed": len(job.failed), "retries": 0,
                         "totalProcessingTime": 0, "apiActiveProcessingTime": 0,
                         "apexProcessingTime": 0})
        return info

    def list_jobs(self, kind: str) -> Response:
        with self._lock:
            jobs = [job for job in self._jobs.values() if job.kind == kind]
        return Response.json(200, {"done": True, "records": [self._status(job) for job in jobs],
                                   "nextRecordsUrl": None})

    def set_state(self, job_id: str, kind: str, request: Request) -> Response:
        job = self._job(job_id, kind)
        state = (parse_body(request) or {}).get("state")
        if state == "Aborted":
            if job.info["state"] in ("JobComplete", "Failed"):
                raise ApiError(400, "INVALIDJOBSTATE", f"Job {job_id} is already "
                                                       f"{job.info['state']}.")
            job.info["state"] = "Aborted"
        elif state == "UploadComplete" and kind == "ingest":
            if job.info["state"] != "Open":
                raise ApiError(409, "INVALIDJOBSTATE",
                               f"Job {job_id} is {job.info['state']}: only an Open job can be "
                               "closed.")
            job.info["state"] = "UploadComplete"
            response = Response.json(200, self._status(job))
            self._process(job)
            return response
        else:
            raise ApiError(400, "INVALIDJOBSTATE", f"State {state!r} cannot be set on a {kind} "
                                                   "job: use UploadComplete or Aborted.")
        return Response.json(200, self._status(job))

    def delete(self, job_id: str, kind: str) -> Response:
        self._job(job_id, kind)
        with self._lock:
            self._jobs.pop(job_id, None)
        return Response(204)

    # Query jobs ---------------------------------------------------------------------------

    def create_query(self, request: Request, version: str, user_id: str) -> Response:
        body = parse_body(request) or {}
        operation = body.get("operation", "query")
        if operation not in ("query", "queryAll"):
            raise ApiError(400, "INVALIDJOB", f"operation {operation!r} is invalid for a query "
                                              "job: use query or queryAll.")
        try:
            compiled = compile_query(self.schema, parse(body.get("query") or ""),
                                     include_deleted=operation == "queryAll", for_bulk=True)
        except SoqlError as error:
            raise ApiError(400, error.code, error.message) from error
        if compiled.query.count_only:
            # NOTE: Bulk API 2.0 rejects aggregate queries; the exact error code is a guess.
            raise ApiError(400, "API_ERROR", "Aggregate queries are not supported in Bulk "
                                             "API 2.0 query jobs.")
        info = self._new_info(operation, compiled.object.name, body, version, user_id)
        info["state"] = "UploadComplete"
        job = Job(info["id"], "query", info, compiled, compiled.row_ids(self.store))
        with self._lock:
            self._jobs[job.id] = job
        logger.debug("Bulk query job %s on %s matched %d records", job.id,
                     compiled.object.name, len(job.row_ids))
        return Response.json(200, dict(info))

    def query_status(self, job_id: str) -> Response:
        job = self._job(job_id, "query")
        if job.info["state"] == "UploadComplete":
            job.info["state"] = "JobComplete"
        return Response.json(200, self._status(job))

    def query_results(self, job_id: str, request: Request) -> Response:
        job = self._job(job_id, "query")
        if job.info["state"] != "JobComplete":
            raise ApiError(400, "INVALIDJOBSTATE",
                           f"Job {job_id} is {job.info['state']}: results are available once "
                           "it is JobComplete.")
        start = 0
        locator = request.arg("locator")
        if locator:
            try:
                start = int(base64.b64decode(locator).decode())
            except ValueError as error:
                raise ApiError(400, "INVALIDLOCATOR", f"Locator {locator!r} is invalid: use "
                                                      "the Sforce-Locator of the last page."
                               ) from error
        try:
            max_records = int(request.arg("maxRecords") or DEFAULT_MAX_RECORDS)
        except ValueError as error:
            raise ApiError(400, "INVALIDMAXRECORDS", "maxRecords must be a positive whole "
                                                     "number.") from error
        if max_records < 1:
            raise ApiError(400, "INVALIDMAXRECORDS", "maxRecords must be a positive whole "
                                                     "number.")

        end = min(start + max_records, len(job.row_ids))
        compiled = job.compiled
        rows = compiled.csv_rows(self.store, job.row_ids[start:end])
        output = io.StringIO()
        writer = csv.writer(output, delimiter=job.delimiter, lineterminator=job.line_ending,
                            quoting=csv.QUOTE_ALL)
        writer.writerow([column.path for column in compiled.columns])
        writer.writerows(rows)
        next_locator = base64.b64encode(str(end).encode()).decode() \
            if end < len(job.row_ids) else "null"
        return Response.text(200, output.getvalue(), headers={
            "Sforce-Locator": next_locator, "Sforce-NumberOfRecords": str(len(rows)),
        }, records=len(rows))

    # Ingest jobs --------------------------------------------------------------------------

    def create_ingest(self, request: Request, version: str, user_id: str) -> Response:
        body = parse_body(request) or {}
        operation = body.get("operation")
        if operation not in INGEST_OPERATIONS:
            # NOTE: upsert (with externalIdFieldName) is not served by the sandbox.
            raise ApiError(400, "INVALIDJOB", f"operation {operation!r} is invalid: use one of "
                                              f"{', '.join(INGEST_OPERATIONS)}.")
        info = self.schema.object(str(body.get("object") or ""))
        if info is None:
            raise ApiError(400, "INVALIDJOB", f"InvalidJob : Invalid object: {body.get('object')}")
        job_info = self._new_info(operation, info.name, body, version, user_id)
        job_info["contentUrl"] = f"services/data/v{version}/jobs/ingest/{job_info['id']}/batches"
        job = Job(job_info["id"], "ingest", job_info)
        with self._lock:
            self._jobs[job.id] = job
        return Response.json(200, dict(job_info))

    def upload(self, job_id: str, request: Request) -> Response:
        job = self._job(job_id, "ingest")
        if job.info["state"] != "Open":
            raise ApiError(409, "INVALIDJOBSTATE", f"Job {job_id} is {job.info['state']}: "
                                                   "data can be uploaded to an Open job only.")
        text = request.body.decode("utf-8-sig")
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=job.delimiter)
        rows = [row for row in reader if row]
        if not rows:
            raise ApiError(400, "INVALIDBATCH", "The uploaded CSV has no header row.")
        if job.header and rows[0] != job.header:
            raise ApiError(400, "INVALIDBATCH", "Every upload of a job needs the same header.")
        job.header = rows[0]
        job.rows.extend(rows[1:])
        return Response(201)

    def ingest_status(self, job_id: str) -> Response:
        return Response.json(200, self._status(self._job(job_id, "ingest")))

    def _process(self, job: Job) -> None:
        info = self.schema.objects[job.info["object"]]
        fields = []
        for name in job.header:
            field = info.field(name)
            if field is None:
                job.info["state"] = "Failed"
                job.info["errorMessage"] = f"InvalidBatch : Field name not found : {name}"
                return
            fields.append(field)
        job.info["state"] = "InProgress"
        for row in job.rows:
            record_id, error = self._process_row(job, info, fields, row)
            if error:
                job.failed.append([record_id or "", error, *row])
            else:
                job.successful.append([record_id, "true" if job.info["operation"] == "insert"
                                       else "false", *row])
        job.info["state"] = "JobComplete"
        logger.debug("Bulk ingest job %s: %d succeeded, %d failed", job.id,
                      len(job.successful), len(job.failed))

    def _process_row(self, job: Job, info: ObjectInfo, fields: list, row: list[str]
                     ) -> tuple[str | None, str | None]:
        operation = job.info["operation"]
        values: dict[str, Any] = {}
        for field, cell in zip(fields, row, strict=False):
            if cell == "":
                continue  # an empty cell leaves the field as it is
            try:
                values[field.name] = from_csv(field, cell)
            except ValueError as error:
                return values.get("Id"), f"INVALID_TYPE_ON_FIELD_IN_RECORD:{error}:{field.name} --"
        record_id = values.get("Id")
        if operation == "insert":
            errors = self.writer.check_insert(info, values)
        elif operation == "update":
            errors = self.writer.check_update(info, record_id, values)
        else:
            errors = self.writer.check_delete(info, record_id or "")
        if errors:
            error = errors[0]
            return record_id, f"{error['statusCode']}:{error['message']}:" \
                              f"{';'.join(error['fields'])} --"
        if operation == "insert":
            record_id = self.writer.insert(info, values, job.info["createdById"])
        elif operation == "update":
            self.writer.update(info, record_id, values)
        else:
            self.store.delete(info.name, record_id)
        return record_id, None

    def ingest_results(self, job_id: str, result_type: str) -> Response:
        job = self._job(job_id, "ingest")
        output = io.StringIO()
        writer = csv.writer(output, delimiter=job.delimiter, lineterminator=job.line_ending)
        if result_type == "successfulresults":
            writer.writerow(["sf__Id", "sf__Created", *job.header])
            writer.writerows(job.successful)
            count = len(job.successful)
        elif result_type == "failedresults":
            writer.writerow(["sf__Id", "sf__Error", *job.header])
            writer.writerows(job.failed)
            count = len(job.failed)
        else:
            unprocessed = job.rows if job.info["state"] in ("Aborted", "Failed", "Open") else []
            if job.header:
                writer.writerow(job.header)
            writer.writerows(unprocessed)
            count = len(unprocessed)
        return Response.text(200, output.getvalue(), records=count)
