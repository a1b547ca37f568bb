"""The selling organisation and its market: users, owners, companies and existing accounts.

Everything here is shared by all lead chunks, so it is generated once, before them, and kept
in memory. Its size grows with the number of leads but stays small (one tuple per company).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import NamedTuple

from sandbox.generate.clock import DAY, Clock
from sandbox.generate.ids import HubSpotIds, SalesforceIds
from sandbox.names import (
    COMPANY_STEMS,
    COMPANY_WORDS,
    FAMILY_NAMES,
    GIVEN_NAMES,
    LEGAL_FORMS,
    PLACES,
)

# The selling company's own mail domain. Every generated domain uses the `.example` top-level
# domain, reserved by RFC 2606, so no generated address belongs to a real company.
OWN_DOMAIN = "sgl-demo.example"

# (team, role kind, profile, share of staff, DeveloperName stem)
TEAMS: tuple[tuple[str, str, str, float, str], ...] = (
    ("東日本営業部", "sales", "営業ユーザー", 0.33, "East_Sales"),
    ("西日本営業部", "sales", "営業ユーザー", 0.24, "West_Sales"),
    ("パートナー営業部", "sales", "営業ユーザー", 0.06, "Partner_Sales"),
    ("インサイドセールス部", "inside_sales", "インサイドセールス", 0.23, "Inside_Sales"),
    ("マーケティング部", "marketing", "マーケティングユーザー", 0.14, "Marketing"),
)

# (last name, creator kind, username stem). Integration users are API-only users that the
# connected tools sign in as, so the records they create carry them as CreatedById.
INTEGRATION_USERS: tuple[tuple[str, str, str], ...] = (
    ("Sansan連携", "sansan", "sansan.integration"),
    ("Eight連携", "eight", "eight.integration"),
    ("Marketo連携", "marketo", "marketo.integration"),
    ("HubSpot連携", "hubspot", "hubspot.integration"),
)

PROFILES: tuple[str, ...] = (
    "システム管理者",
    "営業ユーザー",
    "インサイドセールス",
    "マーケティングユーザー",
    "API連携ユーザー",
)

# HubSpot's fixed industry values for each generated industry.
HUBSPOT_INDUSTRIES: dict[str, str] = {
    "製造": "MACHINERY",
    "IT・通信": "INFORMATION_TECHNOLOGY_AND_SERVICES",
    "金融": "FINANCIAL_SERVICES",
    "商社": "WHOLESALE",
    "建設・不動産": "CONSTRUCTION",
    "物流": "LOGISTICS_AND_SUPPLY_CHAIN",
    "食品・飲料": "FOOD_BEVERAGES",
    "サービス": "CONSUMER_SERVICES",
    "コンサルティング": "MANAGEMENT_CONSULTING",
    "人材": "STAFFING_AND_RECRUITING",
    "小売": "RETAIL",
    "エネルギー": "UTILITIES",
    "教育": "EDUCATION_MANAGEMENT",
    "広告・メディア": "MARKETING_AND_ADVERTISING",
    "医療・製薬": "PHARMACEUTICALS",
}

# (segment, weight, Salesforce Account.Type). Former customers and lost prospects get an early
# closed opportunity and then go quiet, so later re-contacts are dormant revivals.
ACCOUNT_SEGMENTS: tuple[tuple[str, float, str], ...] = (
    ("prospect", 0.55, "見込み客"),
    ("customer", 0.20, "既存顧客"),
    ("former_customer", 0.12, "過去顧客"),
    ("lost_prospect", 0.08, "見込み客"),
    ("partner", 0.05, "パートナー"),
)
ABM_SHARE = 0.06

_COMBINATIONS = len(COMPANY_STEMS) * len(COMPANY_WORDS)
_SPREAD = 7919  # a prime that does not divide the number of combinations


class Company(NamedTuple):
    """A company in the market, whether or not it is in a CRM yet."""

    index: int
    name: str
    domain: str
    industry: str
    employees: int
    place: int  # index into names.PLACES


def company(index: int) -> Company:
    """Return the company with this index; the same index always gives the same company.

    Names repeat after all stem and word combinations are used, as real company names do,
    but domains stay unique through a numeric suffix.
    """
    combination = (index * _SPREAD) % _COMBINATIONS
    repeat = index // _COMBINATIONS
    stem, stem_roman = COMPANY_STEMS[combination % len(COMPANY_STEMS)]
    word, word_roman, industry = COMPANY_WORDS[combination // len(COMPANY_STEMS)]
    mixed = (index * 2654435761) & 0xFFFFFFFF
    form_draw = (mixed % 1000) / 1000
    form, form_first = LEGAL_FORMS[-1][0], LEGAL_FORMS[-1][2]
    cumulative = 0.0
    for legal_form, weight, first in LEGAL_FORMS:
        cumulative += weight
        if form_draw < cumulative:
            form, form_first = legal_form, first
            break
    name = f"{form}{stem}{word}" if form_first else f"{stem}{word}{form}"
    domain = f"{stem_roman}-{word_roman}{repeat or ''}.example"
    employees = int(10 * 1.0007 ** ((mixed >> 10) % 10000))
    return Company(index, name, domain, industry, employees, (mixed >> 4) % len(PLACES))


@dataclass
class Person:
    """A member of the selling organisation with a Salesforce user and maybe a HubSpot owner."""

    kind: str  # creator kind: sales, inside_sales, marketing, admin, or an integration
    team: str
    user_id: str
    family: str
    given: str
    email: str
    hired_at: int
    left_at: int | None
    hubspot_owner_id: str | None = None
    hubspot_user_id: int | None = None

    def active_at(self, second: int) -> bool:
        return self.hired_at <= second and (self.left_at is None or second < self.left_at)


@dataclass
class Account:
    """An account that exists in Salesforce before the first generated lead."""

    id: str
    company: Company
    segment: str
    created_at: int
    owner: Person
    is_abm_target: bool
    quiet_since: int  # end of the account's early history; 0 when it has none
    hubspot_company_id: str | None = None


@dataclass
class Org:
    """The shared reference data and the records it produced."""

    clock: Clock
    people: list[Person]
    by_kind: dict[str, list[Person]]
    accounts: list[Account]
    by_segment: dict[str, list[Account]]
    abm_accounts: list[Account]
    new_companies_per_chunk: int
    salesforce: dict[str, list[dict]] = field(default_factory=dict)
    hubspot: dict[str, list[dict]] = field(default_factory=dict)
    hubspot_owners: list[dict] = field(default_factory=list)

    def pick(self, rng: random.Random, kind: str, second: int) -> Person:
        """Pick a random person of a kind who works here at ``second``."""
        pool = self.by_kind[kind]
        for _ in range(8):
            person = pool[int(rng.random() * len(pool))]
            if person.active_at(second):
                return person
        active = [person for person in pool if person.active_at(second)]
        return active[int(rng.random() * len(active))] if active else pool[0]


def staff_size(size: int) -> int:
    """Return the number of human users for a world of ``size`` leads: about one per 2,500."""
    return max(14, min(600, size // 2500))


def build_org(rng: random.Random, clock: Clock, size: int, chunk_leads: int) -> Org:
    """Generate users, roles, profiles, HubSpot owners, companies and existing accounts."""
    salesforce: dict[str, list[dict]] = {"UserRole": [], "Profile": [], "User": []}
    org_start = clock.start

    profile_ids = _add_profiles(salesforce, clock, org_start)
    people = _add_people(rng, clock, size, salesforce, profile_ids)
    by_kind: dict[str, list[Person]] = {}
    for person in people:
        by_kind.setdefault(person.kind, []).append(person)

    hubspot_owners = _hubspot_owners(clock, people)

    account_count = max(30, size // 25)
    new_per_chunk = max(20, chunk_leads // 8)
    org = Org(
        clock=clock,
        people=people,
        by_kind=by_kind,
        accounts=[],
        by_segment={},
        abm_accounts=[],
        new_companies_per_chunk=new_per_chunk,
        salesforce=salesforce,
        hubspot={"companies": []},
        hubspot_owners=hubspot_owners,
    )
    _add_accounts(rng, org, account_count)
    return org


def _add_profiles(salesforce: dict[str, list[dict]], clock: Clock, at: int) -> dict[str, str]:
    ids = SalesforceIds("Profile", 0)
    profile_ids = {}
    for name in PROFILES:
        profile_id = ids.next()
        profile_ids[name] = profile_id
        salesforce["Profile"].append(
            {"Id": profile_id, "Name": name, "SystemModstamp": clock.salesforce(at)}
        )
    return profile_ids


def _add_role(
    salesforce: dict[str, list[dict]],
    ids: SalesforceIds,
    clock: Clock,
    name: str,
    developer_name: str,
    at: int,
) -> str:
    role_id = ids.next()
    salesforce["UserRole"].append(
        {
            "Id": role_id,
            "Name": name,
            "DeveloperName": developer_name,
            "SystemModstamp": clock.salesforce(at),
        }
    )
    return role_id


def _add_people(
    rng: random.Random,
    clock: Clock,
    size: int,
    salesforce: dict[str, list[dict]],
    profile_ids: dict[str, str],
) -> list[Person]:
    role_ids = SalesforceIds("UserRole", 0)
    user_ids = SalesforceIds("User", 0)
    span = clock.end - clock.start
    people: list[Person] = []
    used_emails: set[str] = set()

    def add_user(
        person: Person, role_id: str | None, profile: str, title: str, department: str | None
    ) -> None:
        people.append(person)
        last_change = person.left_at or person.hired_at
        salesforce["User"].append(
            {
                "Id": person.user_id,
                "Username": person.email,
                "Name": _full_name(person),
                "FirstName": person.given or None,
                "LastName": person.family,
                "Email": person.email,
                "IsActive": person.left_at is None,
                "UserRoleId": role_id,
                "ProfileId": profile_ids[profile],
                "Department": department,
                "Title": title,
                "UserType": "Standard",
                "CreatedDate": clock.salesforce(person.hired_at),
                "LastModifiedDate": clock.salesforce(last_change),
                "SystemModstamp": clock.salesforce(last_change),
            }
        )

    admin_role = _add_role(
        salesforce, role_ids, clock, "経営企画部", "Corporate_Planning", clock.start
    )
    admin = Person(
        "admin",
        "経営企画部",
        user_ids.next(),
        "管理者",
        "システム",
        f"sfadmin@{OWN_DOMAIN}",
        clock.start,
        None,
    )
    add_user(admin, admin_role, "システム管理者", "システム管理者", "経営企画部")
    for last_name, kind, username in INTEGRATION_USERS:
        person = Person(
            kind, "", user_ids.next(), last_name, "", f"{username}@{OWN_DOMAIN}", clock.start, None
        )
        add_user(person, None, "API連携ユーザー", "Integration", None)

    staff = staff_size(size)
    for team, kind, profile, share, developer_stem in TEAMS:
        manager_role = _add_role(
            salesforce, role_ids, clock, f"{team} 部長", f"{developer_stem}_Manager", clock.start
        )
        member_role = _add_role(
            salesforce, role_ids, clock, f"{team} メンバー", f"{developer_stem}_Member", clock.start
        )
        headcount = max(2, round(staff * share))
        for member in range(headcount):
            family, family_roman = FAMILY_NAMES[int(rng.random() * len(FAMILY_NAMES))]
            given, given_roman = GIVEN_NAMES[int(rng.random() * len(GIVEN_NAMES))]
            email = f"{given_roman}.{family_roman}@{OWN_DOMAIN}"
            serial = 2
            while email in used_emails:
                email = f"{given_roman}.{family_roman}{serial}@{OWN_DOMAIN}"
                serial += 1
            used_emails.add(email)
            # Most staff are there from the start. Some join later and some leave, so the
            # owner at a lead's creation can differ from its owner today.
            hired_at = clock.start + int(rng.random() * 20 * DAY)
            if member > 0 and rng.random() < 0.12:
                hired_at = clock.start + int(rng.random() * span * 0.6)
            left_at = None
            if member > 0 and rng.random() < 0.08:
                left_at = hired_at + int((clock.end - hired_at) * (0.3 + 0.6 * rng.random()))
            is_manager = member == 0
            person = Person(kind, team, user_ids.next(), family, given, email, hired_at, left_at)
            title = "部長" if is_manager else _member_title(kind, rng)
            add_user(person, manager_role if is_manager else member_role, profile, title, team)
    return people


def _member_title(kind: str, rng: random.Random) -> str:
    titles = {
        "sales": ("営業担当", "主任", "課長", "Account Executive"),
        "inside_sales": ("インサイドセールス担当", "SDR", "BDR"),
        "marketing": ("マーケティング担当", "主任"),
    }[kind]
    return titles[int(rng.random() * len(titles))]


def _full_name(person: Person) -> str:
    # Salesforce shows Japanese names family name first.
    return f"{person.family} {person.given}" if person.given else person.family


def _hubspot_owners(clock: Clock, people: list[Person]) -> list[dict]:
    owner_ids = HubSpotIds("owners", 0)
    user_ids = HubSpotIds("users", 0)
    team_ids = {team: str(100 + number) for number, (team, *_rest) in enumerate(TEAMS)}
    owners = []
    for person in people:
        if person.kind not in ("sales", "inside_sales", "marketing", "admin"):
            continue
        person.hubspot_owner_id = owner_ids.next()
        person.hubspot_user_id = int(user_ids.next())
        changed = person.left_at or person.hired_at
        teams = []
        if person.team in team_ids:
            teams = [{"id": team_ids[person.team], "name": person.team, "primary": True}]
        owners.append(
            {
                "id": person.hubspot_owner_id,
                "email": person.email,
                "type": "PERSON",
                "firstName": person.given,
                "lastName": person.family,
                "userId": None if person.left_at else person.hubspot_user_id,
                "userIdIncludingInactive": person.hubspot_user_id,
                "createdAt": clock.hubspot(person.hired_at),
                "updatedAt": clock.hubspot(changed),
                "archived": person.left_at is not None,
                "teams": teams,
            }
        )
    return owners


def _add_accounts(rng: random.Random, org: Org, account_count: int) -> None:
    clock = org.clock
    account_ids = SalesforceIds("Account", 0)
    company_ids = HubSpotIds("companies", 0)
    opportunity_ids = SalesforceIds("Opportunity", 0)
    history_ids = SalesforceIds("OpportunityFieldHistory", 0)
    task_ids = SalesforceIds("Task", 0)
    for name in ("Account", "Opportunity", "OpportunityFieldHistory", "Task"):
        org.salesforce[name] = []
    segment_weights = [weight for _segment, weight, _type in ACCOUNT_SEGMENTS]
    sales = [person for person in org.by_kind["sales"] if person.left_at is None]

    for index in range(account_count):
        segment, _weight, account_type = rng.choices(ACCOUNT_SEGMENTS, segment_weights)[0]
        owner = sales[int(rng.random() * len(sales))]
        created_at = clock.start + int(rng.random() * 45 * DAY)
        is_abm = segment in ("prospect", "customer") and rng.random() < ABM_SHARE / 0.75
        account = Account(account_ids.next(), company(index), segment, created_at, owner, is_abm, 0)
        modified_at = created_at + int(rng.random() * (clock.end - created_at))
        if segment in ("customer", "former_customer", "lost_prospect"):
            closed_at = _add_early_deal(rng, org, account, opportunity_ids, history_ids, task_ids)
            account.quiet_since = closed_at
            modified_at = max(modified_at, closed_at)
        org.accounts.append(account)
        org.by_segment.setdefault(segment, []).append(account)
        if is_abm:
            org.abm_accounts.append(account)
        org.salesforce["Account"].append(_account_record(clock, account, account_type, modified_at))
        # About two thirds of the accounts are also companies in the HubSpot portal.
        if index % 3 != 2:
            account.hubspot_company_id = company_ids.next()
            org.hubspot["companies"].append(_hubspot_company(clock, account, segment, modified_at))


def _account_record(clock: Clock, account: Account, account_type: str, modified_at: int) -> dict:
    place = PLACES[account.company.place]
    country = "日本"
    return {
        "Id": account.id,
        "Name": account.company.name,
        "Website": f"https://www.{account.company.domain}/",
        "Industry": account.company.industry,
        "Type": account_type,
        "NumberOfEmployees": account.company.employees,
        "AnnualRevenue": account.company.employees * 25_000_000,
        "BillingCity": place[1],
        "BillingState": place[0],
        "BillingCountry": country,
        "BillingAddress": {
            "city": place[1],
            "country": country,
            "geocodeAccuracy": None,
            "latitude": None,
            "longitude": None,
            "postalCode": f"{place[2]}-0001",
            "state": place[0],
            "street": place[3],
        },
        "OwnerId": account.owner.user_id,
        "CreatedById": account.owner.user_id,
        "CreatedDate": clock.salesforce(account.created_at),
        "LastModifiedDate": clock.salesforce(modified_at),
        "SystemModstamp": clock.salesforce(modified_at),
        # NOTE: left empty because chunks add activities after accounts are written, and a
        # streamed world cannot go back to update an account.
        "LastActivityDate": None,
        "IsDeleted": False,
        "ABM_Target__c": account.is_abm_target,
    }


def _hubspot_company(clock: Clock, account: Account, segment: str, modified_at: int) -> dict:
    lifecycle = {"customer": "customer", "former_customer": "other", "partner": "other"}.get(
        segment, "lead"
    )
    created = clock.hubspot(account.created_at)
    modified = clock.hubspot(modified_at)
    return {
        "id": account.hubspot_company_id,
        "properties": {
            "name": account.company.name,
            "domain": account.company.domain,
            "industry": HUBSPOT_INDUSTRIES[account.company.industry],
            "lifecyclestage": lifecycle,
            "numberofemployees": str(account.company.employees),
            "hs_is_target_account": "true" if account.is_abm_target else "false",
            "hubspot_owner_id": account.owner.hubspot_owner_id,
            "hs_created_by_user_id": str(account.owner.hubspot_user_id),
            "createdate": created,
            "hs_lastmodifieddate": modified,
            "hs_object_id": account.hubspot_company_id,
        },
        "createdAt": created,
        "updatedAt": modified,
        "archived": False,
    }


def _add_early_deal(
    rng: random.Random,
    org: Org,
    account: Account,
    opportunity_ids: SalesforceIds,
    history_ids: SalesforceIds,
    task_ids: SalesforceIds,
) -> int:
    """Add the first months' opportunity of an account with history; return its close time."""
    clock = org.clock
    created_at = account.created_at + int(rng.random() * 30 * DAY)
    closed_at = created_at + int((30 + rng.random() * 90) * DAY)
    won = account.segment != "lost_prospect"
    stage = "受注" if won else "失注"
    opportunity_id = opportunity_ids.next()
    owner = account.owner.user_id
    amount = int(2_000_000 + rng.random() * 20_000_000) // 100_000 * 100_000
    org.salesforce["Opportunity"].append(
        {
            "Id": opportunity_id,
            "Name": f"{account.company.name} 初回導入",
            "AccountId": account.id,
            "ContactId": None,
            "Type": "New Business",
            "StageName": stage,
            "IsClosed": True,
            "IsWon": won,
            "CloseDate": clock.tokyo_date(closed_at),
            "Amount": amount,
            "CurrencyIsoCode": "JPY",
            "Probability": 100 if won else 0,
            "LeadSource": None,
            "NextStep": None,
            "Loss_Reason__c": None if won else "タイミング",
            "OwnerId": owner,
            "CreatedById": owner,
            "CreatedDate": clock.salesforce(created_at),
            "LastModifiedDate": clock.salesforce(closed_at),
            "SystemModstamp": clock.salesforce(closed_at),
            "IsDeleted": False,
            "SGL_Origin__c": None,
            "SGL_Channel__c": None,
            "SGL_Rule__c": None,
            "SGL_Decided_At__c": None,
        }
    )
    org.salesforce["OpportunityFieldHistory"].append(
        {
            "Id": history_ids.next(),
            "OpportunityId": opportunity_id,
            "Field": "StageName",
            "OldValue": "提案",
            "NewValue": stage,
            "CreatedById": owner,
            "CreatedDate": clock.salesforce(closed_at),
            "IsDeleted": False,
        }
    )
    visit_at = created_at + int(rng.random() * (closed_at - created_at))
    org.salesforce["Task"].append(
        {
            "Id": task_ids.next(),
            "Subject": "電話: フォロー",
            "WhoId": None,
            "WhatId": opportunity_id,
            "AccountId": account.id,
            "OwnerId": owner,
            "CreatedById": owner,
            "ActivityDate": clock.tokyo_date(visit_at),
            "Status": "Completed",
            "Type": "Call",
            "TaskSubtype": "Call",
            "CallType": "Outbound",
            "CallDurationInSeconds": 300 + int(rng.random() * 900),
            "CreatedDate": clock.salesforce(visit_at),
            "LastModifiedDate": clock.salesforce(visit_at),
            "SystemModstamp": clock.salesforce(visit_at),
            "IsDeleted": False,
        }
    )
    return closed_at
