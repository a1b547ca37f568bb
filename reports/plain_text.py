"""The email's plain-text alternative: headline KPIs, SGL vs MQL, and where the rest is."""

from __future__ import annotations

from reports.labels import Labels
from reports.model import ReportModel
from reports.rendering import RenderOptions, footer_text, report_title
from sgl.i18n import translate


def render_plain_text(model: ReportModel, options: RenderOptions) -> str:
    locale = options.locale
    formatter = options.formatter(model)
    labels = Labels(locale)
    title = report_title(model, options)
    lines = [title, "=" * min(len(title) * 2, 60), ""]

    if model.restated:
        lines.append(translate("Restated: these figures differ from the report sent on "
                               "{date}.", locale).format(date=formatter.day(model.restated_from)))
    if model.is_empty:
        lines.append(translate("No leads were created in {month}.", locale).format(
            month=formatter.month(model.period)))
    for source in model.sources_without_origin:
        lines.append(translate("{source}: no origin data yet, so its SGLs are not counted.",
                               locale).format(source=labels.source(source.source)))
    for source in model.missing_sources:
        lines.append(translate("{source}: no data has been pulled.", locale).format(
            source=labels.source(source.source)))

    for headline in model.headlines:
        lines.append(translate("{metric}: {value} (vs last month {month_change}, vs last year "
                               "{year_change})", locale).format(
            metric=labels.metric(headline.metric),
            value=formatter.figure(headline.current, headline.unit),
            month_change=formatter.change(headline, headline.month_change),
            year_change=formatter.change(headline, headline.year_change)))
    lines.append("")
    for row in model.conversion:
        lines.append(translate("{origin}: {leads} leads, SQL {sql_rate}, won {win_rate}",
                               locale).format(origin=labels.origin(row.origin),
                                              leads=formatter.count(row.leads),
                                              sql_rate=formatter.rate(row.sql_rate),
                                              win_rate=formatter.rate(row.win_rate)))
    lines += ["", translate("The full report is in the HTML version of this email and in the "
                            "attached PDF; the CSV has every detail row.", locale),
              "", footer_text(model, options), ""]
    return "\n".join(lines)
