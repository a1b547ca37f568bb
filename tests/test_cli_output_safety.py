"""CRM text printed by the CLI: escapes in terminal tables, inert cells in CSV."""

from __future__ import annotations

import csv
import io

import polars as pl
import pytest

from sgl.cli import output
from sgl.cli.output import OutputFormat

HOSTILE = pl.DataFrame({
    "lead_source": ["\x1b[2Jcleared", "\u202egpj.exe", "=HYPERLINK(\"http://127.0.0.1:9/\")",
                    "+SUM(1)", "@SUM(1)", "-x", "plain"],
    "amount": ["-5", "-5.0000", "+3", "1", "2", "3", "4"],
})


def test_table_escapes_control_characters(capsys: pytest.CaptureFixture[str]) -> None:
    output.emit(HOSTILE, OutputFormat.table, title="title\x1b[31m")

    text = capsys.readouterr().out

    assert "\x1b" not in text
    assert "\u202e" not in text
    assert "\\x1b[2Jcleared" in text
    assert "\\u202egpj.exe" in text
    assert "title\\x1b[31m" in text


def test_messages_escape_control_characters(capsys: pytest.CaptureFixture[str]) -> None:
    output.info("value \x1b[2J")
    output.error("value \u202eabc")

    text = capsys.readouterr().err

    assert "\x1b" not in text
    assert "\u202e" not in text
    assert "value \\x1b[2J" in text


def test_csv_cells_do_not_run_as_formulas(capsys: pytest.CaptureFixture[str]) -> None:
    output.emit(HOSTILE, OutputFormat.csv)

    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))

    assert [row[0] for row in rows[3:7]] == ["'=HYPERLINK(\"http://127.0.0.1:9/\")",
                                             "'+SUM(1)", "'@SUM(1)", "'-x"]
    assert rows[7][0] == "plain"
    # Numbers written as text stay numbers.
    assert [row[1] for row in rows[1:4]] == ["-5", "-5.0000", "+3"]


def test_json_keeps_values_exact(capsys: pytest.CaptureFixture[str]) -> None:
    output.emit(HOSTILE, OutputFormat.json)

    text = capsys.readouterr().out

    assert "=HYPERLINK" in text
    assert "'=HYPERLINK" not in text
