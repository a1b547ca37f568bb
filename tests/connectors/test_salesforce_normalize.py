"""Salesforce normalization and the after-pull derivations, on tiny records written here."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl
from polars.testing import assert_frame_equal

from transforms.derive import opportunity_links, owner_at_creation, qualified_at
from transforms.normalize import normalize
from transforms.normalize.salesforce import SalesforceNormalizer, SalesforceOptions

EDGE = "2025-03-31T16:00:00.000+0000"  # already 1 April in Tokyo


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def lead(**values) -> dict:
    record = {"attributes": {"type": "Lead"}, "Id": "00Q000000000001AAA", "LastName": "Sato",
              "FirstName": "Aiko", "Name": "Aiko Sato", "Company": "Example KK",
              "Status": "Open", "OwnerId": "005000000000001AAA",
              "CreatedById": "005000000000002AAA", "CreatedDate": EDGE,
              "SystemModstamp": EDGE, "IsDeleted": False, "LeadSource": "Referral",
              "SGL_Origin__c": "sales", "SGL_Channel__c": None}
    record.update(values)
    return record


def test_lead_time_zone_edge() -> None:
    page = normalize("salesforce", "Lead", [lead(ConvertedDate="2025-04-01")])
    row = page.frames["leads"].row(0, named=True)

    assert row["created_at"] == utc(2025, 3, 31, 16)
    assert row["created_at"].astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo")).date() \
        == date(2025, 4, 1)
    # A date-only ConvertedDate is midnight in Tokyo, so its local date stays 1 April.
    assert row["converted_at"] == utc(2025, 3, 31, 15)
    assert row["lead_source"] == "Referral"
    assert row["crm_origin"] == "sales"
    assert row["full_name"] == "Aiko Sato"
    assert page.malformed == {}


def test_lead_malformed_dates_counted() -> None:
    records = [lead(Id="00Q1", CreatedDate="2024-02-30T25:61:00.000+0000"),
               lead(Id="00Q2", ConvertedDate="yesterday"), lead(Id="00Q3")]

    page = normalize("salesforce", "Lead", records)

    frame = page.frames["leads"]
    assert frame.height == 3
    assert frame["created_at"].null_count() == 1
    assert page.malformed == {"Lead.CreatedDate": 1, "Lead.ConvertedDate": 1}
    assert "2024-02-30T25:61" in frame.filter(pl.col("source_id") == "00Q1")["raw"][0]


def test_opportunity_amount_and_currency() -> None:
    options = SalesforceOptions(default_currency="USD", loss_reason_field="Loss_Reason__c")
    records = [
        {"Id": "0061", "Amount": Decimal("1234567.89"), "IsClosed": True, "IsWon": False,
         "CloseDate": "2025-03-31", "Loss_Reason__c": "価格", "CreatedDate": EDGE,
         "SystemModstamp": EDGE, "StageName": "Closed Lost"},
        {"Id": "0062", "Amount": "n/a", "IsClosed": False, "IsWon": False,
         "CloseDate": "2025-05-01", "CurrencyIsoCode": "JPY", "CreatedDate": EDGE,
         "SystemModstamp": EDGE, "StageName": "Prospecting"},
    ]

    page = SalesforceNormalizer(options)("Opportunity", records)

    frame = page.frames["opportunities"].sort("source_id")
    assert frame["amount"].to_list() == [Decimal("1234567.8900"), None]
    assert frame["currency"].to_list() == ["USD", "JPY"]
    assert frame["closed_at"].to_list() == [date(2025, 3, 31), None]
    assert frame["loss_reason"].to_list() == ["価格", None]
    assert page.malformed == {"Opportunity.Amount": 1}
    assert "lead_id" not in frame.columns  # derived after the pull, never cleared


def test_activity_durations_and_types() -> None:
    tasks = [
        {"Id": "00T1", "TaskSubtype": "Call", "Type": "Call", "CallType": "Outbound",
         "CallDurationInSeconds": 150, "WhoId": "00Q1", "WhatId": "0061",
         "ActivityDate": "2025-04-01", "CreatedDate": EDGE, "SystemModstamp": EDGE},
        {"Id": "00T2", "TaskSubtype": "Task", "Type": "手紙", "WhoId": "0031",
         "AccountId": "0011", "CreatedDate": EDGE, "SystemModstamp": EDGE},
    ]
    events = [{"Id": "00U1", "StartDateTime": "2025-04-01T01:00:00.000+0000",
               "EndDateTime": "2025-04-01T02:30:00.000+0000", "WhatId": "0012",
               "CreatedDate": EDGE, "SystemModstamp": EDGE}]

    task_frame = normalize("salesforce", "Task", tasks).frames["activities"]
    event_frame = normalize("salesforce", "Event", events).frames["activities"]

    expected = pl.DataFrame({
        "source_id": ["00T1", "00T2"], "activity_type": ["call", "letter"],
        "direction": ["outbound", None], "lead_id": ["00Q1", None],
        "contact_id": [None, "0031"], "account_id": [None, "0011"],
        "opportunity_id": ["0061", None], "duration_minutes": [2.5, None],
        "occurred_at": [utc(2025, 3, 31, 15), utc(2025, 3, 31, 16)],
    })
    assert_frame_equal(task_frame.select(expected.columns), expected)
    assert event_frame["duration_minutes"].to_list() == [90.0]
    assert event_frame["account_id"].to_list() == ["0012"]
    assert event_frame["occurred_at"].to_list() == [utc(2025, 4, 1, 1)]


def test_user_roles_from_rules() -> None:
    users = [
        {"Id": "0051", "UserRole": {"Name": "インサイドセールス部 メンバー"},
         "Profile": {"Name": "インサイドセールス"}, "Department": "インサイドセールス部",
         "IsActive": True, "SystemModstamp": EDGE},
        {"Id": "0052", "UserRole": None, "Profile": {"Name": "API連携ユーザー"},
         "Department": None, "IsActive": True, "SystemModstamp": EDGE},
        {"Id": "0053", "UserRole": {"Name": "Board"}, "Profile": {"Name": "Executive"},
         "Department": None, "IsActive": False, "SystemModstamp": EDGE},
    ]

    frame = normalize("salesforce", "User", users).frames["users"].sort("source_id")

    assert frame["role"].to_list() == ["inside_sales", "integration", "other"]
    assert frame["team"].to_list() == ["インサイドセールス部", None, "Board"]
    assert frame["is_active"].to_list() == [True, True, False]


def test_account_domain_and_abm_flag() -> None:
    accounts = [{"Id": "0011", "Website": "https://www.Example.co.jp/about",
                 "ABM_Target__c": True, "CreatedDate": EDGE, "SystemModstamp": EDGE},
                {"Id": "0012", "Website": " ", "ABM_Target__c": False,
                 "CreatedDate": EDGE, "SystemModstamp": EDGE}]

    frame = normalize("salesforce", "Account", accounts).frames["accounts"].sort("source_id")

    assert frame["domain"].to_list() == ["example.co.jp", None]
    assert frame["is_abm_target"].to_list() == [True, False]


def test_qualified_at_hand_checked() -> None:
    leads = pl.DataFrame({
        "source_id": ["L1", "L2", "L3", "L4"],
        "converted_at": [utc(2025, 4, 20, 15), None, utc(2025, 5, 9, 15), None],
        "opportunity_id": ["O1", None, "O3", None],
    })
    history = pl.DataFrame({
        "record_id": ["L1", "L1", "L2", "L2", "L4"],
        "field": ["Status", "Status", "Status", "Owner", "Status"],
        "new_value": ["Working", "Qualified", "Qualified", "Qualified", "Working"],
        "changed_at": [utc(2025, 4, 2), utc(2025, 4, 10), utc(2025, 4, 5), utc(2025, 4, 1),
                       utc(2025, 4, 3)],
    })
    opportunities = pl.DataFrame({"source_id": ["O1", "O3"],
                                  "created_at": [utc(2025, 4, 21), utc(2025, 5, 1)]})

    result = qualified_at(leads, history, opportunities, ["Qualified"]).sort("source_id")

    expected = pl.DataFrame({
        "source_id": ["L1", "L2", "L3", "L4"],
        # L1: the status entry on 10 April beats conversion (20 April) and its deal (21 April).
        # L2: status entry only; the Owner row with the same text does not count.
        # L3: its deal was created before the conversion date, so the deal wins.
        # L4: never entered a qualifying status.
        "qualified_at": [utc(2025, 4, 10), utc(2025, 4, 5), utc(2025, 5, 1), None],
    })
    assert_frame_equal(result, expected)


def test_owner_at_creation_uses_id_rows() -> None:
    leads = pl.DataFrame({"source_id": ["L1", "L2"], "owner_id": ["005CURRENT00001", "005X"]})
    history = pl.DataFrame({
        "record_id": ["L1", "L1", "L1", "L1"],
        "field": ["Owner", "Owner", "Owner", "Owner"],
        "old_value": ["佐藤 愛子", "005FIRST0000001", "鈴木", "005SECOND000001"],
        "new_value": ["鈴木", "005SECOND000001", "田中", "005CURRENT00001"],
        "changed_at": [utc(2025, 1, 2), utc(2025, 1, 2), utc(2025, 2, 1), utc(2025, 2, 1)],
    })

    result = owner_at_creation(leads, history).sort("source_id")

    assert result["owner_at_creation"].to_list() == ["005FIRST0000001", "005X"]


def test_opportunity_links_pick_earliest_lead() -> None:
    opportunities = pl.DataFrame({
        "source_id": ["O1", "O2", "O3"], "contact_id": ["003ROLE", None, None],
        "raw": ['{"ContactId": "003OWN1"}', '{"ContactId": "003OWN2"}', "{}"],
    })
    leads = pl.DataFrame({"source_id": ["L2", "L1", "L3"], "opportunity_id": ["O1", "O1", None],
                          "created_at": [utc(2025, 2, 1), utc(2025, 1, 1), utc(2025, 3, 1)]})

    result = opportunity_links(opportunities, leads).sort("source_id")

    assert result["lead_id"].to_list() == ["L1", None, None]
    assert result["contact_id"].to_list() == ["003ROLE", "003OWN2", None]
