"""The CLI's output layer: tables for people, JSON and CSV for scripts.

Only this module and the command functions print. Data goes to stdout; messages and errors
go to stderr, so ``sgl status --format csv > status.csv`` stays clean.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import polars as pl
from rich.console import Console
from rich.table import Table


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)


def emit(rows: pl.DataFrame | Sequence[dict[str, Any]], output_format: OutputFormat,
         title: str | None = None, headers: dict[str, str] | None = None) -> None:
    """Print rows in the requested format; ``headers`` maps column names to display labels."""
    frame = rows if isinstance(rows, pl.DataFrame) else pl.DataFrame(list(rows), strict=False)

    if output_format is OutputFormat.json:
        sys.stdout.write(json.dumps(frame.to_dicts(), ensure_ascii=False, default=_json_value,
                                    indent=2) + "\n")
    elif output_format is OutputFormat.csv:
        sys.stdout.write(_to_csv(frame))
    else:
        _print_table(frame, title, headers or {})


def _print_table(frame: pl.DataFrame, title: str | None, headers: dict[str, str]) -> None:
    table = Table(title=title, title_justify="left", show_lines=False)
    for name in frame.columns:
        numeric = frame.schema[name].is_numeric()
        table.add_column(headers.get(name, name), justify="right" if numeric else "left",
                         overflow="fold")
    for row in frame.iter_rows():
        table.add_row(*(_cell(value) for value in row))
    stdout.print(table)


def _to_csv(frame: pl.DataFrame) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(frame.columns)
    for row in frame.iter_rows():
        writer.writerow(["" if value is None else _json_value(value) for value in row])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def error(message: str) -> None:
    """Print an error for a person; markup in the message is not interpreted."""
    stderr.print(message, style="bold red", markup=False, highlight=False)


def info(message: str) -> None:
    """Print a status line for a person on stderr."""
    stderr.print(message, markup=False, highlight=False)
