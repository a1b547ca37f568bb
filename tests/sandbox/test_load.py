"""Tests of saving and loading worlds, and of the loaders for real public CRM exports."""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sandbox.generate import generate_world, iter_world
from sandbox.load import (
    iter_saved_records,
    load_maven_crm,
    load_world,
    load_x_education_leads,
    load_zoho_crm,
    save_world,
)
from sandbox.world import HUBSPOT_PROPERTIES, SALESFORCE_FIELDS, World

AS_OF = datetime(2025, 3, 31, 15, 0, tzinfo=UTC)
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
REAL = SHARED / "data" / "real"
needs_real_data = pytest.mark.skipif(
    not REAL.is_dir(),
    reason=f"the real datasets are not present at {REAL}; they are not part of the repository",
)


def data_rows(file: Path) -> int:
    with file.open(encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _row in csv.DictReader(handle))


def ids(world: World, sobject: str) -> set[str]:
    return {row["Id"] for row in world.salesforce[sobject]}


# -- saved worlds -----------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [False, True])
def test_round_trip_equals(tmp_path: Path, compress: bool) -> None:
    world = generate_world(800, seed=11, as_of=AS_OF)
    save_world(world, tmp_path, compress=compress)
    assert load_world(tmp_path) == world
    suffix = ".jsonl.gz" if compress else ".jsonl"
    assert (tmp_path / "salesforce" / f"Lead{suffix}").is_file()
    assert (tmp_path / "hubspot" / f"associations{suffix}").is_file()


def test_parts_saved_equal_whole(tmp_path: Path) -> None:
    save_world(iter_world(700, seed=2, as_of=AS_OF), tmp_path)
    assert load_world(tmp_path) == generate_world(700, seed=2, as_of=AS_OF)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["as_of"] == "2025-03-31T15:00:00Z"
    assert manifest["counts"]["salesforce.Lead"] >= 700


def test_saved_lines_are_japanese_json(tmp_path: Path) -> None:
    save_world(generate_world(50, seed=1, as_of=AS_OF), tmp_path, compress=True)
    with gzip.open(tmp_path / "salesforce" / "User.jsonl.gz", "rt", encoding="utf-8") as handle:
        first = handle.readline()
    assert "連携" in first or "部" in first  # written as UTF-8, not \\u escapes
    assert json.loads(first)["Id"].startswith("005")


def test_save_replaces_previous_world(tmp_path: Path) -> None:
    save_world(generate_world(100, seed=1, as_of=AS_OF), tmp_path, compress=True)
    smaller = generate_world(100, seed=1, as_of=AS_OF, hubspot_ratio=0)
    save_world(smaller, tmp_path)
    assert not list(tmp_path.rglob("*.gz"))
    assert load_world(tmp_path) == smaller


@pytest.mark.parametrize("compress", [False, True])
def test_saved_records_iterate(tmp_path: Path, compress: bool) -> None:
    world = generate_world(300, seed=4, as_of=AS_OF)
    save_world(world, tmp_path, compress=compress)
    assert list(iter_saved_records(tmp_path, "salesforce", "Lead")) == world.salesforce["Lead"]
    owners = list(iter_saved_records(tmp_path, "hubspot", "owners"))
    assert owners == world.hubspot_owners
    with pytest.raises(FileNotFoundError, match="Invoice"):
        list(iter_saved_records(tmp_path, "salesforce", "Invoice"))


def test_load_missing_folder_explains(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="save_world"):
        load_world(tmp_path / "nowhere")


def test_save_empty_parts_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="empty"):
        save_world(iter([]), tmp_path)


# -- real datasets ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zoho() -> World:
    return load_zoho_crm(REAL / "zoho_crm")


@pytest.fixture(scope="module")
def maven() -> World:
    return load_maven_crm(REAL / "maven_crm")


@pytest.fixture(scope="module")
def x_education() -> World:
    return load_x_education_leads(REAL / "x_education_leads")


@needs_real_data
def test_zoho_row_counts(zoho: World) -> None:
    assert len(zoho.salesforce["Lead"]) == data_rows(REAL / "zoho_crm" / "Leads.csv")
    assert len(zoho.salesforce["Opportunity"]) == data_rows(REAL / "zoho_crm" / "Potentials.csv")


@needs_real_data
def test_zoho_values_kept(zoho: World) -> None:
    leads = zoho.salesforce["Lead"]
    first = leads[0]
    assert first["LastName"] == "Perkins"
    assert first["CreatedDate"] == "2020-12-29T00:11:00.000+0000"
    assert first["LeadSource"] == "Public Relations"
    sources = Counter(lead["LeadSource"] for lead in leads)
    assert sources["Employee Referral"] == 383
    opportunities = zoho.salesforce["Opportunity"]
    assert opportunities[0]["Amount"] == 16200.0
    assert opportunities[0]["CloseDate"] == "2021-02-11"
    assert all(row["CurrencyIsoCode"] == "USD" for row in opportunities)
    assert sum(row["IsWon"] for row in opportunities) == 1088
    assert sum(row["IsClosed"] and not row["IsWon"] for row in opportunities) == 373
    assert {row["Type"] for row in opportunities} == {"New Business", "Existing Business"}
    assert "OnlineStore" in {row["LeadSource"] for row in opportunities}
    assert len(zoho.salesforce["User"]) == 11


