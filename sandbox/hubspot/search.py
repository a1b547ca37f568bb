"""The CRM search endpoint: filter groups, sorts, free-text query and offset paging.

Filter groups are ORed and the filters inside a group are ANDed. Searches that connectors run
for incremental pulls (a last-modified range sorted by last-modified) read the table's
(modified time, id) index instead of scanning every record.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.hubspot.columns import parse_ms
from sandbox.hubspot.errors import validation_error
from sandbox.hubspot.properties import PropertyRegistry
from sandbox.hubspot.table import LIVE, ObjectTable

# Limits from HubSpot's search guide and its August 2024 changelog entry on filter limits.
MAX_FILTER_GROUPS = 5
MAX_FILTERS_PER_GROUP = 10
MAX_FILTERS = 25
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 10
MAX_RESULTS = 10_000  # a search never pages past its 10,000th result

OPERATORS = ("EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN",
             "HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN")
_RANGE_OPERATORS = ("EQ", "GT", "GTE", "LT", "LTE", "BETWEEN")


@dataclass(frozen=True)
class Filter:
    property_name: str
    operator: str
    value: Any = None
    high_value: Any = None
    values: tuple[Any, ...] = ()


@dataclass(frozen=True)
class SearchRequest:
    filter_groups: tuple[tuple[Filter, ...], ...]
    sorts: tuple[tuple[str, bool], ...]  # (property name, descending)
    query: str
    properties: tuple[str, ...]
    limit: int
    after: int


def parse_search(body: Any) -> SearchRequest:
    """Validate a PublicObjectSearchRequest body; raises HubSpotError (400) when invalid."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise validation_error("Invalid input JSON: the search body must be a JSON object.")
    groups_json = body.get("filterGroups") or []
    if len(groups_json) > MAX_FILTER_GROUPS:
        raise validation_error(
            f"The request has {len(groups_json)} filterGroups; the maximum is "
            f"{MAX_FILTER_GROUPS}.")
    groups = tuple(_parse_group(group) for group in groups_json)
    total = sum(len(group) for group in groups)
    if total > MAX_FILTERS:
        raise validation_error(
            f"The request has {total} filters; the maximum is {MAX_FILTERS} in all groups.")
    limit = _as_int(body.get("limit", DEFAULT_PAGE_SIZE), "limit")
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise validation_error(f"limit={limit} is invalid: use 1 to {MAX_PAGE_SIZE}.")
    after = _as_int(body.get("after") or 0, "after")
    if after >= MAX_RESULTS:
        # NOTE: HubSpot returns a 400 here. The category is VALIDATION_ERROR as for its other
        # invalid search requests, but the message text is the sandbox's own.
        raise validation_error(
            f"after={after} pages past the {MAX_RESULTS}th result, which the search endpoint "
            f"never returns: narrow the filters (for example on hs_object_id or the "
            f"last-modified date) so that each search matches at most {MAX_RESULTS} records.")
    sorts = tuple(_parse_sort(sort) for sort in body.get("sorts") or [])
    properties = tuple(str(name) for name in body.get("properties") or [])
    return SearchRequest(groups, sorts, str(body.get("query") or ""), properties, limit, after)


def _parse_group(group: Any) -> tuple[Filter, ...]:
    filters_json = group.get("filters") if isinstance(group, dict) else None
    if not filters_json:
        raise validation_error("Each filterGroup needs a non-empty filters list.")
    if len(filters_json) > MAX_FILTERS_PER_GROUP:
        raise validation_error(
            f"A filterGroup has {len(filters_json)} filters; the maximum is "
            f"{MAX_FILTERS_PER_GROUP} per group.")
    return tuple(_parse_filter(item) for item in filters_json)


def _parse_filter(item: Any) -> Filter:
    if not isinstance(item, dict) or not item.get("propertyName"):
        raise validation_error("Each filter needs a propertyName and an operator.")
    operator = str(item.get("operator", "EQ"))
    if operator not in OPERATORS:
        raise validation_error(
            f"Filter operator {operator!r} is invalid: use one of {', '.join(OPERATORS)}.")
    if operator == "BETWEEN" and (item.get("value") is None or item.get("highValue") is None):
        raise validation_error("A BETWEEN filter needs both value and highValue.")
    if operator in ("IN", "NOT_IN") and not item.get("values"):
        raise validation_error(f"An {operator} filter needs a non-empty values list.")
    return Filter(str(item["propertyName"]), operator, item.get("value"),
                  item.get("highValue"), tuple(item.get("values") or ()))


