"""sObject rows, sObject Collections and describe through unmodified simple-salesforce."""

from __future__ import annotations

import pytest
from tests.sandbox.conftest import client_session
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

from sandbox import Sandbox

LEAD = "00Q000000000001AAA"
CONVERTED_LEAD = "00Q000000000002AAA"
DELETED_LEAD = "00Q000000000004AAA"


def collections_patch(sandbox: Sandbox, sf: Salesforce, records: list[dict],
                      all_or_none: bool = False) -> list[dict]:
    return sf.restful("composite/sobjects", method="PATCH", json={
        "allOrNone": all_or_none, "records": records})


def lead_update(record_id: str, **values) -> dict:
    return {"attributes": {"type": "Lead"}, "Id": record_id, **values}


def test_update_bumps_modification_stamps(sf: Salesforce) -> None:
    before = sf.Lead.get(LEAD)

    status = sf.Lead.update(LEAD, {"SGL_Origin__c": "sales", "SGL_Channel__c": "referral"})

    after = sf.Lead.get(LEAD)
    assert status == 204
    assert after["SGL_Origin__c"] == "sales"
    assert after["SystemModstamp"] > before["SystemModstamp"]
    assert after["LastModifiedDate"] == after["SystemModstamp"]


def test_update_of_name_part_recomputes_compound_name(sf: Salesforce) -> None:
    sf.Lead.update(LEAD, {"LastName": "Suzuki"})

    assert sf.Lead.get(LEAD)["Name"] == "First1 Suzuki"