@needs_real_data
def test_zoho_conversions_link(zoho: World) -> None:
    accounts, contacts = ids(zoho, "Account"), ids(zoho, "Contact")
    opportunities = {row["Id"]: row for row in zoho.salesforce["Opportunity"]}
    users = ids(zoho, "User")
    converted = [lead for lead in zoho.salesforce["Lead"] if lead["IsConverted"]]
    assert len(converted) == 3141
    with_opportunity = [lead for lead in converted if lead["ConvertedOpportunityId"]]
    assert len(with_opportunity) == 2818
    for lead in converted:
        assert lead["ConvertedAccountId"] in accounts
        assert lead["ConvertedContactId"] in contacts
        assert lead["OwnerId"] in users
    for lead in with_opportunity:
        opportunity = opportunities[lead["ConvertedOpportunityId"]]
        assert opportunity["ContactId"] == lead["ConvertedContactId"]
        assert lead["ConvertedDate"] == opportunity["CreatedDate"][:10]
    # Real dirt: some potentials were created before their lead.
    assert any(
        opportunities[lead["ConvertedOpportunityId"]]["CreatedDate"] < lead["CreatedDate"]
        for lead in with_opportunity
    )


@needs_real_data
def test_maven_row_counts(maven: World) -> None:
    folder = REAL / "maven_crm"
    assert len(maven.salesforce["Opportunity"]) == data_rows(folder / "sales_pipeline.csv")
    assert len(maven.salesforce["Account"]) == data_rows(folder / "accounts.csv")
    agents = [user for user in maven.salesforce["User"] if user["Title"] == "Sales Agent"]
    assert len(agents) == data_rows(folder / "sales_teams.csv")
    managers = [user for user in maven.salesforce["User"] if user["Title"] == "Sales Manager"]
    assert len(managers) == 6


@needs_real_data
def test_maven_teams_and_links(maven: World) -> None:
    roles = {row["Id"]: row["Name"] for row in maven.salesforce["UserRole"]}
    users = {row["Id"]: row for row in maven.salesforce["User"]}
    by_name = {row["Name"]: row for row in users.values()}
    anna = by_name["Anna Snelling"]
    assert roles[anna["UserRoleId"]] == "Dustin Brinkmann's team"
    assert anna["Department"] == "Central"
    assert roles[by_name["Dustin Brinkmann"]["UserRoleId"]] == "Central Manager"
    accounts = ids(maven, "Account")
    opportunities = maven.salesforce["Opportunity"]
    for row in opportunities:
        assert row["OwnerId"] in users
        assert row["AccountId"] is None or row["AccountId"] in accounts
        assert row["LeadSource"] is None
    assert sum(row["AccountId"] is None for row in opportunities) == 1425
    stages = Counter(row["StageName"] for row in opportunities)
    assert stages == {"Won": 4238, "Lost": 2473, "Engaging": 1589, "Prospecting": 500}
    industries = {row["Industry"] for row in maven.salesforce["Account"]}
    assert "technolgy" in industries  # the source's typo is kept


@needs_real_data
def test_x_education_row_count_and_ids(x_education: World) -> None:
    contacts = x_education.hubspot["contacts"]
    assert len(contacts) == data_rows(REAL / "x_education_leads" / "Leads.csv")
    assert len({row["id"] for row in contacts}) == len(contacts)
    for row in contacts:
        assert set(row["properties"]) == set(HUBSPOT_PROPERTIES["contacts"])


@needs_real_data
def test_x_education_sources_mapped(x_education: World) -> None:
    contacts = [row["properties"] for row in x_education.hubspot["contacts"]]
    by_raw = {row["lead_source"]: row["hs_analytics_source"] for row in contacts}
    assert by_raw["Reference"] == "OFFLINE"
    assert by_raw["Referral Sites"] == "REFERRALS"
    assert by_raw["google"] == "ORGANIC_SEARCH"
    assert sum(row["lead_source"] is None for row in contacts) == 36
    assert not any(value == "Select" for row in contacts for value in row.values())
    assert sum(row["lifecyclestage"] == "customer" for row in contacts) == 3559
    origins = Counter(row["hs_object_source"] for row in contacts)
    assert origins["FORM"] == 4884 + 718


@needs_real_data
def test_x_education_dates_synthetic_in_window(x_education: World) -> None:
    contacts = x_education.hubspot["contacts"]
    created = [row["createdAt"] for row in contacts]
    assert min(created) >= "2024-01-01T00:00:00.000Z"
    assert max(created) <= "2025-01-01T00:00:00.000Z"
    ordered = sorted(contacts, key=lambda row: int(row["id"]))
    assert [row["createdAt"] for row in ordered] == sorted(created)


@needs_real_data
@pytest.mark.parametrize("loader", [load_zoho_crm, load_maven_crm])
def test_real_salesforce_records_have_declared_fields(loader, tmp_path: Path) -> None:
    name = {load_zoho_crm: "zoho_crm", load_maven_crm: "maven_crm"}[loader]
    world = loader(REAL / name)
    for sobject, rows in world.salesforce.items():
        for row in rows:
            assert set(row) == set(SALESFORCE_FIELDS[sobject]), sobject
    save_world(world, tmp_path)
    assert load_world(tmp_path) == world


def test_real_loader_missing_file_explains(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="Leads.csv"):
        load_zoho_crm(tmp_path)
