"""Endpoints under /crm/v3/objects: list, read, update, search, batch read and batch update."""

from __future__ import annotations

import json
import time
from typing import Any

from sandbox.http import Response
from sandbox.hubspot.catalog import OBJECT_TYPE_ALIASES
from sandbox.hubspot.columns import format_ms
from sandbox.hubspot.context import Call
from sandbox.hubspot.errors import HubSpotError, item_error, json_response, validation_error
from sandbox.hubspot.records import property_names, serialize
from sandbox.hubspot.search import parse_search, run_search
from sandbox.hubspot.table import ARCHIVED, LIVE

MAX_LIST_PAGE = 100
MAX_BATCH_INPUTS = 100
NOT_FOUND_MESSAGE = "Object not found.  objectId are usually numeric."


def list_objects(call: Call) -> Response:
    """GET /crm/v3/objects/{type}: id-ordered pages; ``after`` is the next page's first id."""
    object_type = call.object_type()
    limit = call.integer("limit", 10, MAX_LIST_PAGE)
    after = call.request.arg("after") or "0"
    if not after.isdigit():
        raise validation_error(f"after={after!r} is invalid: pass paging.next.after unchanged.")
    state = ARCHIVED if call.flag("archived") else LIVE
    names = property_names(call.store, object_type, call.names("properties"))
    history = call.names("propertiesWithHistory") or []
    associations = _association_types(call)
    with call.store.lock:
        table = call.store.table(object_type)
        rows = []
        for row in table.rows_in_state(table.first_row_from(int(after)), state):
            rows.append(row)
            if len(rows) > limit:
                break
        results = [serialize(call.store, object_type, row, names, history=history,
                             associations=associations, faults=call.faults)
                   for row in rows[:limit]]
        body: dict[str, Any] = {"results": results}
        if len(rows) > limit:
            next_after = table.id_at(rows[limit])
            body["paging"] = {"next": {"after": next_after, "link": call.next_link(next_after)}}
    return json_response(200, body, records=len(results))


def read_object(call: Call) -> Response:
    """GET /crm/v3/objects/{type}/{id}, optionally by another unique property (idProperty)."""
    object_type = call.object_type()
    with call.store.lock:
        row = _find(call, object_type, call.params["object_id"], call.request.arg("idProperty"),
                    archived=call.flag("archived"))
        names = property_names(call.store, object_type, call.names("properties"))
        record = serialize(call.store, object_type, row, names,
                           history=call.names("propertiesWithHistory") or [],
                           associations=_association_types(call), faults=call.faults)
    return json_response(200, record, records=1)


def update_object(call: Call) -> Response:
    """PATCH /crm/v3/objects/{type}/{id}: update one record's properties."""
    object_type = call.object_type()
    body = call.body()
    values = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(values, dict):
        raise validation_error("Invalid input JSON: the body needs a properties object.")
    with call.store.lock:
        row = _find(call, object_type, call.params["object_id"], call.request.arg("idProperty"),
                    archived=False)
        record_id = call.store.table(object_type).id_at(row)
        _validate_values(call, object_type, [values])
        error = _record_fault(call, object_type, record_id)
        if error is not None:
            raise HubSpotError(400, error["category"], error["message"],
                               context=error["context"])
        _write(call, object_type, row, values)
        record = serialize(call.store, object_type, row,
                           property_names(call.store, object_type, list(values)))
    return json_response(200, record, records=1)


def search_objects(call: Call) -> Response:
    """POST /crm/v3/objects/{type}/search."""
    object_type = call.object_type()
    search = parse_search(call.body())
    with call.store.lock:
        table = call.store.table(object_type)
        rows, total = run_search(table, call.store.properties, search)
        page = rows[search.after:search.after + search.limit]
        names = property_names(call.store, object_type,
                               search.properties if search.properties else None)
        results = [serialize(call.store, object_type, row, names, faults=call.faults)
                   for row in page]
    body: dict[str, Any] = {"total": total, "results": results}
    next_offset = search.after + len(page)
    if next_offset < total:
        body["paging"] = {"next": {"after": str(next_offset)}}
    return json_response(200, body, records=len(results))


def batch_read(call: Call) -> Response:
    """POST /crm/v3/objects/{type}/batch/read: missing ids make a 207 with errors."""
    object_type = call.object_type()
    started = _now()
    body = call.body()
    inputs = _inputs(body)
    id_property = body.get("idProperty") if isinstance(body, dict) else None
    archived = call.flag("archived")
    with call.store.lock:
        names = property_names(call.store, object_type, body.get("properties") or [])
        history = body.get("propertiesWithHistory") or []
        results, missing = [], []
        for item in inputs:
            requested_id = str(item.get("id", ""))
            try:
                row = _find(call, object_type, requested_id, id_property, archived=archived)
            except HubSpotError:
                missing.append(requested_id)
                continue
            results.append(serialize(call.store, object_type, row, names, history=history,
                                     faults=call.faults))
    errors = []
    if missing:
        singular = call.store.table(object_type).object_type.singular.upper()
        errors.append(item_error(
            "OBJECT_NOT_FOUND",
            f"Could not get some {singular} objects, they may be deleted or not exist. "
            "Check that ids are valid.", {"ids": missing}))
    return _batch_response(call, results, errors, started)


