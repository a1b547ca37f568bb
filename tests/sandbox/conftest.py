"""Fixtures for the sandbox tests: a small hand-built world and a running sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from simple_salesforce import Salesforce

from sandbox import Sandbox
from sandbox.faults import FaultPlan
from sandbox.world import World

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
AS_OF = datetime(2025, 6, 30, 15, 0, tzinfo=UTC)
LEAD_COUNT = 45


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def sf_id(prefix: str, number: int) -> str:
    return f"{prefix}{number:012d}AAA"


def build_world(lead_count: int = LEAD_COUNT) -> World:
    """A small org: 2 roles, 2 profiles, 3 users, 3 accounts, leads, one converted lead."""
    base = datetime(2025, 1, 1, tzinfo=UTC)
    roles = [{"Id": sf_id("00E", n), "Name": name, "DeveloperName": name.replace(" ", "_"),
              "SystemModstamp": stamp(base)} for n, name in enumerate(["Sales Rep", "Marketing"])]
    profiles = [{"Id": sf_id("00e", n), "Name": name, "SystemModstamp": stamp(base)}
                for n, name in enumerate(["Sales User", "Integration"])]
    users = []
    for n, (first, last, role, profile) in enumerate([
        ("Aiko", "Sato", 0, 0), ("Ben", "Ito", 1, 0), ("Sync", "Bot", None, 1),
    ]):
        users.append({
            "Id": sf_id("005", n), "Username": f"user{n}@example.com", "Name": f"{first} {last}",
            "FirstName": first, "LastName": last, "Email": f"user{n}@example.com",
            "IsActive": True, "UserRoleId": roles[role]["Id"] if role is not None else None,
            "ProfileId": profiles[profile]["Id"], "Department": "Sales", "Title": "Rep",
            "UserType": "Standard", "CreatedDate": stamp(base), "LastModifiedDate": stamp(base),
            "SystemModstamp": stamp(base),
        })
    accounts = [{
        "Id": sf_id("001", n), "Name": f"Account {n}", "Website": f"acct{n}.example.com",
        "Industry": "Technology", "Type": "Prospect", "NumberOfEmployees": 10 * (n + 1),
        "AnnualRevenue": 1_000_000.0 * (n + 1), "BillingCity": "Tokyo", "BillingState": None,
        "BillingCountry": "Japan",
        "BillingAddress": {"city": "Tokyo", "state": None, "country": "Japan"},
        "OwnerId": users[0]["Id"], "CreatedById": users[0]["Id"], "CreatedDate": stamp(base),
        "LastModifiedDate": stamp(base), "SystemModstamp": stamp(base),
        "LastActivityDate": "2025-02-01", "IsDeleted": False, "ABM_Target__c": n == 0,
    } for n in range(3)]
    leads = []
    for n in range(lead_count):
        created = base + timedelta(days=n, hours=n % 7)
        leads.append({
            "Id": sf_id("00Q", n), "FirstName": f"First{n}", "LastName": f"Last{n}",
            "Name": f"First{n} Last{n}", "Company": f"Company {n % 5}",
            "Email": f"lead{n}@example.com" if n % 9 else None, "Phone": "+81 3 0000 0000",
            "Title": "Manager", "Industry": "Technology",
            "LeadSource": ["Web", "Referral", "Trade Show", None][n % 4],
            "Lead_Source_Detail__c": None, "Status": "Open" if n % 3 else "Working",
            "City": "Osaka", "State": None, "Country": "Japan", "PostalCode": "530-0001",
            "Street": "1-1", "Address": {"street": "1-1", "city": "Osaka", "state": None,
                                         "postalCode": "530-0001", "country": "Japan"},
            "OwnerId": users[n % 2]["Id"], "CreatedById": users[n % 3]["Id"],
            "CreatedDate": stamp(created), "LastModifiedDate": stamp(created),
            "SystemModstamp": stamp(created + timedelta(minutes=n)),
            "IsDeleted": n == 4, "IsConverted": n == 2,
            "ConvertedDate": "2025-01-10" if n == 2 else None,
            "ConvertedAccountId": accounts[1]["Id"] if n == 2 else None,
            "ConvertedContactId": sf_id("003", 0) if n == 2 else None,
            "ConvertedOpportunityId": sf_id("006", 0) if n == 2 else None,
            "SGL_Origin__c": None, "SGL_Channel__c": None, "SGL_Rule__c": None,
            "SGL_Decided_At__c": None,
        })
    contacts = [{
        "Id": sf_id("003", 0), "AccountId": accounts[1]["Id"], "FirstName": "First2",
        "LastName": "Last2", "Name": "First2 Last2", "Email": "lead2@example.com",
        "Phone": None, "Title": "Manager", "Department": None, "LeadSource": "Trade Show",
        "Lead_Source_Detail__c": None, "MailingCity": "Osaka",
        "MailingAddress": {"city": "Osaka"}, "OwnerId": users[0]["Id"],
        "CreatedById": users[0]["Id"], "CreatedDate": stamp(base + timedelta(days=9)),
        "LastModifiedDate": stamp(base + timedelta(days=9)),
        "SystemModstamp": stamp(base + timedelta(days=9)), "IsDeleted": False,
        "SGL_Origin__c": None, "SGL_Channel__c": None, "SGL_Rule__c": None,
        "SGL_Decided_At__c": None,
    }]
    opportunities = [{
        "Id": sf_id("006", 0), "Name": "Deal 0", "AccountId": accounts[1]["Id"],
        "ContactId": contacts[0]["Id"], "Type": "New Business", "StageName": "Closed Won",
        "IsClosed": True, "IsWon": True, "CloseDate": "2025-03-01", "Amount": 1200000.0,
        "CurrencyIsoCode": "JPY", "Probability": 100.0, "LeadSource": "Trade Show",
        "NextStep": None, "Loss_Reason__c": None, "OwnerId": users[0]["Id"],
        "CreatedById": users[0]["Id"], "CreatedDate": stamp(base + timedelta(days=9)),
        "LastModifiedDate": stamp(base + timedelta(days=60)),
        "SystemModstamp": stamp(base + timedelta(days=60)), "IsDeleted": False,
        "SGL_Origin__c": None, "SGL_Channel__c": None, "SGL_Rule__c": None,
        "SGL_Decided_At__c": None,
    }]
    history = [{
        "Id": sf_id("017", 0), "LeadId": leads[1]["Id"], "Field": "Status", "OldValue": "Open",
        "NewValue": "Working", "CreatedById": users[0]["Id"],
        "CreatedDate": stamp(base + timedelta(days=3)), "IsDeleted": False,
    }]
    return World(as_of=AS_OF, salesforce={
        "UserRole": roles, "Profile": profiles, "User": users, "Account": accounts,
        "Lead": leads, "Contact": contacts, "Opportunity": opportunities,
        "LeadHistory": history,
    })


def client_session(sandbox: Sandbox) -> requests.Session:
    """A requests session that trusts only the sandbox's CA.

    ``trust_env`` is off because requests lets REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE replace
    ``session.verify`` (see test_sandbox_tls.py); it also keeps proxy variables away from
    127.0.0.1.
    """
    session = requests.Session()
    session.trust_env = False
    session.verify = str(sandbox.ca_file)
    return session


def simple_salesforce(sandbox: Sandbox, version: str = "59.0") -> Salesforce:
    """An unmodified simple-salesforce client on a fresh sandbox access token."""
    return Salesforce(instance_url=sandbox.url, session_id=sandbox.salesforce_token(),
                      session=client_session(sandbox), version=version)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A running sandbox with the small world and no faults."""
    with Sandbox(build_world(), mount_hubspot=False) as running:
        yield running


@pytest.fixture
def sf(sandbox: Sandbox) -> Salesforce:
    return simple_salesforce(sandbox)


@pytest.fixture
def faulty_sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A sandbox with the fault plan given by indirect parametrization."""
    plan: FaultPlan = request.param
    with Sandbox(build_world(), faults=plan, mount_hubspot=False) as running:
        yield running


@pytest.fixture
def shared_restforce() -> Path:
    """Recorded real Salesforce responses; skip when the shared folder is not beside the repo."""
    path = SHARED / "data" / "real" / "restforce_salesforce"
    if not path.is_dir():
        pytest.skip(f"recorded Salesforce responses not found at {path}: they exist only in "
                    "the development workspace")
    return path
