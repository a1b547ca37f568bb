"""Reading exports: encodings, byte-order marks, CRLF and quoted newlines."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from connectors.files.errors import FileRejectedError
from connectors.files.reading import decode, read_csv, sniff_separator

ROWS = [
    ["Record ID", "会社名", "オリジナルソース", "メモ"],
    ["1", "株式会社テスト", "紹介", "一行目\n二行目"],
    ["2", "テスト商事", "展示会", "「引用」, 含む"],
]


def write_export(path: Path, encoding: str, newline: str) -> Path:
    lines = []
    for row in ROWS:
        cells = ['"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',\n"') else cell
                 for cell in row]
        lines.append(",".join(cells))
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    return path


@pytest.mark.parametrize(("encoding", "newline", "detected"), [
    ("utf-8", "\n", "utf-8"),
    ("utf-8-sig", "\r\n", "utf-8-sig"),
    ("cp932", "\r\n", "cp932"),
    ("shift_jis", "\n", "cp932"),
])
def test_encodings_read_identically(tmp_path: Path, encoding: str, newline: str,
                                    detected: str) -> None:
    reference = read_csv(write_export(tmp_path / "reference.csv", "utf-8", "\n"))
    other = read_csv(write_export(tmp_path / f"{encoding}.csv", encoding, newline))

    assert other.encoding == detected
    assert_frame_equal(other.frame, reference.frame)
    assert other.frame.columns == ROWS[0]
    assert other.frame["メモ"][0] == "一行目\n二行目"


def test_explicit_encoding_wins(tmp_path: Path) -> None:
    path = write_export(tmp_path / "sjis.csv", "cp932", "\r\n")

    assert read_csv(path, encoding="cp932").frame["会社名"][0] == "株式会社テスト"
    with pytest.raises(FileRejectedError, match="not valid utf-8"):
        read_csv(path, encoding="utf-8")


def test_undecodable_file_rejected(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(b"a,b\n\x81\x7f\xff,1\n")

    with pytest.raises(FileRejectedError) as error:
        read_csv(path)

    assert "broken.csv" in str(error.value)
    assert "--encoding" in str(error.value)


def test_utf16_with_bom_and_tabs(tmp_path: Path) -> None:
    path = tmp_path / "excel.txt"
    path.write_bytes("Record ID\t会社名\n1\t株式会社テスト\n".encode("utf-16"))

    result = read_csv(path)

    assert result.separator == "\t"
    assert result.frame.to_dicts() == [{"Record ID": "1", "会社名": "株式会社テスト"}]


def test_values_stay_strings(tmp_path: Path) -> None:
    path = tmp_path / "numbers.csv"
    path.write_text("id,amount,flag\n007,\"$22,700.00\",Yes\n", encoding="utf-8")

    frame = read_csv(path).frame

    assert frame.schema == pl.Schema({"id": pl.Utf8, "amount": pl.Utf8, "flag": pl.Utf8})
    assert frame.row(0) == ("007", "$22,700.00", "Yes")


def test_ragged_rows_rejected(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("a,b\n1,2,3\n", encoding="utf-8")

    with pytest.raises(FileRejectedError, match="ragged.csv"):
        read_csv(path)


def test_separator_and_bom_detection() -> None:
    assert sniff_separator("a;b;c\n1;2;3") == ";"
    assert sniff_separator("single\n1") == ","
    assert decode("\ufeffa,b".encode())[0] == "a,b"
