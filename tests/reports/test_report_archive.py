"""Archive CSV files: UTF-8 with BOM, formula cells neutralized, Parquet beside them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import polars as pl
import pytest

from reports.archive import csv_bytes, detail_frame, kpi_frame, neutralize, write_archive
from reports.email import ReportFiles
from tests.reports.golden import FORMULA, golden_model


@pytest.mark.parametrize(("cell", "expected"), [
    ("=SUM(A1:A2)", "'=SUM(A1:A2)"), ("+81 3 1234", "'+81 3 1234"), ("-5", "'-5"),
    ("@cmd", "'@cmd"), ("\tx", "'\tx"), ("株式会社=", "株式会社="), ("", ""),
])
def test_neutralize(cell: str, expected: str) -> None:
    assert neutralize(cell) == expected


def test_csv_has_bom_and_japanese() -> None:
    data = csv_bytes(pl.DataFrame({"担当者": ["佐藤 健"], "件数": [3]}))

    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == "担当者,件数\r\n佐藤 健,3\r\n"


def test_detail_csv_neutralizes_crm_formula(golden_files: ReportFiles) -> None:
    rows = list(csv.reader(io.StringIO(golden_files.csv.decode("utf-8-sig"))))

    assert len(rows) == 31  # header and all 30 SGLs, although the PDF shows 10
    assert "'" + FORMULA in rows[2]
    assert FORMULA not in [cell for row in rows for cell in row]


def test_kpi_frame_keeps_numerator_and_denominator() -> None:
    frame = kpi_frame(golden_model())
    rate = frame.filter((pl.col("section") == "headlines") & (pl.col("item") == "sgl_sql_rate")
                        & (pl.col("measure") == "current")).row(0, named=True)

    assert (rate["numerator"], rate["denominator"], rate["maturing"]) == ("7", "17", True)
    assert rate["value"].startswith("0.41176")


def test_archive_writes_every_file(tmp_path, golden_files: ReportFiles) -> None:
    folder = tmp_path / "2026-04" / "ja" / "x"
    archived = write_archive(folder, golden_files, golden_model(), "ja",
                             datetime(2026, 5, 7, tzinfo=UTC))

    names = sorted(path.name for path in folder.iterdir())
    assert names == ["chart-channels.png", "chart-pipeline.png", "chart-trend.png",
                     "detail.csv", "detail.parquet", "kpis.csv", "kpis.parquet",
                     "manifest.json", "report.html", "report.pdf", "report.txt"]
    assert (folder / "kpis.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert pl.read_parquet(folder / "detail.parquet").height == 30
    assert pl.read_parquet(folder / "kpis.parquet").equals(kpi_frame(golden_model()))
    assert archived.file_hashes.keys() == set(names) - {"manifest.json"}


def test_detail_frame_in_english_has_english_headers() -> None:
    frame = detail_frame(golden_model(detail_rows=2), "en")

    assert frame.columns[:4] == ["Created on", "Rep", "Team", "Channel"]
    assert frame["Channel"].to_list() == ["Referral", "Network and business-card re-contact"]
