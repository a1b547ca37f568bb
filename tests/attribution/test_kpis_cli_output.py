"""What people read from `sgl kpis` and `sgl attribute` in Japanese and English.

The tables show labels and formatted numbers. JSON and CSV keep the ids and exact values.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.cells import cell_len

from sgl.cli import attribution as attribution_cli
from sgl.cli.app import main
from tests.attribution import golden_world as world
from transforms.kpis import KPI_NAMES

MONTH = ["--month", "2025-04", "--as-of", "2025-08-10"]
# Ids and raw values that a table for people must not show.
RAW = ("numerator", "denominator", "dormant_revival", "other_sales", "fiscal_ytd",
       "new_pipeline", "created_to_sql", "0000000000", "True", "False", "rep_id")
BORDERS = "┏┃┡│└"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None,
            capsys: pytest.CaptureFixture[str]) -> Path:
    """The golden world, attributed, with a target and an hourly cost for rep U1's role."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "80")
    (tmp_path / "sgl.toml").write_text(
        '[general]\ncurrency_rates = { USD = 150 }\n'
        '[warehouse]\npath = "var/sgl.duckdb"\n'
        '[kpi]\nhourly_cost_by_role = { sales = 6000 }\n'
        'targets_by_rep = { U1 = { default = 4 } }\n', encoding="utf-8")
    world.save(tmp_path / "var" / "sgl.duckdb")
    assert main(["attribute", "--full", "--format", "csv"]) == 0
    capsys.readouterr()
    return tmp_path


@pytest.mark.parametrize(("lang", "expected"), [
    ("ja", ["2025年4月の KPI(2025年8月10日時点)", "起点・チャネル別リード数",
            "SGL(営業)", "MQL(マーケティング)", "リファーラル(紹介)", "全チャネル",
            "SGL 目標の達成率", "rep one", "75.0%", "40.0% (2/5)", "* 集計途中のコホート",
            "SGL 1 件あたりのコスト", "営業担当者全体", "¥3,333", "実績 LTV", "¥10,000,000",
            "¥700,001", "パイプライン構成: 新規パイプライン(2025年度累計)", "¥4,500,075",
            "作成 → SQL", "該当するデータはありません。"]),
    ("en", ["KPIs of April 2025, as of Aug 10, 2025", "Leads by origin and channel",
            "SGL (sales)", "MQL (marketing)", "Referral", "All channels",
            "SGL target attainment", "rep one", "75.0%", "40.0% (2/5)", "* Maturing cohort",
            "Cost per SGL", "All reps", "¥3,333", "Realized LTV", "¥10,000,000",
            "¥700,001", "Pipeline mix: New pipeline (FY2025 to date)", "¥4,500,075",
            "Created → SQL", "Nothing to show."]),
])
def test_kpis_table_labels_and_formats(project: Path, capsys: pytest.CaptureFixture[str],
                                       lang: str, expected: list[str]) -> None:
    assert main(["--lang", lang, "kpis", *MONTH]) == 0
    text = capsys.readouterr().out

    assert [item for item in expected if item not in text] == []
    assert [item for item in (*KPI_NAMES, *RAW) if item in text] == []
    # Rep U1's id is shown as the rep's name.
    assert "│ U1 " not in text
    too_wide = [line for line in text.splitlines()
                if line[:1] in BORDERS and cell_len(line) > 80]
    assert too_wide == []


def test_kpis_json_keeps_ids_and_exact_values(project: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "ja", "kpis", *MONTH, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)

    ltv = [row for row in rows if row["kpi"] == "realized_ltv" and row["segment"] == "sgl"]
    assert (ltv[0]["numerator"], ltv[0]["value"]) == ("10000000.0000000000", "5000000")
    target = [row for row in rows if row["kpi"] == "target_attainment"]
    assert (target[0]["rep_id"], target[0]["value"]) == ("U1", "0.75")
    assert {row["kpi"] for row in rows} >= {"lead_counts", "cohort_rates", "pipeline_mix"}


