"""The demo command runs every built part of the main job against a fresh sandbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sgl.migrations import LATEST_VERSION


@pytest.mark.prefect
def test_demo_command_in_empty_folder(tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("SGL_", "PREFECT_"))}

    result = subprocess.run(
        [sys.executable, "-m", "sgl", "demo", "--as-of", "2026-11-30", "--size", "300",
         "--format", "json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stderr[-3000:]
    # Two JSON documents: record counts, then connection checks.
    decoder = json.JSONDecoder()
    counts, end = decoder.raw_decode(result.stdout)
    checks, _ = decoder.raw_decode(result.stdout[end:].lstrip())
    by_object = {row["object"]: row["records"] for row in counts}
    assert by_object["salesforce.Lead"] >= 300
    assert by_object["hubspot.contacts"] > 0
    assert [(check["target"], check["status"]) for check in checks] == [
        ("salesforce", "ok"), ("hubspot", "ok")]
    assert (tmp_path / "var" / "demo" / "var" / "sgl.duckdb").is_file()
    assert f"schema version {LATEST_VERSION}" in result.stderr
    assert "shows no SGL figures" in result.stderr


def test_demo_rejects_bad_date(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "sgl", "demo", "--as-of", "2026-13-01"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)

    assert result.returncode == 2
    assert "'2026-13-01' is not a date in the form YYYY-MM-DD" in result.stderr


def test_demo_settings_point_at_sandbox(tmp_path: Path) -> None:
    from flows.demo import demo_settings
    from sgl.settings import load_settings

    path = tmp_path / "sgl.toml"
    path.write_text(demo_settings("https://127.0.0.1:4443", tmp_path / "ca.pem"),
                    encoding="utf-8")

    settings = load_settings(path, {})

    assert settings.sources.salesforce.instance_url == "https://127.0.0.1:4443"
    assert settings.sources.hubspot.base_url == "https://127.0.0.1:4443"
    assert settings.sources.salesforce.ca_bundle == tmp_path / "ca.pem"
