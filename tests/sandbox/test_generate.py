"""Tests of the seeded CRM world generator: determinism, integrity, formats and realism."""

from __future__ import annotations

import re
import time
import unicodedata
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from sandbox.generate import CHUNK_LEADS, generate_world, iter_world
from sandbox.generate.ids import KEY_PREFIXES, case_suffix
from sandbox.generate.org import company
from sandbox.world import HUBSPOT_PROPERTIES, SALESFORCE_FIELDS, World

AS_OF = datetime(2025, 3, 31, 15, 0, tzinfo=UTC)
WINDOW_START = datetime(2023, 3, 31, 15, 0, tzinfo=UTC)
SALESFORCE_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")
SALESFORCE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
HUBSPOT_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
DATETIME_FIELDS = (
    "CreatedDate",
    "LastModifiedDate",
    "SystemModstamp",
    "ActivityDateTime",
    "StartDateTime",
    "EndDateTime",
)
DATE_FIELDS = ("ConvertedDate", "CloseDate", "ActivityDate", "LastActivityDate")


@pytest.fixture(scope="module")
def world() -> World:
    return generate_world(4000, seed=7, as_of=AS_OF)


def parse_salesforce(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")


def parse_hubspot(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def ids_of(world: World, sobject: str) -> set[str]:
    return {row["Id"] for row in world.salesforce[sobject]}


def normalize_email(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().lower()


# -- determinism ------------------------------------------------------------------------------


def test_same_seed_same_world() -> None:
    first = generate_world(600, seed=3, as_of=AS_OF)
    second = generate_world(600, seed=3, as_of=AS_OF)
    assert first == second


def test_other_seed_other_world() -> None:
    first = generate_world(300, seed=3, as_of=AS_OF)
    second = generate_world(300, seed=4, as_of=AS_OF)
    assert first.salesforce["Lead"] != second.salesforce["Lead"]


def test_parts_concatenate_to_world() -> None:
    size = CHUNK_LEADS + 250
    parts = list(iter_world(size, seed=5, as_of=AS_OF, hubspot_ratio=0.2))
    whole = World(as_of=AS_OF)
    for part in parts:
        whole.extend(part)
    assert len(parts) == 3
    assert whole == generate_world(size, seed=5, as_of=AS_OF, hubspot_ratio=0.2)
    assert len(whole.salesforce["Lead"]) >= size


def test_small_world_is_fast() -> None:
    started = time.perf_counter()
    generate_world(500, seed=1, as_of=AS_OF)
    assert time.perf_counter() - started < 1.0


def test_sizes_and_ratio(world: World) -> None:
    leads = world.salesforce["Lead"]
    assert 4000 <= len(leads) <= 4000 * 1.02  # duplicates of a few people are extra leads
    assert len(world.hubspot["contacts"]) == 2400
    only_salesforce = generate_world(200, seed=1, as_of=AS_OF, hubspot_ratio=0)
    assert only_salesforce.hubspot["contacts"] == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"size": -1}, "size"),
        ({"hubspot_ratio": -0.5}, "hubspot_ratio"),
        ({"as_of": datetime(2025, 3, 31)}, "timezone-aware"),
        ({"months": 0}, "months"),
    ],
)
def test_invalid_arguments_rejected(arguments: dict, message: str) -> None:
    call = {"size": 10, "seed": 1, "as_of": AS_OF} | arguments
    with pytest.raises(ValueError, match=message):
        generate_world(**call)


# -- ids and fields ---------------------------------------------------------------------------


def test_salesforce_ids_unique_and_valid(world: World) -> None:
    seen: set[str] = set()
    for sobject, rows in world.salesforce.items():
        prefix = KEY_PREFIXES[sobject]
        for row in rows:
            record_id = row["Id"]
            assert len(record_id) == 18, record_id
            assert record_id.startswith(prefix), (sobject, record_id)
            assert case_suffix(record_id[:15]) == record_id[15:], record_id
            assert record_id not in seen, record_id
            seen.add(record_id)


