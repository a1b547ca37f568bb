"""HubSpot pulls through rate limits, server errors, expired tokens and long property lists."""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.base import Watermark
from connectors.hubspot.connector import MAX_PROPERTIES_QUERY_LENGTH, HubSpotConnector
from connectors.hubspot.errors import RequestRejected
from connectors.pull import PullRequest
from sandbox import FaultPlan, Sandbox
from sandbox.faults import RateLimit, ServerError, SessionExpiry
from sandbox.hubspot.columns import format_ms
from sgl.warehouse import Warehouse
from tests.connectors.test_hubspot_pull import (
    AS_OF,
    connector_for,
    hubspot_settings,
    live_ids,
    pull,
)

EPOCH_START = PullRequest(after=Watermark(datetime(2000, 1, 1, tzinfo=UTC), "0"))
CUSTOM_PROPERTIES = 400


def test_rate_limits_and_server_errors_lose_nothing(tmp_path: Path) -> None:
    # About half of all calls get a 429 response, and 15 % of the POST calls a 503.
    plan = FaultPlan([
        RateLimit(api="hubspot", probability=0.5, retry_after=1),
        ServerError(api="hubspot", method="POST", status=503, probability=0.15),
    ], seed=3)
    with Sandbox(size=300, seed=5, as_of=AS_OF, faults=plan) as sandbox:
        connector = connector_for(sandbox, tmp_path, page_size=50)
        with Warehouse.open(tmp_path / "sgl.duckdb", write=True) as warehouse:
            searched = pull(warehouse, connector, "contacts", EPOCH_START)
            listed = pull(warehouse, connector, "contacts")
        expected = sorted(live_ids(sandbox, "contacts"), key=int)
        rejected = sandbox.request_log.select(api="hubspot", status=429)
        failed = sandbox.request_log.select(api="hubspot", status=503)

    assert sorted(searched.record_ids(), key=int) == expected
    assert sorted(listed.record_ids(), key=int) == expected
    assert {entry.method for entry in rejected} == {"GET", "POST"}
    assert len(rejected) >= 10
    assert len(failed) >= 2


def test_expired_token_is_reloaded_once(tmp_path: Path) -> None:
    plan = FaultPlan([SessionExpiry(api="hubspot", after_calls=4)], seed=1)
    with Sandbox(size=300, seed=5, as_of=AS_OF, faults=plan) as sandbox:
        tokens = [f"pat-na1-rotated-{number}" for number in range(20)]
        sandbox.hubspot.tokens.update(tokens)
        handed_out = iter(tokens)
        connector = HubSpotConnector(hubspot_settings(sandbox, tmp_path, page_size=40),
                                     token_source=lambda: next(handed_out))
        with Warehouse.open(tmp_path / "sgl.duckdb", write=True) as warehouse:
            sink = pull(warehouse, connector, "contacts", EPOCH_START)
        expected = sorted(live_ids(sandbox, "contacts"), key=int)
        expired = sandbox.request_log.select(api="hubspot", status=401)

    used = 20 - len(list(handed_out))
    assert sorted(sink.record_ids(), key=int) == expected
    assert len(expired) >= 2
    # One token per four calls: the first one and one more after each expiry.
    assert used == len(expired) + 1


def test_token_rejected_twice_stops(tmp_path: Path) -> None:
    plan = FaultPlan([SessionExpiry(api="hubspot", after_calls=2)], seed=1)
    with Sandbox(size=50, seed=5, as_of=AS_OF, faults=plan) as sandbox:
        token = sandbox.hubspot_token
        connector = HubSpotConnector(hubspot_settings(sandbox, tmp_path, page_size=10),
                                     token_source=lambda: token)
        with Warehouse.open(tmp_path / "sgl.duckdb", write=True) as warehouse, \
                pytest.raises(Exception) as caught:
            pull(warehouse, connector, "contacts", EPOCH_START)

    assert type(caught.value).__name__ == "TokenExpired"
    assert "Bearer" not in str(caught.value)
    assert token not in str(caught.value)


