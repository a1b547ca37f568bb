"""Attribution through a real DuckDB warehouse and the `sgl attribute` / `sgl kpis` commands."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from sgl.attribution_store import run_attribution
from sgl.cli.app import main
from sgl.errors import WarehouseError
from sgl.settings import load_settings
from sgl.warehouse import Warehouse
from tests.attribution import golden_world as world


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sgl.toml").write_text(
        '[general]\ncurrency_rates = { USD = 150 }\n'
        '[warehouse]\npath = "var/sgl.duckdb"\n', encoding="utf-8")
    world.save(tmp_path / "var" / "sgl.duckdb")
    return tmp_path


def test_full_then_incremental_run(project: Path) -> None:
    settings = load_settings(project / "sgl.toml", {})

    first = run_attribution(settings, full=True, now=datetime(2025, 8, 10, tzinfo=UTC))
    second = run_attribution(settings, now=datetime(2025, 8, 11, tzinfo=UTC))

    assert first.leads == 13
    assert first.opportunities == 10
    assert first.changed == 23
    assert second.full is False
    assert second.changed == 0
    with Warehouse.open(settings.warehouse_path) as warehouse:
        stored = warehouse.read("attribution")
        persons = warehouse.read("persons")
        leads = warehouse.read("leads", columns=["source_id", "person_id"])
    assert stored.height == 23
    assert stored.get_column("decided_at").unique().to_list() == [
        datetime(2025, 8, 10, tzinfo=UTC)]
    # Without the HubSpot association D1 has no lead and is decided on its own fields.
    assert persons.height == 12
    assert leads.filter(pl.col("source_id") == "L7").get_column("person_id").item() == "sf:L1"


def test_replace_rows_keeps_other_keys(project: Path) -> None:
    with Warehouse.open(project / "var" / "sgl.duckdb", write=True) as warehouse:
        now = datetime(2025, 1, 1, tzinfo=UTC)
        rows = pl.DataFrame({
            "source": ["sf", "sf"], "record_kind": ["lead", "lead"], "source_id": ["a", "b"],
            "origin": ["sales", "marketing"], "origin_rule": ["r", "r"],
            "decided_at": [now, now], "computed_at": [now, now]})
        warehouse.replace_rows("attribution", ["source", "record_kind", "source_id"], rows)
        warehouse.replace_rows("attribution", ["source", "record_kind", "source_id"],
                               rows.filter(pl.col("source_id") == "a")
                               .with_columns(pl.lit("unknown").alias("origin")))
        stored = warehouse.read("attribution", columns=["source_id", "origin"]).sort("source_id")

    assert stored.rows() == [("a", "unknown"), ("b", "marketing")]


def test_changed_rules_recompute_every_record(project: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    # L13 (lead source "Other") is unknown under the shipped rules. A rules file that makes
    # "Other" a sales source must move it on the next plain run, although its data did not
    # change, and the run after that has nothing to move.
    (project / "rules.toml").write_text(
        'version = 1\nrules = [\n'
        '  { id = "other-is-sales", when = { lead_source = "Other" }, origin = "sales", '
        'channel = "other_sales" },\n]\n', encoding="utf-8")
    assert main(["attribute", "--full", "--format", "csv"]) == 0
    with (project / "sgl.toml").open("a", encoding="utf-8") as config:
        config.write('[attribution]\nrules_file = "rules.toml"\n')
    capsys.readouterr()

    assert main(["--lang", "en", "attribute", "--format", "csv"]) == 0
    first = capsys.readouterr()
    assert main(["--lang", "en", "attribute", "--format", "csv"]) == 0
    second = capsys.readouterr()

    assert "full run" in first.err
    assert "The rules or attribution settings changed" in first.err
    assert "sales,other_sales" in first.out
    assert "incremental run" in second.err
    assert "0 changed" in second.err
    assert "settings changed" not in second.err
    with Warehouse.open(project / "var" / "sgl.duckdb") as warehouse:
        origin = warehouse.read("attribution", filters={"source_id": "L13"})["origin"]
        runs = warehouse.read("attribution_runs").sort("computed_at")
    assert origin.to_list() == ["sales"]
    assert runs.get_column("is_full").to_list() == [True, True, False]
    assert runs.get_column("settings_key").n_unique() == 2


def test_replace_table_and_rejected_table(project: Path) -> None:
    with Warehouse.open(project / "var" / "sgl.duckdb", write=True) as warehouse:
        warehouse.replace_table("persons", pl.DataFrame({"person_id": ["p1", "p2"]}))
        warehouse.replace_table("persons", pl.DataFrame({"person_id": ["p3"]}))
        persons = warehouse.read("persons", columns=["person_id"])
        with pytest.raises(WarehouseError, match="not a decision table"):
            warehouse.replace_table("leads", pl.DataFrame({"source": ["x"]}))

    assert persons.get_column("person_id").to_list() == ["p3"]


def test_cli_attribute_and_kpis(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["attribute", "--full"]) == 0
    capsys.readouterr()

    assert main(["kpis", "--month", "2025-04", "--as-of", "2025-08-10", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    total = [row for row in rows if row["kpi"] == "sgl_counts" and row["dimension"] == "total"]
    assert total[0]["value"] == "5"
    cohort = [row for row in rows if row["kpi"] == "cohort_rates"
              and row["origin"] == "sales" and row["stage"] == "sql"]
    assert (cohort[0]["numerator"], cohort[0]["denominator"]) == ("2", "5")


def test_cli_explain_names_rule(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["attribute", "--explain", "sf:L4", "--format", "csv"]) == 0
    text = capsys.readouterr().out

    assert "dormant:former_customer" in text
    assert "former_customer,True" in text


def test_cli_unknown_lists_csv(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["attribute", "--unknown"]) == 0
    lines = capsys.readouterr().out.splitlines()

    assert lines[0].startswith("reason,source,record_kind")
    assert any(",L13," in line and line.startswith("unknown_origin") for line in lines)


def test_cli_diff_previews_moves(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = project / "proposal.toml"
    rules.write_text(
        'version = 1\nrules = [\n'
        '  { id = "other-is-sales", when = { lead_source = "Other" }, origin = "sales", '
        'channel = "other_sales" },\n]\n', encoding="utf-8")

    assert main(["attribute", "--diff", str(rules), "--format", "csv"]) == 0
    captured = capsys.readouterr()

    assert "origin_before,channel_before,origin_after,channel_after,records" in captured.out
    assert "unknown,unknown,sales,other_sales" in captured.out
    with Warehouse.open(project / "var" / "sgl.duckdb") as warehouse:
        assert warehouse.read("attribution").height == 0


def test_cli_rejects_two_modes(project: Path) -> None:
    assert main(["attribute", "--unknown", "--explain", "sf:L1"]) == 2


def test_cli_rejects_full_with_a_mode(project: Path) -> None:
    assert main(["attribute", "--unknown", "--full"]) == 2


@pytest.mark.parametrize("month", ["2025-4x", "2025-4", " 2025-04", "2025-04 ", "２０２５-０４",
                                   "+2025-04", "02025-04", "2025-004"])
def test_cli_bad_month(project: Path, capsys: pytest.CaptureFixture[str], month: str) -> None:
    assert main(["kpis", "--month", month]) == 2
    assert "YYYY-MM" in capsys.readouterr().err


def test_cli_as_of_before_month(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kpis", "--month", "2025-04", "--as-of", "2025-03-31"]) == 2
    message = capsys.readouterr().err

    assert "2025-03-31" in message
    assert "2025-04-01" in message


def test_cli_kpis_warns_of_undecided_leads(project: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["attribute", "--full", "--format", "csv"]) == 0
    new_lead = pl.DataFrame({"source": ["sf"], "source_id": ["L99"], "object": ["Lead"],
                             "lead_source": ["Web"],
                             "created_at": [datetime(2025, 4, 20, tzinfo=UTC)]})
    with Warehouse.open(project / "var" / "sgl.duckdb", write=True) as warehouse:
        warehouse.upsert("leads", new_lead)
    capsys.readouterr()

    assert main(["--lang", "en", "kpis", "--month", "2025-04", "--as-of", "2025-08-10",
                 "--format", "csv"]) == 0

    assert "1 leads have no saved decision yet" in capsys.readouterr().err


def test_cli_explain_finds_ids_with_colons(project: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    created = datetime(2025, 4, 20, tzinfo=UTC)
    extra = pl.DataFrame({"source": ["import:mycrm", "salesforce"],
                          "source_id": ["A:1", "00Q5g00000ABCDEFGH"],
                          "object": ["Lead", "Lead"], "lead_source": ["紹介", "Web"],
                          "created_at": [created, created]})
    with Warehouse.open(project / "var" / "sgl.duckdb", write=True) as warehouse:
        warehouse.upsert("leads", extra)

    # A source and an id that both contain colons, then the 15-character form of an id.
    assert main(["attribute", "--explain", " IMPORT:mycrm:A:1", "--format", "csv"]) == 0
    first = capsys.readouterr().out
    assert main(["attribute", "--explain", "salesforce:00Q5g00000ABCDE", "--format",
                 "csv"]) == 0
    second = capsys.readouterr().out

    assert "lead,origin,sales,referral" in first
    assert "lead,origin,marketing,web" in second


@pytest.mark.parametrize("arguments", [["--explain", ""], ["--diff", ""], ["--diff", "var"]])
def test_cli_empty_or_folder_argument(project: Path, capsys: pytest.CaptureFixture[str],
                                      arguments: list[str]) -> None:
    code = main(["attribute", *arguments])

    assert code in (1, 2)
    assert "Traceback" not in capsys.readouterr().err
    with Warehouse.open(project / "var" / "sgl.duckdb") as warehouse:
        assert warehouse.read("attribution").height == 0