def test_salesforce_records_have_declared_fields(world: World) -> None:
    for sobject, rows in world.salesforce.items():
        expected = set(SALESFORCE_FIELDS[sobject])
        for row in rows:
            assert set(row) == expected, sobject


def test_hubspot_records_shape_and_ids(world: World) -> None:
    for object_type, rows in world.hubspot.items():
        expected = set(HUBSPOT_PROPERTIES[object_type])
        ids = [row["id"] for row in rows]
        assert len(ids) == len(set(ids)), object_type
        for row in rows:
            assert set(row) == {"id", "properties", "createdAt", "updatedAt", "archived"}
            assert row["id"].isdigit()
            assert set(row["properties"]) <= expected, object_type
            assert row["properties"]["hs_object_id"] == row["id"]
            for value in row["properties"].values():
                assert value is None or isinstance(value, str), (object_type, value)


# -- referential integrity --------------------------------------------------------------------


def test_salesforce_references_resolve(world: World) -> None:
    users = ids_of(world, "User")
    accounts = ids_of(world, "Account")
    contacts = ids_of(world, "Contact")
    leads = ids_of(world, "Lead")
    opportunities = ids_of(world, "Opportunity")
    roles = ids_of(world, "UserRole")
    profiles = ids_of(world, "Profile")

    for user in world.salesforce["User"]:
        assert user["UserRoleId"] is None or user["UserRoleId"] in roles
        assert user["ProfileId"] in profiles
    for sobject in ("Account", "Lead", "Contact", "Opportunity", "Task", "Event"):
        for row in world.salesforce[sobject]:
            assert row["OwnerId"] in users, (sobject, row["Id"])
            assert row["CreatedById"] in users, (sobject, row["Id"])

    for lead in world.salesforce["Lead"]:
        for field, pool in (
            ("ConvertedAccountId", accounts),
            ("ConvertedContactId", contacts),
            ("ConvertedOpportunityId", opportunities),
        ):
            assert lead[field] is None or lead[field] in pool, (field, lead["Id"])
    for contact in world.salesforce["Contact"]:
        assert contact["AccountId"] in accounts

    for opportunity in world.salesforce["Opportunity"]:
        assert opportunity["AccountId"] in accounts
        assert opportunity["ContactId"] is None or opportunity["ContactId"] in contacts
    for role in world.salesforce["OpportunityContactRole"]:
        assert role["OpportunityId"] in opportunities
        assert role["ContactId"] in contacts
    for row in world.salesforce["LeadHistory"]:
        assert row["LeadId"] in leads
        assert row["CreatedById"] in users
    for row in world.salesforce["OpportunityFieldHistory"]:
        assert row["OpportunityId"] in opportunities

    for sobject in ("Task", "Event"):
        for row in world.salesforce[sobject]:
            assert row["WhoId"] is None or row["WhoId"] in leads | contacts
            assert row["WhatId"] is None or row["WhatId"] in opportunities | accounts
            assert row["AccountId"] is None or row["AccountId"] in accounts


def test_conversion_links_agree(world: World) -> None:
    contacts = {row["Id"]: row for row in world.salesforce["Contact"]}
    opportunities = {row["Id"]: row for row in world.salesforce["Opportunity"]}
    converted = [lead for lead in world.salesforce["Lead"] if lead["IsConverted"]]
    assert len(converted) > 200
    for lead in converted:
        assert lead["ConvertedDate"] is not None
        assert lead["ConvertedAccountId"] is not None
        contact = contacts[lead["ConvertedContactId"]]
        assert contact["AccountId"] == lead["ConvertedAccountId"]
        assert contact["Email"] == lead["Email"]
        if lead["ConvertedOpportunityId"]:
            opportunity = opportunities[lead["ConvertedOpportunityId"]]
            assert opportunity["AccountId"] == lead["ConvertedAccountId"]
        created_local = (parse_salesforce(lead["CreatedDate"]) + timedelta(hours=9)).date()
        assert date.fromisoformat(lead["ConvertedDate"]) >= created_local
    for lead in world.salesforce["Lead"]:
        if not lead["IsConverted"]:
            assert lead["ConvertedDate"] is None
            assert lead["ConvertedContactId"] is None


