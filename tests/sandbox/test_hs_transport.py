"""hubspot-api-client reaches the sandbox over HTTPS only through the sandbox's CA file."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import urllib3
from hubspot.crm.contacts import ApiException

from tests.sandbox.hubspot_fixtures import RunningSandbox, make_world, running_sandbox


@pytest.fixture
def hubspot_sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(make_world(contacts=20)) as sandbox:
        yield sandbox


def test_client_trusts_sandbox_ca(hubspot_sandbox: RunningSandbox) -> None:
    page = hubspot_sandbox.client().crm.contacts.basic_api.get_page(limit=3)

    assert [record.id for record in page.results] == ["1000", "1001", "1002"]
    assert hubspot_sandbox.url.startswith("https://127.0.0.1:")


def test_client_without_ca_fails_tls(hubspot_sandbox: RunningSandbox) -> None:
    client = hubspot_sandbox.client(trust_ca=False)

    # urllib3 retries the handshake, then reports the certificate failure as the cause.
    with pytest.raises(urllib3.exceptions.MaxRetryError) as caught:
        client.crm.contacts.basic_api.get_page(limit=1)

    assert isinstance(caught.value.reason, urllib3.exceptions.SSLError)
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value.reason)
    assert len(hubspot_sandbox.log) == 0


@pytest.mark.parametrize("token", ["wrong-token", ""])
def test_unknown_token_gets_401(hubspot_sandbox: RunningSandbox, token: str) -> None:
    client = hubspot_sandbox.client(token=token)

    with pytest.raises(ApiException) as caught:
        client.crm.contacts.basic_api.get_page(limit=1)

    body = json.loads(caught.value.body)
    assert caught.value.status == 401
    assert body["category"] == "INVALID_AUTHENTICATION"
    assert body["status"] == "error"
    assert body["message"].startswith("Authentication credentials not found.")
    assert body["correlationId"]


def test_configured_token_is_accepted(hubspot_sandbox: RunningSandbox) -> None:
    hubspot_sandbox.api.tokens.add("pat-na1-second")

    page = hubspot_sandbox.client(token="pat-na1-second").crm.owners.owners_api.get_page()

    assert [owner.id for owner in page.results] == ["71", "72"]
