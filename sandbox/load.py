"""Read and write worlds as folders of JSON Lines, and load real public CRM exports into worlds.

Saved world layout (``save_world`` / ``load_world``)::

    manifest.json                  {"format": 1, "as_of": "...Z", "counts": {...}}
    salesforce/<SObject>.jsonl     one record per line, as the REST API returns it
    hubspot/<object>.jsonl         one record per line, as the CRM v3 objects API returns it
    hubspot/owners.jsonl
    hubspot/associations.jsonl     {"from_type", "from_id", "to_type", "to_id", "label"}

Every ``.jsonl`` file may instead be ``.jsonl.gz``. ``save_world`` accepts one world or the
parts of ``sandbox.generate.iter_world``, so a million-lead world is written part by part.

Real datasets
=============

The loaders read public CSV exports from the folder they are given and never copy them. Each
row becomes exactly one record of the mapped object, and dirty values are kept as they are
(only the placeholder "Select" of X Education and empty cells become null). Ids are
generated in file order, so the same file always gives the same ids.

``load_zoho_crm(folder)``: ``Leads.csv`` and ``Potentials.csv`` of a Zoho CRM demo org.

==========================  ==============================  ==================================
Zoho column                 Salesforce field                why / how
==========================  ==============================  ==================================
Leads: LEADID               (join key only)                 Potentials.LEADID links to it
Leads: Last Name            Lead.LastName, Name             the export has no first name
Leads: Company              Lead.Company                    as typed
Leads: Lead Owner           Lead.OwnerId, CreatedById       one User per distinct owner name;
                                                            the export has no creator column
Leads: Email / Mobile       Lead.Email / Phone
Leads: Industry             Lead.Industry, and the
                            converted lead's Account
Leads: Website              Account.Website                 of converted leads only, because the
                                                            world's Lead has no Website field
Leads: Lead Source          Lead.LeadSource                 as is (Employee Referral, ...)
Leads: Lead Status          Lead.Status                     as is
Leads: Created Time         Lead.CreatedDate,               ``15 Apr, 2021 00:03:00`` read as
                            LastModifiedDate                UTC (no zone in the export)
Leads: CONVERTED            Lead.IsConverted                Yes -> true
(converted leads)           Contact, Account                one Contact per converted lead and
                                                            one Account per distinct Company,
                                                            because conversion creates both
Potentials: LEADID          Lead.ConvertedOpportunityId,    the lead's potential; the potential's
                            ConvertedDate                   Created Time date is the conversion
                                                            date. Converted leads without a
                                                            potential get a null ConvertedDate:
                                                            the export does not record it
Potentials: Potential Name  Opportunity.Name
Potentials: Potential Owner Opportunity.OwnerId             same User table as lead owners
Potentials: Created Time    Opportunity.CreatedDate         UTC, as above; some precede the lead
Potentials: Closing Date    Opportunity.CloseDate           date part
Potentials: Amount          Opportunity.Amount              ``$22,700.00`` -> 22700.0, USD
Potentials: Stage           StageName, IsClosed, IsWon      Closed Won / Closed Lost close it
Potentials: Type            Opportunity.Type                New / Existing Business
Potentials: Lead Source     Opportunity.LeadSource          as is, may differ from the lead's
Potentials: Probability     Opportunity.Probability
==========================  ==============================  ==================================

Dropped because the world has no field for them: Leads month_Created Time1 and Potentials
Expected Revenue, Forecast Type, the age and amount tiers, the activity flags and
Campaign Id. ``as_of`` defaults to the latest Created Time in either file.

``load_maven_crm(folder)``: Maven Analytics ``accounts.csv``, ``sales_teams.csv`` and
``sales_pipeline.csv``. The data has no leads and no lead sources.

==========================  ==============================  ==================================
Maven column                Salesforce field                why / how
==========================  ==============================  ==================================
sales_teams: sales_agent    User (one per row)              Title "Sales Agent"
sales_teams: manager        User (one per distinct name)    Title "Sales Manager"; the agent's
                                                            UserRole is the manager's team
                                                            ("Dustin Brinkmann's team"), whose
                                                            manager has "<office> Manager"
sales_teams: regional_office User.Department                Central / East / West
accounts: account           Account.Name
accounts: sector            Account.Industry                as is, including "technolgy"
accounts: revenue           Account.AnnualRevenue           millions of USD x 1,000,000
accounts: employees         Account.NumberOfEmployees
accounts: office_location   Account.BillingCountry
pipeline: opportunity_id    Opportunity.Name prefix         Name is "<id> <product>"
pipeline: sales_agent       Opportunity.OwnerId, CreatedById
pipeline: product           Opportunity.Name                no product field in the world
pipeline: account           Opportunity.AccountId           null where blank
pipeline: deal_stage        StageName, IsClosed, IsWon      Won / Lost close it
pipeline: engage_date       Opportunity.CreatedDate         midnight UTC; Prospecting deals have
                                                            none and get ``as_of``
pipeline: close_date        Opportunity.CloseDate
pipeline: close_value       Opportunity.Amount              USD; null where blank
==========================  ==============================  ==================================

Each account's owner is the agent with the most opportunities on it (the export has no
account owner), and its CreatedDate is its earliest opportunity's. Dropped: year_established,
subsidiary_of and products.csv. ``as_of`` defaults to the day after the latest date in the
pipeline.

``load_x_education_leads(folder)``: X Education ``Leads.csv``, into HubSpot contacts.

==============================  ===============================  ==============================
X Education column              HubSpot contact property         why / how
==============================  ===============================  ==============================
Lead Number                     id, hs_object_id                 a numeric CRM sequence, unique
Lead Source                     hs_analytics_source              by the table ``X_EDUCATION_
                                                                 SOURCES``: "Reference" is a
                                                                 person (OFFLINE) while
                                                                 "Referral Sites" and
                                                                 "Welingak Website" are
                                                                 referring websites (REFERRALS)
Lead Source                     hs_analytics_source_data_1,      the raw value, case kept
                                lead_source
Lead Origin                     hs_object_source                 Landing Page Submission and
                                                                 Lead Add Form -> FORM, API ->
                                                                 API, Lead Import -> IMPORT,
                                                                 Quick Add Form -> CRM_UI
Lead Origin                     hs_object_source_detail_1        the raw value
Converted                       lifecyclestage                   1 -> customer, else lead
==============================  ===============================  ==============================

The file has no dates, names, emails or owners. Instead of dates, each contact's createdate is
synthetic: contacts are spread evenly over the ``months`` (default 12) before ``as_of``
(default 2025-01-01T00:00:00Z) in Lead Number order, since Lead Number grows with time in the
source CRM. Converted contacts enter ``customer`` at that same instant, because the file has
no conversion date. All other columns (scores, activity, country, tags...) are dropped.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from sandbox.generate.clock import months_before
from sandbox.generate.ids import SalesforceIds
from sandbox.world import HUBSPOT_PROPERTIES, SALESFORCE_FIELDS, Association, World

FORMAT_VERSION = 1
OWNERS_FILE = "owners"
ASSOCIATIONS_FILE = "associations"
DATA_DOMAIN = "crm-import.example"  # for the usernames of users made from owner names


# -- saved worlds -----------------------------------------------------------------------------


def save_world(world: World | Iterable[World], path: str | Path, *, compress: bool = False) -> None:
    """Write a world, or the parts of one, as a folder of JSON Lines files.

    Existing ``.jsonl`` and ``.jsonl.gz`` files in the folder's ``salesforce`` and ``hubspot``
    subfolders are removed first, so a folder never mixes two worlds.
    """
    folder = Path(path)
    parts = [world] if isinstance(world, World) else world
    for sub in ("salesforce", "hubspot"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
        for stale in (folder / sub).glob("*.jsonl*"):
            stale.unlink()

    suffix = ".jsonl.gz" if compress else ".jsonl"
    handles: dict[Path, IO[str]] = {}
    counts: Counter[str] = Counter()
    as_of: datetime | None = None

    def write(file: Path, rows: Iterable[dict]) -> int:
        handle = handles.get(file)
        if handle is None:
            handle = _open_text(file, "w")
            handles[file] = handle
        written = 0
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
            handle.write("\n")
            written += 1
        return written

    try:
        for part in parts:
            as_of = as_of or part.as_of
            for name, rows in part.salesforce.items():
                counts[f"salesforce.{name}"] += write(
                    folder / "salesforce" / f"{name}{suffix}", rows
                )
            for name, rows in part.hubspot.items():
                counts[f"hubspot.{name}"] += write(folder / "hubspot" / f"{name}{suffix}", rows)
            counts[f"hubspot.{OWNERS_FILE}"] += write(
                folder / "hubspot" / f"{OWNERS_FILE}{suffix}", part.hubspot_owners
            )
            counts[f"hubspot.{ASSOCIATIONS_FILE}"] += write(
                folder / "hubspot" / f"{ASSOCIATIONS_FILE}{suffix}",
                (_association_row(association) for association in part.hubspot_associations),
            )
    finally:
        for handle in handles.values():
            handle.close()

    if as_of is None:
        raise ValueError("no world to save: the iterable of parts was empty")
    manifest = {"format": FORMAT_VERSION, "as_of": _iso_utc(as_of), "counts": dict(counts)}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def load_world(path: str | Path) -> World:
    """Read a world written by ``save_world``."""
    folder = Path(path)
    manifest_file = folder / "manifest.json"
    if not manifest_file.is_file():
        raise FileNotFoundError(f"{manifest_file} not found: pass a folder written by save_world")
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT_VERSION:
        raise ValueError(
            f"unsupported world format {manifest.get('format')!r} in {manifest_file}; "
            f"expected {FORMAT_VERSION}"
        )
    as_of = datetime.fromisoformat(manifest["as_of"].replace("Z", "+00:00")).astimezone(UTC)
    world = World(as_of=as_of)

    for file in sorted((folder / "salesforce").glob("*.jsonl*")):
        world.salesforce[_object_name(file)] = list(_read_lines(file))
    for file in sorted((folder / "hubspot").glob("*.jsonl*")):
        name = _object_name(file)
        if name == OWNERS_FILE:
            world.hubspot_owners = list(_read_lines(file))
        elif name == ASSOCIATIONS_FILE:
            world.hubspot_associations = [Association(**row) for row in _read_lines(file)]
        else:
            world.hubspot[name] = list(_read_lines(file))
    return world


def iter_saved_records(path: str | Path, crm: str, name: str) -> Iterator[dict]:
    """Yield the records of one object of a saved world, one at a time.

    ``crm`` is ``"salesforce"`` or ``"hubspot"``, and ``name`` an object name such as
    ``"Lead"``, ``"contacts"``, ``"owners"`` or ``"associations"``. This reads a large world
    into a disk-backed store without holding it in memory.
    """
    folder = Path(path) / crm
    for suffix in (".jsonl", ".jsonl.gz"):
        file = folder / f"{name}{suffix}"
        if file.is_file():
            yield from _read_lines(file)
            return
    raise FileNotFoundError(f"{folder / name}.jsonl not found: no {crm} {name} records saved")


def _association_row(association: Association) -> dict:
    return {
        "from_type": association.from_type,
        "from_id": association.from_id,
        "to_type": association.to_type,
        "to_id": association.to_id,
        "label": association.label,
    }


def _object_name(file: Path) -> str:
    return file.name.split(".jsonl")[0]


def _open_text(file: Path, mode: str) -> IO[str]:
    if file.name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(file, mode + "b"), encoding="utf-8")
    return file.open(mode, encoding="utf-8")


def _read_lines(file: Path) -> Iterator[dict]:
    with _open_text(file, "r") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- shared helpers for the real datasets -----------------------------------------------------


def _read_csv(file: Path) -> list[dict[str, str]]:
    if not file.is_file():
        raise FileNotFoundError(f"{file} not found: pass the dataset's folder")
    with file.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _salesforce_datetime(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _empty_record(sobject: str) -> dict:
    return dict.fromkeys(SALESFORCE_FIELDS[sobject])


def _username(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", ".", name.lower()).strip(".")
    return f"{slug}@{DATA_DOMAIN}"


class _Users:
    """Users made from owner names, one per distinct name, in order of first appearance."""

    def __init__(self, created_at: str, profile_id: str) -> None:
        self.ids = SalesforceIds("User", 0)
        self.by_name: dict[str, str] = {}
        self.records: list[dict] = []
        self.created_at = created_at
        self.profile_id = profile_id

    def id_for(
        self,
        name: str,
        *,
        title: str | None = None,
        department: str | None = None,
        role_id: str | None = None,
    ) -> str:
        user_id = self.by_name.get(name)
        if user_id is not None:
            return user_id
        user_id = self.ids.next()
        self.by_name[name] = user_id
        first, _space, last = name.rpartition(" ")
        record = _empty_record("User")
        record.update(
            {
                "Id": user_id,
                "Username": _username(name),
                "Name": name,
                "FirstName": first or None,
                "LastName": last or name,
                "Email": _username(name),
                "IsActive": True,
                "UserRoleId": role_id,
                "ProfileId": self.profile_id,
                "Department": department,
                "Title": title,
                "UserType": "Standard",
                "CreatedDate": self.created_at,
                "LastModifiedDate": self.created_at,
                "SystemModstamp": self.created_at,
            }
        )
        self.records.append(record)
        return user_id


def _profile(created_at: str) -> dict:
    return {
        "Id": SalesforceIds("Profile", 0).next(),
        "Name": "Standard User",
        "SystemModstamp": created_at,
    }


# -- Zoho CRM ---------------------------------------------------------------------------------

ZOHO_TIME_FORMAT = "%d %b, %Y %H:%M:%S"


def _zoho_time(text: str) -> datetime:
    # Zoho exports carry no zone, and the product reads zone-less export times as UTC.
    return datetime.strptime(text.strip(), ZOHO_TIME_FORMAT).replace(tzinfo=UTC)


def _zoho_amount(text: str) -> float | None:
    cleaned = text.strip().replace("$", "").replace(",", "")
    return float(cleaned) if cleaned else None


def load_zoho_crm(folder: str | Path, as_of: datetime | None = None) -> World:
    """Load a Zoho CRM leads and potentials export as Salesforce records (see module docs)."""
    folder = Path(folder)
    leads = _read_csv(folder / "Leads.csv")
    potentials = _read_csv(folder / "Potentials.csv")
    created = {row["LEADID"]: _zoho_time(row["Created Time"]) for row in leads}
    potential_created = [_zoho_time(row["Created Time"]) for row in potentials]
    earliest = min([*created.values(), *potential_created])
    as_of = as_of or max([*created.values(), *potential_created])
    org_created = _salesforce_datetime(earliest)

    profile = _profile(org_created)
    users = _Users(org_created, profile["Id"])
    potential_by_lead: dict[str, tuple[dict, datetime]] = {}
    for row, when in zip(potentials, potential_created, strict=True):
        known = potential_by_lead.get(row["LEADID"])
        if known is None or when < known[1]:
            potential_by_lead[row["LEADID"]] = (row, when)

    lead_ids = SalesforceIds("Lead", 0)
    contact_ids = SalesforceIds("Contact", 0)
    account_ids = SalesforceIds("Account", 0)
    opportunity_ids = SalesforceIds("Opportunity", 0)
    accounts: dict[str, dict] = {}
    records: dict[str, list[dict]] = {"Lead": [], "Contact": [], "Account": [], "Opportunity": []}
    converted_by_lead: dict[str, tuple[str, str]] = {}  # LEADID -> (AccountId, ContactId)
    opportunity_by_lead: dict[str, str] = {}  # LEADID -> Id of its earliest potential

    for row in leads:
        owner_id = users.id_for(row["Lead Owner"])
        stamp = _salesforce_datetime(created[row["LEADID"]])
        lead = _empty_record("Lead")
        lead.update(
            {
                "Id": lead_ids.next(),
                "LastName": row["Last Name"],
                "Name": row["Last Name"],
                "Company": row["Company"] or None,
                "Email": row["Email"] or None,
                "Phone": row["Mobile"] or None,
                "Industry": row["Industry"] or None,
                "LeadSource": row["Lead Source"] or None,
                "Status": row["Lead Status"] or None,
                "OwnerId": owner_id,
                "CreatedById": owner_id,
                "CreatedDate": stamp,
                "LastModifiedDate": stamp,
                "SystemModstamp": stamp,
                "IsDeleted": False,
                "IsConverted": row["CONVERTED"].strip() == "Yes",
            }
        )
        if lead["IsConverted"]:
            account = accounts.get(row["Company"])
            if account is None:
                account = _empty_record("Account")
                account.update(
                    {
                        "Id": account_ids.next(),
                        "Name": row["Company"],
                        "Website": row["Website"] or None,
                        "Industry": row["Industry"] or None,
                        "OwnerId": owner_id,
                        "CreatedById": owner_id,
                        "CreatedDate": stamp,
                        "LastModifiedDate": stamp,
                        "SystemModstamp": stamp,
                        "IsDeleted": False,
                        "ABM_Target__c": False,
                    }
                )
                accounts[row["Company"]] = account
                records["Account"].append(account)
            contact = _empty_record("Contact")
            contact.update(
                {
                    "Id": contact_ids.next(),
                    "AccountId": account["Id"],
                    "LastName": row["Last Name"],
                    "Name": row["Last Name"],
                    "Email": row["Email"] or None,
                    "Phone": row["Mobile"] or None,
                    "LeadSource": row["Lead Source"] or None,
                    "OwnerId": owner_id,
                    "CreatedById": owner_id,
                    "CreatedDate": stamp,
                    "LastModifiedDate": stamp,
                    "SystemModstamp": stamp,
                    "IsDeleted": False,
                }
            )
            records["Contact"].append(contact)
            lead["ConvertedAccountId"] = account["Id"]
            lead["ConvertedContactId"] = contact["Id"]
            converted_by_lead[row["LEADID"]] = (account["Id"], contact["Id"])
        records["Lead"].append(lead)

    for row, when in zip(potentials, potential_created, strict=True):
        owner_id = users.id_for(row["Potential Owner"])
        account_id, contact_id = converted_by_lead.get(row["LEADID"], (None, None))
        stamp = _salesforce_datetime(when)
        stage = row["Stage"]
        opportunity = _empty_record("Opportunity")
        opportunity.update(
            {
                "Id": opportunity_ids.next(),
                "Name": row["Potential Name"],
                "AccountId": account_id,
                "ContactId": contact_id,
                "Type": row["Type"] or None,
                "StageName": stage,
                "IsClosed": stage.startswith("Closed"),
                "IsWon": stage == "Closed Won",
                "CloseDate": _zoho_time(row["Closing Date"]).date().isoformat()
                if row["Closing Date"].strip()
                else None,
                "Amount": _zoho_amount(row["Amount"]),
                "CurrencyIsoCode": "USD",
                "Probability": int(row["Probability"]) if row["Probability"].strip() else None,
                "LeadSource": row["Lead Source"] or None,
                "OwnerId": owner_id,
                "CreatedById": owner_id,
                "CreatedDate": stamp,
                "LastModifiedDate": stamp,
                "SystemModstamp": stamp,
                "IsDeleted": False,
            }
        )
        records["Opportunity"].append(opportunity)
        if potential_by_lead[row["LEADID"]][0] is row:
            opportunity_by_lead[row["LEADID"]] = opportunity["Id"]

    for row, lead in zip(leads, records["Lead"], strict=True):
        opportunity_id = opportunity_by_lead.get(row["LEADID"])
        if lead["IsConverted"] and opportunity_id:
            lead["ConvertedOpportunityId"] = opportunity_id
            lead["ConvertedDate"] = potential_by_lead[row["LEADID"]][1].date().isoformat()

    salesforce = {"Profile": [profile], "User": users.records, **records}
    return World(as_of=as_of, salesforce=salesforce)


# -- Maven CRM --------------------------------------------------------------------------------

MAVEN_PROBABILITY = {"Prospecting": 10, "Engaging": 50, "Won": 100, "Lost": 0}


def _maven_date(text: str) -> datetime | None:
    text = text.strip()
    return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC) if text else None


def load_maven_crm(folder: str | Path, as_of: datetime | None = None) -> World:
    """Load the Maven Analytics CRM sample as Salesforce users, accounts and opportunities."""
    folder = Path(folder)
    teams = _read_csv(folder / "sales_teams.csv")
    account_rows = _read_csv(folder / "accounts.csv")
    pipeline = _read_csv(folder / "sales_pipeline.csv")
    engaged = [_maven_date(row["engage_date"]) for row in pipeline]
    closed = [_maven_date(row["close_date"]) for row in pipeline]
    known_dates = [moment for moment in (*engaged, *closed) if moment is not None]
    as_of = as_of or max(known_dates) + timedelta(days=1)
    org_created = _salesforce_datetime(min(known_dates))

    profile = _profile(org_created)
    users = _Users(org_created, profile["Id"])
    role_ids = SalesforceIds("UserRole", 0)
    roles: list[dict] = []

    def add_role(name: str) -> str:
        role_id = role_ids.next()
        developer_name = re.sub(r"\W+", "_", name).strip("_")
        roles.append(
            {
                "Id": role_id,
                "Name": name,
                "DeveloperName": developer_name,
                "SystemModstamp": org_created,
            }
        )
        return role_id

    office_roles: dict[str, str] = {}
    team_roles: dict[str, str] = {}
    for row in teams:
        manager, office = row["manager"], row["regional_office"]
        if office not in office_roles:
            office_roles[office] = add_role(f"{office} Manager")
        if manager not in team_roles:
            users.id_for(
                manager, title="Sales Manager", department=office, role_id=office_roles[office]
            )
            team_roles[manager] = add_role(f"{manager}'s team")
    for row in teams:
        users.id_for(
            row["sales_agent"],
            title="Sales Agent",
            department=row["regional_office"],
            role_id=team_roles[row["manager"]],
        )

    deals_per_account: dict[str, Counter[str]] = {}
    first_deal: dict[str, datetime] = {}
    for row, when in zip(pipeline, engaged, strict=True):
        if row["account"]:
            deals_per_account.setdefault(row["account"], Counter())[row["sales_agent"]] += 1
            if when is not None and (
                row["account"] not in first_deal or when < first_deal[row["account"]]
            ):
                first_deal[row["account"]] = when

    account_ids = SalesforceIds("Account", 0)
    accounts: dict[str, str] = {}
    account_records = []
    for row in account_rows:
        agents = deals_per_account.get(row["account"])
        owner_name = (
            sorted(agents.items(), key=lambda item: (-item[1], item[0]))[0][0]
            if agents
            else next(iter(team_roles))
        )
        owner_id = users.id_for(owner_name)
        created = first_deal.get(row["account"])
        stamp = _salesforce_datetime(created) if created else org_created
        revenue = float(row["revenue"]) * 1_000_000 if row["revenue"].strip() else None
        record = _empty_record("Account")
        record.update(
            {
                "Id": account_ids.next(),
                "Name": row["account"],
                "Industry": row["sector"] or None,
                "NumberOfEmployees": int(row["employees"]) if row["employees"].strip() else None,
                "AnnualRevenue": revenue,
                "BillingCountry": row["office_location"] or None,
                "OwnerId": owner_id,
                "CreatedById": owner_id,
                "CreatedDate": stamp,
                "LastModifiedDate": stamp,
                "SystemModstamp": stamp,
                "IsDeleted": False,
                "ABM_Target__c": False,
            }
        )
        accounts[row["account"]] = record["Id"]
        account_records.append(record)

    opportunity_ids = SalesforceIds("Opportunity", 0)
    opportunities = []
    for row, engaged_at, closed_at in zip(pipeline, engaged, closed, strict=True):
        owner_id = users.id_for(row["sales_agent"])
        created_at = engaged_at or as_of
        modified_at = max(created_at, closed_at) if closed_at else created_at
        stage = row["deal_stage"]
        record = _empty_record("Opportunity")
        record.update(
            {
                "Id": opportunity_ids.next(),
                "Name": f"{row['opportunity_id']} {row['product']}",
                "AccountId": accounts.get(row["account"]),
                "StageName": stage,
                "IsClosed": stage in ("Won", "Lost"),
                "IsWon": stage == "Won",
                "CloseDate": closed_at.date().isoformat() if closed_at else None,
                "Amount": float(row["close_value"]) if row["close_value"].strip() else None,
                "CurrencyIsoCode": "USD",
                "Probability": MAVEN_PROBABILITY.get(stage),
                "OwnerId": owner_id,
                "CreatedById": owner_id,
                "CreatedDate": _salesforce_datetime(created_at),
                "LastModifiedDate": _salesforce_datetime(modified_at),
                "SystemModstamp": _salesforce_datetime(modified_at),
                "IsDeleted": False,
            }
        )
        opportunities.append(record)

    salesforce = {
        "UserRole": roles,
        "Profile": [profile],
        "User": users.records,
        "Account": account_records,
        "Opportunity": opportunities,
    }
    return World(as_of=as_of, salesforce=salesforce)


# -- X Education ------------------------------------------------------------------------------

X_EDUCATION_DEFAULT_AS_OF = datetime(2025, 1, 1, tzinfo=UTC)

# Lead Source -> hs_analytics_source. Keys are compared case-insensitively.
X_EDUCATION_SOURCES: dict[str, str] = {
    "google": "ORGANIC_SEARCH",
    "organic search": "ORGANIC_SEARCH",
    "bing": "ORGANIC_SEARCH",
    "direct traffic": "DIRECT_TRAFFIC",
    "olark chat": "OTHER_CAMPAIGNS",
    "live chat": "OTHER_CAMPAIGNS",
    "reference": "OFFLINE",
    "click2call": "OFFLINE",
    "referral sites": "REFERRALS",
    "welingak website": "REFERRALS",
    "blog": "REFERRALS",
    "welearn": "REFERRALS",
    "welearnblog_home": "REFERRALS",
    "facebook": "SOCIAL_MEDIA",
    "social media": "SOCIAL_MEDIA",
    "youtubechannel": "SOCIAL_MEDIA",
    "pay per click ads": "PAID_SEARCH",
    "nc_edm": "EMAIL_MARKETING",
    "press_release": "OTHER_CAMPAIGNS",
    "testone": "OTHER_CAMPAIGNS",
}

# Lead Origin -> hs_object_source.
X_EDUCATION_ORIGINS: dict[str, str] = {
    "Landing Page Submission": "FORM",
    "Lead Add Form": "FORM",
    "API": "API",
    "Lead Import": "IMPORT",
    "Quick Add Form": "CRM_UI",
}


def _x_value(text: str | None) -> str | None:
    # X Education exports "Select" where the form's dropdown was left untouched.
    if text is None or text.strip() in ("", "Select"):
        return None
    return text


def load_x_education_leads(
    folder: str | Path, as_of: datetime | None = None, months: int = 12
) -> World:
    """Load the X Education leads file as HubSpot contacts with synthetic create dates."""
    folder = Path(folder)
    file = folder / "Leads.csv" if folder.is_dir() else folder
    rows = _read_csv(file)
    as_of = (as_of or X_EDUCATION_DEFAULT_AS_OF).astimezone(UTC)
    start = months_before(as_of, months)
    span = (as_of - start).total_seconds()
    order = sorted(range(len(rows)), key=lambda index: int(rows[index]["Lead Number"]))
    created: list[datetime] = [start] * len(rows)
    for rank, index in enumerate(order):
        offset = int(span * (rank + 0.5) / len(rows))
        created[index] = start + timedelta(seconds=offset)

    contacts = []
    for row, created_at in zip(rows, created, strict=True):
        contact_id = row["Lead Number"].strip()
        source = _x_value(row["Lead Source"])
        origin = _x_value(row["Lead Origin"])
        stamp = created_at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        converted = row["Converted"].strip() == "1"
        properties = dict.fromkeys(HUBSPOT_PROPERTIES["contacts"])
        properties.update(
            {
                "hs_analytics_source": X_EDUCATION_SOURCES.get(source.lower()) if source else None,
                "hs_analytics_source_data_1": source,
                "lead_source": source,
                "hs_object_source": X_EDUCATION_ORIGINS.get(origin) if origin else None,
                "hs_object_source_label": X_EDUCATION_ORIGINS.get(origin) if origin else None,
                "hs_object_source_detail_1": origin,
                "lifecyclestage": "customer" if converted else "lead",
                "hs_lifecyclestage_lead_date": stamp,
                "hs_lifecyclestage_customer_date": stamp if converted else None,
                "createdate": stamp,
                "lastmodifieddate": stamp,
                "hs_object_id": contact_id,
            }
        )
        contacts.append(
            {
                "id": contact_id,
                "properties": properties,
                "createdAt": stamp,
                "updatedAt": stamp,
                "archived": False,
            }
        )
    return World(as_of=as_of, hubspot={"contacts": contacts})


REAL_DATASETS = {
    "zoho_crm": load_zoho_crm,
    "maven_crm": load_maven_crm,
    "x_education_leads": load_x_education_leads,
}
