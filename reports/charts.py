"""The report's charts as PNG, drawn with matplotlib's Agg canvas in IPAexGothic.

Charts are readable in greyscale: series differ by marker, line style and hatch pattern, not
by colour alone. Each chart comes with alternative text that states its figures. Figures are
drawn on their own ``Figure`` objects (no pyplot state), so rendering is safe in threads.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from functools import cache

from matplotlib import font_manager, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from reports.fonts import JAPANESE_FONT_FAMILY, japanese_font_path
from reports.formatting import Formatter
from reports.labels import Labels
from reports.model import ReportModel
from reports.rendering import ChartImage
from sgl.i18n import translate

# CSS pixel size in the email and PDF; PNGs are drawn at twice that for high-density screens.
WIDTH_PX = 640
HEIGHT_PX = 260
SCALE = 2
DPI = 100

INK = "#1a1a1a"
GREY = "#8c8c8c"
HATCHES = ("", "///", "...", "xx", "\\\\", "++")


@cache
def _register_font() -> str:
    font_manager.fontManager.addfont(str(japanese_font_path()))
    return JAPANESE_FONT_FAMILY


def render_charts(model: ReportModel, formatter: Formatter) -> dict[str, ChartImage]:
    """Draw the charts the model has data for, keyed by the names the templates use."""
    labels = Labels(formatter.locale)
    charts: dict[str, ChartImage] = {}
    # Every text of the figures (ticks, legends, titles) takes the family from rcParams.
    with rc_context({"font.family": _register_font()}):
        if model.trend:
            charts["trend"] = trend_chart(model, formatter)
        if model.has_origin_data and any(row.sgl_count for row in model.channels):
            charts["channels"] = channel_chart(model, formatter, labels)
        if any(row.new_pipeline or row.won for row in model.pipeline):
            charts["pipeline"] = pipeline_chart(model, formatter, labels)
    return charts


def trend_chart(model: ReportModel, formatter: Formatter) -> ChartImage:
    locale = formatter.locale
    months = [formatter.month(point.period) for point in model.trend]
    short = [f"{point.period:%y/%m}" for point in model.trend]
    sgl = [point.sgl_count for point in model.trend]
    mql = [point.mql_count for point in model.trend]

    figure, axes = _new_figure()
    axes.plot(short, sgl, color=INK, marker="o", linestyle="-", linewidth=2, label="SGL")
    axes.plot(short, mql, color=GREY, marker="s", linestyle="--", linewidth=2, label="MQL")
    axes.set_ylabel(translate("Leads", locale))
    axes.set_title(translate("SGLs and MQLs created per month", locale))
    axes.legend(frameon=False)
    axes.set_ylim(bottom=0)

    last = model.trend[-1]
    alt = translate("Line chart of SGLs and MQLs created per month from {first} to {last}. "
                    "{month}: {sgl} SGLs, {mql} MQLs.", locale).format(
        first=months[0], last=months[-1], month=months[-1],
        sgl=formatter.count(last.sgl_count), mql=formatter.count(last.mql_count))
    return _finish("trend", figure, alt)


def channel_chart(model: ReportModel, formatter: Formatter, labels: Labels) -> ChartImage:
    locale = formatter.locale
    rows = list(model.channels)
    names = [labels.channel(row.channel) for row in rows]
    counts = [row.sgl_count for row in rows]

    figure, axes = _new_figure()
    bars = axes.barh(names, counts, color="white", edgecolor=INK, linewidth=1.2)
    for bar, hatch in zip(bars, _cycle(HATCHES, len(rows)), strict=True):
        bar.set_hatch(hatch)
    axes.bar_label(bars, labels=[formatter.count(value) for value in counts], padding=3)
    axes.invert_yaxis()
    axes.set_xlabel(translate("SGLs", locale))
    axes.set_title(translate("SGLs by channel, {month}", locale).format(
        month=formatter.month(model.period)))

    parts = [f"{name} {formatter.count(count)}" for name, count in zip(names, counts,
                                                                       strict=True)]
    alt = translate("Bar chart of SGLs by channel in {month}: {values}.", locale).format(
        month=formatter.month(model.period), values=", ".join(parts))
    return _finish("channels", figure, alt)


def pipeline_chart(model: ReportModel, formatter: Formatter, labels: Labels) -> ChartImage:
    locale = formatter.locale
    totals: dict[str, list[Decimal]] = {}
    for row in model.pipeline:
        pair = totals.setdefault(row.origin, [Decimal(0), Decimal(0)])
        pair[0] += row.new_pipeline
        pair[1] += row.won
    origins = list(totals)
    names = [labels.origin(origin) for origin in origins]
    created = [float(totals[origin][0]) for origin in origins]
    won = [float(totals[origin][1]) for origin in origins]

    figure, axes = _new_figure()
    positions = range(len(origins))
    width = 0.38
    axes.bar([p - width / 2 for p in positions], created, width, color="white", edgecolor=INK,
             hatch="///", label=translate("New pipeline", locale))
    axes.bar([p + width / 2 for p in positions], won, width, color=INK, edgecolor=INK,
             label=translate("Won", locale))
    axes.set_xticks(list(positions), names)
    axes.set_ylabel(formatter.currency)
    axes.yaxis.set_major_formatter(lambda value, _pos: formatter.money(Decimal(str(value))))
    axes.set_title(translate("Pipeline mix by origin, {month}", locale).format(
        month=formatter.month(model.period)))
    axes.legend(frameon=False)

    parts = [translate("{origin}: new {created}, won {won}", locale).format(
        origin=name, created=formatter.money(totals[origin][0]),
        won=formatter.money(totals[origin][1])) for name, origin in zip(names, origins,
                                                                        strict=True)]
    alt = translate("Bar chart of new pipeline and won amount by origin in {month}: "
                    "{values}.", locale).format(month=formatter.month(model.period),
                                                values="; ".join(parts))
    return _finish("pipeline", figure, alt)


def _new_figure():  # type: ignore[no-untyped-def]
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.tick_params(labelsize=9)
    axes.spines[["top", "right"]].set_visible(False)
    axes.title.set_fontsize(11)
    figure.set_layout_engine("constrained")
    return figure, axes


def _finish(name: str, figure: Figure, alt: str) -> ChartImage:
    buffer = io.BytesIO()
    # No "Software" metadata: the same figures give the same PNG bytes.
    figure.savefig(buffer, format="png", dpi=DPI * SCALE, metadata={"Software": None},
                   facecolor="white")
    return ChartImage(name=name, png=buffer.getvalue(), alt=alt, width=WIDTH_PX,
                      height=HEIGHT_PX)


def _cycle(values: Sequence[str], count: int) -> list[str]:
    return [values[index % len(values)] for index in range(count)]