def test_hubspot_references_resolve(world: World) -> None:
    ids = {name: {row["id"] for row in rows} for name, rows in world.hubspot.items()}
    owners = {owner["id"] for owner in world.hubspot_owners}
    user_ids = {str(owner["userIdIncludingInactive"]) for owner in world.hubspot_owners}
    for association in world.hubspot_associations:
        assert association.from_id in ids[association.from_type], association
        assert association.to_id in ids[association.to_type], association
    for name, rows in world.hubspot.items():
        for row in rows:
            owner = row["properties"].get("hubspot_owner_id")
            assert owner is None or owner in owners, (name, row["id"])
            creator = row["properties"].get("hs_created_by_user_id")
            assert creator is None or creator in user_ids, (name, row["id"])
    for contact in world.hubspot["contacts"]:
        company = contact["properties"]["associatedcompanyid"]
        assert company is None or company in ids["companies"]


def test_every_deal_has_contact_and_engagements_link(world: World) -> None:
    deal_contacts = Counter(
        a.from_id
        for a in world.hubspot_associations
        if a.from_type == "deals" and a.to_type == "contacts"
    )
    assert set(deal_contacts) == {deal["id"] for deal in world.hubspot["deals"]}
    assert max(deal_contacts.values()) >= 2  # deals link to contacts many-to-many
    linked = {a.from_id for a in world.hubspot_associations if a.to_type == "contacts"}
    for name in ("calls", "meetings", "emails", "tasks"):
        for row in world.hubspot[name]:
            assert row["id"] in linked, (name, row["id"])


def test_owners_listed_as_api_does(world: World) -> None:
    for owner in world.hubspot_owners:
        assert set(owner) >= {
            "id",
            "email",
            "type",
            "firstName",
            "lastName",
            "userId",
            "createdAt",
            "updatedAt",
            "archived",
            "teams",
        }
        assert owner["type"] == "PERSON"
        assert owner["archived"] or isinstance(owner["userId"], int)
    teams = {team["name"] for owner in world.hubspot_owners for team in owner["teams"]}
    assert {"東日本営業部", "西日本営業部", "インサイドセールス部", "マーケティング部"} <= teams


# -- timestamps -------------------------------------------------------------------------------


def test_salesforce_timestamp_formats_and_order(world: World) -> None:
    for sobject, rows in world.salesforce.items():
        for row in rows:
            for field in DATETIME_FIELDS:
                value = row.get(field)
                assert value is None or SALESFORCE_DATETIME.match(value), (sobject, field, value)
            for field in DATE_FIELDS:
                value = row.get(field)
                assert value is None or SALESFORCE_DATE.match(value), (sobject, field, value)
            created = parse_salesforce(row["CreatedDate"]) if "CreatedDate" in row else None
            if created is not None:
                assert created <= AS_OF, (sobject, row["Id"])
            if "LastModifiedDate" in row:
                modified = parse_salesforce(row["LastModifiedDate"])
                assert created <= modified <= AS_OF, (sobject, row["Id"])
                assert parse_salesforce(row["SystemModstamp"]) >= modified, (sobject, row["Id"])


def test_hubspot_timestamp_formats_and_order(world: World) -> None:
    for name, rows in world.hubspot.items():
        for row in rows:
            created = parse_hubspot(row["createdAt"])
            updated = parse_hubspot(row["updatedAt"])
            assert created <= updated <= AS_OF, (name, row["id"])
            for key, value in row["properties"].items():
                if value and (
                    key.endswith("date") or key.endswith("_date") or key == "hs_timestamp"
                ):
                    assert HUBSPOT_DATETIME.match(value), (name, key, value)


