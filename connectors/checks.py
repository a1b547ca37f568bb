"""Connection checks behind ``sgl config check --online``: one authenticated call per CRM."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import requests

from connectors.http import build_session
from connectors.salesforce.auth import request_token
from sgl.errors import SglError
from sgl.i18n import _
from sgl.secrets import HUBSPOT_SECRETS, SALESFORCE_SECRETS, resolve_secrets
from sgl.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckResult:
    target: str
    ok: bool
    detail: str


def check_salesforce(settings: Settings, env: Mapping[str, str]) -> CheckResult:
    """Obtain a token and read the org's API limits."""
    source = settings.sources.salesforce
    if not source.instance_url:
        return _failed("salesforce", _("sources.salesforce.instance_url is not set."))
    try:
        secrets = resolve_secrets("Salesforce", SALESFORCE_SECRETS[source.auth],
                                  source.secret_block, env, "sources.salesforce.secret_block")
        session = build_session(_resolved(settings, source.ca_bundle), source.proxy)
        token = request_token(session, source.instance_url, source.auth, secrets,
                              source.timeout_seconds, source.jwt_audience)
        response = session.get(
            f"{token.instance_url}/services/data/v{source.api_version}/limits",
            headers={"Authorization": f"Bearer {token.access_token.get_secret_value()}"},
            timeout=source.timeout_seconds,
        )
    except (SglError, requests.RequestException) as error:
        return _failed("salesforce", _describe(error))

    if response.status_code != 200:
        return _failed("salesforce", _("HTTP {status} from the limits endpoint.").format(
            status=response.status_code))
    daily = response.json().get("DailyApiRequests", {})
    detail = _("connected; daily API requests left: {left} of {max}").format(
        left=daily.get("Remaining", "?"), max=daily.get("Max", "?"))
    return CheckResult("salesforce", ok=True, detail=detail)


def check_hubspot(settings: Settings, env: Mapping[str, str]) -> CheckResult:
    """Read one owner with the private-app token."""
    source = settings.sources.hubspot
    try:
        secrets = resolve_secrets("HubSpot", HUBSPOT_SECRETS, source.secret_block, env,
                                  "sources.hubspot.secret_block")
        session = build_session(_resolved(settings, source.ca_bundle), source.proxy)
        response = session.get(
            f"{source.base_url}/crm/v3/owners",
            params={"limit": 1},
            headers={"Authorization": f"Bearer {secrets['access_token'].get_secret_value()}"},
            timeout=source.timeout_seconds,
        )
    except (SglError, requests.RequestException) as error:
        return _failed("hubspot", _describe(error))

    if response.status_code == 401:
        return _failed("hubspot", _("HubSpot rejected the access token (HTTP 401). Check "
                                    "SGL_HUBSPOT_ACCESS_TOKEN or the Secret block."))
    if response.status_code == 403:
        return _failed("hubspot", _("The private app lacks a scope (HTTP 403); it needs "
                                    "crm.objects.owners.read."))
    if response.status_code != 200:
        return _failed("hubspot", _("HTTP {status} from the owners endpoint.").format(
            status=response.status_code))
    return CheckResult("hubspot", ok=True, detail=_("connected"))


def _failed(target: str, detail: str) -> CheckResult:
    logger.info("connection check of %s failed", target)
    return CheckResult(target, ok=False, detail=detail)


def _resolved(settings: Settings, path):
    return settings.resolve(path) if path is not None else None


def _describe(error: Exception) -> str:
    if isinstance(error, SglError):
        return str(error)
    if isinstance(error, requests.exceptions.SSLError):
        return _("TLS verification failed; set ca_bundle if a proxy inspects TLS.")
    if isinstance(error, requests.ConnectionError | requests.Timeout):
        return _("cannot connect ({reason}).").format(reason=type(error).__name__)
    return type(error).__name__
