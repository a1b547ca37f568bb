"""The sandbox's bodies have the keys and value types of recorded real Salesforce responses.

The recordings are restforce's test fixtures (MIT), copied unchanged into the shared data
folder; the test skips when that folder is not beside the repository.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from tests.sandbox.conftest import client_session
from simple_salesforce import Salesforce

from sandbox import Sandbox

CONVERTED_LEAD = "00Q000000000002AAA"


def shape(value: Any) -> Any:
    """Reduce a JSON value to its structure: dict keys and value types, lists by first item."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def recorded(folder: Path, name: str) -> Any:
    return json.loads((folder / name).read_text())


def keys_of(value: dict) -> set[str]:
    return set(value)


def get(sandbox: Sandbox, sf: Salesforce, path: str, **params) -> Any:
    response = client_session(sandbox).get(
        f"{sandbox.url}/services/data/v59.0/{path}", params=params,
        headers={"Authorization": f"Bearer {sf.session_id}"})
    return response.status_code, response.json()


def test_query_pages_match_recorded(shared_restforce: Path, sandbox: Sandbox,
                                    sf: Salesforce) -> None:
    sandbox.salesforce.page_size_limit = 10
    first = sf.query("SELECT Id FROM Lead")
    last = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    while not last["done"]:
        last = sf.query_more(last["nextRecordsUrl"], identifier_is_url=True)
    real_first = recorded(shared_restforce, "sobject/query_paginated_first_page_response.json")
    real_last = recorded(shared_restforce, "sobject/query_paginated_last_page_response.json")

    assert list(first) == list(real_first)
    assert list(last) == list(real_last)
    assert shape(first["records"][0]["attributes"]) == shape(
        real_first["records"][0]["attributes"])
    for key in ("totalSize", "done", "nextRecordsUrl"):
        assert shape(first[key]) == shape(real_first[key])


def test_parent_relationship_matches_recorded(shared_restforce: Path, sf: Salesforce) -> None:
    record = sf.query("SELECT Id, Owner.Name FROM Lead LIMIT 1")["records"][0]
    real = recorded(shared_restforce, "sobject/query_success_response.json")["records"][0]

    assert keys_of(record["Owner"]) == keys_of(real["ParentWhizbang__r"]) - {"Text_Label"}
    assert shape(record["Owner"]["attributes"]) == shape(real["ParentWhizbang__r"]["attributes"])


def test_empty_result_matches_recorded(shared_restforce: Path, sf: Salesforce) -> None:
    result = sf.query("SELECT Id FROM Lead WHERE Email = 'nobody@example.com'")

    assert result == recorded(shared_restforce, "sobject/query_empty_response.json")


@pytest.mark.parametrize(("path", "params", "recording"), [
    ("query", {"q": "SELECT Nope__c FROM Lead"}, "sobject/query_error_response.json"),
    ("sobjects/Nope/describe", {}, "sobject/sobject_describe_error_response.json"),
])
def test_error_arrays_match_recorded(shared_restforce: Path, sandbox: Sandbox, sf: Salesforce,
                                     path: str, params: dict, recording: str) -> None:
    status, body = get(sandbox, sf, path, **params)
    real = recorded(shared_restforce, recording)

    assert status in (400, 404)
    assert shape(body) == shape(real)


def test_expired_session_matches_recorded(shared_restforce: Path, sandbox: Sandbox) -> None:
    response = client_session(sandbox).get(
        f"{sandbox.url}/services/data/v59.0/limits",
        headers={"Authorization": "Bearer expired"})

    assert response.status_code == 401
    assert response.json() == recorded(shared_restforce, "expired_session_response.json")


def test_oauth_error_matches_recorded(shared_restforce: Path, sandbox: Sandbox) -> None:
    credentials = sandbox.salesforce_credentials
    response = client_session(sandbox).post(f"{sandbox.url}/services/oauth2/token", data={
        "grant_type": "password", "client_id": credentials.client_id,
        "client_secret": credentials.client_secret, "username": credentials.username,
        "password": "wrong"})

    assert shape(response.json()) == shape(recorded(shared_restforce,
                                                    "auth_error_response.json"))


def test_collections_results_match_recorded(shared_restforce: Path, sf: Salesforce) -> None:
    results = sf.restful("composite/sobjects", method="PATCH", json={"records": [
        {"attributes": {"type": "Lead"}, "Id": "00Q000000000001AAA", "SGL_Rule__c": "r1"},
        {"attributes": {"type": "Lead"}, "Id": CONVERTED_LEAD, "SGL_Rule__c": "r1"}]})
    real = recorded(shared_restforce, "sobject/composite_sobjects_success_response.json")

    assert shape(results[0]) == shape(real[0])
    assert keys_of(results[1]) == keys_of(real[0])
    assert set(results[1]["errors"][0]) == {"statusCode", "message", "fields"}


def test_describe_field_keys_cover_recorded(shared_restforce: Path, sf: Salesforce) -> None:
    ours = sf.Lead.describe()["fields"][0]
    real = recorded(shared_restforce, "sobject/sobject_describe_success_response.json")
    real_field = real["fields"][0]
    needed = {"name", "type", "label", "updateable", "createable", "nillable", "custom",
              "picklistValues", "referenceTo", "relationshipName", "soapType", "length"}

    assert needed <= set(real_field)
    assert needed <= set(ours)
    for key in needed:
        assert shape(ours[key]) == shape(real_field[key]) or real_field[key] is None or \
            ours[key] is None, key


def test_bulk_bodies_match_recorded(shared_restforce: Path, sandbox: Sandbox,
                                    sf: Salesforce) -> None:
    session = client_session(sandbox)
    headers = {"Authorization": f"Bearer {sf.session_id}", "Content-Type": "application/json"}
    base = f"{sandbox.url}/services/data/v59.0/jobs/ingest"
    created = session.post(base, json={"object": "Lead", "operation": "update",
                                       "contentType": "CSV", "lineEnding": "LF"},
                           headers=headers).json()
    upload = session.put(f"{base}/{created['id']}/batches", headers={
        **headers, "Content-Type": "text/csv"},
        data=f"Id,SGL_Rule__c\n00Q000000000001AAA,r2\n{CONVERTED_LEAD},r2\n")
    closed = session.patch(f"{base}/{created['id']}", json={"state": "UploadComplete"},
                           headers=headers).json()
    status = session.get(f"{base}/{created['id']}", headers=headers).json()
    successful = session.get(f"{base}/{created['id']}/successfulResults", headers=headers).text
    failed = session.get(f"{base}/{created['id']}/failedResults", headers=headers).text

    real_created = recorded(shared_restforce, "bulk/create_job_success_response.json")
    assert keys_of(created) == keys_of(real_created)
    assert shape(created) == shape(real_created)
    assert upload.status_code == 201
    assert upload.text == ""
    assert closed["state"] == "UploadComplete"
    assert keys_of(recorded(shared_restforce, "bulk/check_status_success_response.json")) <= \
        keys_of(status)
    real_success = (shared_restforce / "bulk/success_results_success_response.decoded.csv")
    real_failed = (shared_restforce / "bulk/failed_results_success_response.decoded.csv")
    assert next(csv.reader(io.StringIO(successful)))[:2] == next(
        csv.reader(real_success.open()))[:2]
    assert next(csv.reader(io.StringIO(failed)))[:2] == next(csv.reader(real_failed.open()))[:2]
