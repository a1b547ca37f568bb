"""Benchmark the monthly report: render time and sizes for 12 reps and a 12-month trend.

The input is the test suite's golden report model (tests/reports/golden.py) widened to 12
reps, a 12-month trend and 200 SGL detail rows, so the figures are fixed and the run needs
no warehouse. Each step is timed separately; the first run (which loads fonts and
templates) is reported apart from the median of the following runs.

Usage::

    .venv/bin/python bench/bench_report.py                 # ja, 5 runs
    .venv/bin/python bench/bench_report.py --lang en --repeat 3 --detail-rows 1000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reports.archive import csv_bytes, detail_frame  # noqa: E402
from reports.charts import render_charts  # noqa: E402
from reports.monthly import render_options  # noqa: E402
from reports.pdf import render_pdf  # noqa: E402
from reports.rendering import render_email_html  # noqa: E402
from sgl.settings import Settings  # noqa: E402
from tests.reports.golden import golden_model  # noqa: E402


def run_once(lang: str, detail_rows: int) -> dict:
    model = golden_model(reps=12, detail_rows=detail_rows, months=12)
    options = render_options(Settings(), lang)

    started = time.perf_counter()
    charts = render_charts(model, options.formatter(model))
    charted = time.perf_counter()
    html = render_email_html(model, charts, options).encode("utf-8")
    emailed = time.perf_counter()
    pdf = render_pdf(model, charts, options)
    printed = time.perf_counter()
    detail = csv_bytes(detail_frame(model, lang))
    finished = time.perf_counter()
    return {
        "charts_s": charted - started,
        "email_html_s": emailed - charted,
        "pdf_s": printed - emailed,
        "csv_s": finished - printed,
        "total_s": finished - started,
        "email_html_bytes": len(html),
        "charts_png_bytes": sum(len(chart.png) for chart in charts.values()),
        "pdf_bytes": len(pdf),
        "csv_bytes": len(detail),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=("ja", "en"), default="ja")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--detail-rows", type=int, default=200)
    args = parser.parse_args()

    first = run_once(args.lang, args.detail_rows)
    later = [run_once(args.lang, args.detail_rows) for _ in range(max(args.repeat - 1, 1))]
    median = {key: statistics.median(run[key] for run in later) for key in first}
    print(json.dumps({
        "lang": args.lang, "reps": 12, "trend_months": 12, "detail_rows": args.detail_rows,
        "runs": 1 + len(later), "cpus": os.cpu_count(), "python": platform.python_version(),
        "first_run": {key: round(value, 3) for key, value in first.items()},
        "median_of_later_runs": {key: round(value, 3) for key, value in median.items()},
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
