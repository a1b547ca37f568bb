"""Import mappings: validation messages, unmappable files, and identical imports across
encodings through `sgl import csv` into a real warehouse."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from connectors.files.errors import FileRejectedError
from connectors.files.mapping_file import read_mapping_file
from sgl.cli.app import main
from sgl.settings import Settings
from sgl.warehouse import Warehouse
from transforms.normalize.imports import (
    MappingError,
    UnmappableFileError,
    apply_mapping,
    parse_mapping,
)

MAPPING = """\
name = "test_crm"
timezone = "Asia/Tokyo"

[[leads]]
file = "leads*.csv"
object = "Lead"
id = "ID"
missing = ["-"]
[leads.replace]
"流入元" = { "紹介(既存顧客)" = "紹介" }
[leads.fields]
company = "会社名"
lead_source = "流入元"
owner_id = "担当者"
created_at = { column = "作成日時", formats = ["%Y年%m月%d日 %H:%M"] }

[[opportunities]]
file = "deals*.csv"
object = "Deal"
id = "商談ID"
[opportunities.fields]
amount = "金額"
stage = "フェーズ"
is_won = { column = "フェーズ", map = { "受注" = "true" }, default = "false" }
is_closed = { column = "フェーズ", map = { "受注" = "true", "失注" = "true" }, default = "false" }
closed_at = { column = "完了日", when = "is_closed" }
lead_id = "リードID"
[opportunities.constants]
currency = "JPY"

