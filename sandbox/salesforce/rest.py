"""REST resources: query and queryAll with query locators, sObject rows, sObject Collections."""

from __future__ import annotations

import logging
import re
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sandbox.faults import FaultPlan
from sandbox.http import Request, Response
from sandbox.salesforce.errors import ApiError, not_found
from sandbox.salesforce.query import CompiledQuery, compile_query
from sandbox.salesforce.schema import ObjectInfo, Schema
from sandbox.salesforce.soql import SoqlError, parse
from sandbox.salesforce.store import Store
from sandbox.salesforce.writes import Writer, record_error

logger = logging.getLogger(__name__)

# Query batch sizes that Salesforce accepts in the Sforce-Query-Options header.
MIN_BATCH_SIZE = 200
MAX_BATCH_SIZE = 2000
# sObject Collections take at most 200 records per call.
MAX_COLLECTION_RECORDS = 200
_LOCATOR = re.compile(r"(01g[0-9A-Za-z]{15})-(\d+)\Z")
_ROLLED_BACK = record_error(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using "
    "AllOrNone header")


def parse_body(request: Request) -> Any:
    try:
        return request.json()
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, "JSON_PARSER_ERROR", f"The request body is not valid JSON: {error}"
                       ) from error


@dataclass
class _Cursor:
    compiled: CompiledQuery
    row_ids: list[int]
    batch_size: int
    endpoint: str  # "query" or "queryAll"


