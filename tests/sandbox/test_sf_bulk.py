"""Bulk API 2.0 query and ingest jobs through simple-salesforce's ``bulk2``."""

from __future__ import annotations

import csv
import io

import pytest
from tests.sandbox.conftest import LEAD_COUNT, client_session
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sandbox import Sandbox

CONVERTED_LEAD = "00Q000000000002AAA"


def rows(pages) -> list[dict]:
    return [row for page in pages for row in csv.DictReader(io.StringIO(page))]


def test_bulk_query_pages_every_record_once(sandbox: Sandbox, sf: Salesforce) -> None:
    pages = list(sf.bulk2.Lead.query(
        "SELECT Id, Email, IsConverted, CreatedDate, Owner.Name FROM Lead ORDER BY Id",
        max_records=10, wait=0))
    records = rows(pages)

    assert len(pages) == -(-(LEAD_COUNT - 1) // 10)
    assert len({record["Id"] for record in records}) == LEAD_COUNT - 1
    assert set(records[0]) == {"Id", "Email", "IsConverted", "CreatedDate", "Owner.Name"}
    assert records[0]["IsConverted"] == "false"
    assert records[0]["CreatedDate"] == "2025-01-01T00:00:00.000Z"
    assert records[0]["Owner.Name"] == "Aiko Sato"
    assert records[0]["Email"] == ""  # lead 0 has no email: null is an empty cell


def test_bulk_query_all_includes_deleted(sf: Salesforce) -> None:
    records = rows(sf.bulk2.Lead.query_all("SELECT Id, IsDeleted FROM Lead", wait=0))

    assert len(records) == LEAD_COUNT
    assert [record["Id"] for record in records if record["IsDeleted"] == "true"] == [
        "00Q000000000004AAA"]


def test_bulk_results_headers(sandbox: Sandbox, sf: Salesforce) -> None:
    session = client_session(sandbox)
    headers = {"Authorization": f"Bearer {sf.session_id}", "Content-Type": "application/json"}
    base = f"{sandbox.url}/services/data/v59.0/jobs/query"
    job = session.post(base, json={"operation": "query", "query": "SELECT Id FROM Lead"},
                       headers=headers).json()
    assert job["state"] == "UploadComplete"
    assert session.get(f"{base}/{job['id']}", headers=headers).json()["state"] == "JobComplete"

    first = session.get(f"{base}/{job['id']}/results", params={"maxRecords": 40},
                        headers=headers)
    last = session.get(f"{base}/{job['id']}/results",
                       params={"maxRecords": 40, "locator": first.headers["Sforce-Locator"]},
                       headers=headers)

    assert first.headers["Sforce-NumberOfRecords"] == "40"
    assert first.text.startswith('"Id"\n"00Q')
    assert last.headers["Sforce-NumberOfRecords"] == str(LEAD_COUNT - 1 - 40)
    assert last.headers["Sforce-Locator"] == "null"


def test_bulk_query_rejects_compound_fields(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        list(sf.bulk2.Lead.query("SELECT Id, Address FROM Lead", wait=0))

    assert caught.value.content[0]["message"] == \
        "Selecting compound data not supported in Bulk Query"


def test_bulk_query_rejects_unknown_field(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        list(sf.bulk2.Lead.query("SELECT Id, Nope__c FROM Lead", wait=0))

    assert caught.value.content[0]["errorCode"] == "INVALID_FIELD"


def test_bulk_update_round_trip(sf: Salesforce) -> None:
    records = [{"Id": "00Q000000000001AAA", "SGL_Origin__c": "sales"},
               {"Id": CONVERTED_LEAD, "SGL_Origin__c": "sales"},
               {"Id": "00Q000000000003AAA", "SGL_Origin__c": "marketing"}]

    results = sf.bulk2.Lead.update(records=records, wait=0)
    job_id = results[0]["job_id"]
    outcome = sf.bulk2.Lead.get_all_ingest_records(job_id)

    assert results[0]["numberRecordsProcessed"] == 3
    assert results[0]["numberRecordsFailed"] == 1
    assert [row["sf__Id"] for row in outcome["successfulRecords"]] == [
        "00Q000000000001AAA", "00Q000000000003AAA"]
    assert outcome["successfulRecords"][0]["sf__Created"] == "false"
    failed = outcome["failedRecords"][0]
    assert failed["sf__Id"] == CONVERTED_LEAD
    assert failed["sf__Error"].startswith("CANNOT_UPDATE_CONVERTED_LEAD:")
    assert failed["SGL_Origin__c"] == "sales"
    assert outcome["unprocessedRecords"] == []
    assert sf.Lead.get("00Q000000000003AAA")["SGL_Origin__c"] == "marketing"


def test_bulk_insert_reports_created(sf: Salesforce) -> None:
    results = sf.bulk2.Lead.insert(records=[{"LastName": "Bulk", "Company": "Acme",
                                             "Status": "Open"}], wait=0)
    successful = sf.bulk2.Lead.get_successful_records(results[0]["job_id"])

    row = next(csv.DictReader(io.StringIO(successful)))
    assert row["sf__Created"] == "true"
    assert sf.Lead.get(row["sf__Id"])["LastName"] == "Bulk"


def test_bulk_ingest_unknown_column_fails_job(sf: Salesforce) -> None:
    with pytest.raises(Exception, match="Field name not found"):
        sf.bulk2.Lead.update(records=[{"Id": "00Q000000000001AAA", "Nope__c": "x"}], wait=0)
