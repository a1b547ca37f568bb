"""A nightly sync that fails between two steps and is run again ends as if it never failed.

Each run starts an identical fresh sandbox, backfills, changes the same records and runs the
nightly sync and the monthly report in this process under the session Prefect server. The
interrupted run makes one step of the first nightly sync raise, then runs the sync again.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import UTC, datetime, time
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.orchestration.conftest import (
    AS_OF,
    MONTH,
    Project,
    backfill_parameters,
    crm_state,
    start_project,
)

CANONICAL_TABLES = ("users", "accounts", "leads", "opportunities", "activities",
                    "associations", "field_history", "persons", "attribution")
# Columns stamped with the wall-clock time of the run that wrote them.
RUN_TIME_COLUMNS = {"loaded_at", "computed_at", "decided_at", "updated_at"}
# The sandbox stamps the first change at this instant and each later one a millisecond later.
SANDBOX_NOW = datetime.combine(AS_OF, time(12, 0), tzinfo=UTC)
# Functions that the flow's tasks import when they run, so patching them fails that step.
STEPS = {
    "attribution": ("sgl.attribution_store", "run_attribution"),
    "write-back": ("connectors.writeback", "run_writeback"),
}


class InjectedFailure(Exception):
    """The failure that the test injects into a step of the nightly sync."""


def fail_step(*args: Any, **kwargs: Any) -> Any:
    raise InjectedFailure("injected by the test")


def freeze_sandbox_clocks(sandbox: Any) -> None:
    """Stamp changes at SANDBOX_NOW, so two runs store identical modification times."""
    # NOTE: this sets the stores' private clocks, because Sandbox takes no clock argument.
    sandbox.salesforce.store._clock = lambda: SANDBOX_NOW  # noqa: SLF001
    milliseconds = int(SANDBOX_NOW.timestamp() * 1000)
    sandbox.hubspot.store._clock = lambda: milliseconds  # noqa: SLF001


def run_main_job(project: Project, monkeypatch: pytest.MonkeyPatch,
                 failing_step: str | None) -> dict[str, Any]:
    """Run backfill, record changes, nightly sync and report, and return the snapshot.

    The first nightly sync fails at ``failing_step`` unless it is None.
    """
    from flows.backfill import backfill
    from flows.demo import change_sandbox_records
    from flows.nightly import nightly_sync
    from flows.report import monthly_report

    config = str(project.config_path)
    freeze_sandbox_clocks(project.sandbox)
    backfill(**backfill_parameters(project.config_path))
    change_sandbox_records(project.sandbox)

    if failing_step is not None:
        module_name, function_name = STEPS[failing_step]
        with monkeypatch.context() as patch:
            patch.setattr(importlib.import_module(module_name), function_name, fail_step)
            with pytest.raises(InjectedFailure):
                nightly_sync(config_path=config)
    nightly_sync(config_path=config)
    monthly_report(config_path=config, month=MONTH, as_of=AS_OF.isoformat(), locales=["en"])
    return snapshot(project)


def snapshot(project: Project) -> dict[str, Any]:
    """Return the warehouse tables, the report log, the report emails and the CRM fields."""
    from sgl.warehouse import Warehouse

    tables = {}
    with Warehouse.open(project.settings().warehouse_path) as warehouse:
        for name in CANONICAL_TABLES:
            frame = warehouse.read(name, include_deleted=True)
            frame = frame.drop([column for column in frame.columns
                                if column in RUN_TIME_COLUMNS])
            tables[name] = frame.sort(frame.columns)
        report = warehouse.report_log(MONTH, "en").select(
            "period", "locale", "as_of", "checksum", "figures_checksum", "is_restated")

    emails = []
    for path in project.sink.messages():
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == "leadership@demo.example.co.jp":
            emails.append(message["Subject"])
    return {"tables": tables, "report": report, "emails": emails,
            "crm": crm_state(project.sandbox)}


@pytest.fixture(scope="module")
def uninterrupted(prefect_server: None, tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[dict[str, Any]]:
    """The snapshot of the main job run once without failure."""
    folder = tmp_path_factory.mktemp("uninterrupted")
    with pytest.MonkeyPatch.context() as monkeypatch:
        for project in start_project(folder, monkeypatch):
            result = run_main_job(project, monkeypatch, None)
    yield result


@pytest.mark.prefect
@pytest.mark.parametrize("failing_step", sorted(STEPS))
def test_rerun_matches_uninterrupted(uninterrupted: dict[str, Any], failing_step: str,
                                     tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for project in start_project(tmp_path / "project", monkeypatch):
        rerun = run_main_job(project, monkeypatch, failing_step)

    for name in CANONICAL_TABLES:
        assert_frame_equal(rerun["tables"][name], uninterrupted["tables"][name])
    assert uninterrupted["report"].height == 1
    assert_frame_equal(rerun["report"], uninterrupted["report"])
    assert len(uninterrupted["emails"]) == 1
    assert rerun["emails"] == uninterrupted["emails"]
    assert rerun["crm"]["leads"] == uninterrupted["crm"]["leads"]
    assert rerun["crm"]["contacts"] == uninterrupted["crm"]["contacts"]


def written_origins(state: dict[str, Any]) -> int:
    return sum(1 for row in state["leads"] if row[1] is not None)


@pytest.mark.prefect
def test_uninterrupted_run_writes_tags(uninterrupted: dict[str, Any]) -> None:
    frame: pl.DataFrame = uninterrupted["tables"]["attribution"]

    assert frame.height > 0
    assert written_origins(uninterrupted["crm"]) > 1
