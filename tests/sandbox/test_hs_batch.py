"""Batch read, batch update, PATCH and associations through the unmodified client."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hubspot.crm.associations.v4 import BatchInputPublicFetchAssociationsBatchRequest
from hubspot.crm.contacts import (
    ApiException,
    BatchInputSimplePublicObjectBatchInput,
    BatchReadInputSimplePublicObjectId,
    SimplePublicObjectInput,
)

from sandbox.faults import FaultPlan, RecordError
from sandbox.hubspot.columns import parse_ms
from tests.sandbox.hubspot_fixtures import RunningSandbox, make_world, running_sandbox

SGL_ORIGIN = {"name": "sgl_origin", "label": "SGL origin", "type": "enumeration",
              "fieldType": "select", "groupName": "contactinformation",
              "options": [{"label": "Sales", "value": "sales"},
                          {"label": "Marketing", "value": "marketing"}]}


@pytest.fixture
def hubspot_sandbox() -> Iterator[RunningSandbox]:
    faults = FaultPlan([RecordError(api="hubspot", object="contacts", ids={"1005"},
                                    code="VALIDATION_ERROR",
                                    message="Blocked by a sandbox rule.")])
    with running_sandbox(make_world(contacts=120), faults) as sandbox:
        sandbox.client().crm.properties.core_api.create("contacts", SGL_ORIGIN)
        yield sandbox


def _update(sandbox: RunningSandbox, inputs: list[dict]):
    batch = BatchInputSimplePublicObjectBatchInput(inputs=inputs)
    return sandbox.client().crm.contacts.batch_api.update(batch)


def test_batch_update_reports_record_errors(hubspot_sandbox: RunningSandbox) -> None:
    response = _update(hubspot_sandbox, [
        {"id": "1001", "properties": {"sgl_origin": "sales"}},
        {"id": "1005", "properties": {"sgl_origin": "sales"}},
        {"id": "77777", "properties": {"sgl_origin": "sales"}},
    ])

    errors = {error.category: error for error in response.errors}
    assert response.status == "COMPLETE"
    assert [record.id for record in response.results] == ["1001"]
    assert response.num_errors == 2
    assert errors["OBJECT_NOT_FOUND"].context == {"ids": ["77777"]}
    assert errors["VALIDATION_ERROR"].context == {"ids": ["1005"]}
    assert errors["VALIDATION_ERROR"].message == "Blocked by a sandbox rule."


def test_batch_update_writes_and_bumps_modified(hubspot_sandbox: RunningSandbox) -> None:
    client = hubspot_sandbox.client()
    before = client.crm.contacts.basic_api.get_by_id("1002")

    response = _update(hubspot_sandbox, [{"id": "1002", "properties": {"sgl_origin": "sales"}}])
    after = client.crm.contacts.basic_api.get_by_id("1002", properties=["sgl_origin"])

    assert type(response).__name__ == "BatchResponseSimplePublicObject"  # a 200, not a 207
    assert after.properties["sgl_origin"] == "sales"
    assert parse_ms(after.properties["lastmodifieddate"]) > parse_ms(
        before.properties["lastmodifieddate"])
    assert after.updated_at > before.updated_at


@pytest.mark.parametrize(("properties", "error"), [
    ({"no_such_property": "x"}, "PROPERTY_DOESNT_EXIST"),
    ({"sgl_origin": "not-an-option"}, "INVALID_OPTION"),
    ({"hs_analytics_source": "OFFLINE"}, "READ_ONLY_VALUE"),
])
def test_batch_update_rejects_invalid_values(hubspot_sandbox: RunningSandbox,
                                             properties: dict, error: str) -> None:
    with pytest.raises(ApiException) as caught:
        _update(hubspot_sandbox, [{"id": "1001", "properties": properties}])

    body = json.loads(caught.value.body)
    assert caught.value.status == 400
    assert body["category"] == "VALIDATION_ERROR"
    assert body["message"].startswith("Property values were not valid: ")
    assert json.loads(body["message"].split(": ", 1)[1])[0]["error"] == error


def test_batch_update_over_100_inputs_is_400(hubspot_sandbox: RunningSandbox) -> None:
    inputs = [{"id": str(1000 + i), "properties": {"sgl_origin": "sales"}} for i in range(101)]

    with pytest.raises(ApiException) as caught:
        _update(hubspot_sandbox, inputs)

    assert caught.value.status == 400
    assert json.loads(caught.value.body)["category"] == "VALIDATION_ERROR"


def test_batch_update_duplicate_ids_is_400(hubspot_sandbox: RunningSandbox) -> None:
    inputs = [{"id": "1001", "properties": {"sgl_origin": "sales"}}] * 2

    with pytest.raises(ApiException) as caught:
        _update(hubspot_sandbox, inputs)

    assert caught.value.status == 400
    assert "Duplicate IDs" in json.loads(caught.value.body)["message"]


def test_patch_updates_one_record(hubspot_sandbox: RunningSandbox) -> None:
    api = hubspot_sandbox.client().crm.contacts.basic_api

    record = api.update("1003", SimplePublicObjectInput(properties={"sgl_origin": "marketing"}))

    assert record.properties["sgl_origin"] == "marketing"


def test_patch_with_record_fault_is_400(hubspot_sandbox: RunningSandbox) -> None:
    api = hubspot_sandbox.client().crm.contacts.basic_api

    with pytest.raises(ApiException) as caught:
        api.update("1005", SimplePublicObjectInput(properties={"sgl_origin": "sales"}))

    assert caught.value.status == 400
    assert json.loads(caught.value.body)["context"] == {"ids": ["1005"]}


def test_batch_read_reports_missing_ids(hubspot_sandbox: RunningSandbox) -> None:
    request = BatchReadInputSimplePublicObjectId(
        inputs=[{"id": "1001"}, {"id": "424242"}], properties=["email"],
        properties_with_history=[])

    response = hubspot_sandbox.client().crm.contacts.batch_api.read(request)

    assert [record.properties["email"] for record in response.results] == [
        "person1@example.jp"]
    assert response.errors[0].category == "OBJECT_NOT_FOUND"
    assert response.errors[0].context == {"ids": ["424242"]}
    assert response.errors[0].message.startswith("Could not get some CONTACT objects")


def test_association_batch_read_v4(hubspot_sandbox: RunningSandbox) -> None:
    request = BatchInputPublicFetchAssociationsBatchRequest(
        inputs=[{"id": "9001"}, {"id": "9099"}])

    response = hubspot_sandbox.client().crm.associations.v4.batch_api.get_page(
        "deals", "contacts", request)

    assert response.results[0]._from.id == "9001"
    assert response.results[0].to[0].to_object_id == "1001"
    assert response.results[0].to[0].association_types[0].type_id == 3
    assert response.errors[0].sub_category == "crm.associations.NO_ASSOCIATIONS_FOUND"


def test_association_list_v4_pages(hubspot_sandbox: RunningSandbox) -> None:
    api = hubspot_sandbox.client().crm.associations.v4.basic_api

    first = api.get_page("companies", "5000", "contacts", limit=2)
    second = api.get_page("companies", "5000", "contacts", limit=2,
                          after=first.paging.next.after)

    assert [item.to_object_id for item in first.results] == ["1000", "1020"]
    assert [item.to_object_id for item in second.results] == ["1040", "1060"]
    assert first.results[0].association_types[1].label == "Primary"


def test_associate_from_test_is_listed(hubspot_sandbox: RunningSandbox) -> None:
    hubspot_sandbox.api.associate("deals", "9030", "contacts", "1100")

    page = hubspot_sandbox.client().crm.associations.v4.basic_api.get_page(
        "contacts", "1100", "deals")

    assert {item.to_object_id for item in page.results} == {"9030"}
