"""The sgl command as a user runs it: a real process in an empty project folder."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from sgl.warehouse import SyncState, Warehouse


def sgl(project: Path, *args: str, env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith("SGL_") and name not in ("LANG", "LC_ALL",
                                                                   "LC_MESSAGES")}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "sgl", *args], cwd=project, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_help_lists_commands(project: Path) -> None:
    result = sgl(project, "--help")

    assert result.returncode == 0
    for command in ("init", "config", "status"):
        assert command in result.stdout


def test_help_in_japanese(project: Path) -> None:
    result = sgl(project, "--help", env={"LANG": "ja_JP.UTF-8"})

    assert result.returncode == 0
    assert "設定ファイル" in result.stdout


def test_init_check_status_in_fresh_folder(project: Path) -> None:
    init = sgl(project, "init")
    check = sgl(project, "config", "check")
    status = sgl(project, "status")

    assert init.returncode == 0, init.stderr
    assert (project / "sgl.toml").is_file()
    assert check.returncode == 0, check.stderr
    assert "ok" in check.stdout
    assert status.returncode == 0, status.stderr
    assert "No warehouse at" in status.stderr


def test_japanese_output_with_lang(project: Path) -> None:
    env = {"LANG": "ja_JP.UTF-8"}
    init = sgl(project, "init", env=env)
    check = sgl(project, "config", "check", env=env)
    status = sgl(project, "status", env=env)

    assert "# sgl の設定ファイルです" in (project / "sgl.toml").read_text(encoding="utf-8")
    assert "書き込みました" in init.stderr
    assert "設定の確認" in check.stdout
    assert "ウェアハウス" in status.stderr


def test_init_refuses_to_overwrite(project: Path) -> None:
    (project / "sgl.toml").write_text("# mine\n", encoding="utf-8")

    result = sgl(project, "init")

    assert result.returncode == 1
    assert "already exists. Use --force" in result.stderr
    assert (project / "sgl.toml").read_text(encoding="utf-8") == "# mine\n"


def test_invalid_settings_exit_1_without_traceback(project: Path) -> None:
    (project / "sgl.toml").write_text("[general]\nfiscal_year_start_month = 0\nfoo = 1\n",
                                      encoding="utf-8")

    check = sgl(project, "config", "check")
    status = sgl(project, "status")

    assert check.returncode == 1
    assert "general.fiscal_year_start_month = 0: expected a number ≥ 1" in check.stderr
    assert "general.foo: unknown key" in check.stderr
    assert status.returncode == 1
    assert "Traceback" not in check.stderr + status.stderr


@pytest.mark.parametrize("args", [["bogus"], ["status", "--format", "xml"],
                                  ["--lang", "fr", "status"]])
def test_bad_usage_exits_2(project: Path, args: list[str]) -> None:
    result = sgl(project, *args)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_missing_credentials_named(project: Path) -> None:
    (project / "sgl.toml").write_text(
        '[sources.hubspot]\nenabled = true\n', encoding="utf-8")

    result = sgl(project, "config", "check")

    assert result.returncode == 1
    assert "SGL_HUBSPOT_ACCESS_TOKEN" in result.stdout


@pytest.fixture
def filled_warehouse(project: Path) -> Path:
    path = project / "var" / "sgl.duckdb"
    frame = pl.DataFrame({"source": ["salesforce", "salesforce", "hubspot"],
                          "source_id": ["00Q1", "00Q2", "51"],
                          "object": ["Lead", "Lead", "contacts"]})
    watermark = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    with Warehouse.open(path, write=True) as warehouse:
        warehouse.upsert("leads", frame.head(2),
                         SyncState("salesforce", "Lead", watermark, "00Q2", "run-7"))
        warehouse.upsert("leads", frame.tail(1))
        warehouse.save_sync_state(SyncState("hubspot", "deals", None, None, "run-7",
                                            status="failed", error="HTTP 429 on page 4"))
    return path


def test_status_formats(filled_warehouse: Path, project: Path) -> None:
    table = sgl(project, "status", env={"COLUMNS": "250"})
    as_json = sgl(project, "status", "--format", "json")
    as_csv = sgl(project, "status", "--format", "csv")

    assert table.returncode == 0, table.stderr
    assert "HTTP 429 on page 4" in table.stdout
    rows = {(row["source"], row["object"]): row for row in json.loads(as_json.stdout)}
    assert rows[("salesforce", "Lead")]["rows"] == 2
    assert rows[("salesforce", "Lead")]["watermark_id"] == "00Q2"
    assert rows[("salesforce", "Lead")]["watermark_at"].startswith("2026-11-30T17:00:00")
    assert rows[("hubspot", "contacts")]["rows"] == 1
    assert rows[("hubspot", "deals")]["last_status"] == "failed"
    assert rows[("hubspot", "deals")]["rows"] == 0
    parsed = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [(row["source"], row["object"], row["rows"]) for row in parsed] == [
        ("hubspot", "contacts", "1"), ("hubspot", "deals", "0"), ("salesforce", "Lead", "2")]


def test_status_during_sync_says_so(filled_warehouse: Path, project: Path) -> None:
    with Warehouse.open(filled_warehouse, write=True, holder="sgl sync"):
        result = sgl(project, "status")

    assert result.returncode == 1
    assert "A sync is in progress (sgl sync, process" in result.stderr


def test_config_check_reports_bad_rules(project: Path) -> None:
    (project / "rules.toml").write_text('[[rules]]\nid = "x"\norigin = "bogus"\n',
                                        encoding="utf-8")

    result = sgl(project, "config", "check",
                 env={"SGL_ATTRIBUTION__RULES_FILE": "rules.toml", "COLUMNS": "250"})

    assert result.returncode == 1
    assert "unknown origin 'bogus'" in result.stdout


def test_config_folder_gives_message(project: Path) -> None:
    (project / "conf").mkdir()

    result = sgl(project, "-c", "conf", "config", "check")

    assert result.returncode == 1
    assert "conf: cannot be read" in result.stderr
    assert "Traceback" not in result.stderr