class QueryResource:
    """``/query``, ``/queryAll`` and their ``nextRecordsUrl`` locators.

    ``page_size_limit`` caps pages below the requested batch size, as Salesforce does for wide
    rows. Tests lower it to get many short pages from a small org. At most
    ``max_open_cursors`` locators stay open (Salesforce allows 10 per user); the oldest is
    dropped first, and a dropped locator is answered ``INVALID_QUERY_LOCATOR``.
    """

    def __init__(self, schema: Schema, store: Store, faults: FaultPlan,
                 max_open_cursors: int = 10, page_size_limit: int = MAX_BATCH_SIZE):
        self.schema = schema
        self.store = store
        self.faults = faults
        self.max_open_cursors = max_open_cursors
        self.page_size_limit = page_size_limit
        self._cursors: OrderedDict[str, _Cursor] = OrderedDict()
        self._lock = threading.Lock()

    def run(self, request: Request, version: str, endpoint: str) -> Response:
        text = request.arg("q")
        if text is None:
            raise ApiError(400, "MALFORMED_QUERY", "A query is required: pass it in the q "
                                                   "parameter.")
        try:
            compiled = compile_query(self.schema, parse(text),
                                     include_deleted=endpoint == "queryAll")
        except SoqlError as error:
            raise ApiError(400, error.code, error.message) from error
        if compiled.query.count_only:
            total = compiled.count(self.store)
            return Response.json(200, {"totalSize": total, "done": True, "records": []})
        row_ids = compiled.row_ids(self.store)
        cursor = _Cursor(compiled, row_ids, self._batch_size(request), endpoint)
        logger.debug("SOQL on %s matched %d records", compiled.object.name, len(row_ids))
        return self._page(cursor, None, 0, version)

    def more(self, locator: str, version: str) -> Response:
        match = _LOCATOR.match(locator)
        with self._lock:
            cursor = self._cursors.get(match.group(1)) if match else None
            if cursor is not None:
                self._cursors.move_to_end(match.group(1))
        if cursor is None or match is None:
            raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(cursor, match.group(1), int(match.group(2)), version)

    def _batch_size(self, request: Request) -> int:
        options = request.headers.get("sforce-query-options", "")
        size = MAX_BATCH_SIZE
        found = re.search(r"batchSize\s*=\s*(\d+)", options)
        if found:
            size = min(MAX_BATCH_SIZE, max(MIN_BATCH_SIZE, int(found.group(1))))
        return max(1, min(size, self.page_size_limit))

    def _page(self, cursor: _Cursor, cursor_id: str | None, start: int, version: str
              ) -> Response:
        end = min(start + cursor.batch_size, len(cursor.row_ids))
        records = cursor.compiled.records(self.store, cursor.row_ids[start:end], version)
        object_name = cursor.compiled.object.name
        if self.faults.has_record_faults("salesforce", object_name):
            records = [self.faults.shape_record("salesforce", object_name,
                                                record["attributes"]["url"].rsplit("/", 1)[-1],
                                                record) for record in records]
        body: dict[str, Any] = {"totalSize": len(cursor.row_ids), "done": end >= len(
            cursor.row_ids)}
        with self._lock:
            if body["done"]:
                if cursor_id is not None:
                    self._cursors.pop(cursor_id, None)
            else:
                if cursor_id is None:
                    cursor_id = "01g" + "".join(secrets.choice(
                        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(15))
                self._cursors[cursor_id] = cursor
                self._cursors.move_to_end(cursor_id)
                while len(self._cursors) > self.max_open_cursors:
                    self._cursors.popitem(last=False)
                body["nextRecordsUrl"] = (f"/services/data/v{version}/{cursor.endpoint}/"
                                          f"{cursor_id}-{end}")
        body["records"] = records
        return Response.json(200, body, records=len(records))


class SObjectResource:
    """``/sobjects/{Object}/{Id}`` (GET, PATCH, DELETE) and ``/sobjects/{Object}`` (POST)."""

    def __init__(self, schema: Schema, store: Store, writer: Writer, faults: FaultPlan):
        self.schema = schema
        self.store = store
        self.writer = writer
        self.faults = faults

    def get(self, info: ObjectInfo, record_id: str, request: Request, version: str) -> Response:
        record = self.store.get(info.name, record_id, include_deleted=True)
        if record is None:
            raise not_found()
        if record.get("IsDeleted"):
            raise ApiError(404, "ENTITY_IS_DELETED", "entity is deleted")
        requested = request.arg("fields")
        names = [field.name for field in info.visible_fields()]
        if requested:
            names = []
            for name in requested.split(","):
                field = info.field(name.strip())
                if field is None:
                    raise ApiError(400, "INVALID_FIELD",
                                   f"No such column '{name.strip()}' on sobject of type "
                                   f"{info.name}")
                names.append(field.name)
        body = {"attributes": {"type": info.name,
                               "url": f"/services/data/v{version}/sobjects/{info.name}/"
                                      f"{record_id}"}}
        body.update({name: record[name] for name in names})
        body = self.faults.shape_record("salesforce", info.name, record_id, body)
        return Response.json(200, body, records=1)

    def patch(self, info: ObjectInfo, record_id: str, request: Request) -> Response:
        values = self.writer.normalize(info, parse_body(request) or {})
        errors = self.writer.check_update(info, record_id, values)
        if errors:
            error = errors[0]
            status = 404 if error["statusCode"] in ("INVALID_CROSS_REFERENCE_KEY",
                                                    "ENTITY_IS_DELETED") else 400
            code = "NOT_FOUND" if error["statusCode"] == "INVALID_CROSS_REFERENCE_KEY" \
                else error["statusCode"]
            message = "The requested resource does not exist" if code == "NOT_FOUND" \
                else error["message"]
            raise ApiError(status, code, message, error["fields"])
        self.writer.update(info, record_id, values)
        return Response(204)

    def delete(self, info: ObjectInfo, record_id: str) -> Response:
        errors = self.writer.check_delete(info, record_id)
        if errors:
            raise ApiError(404, "ENTITY_IS_DELETED" if errors[0]["statusCode"] ==
                           "ENTITY_IS_DELETED" else "NOT_FOUND", errors[0]["message"])
        self.store.delete(info.name, record_id)
        return Response(204)

    def create(self, info: ObjectInfo, request: Request, user_id: str) -> Response:
        values = self.writer.normalize(info, parse_body(request) or {})
        errors = self.writer.check_insert(info, values)
        if errors:
            raise ApiError(400, errors[0]["statusCode"], errors[0]["message"],
                           errors[0]["fields"])
        record_id = self.writer.insert(info, values, user_id)
        return Response.json(201, {"id": record_id, "success": True, "errors": []})


class CollectionsResource:
    """sObject Collections: ``/composite/sobjects`` (PATCH, POST, DELETE) and GET by ids."""

    def __init__(self, schema: Schema, store: Store, writer: Writer, faults: FaultPlan):
        self.schema = schema
        self.store = store
        self.writer = writer
        self.faults = faults

    def _records(self, request: Request) -> tuple[list[dict], bool]:
        body = parse_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            raise ApiError(400, "JSON_PARSER_ERROR",
                           "The request body must be an object with a records array.")
        records = body["records"]
        if not records:
            raise ApiError(400, "REQUIRED_FIELD_MISSING", "At least 1 record is required.")
        if len(records) > MAX_COLLECTION_RECORDS:
            raise ApiError(400, "EXCEEDED_ID_LIMIT",
                           f"record limit reached. cannot submit more than "
                           f"{MAX_COLLECTION_RECORDS} records into this call")
        return records, bool(body.get("allOrNone", False))

    def _object_of(self, record: dict) -> ObjectInfo:
        attributes = record.get("attributes")
        if not isinstance(attributes, dict) or not attributes.get("type"):
            raise ApiError(400, "INVALID_TYPE",
                           "Each record needs attributes.type with its sObject name.")
        return self.writer.object(str(attributes["type"]))

    def update(self, request: Request) -> Response:
        records, all_or_none = self._records(request)
        checked = []
        for record in records:
            info = self._object_of(record)
            values = self.writer.normalize(info, record)
            record_id = values.get("Id")
            checked.append((info, record_id, values,
                            self.writer.check_update(info, record_id, values)))
        return self._finish(checked, all_or_none,
                            lambda info, record_id, values: self.writer.update(
                                info, record_id, values))

    def create(self, request: Request, user_id: str) -> Response:
        records, all_or_none = self._records(request)
        checked = []
        for record in records:
            info = self._object_of(record)
            values = self.writer.normalize(info, record)
            checked.append((info, None, values, self.writer.check_insert(info, values)))
        return self._finish(checked, all_or_none,
                            lambda info, record_id, values: self.writer.insert(
                                info, values, user_id))

    def delete(self, request: Request) -> Response:
        ids = [value for value in (request.arg("ids") or "").split(",") if value]
        if not ids:
            raise ApiError(400, "REQUIRED_FIELD_MISSING", "At least 1 Id is required.")
        if len(ids) > MAX_COLLECTION_RECORDS:
            raise ApiError(400, "EXCEEDED_ID_LIMIT",
                           f"record limit reached. cannot submit more than "
                           f"{MAX_COLLECTION_RECORDS} records into this call")
        all_or_none = (request.arg("allOrNone") or "false").lower() == "true"
        checked = []
        for record_id in ids:
            info = next((info for info in self.schema.objects.values()
                         if record_id.startswith(info.key_prefix)
                         and self.store.get(info.name, record_id, include_deleted=True)), None)
            if info is None:
                checked.append((None, record_id, {}, [record_error(
                    "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")]))
            else:
                checked.append((info, record_id, {}, self.writer.check_delete(info, record_id)))
        return self._finish(checked, all_or_none,
                            lambda info, record_id, values: self.store.delete(info.name,
                                                                              record_id))

    def _finish(self, checked: list, all_or_none: bool, apply: Any) -> Response:
        failed = any(errors for *_, errors in checked)
        results = []
        for info, record_id, values, errors in checked:
            if errors:
                results.append({"id": record_id, "success": False, "errors": errors})
            elif all_or_none and failed:
                results.append({"id": record_id, "success": False, "errors": [_ROLLED_BACK]})
            else:
                created = apply(info, record_id, values)
                results.append({"id": created if record_id is None else record_id,
                                "success": True, "errors": []})
        return Response.json(200, results, records=len(results))

    def retrieve(self, info: ObjectInfo, request: Request, version: str) -> Response:
        if request.method == "POST":
            body = parse_body(request) or {}
            ids, fields = body.get("ids") or [], body.get("fields") or []
        else:
            ids = [value for value in (request.arg("ids") or "").split(",") if value]
            fields = [value for value in (request.arg("fields") or "").split(",") if value]
        if not ids or not fields:
            raise ApiError(400, "REQUIRED_FIELD_MISSING",
                           "Both ids and fields are required to retrieve records.")
        if len(ids) > 2000:
            raise ApiError(400, "EXCEEDED_ID_LIMIT", "cannot retrieve more than 2000 records")
        names = []
        for name in fields:
            field = info.field(name.strip())
            if field is None:
                raise ApiError(400, "INVALID_FIELD",
                               f"No such column '{name.strip()}' on entity '{info.name}'")
            names.append(field.name)
        results: list[dict | None] = []
        for record_id in ids:
            record = self.store.get(info.name, record_id)
            if record is None:
                results.append(None)
                continue
            body = {"attributes": {"type": info.name,
                                   "url": f"/services/data/v{version}/sobjects/{info.name}/"
                                          f"{record_id}"}}
            body.update({name: record[name] for name in names})
            if "Id" not in body:
                body["Id"] = record_id
            results.append(self.faults.shape_record("salesforce", info.name, record_id, body))
        return Response.json(200, results, records=sum(1 for item in results if item))

