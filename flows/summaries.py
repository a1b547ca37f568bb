"""Markdown summaries of flow runs, for Prefect artifacts: counts as data, ids only.

Every table holds counts, statuses and error texts that name the object and page; none
holds a record's field values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flows.steps import SyncSummary


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """Return a Markdown table of ``rows`` with ``columns``; "-" where a row has no value."""
    if not rows:
        return "_none_\n"
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = [str(row.get(name, "-")).replace("|", "\\|").replace("\n", " ")
                 for name in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def pull_rows(summaries: Sequence[SyncSummary]) -> list[dict[str, Any]]:
    """Return one row per pulled object, without the empty archived sweeps."""
    rows = []
    for summary in summaries:
        for row in summary.rows():
            if row["object"].endswith("#archived") and not row["records"] and not row["error"]:
                continue
            rows.append(row)
    return rows


def run_markdown(title: str, *, pulls: Sequence[SyncSummary] = (),
                 attribution: dict[str, Any] | None = None,
                 writeback: dict[str, Any] | None = None,
                 headline: Sequence[dict[str, Any]] = (),
                 notes: Sequence[str] = ()) -> str:
    """Return the Markdown artifact of one run: pulls, attribution, KPI headline, write-back."""
    parts = [f"# {title}\n"]
    for note in notes:
        parts.append(f"- {note}\n")
    if pulls:
        parts.append("\n## Records pulled per object\n")
        parts.append(table(pull_rows(pulls), ["source", "object", "status", "records",
                                              "deleted", "pages", "api_calls", "seconds",
                                              "error"]))
    if attribution is not None:
        parts.append("\n## Attribution\n")
        parts.append(table([attribution], ["leads", "opportunities", "changed", "persons",
                                           "full"]))
    if headline:
        parts.append("\n## KPI headline\n")
        parts.append(table(headline, ["metric", "value", "numerator", "denominator",
                                      "maturing"]))
    if writeback is not None:
        parts.append("\n## Write-back\n")
        parts.append(table([writeback], ["run_id", "mode", "planned_records", "written",
                                         "dry_run", "skipped", "failed", "api_calls"]))
    return "".join(parts)


def writeback_row(report: Any, mode: str) -> dict[str, Any]:
    """Summarize a ``WritebackReport`` in one row: log rows per result and API calls."""
    counts = report.counts()
    skipped = sum(count for result, count in counts.items() if result.startswith("skipped"))
    return {"run_id": report.run_id, "mode": mode, "planned_records": report.planned_records,
            "written": counts.get("written", 0), "dry_run": counts.get("dry_run", 0),
            "skipped": skipped, "failed": counts.get("failed", 0),
            "api_calls": sum(report.api_calls.values())}
