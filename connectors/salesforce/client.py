"""A simple-salesforce client with sign-in, retries, re-authentication and the API budget.

Every call goes through :func:`connectors.retry.call_with_retry`. simple-salesforce raises
one exception class per HTTP status; :func:`classify_salesforce` maps them: 401 renews the
session once, 5xx and the concurrent-request limit (403 ``REQUEST_LIMIT_EXCEEDED`` with
"ConcurrentPerOrgLongTxn") are retried, the daily limit stops the run, and the rest is a
:class:`~connectors.errors.ConnectorError` whose message names the object and the error
code. Response bodies stay on ``ConnectorError.body``; simple-salesforce puts them into
``str(exception)``, so those strings are never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from simple_salesforce import Salesforce
from simple_salesforce.bulk2 import _Bulk2Client
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from connectors.errors import ConnectorError
from connectors.http import build_session
from connectors.retry import (
    ApiBudget,
    ApiBudgetExhausted,
    CallContext,
    Failure,
    RetryPolicy,
    call_with_retry,
)
from connectors.salesforce.auth import request_token
from sgl.i18n import _
from sgl.secrets import SALESFORCE_SECRETS, resolve_secrets
from sgl.settings import Settings

logger = logging.getLogger(__name__)

SOURCE = "salesforce"
T = TypeVar("T")


class QueryLocatorExpired(ConnectorError):
    """The ``nextRecordsUrl`` cursor expired or was closed: restart the query from the last key."""


def error_code(error: SalesforceError) -> str:
    """Return the ``errorCode`` of a Salesforce error body, or the HTTP status."""
    content = error.content
    if isinstance(content, list) and content and isinstance(content[0], Mapping):
        return str(content[0].get("errorCode", error.status))
    if isinstance(content, Mapping):
        return str(content.get("errorCode", content.get("error", error.status)))
    return str(error.status)


def _error_message(error: SalesforceError) -> str:
    content = error.content
    if isinstance(content, list) and content and isinstance(content[0], Mapping):
        return str(content[0].get("message", ""))
    return ""


def classify_salesforce(error: BaseException) -> Failure | None:
    """Map simple-salesforce's exceptions to retry decisions; see the module docstring."""
    if isinstance(error, SalesforceExpiredSession):
        return Failure("reauthenticate", "INVALID_SESSION_ID")
    if isinstance(error, SalesforceGeneralError) and error.status >= 500:
        return Failure("retry", f"HTTP {error.status}")
    if isinstance(error, SalesforceRefusedRequest) and error_code(error) == "REQUEST_LIMIT_EXCEEDED":
        if "TotalRequests" in _error_message(error):
            return Failure("raise", "REQUEST_LIMIT_EXCEEDED (daily)")
        return Failure("retry", "REQUEST_LIMIT_EXCEEDED")
    if isinstance(error, SalesforceError):
        return Failure("raise", f"HTTP {error.status}")
    return None


