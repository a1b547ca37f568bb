"""The HubSpot API of the sandbox: authentication, routing and injected-fault bodies."""

from __future__ import annotations

import logging
import re
import secrets
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote

from sandbox.faults import FaultPlan
from sandbox.http import Request, Response
from sandbox.hubspot import object_routes, portal_routes
from sandbox.hubspot.context import Call
from sandbox.hubspot.errors import (
    HubSpotError,
    expired_authentication,
    invalid_authentication,
    json_response,
    rate_limited,
    server_error,
)
from sandbox.hubspot.store import HubSpotStore
from sandbox.world import World

logger = logging.getLogger(__name__)

DEFAULT_TOKEN = "pat-na1-sandbox-0000-0000-000000000000"
OAUTH_LIFETIME_SECONDS = 1800  # HubSpot OAuth access tokens live 30 minutes

Handler = Callable[[Call], Response]

_TYPE = r"(?P<object_type>[A-Za-z0-9_-]+)"
_ROUTES: tuple[tuple[str, re.Pattern[str], Handler], ...] = tuple(
    (method, re.compile(pattern + r"/?$"), handler) for method, pattern, handler in (
        ("GET", rf"/crm/v3/objects/{_TYPE}", object_routes.list_objects),
        ("POST", rf"/crm/v3/objects/{_TYPE}/search", object_routes.search_objects),
        ("POST", rf"/crm/v3/objects/{_TYPE}/batch/read", object_routes.batch_read),
        ("POST", rf"/crm/v3/objects/{_TYPE}/batch/update", object_routes.batch_update),
        ("GET", rf"/crm/v3/objects/{_TYPE}/(?P<object_id>[^/]+)", object_routes.read_object),
        ("PATCH", rf"/crm/v3/objects/{_TYPE}/(?P<object_id>[^/]+)",
         object_routes.update_object),
        ("GET", r"/crm/v3/owners", portal_routes.list_owners),
        ("GET", r"/crm/v3/owners/(?P<owner_id>[^/]+)", portal_routes.read_owner),
        ("GET", rf"/crm/v3/properties/{_TYPE}", portal_routes.list_properties),
        ("POST", rf"/crm/v3/properties/{_TYPE}", portal_routes.create_property),
        ("GET", rf"/crm/v3/properties/{_TYPE}/groups", portal_routes.list_groups),
        ("POST", rf"/crm/v3/properties/{_TYPE}/groups", portal_routes.create_group),
        ("GET", rf"/crm/v3/properties/{_TYPE}/groups/(?P<name>[^/]+)",
         portal_routes.read_group),
        ("GET", rf"/crm/v3/properties/{_TYPE}/(?P<name>[^/]+)", portal_routes.read_property),
        ("GET", rf"/crm/v4/objects/{_TYPE}/(?P<object_id>[^/]+)/associations/"
                r"(?P<to_type>[A-Za-z0-9_-]+)", portal_routes.list_associations_v4),
        ("POST", r"/crm/(?P<version>v3|v4)/associations/(?P<from_type>[A-Za-z0-9_-]+)/"
                 r"(?P<to_type>[A-Za-z0-9_-]+)/batch/read",
         portal_routes.batch_read_associations),
        ("GET", r"/account-info/v3/details", portal_routes.account_details),
        ("GET", r"/account-info/v3/api-usage/daily/private-apps", portal_routes.daily_usage),
    )
)
_PREFIXES = ("/crm/", "/properties/", "/account-info/", "/oauth/")