def test_lifecycle_dates_in_order(world: World) -> None:
    stages = ("lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")
    for contact in world.hubspot["contacts"]:
        properties = contact["properties"]
        dates = [properties[f"hs_lifecyclestage_{stage}_date"] for stage in stages]
        reached = [parse_hubspot(value) for value in dates if value]
        assert reached == sorted(reached), contact["id"]
        assert dates[0] == properties["createdate"]


def test_history_spans_window(world: World) -> None:
    created = sorted(parse_salesforce(lead["CreatedDate"]) for lead in world.salesforce["Lead"])
    assert created[0] >= WINDOW_START
    assert created[0] < WINDOW_START + timedelta(days=31)
    assert created[-1] > AS_OF - timedelta(days=31)
    for row in world.salesforce["Account"]:
        assert parse_salesforce(row["CreatedDate"]) >= WINDOW_START
    months = {(value.year, value.month) for value in created}
    assert len(months) >= 24


def test_months_argument_sets_window() -> None:
    small = generate_world(300, seed=2, as_of=AS_OF, months=6)
    earliest = min(parse_salesforce(lead["CreatedDate"]) for lead in small.salesforce["Lead"])
    assert earliest >= datetime(2024, 9, 30, 15, 0, tzinfo=UTC)


def test_history_rows_follow_record_creation(world: World) -> None:
    leads = {lead["Id"]: lead for lead in world.salesforce["Lead"]}
    for row in world.salesforce["LeadHistory"]:
        assert parse_salesforce(row["CreatedDate"]) >= parse_salesforce(
            leads[row["LeadId"]]["CreatedDate"]
        )
        assert parse_salesforce(row["CreatedDate"]) <= AS_OF


# -- realism ----------------------------------------------------------------------------------

CHANNEL_FAMILIES = {
    "referral": {"紹介", "リファーラル", "Employee Referral"},
    "business card": {"名刺交換", "Sansan", "Eight"},
    "dormant": {"休眠掘り起こし"},
    "events": {"展示会", "セミナー", "Webinar"},
    "social": {"SNS", "LinkedIn", "X", "note"},
    "web and marketing": {"Web", "問い合わせフォーム", "資料請求", "Advertisement"},
    "outbound": {"Cold Call", "アウトバウンド"},
}


@pytest.mark.parametrize("family", sorted(CHANNEL_FAMILIES))
def test_channel_family_present(world: World, family: str) -> None:
    sources = Counter(lead["LeadSource"] for lead in world.salesforce["Lead"])
    found = sum(sources[value] for value in CHANNEL_FAMILIES[family])
    assert found >= 20, (family, sources)


def test_creators_include_integrations(world: World) -> None:
    names = {user["Id"]: user["LastName"] for user in world.salesforce["User"]}
    creators = Counter(names[lead["CreatedById"]] for lead in world.salesforce["Lead"])
    assert creators["Sansan連携"] > 50
    assert creators["Marketo連携"] > 200
    by_sansan = [
        lead for lead in world.salesforce["Lead"] if names[lead["CreatedById"]] == "Sansan連携"
    ]
    assert {lead["LeadSource"] for lead in by_sansan} <= {"Sansan", "sansan", "Ｓａｎｓａｎ"}
    card_contacts = [
        contact
        for contact in world.salesforce["Contact"]
        if names[contact["CreatedById"]] in ("Sansan連携", "Eight連携")
    ]
    assert len(card_contacts) > 50


def test_users_have_roles_and_teams(world: World) -> None:
    users = world.salesforce["User"]
    departments = Counter(user["Department"] for user in users)
    for team in ("東日本営業部", "西日本営業部", "インサイドセールス部", "マーケティング部"):
        assert departments[team] >= 2, team
    profiles = {row["Id"]: row["Name"] for row in world.salesforce["Profile"]}
    assert "システム管理者" in {profiles[user["ProfileId"]] for user in users}
    assert any(not user["IsActive"] for user in users)