def _parse_sort(sort: Any) -> tuple[str, bool]:
    if isinstance(sort, str):  # HubSpot also accepts a bare property name
        return sort.lstrip("-"), sort.startswith("-")
    if not isinstance(sort, dict) or not sort.get("propertyName"):
        raise validation_error("Each sort needs a propertyName and a direction.")
    direction = str(sort.get("direction", "ASCENDING")).upper()
    if direction not in ("ASCENDING", "DESCENDING"):
        raise validation_error(
            f"Sort direction {direction!r} is invalid: use ASCENDING or DESCENDING.")
    return str(sort["propertyName"]), direction == "DESCENDING"


def _as_int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise validation_error(f"{name}={value!r} is invalid: use a whole number.") from None


# -- evaluation ----------------------------------------------------------------------------

def run_search(table: ObjectTable, registry: PropertyRegistry,
               request: SearchRequest) -> tuple[list[int], int]:
    """Return (matching live rows in result order, total matches)."""
    cache_key = (request.filter_groups, request.sorts, request.query)
    try:
        cached = table.cached_search(cache_key)
    except TypeError:  # a filter value that JSON gave as a list or object is not hashable
        cache_key, cached = None, None
    if cached is not None:
        return cached
    object_type = table.object_type
    for group in request.filter_groups:
        for item in group:
            if registry.get(object_type.name, item.property_name) is None:
                # NOTE: HubSpot rejects a filter on an unknown property with a 400; the
                # message text is the sandbox's own.
                raise validation_error(
                    f"Property {item.property_name!r} does not exist on {object_type.name}: "
                    "filter on an existing property.")
    ordered_by_index, rows = _candidates(table, registry, request)
    if request.query:
        rows = [row for row in rows if _matches_text(table, row, request.query)]
    if not ordered_by_index:
        rows = _sorted(table, registry, rows, request.sorts)
    if cache_key is not None:
        table.remember_search(cache_key, (rows, len(rows)))
    return rows, len(rows)


def _candidates(table: ObjectTable, registry: PropertyRegistry,
                request: SearchRequest) -> tuple[bool, list[int]]:
    """Return (already in result order, matching rows)."""
    modified = table.object_type.modified_property
    by_modified = (len(request.sorts) == 1 and request.sorts[0][0] == modified)
    descending = by_modified and request.sorts[0][1]
    if not request.filter_groups:
        if by_modified:
            rows = table.rows_by_modified(None, None, descending=descending)
            return True, [row for row in rows if table.state(row) == LIVE]
        return False, list(table.rows_in_state(0, LIVE))

    matched: dict[int, None] = {}
    in_index_order = len(request.filter_groups) == 1
    for group in request.filter_groups:
        rows, covered, from_index = _group_rows(table, group)
        in_index_order = in_index_order and from_index
        predicates = [_predicate(table, registry, item) for item in group
                      if item not in covered]
        live = [row for row in rows if table.state(row) == LIVE]
        if predicates:
            live = [row for row in live if all(predicate(row) for predicate in predicates)]
        matched.update(dict.fromkeys(live))
    rows = list(matched)
    if not by_modified:
        return False, rows
    if in_index_order:
        # One group read from the (modified time, id) index is already in ascending order.
        if descending:
            rows.reverse()
        return True, rows
    rows.sort(key=lambda row: (table.ms(row, modified) or 0, row), reverse=descending)
    return True, rows


def _group_rows(table: ObjectTable, group: tuple[Filter, ...]
                ) -> tuple[Sequence[int], set[Filter], bool]:
    """Narrow a filter group's rows with the modified index or the id order where possible.

    Returns (candidate rows, filters that the narrowing already applies, rows come from the
    modified index). Datetime values are whole milliseconds, so GT and LT become inclusive
    bounds one millisecond inside.
    """
    modified = table.object_type.modified_property
    low = high = None
    covered: set[Filter] = set()
    for item in group:
        if item.property_name != modified or item.operator not in _RANGE_OPERATORS:
            continue
        value = parse_ms(str(item.value)) if item.value is not None else None
        top = parse_ms(str(item.high_value)) if item.operator == "BETWEEN" else value
        if value is None or top is None:
            continue
        bottom = value + 1 if item.operator == "GT" else value
        top = top - 1 if item.operator == "LT" else top
        if item.operator in ("GT", "GTE", "EQ", "BETWEEN"):
            low = bottom if low is None else max(low, bottom)
        if item.operator in ("LT", "LTE", "EQ", "BETWEEN"):
            high = top if high is None else min(high, top)
        covered.add(item)
    if covered:
        return table.rows_by_modified(low, high), covered, True
    start = 0
    for item in group:
        if item.property_name == "hs_object_id" and item.operator in ("GT", "GTE"):
            try:
                start = max(start, table.first_row_from(int(float(item.value))))
            except (TypeError, ValueError):
                pass
    return range(start, len(table)), set(), False


