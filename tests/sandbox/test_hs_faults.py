"""Injected faults reach hubspot-api-client as HubSpot would present them."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
import urllib3
from hubspot.crm.contacts import ApiException
from urllib3.util.retry import Retry

from sandbox.faults import (
    FaultPlan,
    MalformedDate,
    MissingField,
    RateLimit,
    ServerError,
    SessionExpiry,
)
from tests.sandbox.hubspot_fixtures import make_world, running_sandbox

CONTACTS_PATH = r"^/crm/v3/objects/contacts/?$"


@pytest.mark.parametrize(("scope", "policy", "message"), [
    ("burst", "TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit."),
    ("daily", "DAILY", "You have reached your daily limit."),
])
def test_rate_limit_is_429_with_policy(scope: str, policy: str, message: str) -> None:
    faults = FaultPlan([RateLimit(api="hubspot", path=CONTACTS_PATH, first=1, retry_after=7,
                                  scope=scope)])
    with running_sandbox(make_world(contacts=5), faults) as sandbox:
        # Retry(total=0) turns off urllib3's own retry, so the first 429 reaches the caller.
        api = sandbox.client(retry=Retry(total=0)).crm.contacts.basic_api
        with pytest.raises(ApiException) as caught:
            api.get_page(limit=1)
        retried = api.get_page(limit=1)

    body = json.loads(caught.value.body)
    assert caught.value.status == 429
    assert caught.value.headers["Retry-After"] == "7"
    assert body["policyName"] == policy
    assert body["errorType"] == "RATE_LIMIT"
    assert body["message"] == message
    assert body["correlationId"]
    assert [record.id for record in retried.results] == ["1000"]


def test_default_client_retries_429_three_times() -> None:
    # hubspot-api-client 12 leaves urllib3's default Retry in place: three retries of a 429
    # that carries Retry-After, sleeping for the seconds in that header, then an ApiException.
    faults = FaultPlan([RateLimit(api="hubspot", path=CONTACTS_PATH, first=4, retry_after=0)])
    with running_sandbox(make_world(contacts=5), faults) as sandbox:
        with pytest.raises(ApiException) as caught:
            sandbox.client().crm.contacts.basic_api.get_page(limit=1)
        statuses = [entry.status for entry in sandbox.log.entries()]

    assert caught.value.status == 429
    assert statuses == [429, 429, 429, 429]


def test_default_client_hides_one_429() -> None:
    faults = FaultPlan([RateLimit(api="hubspot", path=CONTACTS_PATH, first=1, retry_after=0)])
    with running_sandbox(make_world(contacts=5), faults) as sandbox:
        page = sandbox.client().crm.contacts.basic_api.get_page(limit=1)
        statuses = [entry.status for entry in sandbox.log.entries()]

    assert page.results[0].id == "1000"
    assert statuses == [429, 200]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_error_reaches_client(status: int) -> None:
    faults = FaultPlan([ServerError(api="hubspot", status=status, first=1)])
    with running_sandbox(make_world(contacts=5), faults) as sandbox:
        with pytest.raises(ApiException) as caught:
            sandbox.client().crm.contacts.basic_api.get_page(limit=1)
        log = sandbox.log.entries()

    assert caught.value.status == status
    assert json.loads(caught.value.body)["status"] == "error"
    assert type(caught.value).__name__ == "ServiceException"
    assert log[0].fault == "server_error"


def test_expired_token_is_401_expired_authentication() -> None:
    faults = FaultPlan([SessionExpiry(api="hubspot", after_calls=2)])
    with running_sandbox(make_world(contacts=5), faults) as sandbox:
        api = sandbox.client().crm.contacts.basic_api
        api.get_page(limit=1)
        api.get_page(limit=1)
        with pytest.raises(ApiException) as caught:
            api.get_page(limit=1)

    body = json.loads(caught.value.body)
    assert caught.value.status == 401
    assert body["category"] == "EXPIRED_AUTHENTICATION"
    assert body["message"].startswith("The OAuth token used to make this call expired ")
    assert list(body["context"]) == ["expire time"]


def test_refreshed_token_works_after_expiry() -> None:
    faults = FaultPlan([SessionExpiry(api="hubspot", after_calls=1)])
    with running_sandbox(make_world(contacts=5), faults) as sandbox:
        sandbox.api.oauth_clients["client-1"] = "secret-1"
        sandbox.api.refresh_tokens.add("refresh-1")
        http = urllib3.PoolManager(ca_certs=str(sandbox.ca_file))
        form = urlencode({"grant_type": "refresh_token", "client_id": "client-1",
                          "client_secret": "secret-1", "refresh_token": "refresh-1"})
        answer = http.request("POST", f"{sandbox.url}/oauth/v1/token", body=form,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
        token = json.loads(answer.data)["access_token"]
        page = sandbox.client(token=token).crm.contacts.basic_api.get_page(limit=1)

    assert answer.status == 200
    assert json.loads(answer.data)["expires_in"] == 1800
    assert page.results[0].id == "1000"


def test_missing_field_and_malformed_date() -> None:
    faults = FaultPlan([
        MissingField(api="hubspot", object="contacts", field="email", ids={"1001"},
                     share=0.0),
        MalformedDate(api="hubspot", object="contacts", field="createdate", ids={"1002"},
                      share=0.0, value="2024-02-30T25:61:00.000Z"),
    ])
    with running_sandbox(make_world(contacts=5), faults) as sandbox:
        page = sandbox.client().crm.contacts.basic_api.get_page(limit=3)

    records = {record.id: record.properties for record in page.results}
    assert "email" not in records["1001"]
    assert records["1000"]["email"] == "person0@example.jp"
    assert records["1002"]["createdate"] == "2024-02-30T25:61:00.000Z"