def test_converted_lead_refuses_update(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Lead.update(CONVERTED_LEAD, {"SGL_Origin__c": "sales"})

    assert caught.value.content[0]["errorCode"] == "CANNOT_UPDATE_CONVERTED_LEAD"


def test_unknown_id_is_not_found(sf: Salesforce) -> None:
    with pytest.raises(SalesforceResourceNotFound) as caught:
        sf.Lead.update("00Q999999999999AAA", {"SGL_Origin__c": "sales"})

    assert caught.value.content[0]["errorCode"] == "NOT_FOUND"


def test_get_of_deleted_record_is_not_found(sf: Salesforce) -> None:
    with pytest.raises(SalesforceResourceNotFound) as caught:
        sf.Lead.get(DELETED_LEAD)

    assert caught.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"


@pytest.mark.parametrize(("values", "code"), [
    ({"Nope__c": "x"}, "INVALID_FIELD"),
    ({"CreatedDate": "2025-01-01T00:00:00.000+0000"}, "INVALID_FIELD_FOR_INSERT_UPDATE"),
    ({"SGL_Decided_At__c": "yesterday"}, "JSON_PARSER_ERROR"),
])
def test_invalid_update_rejected(sf: Salesforce, values: dict, code: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Lead.update(LEAD, values)

    assert caught.value.content[0]["errorCode"] == code


def test_create_and_delete(sf: Salesforce) -> None:
    created = sf.Lead.create({"LastName": "New", "Company": "Acme", "Status": "Open"})

    assert created["success"] is True
    assert created["id"].startswith("00Q")
    assert sf.Lead.get(created["id"])["Name"] == "New"
    assert sf.Lead.delete(created["id"]) == 204
    assert sf.query(f"SELECT Id FROM Lead WHERE Id = '{created['id']}'")["totalSize"] == 0


def test_collections_report_per_record_errors(sandbox: Sandbox, sf: Salesforce) -> None:
    results = collections_patch(sandbox, sf, [
        lead_update(LEAD, SGL_Origin__c="sales"),
        lead_update(CONVERTED_LEAD, SGL_Origin__c="sales"),
        lead_update(DELETED_LEAD, SGL_Origin__c="sales"),
        lead_update("00Q999999999999AAA", SGL_Origin__c="sales"),
    ])

    assert [result["success"] for result in results] == [True, False, False, False]
    assert [result["id"] for result in results][:3] == [LEAD, CONVERTED_LEAD, DELETED_LEAD]
    assert results[0]["errors"] == []
    assert [result["errors"][0]["statusCode"] for result in results[1:]] == [
        "CANNOT_UPDATE_CONVERTED_LEAD", "ENTITY_IS_DELETED", "INVALID_CROSS_REFERENCE_KEY"]
    assert set(results[1]["errors"][0]) == {"statusCode", "message", "fields"}
    assert sf.Lead.get(LEAD)["SGL_Origin__c"] == "sales"


def test_collections_all_or_none_rolls_back(sf: Salesforce) -> None:
    results = sf.restful("composite/sobjects", method="PATCH", json={
        "allOrNone": True, "records": [lead_update(LEAD, SGL_Origin__c="sales"),
                                       lead_update(CONVERTED_LEAD, SGL_Origin__c="sales")]})

    assert [result["success"] for result in results] == [False, False]
    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert sf.Lead.get(LEAD)["SGL_Origin__c"] is None


def test_collections_reject_more_than_200_records(sf: Salesforce) -> None:
    records = [lead_update(LEAD, SGL_Rule__c=str(n)) for n in range(201)]

    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.restful("composite/sobjects", method="PATCH", json={"records": records})

    assert caught.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_collections_retrieve_by_ids(sf: Salesforce) -> None:
    records = sf.restful("composite/sobjects/Lead", params={
        "ids": f"{LEAD},00Q999999999999AAA", "fields": "Id,SGL_Origin__c,Status"})

    assert records[0]["Id"] == LEAD
    assert set(records[0]) == {"attributes", "Id", "SGL_Origin__c", "Status"}
    assert records[1] is None


def test_describe_lists_custom_fields(sf: Salesforce) -> None:
    fields = {field["name"]: field for field in sf.Lead.describe()["fields"]}

    for name in ("SGL_Origin__c", "SGL_Channel__c", "SGL_Rule__c", "SGL_Decided_At__c",
                 "Lead_Source_Detail__c"):
        assert fields[name]["custom"] is True
        assert fields[name]["updateable"] is True
    assert [value["value"] for value in fields["SGL_Channel__c"]["picklistValues"]] == [
        "referral", "dormant_revival", "network", "social", "abm", "other_sales"]
    assert fields["OwnerId"]["relationshipName"] == "Owner"
    assert fields["OwnerId"]["referenceTo"] == ["User"]
    assert fields["City"]["compoundFieldName"] == "Address"
    assert fields["Address"]["type"] == "address"
    assert fields["IsConverted"]["updateable"] is False
    assert {value["value"] for value in fields["LeadSource"]["picklistValues"]} == {
        "Web", "Referral", "Trade Show"}


def test_describe_custom_fields_on_other_objects(sf: Salesforce) -> None:
    account = {field["name"] for field in sf.Account.describe()["fields"]}
    opportunity = {field["name"] for field in sf.Opportunity.describe()["fields"]}

    assert "ABM_Target__c" in account
    assert {"Loss_Reason__c", "SGL_Origin__c"} <= opportunity


def test_global_describe_and_versions(sandbox: Sandbox, sf: Salesforce) -> None:
    names = [item["name"] for item in sf.describe()["sobjects"]]
    versions = client_session(sandbox).get(f"{sandbox.url}/services/data/").json()

    assert {"Lead", "Contact", "Opportunity", "LeadHistory", "UserRole"} <= set(names)
    assert {"label": "Winter '24", "url": "/services/data/v59.0", "version": "59.0"} in versions


def test_store_edit_between_pulls_is_visible(sandbox: Sandbox, sf: Salesforce) -> None:
    watermark = sf.query("SELECT SystemModstamp FROM Lead ORDER BY SystemModstamp DESC "
                         "LIMIT 1")["records"][0]["SystemModstamp"]
    sandbox.salesforce.store.update("Lead", "00Q000000000010AAA", {"Status": "Working"})
    since = watermark.replace(".000+0000", "Z")

    changed = sf.query_all(f"SELECT Id, Status FROM Lead WHERE SystemModstamp > {since}")

    assert [(record["Id"], record["Status"]) for record in changed["records"]] == [
        ("00Q000000000010AAA", "Working")]