def _predicate(table: ObjectTable, registry: PropertyRegistry,
               item: Filter) -> Callable[[int], bool]:
    name, operator = item.property_name, item.operator
    property_type = registry.type_of(table.object_type.name, name) or "string"
    if name == "hs_object_id":
        property_type = "number"
    key = _row_key(table, name, property_type)
    convert = _value_converter(name, property_type)

    if operator == "HAS_PROPERTY":
        return lambda row: key(row) is not None
    if operator == "NOT_HAS_PROPERTY":
        return lambda row: key(row) is None
    if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        pattern = str(item.value or "").lower()
        expect_token = operator == "CONTAINS_TOKEN"
        return lambda row: _has_token(table.value(row, name), pattern) is expect_token
    if operator in ("IN", "NOT_IN"):
        choices = {convert(value) for value in item.values}
        if operator == "IN":
            return lambda row: key(row) in choices
        return lambda row: key(row) not in choices
    low = convert(item.value)
    if operator == "BETWEEN":
        high = convert(item.high_value)
        return lambda row: (value := key(row)) is not None and low <= value <= high
    comparisons: dict[str, Callable[[Any], bool]] = {
        "EQ": lambda value: value == low,
        "NEQ": lambda value: value != low,
        "LT": lambda value: value < low,
        "LTE": lambda value: value <= low,
        "GT": lambda value: value > low,
        "GTE": lambda value: value >= low,
    }
    compare = comparisons[operator]
    if operator == "NEQ":
        return lambda row: compare(key(row))
    return lambda row: (value := key(row)) is not None and compare(value)


def _row_key(table: ObjectTable, name: str, property_type: str) -> Callable[[int], Any]:
    if property_type in ("datetime", "date"):
        return lambda row: table.ms(row, name)
    if property_type == "number":
        def number(row: int) -> float | None:
            text = table.value(row, name)
            try:
                return float(text) if text not in (None, "") else None
            except ValueError:
                return None
        return number
    return lambda row: _text_key(table.value(row, name))


def _text_key(value: str | None) -> str | None:
    return value.lower() if value not in (None, "") else None


def _value_converter(name: str, property_type: str) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        text = str(value)
        if property_type in ("datetime", "date"):
            ms = parse_ms(text)
            if ms is None:
                raise validation_error(
                    f"{text!r} is not a valid date for {name}: use epoch milliseconds or an "
                    "ISO 8601 datetime.")
            return ms
        if property_type == "number":
            try:
                return float(text)
            except ValueError:
                raise validation_error(
                    f"{text!r} is not a valid number for {name}.") from None
        return text.lower()
    return convert


def _has_token(value: str | None, pattern: str) -> bool:
    if not value:
        return False
    text = value.lower()
    tokens = text.replace("@", " ").replace(".", " ").split() + [text]
    return any(fnmatch.fnmatchcase(token, pattern) for token in tokens)


def _matches_text(table: ObjectTable, row: int, query: str) -> bool:
    needle = query.lower()
    return any(needle in (table.value(row, name) or "").lower()
               for name in table.object_type.search_text_properties)


def _sorted(table: ObjectTable, registry: PropertyRegistry, rows: list[int],
            sorts: tuple[tuple[str, bool], ...]) -> list[int]:
    """Sort rows by the requested sorts, then by id; missing values sort last."""
    rows = sorted(rows)  # rows are in id order, the default result order
    for name, descending in reversed(sorts):
        property_type = registry.type_of(table.object_type.name, name) or "string"
        if name == "hs_object_id":
            property_type = "number"
        key = _row_key(table, name, property_type)
        present = [row for row in rows if key(row) is not None]
        missing = [row for row in rows if key(row) is None]
        present.sort(key=key, reverse=descending)
        rows = present + missing
    return rows
