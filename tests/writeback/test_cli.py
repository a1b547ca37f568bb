"""``sgl writeback``, ``sgl writeback setup`` and ``sgl writeback log`` on the sandbox."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from sandbox import Sandbox
from sgl.cli.app import main
from tests.writeback import helpers
from tests.writeback.helpers import (
    decide,
    env_for,
    lead_ids,
    salesforce_values,
    snapshot_salesforce,
)

# Fixtures shared by the write-back tests, defined in helpers.py.
crm = helpers.crm


@pytest.fixture
def project(crm: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            clean_env: None) -> Path:
    """A project folder whose sgl.toml points at the sandbox, credentials in the environment."""
    (tmp_path / "sgl.toml").write_text(f"""
[general]
locale = "en"
[warehouse]
path = "sgl.duckdb"
[sources.salesforce]
enabled = true
instance_url = "{crm.url}"
ca_bundle = "{crm.ca_file}"
[sources.hubspot]
enabled = true
base_url = "{crm.url}"
ca_bundle = "{crm.ca_file}"
[sources.retry]
time_scale = 0.001
[writeback]
max_changes_per_run = 5
""", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for name, value in env_for(crm).items():
        monkeypatch.setenv(name, value)
    return tmp_path


def test_preview_apply_and_log(crm: Sandbox, project: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    ids = lead_ids(crm, 4)
    snapshot_salesforce(crm, project / "sgl.duckdb")
    decide(project / "sgl.duckdb", "salesforce", "lead", ids)

    assert main(["writeback", "--format", "csv"]) == 0
    preview = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {row["result"] for row in preview} == {"dry_run"}
    assert len(preview) == 4 * 4
    saved = list((project / "var" / "writeback").glob("wb-*.csv"))
    assert len(saved) == 1
    assert salesforce_values(crm, "Lead", ids[0])["SGL_Origin__c"] is None

    assert main(["writeback", "--apply"]) == 0
    messages = capsys.readouterr().err
    assert "written 16" in messages
    assert salesforce_values(crm, "Lead", ids[0])["SGL_Origin__c"] == "sales"

    assert main(["writeback", "log", "--format", "json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert [(run["dry_run"], run["written"]) for run in runs] == [(0, 16), (16, 0)]
    applied = runs[0]["run_id"]
    assert main(["writeback", "log", "--run", applied, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {row["source_id"] for row in rows} == set(ids)


def test_apply_above_cap_needs_confirmation(crm: Sandbox, project: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    ids = lead_ids(crm, 6)
    snapshot_salesforce(crm, project / "sgl.duckdb")
    decide(project / "sgl.duckdb", "salesforce", "lead", ids)

    assert main(["writeback", "--apply"]) == 1
    assert "--confirm-large" in capsys.readouterr().err
    assert main(["writeback", "--apply", "--confirm-large"]) == 0


def test_setup_prints_salesforce_fields(crm: Sandbox, project: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["writeback", "setup", "--format", "json"]) == 0
    captured = capsys.readouterr()
    documents = [json.loads(part) for part in captured.out.replace("]\n[", "]\x00[").split("\x00")]
    hubspot, salesforce = documents
    assert {row["status"] for row in hubspot} <= {"created", "exists"}
    assert {(row["object"], row["api_name"], row["type"]) for row in salesforce} >= {
        ("Lead", "SGL_Origin__c", "Picklist"), ("Opportunity", "SGL_Decided_At__c",
                                                "Date/Time")}
    assert "API Enabled" in captured.err