class SalesforceClient:
    """One signed-in connection to an org; ``budget`` observes every response's usage header."""

    def __init__(self, settings: Settings, policy: RetryPolicy, budget: ApiBudget | None,
                 env: Mapping[str, str]) -> None:
        self.settings = settings
        self.source_settings = settings.sources.salesforce
        self.policy = policy
        self.budget = budget
        self.api_calls = 0
        source = self.source_settings
        if not source.instance_url:
            raise ConnectorError(_("sources.salesforce.instance_url is not set. Set it to the "
                                   "org's My Domain URL."))
        self._secrets = resolve_secrets("Salesforce", SALESFORCE_SECRETS[source.auth],
                                        source.secret_block, env,
                                        "sources.salesforce.secret_block")
        ca_bundle = settings.resolve(source.ca_bundle) if source.ca_bundle else None
        self.session = build_session(ca_bundle, source.proxy)
        self.session.hooks["response"].append(self._count_response)
        if budget is not None:
            self.session.hooks["response"].append(budget.response_hook())
        self.sf: Salesforce | None = None

    def _count_response(self, response: Any, *args: object, **kwargs: object) -> Any:
        self.api_calls += 1
        return response

    # Sign-in ------------------------------------------------------------------------------

    def connect(self) -> Salesforce:
        """Sign in with the configured OAuth flow and build the simple-salesforce client."""
        context = CallContext(SOURCE, operation="sign-in")
        token = call_with_retry(self._request_token, policy=self.policy, context=context)
        # parse_float keeps amounts exact: JSON numbers become Decimal, not float.
        self.sf = Salesforce(instance_url=token.instance_url,
                             session_id=token.access_token.get_secret_value(),
                             session=self.session, version=self.source_settings.api_version,
                             parse_float=Decimal)
        return self.sf

    def _request_token(self) -> Any:
        source = self.source_settings
        return request_token(self.session, source.instance_url or "", source.auth,
                             self._secrets, source.timeout_seconds, source.jwt_audience)

    def reauthenticate(self) -> None:
        """Obtain a new access token and hand it to the existing client."""
        token = self._request_token()
        session_id = token.access_token.get_secret_value()
        client = self._client()
        client.session_id = session_id
        client.headers["Authorization"] = "Bearer " + session_id
        logger.info("salesforce session renewed")

    def _client(self) -> Salesforce:
        if self.sf is None:
            raise RuntimeError("SalesforceClient.connect() must run before any call.")
        return self.sf

    # Calls --------------------------------------------------------------------------------

    def call(self, operation: Callable[[], T], context: CallContext) -> T:
        """Run one API call under the retry policy, translating Salesforce errors."""
        try:
            return call_with_retry(operation, policy=self.policy, context=context,
                                   classify=classify_salesforce,
                                   reauthenticate=self.reauthenticate)
        except SalesforceError as error:
            raise self._translate(error, context) from None

    def _translate(self, error: SalesforceError, context: CallContext) -> Exception:
        code = error_code(error)
        body = str(error.content)
        if code == "REQUEST_LIMIT_EXCEEDED":
            logger.error("salesforce daily API limit reached at %s page %s", context.object,
                         context.page)
            return ApiBudgetExhausted(
                _("Salesforce: the org's daily API limit is reached ({object} page {page}). "
                  "The pull resumes from there on the next run, after the limit resets.")
                .format(object=context.object, page=context.page),
                source=SOURCE, used=0, limit=0, share=1.0)
        if code == "INVALID_QUERY_LOCATOR":
            return QueryLocatorExpired(
                _("Salesforce: the query cursor of {object} expired at page {page}.").format(
                    object=context.object, page=context.page),
                code=code, status=error.status, body=body)
        if isinstance(error, SalesforceExpiredSession):
            return ConnectorError(
                _("Salesforce rejected the session again right after signing in ({object} "
                  "page {page}). Check that the integration user is active and may use the "
                  "API.").format(object=context.object, page=context.page),
                code=code, status=error.status, body=body)
        if isinstance(error, SalesforceMalformedRequest | SalesforceResourceNotFound):
            hint = _("Check the field and object names in sources.salesforce.extra_fields "
                     "and the custom field settings.")
        else:
            hint = _("Check the integration user's permissions, or try again later.")
        logger.error("salesforce %s of %s page %s failed: HTTP %s %s", context.operation,
                     context.object, context.page, error.status, code)
        return ConnectorError(
            _("Salesforce: {operation} of {object} page {page} failed with HTTP {status} "
              "{code}. {hint}").format(operation=context.operation, object=context.object,
                                       page=context.page, status=error.status, code=code,
                                       hint=hint),
            code=code, status=error.status, body=body)

    def describe(self, object_name: str) -> dict[str, Any]:
        """Return the describe body of one object."""
        client = self._client()
        return self.call(
            lambda: client.restful(f"sobjects/{object_name}/describe",
                                   timeout=self.source_settings.timeout_seconds),
            CallContext(SOURCE, object_name, "-", "describe"))

    def query(self, soql: str, *, include_deleted: bool, context: CallContext) -> dict[str, Any]:
        """Run a SOQL query and return its first page (``records``, ``done``, ``nextRecordsUrl``)."""
        client = self._client()
        headers = {"Sforce-Query-Options": f"batchSize={self.source_settings.page_size}"}
        logger.debug("salesforce query on %s: %s", context.object, soql)
        return self.call(lambda: client.query(soql, include_deleted=include_deleted,
                                              headers=headers,
                                              timeout=self.source_settings.timeout_seconds),
                         context)

    def query_more(self, next_records_url: str, context: CallContext) -> dict[str, Any]:
        """Fetch the page at ``nextRecordsUrl``."""
        client = self._client()
        headers = {"Sforce-Query-Options": f"batchSize={self.source_settings.page_size}"}
        return self.call(lambda: client.query_more(next_records_url, identifier_is_url=True,
                                                   headers=headers,
                                                   timeout=self.source_settings.timeout_seconds),
                         context)

    def bulk_client(self, object_name: str) -> _Bulk2Client:
        """Return simple-salesforce's Bulk API 2.0 client with the current session.

        simple-salesforce copies the session id into the bulk client when it is built, so a
        new one is built for every call to pick up a renewed session.
        """
        client = self._client()
        headers = {"Content-Type": "application/json",
                   "Authorization": "Bearer " + client.session_id, "X-PrettyPrint": "1"}
        return _Bulk2Client(object_name, client.bulk2_url, headers, self.session)
