"""The server core: verified TLS, keep-alive, dispatch, request log and a clean stop."""

from __future__ import annotations

import socket
import threading

import pytest
import requests
from tests.sandbox.conftest import build_world, client_session

from sandbox import Sandbox
from sandbox.faults import FaultPlan


def test_tls_verifies_against_sandbox_ca(sandbox: Sandbox) -> None:
    response = client_session(sandbox).get(f"{sandbox.url}/services/data/")

    assert response.status_code == 200
    assert response.json()[-1]["version"] == "62.0"


def test_tls_rejected_without_sandbox_ca(sandbox: Sandbox) -> None:
    session = requests.Session()
    session.trust_env = False  # the system CA bundle only, as in an unconfigured client

    with pytest.raises(requests.exceptions.SSLError):
        session.get(f"{sandbox.url}/services/data/")


def test_environment_bundle_overrides_session_verify(
        sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """requests lets REQUESTS_CA_BUNDLE replace session.verify unless trust_env is off.

    Safe pattern for connectors: set ``session.trust_env = False`` (or pass ``verify=`` on
    every request) when ``session.verify`` names a CA file.
    """
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", requests.certs.where())
    trusting = requests.Session()
    trusting.verify = str(sandbox.ca_file)

    with pytest.raises(requests.exceptions.SSLError):
        trusting.get(f"{sandbox.url}/services/data/")

    assert client_session(sandbox).get(f"{sandbox.url}/services/data/").status_code == 200


def test_keep_alive_reuses_one_connection(sandbox: Sandbox) -> None:
    session = client_session(sandbox)
    first = session.get(f"{sandbox.url}/services/data/")
    second = session.get(f"{sandbox.url}/services/data/")

    assert first.headers["Content-Length"] == str(len(first.content))
    assert second.status_code == 200
    assert sandbox.connections_accepted == 1


def test_unknown_path_returns_404_json(sandbox: Sandbox) -> None:
    response = client_session(sandbox).get(f"{sandbox.url}/nothing/here")

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert sandbox.request_log.entries()[-1].api == ""


def test_request_log_counts_calls_and_records(sandbox: Sandbox) -> None:
    session = client_session(sandbox)
    headers = {"Authorization": f"Bearer {sandbox.salesforce_token()}"}
    session.get(f"{sandbox.url}/services/data/v59.0/query",
                params={"q": "SELECT Id FROM Lead LIMIT 5"}, headers=headers)

    assert sandbox.request_log.count(api="salesforce", path_contains="/query") == 1
    assert sandbox.request_log.records_returned("salesforce") == 5
    assert sandbox.request_log.entries()[-1].status == 200


def test_stop_leaves_no_thread_or_port() -> None:
    threads_before = set(threading.enumerate())
    sandbox = Sandbox(build_world(), mount_hubspot=False).start()
    port = int(sandbox.url.rsplit(":", 1)[1])
    session = client_session(sandbox)
    session.get(f"{sandbox.url}/services/data/")  # leaves an idle keep-alive connection

    sandbox.stop()

    assert set(threading.enumerate()) <= threads_before
    with socket.socket() as probe:
        # SO_REUSEADDR lets the probe ignore TIME_WAIT leftovers but not a listening socket.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))  # the port is free again
    sandbox.stop()  # a second stop is harmless


def test_hubspot_mounted_when_present() -> None:
    pytest.importorskip("sandbox.hubspot")
    with Sandbox(build_world(), faults=FaultPlan()) as sandbox:
        assert sandbox.hubspot is not None
        assert sandbox.hubspot.name == "hubspot"
        response = client_session(sandbox).get(
            f"{sandbox.url}/crm/v3/owners", headers={"Authorization":
                                                     f"Bearer {sandbox.hubspot_token}"})
        assert response.status_code == 200
