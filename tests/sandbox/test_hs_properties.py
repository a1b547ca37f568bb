"""Property definitions, property creation and groups through the unmodified client."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hubspot.crm.properties import ApiException, PropertyCreate, PropertyGroupCreate

from sandbox.hubspot.catalog import ANALYTICS_SOURCES
from tests.sandbox.hubspot_fixtures import RunningSandbox, make_world, running_sandbox


@pytest.fixture
def hubspot_sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(make_world(contacts=10)) as sandbox:
        yield sandbox


def test_definitions_carry_types_and_options(hubspot_sandbox: RunningSandbox) -> None:
    api = hubspot_sandbox.client().crm.properties.core_api

    source = api.get_by_name("contacts", "hs_analytics_source")
    created = api.get_by_name("contacts", "createdate")
    amount = api.get_by_name("deals", "amount")

    assert (source.type, source.field_type) == ("enumeration", "select")
    assert [option.value for option in source.options] == list(ANALYTICS_SOURCES)
    assert source.modification_metadata.read_only_value is True
    assert (created.type, created.field_type) == ("datetime", "date")
    assert (amount.type, amount.field_type) == ("number", "number")


def test_sgl_properties_absent_until_created(hubspot_sandbox: RunningSandbox) -> None:
    api = hubspot_sandbox.client().crm.properties.core_api
    names = {definition.name for definition in api.get_all("contacts").results}
    body = PropertyCreate(name="sgl_channel", label="SGL channel", type="enumeration",
                          field_type="select", group_name="contactinformation",
                          options=[{"label": "Referral", "value": "referral",
                                    "displayOrder": 0, "hidden": False}])

    created = api.create("contacts", body)
    with pytest.raises(ApiException) as caught:
        api.create("contacts", body)

    assert "sgl_channel" not in names
    assert "hs_analytics_source" in names
    assert created.name == "sgl_channel"
    assert created.hubspot_defined is None
    assert caught.value.status == 409
    assert json.loads(caught.value.body)["category"] == "OBJECT_ALREADY_EXISTS"
    assert api.get_by_name("contacts", "sgl_channel").options[0].value == "referral"


def test_sgl_property_defined_when_world_holds_values() -> None:
    world = make_world(contacts=3)
    world.hubspot["contacts"][1]["properties"]["sgl_origin"] = "sales"

    with running_sandbox(world) as sandbox:
        definition = sandbox.client().crm.properties.core_api.get_by_name("contacts",
                                                                            "sgl_origin")

    assert definition.type == "enumeration"
    assert "sales" in {option.value for option in definition.options}


def test_create_needs_existing_group(hubspot_sandbox: RunningSandbox) -> None:
    api = hubspot_sandbox.client().crm.properties
    body = PropertyCreate(name="sgl_rule_id", label="SGL rule", type="string",
                          field_type="text", group_name="sgl")

    with pytest.raises(ApiException) as caught:
        api.core_api.create("contacts", body)
    api.groups_api.create("contacts", PropertyGroupCreate(name="sgl", label="SGL"))
    created = api.core_api.create("contacts", body)

    assert caught.value.status == 400
    assert created.group_name == "sgl"
    assert "sgl" in {group.name for group in api.groups_api.get_all("contacts").results}


def test_unknown_property_is_404(hubspot_sandbox: RunningSandbox) -> None:
    with pytest.raises(ApiException) as caught:
        hubspot_sandbox.client().crm.properties.core_api.get_by_name("contacts", "nope")

    assert caught.value.status == 404
