"""Salesforce OAuth 2.0 token endpoint and session checks, driven with plain requests."""

from __future__ import annotations

import time

import jwt
import pytest
from tests.sandbox.conftest import client_session, simple_salesforce
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession

from sandbox import Sandbox
from sandbox.salesforce.auth import GRANT_JWT


def token_request(sandbox: Sandbox, data: dict, auth: tuple[str, str] | None = None):
    return client_session(sandbox).post(f"{sandbox.url}/services/oauth2/token", data=data,
                                        auth=auth)


def assertion(sandbox: Sandbox, key_pem: str | None = None, **claims) -> str:
    credentials = sandbox.salesforce_credentials
    payload = {"iss": credentials.client_id, "sub": credentials.username,
               "aud": "https://login.salesforce.com", "exp": int(time.time()) + 180}
    payload.update(claims)
    return jwt.encode(payload, key_pem or sandbox.jwt_private_key_pem, algorithm="RS256")


def query_with(sandbox: Sandbox, token: str) -> dict:
    sf = Salesforce(instance_url=sandbox.url, session_id=token,
                    session=client_session(sandbox))
    return sf.query("SELECT Id FROM User LIMIT 1")


def test_client_credentials_basic_auth(sandbox: Sandbox) -> None:
    credentials = sandbox.salesforce_credentials
    response = token_request(sandbox, {"grant_type": "client_credentials"},
                             auth=(credentials.client_id, credentials.client_secret))

    body = response.json()
    assert response.status_code == 200
    assert body["instance_url"] == sandbox.url
    assert body["token_type"] == "Bearer"
    assert set(body) >= {"access_token", "id", "issued_at", "signature"}
    assert query_with(sandbox, body["access_token"])["totalSize"] == 1


def test_password_grant_with_security_token(sandbox: Sandbox) -> None:
    credentials = sandbox.salesforce_credentials
    response = token_request(sandbox, {
        "grant_type": "password", "client_id": credentials.client_id,
        "client_secret": credentials.client_secret, "username": credentials.username,
        "password": credentials.password + credentials.security_token,
    })

    assert response.status_code == 200
    assert query_with(sandbox, response.json()["access_token"])["done"] is True


def test_jwt_bearer_grant(sandbox: Sandbox) -> None:
    response = token_request(sandbox, {"grant_type": GRANT_JWT, "assertion": assertion(sandbox)})

    assert response.status_code == 200
    assert "signature" not in response.json()
    assert query_with(sandbox, response.json()["access_token"])["totalSize"] == 1


def test_jwt_exp_as_numeric_string_accepted(sandbox: Sandbox) -> None:
    """simple-salesforce sends exp as a string; Salesforce accepts it."""
    response = token_request(sandbox, {
        "grant_type": GRANT_JWT, "assertion": assertion(sandbox, exp=str(int(time.time()) + 60)),
    })

    assert response.status_code == 200


@pytest.mark.parametrize(("claims", "description"), [
    ({"aud": "https://example.com"}, "audience is invalid"),
    ({"exp": int(time.time()) - 10}, "expired authorization code"),
    ({"sub": "someone@else.example"}, "user hasn't approved this consumer"),
    ({"iss": "unknown-client"}, "client identifier invalid"),
])
def test_jwt_rejected_claims(sandbox: Sandbox, claims: dict, description: str) -> None:
    response = token_request(sandbox, {"grant_type": GRANT_JWT,
                                       "assertion": assertion(sandbox, **claims)})

    assert response.status_code == 400
    assert response.json()["error_description"] == description


def test_jwt_signed_by_other_key_rejected(sandbox: Sandbox) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    response = token_request(sandbox, {"grant_type": GRANT_JWT,
                                       "assertion": assertion(sandbox, key_pem=other)})

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "invalid assertion"}


@pytest.mark.parametrize(("data", "error"), [
    ({"grant_type": "password", "client_id": "wrong", "client_secret": "x"},
     "invalid_client_id"),
    ({"grant_type": "authorization_code"}, "unsupported_grant_type"),
])
def test_token_errors(sandbox: Sandbox, data: dict, error: str) -> None:
    response = token_request(sandbox, data)

    assert response.status_code == 400
    assert response.json()["error"] == error


def test_wrong_password_is_invalid_grant(sandbox: Sandbox) -> None:
    credentials = sandbox.salesforce_credentials
    response = token_request(sandbox, {
        "grant_type": "password", "client_id": credentials.client_id,
        "client_secret": credentials.client_secret, "username": credentials.username,
        "password": "wrong",
    })

    assert response.json() == {"error": "invalid_grant",
                               "error_description": "authentication failure"}


def test_unknown_token_is_invalid_session(sandbox: Sandbox) -> None:
    with pytest.raises(SalesforceExpiredSession) as caught:
        query_with(sandbox, "00D000000000001!AQnotatoken")

    assert caught.value.content == [{"message": "Session expired or invalid",
                                     "errorCode": "INVALID_SESSION_ID"}]


def test_revoked_sessions_expire(sandbox: Sandbox) -> None:
    sf = simple_salesforce(sandbox)
    sandbox.salesforce.sessions.revoke_all()

    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Lead")
