"""Objects list, read, archive and merge through the unmodified hubspot-api-client."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hubspot.crm.contacts import ApiException

from tests.sandbox.hubspot_fixtures import RunningSandbox, make_world, running_sandbox

CONTACTS = 250


@pytest.fixture
def hubspot_sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(make_world(contacts=CONTACTS)) as sandbox:
        yield sandbox


def _all_pages(sandbox: RunningSandbox, **options) -> list:
    api = sandbox.client().crm.contacts.basic_api
    records, after = [], None
    while True:
        page = api.get_page(limit=100, after=after, **options)
        records.extend(page.results)
        if page.paging is None:
            return records
        after = page.paging.next.after


def test_list_paging_returns_each_record_once(hubspot_sandbox: RunningSandbox) -> None:
    records = _all_pages(hubspot_sandbox, properties=["email", "hs_analytics_source"])

    ids = [record.id for record in records]
    assert len(ids) == CONTACTS
    assert len(set(ids)) == CONTACTS
    assert ids == sorted(ids, key=int)
    assert set(records[0].properties) == {"createdate", "email", "hs_analytics_source",
                                          "hs_object_id", "lastmodifieddate"}
    assert hubspot_sandbox.log.count(api="hubspot") == 3


def test_list_paging_gives_next_link(hubspot_sandbox: RunningSandbox) -> None:
    page = hubspot_sandbox.client().crm.contacts.basic_api.get_page(limit=100)

    assert page.paging.next.after == "1100"
    assert page.paging.next.link.startswith(hubspot_sandbox.url.replace("https://", "https://"))
    assert "after=1100" in page.paging.next.link


def test_list_rejects_limit_above_100(hubspot_sandbox: RunningSandbox) -> None:
    with pytest.raises(ApiException) as caught:
        hubspot_sandbox.client().crm.contacts.basic_api.get_page(limit=101)

    assert caught.value.status == 400
    assert json.loads(caught.value.body)["category"] == "VALIDATION_ERROR"


def test_default_properties_per_type(hubspot_sandbox: RunningSandbox) -> None:
    client = hubspot_sandbox.client()

    contact = client.crm.contacts.basic_api.get_page(limit=1).results[0]
    deal = client.crm.deals.basic_api.get_page(limit=1).results[0]
    call = client.crm.objects.calls.basic_api.get_page(limit=1).results[0]

    assert set(contact.properties) == {"createdate", "email", "firstname", "hs_object_id",
                                       "lastmodifieddate", "lastname"}
    assert set(deal.properties) == {"amount", "closedate", "createdate", "dealname",
                                    "dealstage", "hs_lastmodifieddate", "hs_object_id",
                                    "pipeline"}
    assert set(call.properties) == {"hs_createdate", "hs_lastmodifieddate", "hs_object_id"}


def test_archived_listing_shows_only_archived(hubspot_sandbox: RunningSandbox) -> None:
    hubspot_sandbox.api.archive("contacts", "1003")
    hubspot_sandbox.api.archive("contacts", "1200")

    archived = _all_pages(hubspot_sandbox, archived=True)
    live = _all_pages(hubspot_sandbox)

    assert [record.id for record in archived] == ["1003", "1200"]
    assert all(record.archived for record in archived)
    assert all(record.archived_at is not None for record in archived)
    assert len(live) == CONTACTS - 2
    assert "1003" not in {record.id for record in live}


def test_archived_record_read_needs_flag(hubspot_sandbox: RunningSandbox) -> None:
    api = hubspot_sandbox.client().crm.contacts.basic_api
    hubspot_sandbox.api.archive("contacts", "1003")

    with pytest.raises(ApiException) as caught:
        api.get_by_id("1003")

    assert caught.value.status == 404
    assert api.get_by_id("1003", archived=True).archived is True


def test_merged_contact_is_404_and_survivor_lists_it(hubspot_sandbox: RunningSandbox) -> None:
    api = hubspot_sandbox.client().crm.contacts.basic_api
    hubspot_sandbox.api.merge("contacts", "1010", "1011")

    with pytest.raises(ApiException) as caught:
        api.get_by_id("1011")
    survivor = api.get_by_id("1010", properties=["hs_merged_object_ids"],
                             associations=["companies"])

    body = json.loads(caught.value.body)
    assert caught.value.status == 404
    assert body["category"] == "OBJECT_NOT_FOUND"
    assert body["context"] == {"id": ["1011"]}
    assert survivor.properties["hs_merged_object_ids"] == "1011"
    company_ids = {item.id for item in survivor.associations["companies"].results}
    assert company_ids == {"5010", "5011"}
    assert "1011" not in {record.id for record in _all_pages(hubspot_sandbox)}


def test_merge_in_world_hides_merged_id() -> None:
    world = make_world(contacts=5)
    world.hubspot["contacts"][0]["properties"]["hs_merged_object_ids"] = "1003;77"

    with running_sandbox(world) as sandbox:
        ids = [record.id for record in _all_pages(sandbox)]

    assert ids == ["1000", "1001", "1002", "1004"]


def test_read_by_email_id_property(hubspot_sandbox: RunningSandbox) -> None:
    record = hubspot_sandbox.client().crm.contacts.basic_api.get_by_id(
        "person42@example.jp", id_property="email")

    assert record.id == "1042"


def test_properties_with_history_after_update(hubspot_sandbox: RunningSandbox) -> None:
    hubspot_sandbox.api.update("contacts", "1001", {"lifecyclestage": "opportunity"})

    record = hubspot_sandbox.client().crm.contacts.basic_api.get_by_id(
        "1001", properties_with_history=["lifecyclestage"])

    history = record.properties_with_history["lifecyclestage"]
    assert [entry.value for entry in history] == ["opportunity", "lead"]
    assert history[0].timestamp > history[1].timestamp


def test_created_record_is_listed_last(hubspot_sandbox: RunningSandbox) -> None:
    new_id = hubspot_sandbox.api.create("contacts", {"email": "new@example.jp"})

    records = _all_pages(hubspot_sandbox)

    assert new_id == "1250"
    assert records[-1].id == new_id
    assert records[-1].properties["email"] == "new@example.jp"


def test_unknown_object_type_is_400(hubspot_sandbox: RunningSandbox) -> None:
    with pytest.raises(Exception) as caught:
        hubspot_sandbox.client().crm.objects.basic_api.get_page("widgets")

    assert caught.value.status == 400
    assert "widgets" in json.loads(caught.value.body)["message"]