def batch_update(call: Call) -> Response:
    """POST /crm/v3/objects/{type}/batch/update: per-record failures make a 207."""
    object_type = call.object_type()
    started = _now()
    inputs = _inputs(call.body())
    ids = [str(item.get("id", "")) for item in inputs]
    duplicates = sorted({record_id for record_id in ids if ids.count(record_id) > 1})
    if duplicates:
        raise validation_error(
            f"Duplicate IDs found in batch input: {duplicates}. IDs must be unique")
    with call.store.lock:
        _validate_values(call, object_type, [item.get("properties") or {} for item in inputs])
        results, missing, errors = [], [], []
        for item in inputs:
            record_id = str(item.get("id", ""))
            try:
                row = _find(call, object_type, record_id, item.get("idProperty"), archived=False)
            except HubSpotError:
                missing.append(record_id)
                continue
            stored_id = call.store.table(object_type).id_at(row)
            error = _record_fault(call, object_type, stored_id)
            if error is not None:
                errors.append(error)
                continue
            values = item.get("properties") or {}
            _write(call, object_type, row, values)
            results.append(serialize(call.store, object_type, row,
                                     property_names(call.store, object_type, list(values))))
    if missing:
        singular = call.store.table(object_type).object_type.singular.upper()
        errors.insert(0, item_error(
            "OBJECT_NOT_FOUND",
            f"Could not get some {singular} objects, they may be deleted or not exist. "
            "Check that ids are valid.", {"ids": missing}))
    return _batch_response(call, results, errors, started)


# -- helpers -------------------------------------------------------------------------------

def _association_types(call: Call) -> list[str]:
    return [OBJECT_TYPE_ALIASES[name.lower()] for name in call.names("associations") or []
            if name.lower() in OBJECT_TYPE_ALIASES]


def _find(call: Call, object_type: str, requested_id: str, id_property: str | None, *,
          archived: bool) -> int:
    """Return the row of a live (or, with archived, an archived) record; 404 otherwise."""
    table = call.store.table(object_type)
    expected_state = ARCHIVED if archived else LIVE
    if id_property and id_property != "hs_object_id":
        if call.store.properties.get(object_type, id_property) is None:
            raise validation_error(
                f"idProperty {id_property!r} does not exist on {object_type}.")
        rows = table.find_rows(id_property, requested_id)
        if archived:
            rows = [row for row in range(len(table)) if table.state(row) == ARCHIVED
                    and table.value(row, id_property) == requested_id]
        row = rows[0] if rows else None
    else:
        row = table.row_of(requested_id)
        if row is not None and table.state(row) != expected_state:
            row = None
    if row is None:
        raise HubSpotError(404, "OBJECT_NOT_FOUND", NOT_FOUND_MESSAGE,
                           context={"id": [requested_id]})
    return row


def _inputs(body: Any) -> list[dict]:
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list) or not all(isinstance(item, dict) for item in inputs):
        raise validation_error("Invalid input JSON: the body needs an inputs list of objects.")
    if len(inputs) > MAX_BATCH_INPUTS:
        # NOTE: HubSpot rejects batches above 100 inputs with a VALIDATION_ERROR; the message
        # text is the sandbox's own.
        raise validation_error(
            f"Batch input has {len(inputs)} inputs; the limit is {MAX_BATCH_INPUTS}: split the "
            "batch.")
    return inputs


def _validate_values(call: Call, object_type: str, all_values: list[dict]) -> None:
    """Raise HubSpot's 400 'Property values were not valid' for any invalid write."""
    problems = []
    for values in all_values:
        if not isinstance(values, dict):
            raise validation_error("Invalid input JSON: properties must be an object.")
        for name, value in values.items():
            problem = call.store.properties.invalid_value(object_type, name, value)
            if problem is not None and problem not in problems:
                problems.append(problem)
    if problems:
        raise validation_error(
            f"Property values were not valid: {json.dumps(problems, separators=(',', ':'))}")


def _record_fault(call: Call, object_type: str, record_id: str) -> dict[str, Any] | None:
    if call.faults is None:
        return None
    fault = call.faults.record_error("hubspot", object_type, record_id)
    if fault is None:
        return None
    return item_error(fault.code, fault.message, {"ids": [record_id]})


def _write(call: Call, object_type: str, row: int, values: dict[str, Any]) -> None:
    table = call.store.table(object_type)
    for name in values:
        if not table.has_column(name):
            table.add_column(name, call.store.properties.type_of(object_type, name) or "string")
    normalized = {name: call.store.write_value(object_type, name, value)
                  for name, value in values.items()}
    table.set_values(row, normalized, call.store.now_ms(), "INTEGRATION")


def _now() -> str:
    return format_ms(time.time_ns() // 1_000_000)


def _batch_response(call: Call, results: list[dict], errors: list[dict],
                    started: str) -> Response:
    body: dict[str, Any] = {"status": "COMPLETE", "results": results}
    if errors:
        body["numErrors"] = len(errors)
        body["errors"] = errors
    body["startedAt"] = started
    body["completedAt"] = _now()
    return json_response(207 if errors else 200, body, records=len(results))