@pytest.fixture
def wide_sandbox() -> Iterator[Sandbox]:
    """A portal whose contacts have several hundred custom properties."""
    with Sandbox(size=120, seed=5, as_of=AS_OF) as sandbox:
        store = sandbox.hubspot.store
        stamp = format_ms(int(time.time() * 1000))
        for number in range(CUSTOM_PROPERTIES):
            definition = store.properties.create("contacts", {
                "name": f"custom_survey_answer_{number:03d}", "label": f"Survey {number}",
                "type": "string", "fieldType": "text", "groupName": "contactinformation",
            }, stamp)
            store.table("contacts").add_column(definition["name"], definition["type"])
        first = sorted(live_ids(sandbox, "contacts"), key=int)[0]
        sandbox.hubspot.update("contacts", first, {"custom_survey_answer_399": "はい"})
        yield sandbox


def test_many_properties_keep_urls_short(wide_sandbox: Sandbox, tmp_path: Path,
                                         caplog: pytest.LogCaptureFixture) -> None:
    extra = [f"custom_survey_answer_{number:03d}" for number in range(CUSTOM_PROPERTIES)]
    connector = connector_for(wide_sandbox, tmp_path, extra_properties={"contacts": extra})
    caplog.set_level(logging.DEBUG, logger="urllib3.connectionpool")

    with Warehouse.open(tmp_path / "sgl.duckdb", write=True) as warehouse:
        listed = pull(warehouse, connector, "contacts")
        searched = pull(warehouse, connector, "contacts", EPOCH_START)

    # urllib3 logs each request line as: https://host:port "GET /path?query HTTP/1.1" 200 n
    targets = [match.group(1) for record in caplog.records
               if (match := re.search(r'"[A-Z]+ (\S+) HTTP', record.getMessage()))]
    answers = {record["id"]: record["properties"] for record in listed.pages[0].records}
    batch_reads = wide_sandbox.request_log.count(path_contains="/contacts/batch/read")
    assert targets
    assert max(len(target) for target in targets) < MAX_PROPERTIES_QUERY_LENGTH
    assert batch_reads == len([page for page in listed.pages if page.records])
    assert "はい" in {properties.get("custom_survey_answer_399") for properties in
                      answers.values()}
    assert all(len(properties) > CUSTOM_PROPERTIES for properties in answers.values())
    assert len(searched.record_ids()) == len(listed.record_ids())


def test_tls_failure_names_the_setting(tmp_path: Path) -> None:
    with Sandbox(size=20, seed=5, as_of=AS_OF) as sandbox:
        settings = hubspot_settings(sandbox, tmp_path)
        settings.sources.hubspot.ca_bundle = None  # certifi's bundle does not trust the sandbox
        connector = HubSpotConnector(settings, token_source=lambda: sandbox.hubspot_token)
        with pytest.raises(RequestRejected) as caught:
            list(connector.incremental("contacts", EPOCH_START.after))

    assert caught.value.code == "TLS"
    assert "ca_bundle" in str(caught.value)


def test_environment_proxy_and_ca_variables_are_ignored(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    with Sandbox(size=20, seed=5, as_of=AS_OF) as sandbox:
        connector = connector_for(sandbox, tmp_path)
        pages = list(connector.owners())
        proxied = HubSpotConnector(
            hubspot_settings(sandbox, tmp_path, proxy="http://proxy.example.co.jp:8080"),
            token_source=lambda: sandbox.hubspot_token)

    assert sum(len(page.records) for page in pages) > 0
    pools = {type(api.api_client.rest_client.pool_manager).__name__
             for api in itertools.chain(proxied.client._apis)}
    assert pools == {"ProxyManager"}
    direct = {type(api.api_client.rest_client.pool_manager).__name__
              for api in connector.client._apis}
    assert direct == {"PoolManager"}