@pytest.mark.parametrize(("lang", "expected"), [
    ("ja", ["起点・チャネル別のレコード件数", "リード", "商談", "SGL(営業)",
            "休眠顧客の掘り起こし", "その他の営業起点", "起点不明"]),
    ("en", ["Records per origin and channel", "Lead", "Opportunity", "SGL (sales)",
            "Dormant customer revival", "Other sales-originated", "Unknown origin"]),
])
def test_attribute_table_shows_labels(project: Path, capsys: pytest.CaptureFixture[str],
                                      lang: str, expected: list[str]) -> None:
    assert main(["--lang", lang, "attribute", "--full"]) == 0
    text = capsys.readouterr().out

    assert [item for item in expected if item not in text] == []
    assert [item for item in ("dormant_revival", "other_sales", "│ lead", "│ sales")
            if item in text] == []


def test_attribute_csv_keeps_ids(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "ja", "attribute", "--full", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()

    assert lines[0] == "record_kind,origin,channel,records"
    assert "lead,sales,dormant_revival,1" in lines


@pytest.mark.parametrize(("lang", "moved"), [
    ("ja", "起点不明 →"),
    ("en", "Unknown origin →"),
])
def test_diff_lists_moves_with_labels(project: Path, capsys: pytest.CaptureFixture[str],
                                      lang: str, moved: str) -> None:
    rules = project / "proposal.toml"
    rules.write_text(
        'version = 1\nrules = [\n'
        '  { id = "other-is-sales", when = { lead_source = "Other" }, origin = "sales", '
        'channel = "other_sales" },\n]\n', encoding="utf-8")

    assert main(["--lang", lang, "attribute", "--diff", str(rules)]) == 0
    text = capsys.readouterr().out

    # The record as --explain takes it, the labels of the move and the rule ids.
    assert "sf:L13" in text
    assert moved in text
    assert "other-is-sales" in text
    assert "other_sales" not in text


@pytest.mark.parametrize(("lang", "expected"), [
    ("ja", ["sf:L4 の判定根拠(リード)", "起点", "チャネル", "SGL(営業)",
            "休眠顧客の掘り起こし", "dormant:former_customer", "判定に使った情報",
            "days_since_last_closed_opportunity"]),
    ("en", ["How sf:L4 was decided (Lead)", "Origin", "Channel", "SGL (sales)",
            "Dormant customer revival", "dormant:former_customer", "Facts used",
            "days_since_last_closed_opportunity"]),
])
def test_explain_table_shows_labels(project: Path, capsys: pytest.CaptureFixture[str],
                                    lang: str, expected: list[str]) -> None:
    assert main(["--lang", lang, "attribute", "--explain", "sf:L4"]) == 0
    text = capsys.readouterr().out

    assert [item for item in expected if item not in text] == []
    # The channel id stays only inside the rule id.
    assert "│ dormant_revival " not in text


@pytest.mark.parametrize(("lang", "reason"), [
    ("ja", "起点不明"),
    ("en", "Origin unknown"),
])
def test_review_table_shows_reasons(project: Path, capsys: pytest.CaptureFixture[str],
                                    lang: str, reason: str) -> None:
    assert main(["--lang", lang, "attribute", "--unknown", "--format", "table"]) == 0
    text = capsys.readouterr().out

    # A label may wrap inside its cell, so its first word is looked for.
    assert reason.split()[0] in text
    assert "sf:L13" in text
    assert "unknown_origin" not in text
    too_wide = [line for line in text.splitlines()
                if line[:1] in BORDERS and cell_len(line) > 80]
    assert too_wide == []


def test_explain_names_the_deciding_record(project: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    # L7 (HubSpot) is the same person as sf:L1, whose earlier record decides for both.
    assert main(["--lang", "en", "attribute", "--explain", "hs:L7", "--format", "csv"]) == 0
    text = capsys.readouterr().out

    assert "decided on the facts of sf:L1" in text
    assert "lead,decided_by,sf:L1" in text


def test_diff_lists_first_moves_only(project: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(attribution_cli, "MOVES_LISTED", 2)
    rules = project / "proposal.toml"
    rules.write_text('version = 1\nrules = [\n  { id = "all", origin = "marketing" },\n]\n',
                     encoding="utf-8")

    assert main(["--lang", "en", "attribute", "--diff", str(rules)]) == 0
    captured = capsys.readouterr()

    moved = int(captured.err.split()[0])
    assert moved > 2
    assert f"The first 2 of {moved} records are listed." in captured.out
    assert captured.out.count("│ sf:") + captured.out.count("│ hs:") == 2