def test_hubspot_sources_include_traps(world: World) -> None:
    contacts = [row["properties"] for row in world.hubspot["contacts"]]
    sources = Counter(row["hs_analytics_source"] for row in contacts)
    assert sources["REFERRALS"] > 20
    assert sources["OFFLINE"] > 200
    object_sources = Counter(row["hs_object_source"] for row in contacts)
    for value in ("CRM_UI", "FORM", "IMPORT", "INTEGRATION"):
        assert object_sources[value] > 20, value
    sansan = [row for row in contacts if row["hs_object_source_detail_1"] == "Sansan"]
    assert sansan and all(row["hs_created_by_user_id"] is None for row in sansan)
    by_hand = [row for row in contacts if row["hs_object_source"] == "CRM_UI"]
    assert all(row["hs_created_by_user_id"] for row in by_hand)


def test_opportunities_in_yen_with_outcomes(world: World) -> None:
    opportunities = world.salesforce["Opportunity"]
    assert all(row["CurrencyIsoCode"] == "JPY" for row in opportunities)
    amounts = [row["Amount"] for row in opportunities]
    assert min(amounts) >= 1_200_000
    assert max(amounts) <= 50_000_000
    won = [row for row in opportunities if row["IsWon"]]
    lost = [row for row in opportunities if row["IsClosed"] and not row["IsWon"]]
    open_ = [row for row in opportunities if not row["IsClosed"]]
    assert won
    assert lost
    assert open_
    reasons = Counter(row["Loss_Reason__c"] for row in lost)
    assert {"価格", "競合", "タイミング", "予算不足", "機能不足"} <= set(reasons)
    assert {row["Type"] for row in opportunities} >= {"New Business", "Existing Business"}
    assert any(row["NextStep"] for row in open_)
    deals = [row["properties"] for row in world.hubspot["deals"]]
    assert all(row["deal_currency_code"] == "JPY" for row in deals)
    assert {row["dealstage"] for row in deals} >= {"closedwon", "closedlost"}


def test_stage_history_ends_at_current_stage(world: World) -> None:
    last_change: dict[str, tuple[str, str]] = {}
    for row in world.salesforce["OpportunityFieldHistory"]:
        current = last_change.get(row["OpportunityId"])
        if current is None or row["CreatedDate"] >= current[0]:
            last_change[row["OpportunityId"]] = (row["CreatedDate"], row["NewValue"])
    stages = {row["Id"]: row["StageName"] for row in world.salesforce["Opportunity"]}
    for opportunity_id, (_when, stage) in last_change.items():
        assert stages[opportunity_id] == stage, opportunity_id


def test_owner_history_changes_owner(world: World) -> None:
    leads = {lead["Id"]: lead for lead in world.salesforce["Lead"]}
    id_rows = [
        row
        for row in world.salesforce["LeadHistory"]
        if row["Field"] == "Owner" and str(row["NewValue"]).startswith("005")
    ]
    name_rows = [
        row
        for row in world.salesforce["LeadHistory"]
        if row["Field"] == "Owner" and not str(row["NewValue"]).startswith("005")
    ]
    assert len(id_rows) > 50
    assert len(name_rows) == len(id_rows)  # Salesforce writes a name row and an id row
    last_owner: dict[str, tuple[str, str]] = {}
    for row in id_rows:
        current = last_owner.get(row["LeadId"])
        if current is None or row["CreatedDate"] >= current[0]:
            last_owner[row["LeadId"]] = (row["CreatedDate"], row["NewValue"])
    for lead_id, (_when, owner) in last_owner.items():
        assert leads[lead_id]["OwnerId"] == owner


