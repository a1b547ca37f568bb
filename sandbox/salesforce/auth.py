"""The OAuth 2.0 token endpoint and the access tokens of the sandbox org.

Grant types, as Salesforce's ``/services/oauth2/token`` accepts them: ``client_credentials``
(client id and secret in a Basic header or the form), ``password`` (client id and secret,
username, password with the security token appended) and
``urn:ietf:params:oauth:grant-type:jwt-bearer`` (an RS256 assertion with ``iss`` = client id,
``sub`` = username, ``aud`` = the login URL, signed by the private key whose public key the
sandbox holds). Failures are 400 with ``{"error", "error_description"}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.http import Request, Response

logger = logging.getLogger(__name__)

GRANT_JWT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
LOGIN_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")
ORG_ID = "00D000000000001AAA"


@dataclass(frozen=True)
class SalesforceCredentials:
    """The sandbox's own dummy credentials; fine to print, worthless anywhere else."""

    client_id: str
    client_secret: str
    username: str
    password: str
    security_token: str
    jwt_private_key_pem: str
    jwt_public_key_pem: str

    @classmethod
    def generate(cls, username: str = "integration@sandbox.example") -> SalesforceCredentials:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(
            client_id="3MVG9sandbox" + secrets.token_hex(12),
            client_secret=secrets.token_hex(32),
            username=username,
            password="sandbox-" + secrets.token_hex(8),
            security_token=secrets.token_hex(12),
            jwt_private_key_pem=key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()).decode(),
            jwt_public_key_pem=key.public_key().public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
        )


class Sessions:
    """Issued access tokens; thread-safe. A revoked or unknown token gets 401."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, str] = {}  # token -> user id

    def issue(self, user_id: str) -> str:
        token = f"{ORG_ID[:15]}!AQ{secrets.token_urlsafe(48)}"
        with self._lock:
            self._tokens[token] = user_id
        return token

    def user_of(self, token: str) -> str | None:
        with self._lock:
            return self._tokens.get(token)

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    def revoke_all(self) -> None:
        """Expire every session, as when an admin resets them; clients must log in again."""
        with self._lock:
            self._tokens.clear()


class OAuthError(Exception):
    def __init__(self, error: str, description: str):
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description


class TokenEndpoint:
    """``POST /services/oauth2/token`` for the grants in the module docstring."""

    def __init__(self, credentials: SalesforceCredentials, sessions: Sessions, user_id: str):
        self.credentials = credentials
        self.sessions = sessions
        self.user_id = user_id

    def handle(self, request: Request, base_url: str) -> Response:
        if request.method != "POST":
            return Response.json(400, {"error": "invalid_request",
                                       "error_description": "must use HTTP POST"})
        form = {name: values[0] for name, values in parse_qs(
            request.body.decode("utf-8"), keep_blank_values=True).items()}
        form.update({name: values[0] for name, values in request.query.items()
                     if name not in form})
        grant_type = form.get("grant_type", "")
        try:
            if grant_type == "client_credentials":
                self._check_client(request, form)
            elif grant_type == "password":
                self._check_client(request, form)
                self._check_password(form)
            elif grant_type == GRANT_JWT:
                self._check_assertion(form.get("assertion", ""), base_url)
            else:
                raise OAuthError("unsupported_grant_type", "grant type not supported")
        except OAuthError as error:
            logger.info("Sandbox OAuth %s grant rejected: %s", grant_type or "(none)",
                        error.error)
            return Response.json(400, {"error": error.error,
                                       "error_description": error.description})
        return self._token_response(base_url, with_signature=grant_type != GRANT_JWT)

    def _check_client(self, request: Request, form: dict[str, str]) -> None:
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        authorization = request.headers.get("authorization", "")
        if authorization.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(authorization[6:].strip()).decode("utf-8")
            except ValueError as error:
                raise OAuthError("invalid_client", "invalid client credentials") from error
            client_id, _, client_secret = decoded.partition(":")
        if client_id != self.credentials.client_id:
            raise OAuthError("invalid_client_id", "client identifier invalid")
        if not hmac.compare_digest(client_secret or "", self.credentials.client_secret):
            raise OAuthError("invalid_client", "invalid client credentials")

    def _check_password(self, form: dict[str, str]) -> None:
        expected = self.credentials.password + self.credentials.security_token
        if form.get("username") != self.credentials.username or not hmac.compare_digest(
                form.get("password", ""), expected):
            raise OAuthError("invalid_grant", "authentication failure")

    def _check_assertion(self, assertion: str, base_url: str) -> None:
        try:
            claims = jwt.decode(
                assertion, self.credentials.jwt_public_key_pem, algorithms=["RS256"],
                audience=[*LOGIN_AUDIENCES, base_url],
                # simple-salesforce sends exp as a numeric string, which Salesforce accepts
                # and PyJWT does not, so exp is checked below.
                options={"verify_exp": False, "require": ["iss", "sub", "aud", "exp"]},
            )
        except jwt.InvalidAudienceError as error:
            raise OAuthError("invalid_grant", "audience is invalid") from error
        except jwt.InvalidTokenError as error:
            raise OAuthError("invalid_grant", "invalid assertion") from error
        try:
            expires = float(claims["exp"])
        except (TypeError, ValueError) as error:
            raise OAuthError("invalid_grant", "invalid assertion") from error
        if expires < time.time():
            raise OAuthError("invalid_grant", "expired authorization code")
        if claims["iss"] != self.credentials.client_id:
            raise OAuthError("invalid_client_id", "client identifier invalid")
        if claims["sub"] != self.credentials.username:
            raise OAuthError("invalid_grant", "user hasn't approved this consumer")

    def _token_response(self, base_url: str, with_signature: bool) -> Response:
        token = self.sessions.issue(self.user_id)
        identity = f"{base_url}/id/{ORG_ID}/{self.user_id}"
        issued_at = str(int(time.time() * 1000))
        body = {
            "access_token": token,
            "instance_url": base_url,
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
            "scope": "api",
        }
        if with_signature:
            digest = hmac.new(self.credentials.client_secret.encode(),
                              (identity + issued_at).encode(), hashlib.sha256).digest()
            body["signature"] = base64.b64encode(digest).decode()
        return Response.json(200, body)
