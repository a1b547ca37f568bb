"""The sandbox's HubSpot bodies have the keys and value types of real recorded responses.

The recorded responses are dlt's HubSpot test fixtures (CRM v3 object lists, a contact with
propertiesWithHistory and associations, and the contact property names of a real portal).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import urllib3

from sandbox.hubspot import DEFAULT_TOKEN
from sandbox.hubspot.catalog import catalogue_properties, property_spec
from tests.sandbox.hubspot_fixtures import RunningSandbox, make_world, running_sandbox

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
# Standard properties that HubSpot added after the recorded property list was taken.
NEWER_THAN_RECORDING = {"hs_object_source", "hs_object_source_label",
                        "hs_object_source_detail_1"}


@pytest.fixture(scope="module")
def hubspot_sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(make_world(contacts=10, companies=3, deals=3)) as sandbox:
        yield sandbox


def _get(sandbox: RunningSandbox, path: str) -> dict:
    http = urllib3.PoolManager(ca_certs=str(sandbox.ca_file))
    answer = http.request("GET", sandbox.url + path,
                          headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"})
    assert answer.status == 200, answer.data[:300]
    return json.loads(answer.data)


def _type_names(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _record_shape(record: dict) -> dict[str, str]:
    return {key: _type_names(value) for key, value in record.items()}


@pytest.mark.parametrize("object_type", ["contacts", "companies", "deals"])
def test_object_list_matches_recording(shared_data: Path, hubspot_sandbox: RunningSandbox,
                                       object_type: str) -> None:
    real = json.loads((shared_data / "dlt_hubspot" / f"{object_type}_data.json").read_text())
    ours = _get(hubspot_sandbox, f"/crm/v3/objects/{object_type}?limit=2")

    real_record, our_record = real["results"][0], ours["results"][0]
    assert set(real) <= set(ours) <= {"results", "paging"}
    assert _record_shape(our_record) == _record_shape(real_record)
    assert set(our_record["properties"]) == set(real_record["properties"])
    assert all(isinstance(value, str | None) for value in our_record["properties"].values())
    assert ISO_MS.match(our_record["createdAt"])
    assert ISO_MS.match(real_record["createdAt"])
    assert our_record["properties"]["hs_object_id"] == our_record["id"]


def test_history_and_associations_match_recording(shared_data: Path,
                                                  hubspot_sandbox: RunningSandbox) -> None:
    real = json.loads((shared_data / "dlt_hubspot" / "contacts_with_history.json").read_text())
    ours = _get(hubspot_sandbox, "/crm/v3/objects/contacts/1001?propertiesWithHistory=email,"
                                 "createdate&associations=deals")

    real_record = real["results"][0]
    real_entry = next(iter(real_record["propertiesWithHistory"].values()))[0]
    our_entry = ours["propertiesWithHistory"]["email"][0]
    assert set(ours) == set(real_record)
    assert {"value", "timestamp", "sourceType"} <= set(our_entry) <= set(real_entry)
    assert ISO_MS.match(our_entry["timestamp"])
    real_link = real_record["associations"]["deals"]["results"][0]
    our_link = ours["associations"]["deals"]["results"][0]
    assert set(our_link) == set(real_link)
    assert our_link["type"] == real_link["type"] == "contact_to_deal"


def test_property_definitions_match_recording(shared_data: Path,
                                              hubspot_sandbox: RunningSandbox) -> None:
    real = json.loads((shared_data / "dlt_hubspot" / "contacts_properties.json").read_text())
    ours = _get(hubspot_sandbox, "/crm/v3/properties/contacts")

    # The recording keeps only each definition's name, so names are what can be compared.
    real_names = {definition["name"] for definition in real["results"]}
    standard = {name for name in catalogue_properties("contacts")
                if property_spec("contacts", name).hubspot_defined}
    assert set(real) == set(ours) == {"results"}
    assert all(isinstance(definition["name"], str) for definition in ours["results"])
    assert standard - NEWER_THAN_RECORDING <= real_names
    assert {definition["name"] for definition in ours["results"]} >= standard
