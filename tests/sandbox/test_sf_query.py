"""SOQL query and queryAll through unmodified simple-salesforce."""

from __future__ import annotations

import pytest
from tests.sandbox.conftest import LEAD_COUNT, client_session, simple_salesforce
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sandbox import Sandbox

LIVE_LEADS = LEAD_COUNT - 1  # lead 4 is in the recycle bin


def ids(result: dict) -> list[str]:
    return [record["Id"] for record in result["records"]]


@pytest.mark.parametrize("page_size", [1, 7, 44, 2000])
def test_paged_query_returns_each_record_once(sandbox: Sandbox, sf: Salesforce,
                                              page_size: int) -> None:
    sandbox.salesforce.page_size_limit = page_size
    result = sf.query_all("SELECT Id, Name FROM Lead ORDER BY CreatedDate")

    assert len(ids(result)) == LIVE_LEADS
    assert len(set(ids(result))) == LIVE_LEADS
    pages = sandbox.request_log.count(api="salesforce", path_contains="/query")
    assert pages == -(-LIVE_LEADS // page_size)


def test_first_page_shape_with_locator(sandbox: Sandbox, sf: Salesforce) -> None:
    sandbox.salesforce.page_size_limit = 10
    first = sf.query("SELECT Id FROM Lead")

    assert first["totalSize"] == LIVE_LEADS
    assert first["done"] is False
    assert len(first["records"]) == 10
    assert first["nextRecordsUrl"].startswith("/services/data/v59.0/query/01g")
    assert first["nextRecordsUrl"].endswith("-10")
    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert second["records"][0]["Id"] not in ids(first)


def test_batch_size_header_clamped_to_200(sandbox: Sandbox) -> None:
    """Salesforce takes batchSize 200 to 2000; smaller values act as 200."""
    session = client_session(sandbox)
    response = session.get(
        f"{sandbox.url}/services/data/v59.0/query", params={"q": "SELECT Id FROM Lead"},
        headers={"Authorization": f"Bearer {sandbox.salesforce_token()}",
                 "Sforce-Query-Options": "batchSize=5"})

    assert len(response.json()["records"]) == LIVE_LEADS
    assert response.json()["done"] is True


def test_invalid_locator_rejected(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query_more("/services/data/v59.0/query/01gAAAAAAAAAAAAAAA-2000",
                      identifier_is_url=True)

    assert caught.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_query_all_includes_deleted(sf: Salesforce) -> None:
    live = sf.query_all("SELECT Id FROM Lead")
    everything = sf.query_all("SELECT Id, IsDeleted FROM Lead", include_deleted=True)

    assert len(everything["records"]) == LEAD_COUNT
    deleted = [record["Id"] for record in everything["records"] if record["IsDeleted"]]
    assert deleted == ["00Q000000000004AAA"]
    assert deleted[0] not in ids(live)


def test_deleted_record_seen_by_query_all_after_delete(sandbox: Sandbox, sf: Salesforce) -> None:
    sandbox.salesforce.store.delete("Lead", "00Q000000000007AAA")

    assert "00Q000000000007AAA" not in ids(sf.query_all("SELECT Id FROM Lead"))
    again = sf.query_all("SELECT Id, IsDeleted FROM Lead WHERE Id = '00Q000000000007AAA'",
                         include_deleted=True)
    assert again["records"][0]["IsDeleted"] is True


def test_relationship_fields_nested(sf: Salesforce) -> None:
    record = sf.query("SELECT Id, Owner.Name, CreatedBy.Profile.Name, CreatedBy.UserRole.Name "
                      "FROM Lead WHERE Id = '00Q000000000002AAA'")["records"][0]

    assert record["Owner"]["Name"] == "Aiko Sato"
    assert record["Owner"]["attributes"]["type"] == "User"
    assert record["CreatedBy"]["Profile"]["Name"] == "Integration"
    assert record["CreatedBy"]["UserRole"] is None  # the integration user has no role


def test_user_role_relationship(sf: Salesforce) -> None:
    records = sf.query("SELECT Username, UserRole.Name FROM User ORDER BY Username")["records"]

    assert [record["UserRole"] and record["UserRole"]["Name"] for record in records] == [
        "Sales Rep", "Marketing", None]


@pytest.mark.parametrize(("where", "expected"), [
    ("CreatedDate >= 2025-02-10T00:00:00Z", 5),
    ("CreatedDate >= 2025-02-10T18:00:00+09:00", 4),
    ("CreatedDate < 2025-01-03T00:00:00Z", 2),
    ("ConvertedDate = 2025-01-10", 1),
    ("Email = null", 5),
    ("Email != null", 39),
    ("LeadSource IN ('Web', 'Referral')", 22),
    ("LeadSource NOT IN ('Web')", 33),
    ("LeadSource != 'Web'", 33),
    ("Email LIKE 'lead1%'", 10),
    ("email like 'LEAD1%'", 10),
    ("Company = 'company 0'", 9),
    ("NOT (Status = 'Open')", 15),
    ("(Status = 'Open' OR IsConverted = true) AND OwnerId = '005000000000000AAA'", 14),
    ("IsConverted = true", 1),
    ("Name = 'It\\'s nobody'", 0),
])
def test_where_clauses(sf: Salesforce, where: str, expected: int) -> None:
    result = sf.query_all(f"SELECT Id FROM Lead WHERE {where}")

    assert len(result["records"]) == expected


def test_order_by_nulls_and_limit(sf: Salesforce) -> None:
    first = sf.query("SELECT Id, Email FROM Lead ORDER BY Email ASC NULLS FIRST LIMIT 3")
    last = sf.query("SELECT Id, Email FROM Lead ORDER BY Email DESC NULLS LAST LIMIT 2")

    assert [record["Email"] for record in first["records"]] == [None, None, None]
    assert [record["Email"] for record in last["records"]] == ["lead8@example.com",
                                                             "lead7@example.com"]
    assert first["totalSize"] == 3


def test_count_query(sf: Salesforce) -> None:
    result = sf.query("SELECT COUNT() FROM Lead WHERE IsConverted = false")

    assert result == {"totalSize": LIVE_LEADS - 1, "done": True, "records": []}


def test_values_typed_as_rest_returns_them(sf: Salesforce) -> None:
    record = sf.query("SELECT Id, IsConverted, CreatedDate, ConvertedDate, Address FROM Lead "
                      "WHERE Id = '00Q000000000002AAA'")["records"][0]
    account = sf.query("SELECT NumberOfEmployees, AnnualRevenue, ABM_Target__c FROM Account "
                       "ORDER BY Name LIMIT 1")["records"][0]

    assert record["IsConverted"] is True
    assert record["CreatedDate"] == "2025-01-03T02:00:00.000+0000"
    assert record["ConvertedDate"] == "2025-01-10"
    assert record["Address"]["city"] == "Osaka"
    assert account["NumberOfEmployees"] == 10
    assert account["AnnualRevenue"] == 1000000.0
    assert account["ABM_Target__c"] is True


@pytest.mark.parametrize(("query", "code", "message_part"), [
    ("SELECT Id FRO Lead", "MALFORMED_QUERY", "unexpected token: FRO"),
    ("SELECT Id FROM Lead GROUP BY Id", "MALFORMED_QUERY", "unexpected token: GROUP"),
    ("SELECT Id FROM Lead WHERE A__c = 1 AND B__c = 2 OR C__c = 3", "MALFORMED_QUERY",
     "unexpected token: OR"),
    ("SELECT Id FROM Lead WHERE Name = 'open", "MALFORMED_QUERY", "ERROR at Row:1:Column:34"),
    ("SELECT Id, Nope__c FROM Lead", "INVALID_FIELD",
     "No such column 'Nope__c' on entity 'Lead'."),
    ("SELECT Id, Boss.Name FROM Lead", "INVALID_FIELD",
     "Didn't understand relationship 'Boss' in field path."),
    ("SELECT Id FROM Leads", "INVALID_TYPE", "sObject type 'Leads' is not supported."),
    ("SELECT Id FROM Lead WHERE CreatedDate > '2025-01-01'", "INVALID_FIELD",
     "must be of type dateTime and should not be enclosed in quotes"),
    ("SELECT Id FROM Lead WHERE CreatedDate > 2025-01-01", "INVALID_FIELD",
     "must be of type dateTime"),
    ("SELECT Id, Id FROM Lead", "MALFORMED_QUERY", "duplicate field selected: Id"),
])
def test_rejected_queries(sf: Salesforce, query: str, code: str, message_part: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query(query)

    assert caught.value.status == 400
    assert caught.value.content[0]["errorCode"] == code
    assert message_part in caught.value.content[0]["message"]


def test_hidden_field_invalid_in_query_and_describe() -> None:
    from tests.sandbox.conftest import build_world

    with Sandbox(build_world(), hidden_fields={"Lead": {"Phone"}},
                 mount_hubspot=False) as sandbox:
        sf = simple_salesforce(sandbox)

        with pytest.raises(SalesforceMalformedRequest) as caught:
            sf.query("SELECT Id, Phone FROM Lead")
        names = [field["name"] for field in sf.Lead.describe()["fields"]]

    assert caught.value.content[0]["errorCode"] == "INVALID_FIELD"
    assert "Phone" not in names
    assert "Email" in names


def test_every_response_reports_api_usage(sandbox: Sandbox, sf: Salesforce) -> None:
    sf.query("SELECT Id FROM Lead LIMIT 1")
    sf.query("SELECT Id FROM Lead LIMIT 1")

    assert sf.api_usage["api-usage"].used == 2
    assert sf.api_usage["api-usage"].total == 100_000
    limits = sf.limits()
    assert limits["DailyApiRequests"] == {"Max": 100_000, "Remaining": 100_000 - 3}
