"""Bulk API 2.0 query jobs through simple-salesforce's Bulk 2.0 client.

A job returns CSV, where every value is text and an empty cell is null. Cells are converted
back to the JSON types that the REST API returns (booleans, numbers, ``+0000`` datetimes,
nested parent fields) by the field types from describe. So the raw records kept in the
warehouse look the same whichever API served them.
"""

from __future__ import annotations

import csv
import io
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from simple_salesforce.bulk2 import Operation

from connectors.errors import ConnectorError
from connectors.retry import CallContext
from connectors.salesforce.client import SOURCE, SalesforceClient
from sgl.i18n import _

logger = logging.getLogger(__name__)

# Records per result request; Salesforce lets the client choose the page size of results.
RESULT_PAGE_RECORDS = 50_000
POLL_INTERVAL_SECONDS = 2.0
# A query job that is not complete after this long is abandoned.
JOB_TIMEOUT_SECONDS = 3600.0

Record = dict[str, Any]


def bulk_query(client: SalesforceClient, object_name: str, soql: str, *,
               include_deleted: bool, field_types: Mapping[str, str], time_scale: float,
               sleep: Callable[[float], None] = time.sleep) -> Iterator[list[Record]]:
    """Run a query job and yield its result pages as REST-shaped records."""
    context = CallContext(SOURCE, object_name, "-", "bulk job")
    operation = Operation.query_all if include_deleted else Operation.query
    job = client.call(lambda: client.bulk_client(object_name).create_job(operation, soql),
                      context)
    job_id = job["id"]
    logger.info("salesforce bulk query job %s started for %s", job_id, object_name)
    _wait_for_job(client, object_name, job_id, time_scale, sleep)

    locator = ""
    page = 0
    while True:
        page += 1
        page_context = CallContext(SOURCE, object_name, f"bulk {page}", "bulk results")
        current = locator
        result = client.call(
            lambda: client.bulk_client(object_name).get_query_results(
                job_id, current, RESULT_PAGE_RECORDS),
            page_context)
        yield parse_csv(result["records"], field_types)
        locator = result["locator"]
        if not locator:
            return


def _wait_for_job(client: SalesforceClient, object_name: str, job_id: str, time_scale: float,
                  sleep: Callable[[float], None]) -> None:
    context = CallContext(SOURCE, object_name, "-", "bulk status")
    waited = 0.0
    while True:
        info = client.call(lambda: client.bulk_client(object_name).get_job(job_id, True),
                           context)
        state = info.get("state")
        if state == "JobComplete":
            return
        if state in ("Failed", "Aborted"):
            logger.error("salesforce bulk query job %s for %s ended %s", job_id, object_name,
                         state)
            raise ConnectorError(
                _("Salesforce: the Bulk API query job {job} for {object} ended {state}. Run the "
                  "sync again; set sources.salesforce.bulk_threshold higher to use REST "
                  "queries.").format(job=job_id, object=object_name, state=state),
                code=str(state), body=str(info.get("errorMessage") or ""))
        if waited >= JOB_TIMEOUT_SECONDS:
            raise ConnectorError(
                _("Salesforce: the Bulk API query job {job} for {object} did not finish within "
                  "{seconds} seconds.").format(job=job_id, object=object_name,
                                               seconds=int(JOB_TIMEOUT_SECONDS)))
        sleep(POLL_INTERVAL_SECONDS * time_scale)
        waited += POLL_INTERVAL_SECONDS


def parse_csv(text: str, field_types: Mapping[str, str]) -> list[Record]:
    """Read a Bulk API result page into records typed as the REST API types them."""
    reader = csv.DictReader(io.StringIO(text))
    return [_typed(row, field_types) for row in reader]


def _typed(row: Mapping[str, str], field_types: Mapping[str, str]) -> Record:
    record: Record = {}
    for column, text in row.items():
        value = _cell(text, field_types.get(column, "string"))
        if "." in column:
            # A parent field such as UserRole.Name nests as REST nests it; a null parent is null.
            parent, _dot, name = column.partition(".")
            if value is None:
                record.setdefault(parent, None)
            else:
                nested = record.get(parent) or {}
                nested[name] = value
                record[parent] = nested
        else:
            record[column] = value
    return record


def _cell(text: str, kind: str) -> Any:
    if text == "":
        return None
    if kind == "boolean":
        return text.lower() == "true"
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            return text
    if kind in ("double", "currency", "percent"):
        try:
            return Decimal(text)
        except InvalidOperation:
            return text
    if kind == "datetime" and text.endswith("Z"):
        return text[:-1] + "+0000"
    return text