def test_activities_with_and_without_durations(world: World) -> None:
    calls = [row for row in world.salesforce["Task"] if row["TaskSubtype"] == "Call"]
    assert any(row["CallDurationInSeconds"] for row in calls)
    assert any(row["CallDurationInSeconds"] is None for row in calls)
    assert {row["Type"] for row in world.salesforce["Task"]} >= {"Call", "Email", "手紙"}
    assert all(row["DurationInMinutes"] > 0 for row in world.salesforce["Event"])
    hubspot_calls = [row["properties"]["hs_call_duration"] for row in world.hubspot["calls"]]
    assert any(value is None for value in hubspot_calls)
    assert all(value is None or int(value) % 1000 == 0 for value in hubspot_calls)


def test_dormant_leads_follow_quiet_history(world: World) -> None:
    accounts = ids_of(world, "Account")
    closed: dict[str, datetime] = {}
    for row in world.salesforce["Opportunity"]:
        if row["IsClosed"]:
            closed.setdefault(row["AccountId"], parse_salesforce(row["LastModifiedDate"]))
    names = {row["Name"]: row["Id"] for row in world.salesforce["Account"]}
    dormant = [lead for lead in world.salesforce["Lead"] if lead["LeadSource"] == "休眠掘り起こし"]
    assert dormant
    revived = 0
    for lead in dormant:
        account_id = names.get(lead["Company"])
        if account_id in accounts and account_id in closed:
            revived += 1
            assert parse_salesforce(lead["CreatedDate"]) - closed[account_id] >= timedelta(days=180)
    assert revived >= len(dormant) // 2


def test_abm_accounts_touched_before_lead(world: World) -> None:
    targets = {row["Id"] for row in world.salesforce["Account"] if row["ABM_Target__c"]}
    assert targets
    letters = [
        row
        for row in world.salesforce["Task"]
        if row["Type"] == "手紙" and row["AccountId"] in targets and row["WhoId"] is None
    ]
    assert letters


# -- dirty data -------------------------------------------------------------------------------


def test_dirty_sources_present(world: World) -> None:
    sources = Counter(lead["LeadSource"] for lead in world.salesforce["Lead"])
    assert sources[None] > 50
    variants = [
        value
        for value in sources
        if value
        and (
            value != value.strip()
            or unicodedata.normalize("NFKC", value) != value
            or value in ("ご紹介", "sansan", "web", "Linkedin")
        )
    ]
    assert len(variants) >= 3


def test_deleted_records_present(world: World) -> None:
    assert any(lead["IsDeleted"] for lead in world.salesforce["Lead"])
    assert any(task["IsDeleted"] for task in world.salesforce["Task"])
    assert any(contact["archived"] for contact in world.hubspot["contacts"])


def test_opportunity_older_than_lead(world: World) -> None:
    opportunities = {row["Id"]: row for row in world.salesforce["Opportunity"]}
    older = [
        lead
        for lead in world.salesforce["Lead"]
        if lead["ConvertedOpportunityId"]
        and opportunities[lead["ConvertedOpportunityId"]]["CreatedDate"] < lead["CreatedDate"]
    ]
    assert older


def test_same_person_in_both_crms(world: World) -> None:
    salesforce = {
        normalize_email(lead["Email"]): lead["Email"] for lead in world.salesforce["Lead"]
    }
    matches = [
        row["properties"]["email"]
        for row in world.hubspot["contacts"]
        if normalize_email(row["properties"]["email"]) in salesforce
    ]
    assert len(matches) > 100
    differently_typed = [email for email in matches if email not in salesforce.values()]
    assert len(differently_typed) > 30


def test_merged_contacts_and_person_set_tags(world: World) -> None:
    contacts = [row["properties"] for row in world.hubspot["contacts"]]
    merged = [row["hs_merged_object_ids"] for row in contacts if row["hs_merged_object_ids"]]
    assert merged
    contact_ids = {row["id"] for row in world.hubspot["contacts"]}
    for value in merged:
        assert not set(value.split(";")) & contact_ids  # merged-away ids are gone
    assert any(lead["SGL_Channel__c"] for lead in world.salesforce["Lead"])
    assert any(row["sgl_channel"] for row in contacts)


