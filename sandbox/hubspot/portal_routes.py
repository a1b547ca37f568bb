"""Endpoints around the records: owners, properties, associations and account info."""

from __future__ import annotations

import time
from typing import Any

from sandbox.http import Response
from sandbox.hubspot.columns import format_ms
from sandbox.hubspot.context import Call
from sandbox.hubspot.errors import HubSpotError, item_error, json_response, validation_error
from sandbox.hubspot.records import associated_ids_v3, association_types_v4
from sandbox.hubspot.table import LIVE

MAX_OWNERS_PAGE = 500
MAX_ASSOCIATIONS_PAGE = 500
MAX_ASSOCIATION_BATCH = 1000  # HubSpot's limit since February 2025 (v3 and v4 batch read)
DAILY_LIMIT = 500_000  # NOTE: the daily allowance differs by HubSpot subscription


# -- owners --------------------------------------------------------------------------------

def list_owners(call: Call) -> Response:
    """GET /crm/v3/owners/: ``after`` is the next page's first owner id."""
    limit = call.integer("limit", 100, MAX_OWNERS_PAGE)
    archived = call.flag("archived")
    email = call.request.arg("email")
    after = int(call.request.arg("after") or 0)
    owners = [owner for owner in call.store.owners
              if owner["archived"] == archived and int(owner["id"]) >= after
              and (email is None or (owner.get("email") or "").lower() == email.lower())]
    body: dict[str, Any] = {"results": owners[:limit]}
    if len(owners) > limit:
        next_after = owners[limit]["id"]
        body["paging"] = {"next": {"after": next_after, "link": call.next_link(next_after)}}
    return json_response(200, body, records=len(body["results"]))


def read_owner(call: Call) -> Response:
    """GET /crm/v3/owners/{ownerId}, by owner id or (idProperty=userId) by user id."""
    requested_id = call.params["owner_id"]
    key = "userId" if call.request.arg("idProperty") == "userId" else "id"
    archived = call.flag("archived")
    for owner in call.store.owners:
        if str(owner.get(key)) == requested_id and owner["archived"] == archived:
            return json_response(200, owner, records=1)
    raise HubSpotError(404, "OBJECT_NOT_FOUND", f"Owner {requested_id} was not found.",
                       context={"id": [requested_id]})


# -- properties ----------------------------------------------------------------------------

def list_properties(call: Call) -> Response:
    object_type = call.object_type()
    archived = call.flag("archived")
    results = [] if archived else call.store.properties.all(object_type)
    return json_response(200, {"results": results})


def read_property(call: Call) -> Response:
    object_type = call.object_type()
    name = call.params["name"]
    definition = call.store.properties.get(object_type, name)
    if definition is None:
        raise HubSpotError(404, "OBJECT_NOT_FOUND",
                           f"Unable to find property {name} for object type {object_type}.",
                           context={"name": [name]})
    return json_response(200, definition)


