"""hubspot-api-client 12, configured from settings and wrapped with retries and call counts.

Trust and proxy come from settings only. The client's urllib3 pool reads no proxy variables.
Without a CA file, though, it loads OpenSSL's default trust store, which ``SSL_CERT_FILE`` and
``SSL_CERT_DIR`` redirect. So ``ssl_ca_cert`` is always set, to the configured ``ca_bundle``
or else to certifi's bundle.

urllib3's own retries are off (``Retry(total=0)``): its default policy repeats neither POST
calls (search, batch read) nor 429 answers, so every retry goes through
:func:`connectors.retry.call_with_retry` instead, for GET and POST alike.

Responses are read raw (``_preload_content=False``) and decoded as JSON: records keep
HubSpot's own keys (``createdAt``, not the generated models' ``created_at``), and the model
classes' per-field validation is skipped, which costs more than the HTTP call on big pages.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import certifi
from hubspot import HubSpot
from urllib3.util.retry import Retry

from connectors.hubspot.errors import classify, translate
from connectors.retry import CallContext, RetryPolicy, call_with_retry
from sgl.settings import HubSpotSettings

logger = logging.getLogger(__name__)

SOURCE = "hubspot"
DAILY_USAGE_PATH = "/account-info/v3/api-usage/daily/private-apps"

TokenSource = Callable[[], str]


class HubSpotClient:
    """The calls a pull makes, each one retried by ``policy`` and counted in ``calls``.

    ``token_source`` returns the private-app token. It is called again when HubSpot reports
    the token as expired, so a token rotated in the Secret block is picked up.
    """

    def __init__(self, settings: HubSpotSettings, token_source: TokenSource, *,
                 ca_bundle: Path | None, policy: RetryPolicy) -> None:
        self.settings = settings
        self.policy = policy
        self._token_source = token_source
        self.calls = 0  # HTTP calls made, retries included
        client = HubSpot(
            access_token=token_source(),
            host=settings.base_url,
            ssl_ca_cert=str(ca_bundle) if ca_bundle else certifi.where(),
            proxy=settings.proxy,
            retry=Retry(total=0, redirect=False, raise_on_status=False),
        )
        # Each attribute access of the client builds a new API object with its own connection
        # pool, so the API objects are built once and kept for the connections they reuse.
        self._basic = client.crm.objects.basic_api
        self._search = client.crm.objects.search_api
        self._batch = client.crm.objects.batch_api
        self._owners = client.crm.owners.owners_api
        self._associations = client.crm.associations.v4.batch_api
        self._apis = (self._basic, self._search, self._batch, self._owners, self._associations)

    # -- calls -------------------------------------------------------------------------

    def search(self, object_type: str, body: dict[str, Any], context: CallContext
               ) -> dict[str, Any]:
        """POST /crm/v3/objects/{type}/search with a PublicObjectSearchRequest body."""
        return self._call(context, f"search {object_type}",
                          lambda: self._search.do_search(object_type, body, **self._options()))

    def list_page(self, object_type: str, *, after: str | None, limit: int,
                  properties: Sequence[str], archived: bool, context: CallContext
                  ) -> dict[str, Any]:
        """GET /crm/v3/objects/{type}: one page in id order; properties go in the URL."""
        arguments: dict[str, Any] = {"limit": limit, "archived": archived,
                                     "properties": list(properties)}
        if after:
            arguments["after"] = after
        return self._call(context, f"list {object_type}",
                          lambda: self._basic.get_page(object_type, **arguments,
                                                       **self._options()))

    def batch_read(self, object_type: str, ids: Sequence[str], properties: Sequence[str],
                   context: CallContext) -> dict[str, Any]:
        """POST /crm/v3/objects/{type}/batch/read: up to 100 ids, properties in the body."""
        body = {"inputs": [{"id": record_id} for record_id in ids],
                "properties": list(properties), "propertiesWithHistory": []}
        return self._call(context, f"batch read {object_type}",
                          lambda: self._batch.read(object_type, body, archived=False,
                                                   **self._options()))

    def owners_page(self, *, after: str | None, archived: bool, context: CallContext
                    ) -> dict[str, Any]:
        """GET /crm/v3/owners: up to 500 owners with userId and teams."""
        arguments: dict[str, Any] = {"limit": 500, "archived": archived}
        if after:
            arguments["after"] = after
        return self._call(context, "list owners",
                          lambda: self._owners.get_page(**arguments, **self._options()))

    def associations(self, from_type: str, to_type: str, ids: Sequence[str],
                     context: CallContext) -> dict[str, Any]:
        """POST /crm/v4/associations/{from}/{to}/batch/read for up to 1,000 ids.

        A record without associations of that type is an entry in ``errors`` (HTTP 207),
        not a failure.
        """
        body = {"inputs": [{"id": record_id} for record_id in ids]}
        return self._call(context, f"read associations {from_type} to {to_type}",
                          lambda: self._associations.get_page(from_type, to_type, body,
                                                              **self._options()))

    def daily_usage(self, context: CallContext) -> dict[str, Any] | list[Any]:
        """GET the private app's daily API usage (calls used and the daily limit)."""
        api_client = self._basic.api_client
        return self._call(context, "read daily API usage", lambda: api_client.call_api(
            DAILY_USAGE_PATH, "GET", auth_settings=["oauth2"], _return_http_data_only=True,
            **self._options()))

    # -- machinery ---------------------------------------------------------------------

    def _options(self) -> dict[str, Any]:
        return {"_preload_content": False, "_request_timeout": self.settings.timeout_seconds}

    def _call(self, context: CallContext, operation: str, send: Callable[[], Any]) -> Any:
        def attempt() -> Any:
            self.calls += 1
            try:
                response = send()
            except Exception as error:
                translated = translate(error, operation)
                if translated is None:
                    raise
                raise translated from None
            return json.loads(response.data or b"null")

        return call_with_retry(attempt, policy=self.policy, context=context,
                               classify=classify, reauthenticate=self._reauthenticate)

    def _reauthenticate(self) -> None:
        token = self._token_source()
        for api in self._apis:
            api.api_client.configuration.access_token = token
        logger.info("hubspot access token reloaded")
