"""The deployments of prefect.yaml run end to end on a real Prefect server and worker.

The test starts ``prefect server start`` on 127.0.0.1 with a temporary Prefect home, deploys
from the repository's prefect.yaml, starts a process worker whose environment carries the
settings and the sandbox's credentials, and triggers the runs through the API. The sandbox
and the SMTP sink run in the test process.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from tests.orchestration.conftest import (
    AS_OF,
    MONTH,
    Project,
    backfill_parameters,
    start_project,
    values_not_written,
)

REPO = Path(__file__).resolve().parents[2]
SERVER_START_TIMEOUT = 90
CLI_TIMEOUT = 120
RUN_TIMEOUT = 150


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prefect_env(home: Path, api_url: str | None) -> dict[str, str]:
    """Return an environment for Prefect's CLI without the developer's SGL_ or PREFECT_ values."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("SGL_", "PREFECT_"))}
    env.update({
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_UI_ENABLED": "false",
        # The worker polls for scheduled runs every second instead of every 10 seconds.
        "PREFECT_WORKER_QUERY_SECONDS": "1",
    })
    if api_url is not None:
        env["PREFECT_API_URL"] = api_url
    return env


def start_process(arguments: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = log.open("wb")
    return subprocess.Popen([sys.executable, "-m", "prefect", *arguments], cwd=REPO, env=env,
                            stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)


def stop_process(process: subprocess.Popen) -> None:
    """Stop the process and its children (its own process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def wait_healthy(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the Prefect server exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"the Prefect server was not healthy after {SERVER_START_TIMEOUT} s")


def run_cli(arguments: list[str], env: dict[str, str]) -> None:
    result = subprocess.run([sys.executable, "-m", "prefect", *arguments], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=CLI_TIMEOUT)
    assert result.returncode == 0, f"prefect {' '.join(arguments)}: {result.stdout[-2000:]}"


@pytest.fixture
def prefect_api(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A Prefect server on 127.0.0.1; yields its API URL and Prefect home."""
    home = tmp_path / "prefect"
    home.mkdir()
    url = f"http://127.0.0.1:{free_port()}/api"
    log = tmp_path / "server.log"
    port = url.rsplit(":", 1)[1].split("/")[0]
    server = start_process(["server", "start", "--host", "127.0.0.1", "--port", port],
                           prefect_env(home, None), log)
    try:
        wait_healthy(url, server, log)
        yield url, home
    finally:
        stop_process(server)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    yield from start_project(tmp_path / "project", monkeypatch)


def run(name: str, parameters: dict, api_url: str) -> object:
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        return run_deployment(name=name, parameters=parameters, timeout=RUN_TIMEOUT)


@pytest.mark.prefect
def test_deployments_end_to_end(prefect_api: tuple[str, Path], project: Project,
                                tmp_path: Path) -> None:
    from flows.demo import change_sandbox_records
    from sgl.attribution_store import kpi_inputs
    from sgl.warehouse import Warehouse
    from transforms.kpis import sgl_counts

    api_url, home = prefect_api
    env = prefect_env(home, api_url)
    run_cli(["work-pool", "create", "sgl", "--type", "process"], env)
    run_cli(["gcl", "create", "sgl-warehouse", "--limit", "1"], env)
    run_cli(["--no-prompt", "deploy", "--name", "backfill", "--name", "nightly-sync",
             "--name", "monthly-report"], env)
    worker_env = {**env, **project.env, "SGL_CONFIG": str(project.config_path)}
    worker = start_process(["worker", "start", "--pool", "sgl"], worker_env,
                           tmp_path / "worker.log")
    try:
        backfilled = run("backfill/backfill", backfill_parameters(None), api_url)
        changed = change_sandbox_records(project.sandbox)
        synced = run("nightly-sync/nightly-sync", {}, api_url)
        reported = run("monthly-report/monthly-report",
                       {"month": MONTH, "as_of": AS_OF.isoformat(), "locales": ["en"],
                        "first_business_day_only": False}, api_url)
    finally:
        stop_process(worker)
    worker_log = (tmp_path / "worker.log").read_text(errors="replace")[-3000:]

    assert backfilled.state.is_completed(), worker_log
    assert synced.state.is_completed(), worker_log
    assert reported.state.is_completed(), worker_log

    settings = project.settings()
    with Warehouse.open(settings.warehouse_path) as warehouse:
        leads = warehouse.read("leads", ["source", "source_id"])
        attributed = warehouse.read("attribution", ["source_id"])
        log = warehouse.read("writeback_log", ["source", "object", "source_id", "field", "after"],
                             filters={"result": "written"})
    written = [row for row in log.iter_rows() if row[3] in ("SGL_Origin__c", "sgl_origin")]
    sources = set(leads["source"].to_list())
    assert sources == {"salesforce", "hubspot"}
    assert leads.height >= project.sandbox.salesforce.store.count("Lead")
    assert attributed.height >= leads.height

    counts = sgl_counts(kpi_inputs(settings), MONTH)
    total = counts.filter(counts["dimension"] == "total")["value"].item()
    assert total > 0

    emails = project.sink.messages()
    assert len(emails) == 1
    message = message_from_bytes(emails[0].read_bytes(), policy=policy.default)
    assert message["To"] == "leadership@demo.example.co.jp"
    assert "2026" in message["Subject"]

    assert changed["salesforce.Lead"] > 0
    assert {row[0] for row in written} == {"salesforce", "hubspot"}
    assert values_not_written(project.sandbox, written) == []
