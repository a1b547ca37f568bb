"""HubSpot normalization on tiny pages written in the test, compared frame to frame."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from transforms.normalize import normalize
from transforms.normalize.hubspot import HubSpotOptions, deal_qualified_at, normalize_records

UTC_US = pl.Datetime("us", "UTC")


def record(record_id: str, **properties: str | None) -> dict:
    return {"id": record_id, "properties": properties, "createdAt": "2025-01-01T00:00:00.000Z",
            "updatedAt": "2025-01-02T00:00:00.000Z", "archived": False}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_contact_becomes_lead() -> None:
    contact = record(
        "11", email=" Hanako@Example.JP ", firstname="花子", lastname="山田", company="山田商事",
        createdate="2025-03-31T16:00:00.000Z", lastmodifieddate="1743465600000",
        hs_created_by_user_id="4001", hubspot_owner_id="7001",
        hs_analytics_source="OFFLINE", hs_object_source="INTEGRATION",
        hs_object_source_label="Sansan", lifecyclestage="opportunity",
        hs_lifecyclestage_salesqualifiedlead_date="2025-04-10T00:00:00.000Z",
        hs_lifecyclestage_opportunity_date="2025-04-05T00:00:00.000Z",
        associatedcompanyid="501", sgl_origin="sales", sgl_channel="network")

    page = normalize("hubspot", "contacts", [contact])

    leads = page.frames["leads"]
    expected = pl.DataFrame({
        "email": ["Hanako@Example.JP"], "full_name": ["花子 山田"],
        "created_at": [at("2025-03-31T16:00:00")], "created_by": ["4001"],
        "owner_id": ["7001"], "lead_source": ["OFFLINE"], "record_source": ["INTEGRATION"],
        "record_source_detail": ["Sansan"], "status": ["opportunity"],
        "qualified_at": [at("2025-04-05T00:00:00")], "modified_at": [at("2025-04-01T00:00:00")],
        "account_id": ["501"], "crm_origin": ["sales"], "crm_channel": ["network"],
    }, schema_overrides={"created_at": UTC_US, "qualified_at": UTC_US, "modified_at": UTC_US})
    assert_frame_equal(leads.select(expected.columns), expected)
    assert json.loads(leads["raw"][0]) == contact
    assert page.malformed == {}


def test_garbage_date_is_counted_and_kept_raw() -> None:
    contact = record("12", createdate="2024-02-30T25:61:00.000+0000",
                     hs_lifecyclestage_customer_date="yesterday",
                     lastmodifieddate="2025-01-01T00:00:00Z")

    page = normalize_records("contacts", [contact], HubSpotOptions())

    leads = page.frames["leads"]
    assert page.malformed == {"contacts.createdate": 1,
                              "contacts.hs_lifecyclestage_customer_date": 1}
    # The record's own createdAt replaces the unreadable property.
    assert leads["created_at"][0] == at("2025-01-01T00:00:00")
    assert leads["qualified_at"][0] is None
    assert "2024-02-30T25:61" in leads["raw"][0]


def test_configured_names_and_stages_apply() -> None:
    options = HubSpotOptions(origin_property="origin_tag", channel_property="channel_tag",
                             qualified_lifecycle_stages=("customer",))
    contact = record("13", origin_tag="marketing", sgl_origin="sales",
                     hs_lifecyclestage_opportunity_date="2025-01-01T00:00:00Z",
                     hs_lifecyclestage_customer_date="2025-02-01T00:00:00Z")

    leads = normalize_records("contacts", [contact], options).frames["leads"]

    assert leads["crm_origin"].to_list() == ["marketing"]
    assert leads["crm_channel"].to_list() == [None]
    assert leads["qualified_at"].to_list() == [at("2025-02-01T00:00:00")]


@pytest.mark.parametrize(("options", "won", "closed"), [
    (HubSpotOptions(default_currency="USD"), [True, False, False], [True, True, False]),
    (HubSpotOptions(default_currency="USD", closed_won_stages=("contractsigned",),
                    closed_lost_stages=("closedlost",)), [False, False, True],
     [False, True, True]),
])
def test_deals_become_opportunities(options: HubSpotOptions, won: list[bool],
                                    closed: list[bool]) -> None:
    deals = [
        record("21", dealname="A", amount="1200000", deal_currency_code="JPY",
               dealstage="closedwon", hs_is_closed_won="true", hs_is_closed="true",
               closedate="2025-03-31T16:00:00.000Z", dealtype="newbusiness"),
        record("22", dealname="B", amount="12500.50", dealstage="closedlost",
               hs_is_closed_won="false", hs_is_closed="true", closed_lost_reason="価格",
               closedate="2025-03-01T00:00:00.000Z"),
        record("23", dealname="C", amount="about 5k", dealstage="contractsigned",
               hs_is_closed_won="false", hs_is_closed="false", hs_next_step="稟議"),
    ]

    page = normalize_records("deals", deals, options)

    frame = page.frames["opportunities"]
    assert frame["is_won"].to_list() == won
    assert frame["is_closed"].to_list() == closed
    assert frame["amount"].to_list() == [Decimal("1200000"), Decimal("12500.5"), None]
    assert frame["currency"].to_list() == ["JPY", "USD", "USD"]
    # 2025-03-31T16:00Z is already April 1 in Tokyo, the default time zone.
    assert frame["closed_at"].to_list() == [date(2025, 4, 1), date(2025, 3, 1), None]
    assert frame["loss_reason"].to_list() == [None, "価格", None]
    assert frame["next_step"].to_list() == [None, None, "稟議"]
    assert frame["opportunity_type"].to_list() == ["newbusiness", None, None]
    assert page.malformed == {"deals.amount": 1}


def test_engagements_become_activities() -> None:
    call = record("31", hs_call_duration="150000", hs_call_direction="OUTBOUND",
                  hs_timestamp="2025-01-05T01:00:00Z", hubspot_owner_id="7001")
    meeting = record("32", hs_meeting_start_time="2025-01-06T01:00:00Z",
                     hs_meeting_end_time="2025-01-06T01:45:00Z",
                     hs_timestamp="2025-01-06T01:00:00Z")
    email = record("33", hs_email_direction="INCOMING_EMAIL", hs_timestamp="1736125200000")
    task = record("34", hs_task_type="CALL", hs_createdate="2025-01-07T00:00:00Z")

    frames = [normalize_records(name, [item], HubSpotOptions()).frames["activities"]
              for name, item in (("calls", call), ("meetings", meeting), ("emails", email),
                                 ("tasks", task))]

    activities = pl.concat(frames).select("source_id", "activity_type", "direction",
                                          "duration_minutes", "occurred_at")
    expected = pl.DataFrame({
        "source_id": ["31", "32", "33", "34"],
        "activity_type": ["call", "meeting", "email", "task"],
        "direction": ["outbound", None, "inbound", None],
        "duration_minutes": [2.5, 45.0, None, None],
        "occurred_at": [at("2025-01-05T01:00:00"), at("2025-01-06T01:00:00"),
                        at("2025-01-06T01:00:00"), at("2025-01-07T00:00:00")],
    }, schema_overrides={"occurred_at": UTC_US})
    assert_frame_equal(activities, expected)


def test_companies_become_accounts() -> None:
    options = HubSpotOptions(abm_target_property="abm_tier_one")
    companies = [record("41", name="山田商事", domain=" Yamada.CO.JP ", abm_tier_one="true"),
                 record("42", name="B", abm_tier_one="maybe")]

    page = normalize_records("companies", companies, options)

    accounts = page.frames["accounts"]
    assert accounts["domain"].to_list() == ["yamada.co.jp", None]
    assert accounts["is_abm_target"].to_list() == [True, None]
    assert page.malformed == {"companies.abm_tier_one": 1}


def test_owner_roles_come_from_teams_then_overrides() -> None:
    options = HubSpotOptions(team_roles={"Inside Sales": "inside_sales", "Field": "sales"},
                             owner_roles={"bot@example.jp": "integration"})
    owners = [
        {"id": "1", "email": "a@example.jp", "firstName": "A", "lastName": "One", "userId": 11,
         "archived": False, "updatedAt": "2025-01-01T00:00:00Z",
         "teams": [{"id": "t1", "name": "Field", "primary": False},
                   {"id": "t2", "name": "Inside Sales", "primary": True}]},
        {"id": "2", "email": "bot@example.jp", "userId": 12, "archived": False,
         "teams": [{"id": "t1", "name": "Field", "primary": True}]},
        {"id": "3", "email": "c@example.jp", "archived": True, "teams": []},
    ]

    users = normalize_records("owners", owners, options).frames["users"]

    assert users["role"].to_list() == ["inside_sales", "integration", "other"]
    assert users["team"].to_list() == ["Inside Sales", "Field", None]
    assert users["crm_user_id"].to_list() == ["11", "12", None]
    assert users["is_active"].to_list() == [True, True, False]
    assert users["name"].to_list() == ["A One", None, None]


def test_first_deal_can_qualify_a_contact() -> None:
    leads = pl.DataFrame({"source_id": ["1", "2", "3"],
                          "qualified_at": [at("2025-01-09T00:00:00"), None,
                                           at("2025-01-02T00:00:00")]},
                         schema_overrides={"qualified_at": UTC_US})
    deals = pl.DataFrame({"source_id": ["d1", "d2", "d3"],
                          "created_at": [at("2025-01-05T00:00:00"), at("2025-01-07T00:00:00"),
                                         at("2025-01-04T00:00:00")]},
                         schema_overrides={"created_at": UTC_US})
    links = pl.DataFrame({"from_object": ["deals", "deals", "deals", "contacts"],
                          "from_id": ["d1", "d2", "d3", "3"],
                          "to_object": ["contacts", "contacts", "contacts", "deals"],
                          "to_id": ["1", "2", "3", "d1"]})

    result = deal_qualified_at(leads, deals, links).sort("source_id")

    assert result["qualified_at"].to_list() == [at("2025-01-05T00:00:00"),
                                                at("2025-01-07T00:00:00"),
                                                at("2025-01-02T00:00:00")]


def test_archived_record_is_a_soft_delete() -> None:
    gone = {**record("51", lastmodifieddate="2025-01-01T00:00:00Z"), "archived": True,
            "archivedAt": "2025-02-01T00:00:00.000Z"}

    leads = normalize_records("contacts", [gone], HubSpotOptions()).frames["leads"]

    assert leads["is_deleted"].to_list() == [True]
    assert leads["deleted_at"].to_list() == [at("2025-02-01T00:00:00")]


def test_empty_page_has_every_column() -> None:
    frame = normalize_records("deals", [], HubSpotOptions()).frames["opportunities"]

    assert frame.height == 0
    assert {"source", "source_id", "object", "raw", "amount", "currency"} <= set(frame.columns)