[[joins]]
from = "opportunities.lead_id"
to = "leads"
fill = { converted_at = "created_at" }
"""

LEADS = [
    ["ID", "会社名", "流入元", "担当者", "作成日時"],
    ["L1", "株式会社テスト", "紹介(既存顧客)", "山田", "2025年04月01日 09:30"],
    ["L2", "テスト商事\n本社", "-", "佐藤", "2025年04月02日 10:00"],
    ["L3", "サンプル工業", "展示会", "山田", "not a date"],
]
DEALS = [
    ["商談ID", "金額", "フェーズ", "完了日", "リードID"],
    ["D1", "￥1,200,000", "受注", "2025-05-01", "L1"],
    ["D2", "300000円", "提案", "2025-06-30", "L2"],
    ["D3", "abc", "失注", "2025-03-01", "L9"],
]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8",
              newline: str = "\n") -> Path:
    def cell(value: str) -> str:
        return f'"{value}"' if "\n" in value or "," in value else value

    text = newline.join(",".join(cell(value) for value in row) for row in rows) + newline
    path.write_bytes(text.encode(encoding))
    return path


def mapping_file(tmp_path: Path, text: str = MAPPING) -> Path:
    path = tmp_path / "test_crm.toml"
    path.write_text(text, encoding="utf-8")
    return path


def parse(tmp_path: Path, text: str):
    loaded = read_mapping_file(mapping_file(tmp_path, text))
    return parse_mapping(loaded.data, loaded.locate)


def run_cli(project: Path, *arguments: str) -> int:
    (project / "sgl.toml").write_text('[warehouse]\npath = "w.duckdb"\n', encoding="utf-8")
    return main(["--config", str(project / "sgl.toml"), *arguments])


def stored(project: Path, table: str) -> pl.DataFrame:
    with Warehouse.open(project / "w.duckdb") as warehouse:
        frame = warehouse.read(table)
    return frame.drop("loaded_at").sort("source_id")


@pytest.mark.parametrize(("encoding", "newline"), [
    ("utf-8", "\n"), ("utf-8-sig", "\r\n"), ("cp932", "\r\n")])
def test_encodings_import_identically(tmp_path: Path, clean_env: None, encoding: str,
                                      newline: str) -> None:
    reference, other = tmp_path / "reference", tmp_path / encoding
    for folder, (enc, eol) in ((reference, ("utf-8", "\n")), (other, (encoding, newline))):
        folder.mkdir()
        leads = write_csv(folder / "leads.csv", LEADS, enc, eol)
        deals = write_csv(folder / "deals.csv", DEALS, enc, eol)
        assert run_cli(folder, "import", "csv", "--mapping", str(mapping_file(tmp_path)),
                       str(leads), str(deals), "--format", "json") == 0

    for table in ("leads", "opportunities"):
        assert stored(other, table).drop("raw").equals(stored(reference, table).drop("raw"))
    leads = stored(other, "leads")
    assert leads["company"].to_list() == ["株式会社テスト", "テスト商事\n本社", "サンプル工業"]
    assert leads["lead_source"].to_list() == ["紹介", None, "展示会"]


def test_values_parsed_and_counted(tmp_path: Path) -> None:
    spec = parse(tmp_path, MAPPING)
    frames = {"leads.csv": pl.DataFrame(dict(zip(LEADS[0], zip(*LEADS[1:], strict=True),
                                                 strict=True))),
              "deals.csv": pl.DataFrame(dict(zip(DEALS[0], zip(*DEALS[1:], strict=True),
                                                 strict=True)))}

    result = apply_mapping(spec, frames)

    leads = result.frames["leads"].sort("source_id")
    assert str(leads["created_at"][0]) == "2025-04-01 00:30:00+00:00"  # 09:30 in Tokyo
    assert leads["created_at"][2] is None
    deals = result.frames["opportunities"].sort("source_id")
    assert [str(value) for value in deals["amount"]] == ["1200000.0000", "300000.0000", "None"]
    assert deals["is_won"].to_list() == [True, False, False]
    assert [str(value) for value in deals["closed_at"]] == ["2025-05-01", "None", "2025-03-01"]

    counts = {(row["field"] or row["column"], row["measure"]): row["count"]
              for row in result.counts.iter_rows(named=True)}
    assert counts[("created_at", "malformed")] == 1
    assert counts[("amount", "malformed")] == 1
    assert counts[("lead_source", "missing")] == 1
    assert counts[("流入元", "placeholders")] == 1
    assert counts[("流入元", "replaced")] == 1
    assert counts[("lead_id", "unlinked")] == 1
    assert counts[("lead_id", "linked")] == 2


def test_unknown_field_names_line_and_choices(tmp_path: Path) -> None:
    text = MAPPING.replace('company = "会社名"', 'compnay = "会社名"')

    with pytest.raises(MappingError) as error:
        parse(tmp_path, text)

    message = str(error.value)
    assert "line 12" in message
    assert len(error.value.problems) == 1
    assert "leads[0].fields.compnay" in message
    assert "company" in message  # one of the valid choices
    assert "lead_source" in message


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('[[opportunities]]', '[[deals]]', "deals: unknown key. Valid keys here"),
    ('missing = ["-"]', 'missng = ["-"]', "leads[0].missng: unknown key"),
    ('formats = ["%Y年%m月%d日 %H:%M"]', 'format = "%Y"', "created_at.format: unknown key"),
    ('lead_id = "リードID"', 'lead_id = { column = "リードID", lookup = "nope" }',
     "unknown lookup 'nope'"),
    ('to = "leads"', 'to = "accounts"', "joins[0].to: expected a table this mapping fills"),
    ('timezone = "Asia/Tokyo"', 'timezone = "Tokyo"', "IANA time zone"),
    ('closed_at = { column = "完了日", when = "is_closed" }',
     'closed_at = { column = "完了日", when = "stage" }', "expected a true/false field"),
    ('amount = "金額"', 'amount = { column = "金額", formats = ["%Y"] }',
     "formats apply to timestamp and date fields only"),
])
def test_invalid_mapping_rejected(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in MAPPING

    with pytest.raises(MappingError) as error:
        parse(tmp_path, MAPPING.replace(old, new))

    assert expected in str(error.value)
    assert "test_crm.toml" in str(error.value)


def test_unmappable_file_names_missing_columns(tmp_path: Path) -> None:
    spec = parse(tmp_path, MAPPING)
    frame = pl.DataFrame({"ID": ["L1"], "会社名": ["株式会社テスト"], "Owner": ["山田"]})

    with pytest.raises(UnmappableFileError) as error:
        apply_mapping(spec, {"leads.csv": frame})

    message = str(error.value)
    assert "leads.csv" in message
    assert "'流入元'" in message
    assert "'担当者'" in message
    assert "'作成日時'" in message
    assert "Found columns: 'ID', '会社名', 'Owner'" in message


def test_file_of_unknown_name_rejected(tmp_path: Path) -> None:
    spec = parse(tmp_path, MAPPING)

    with pytest.raises(UnmappableFileError, match="Expected names: deals\\*.csv, leads\\*.csv"):
        apply_mapping(spec, {"contacts.csv": pl.DataFrame({"ID": ["1"]})})


def test_cli_rejects_and_writes_nothing(tmp_path: Path, clean_env: None,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    bad = write_csv(tmp_path / "leads.csv", [["ID", "会社名"], ["L1", "株式会社テスト"]])

    code = run_cli(tmp_path, "import", "csv", "-m", str(mapping_file(tmp_path)), str(bad))

    assert code == 1
    assert "missing columns" in capsys.readouterr().err
    assert not (tmp_path / "w.duckdb").exists()


def test_sync_state_records_counts(tmp_path: Path, clean_env: None) -> None:
    leads = write_csv(tmp_path / "leads.csv", LEADS)
    deals = write_csv(tmp_path / "deals.csv", DEALS)

    assert run_cli(tmp_path, "import", "csv", "-m", str(mapping_file(tmp_path)), str(leads),
                   str(deals)) == 0

    with Warehouse.open(tmp_path / "w.duckdb") as warehouse:
        states = warehouse.sync_states()
    assert set(states["source"]) == {"import:test_crm"}
    lead_state = states.filter(pl.col("object") == "Lead").row(0, named=True)
    assert '"rows_read": 3' in lead_state["last_counts"]
    assert '"created_at.malformed": 1' in lead_state["last_counts"]


def test_missing_mapping_lists_shipped(tmp_path: Path) -> None:
    with pytest.raises(FileRejectedError, match="zoho_crm"):
        read_mapping_file(tmp_path / "absent.toml")


def test_settings_zone_reads_naive_times(tmp_path: Path) -> None:
    spec = parse(tmp_path, MAPPING.replace('timezone = "Asia/Tokyo"\n', ""))
    frame = pl.DataFrame(dict(zip(LEADS[0], zip(*LEADS[1:2], strict=True), strict=True)))

    utc = apply_mapping(spec, {"leads.csv": frame}, naive_zone=Settings().imports.timezone)

    assert str(utc.frames["leads"]["created_at"][0]) == "2025-04-01 09:30:00+00:00"