def create_property(call: Call) -> Response:
    object_type = call.object_type()
    stamp = format_ms(time.time_ns() // 1_000_000)
    with call.store.lock:
        definition = call.store.properties.create(object_type, call.body(), stamp)
        call.store.table(object_type).add_column(definition["name"], definition["type"])
    return json_response(201, definition)


def list_groups(call: Call) -> Response:
    return json_response(200, {"results": call.store.properties.groups(call.object_type())})


def read_group(call: Call) -> Response:
    object_type = call.object_type()
    group = call.store.properties.group(object_type, call.params["name"])
    if group is None:
        raise HubSpotError(404, "OBJECT_NOT_FOUND",
                           f"Unable to find property group {call.params['name']} for object "
                           f"type {object_type}.")
    return json_response(200, group)


def create_group(call: Call) -> Response:
    object_type = call.object_type()
    return json_response(201, call.store.properties.create_group(object_type, call.body()))


# -- associations --------------------------------------------------------------------------

def list_associations_v4(call: Call) -> Response:
    """GET /crm/v4/objects/{type}/{id}/associations/{toType}; ``after`` is an offset."""
    from_type = call.object_type()
    to_type = call.object_type("to_type")
    record_id = call.params["object_id"]
    limit = call.integer("limit", MAX_ASSOCIATIONS_PAGE, MAX_ASSOCIATIONS_PAGE)
    offset = int(call.request.arg("after") or 0)
    with call.store.lock:
        _require_live(call, from_type, record_id)
        targets = call.store.associations.targets(from_type, record_id, to_type)
    page = targets[offset:offset + limit]
    results = [{"toObjectId": int(to_id),
                "associationTypes": association_types_v4(from_type, to_type, primary)}
               for to_id, primary in page]
    body: dict[str, Any] = {"results": results}
    if offset + limit < len(targets):
        next_after = str(offset + limit)
        body["paging"] = {"next": {"after": next_after, "link": call.next_link(next_after)}}
    return json_response(200, body, records=len(results))


def batch_read_associations(call: Call) -> Response:
    """POST /crm/v{3,4}/associations/{from}/{to}/batch/read.

    A record without associations of the asked type is an error entry (207), not an empty
    result, in both versions.
    """
    from_type = call.object_type("from_type")
    to_type = call.object_type("to_type")
    version = call.params["version"]
    body = call.body()
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list):
        raise validation_error("Invalid input JSON: the body needs an inputs list.")
    if len(inputs) > MAX_ASSOCIATION_BATCH:
        raise validation_error(
            f"Batch input has {len(inputs)} inputs; the limit is {MAX_ASSOCIATION_BATCH}: split "
            "the batch.")
    started = format_ms(time.time_ns() // 1_000_000)
    results, errors = [], []
    from_name = call.store.table(from_type).object_type.singular
    to_name = call.store.table(to_type).object_type.singular
    with call.store.lock:
        for item in inputs:
            record_id = str(item.get("id", "")) if isinstance(item, dict) else ""
            targets = call.store.associations.targets(from_type, record_id, to_type)
            if not targets:
                errors.append(item_error(
                    "OBJECT_NOT_FOUND", f"No {to_name} is associated with {from_name} "
                    f"{record_id}.", {"fromObjectId": [record_id],
                                      "fromObjectType": [from_name],
                                      "toObjectType": [to_name]},
                    sub_category="crm.associations.NO_ASSOCIATIONS_FOUND"))
                continue
            if version == "v4":
                to = [{"toObjectId": int(to_id),
                       "associationTypes": association_types_v4(from_type, to_type, primary)}
                      for to_id, primary in targets]
            else:
                to = associated_ids_v3(call.store, from_type, record_id, to_type)
            results.append({"from": {"id": record_id}, "to": to})
    response: dict[str, Any] = {"status": "COMPLETE", "results": results}
    if errors:
        response["numErrors"] = len(errors)
        response["errors"] = errors
    response["startedAt"] = started
    response["completedAt"] = format_ms(time.time_ns() // 1_000_000)
    return json_response(207 if errors else 200, response, records=len(results))


def _require_live(call: Call, object_type: str, record_id: str) -> None:
    table = call.store.table(object_type)
    row = table.row_of(record_id)
    if row is None or table.state(row) != LIVE:
        raise HubSpotError(404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually "
                           "numeric.", context={"id": [record_id]})


# -- account -------------------------------------------------------------------------------

def account_details(call: Call) -> Response:
    """GET /account-info/v3/details."""
    return json_response(200, {
        "portalId": call.store.portal_id, "accountType": "STANDARD",
        "timeZone": call.store.time_zone, "companyCurrency": call.store.currency,
        "additionalCurrencies": [], "utcOffset": call.store.utc_offset,
        "utcOffsetMilliseconds": call.store.utc_offset_ms, "uiDomain": "app.hubspot.com",
        "dataHostingLocation": "na1",
    })


def daily_usage(call: Call) -> Response:
    """GET /account-info/v3/api-usage/daily/private-apps: calls counted by this sandbox."""
    now_ms = time.time_ns() // 1_000_000
    midnight_ms = now_ms - now_ms % 86_400_000 + 86_400_000
    return json_response(200, [{
        "name": "private-apps-api-calls-daily", "usageLimit": DAILY_LIMIT,
        "currentUsage": call.store.calls_today, "collectedAt": format_ms(now_ms),
        "fetchStatus": "SUCCESS", "resetsAt": format_ms(midnight_ms),
    }])
