"""CRM search through the unmodified hubspot-api-client: filters, sorts, paging, the cap."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hubspot.crm.contacts import ApiException, PublicObjectSearchRequest

from sandbox.hubspot.columns import parse_ms
from tests.sandbox.hubspot_fixtures import (
    START_MS,
    RunningSandbox,
    make_world,
    running_sandbox,
)

CONTACTS = 250


@pytest.fixture
def hubspot_sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(make_world(contacts=CONTACTS)) as sandbox:
        yield sandbox


def _search(sandbox: RunningSandbox, **request):
    return sandbox.client().crm.contacts.search_api.do_search(
        public_object_search_request=PublicObjectSearchRequest(**request))


def _modified_since(since_ms: int, after: str | None = None, limit: int = 100) -> dict:
    return {
        "filter_groups": [{"filters": [
            {"propertyName": "lastmodifieddate", "operator": "GTE", "value": str(since_ms)}]}],
        "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
        "properties": ["email", "lastmodifieddate"], "limit": limit, "after": after,
    }


def test_incremental_search_pages_in_modified_order(hubspot_sandbox: RunningSandbox) -> None:
    since = START_MS + 100 * 60_000
    found, after = [], None
    while True:
        page = _search(hubspot_sandbox, **_modified_since(since, after))
        found.extend(page.results)
        if page.paging is None:
            break
        after = page.paging.next.after

    stamps = [parse_ms(record.properties["lastmodifieddate"]) for record in found]
    assert page.total == len(found)
    assert len({record.id for record in found}) == len(found)
    assert stamps == sorted(stamps)
    assert min(stamps) >= since
    assert len(found) == sum(1 for row in hubspot_sandbox.api.store.tables["contacts"]
                             .rows_by_modified(since, None))


def test_update_moves_record_to_newest(hubspot_sandbox: RunningSandbox) -> None:
    hubspot_sandbox.api.update("contacts", "1000", {"firstname": "Hanako"})

    page = _search(hubspot_sandbox, sorts=[{"propertyName": "lastmodifieddate",
                                            "direction": "DESCENDING"}], limit=1)

    assert page.results[0].id == "1000"


def test_default_order_is_by_id(hubspot_sandbox: RunningSandbox) -> None:
    page = _search(hubspot_sandbox, limit=5)

    assert [record.id for record in page.results] == ["1000", "1001", "1002", "1003", "1004"]
    assert page.total == CONTACTS
    assert page.paging.next.after == "5"


@pytest.mark.parametrize(("filters", "expected"), [
    ([{"propertyName": "hs_analytics_source", "operator": "EQ", "value": "REFERRALS"}], 50),
    ([{"propertyName": "hs_analytics_source", "operator": "IN",
       "values": ["OFFLINE", "REFERRALS"]}], 100),
    ([{"propertyName": "hs_analytics_source", "operator": "NOT_IN",
       "values": ["OFFLINE", "REFERRALS"]}], 150),
    ([{"propertyName": "hs_object_id", "operator": "BETWEEN", "value": "1010",
       "highValue": "1019"}], 10),
    ([{"propertyName": "hs_object_id", "operator": "GT", "value": "1239"}], 10),
    ([{"propertyName": "lifecyclestage", "operator": "NEQ", "value": "lead"}], 84),
    ([{"propertyName": "hs_lead_status", "operator": "HAS_PROPERTY"}], 0),
    ([{"propertyName": "hs_lead_status", "operator": "NOT_HAS_PROPERTY"}], CONTACTS),
    ([{"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "person12*"}], 11),
    ([{"propertyName": "createdate", "operator": "LT",
       "value": "2025-01-01T00:03:00.000Z"}], 3),
    ([{"propertyName": "lastmodifieddate", "operator": "LT",
       "value": "2025-01-01T00:32:00.000Z"}], 1),
    ([{"propertyName": "lastmodifieddate", "operator": "LTE",
       "value": "2025-01-01T00:32:00.000Z"}], 2),
    ([{"propertyName": "lastmodifieddate", "operator": "GT",
       "value": "2025-01-01T04:39:00.000Z"}], 1),
    ([{"propertyName": "lastmodifieddate", "operator": "BETWEEN",
       "value": "1735691520000", "highValue": "1735691580000"}], 2),
    ([{"propertyName": "lastmodifieddate", "operator": "GTE", "value": "1735691520000"},
      {"propertyName": "hs_analytics_source", "operator": "EQ", "value": "OFFLINE"}], 50),
])
def test_filter_operators(hubspot_sandbox: RunningSandbox, filters: list,
                          expected: int) -> None:
    page = _search(hubspot_sandbox, filter_groups=[{"filters": filters}], limit=1)

    assert page.total == expected


def test_filter_groups_are_ored(hubspot_sandbox: RunningSandbox) -> None:
    groups = [{"filters": [{"propertyName": "hs_object_id", "operator": "EQ", "value": "1001"}]},
              {"filters": [{"propertyName": "email", "operator": "EQ",
                            "value": "PERSON7@example.jp"}]}]

    page = _search(hubspot_sandbox, filter_groups=groups, limit=10)

    assert [record.id for record in page.results] == ["1001", "1007"]


def test_too_many_filter_groups_is_400(hubspot_sandbox: RunningSandbox) -> None:
    group = {"filters": [{"propertyName": "hs_object_id", "operator": "GT", "value": "0"}]}

    with pytest.raises(ApiException) as caught:
        _search(hubspot_sandbox, filter_groups=[group] * 6)

    assert caught.value.status == 400
    assert json.loads(caught.value.body)["category"] == "VALIDATION_ERROR"


def test_limit_above_200_is_400(hubspot_sandbox: RunningSandbox) -> None:
    with pytest.raises(ApiException) as caught:
        _search(hubspot_sandbox, limit=201)

    assert caught.value.status == 400


def test_filter_on_unknown_property_is_400(hubspot_sandbox: RunningSandbox) -> None:
    filters = [{"propertyName": "no_such_property", "operator": "EQ", "value": "x"}]

    with pytest.raises(ApiException) as caught:
        _search(hubspot_sandbox, filter_groups=[{"filters": filters}])

    assert caught.value.status == 400
    assert "no_such_property" in json.loads(caught.value.body)["message"]


def test_paging_past_10000_results_fails() -> None:
    with running_sandbox(make_world(contacts=10_050, companies=5, deals=0)) as sandbox:
        seen, after, failure = 0, None, None
        while True:
            try:
                page = _search(sandbox, **_modified_since(0, after, limit=200))
            except ApiException as error:
                failure = error
                break
            seen += len(page.results)
            after = page.paging.next.after

    body = json.loads(failure.body)
    assert seen == 10_000
    assert after == "10000"
    assert page.total == 10_050
    assert failure.status == 400
    assert body["category"] == "VALIDATION_ERROR"
    assert body["status"] == "error"
    assert "10000" in body["message"]
