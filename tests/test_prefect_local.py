"""Prefect runs locally and quietly: no connection leaves 127.0.0.1 during a flow run."""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sgl.migrations import LATEST_VERSION
from sgl.warehouse import Warehouse

AUDIT_DIR = Path(__file__).parent / "support" / "netaudit"
LOCAL_NAMES = {"localhost", "127.0.0.1", "::1", "ip6-localhost"}


def is_local(address: object) -> bool:
    if isinstance(address, str):
        return True  # an AF_UNIX socket path
    host = str(address[0])
    if host in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.mark.prefect
def test_flow_run_opens_no_outside_connection(tmp_path: Path) -> None:
    audit_log = tmp_path / "network.jsonl"
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("SGL_", "PREFECT_"))}
    env.update({
        "PYTHONPATH": str(AUDIT_DIR),
        "SGL_NET_AUDIT_LOG": str(audit_log),
        "SGL_WAREHOUSE__PATH": str(tmp_path / "sgl.duckdb"),
    })
    script = "from flows.maintenance import prepare_warehouse; print(prepare_warehouse())"

    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stderr[-2000:]
    events = [json.loads(line) for line in audit_log.read_text(encoding="utf-8").splitlines()]
    started = {event["pid"] for event in events if event["event"] == "start"}
    connects = [event for event in events if event["event"] == "socket.connect"]
    lookups = [event for event in events if event["event"] == "socket.getaddrinfo"]
    # The flow process and Prefect's ephemeral server (a child process) both ran the hook.
    assert len(started) >= 2
    assert connects, "the flow run made no connection at all: the audit hook did not work"
    assert [event for event in connects if not is_local(event["address"])] == []
    assert [event for event in lookups if str(event["address"][0]) not in LOCAL_NAMES
            and not is_local([event["address"][0]])] == []
    assert (tmp_path / "var" / "prefect").is_dir()


@pytest.mark.prefect
def test_prepare_warehouse_flow_creates_file(prefect_server: None, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.maintenance import prepare_warehouse

    monkeypatch.setenv("SGL_WAREHOUSE__PATH", str(tmp_path / "w.duckdb"))

    state = prepare_warehouse()

    assert state["schema_version"] == LATEST_VERSION
    with Warehouse.open(tmp_path / "w.duckdb") as warehouse:
        assert warehouse.schema_version() == LATEST_VERSION
