"""``sgl sync`` and ``sgl backfill`` on the command line against the sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from salesforce_helpers import credentials_env

from sandbox import Sandbox
from sgl.cli.app import main


def write_config(sandbox: Sandbox, folder: Path) -> Path:
    config = folder / "sgl.toml"
    config.write_text(
        "[warehouse]\npath = \"w.duckdb\"\n"
        "[sources.salesforce]\nenabled = true\n"
        f"instance_url = \"{sandbox.url}\"\nca_bundle = \"{sandbox.ca_file}\"\n"
        "[sources.retry]\ntime_scale = 0.001\n", encoding="utf-8")
    return config


def test_sync_prints_json_summary(fresh_org: Sandbox, project: Path,
                                  monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in credentials_env(fresh_org).items():
        monkeypatch.setenv(name, value)
    config = write_config(fresh_org, project)

    code = main(["--config", str(config), "sync", "--source", "salesforce", "--object", "Lead",
                 "--object", "User", "--format", "json"])

    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["object"] for row in rows] == ["User", "Lead"]
    assert all(row["status"] == "ok" for row in rows)
    assert rows[1]["records"] > 0


@pytest.mark.parametrize("arguments", [
    ["backfill", "--from", "2025-02-30", "--to", "2025-03-01"],
    ["backfill", "--from", "2025-03-01", "--to", "2025-03-01"],
    ["sync", "--source", "zoho"],
    ["sync", "--source", "salesforce", "--object", "Leads"],
])
def test_sync_bad_usage_exits_2(arguments: list[str], project: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    (project / "sgl.toml").write_text("[sources.salesforce]\nenabled = true\n",
                                      encoding="utf-8")

    assert main(arguments) == 2
    assert capsys.readouterr().err.strip()
