"""The CLI's output layer: tables for people, JSON and CSV for scripts.

Only this module and the command functions print. Data goes to stdout; messages and errors
go to stderr, so ``sgl status --format csv > status.csv`` stays clean.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import polars as pl
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)
# Text of an empty cell in a table. JSON writes null and CSV an empty field instead.
_NULL = "-"
# Control characters (terminal escapes such as a screen clear) and the Unicode marks that
# reorder text (U+202E shows "gpj.exe" as "exe.jpg"). CRM values are untrusted, so tables
# and messages show these as escapes. Tabs and line feeds stay.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Column:
    """A column of a table for people: its heading, and whether it contains numbers."""

    heading: str
    numeric: bool = False  # right-aligned and never wrapped
    whole: bool = False  # text that never wraps either, such as a record id to copy


def emit(rows: pl.DataFrame | Sequence[dict[str, Any]], output_format: OutputFormat,
         title: str | None = None, headers: Mapping[str, str] | None = None,
         display: Mapping[str, Callable[[Any], str]] | None = None,
         whole: Collection[str] = ()) -> None:
    """Print rows in the requested format.

    ``headers`` maps column names to headings and ``display`` maps them to functions that
    write a non-null value for people (a label for an id, a number with separators); the
    ``whole`` columns never wrap (see :class:`Column`). These apply to the table only: JSON
    and CSV keep the column names and the exact values.
    """
    frame = rows if isinstance(rows, pl.DataFrame) else pl.DataFrame(list(rows), strict=False)

    if output_format is OutputFormat.json:
        sys.stdout.write(json.dumps(frame.to_dicts(), ensure_ascii=False, default=_json_value,
                                    indent=2) + "\n")
    elif output_format is OutputFormat.csv:
        sys.stdout.write(_to_csv(frame))
    else:
        headers = headers or {}
        writers = [(display or {}).get(name, _cell) for name in frame.columns]
        columns = [Column(headers.get(name, name), numeric=frame.schema[name].is_numeric(),
                          whole=name in whole)
                   for name in frame.columns]
        print_table(columns, ([_NULL if value is None else write(value)
                               for write, value in zip(writers, row, strict=True)]
                              for row in frame.iter_rows()), title=title)


def print_table(columns: Sequence[Column], rows: Iterable[Sequence[str]],
                title: str | None = None, note: str | None = None) -> None:
    """Print a table of values already written for people, and a note below it.

    A number or a whole text never wraps: its column is as wide as its widest value and a
    long heading wraps above it instead. Other text folds when the terminal is too narrow.
    """
    rows = [[visible(cell) for cell in row] for row in rows]
    # Text, not str, everywhere: a name such as "[重要] 案件" is data, not Rich markup.
    table = Table(title=Text(visible(title)) if title else None, title_justify="left",
                  show_lines=False)
    narrowest = [_heading_width(column.heading) for column in columns]
    widest = [max((cell_len(row[index]) for row in rows), default=1)
              if column.numeric or column.whole else 0
              for index, column in enumerate(columns)]
    # Headings of text columns stay unbroken only while every column still fits. Borders
    # and padding take three cells per column and one more.
    keep_headings = (sum(map(max, narrowest, widest)) + 3 * len(columns) + 1
                     <= stdout.width)
    for column, heading_width, value_width in zip(columns, narrowest, widest, strict=True):
        header = Text(column.heading, no_wrap=False, overflow="fold")
        if column.numeric or column.whole:
            table.add_column(header, justify="right" if column.numeric else "left",
                             no_wrap=True, min_width=value_width,
                             max_width=max(value_width, heading_width))
        else:
            table.add_column(header, overflow="fold",
                             min_width=heading_width if keep_headings else None)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    stdout.print(table)
    if note:
        # Rich wraps at spaces only, so a Japanese sentence after "注: " would move to a line
        # of its own. The terminal wraps Japanese between any two characters instead.
        stdout.print(Text(note, style="dim"), soft_wrap=not note.isascii())


def heading(text: str) -> None:
    """Print a line that introduces the tables after it."""
    stdout.print(Text(visible(text), style="bold"))


def _heading_width(heading: str) -> int:
    """Return the narrowest width a heading may wrap to.

    A Latin word stays whole. Japanese may break between any two characters, so a run of it
    counts as at most four characters (eight cells).
    """
    return max((cell_len(word) if word.isascii() else min(cell_len(word), 8)
                for word in heading.split()), default=1)


def _to_csv(frame: pl.DataFrame) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(frame.columns)
    for row in frame.iter_rows():
        writer.writerow(["" if value is None else _inert(_json_value(value)) for value in row])
    return buffer.getvalue()


def _inert(value: Any) -> Any:
    """Keep a spreadsheet from running a text value as a formula.

    CRM text is untrusted and CSV files here are made to be opened in a spreadsheet, where a
    cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula.
    Such text gets a leading apostrophe, which spreadsheets show as plain text; numbers
    written as text ("-5") stay as they are.
    """
    if not isinstance(value, str) or not value or value[0] not in "=+-@\t\r":
        return value
    if value[0] in "+-" and _is_number(value):
        return value
    return "'" + value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _cell(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def visible(text: str) -> str:
    """Replace control characters and text-reordering marks with escapes such as ``\\x1b``."""
    return _UNSAFE.sub(_escape, text)


def _escape(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def error(message: str) -> None:
    """Print an error for a person; markup in the message is not interpreted."""
    stderr.print(visible(message), style="bold red", markup=False, highlight=False)


def info(message: str) -> None:
    """Print a status line for a person on stderr."""
    stderr.print(visible(message), markup=False, highlight=False)