class HubSpotApi:
    """HubSpot's CRM API for the sandbox server; see ``sandbox.hubspot`` for the contract."""

    name = "hubspot"

    def __init__(self, world: World, faults: FaultPlan | None = None, *,
                 tokens: Iterable[str] = (DEFAULT_TOKEN,),
                 oauth_clients: dict[str, str] | None = None,
                 refresh_tokens: Iterable[str] = (),
                 clock: Callable[[], int] | None = None) -> None:
        self.store = HubSpotStore(world, clock=clock)
        self.faults = faults
        self.tokens: set[str] = set(tokens)  # private-app tokens and live OAuth access tokens
        self.oauth_clients = dict(oauth_clients or {})  # client id -> client secret
        self.refresh_tokens: set[str] = set(refresh_tokens)

    # -- Api protocol ----------------------------------------------------------------------

    def handles(self, request: Request) -> bool:
        return request.path.startswith(_PREFIXES)

    def handle(self, request: Request) -> Response:
        if request.method == "POST" and request.path.rstrip("/") == "/oauth/v1/token":
            return self._issue_token(request)
        if not self._authenticated(request):
            return invalid_authentication()
        with self.store.lock:
            self.store.calls_today += 1
        for method, pattern, handler in _ROUTES:
            match = pattern.match(request.path)
            if match is None or method != request.method:
                continue
            try:
                params = {key: unquote(value) for key, value in match.groupdict().items()}
                return handler(Call(request, params, self.store, self.faults))
            except HubSpotError as error:
                return error.response()
        return HubSpotError(404, "OBJECT_NOT_FOUND", "resource not found").response()

    def error_response(self, fault, request: Request) -> Response:
        """Build the response HubSpot sends for an injected fault (see ``sandbox.faults``)."""
        if fault.kind == "rate_limit":
            return rate_limited(fault.scope, fault.retry_after)
        if fault.kind == "session_expired":
            return expired_authentication(datetime.now(UTC) - timedelta(seconds=1))
        return server_error(getattr(fault, "status", 500))

    # -- changes for tests and the demo ----------------------------------------------------

    def create(self, object_type: str, properties: dict[str, str | None]) -> str:
        """Create a record; return its id. See :class:`HubSpotStore` for all change methods."""
        return self.store.create(object_type, properties)

    def update(self, object_type: str, record_id: str, properties: dict[str, str | None]) -> None:
        self.store.update(object_type, record_id, properties)

    def archive(self, object_type: str, record_id: str) -> None:
        self.store.archive(object_type, record_id)

    def merge(self, object_type: str, primary_id: str, merged_id: str) -> None:
        self.store.merge(object_type, primary_id, merged_id)

    def associate(self, from_type: str, from_id: str, to_type: str, to_id: str,
                  primary: bool = False) -> None:
        self.store.associate(from_type, from_id, to_type, to_id, primary)

    # -- authentication --------------------------------------------------------------------

    def _authenticated(self, request: Request) -> bool:
        authorization = request.headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        return scheme.lower() == "bearer" and token.strip() in self.tokens

    def _issue_token(self, request: Request) -> Response:
        """POST /oauth/v1/token with grant_type=refresh_token, as HubSpot's OAuth 2.0 flow."""
        form = {key: values[0] for key, values in parse_qs(request.body.decode()).items()}
        if self.oauth_clients.get(form.get("client_id", "")) != form.get("client_secret"):
            return _oauth_error("BAD_CLIENT_ID", "missing or unknown client id")
        if form.get("grant_type") != "refresh_token":
            return _oauth_error("BAD_GRANT_TYPE", "grant_type must be refresh_token")
        if form.get("refresh_token") not in self.refresh_tokens:
            return _oauth_error("BAD_REFRESH_TOKEN", "missing or unknown refresh token")
        access_token = f"sandbox-oauth-{secrets.token_hex(16)}"
        self.tokens.add(access_token)
        logger.info("HubSpot sandbox issued an OAuth access token")
        return json_response(200, {"token_type": "bearer",
                                   "refresh_token": form["refresh_token"],
                                   "access_token": access_token,
                                   "expires_in": OAUTH_LIFETIME_SECONDS})


def _oauth_error(status: str, message: str) -> Response:
    """HubSpot's OAuth endpoint puts an error code in ``status`` rather than a category."""
    return json_response(400, {"status": status, "message": message,
                               "correlationId": str(uuid.uuid4())})
