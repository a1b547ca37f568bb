"""The backfill flow: re-pull a date range, then optionally recompute and re-render.

Every parameter is checked before anything runs (ISO dates, start before end, known
sources and objects), so a typo fails in seconds instead of after an hour of pulling.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows import tasks
from flows.common import FlowInputError, chosen_sources, settings_from, warehouse_slot
from flows.nightly import SyncFailed
from flows.steps import SyncSummary
from flows.summaries import pull_rows, run_markdown
from sgl.i18n import _
from sgl.settings import Settings
from sgl.warehouse import Warehouse


def parse_range(start: str, end: str) -> tuple[date, date]:
    """Parse ISO dates ``start`` and ``end``; raise FlowInputError unless start < end."""
    parsed = []
    for name, text in (("start", start), ("end", end)):
        try:
            parsed.append(date.fromisoformat(text))
        except (TypeError, ValueError):
            raise FlowInputError(_("{name} {value!r} is not a date: use YYYY-MM-DD.").format(
                name=name, value=text)) from None
    if parsed[0] >= parsed[1]:
        raise FlowInputError(_("The backfill range is empty: start {start} must be before end "
                               "{end}.").format(start=parsed[0], end=parsed[1]))
    return parsed[0], parsed[1]


def months_in(start: date, end: date) -> list[str]:
    """Return the months that ``[start, end)`` touches, as YYYY-MM, oldest first.

    >>> months_in(date(2025, 3, 15), date(2025, 5, 1))
    ['2025-03', '2025-04']
    """
    months = []
    index = start.year * 12 + start.month - 1
    last = end.year * 12 + end.month - 1 - (1 if end.day == 1 else 0)
    while index <= last:
        months.append(f"{index // 12:04d}-{index % 12 + 1:02d}")
        index += 1
    return months


@flow(name="backfill", timeout_seconds=12 * 3600)
def backfill(start: str, end: str, config_path: str | None = None,
             sources: list[str] | None = None, objects: list[str] | None = None,
             recompute: bool = True, rerender: bool = False,
             as_of: str | None = None) -> dict[str, Any]:
    """Re-pull the records created in ``[start, end)`` (local dates, YYYY-MM-DD).

    ``recompute`` re-attributes every record afterwards; ``rerender`` renders (never sends)
    the report of each month in the range that has one in the report log, as of ``as_of``
    (default today). The incremental watermark never moves back.
    """
    logger = get_run_logger()
    first, last = parse_range(start, end)
    settings = settings_from(config_path)
    names = chosen_sources(settings, sources, objects)
    as_of_date = parse_range(as_of, "9999-12-31")[0] if as_of else None

    summaries: list[SyncSummary] = []
    rendered: list[str] = []
    with warehouse_slot():
        for name in names:
            summaries.append(tasks.pull_range(settings, name, first, last, objects))
        failures = [line for summary in summaries for line in summary.failures()]
        attribution = tasks.attribute(settings, full=True) if recompute else None
        if rerender and not failures:
            rendered = _rerender(settings, first, last, as_of_date)
    result = {"pulls": pull_rows(summaries), "attribution": attribution,
              "rerendered": rendered, "failures": failures}
    create_markdown_artifact(
        key="backfill", description=f"Backfill {first}..{last}",
        markdown=run_markdown(f"Backfill {first} to {last}", pulls=summaries,
                              attribution=attribution,
                              notes=[f"Re-rendered: {', '.join(rendered) or '-'}", *failures]))
    logger.info("backfill %s..%s finished: %d failures", first, last, len(failures))
    if failures:
        raise SyncFailed(_("The backfill failed for: {objects}. Run it again with the same "
                           "range to resume.").format(objects="; ".join(failures)), result)
    return result


def _rerender(settings: Settings, first: date, last: date, as_of: date | None) -> list[str]:
    """Render again the months of the range that were rendered before, in each language."""
    as_of = as_of or datetime.now(ZoneInfo(settings.general.timezone)).date()
    months = set(months_in(first, last))
    with Warehouse.open(settings.warehouse_path, holder="backfill re-render check",
                        lock_timeout=settings.warehouse.lock_timeout_seconds) as warehouse:
        log = warehouse.read("report_log", ["period", "locale"])
    pairs = sorted({(period, locale) for period, locale in log.iter_rows()
                    if period in months})
    done = []
    for month, locale in pairs:
        tasks.render_report(settings, month, as_of, locale)
        done.append(f"{month} {locale}")
    return done
