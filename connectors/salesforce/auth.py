"""Salesforce OAuth 2.0: client credentials, JWT bearer, or username-password.

Every flow posts to the org's own token endpoint, ``{instance_url}/services/oauth2/token``
(My Domain), and returns the access token with the instance URL that Salesforce reports.
The token is then handed to simple-salesforce as a session id.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import jwt
import requests
from pydantic import SecretStr

from connectors.errors import AuthenticationError, RetriableError
from sgl.i18n import _

logger = logging.getLogger(__name__)

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# Salesforce accepts a JWT bearer assertion for at most three minutes after it is issued.
JWT_LIFETIME_SECONDS = 180


@dataclass(frozen=True)
class SalesforceToken:
    access_token: SecretStr
    instance_url: str


def request_token(session: requests.Session, instance_url: str, auth: str,
                  secrets: dict[str, SecretStr], timeout: float,
                  jwt_audience: str) -> SalesforceToken:
    """Obtain an access token with the configured OAuth flow."""
    token_url = f"{instance_url}/services/oauth2/token"
    form = _token_form(auth, secrets, jwt_audience)

    try:
        response = session.post(token_url, data=form, timeout=timeout)
    except requests.RequestException as error:
        raise RetriableError(
            _("Salesforce: cannot reach {url}: {reason}").format(
                url=token_url, reason=type(error).__name__)
        ) from None

    if response.status_code >= 500:
        raise RetriableError(
            _("Salesforce: the token endpoint answered HTTP {status}; try again later.").format(
                status=response.status_code)
        )
    if response.status_code != 200:
        code = _oauth_error_code(response)
        raise AuthenticationError(
            _("Salesforce rejected the {auth} credentials ({code}). Check the connected app "
              "and the credentials in the environment or the Secret block.").format(
                auth=auth, code=code),
            code=code, status=response.status_code, body=response.text,
        )

    payload = response.json()
    logger.info("salesforce token obtained with the %s flow for %s", auth,
                payload.get("instance_url"))
    return SalesforceToken(SecretStr(payload["access_token"]),
                           payload.get("instance_url", instance_url).rstrip("/"))


def _token_form(auth: str, secrets: dict[str, SecretStr], jwt_audience: str) -> dict[str, str]:
    def value(key: str) -> str:
        return secrets[key].get_secret_value()

    if auth == "client_credentials":
        return {"grant_type": "client_credentials", "client_id": value("client_id"),
                "client_secret": value("client_secret")}
    if auth == "jwt":
        now = int(time.time())
        claims = {"iss": value("client_id"), "sub": value("username"), "aud": jwt_audience,
                  "exp": now + JWT_LIFETIME_SECONDS}
        assertion = jwt.encode(claims, value("private_key"), algorithm="RS256")
        return {"grant_type": JWT_GRANT, "assertion": assertion}
    return {
        "grant_type": "password", "client_id": value("client_id"),
        "client_secret": value("client_secret"), "username": value("username"),
        # Salesforce expects the security token appended to the password.
        "password": value("password") + value("security_token"),
    }


def _oauth_error_code(response: requests.Response) -> str:
    try:
        return str(response.json().get("error", response.status_code))
    except ValueError:
        return str(response.status_code)
