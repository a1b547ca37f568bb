"""The shipped mappings import the real public datasets completely, dirty values counted.

The datasets sit beside the repository (``../shared/data/real``) only in the development
workspace; elsewhere these tests skip.
"""

from __future__ import annotations

import time
from pathlib import Path

import polars as pl
import pytest

from sgl.cli.imports import import_with_mapping
from sgl.settings import Settings
from sgl.warehouse import Warehouse

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"


@pytest.fixture
def real() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"real datasets not found at {SHARED}: they sit beside the repository "
                    "only in the development workspace")
    return SHARED


def settings_for(tmp_path: Path) -> Settings:
    return Settings.model_validate({"warehouse": {"path": str(tmp_path / "w.duckdb")}})


def data_rows(path: Path) -> int:
    return pl.read_csv(path, infer_schema=False).height


def measure(counts: pl.DataFrame, measure_name: str, field: str = "", column: str = "",
            object_name: str | None = None) -> int:
    rows = counts.filter((pl.col("measure") == measure_name) & (pl.col("field") == field))
    if column:
        rows = rows.filter(pl.col("column") == column)
    if object_name is not None:
        rows = rows.filter(pl.col("object") == object_name)
    return int(rows["count"].sum())


def stored(tmp_path: Path, table: str) -> pl.DataFrame:
    with Warehouse.open(tmp_path / "w.duckdb") as warehouse:
        return warehouse.read(table)


def test_zoho_crm(real: Path, tmp_path: Path) -> None:
    folder = real / "zoho_crm"
    started = time.perf_counter()
    counts = import_with_mapping(settings_for(tmp_path), "zoho_crm",
                                 [folder / "Leads.csv", folder / "Potentials.csv"])
    elapsed = time.perf_counter() - started

    leads, deals = stored(tmp_path, "leads"), stored(tmp_path, "opportunities")
    assert leads.height == data_rows(folder / "Leads.csv") == 3350
    assert deals.height == data_rows(folder / "Potentials.csv") == 2818
    assert stored(tmp_path, "users").height == 11
    assert leads["created_at"].null_count() == 0
    assert deals["amount"].null_count() == 0
    assert set(deals["currency"]) == {"USD"}
    won = deals.filter(pl.col("is_won"))
    assert won.height == 1088
    assert deals.filter(pl.col("is_closed")).height == 1088 + 373
    assert deals.filter(~pl.col("is_closed"))["closed_at"].null_count() == 2818 - 1461
    # Potentials created before their lead are kept and counted.
    assert measure(counts, "created_before_link", "lead_id") == 1359
    assert measure(counts, "unlinked", "lead_id") == 0
    assert measure(counts, "missing", "lead_source", object_name="Potential") == 3
    assert leads.filter(pl.col("opportunity_id").is_not_null()).height == 2818
    print(f"zoho_crm import: {elapsed:.2f} s")


def test_maven_crm(real: Path, tmp_path: Path) -> None:
    folder = real / "maven_crm"
    files = [folder / "accounts.csv", folder / "sales_teams.csv", folder / "sales_pipeline.csv"]
    started = time.perf_counter()
    counts = import_with_mapping(settings_for(tmp_path), "maven_crm", files)
    elapsed = time.perf_counter() - started

    deals = stored(tmp_path, "opportunities")
    assert deals.height == data_rows(folder / "sales_pipeline.csv") == 8800
    assert stored(tmp_path, "accounts").height == data_rows(folder / "accounts.csv") == 85
    users = stored(tmp_path, "users")
    assert users.height == data_rows(folder / "sales_teams.csv") + 6  # agents and managers
    assert set(users["team"]) == {"Central", "East", "West"}
    # Blank accounts are kept and counted.
    assert deals["account_id"].null_count() == 1425
    assert measure(counts, "missing", "account_id") == 1425
    assert measure(counts, "unlinked", "account_id") == 0
    # "GTXPro" is the "GTX Pro" of products.csv.
    assert measure(counts, "replaced", column="product") == 1480
    assert deals.filter(pl.col("name").str.ends_with("GTXPro")).height == 0
    assert measure(counts, "replaced", column="sector") == 12
    assert deals["created_at"].null_count() == 500  # Prospecting deals have no engage date
    assert deals.filter(pl.col("is_won"))["amount"].null_count() == 0
    print(f"maven_crm import: {elapsed:.2f} s")


def test_x_education(real: Path, tmp_path: Path) -> None:
    file = real / "x_education_leads" / "Leads.csv"
    started = time.perf_counter()
    counts = import_with_mapping(settings_for(tmp_path), "x_education", [file])
    elapsed = time.perf_counter() - started

    leads = stored(tmp_path, "leads")
    assert leads.height == data_rows(file) == 9237
    # The file has no dates or owners, and none are made up.
    assert leads["created_at"].null_count() == leads.height
    assert leads["owner_id"].null_count() == leads.height
    assert leads.filter(pl.col("lead_source") == "Reference").height == 534
    assert leads.filter(pl.col("status") == "customer").height == 3559
    assert measure(counts, "missing", "lead_source") == 36
    # "Select" means missing and is counted per column.
    assert measure(counts, "placeholders", column="City") > 0
    assert "Select" not in set(leads["record_source"].drop_nulls())
    assert leads.filter(pl.col("raw").str.contains('"Select"')).height > 0  # kept in raw
    print(f"x_education import: {elapsed:.2f} s")


def test_reimport_is_idempotent(real: Path, tmp_path: Path) -> None:
    file = real / "x_education_leads" / "Leads.csv"
    settings = settings_for(tmp_path)

    import_with_mapping(settings, "x_education", [file])
    first = stored(tmp_path, "leads").drop("loaded_at").sort("source_id")
    import_with_mapping(settings, "x_education", [file])

    assert stored(tmp_path, "leads").drop("loaded_at").sort("source_id").equals(first)
