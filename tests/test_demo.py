"""The demo command runs the main job end to end: generated data and a real Zoho export."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

TOKYO = ZoneInfo("Asia/Tokyo")
# Zoho lead sources that the shipped rules decide as sales when no creator is known.
ZOHO_SALES_SOURCES = {"Employee Referral", "External Referral", "Cold Call", "Web Research"}


def run_demo(cwd: Path, *arguments: str) -> tuple[list, str]:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("SGL_", "PREFECT_"))}
    result = subprocess.run([sys.executable, "-m", "sgl", "demo", "--format", "json",
                             *arguments], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=400)
    assert result.returncode == 0, result.stderr[-3000:]
    decoder = json.JSONDecoder()
    documents, text = [], result.stdout.strip()
    while text:
        document, end = decoder.raw_decode(text)
        documents.append(document)
        text = text[end:].lstrip()
    return documents, result.stderr


def headline_value(headline: list[dict], metric: str) -> str:
    return next(row["value"] for row in headline if row["metric"] == metric)


@pytest.mark.prefect
def test_demo_on_generated_data(tmp_path: Path) -> None:
    (pulls, headline, writeback, files), stderr = run_demo(
        tmp_path, "--as-of", "2026-05-20", "--size", "300")

    by_object = {(row["source"], row["object"]): row for row in pulls}
    assert by_object[("salesforce", "Lead")]["backfill"] >= 300
    assert by_object[("hubspot", "contacts")]["sync"] > 0
    assert all(row["status"] == "ok" for row in pulls)
    assert int(headline_value(headline, "sgl_count")) > 0
    assert writeback[0]["mode"] == "on"
    assert writeback[0]["written"] > 0
    # The generated world contains a few records the CRM rejects one by one (e.g. validation).
    assert writeback[0]["failed"] < writeback[0]["written"] / 100
    paths = [Path(row["path"]) for row in files]
    assert all(path.is_file() for path in paths)
    emails = [path for path in paths if path.suffix == ".eml"]
    assert len(emails) == 2
    subjects = [message_from_bytes(path.read_bytes(), policy=policy.default)["Subject"]
                for path in emails]
    assert any("2026" in subject for subject in subjects)
    assert (tmp_path / "var" / "demo" / "var" / "sgl.duckdb").is_file()
    assert "finished in" in stderr


def zoho_sgl_count(folder: Path, month: str) -> int:
    """Count SGL persons first created in ``month`` (Tokyo), by hand from Leads.csv."""
    with (folder / "Leads.csv").open(newline="", encoding="utf-8") as handle:
        leads = list(csv.DictReader(handle))
    people: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in leads:
        email = row["Email"].strip().lower()
        people[email or f"lead:{row['LEADID']}"].append(row)
    count = 0
    for records in people.values():
        first = min(records, key=lambda row: (created(row), row["LEADID"]))
        if (created(first).astimezone(TOKYO).strftime("%Y-%m") == month
                and first["Lead Source"].strip() in ZOHO_SALES_SOURCES):
            count += 1
    return count


def created(row: dict[str, str]) -> datetime:
    return datetime.strptime(row["Created Time"], "%d %b, %Y %H:%M:%S").replace(tzinfo=UTC)


@pytest.mark.prefect
def test_demo_on_zoho_export(tmp_path: Path, shared_data: Path) -> None:
    folder = shared_data / "zoho_crm"

    (imported, headline, files), _stderr = run_demo(
        tmp_path, "--data", str(folder), "--mapping", "zoho_crm")

    assert {row["table"] for row in imported} >= {"leads", "opportunities"}
    reports = sorted((tmp_path / "var" / "demo" / "var" / "reports").iterdir())
    month = reports[-1].name
    assert month.startswith("2020-")
    assert int(headline_value(headline, "sgl_count")) == zoho_sgl_count(folder, month)
    assert len([row for row in files if row["path"].endswith(".eml")]) == 2


def test_demo_rejects_bad_date(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "sgl", "demo", "--as-of", "2026-13-01"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)

    assert result.returncode == 2
    assert "'2026-13-01' is not a date in the form YYYY-MM-DD" in result.stderr


def test_demo_settings_point_at_sandbox(tmp_path: Path) -> None:
    from flows.demo import demo_settings
    from sgl.settings import load_settings

    path = tmp_path / "sgl.toml"
    path.write_text(demo_settings("https://127.0.0.1:4443", tmp_path / "ca.pem", 2525),
                    encoding="utf-8")

    settings = load_settings(path, {})

    assert settings.sources.salesforce.instance_url == "https://127.0.0.1:4443"
    assert settings.sources.hubspot.base_url == "https://127.0.0.1:4443"
    assert settings.sources.salesforce.ca_bundle == tmp_path / "ca.pem"
    assert settings.report.smtp_port == 2525
    assert settings.writeback.mode == "dry-run"


@pytest.mark.prefect
def test_demo_on_maven_says_no_origin(tmp_path: Path, shared_data: Path) -> None:
    (imported, _headline, files), _stderr = run_demo(
        tmp_path, "--data", str(shared_data / "maven_crm"), "--mapping", "maven_crm")

    rows = {row["table"]: row["rows"] for row in imported}
    assert rows["opportunities"] == 8800
    reports = [Path(row["path"]) for row in files if row["path"].endswith("report.html")]
    assert len(reports) == 2
    english = next(path for path in reports if "/en/" in str(path)).read_text(encoding="utf-8")
    assert "import:maven_crm: no origin data yet" in english
    assert "This is missing data, not zero SGLs." in english


def test_demo_refuses_foreign_folder(tmp_path: Path) -> None:
    from flows.demo import fresh_folder
    from sgl.errors import SglError

    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "important.txt").write_text("keep me", encoding="utf-8")

    with pytest.raises(SglError) as caught:
        fresh_folder(precious)

    assert "is not a demo project" in str(caught.value)
    assert (precious / "important.txt").read_text(encoding="utf-8") == "keep me"


def test_demo_replaces_its_own_folder(tmp_path: Path) -> None:
    from flows.demo import fresh_folder

    first = fresh_folder(tmp_path / "demo")
    (first / "old.txt").write_text("from the last run", encoding="utf-8")

    again = fresh_folder(tmp_path / "demo")

    assert not (again / "old.txt").exists()
    assert (again / ".sgl-demo").is_file()


def test_demo_refuses_working_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.demo import fresh_folder
    from sgl.errors import SglError

    monkeypatch.chdir(tmp_path)

    with pytest.raises(SglError):
        fresh_folder(Path("."))

    assert tmp_path.is_dir()
