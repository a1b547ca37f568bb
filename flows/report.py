"""The monthly report flow: KPIs → render → email → archive, once per month and language.

The ``monthly-report`` deployment runs at 08:00 Tokyo on days 1 to 7 with
``first_business_day_only``; the flow then skips every day but the month's first business
day (weekends, Japanese national holidays and ``[report] company_holidays`` excluded). A
report already sent, or whose send may have happened, is skipped with the reason logged,
unless ``force``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows import tasks
from flows.backfill import parse_range
from flows.business_days import first_business_day
from flows.common import FlowInputError, settings_from, warehouse_slot
from flows.reporting import headline_rows, last_full_month, send_block_reason
from flows.summaries import run_markdown
from reports.monthly import report_locale
from sgl.i18n import _
from transforms.kpis import month_bounds


@flow(name="monthly-report", timeout_seconds=2 * 3600)
def monthly_report(config_path: str | None = None, month: str | None = None,
                   as_of: str | None = None, locales: list[str] | None = None,
                   send: bool = True, force: bool = False,
                   recipients: list[str] | None = None,
                   first_business_day_only: bool = False) -> dict[str, Any]:
    """Render, archive and email the report of ``month`` (default: the last full month).

    ``as_of`` (YYYY-MM-DD, default today in the configured time zone) fixes the figures;
    ``locales`` lists languages (default ``[report] locale``, else ja); ``send`` False only
    renders; ``recipients`` replaces ``[report] recipients``.
    """
    logger = get_run_logger()
    settings = settings_from(config_path)
    zone = ZoneInfo(settings.general.timezone)
    today = datetime.now(zone).date()
    as_of_date = parse_range(as_of, "9999-12-31")[0] if as_of else today
    month = month or last_full_month(as_of_date)
    try:
        month_bounds(month)
    except Exception:
        raise FlowInputError(_("Invalid month {month!r}: expected YYYY-MM, such as 2025-04.")
                             .format(month=month)) from None
    chosen = locales or [report_locale(settings)]
    bad = [name for name in chosen if name not in ("ja", "en")]
    if bad:
        raise FlowInputError(_("Unknown language {value!r}: use ja or en.").format(
            value=bad[0]))

    if first_business_day_only:
        due = first_business_day(today.year, today.month, settings.report.company_holidays)
        if today != due:
            logger.info("skipped: %s is not the first business day of the month (%s is)",
                        today, due)
            return {"month": month, "skipped": f"not the first business day ({due})",
                    "reports": []}

    reports = []
    notes = []
    headline: list[dict[str, Any]] = []
    with warehouse_slot():
        for locale in chosen:
            if send and not force:
                reason = send_block_reason(settings, month, locale)
                if reason is not None:
                    logger.info("skipped the %s report for %s: already sent or possibly sent",
                                locale, month)
                    notes.append(f"{locale}: skipped, {reason}")
                    continue
            run = tasks.render_report(settings, month, as_of_date, locale)
            if send:
                run = tasks.send_report(settings, run, force, recipients)
            headline = headline_rows(run.headlines)
            reports.append({
                "locale": locale, "folder": str(run.rendered.archived.folder),
                "restated": run.rendered.restated, "has_origin_data": run.has_origin_data,
                "sent_to": len(run.sent.recipients) if run.sent else 0,
                "message_id": run.sent.message_id if run.sent else "",
            })
    create_markdown_artifact(
        key="monthly-report", description=f"Monthly report {month}",
        markdown=run_markdown(f"Monthly report {month} as of {as_of_date}", headline=headline,
                              notes=notes + [f"{row['locale']}: {row['folder']}, sent to "
                                             f"{row['sent_to']}" for row in reports]))
    return {"month": month, "as_of": as_of_date.isoformat(), "reports": reports,
            "headline": headline, "skipped": "; ".join(notes)}