def test_company_names_and_phones_vary(world: World) -> None:
    companies = [lead["Company"] for lead in world.salesforce["Lead"]]
    assert any(name.startswith("株式会社") for name in companies)
    assert any(name.endswith("株式会社") for name in companies)
    assert any(name.startswith(("(株)", "㈱")) for name in companies)
    phones = [lead["Phone"] for lead in world.salesforce["Lead"]]
    assert any(phone.startswith("+81") for phone in phones)
    assert any(unicodedata.normalize("NFKC", phone) != phone for phone in phones)


def test_company_domains_unique() -> None:
    domains = [company(index).domain for index in range(20_000)]
    assert len(set(domains)) == len(domains)


def test_field_history_tracked_from_day_90(world: World) -> None:
    tracked_from = WINDOW_START + timedelta(days=90)
    history = world.salesforce["LeadHistory"]
    assert min(parse_salesforce(row["CreatedDate"]) for row in history) >= tracked_from
    created_rows = {row["LeadId"] for row in history if row["Field"] == "created"}
    for lead in world.salesforce["Lead"]:
        created = parse_salesforce(lead["CreatedDate"])
        if created >= tracked_from:
            assert lead["Id"] in created_rows, lead["Id"]
        else:
            assert lead["Id"] not in created_rows, lead["Id"]


def test_owner_at_creation_differs_sometimes(world: World) -> None:
    leads = {lead["Id"]: lead for lead in world.salesforce["Lead"]}
    first_owner: dict[str, tuple[str, str]] = {}
    for row in world.salesforce["LeadHistory"]:
        if row["Field"] == "Owner" and str(row["OldValue"]).startswith("005"):
            known = first_owner.get(row["LeadId"])
            if known is None or row["CreatedDate"] < known[0]:
                first_owner[row["LeadId"]] = (row["CreatedDate"], row["OldValue"])
    changed = [
        lead_id
        for lead_id, (_when, owner) in first_owner.items()
        if owner != leads[lead_id]["OwnerId"]
    ]
    assert len(changed) > 50


def test_marketing_users_create_leads(world: World) -> None:
    departments = {user["Id"]: user["Department"] for user in world.salesforce["User"]}
    creators = Counter(departments[lead["CreatedById"]] for lead in world.salesforce["Lead"])
    assert creators["マーケティング部"] > 20
    assert creators["東日本営業部"] + creators["西日本営業部"] > 500


def test_contacts_created_after_their_account(world: World) -> None:
    accounts = {row["Id"]: row["CreatedDate"] for row in world.salesforce["Account"]}
    for contact in world.salesforce["Contact"]:
        assert contact["CreatedDate"] >= accounts[contact["AccountId"]], contact["Id"]
    companies = {row["id"]: row["createdAt"] for row in world.hubspot["companies"]}
    for contact in world.hubspot["contacts"]:
        company = contact["properties"]["associatedcompanyid"]
        if company is not None:
            assert contact["createdAt"] >= companies[company], contact["id"]


def test_activities_in_office_hours(world: World) -> None:
    tokyo_hours = Counter()
    for row in world.salesforce["Task"]:
        local = parse_salesforce(row["CreatedDate"]) + timedelta(hours=9)
        tokyo_hours[9 <= local.hour < 18 and local.weekday() < 5] += 1
    assert tokyo_hours[True] > 0.9 * sum(tokyo_hours.values())
    meetings = [
        parse_hubspot(row["properties"]["hs_timestamp"]) + timedelta(hours=9)
        for row in world.hubspot["meetings"]
    ]
    assert sum(9 <= local.hour < 18 for local in meetings) > 0.9 * len(meetings)
