"""The nightly sync and the write-back flow.

``nightly-sync``: for each enabled source, an incremental pull of every configured object
into the warehouse, then attribution of what changed, then write-back in the configured
``[writeback] mode`` (off, dry-run or on). When a pull fails the flow still attributes what
was saved, skips write-back (decisions on partial data must not reach the CRM) and fails,
naming the source, object, page and cause. A failed, crashed or late run emails
``[alerts] ops_address``.

``writeback``: write-back alone, a dry run unless ``apply`` is set.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from prefect import Flow, flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.client.schemas.objects import FlowRun
from prefect.runtime import flow_run as current_run
from prefect.states import State

from flows import tasks
from flows.alerts import send_ops_alert
from flows.common import chosen_sources, settings_from, warehouse_slot
from flows.steps import SyncSummary
from flows.summaries import pull_rows, run_markdown, writeback_row
from sgl.errors import SglError
from sgl.i18n import _

logger = logging.getLogger(__name__)


class SyncFailed(SglError):
    """Some objects failed to pull, and the next run resumes them. ``result`` is the summary."""

    def __init__(self, message: str, result: dict[str, Any]) -> None:
        super().__init__(message)
        self.result = result


def alert_ops_on_failure(flow: Flow[..., Any], flow_run: FlowRun, state: State[Any]) -> None:
    """Prefect hook: email ops that the run failed or crashed, with its id and message."""
    config_path = (flow_run.parameters or {}).get("config_path")
    try:
        settings = settings_from(config_path)
        send_ops_alert(settings, f"[sgl] {flow.name} {state.name.lower()}: {flow_run.name}", [
            f"Flow: {flow.name}",
            f"Run: {flow_run.name} ({flow_run.id})",
            f"State: {state.name}",
            f"Message: {state.message or '-'}",
        ])
    except Exception:
        # The hook must never hide the failure it reports; the run's own logs keep it.
        logger.exception("the ops alert for run %s could not be sent", flow_run.id)


def _check_late(settings: Any) -> str | None:
    """Email ops when this run started later than allowed after its scheduled time."""
    scheduled = current_run.scheduled_start_time
    if scheduled is None:
        return None
    late_minutes = (datetime.now(UTC) - scheduled).total_seconds() / 60
    if late_minutes < settings.alerts.late_after_minutes:
        return None
    note = (f"started {late_minutes:.0f} minutes after its scheduled time "
            f"{scheduled.isoformat(timespec='minutes')}")
    get_run_logger().warning("nightly sync is late: %s", note)
    try:
        send_ops_alert(settings, f"[sgl] nightly-sync late: {current_run.name}", [
            f"Run: {current_run.name} ({current_run.id})", f"The run {note}."])
    except SglError as error:
        get_run_logger().error("the late-run alert could not be sent: %s", error)
    return note


@flow(name="nightly-sync", on_failure=[alert_ops_on_failure],
      on_crashed=[alert_ops_on_failure], timeout_seconds=8 * 3600)
def nightly_sync(config_path: str | None = None, sources: list[str] | None = None,
                 objects: list[str] | None = None, full_attribution: bool = False,
                 write_back: bool = True) -> dict[str, Any]:
    """Pull changes from each enabled CRM, attribute them and write the tags back.

    ``sources`` and ``objects`` narrow the pull (objects need exactly one source);
    ``full_attribution`` recomputes every record; ``write_back`` False skips write-back
    whatever ``[writeback] mode`` is.
    """
    logger = get_run_logger()
    settings = settings_from(config_path)
    names = chosen_sources(settings, sources, objects)
    notes = []
    late = _check_late(settings)
    if late:
        notes.append(f"Late: {late}")

    summaries: list[SyncSummary] = []
    with warehouse_slot():
        for name in names:
            try:
                summaries.append(tasks.pull_changes(settings, name, objects))
            except tasks.PullFailedRetriable as error:
                # Retries are used up; the objects stay failed in sync_state.
                logger.error("%s pull failed after retries: %s", name, error)
                summaries.append(SyncSummary("-", name))
                notes.append(f"{name}: {error}")
        failures = [line for summary in summaries for line in summary.failures()]
        attribution = tasks.attribute(settings, full_attribution)
        mode = settings.writeback.mode
        report = None
        if failures:
            notes.append("Write-back skipped because a pull failed.")
        elif write_back and mode != "off":
            report = tasks.write_back(settings, apply=mode == "on")
        else:
            notes.append(f"Write-back skipped (mode {mode}).")

    result = {
        "pulls": pull_rows(summaries),
        "attribution": attribution,
        "writeback": writeback_row(report, mode) if report is not None else None,
        "failures": failures,
    }
    create_markdown_artifact(
        key="nightly-sync", description="Nightly sync: counts per object and write-back",
        markdown=run_markdown("Nightly sync", pulls=summaries, attribution=attribution,
                              writeback=result["writeback"], notes=notes + failures))
    if failures:
        raise SyncFailed(_("The sync failed for: {objects}. The next run resumes from the "
                           "saved position; see `sgl status`.").format(
                               objects="; ".join(failures)), result)
    return result


@flow(name="writeback", timeout_seconds=4 * 3600)
def writeback(config_path: str | None = None, apply: bool = False, limit: int | None = None,
              confirm_large: bool = False) -> Any:
    """Write origin tags to the CRMs: a dry run unless ``apply``; ``limit`` caps records.

    Returns the ``WritebackReport`` with one row per field attempted.
    """
    settings = settings_from(config_path)
    with warehouse_slot():
        report = tasks.write_back(settings, apply, limit, confirm_large)
    row = writeback_row(report, "on" if apply else "dry-run")
    create_markdown_artifact(key="writeback", description="Write-back results",
                             markdown=run_markdown("Write-back", writeback=row))
    return report
