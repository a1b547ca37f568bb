"""Prefect tasks: each wraps one plain function, retried only when the failure may pass.

Retries apply to :class:`connectors.errors.RetriableError` (network failures, 429, 5xx) and
to a pull whose failed objects all failed that way. A retried pull resumes from the saved
watermark, so pages already stored are not pulled again. Every other error fails the task
at once, because a retry would fail the same way (credentials, settings, a bug).
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from prefect import Task, get_run_logger, task
from prefect.client.schemas.objects import TaskRun
from prefect.states import State

from connectors.errors import RetriableError
from flows import reporting
from flows.steps import SyncSummary, backfill_source, sync_source
from sgl.prefect_env import INTERACTIVE_ENV
from sgl.settings import Settings

# Waits between the attempts of a task, in seconds; the connectors already retry each call.
RETRY_DELAYS = [30, 120, 300]
PULL_TIMEOUT_SECONDS = 4 * 3600
STEP_TIMEOUT_SECONDS = 3600


class PullFailedRetriable(RetriableError):
    """Objects of a pull failed on errors that may pass; the next attempt resumes them."""


def retry_if_retriable(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Prefect's retry condition: retry only a RetriableError, and never for the CLI.

    The connectors' own short retries still apply to CLI runs.
    """
    if os.environ.get(INTERACTIVE_ENV):
        return False
    error = state.result(raise_on_failure=False)
    return isinstance(error, RetriableError)


def _check_pull(summary: SyncSummary) -> SyncSummary:
    logger = get_run_logger()
    for line in summary.failures():
        logger.error("pull failed: %s", line)
    if summary.retriable:
        raise PullFailedRetriable("; ".join(summary.failures()))
    return summary


@task(name="pull-changes", retries=len(RETRY_DELAYS), retry_delay_seconds=RETRY_DELAYS,
      retry_condition_fn=retry_if_retriable, timeout_seconds=PULL_TIMEOUT_SECONDS,
      task_run_name="pull-changes-{source}")
def pull_changes(settings: Settings, source: str, objects: list[str] | None) -> SyncSummary:
    """Pull the records of one source changed since the saved watermarks."""
    summary = sync_source(settings, source, objects)
    get_run_logger().info("%s pull run %s: %d objects, %d records", source, summary.run_id,
                          len(summary.objects), sum(item.records for item in summary.objects))
    return _check_pull(summary)


@task(name="pull-range", retries=len(RETRY_DELAYS), retry_delay_seconds=RETRY_DELAYS,
      retry_condition_fn=retry_if_retriable, timeout_seconds=PULL_TIMEOUT_SECONDS,
      task_run_name="pull-range-{source}")
def pull_range(settings: Settings, source: str, start: date, end: date,
               objects: list[str] | None) -> SyncSummary:
    """Pull again the records of one source created in ``[start, end)``."""
    summary = backfill_source(settings, source, start, end, objects)
    get_run_logger().info("%s backfill run %s %s..%s: %d records", source, summary.run_id,
                          start, end, sum(item.records for item in summary.objects))
    return _check_pull(summary)


@task(name="attribute", timeout_seconds=STEP_TIMEOUT_SECONDS)
def attribute(settings: Settings, full: bool) -> dict[str, Any]:
    """Decide origin and channel of changed records (all with ``full``) and save them."""
    from sgl.attribution_store import run_attribution

    run = run_attribution(settings, full=full, holder="attribution task")
    get_run_logger().info("attribution: %d leads, %d opportunities, %d changed", run.leads,
                          run.opportunities, run.changed)
    return {"leads": run.leads, "opportunities": run.opportunities, "changed": run.changed,
            "persons": run.persons, "full": run.full}


@task(name="write-back", retries=len(RETRY_DELAYS), retry_delay_seconds=RETRY_DELAYS,
      retry_condition_fn=retry_if_retriable, timeout_seconds=STEP_TIMEOUT_SECONDS)
def write_back(settings: Settings, apply: bool, limit: int | None = None,
               confirm_large: bool = False) -> Any:
    """Write the decisions to the CRMs (a dry run unless ``apply``); return the report."""
    from connectors.writeback import WritebackOptions, run_writeback

    report = run_writeback(settings, WritebackOptions(apply=apply, limit=limit,
                                                      confirm_large=confirm_large))
    get_run_logger().info("write-back run %s (%s): %s", report.run_id,
                          "applied" if apply else "dry run", report.counts())
    return report


@task(name="render-report", timeout_seconds=STEP_TIMEOUT_SECONDS,
      task_run_name="render-report-{month}-{locale}")
def render_report(settings: Settings, month: str, as_of: date,
                  locale: str) -> reporting.ReportRun:
    """Compute the KPIs, render the report, archive it and log the render."""
    run = reporting.render_report(settings, month, as_of, locale)
    get_run_logger().info("report %s %s rendered into %s", month, locale,
                          run.rendered.archived.folder)
    return run


@task(name="send-report", timeout_seconds=STEP_TIMEOUT_SECONDS)
def send_report(settings: Settings, run: reporting.ReportRun, force: bool,
                recipients: list[str] | None) -> reporting.ReportRun:
    """Email the rendered report and record the send in the report log."""
    sent = reporting.send_report(settings, run, force=force, recipients=recipients)
    get_run_logger().info("report %s %s sent to %d recipients", run.rendered.period,
                          run.rendered.locale, len(sent.sent.recipients) if sent.sent else 0)
    return sent
