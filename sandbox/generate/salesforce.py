"""Salesforce records of one chunk of leads, with everything that follows from each lead.

A lead comes in through a channel (LeadSource and creator). Reps work it, so its Status and
sometimes its owner change, and LeadHistory records each change. Some leads are converted
into a Contact, an Account and an Opportunity. The opportunity's stages move on, recorded in
OpportunityFieldHistory, until it is won, lost or still open at ``as_of``. Activities (Tasks,
Events) happen along the way.
The chunk also adds contacts that business-card tools created without a lead, and
opportunities that reps opened on existing customers without one.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from typing import NamedTuple

from sandbox.generate import catalog
from sandbox.generate.clock import DAY
from sandbox.generate.ids import SalesforceIds
from sandbox.generate.org import Account, Company, Org, Person, company
from sandbox.generate.people import (
    Prospect,
    address,
    company_as_typed,
    new_prospect,
    region_team,
)

HOUR = 3600
DORMANT_QUIET_DAYS = 200  # a dormant revival comes at least this long after the last deal
SALES_KINDS = ("sales", "inside_sales")
# The org turns on Lead field history this many days into the window, so earlier changes
# left no LeadHistory rows and the owner at creation of older leads is unknown.
HISTORY_TRACKING_DAYS = 90

# Shares of dirty records, per lead unless stated.
DIRTY_SOURCE_SHARE = 0.03
DELETED_LEAD_SHARE = 0.003
DELETED_TASK_SHARE = 0.004
PERSON_SET_TAG_SHARE = 0.01
EARLIER_OPPORTUNITY_SHARE = 0.03  # of conversions: attached to an opportunity older than the lead
NO_OPPORTUNITY_SHARE = 0.10  # of conversions
DUPLICATE_LEAD_SHARE = 0.01
LATE_MODSTAMP_SHARE = 0.08  # SystemModstamp moved later by a system job


class LeadPerson(NamedTuple):
    """A Salesforce lead's person, channel and creation time, for HubSpot to mirror."""

    prospect: Prospect
    created_at: int
    channel: catalog.LeadChannel


_CHANNEL_CUMULATIVE = list(itertools.accumulate(c.weight for c in catalog.LEAD_CHANNELS))
_TASK_CUMULATIVE = list(itertools.accumulate(k[0] for k in catalog.TASK_KINDS))
_EVENT_CUMULATIVE = list(itertools.accumulate(k[0] for k in catalog.EVENT_KINDS))
_LOSS_CUMULATIVE = list(itertools.accumulate(r[1] for r in catalog.LOSS_REASONS))
_AMOUNT_LOG_SPAN = math.log(catalog.AMOUNT_MAX / catalog.AMOUNT_MIN)


def _draw(rng: random.Random, cumulative: list[float]) -> int:
    return bisect.bisect(cumulative, rng.random() * cumulative[-1])


class SalesforceChunk:
    """Builds the Salesforce records of leads ``first .. first + count - 1``."""

    def __init__(self, rng: random.Random, org: Org, chunk: int, first: int, count: int) -> None:
        self.rng = rng
        self.org = org
        self.clock = org.clock
        self.chunk = chunk
        self.first = first
        self.count = count
        block = chunk + 1  # block 0 belongs to the org's own records
        self.ids = {
            name: SalesforceIds(name, block)
            for name in (
                "Lead",
                "Contact",
                "Account",
                "Opportunity",
                "OpportunityContactRole",
                "Task",
                "Event",
                "LeadHistory",
                "OpportunityFieldHistory",
            )
        }
        self.records: dict[str, list[dict]] = {
            name: []
            for name in (
                "Account",
                "Lead",
                "LeadHistory",
                "Contact",
                "Opportunity",
                "OpportunityContactRole",
                "OpportunityFieldHistory",
                "Task",
                "Event",
            )
        }
        self.new_accounts: dict[int, tuple[dict, int]] = {}  # company index -> (Account, created)
        self.people: list[LeadPerson] = []
        self.admin = org.by_kind["admin"][0]
        new_first = len(org.accounts) + chunk * org.new_companies_per_chunk
        self.new_company_range = (new_first, org.new_companies_per_chunk)

    # -- chunk ----------------------------------------------------------------------------

    def build(self) -> dict[str, list[dict]]:
        for _ in range(self.count):
            self.add_lead()
        for _ in range(max(1, self.count // 12)):
            self.add_card_contact()
        for _ in range(max(1, self.count // 30)):
            self.add_upsell_opportunity()
        return self.records

    # -- leads ----------------------------------------------------------------------------

    def add_lead(self) -> None:
        rng, clock = self.rng, self.clock
        channel = catalog.LEAD_CHANNELS[_draw(rng, _CHANNEL_CUMULATIVE)]
        created_at = clock.start + int((rng.random() ** 0.85) * (clock.end - clock.start - HOUR))
        account, created_at = self.pick_account(channel, created_at)
        target = account.company if account else self.pick_new_company()
        prospect = new_prospect(rng, target)

        creator = self.creator(channel, created_at)
        owner = (
            creator if creator.kind in SALES_KINDS else self.assignee(channel, target, created_at)
        )
        lead_id = self.ids["Lead"].next()
        history: list[tuple[int, str, object, object, str]] = []  # time, field, old, new, by
        history.append((created_at, "created", None, None, creator.user_id))
        if channel.family == "abm" and account is not None:
            self.add_account_touches(account, owner, created_at)

        statuses = catalog.STATUS_NEW
        legacy = 1 if rng.random() < catalog.LEGACY_STATUS_SHARE else 0
        status = statuses[legacy]
        modified_at = created_at
        worked_at = created_at + int(rng.expovariate(1 / (3 * DAY))) + HOUR
        converted_at = None
        if rng.random() < channel.convert_rate:
            converted_at = worked_at + int(rng.expovariate(1 / (25 * DAY)))
            if converted_at > clock.end:
                converted_at = None

        owner, owner_changes = self.owner_changes(owner, created_at, converted_at)
        # An owner change is written twice, once with user names and once with user Ids, and
        # record creation and conversion get "created" and "leadConverted" rows.
        # NOTE: modelled on history exports of real orgs, not checked against a live org here.
        for change_at, old_owner, new_owner in owner_changes:
            by = self.admin.user_id if old_owner.left_at else old_owner.user_id
            history.append((change_at, "Owner", _full(old_owner), _full(new_owner), by))
            history.append((change_at, "Owner", old_owner.user_id, new_owner.user_id, by))
            modified_at = max(modified_at, change_at)

        if worked_at < clock.end and rng.random() < 0.85:
            status, worked_until = self.work_statuses(
                history, status, legacy, owner, worked_at, settled=converted_at is not None
            )
            modified_at = max(modified_at, worked_until)

        lead_source = self.source_as_typed(channel.lead_source)
        detail = self.source_detail(channel.lead_source, prospect)

        conversion = (None, None, None, None)
        activity_end = clock.end
        if converted_at is not None:
            new_status = catalog.STATUS_CONVERTED[legacy]
            history.append((converted_at, "Status", status, new_status, owner.user_id))
            history.append((converted_at, "leadConverted", None, None, owner.user_id))
            status, modified_at = new_status, max(modified_at, converted_at)
            conversion, activity_end = self.convert(
                prospect,
                account,
                target,
                owner,
                channel,
                lead_source,
                detail,
                created_at,
                converted_at,
            )

        # Conversion moves a lead's activities to its contact, opportunity and account.
        who_id = conversion[1] or lead_id
        what_id = conversion[2] or conversion[0]
        self.add_activities(
            owner,
            created_at,
            activity_end,
            who_id,
            what_id,
            conversion[0],
            2.2 if channel.creator in SALES_KINDS else 1.2,
        )

        is_deleted = rng.random() < DELETED_LEAD_SHARE
        if is_deleted:
            modified_at = modified_at + int(rng.random() * (clock.end - modified_at))
        elif rng.random() < 0.3:
            modified_at = modified_at + int(rng.random() * (clock.end - modified_at))
        self.add_history(lead_id, history)
        self.records["Lead"].append(
            self.lead_record(
                lead_id,
                prospect,
                channel,
                lead_source,
                detail,
                status,
                owner,
                creator,
                created_at,
                modified_at,
                is_deleted=is_deleted,
                converted_at=converted_at,
                conversion=conversion,
            )
        )
        self.people.append(LeadPerson(prospect, created_at, channel))

        if rng.random() < DUPLICATE_LEAD_SHARE:
            self.add_duplicate_lead(prospect, channel, creator, owner, created_at)

    def work_statuses(
        self,
        history: list[tuple[int, str, object, object, str]],
        status: str,
        legacy: int,
        owner: Person,
        worked_at: int,
        *,
        settled: bool,
    ) -> tuple[str, int]:
        """Move a lead to working and, unless it is ``settled`` by conversion, to its outcome.

        Appends the Status changes to ``history`` and returns the status and last change time.
        """
        rng = self.rng
        new_status = catalog.STATUS_WORKING[legacy]
        history.append((worked_at, "Status", status, new_status, owner.user_id))
        status, changed_at = new_status, worked_at
        if settled:
            return status, changed_at
        closed_at = worked_at + int(rng.expovariate(1 / (30 * DAY)))
        if closed_at >= self.clock.end:
            return status, changed_at
        outcome = rng.random()
        if outcome < 0.45:
            new_status = catalog.STATUS_UNQUALIFIED[legacy]
        elif outcome < 0.75:
            new_status = catalog.STATUS_NURTURE[legacy]
        if new_status != status:
            history.append((closed_at, "Status", status, new_status, owner.user_id))
            status, changed_at = new_status, closed_at
        return status, changed_at

    def source_as_typed(self, lead_source: str) -> str:
        """Return the LeadSource value, replaced by a re-typed variant for a few percent."""
        if lead_source and self.rng.random() < DIRTY_SOURCE_SHARE:
            variants = catalog.DIRTY_SOURCE_VARIANTS.get(lead_source)
            if variants:
                return variants[int(self.rng.random() * len(variants))]
        return lead_source

    def pick_account(
        self, channel: catalog.LeadChannel, created_at: int
    ) -> tuple[Account | None, int]:
        """Choose the existing account a lead belongs to, or None for a new company."""
        rng, org = self.rng, self.org
        if channel.family == "dormant":
            pool = org.by_segment.get("former_customer", []) + org.by_segment.get(
                "lost_prospect", []
            )
            if pool:
                account = pool[int(rng.random() * len(pool))]
                earliest = account.quiet_since + DORMANT_QUIET_DAYS * DAY
                if earliest < self.clock.end:
                    return account, max(created_at, earliest + int(rng.random() * 30 * DAY))
        if channel.family == "abm" and org.abm_accounts:
            account = org.abm_accounts[int(rng.random() * len(org.abm_accounts))]
            # Reps target accounts they already have, and approach them before the lead.
            earliest = account.created_at + 30 * DAY
            return account, max(created_at, min(earliest, self.clock.end - HOUR))
        existing_share = 0.45 if channel.creator in SALES_KINDS else 0.25
        if rng.random() < existing_share:
            account = org.accounts[int(rng.random() * len(org.accounts))]
            if account.created_at <= created_at:
                return account, created_at
        return None, created_at

    def pick_new_company(self) -> Company:
        first, count = self.new_company_range
        return company(first + int(self.rng.random() * count))

    def creator(self, channel: catalog.LeadChannel, at: int) -> Person:
        return self.org.pick(self.rng, channel.creator, at)

    def assignee(self, channel: catalog.LeadChannel, target: Company, at: int) -> Person:
        """Pick the rep that assignment rules give a lead that no rep created by hand."""
        if channel.creator in ("sansan", "eight"):
            # A business card belongs to the rep who exchanged it.
            return self.pick_in_team("sales", region_team(target), at)
        if self.rng.random() < 0.8:
            return self.org.pick(self.rng, "inside_sales", at)
        return self.pick_in_team("sales", region_team(target), at)

    def pick_in_team(self, kind: str, team: str, at: int) -> Person:
        for _ in range(4):
            person = self.org.pick(self.rng, kind, at)
            if person.team == team:
                return person
        return person

    def owner_changes(
        self, owner: Person, created_at: int, converted_at: int | None
    ) -> tuple[Person, list[tuple[int, Person, Person]]]:
        """Hand a lead over when its owner leaves or inside sales passes it to a field rep."""
        rng, clock = self.rng, self.clock
        changes = []
        horizon = converted_at or clock.end
        if owner.kind == "inside_sales" and rng.random() < 0.25:
            at = created_at + int(rng.random() * min(20 * DAY, horizon - created_at))
            new_owner = self.org.pick(rng, "sales", at)
            if new_owner is not owner:
                changes.append((at, owner, new_owner))
                owner = new_owner
        if owner.left_at is not None and owner.left_at < horizon:
            at = max(owner.left_at, created_at + 1)
            new_owner = self.org.pick(rng, owner.kind, at)
            if new_owner is not owner:
                changes.append((at, owner, new_owner))
                owner = new_owner
        return owner, changes

    def source_detail(self, lead_source: str, prospect: Prospect) -> str | None:
        samples = catalog.SOURCE_DETAILS.get(lead_source)
        if not samples:
            return None
        text = samples[int(self.rng.random() * len(samples))]
        if "{" in text:
            account = self.org.accounts[int(self.rng.random() * len(self.org.accounts))]
            text = text.format(company=account.company.name, person=prospect.family)
        return text or None

    def add_history(
        self, lead_id: str, history: list[tuple[int, str, object, object, str]]
    ) -> None:
        ids, clock, rows = self.ids["LeadHistory"], self.clock, self.records["LeadHistory"]
        tracked_from = clock.start + HISTORY_TRACKING_DAYS * DAY
        for at, field_name, old, new, by in sorted(history, key=lambda row: row[0]):
            if at < tracked_from:
                continue
            rows.append(
                {
                    "Id": ids.next(),
                    "LeadId": lead_id,
                    "Field": field_name,
                    "OldValue": old,
                    "NewValue": new,
                    "CreatedById": by,
                    "CreatedDate": clock.salesforce(at),
                    "IsDeleted": False,
                }
            )

    def lead_record(
        self,
        lead_id: str,
        prospect: Prospect,
        channel: catalog.LeadChannel,
        lead_source: str,
        detail: str | None,
        status: str,
        owner: Person,
        creator: Person,
        created_at: int,
        modified_at: int,
        *,
        is_deleted: bool,
        converted_at: int | None,
        conversion: tuple,
    ) -> dict:
        clock, rng = self.clock, self.rng
        state, city, postal_code, street = address(prospect.company)
        account_id, contact_id, opportunity_id, _account = conversion
        origin = channel_tag = None
        if rng.random() < PERSON_SET_TAG_SHARE:
            origin = "sales" if channel.creator in SALES_KINDS else "marketing"
            channel_tag = ("referral", "network", "social", "other_sales")[int(rng.random() * 4)]
        modstamp = modified_at
        if rng.random() < LATE_MODSTAMP_SHARE:
            modstamp = modified_at + int(rng.random() * (clock.end - modified_at))
        return {
            "Id": lead_id,
            "FirstName": prospect.given,
            "LastName": prospect.family,
            "Name": f"{prospect.family} {prospect.given}",
            "Company": company_as_typed(rng, prospect.company),
            "Email": prospect.email,
            "Phone": prospect.phone,
            "Title": prospect.title,
            "Industry": prospect.company.industry if rng.random() < 0.7 else None,
            "LeadSource": lead_source or None,
            "Lead_Source_Detail__c": detail,
            "Status": status,
            "City": city,
            "State": state,
            "Country": "日本",
            "PostalCode": postal_code,
            "Street": street,
            "Address": {
                "city": city,
                "country": "日本",
                "geocodeAccuracy": None,
                "latitude": None,
                "longitude": None,
                "postalCode": postal_code,
                "state": state,
                "street": street,
            },
            "OwnerId": owner.user_id,
            "CreatedById": creator.user_id,
            "CreatedDate": clock.salesforce(created_at),
            "LastModifiedDate": clock.salesforce(modified_at),
            "SystemModstamp": clock.salesforce(modstamp),
            "IsDeleted": is_deleted,
            "IsConverted": converted_at is not None,
            "ConvertedDate": clock.tokyo_date(converted_at) if converted_at else None,
            "ConvertedAccountId": account_id,
            "ConvertedContactId": contact_id,
            "ConvertedOpportunityId": opportunity_id,
            "SGL_Origin__c": origin,
            "SGL_Channel__c": channel_tag,
            "SGL_Rule__c": None,
            "SGL_Decided_At__c": None,
        }

    def add_duplicate_lead(
        self,
        prospect: Prospect,
        channel: catalog.LeadChannel,
        creator: Person,
        owner: Person,
        first_created_at: int,
    ) -> None:
        """Add the same person again, later, as a second open lead with a re-typed email."""
        rng, clock = self.rng, self.clock
        created_at = first_created_at + int(rng.random() * (clock.end - first_created_at))
        lead_id = self.ids["Lead"].next()
        email = prospect.email.upper() if rng.random() < 0.5 else f"{prospect.email} "
        twin = prospect._replace(email=email.strip() if rng.random() < 0.5 else email.upper())
        if not owner.active_at(created_at):
            owner = self.org.pick(rng, owner.kind, created_at)
        if not creator.active_at(created_at) and creator.kind in SALES_KINDS:
            creator = owner
        record = self.lead_record(
            lead_id,
            twin,
            channel,
            channel.lead_source,
            None,
            catalog.STATUS_NEW[0],
            owner,
            creator,
            created_at,
            created_at,
            is_deleted=False,
            converted_at=None,
            conversion=(None, None, None, None),
        )
        self.records["Lead"].append(record)
        self.add_history(lead_id, [(created_at, "created", None, None, creator.user_id)])

    # -- conversion -----------------------------------------------------------------------

    def convert(
        self,
        prospect: Prospect,
        account: Account | None,
        target: Company,
        owner: Person,
        channel: catalog.LeadChannel,
        lead_source: str,
        detail: str | None,
        lead_created_at: int,
        converted_at: int,
    ) -> tuple[tuple, int]:
        """Create the contact, account and opportunity of a converted lead.

        Returns (AccountId, ContactId, OpportunityId, Account) and the time activities stop.
        """
        rng = self.rng
        if account is not None:
            account_id = account.id
        else:
            known = self.new_accounts.get(target.index)
            if known is None:
                account_id = self.add_account(target, owner, converted_at)
            else:
                account_id = self.reuse_account(known, target, converted_at)
        contact_id = self.add_contact(
            prospect, account_id, owner, owner, lead_source, detail, converted_at
        )
        draw = rng.random()
        opportunity_id = None
        activity_end = min(self.clock.end, converted_at + 45 * DAY)
        if draw < EARLIER_OPPORTUNITY_SHARE and account is not None:
            # Lightning conversion can attach the lead to an opportunity that already existed,
            # so the opportunity is older than the lead.
            opened_at = max(self.clock.start, lead_created_at - int((5 + rng.random() * 60) * DAY))
            opportunity_id, activity_end = self.add_opportunity(
                account_id, account, target.name, contact_id, owner, lead_source, channel, opened_at
            )
        elif draw < 1 - NO_OPPORTUNITY_SHARE:
            opportunity_id, activity_end = self.add_opportunity(
                account_id,
                account,
                target.name,
                contact_id,
                owner,
                lead_source,
                channel,
                converted_at,
            )
        return (account_id, contact_id, opportunity_id, account), activity_end

    def reuse_account(self, known: tuple[dict, int], target: Company, at: int) -> str:
        """Return the Id of an account created in this chunk, moving its creation earlier.

        Leads are generated in random time order, so a later lead of the chunk can convert
        before the one that created the account, and the account must exist by then.
        """
        record, created_at = known
        if at < created_at:
            record["CreatedDate"] = self.clock.salesforce(at)
            self.new_accounts[target.index] = (record, at)
        return record["Id"]

    def add_account(self, target: Company, owner: Person, at: int) -> str:
        clock = self.clock
        account_id = self.ids["Account"].next()
        state, city, postal_code, street = address(target)
        record = {
            "Id": account_id,
            "Name": target.name,
            "Website": f"https://{target.domain}",
            "Industry": target.industry,
            "Type": "見込み客",
            "NumberOfEmployees": target.employees,
            "AnnualRevenue": None,
            "BillingCity": city,
            "BillingState": state,
            "BillingCountry": "日本",
            "BillingAddress": {
                "city": city,
                "country": "日本",
                "geocodeAccuracy": None,
                "latitude": None,
                "longitude": None,
                "postalCode": postal_code,
                "state": state,
                "street": street,
            },
            "OwnerId": owner.user_id,
            "CreatedById": owner.user_id,
            "CreatedDate": clock.salesforce(at),
            "LastModifiedDate": clock.salesforce(at),
            "SystemModstamp": clock.salesforce(at),
            "LastActivityDate": None,
            "IsDeleted": False,
            "ABM_Target__c": False,
        }
        self.records["Account"].append(record)
        self.new_accounts[target.index] = (record, at)
        return account_id

    def add_contact(
        self,
        prospect: Prospect,
        account_id: str,
        owner: Person,
        creator: Person,
        lead_source: str | None,
        detail: str | None,
        at: int,
    ) -> str:
        clock, rng = self.clock, self.rng
        contact_id = self.ids["Contact"].next()
        state, city, postal_code, street = address(prospect.company)
        modified_at = at + int(rng.random() * (clock.end - at) * 0.5)
        self.records["Contact"].append(
            {
                "Id": contact_id,
                "AccountId": account_id,
                "FirstName": prospect.given,
                "LastName": prospect.family,
                "Name": f"{prospect.family} {prospect.given}",
                "Email": prospect.email,
                "Phone": prospect.phone,
                "Title": prospect.title,
                "Department": prospect.department or None,
                "LeadSource": lead_source or None,
                "Lead_Source_Detail__c": detail,
                "MailingCity": city,
                "MailingAddress": {
                    "city": city,
                    "country": "日本",
                    "geocodeAccuracy": None,
                    "latitude": None,
                    "longitude": None,
                    "postalCode": postal_code,
                    "state": state,
                    "street": street,
                },
                "OwnerId": owner.user_id,
                "CreatedById": creator.user_id,
                "CreatedDate": clock.salesforce(at),
                "LastModifiedDate": clock.salesforce(modified_at),
                "SystemModstamp": clock.salesforce(modified_at),
                "IsDeleted": False,
                "SGL_Origin__c": None,
                "SGL_Channel__c": None,
                "SGL_Rule__c": None,
                "SGL_Decided_At__c": None,
            }
        )
        return contact_id

    def add_opportunity(
        self,
        account_id: str,
        account: Account | None,
        company_name: str,
        contact_id: str | None,
        owner: Person,
        lead_source: str | None,
        channel: catalog.LeadChannel | None,
        created_at: int,
    ) -> tuple[str, int]:
        """Add an opportunity with its stage history; return its Id and when work on it ended."""
        rng, clock = self.rng, self.clock
        opportunity_id = self.ids["Opportunity"].next()
        history_ids = self.ids["OpportunityFieldHistory"]
        history = self.records["OpportunityFieldHistory"]

        win_rate = 0.42 if channel and channel.family in ("referral", "dormant") else 0.28
        outcome = rng.random()
        target = (
            catalog.WON_STAGE
            if outcome < win_rate
            else (catalog.LOST_STAGE if outcome < win_rate + 0.45 else None)
        )
        steps = 1 + int(rng.random() * len(catalog.OPEN_STAGES))
        path = list(catalog.OPEN_STAGES[:steps])
        if target is not None:
            path.append(target)

        stage = path[0]
        at = created_at
        for next_stage in path[1:]:
            step_at = at + int(rng.expovariate(1 / (12 * DAY))) + HOUR
            if step_at > clock.end:
                break
            history.append(
                {
                    "Id": history_ids.next(),
                    "OpportunityId": opportunity_id,
                    "Field": "StageName",
                    "OldValue": stage.name,
                    "NewValue": next_stage.name,
                    "CreatedById": owner.user_id,
                    "CreatedDate": clock.salesforce(step_at),
                    "IsDeleted": False,
                }
            )
            stage, at = next_stage, step_at

        if stage.is_closed:
            close_date = clock.tokyo_date(at)
        else:
            close_date = clock.tokyo_date(at + int((20 + rng.random() * 90) * DAY))
        modified_at = at + (
            int(rng.random() * (clock.end - at) * 0.3) if not stage.is_closed else 0
        )
        existing = account is not None and account.segment in ("customer", "former_customer")
        kind = "Existing Business" if existing else "New Business"
        if rng.random() < 0.02:
            kind = None
        amount = catalog.AMOUNT_MIN * math.exp(rng.random() * _AMOUNT_LOG_SPAN)
        loss_reason = None
        if stage is catalog.LOST_STAGE:
            loss_reason = catalog.LOSS_REASONS[_draw(rng, _LOSS_CUMULATIVE)][0] or None
        self.records["Opportunity"].append(
            {
                "Id": opportunity_id,
                "Name": f"{company_name} {('導入', '追加導入', '更新')[int(rng.random() * 3)]}",
                "AccountId": account_id,
                "ContactId": contact_id,
                "Type": kind,
                "StageName": stage.name,
                "IsClosed": stage.is_closed,
                "IsWon": stage.is_won,
                "CloseDate": close_date,
                "Amount": int(amount) // 100_000 * 100_000,
                "CurrencyIsoCode": "JPY",
                "Probability": stage.probability,
                "LeadSource": lead_source or None,
                "NextStep": None
                if stage.is_closed
                else (catalog.NEXT_STEPS[int(rng.random() * len(catalog.NEXT_STEPS))] or None),
                "Loss_Reason__c": loss_reason,
                "OwnerId": owner.user_id,
                "CreatedById": owner.user_id,
                "CreatedDate": clock.salesforce(created_at),
                "LastModifiedDate": clock.salesforce(modified_at),
                "SystemModstamp": clock.salesforce(modified_at),
                "IsDeleted": rng.random() < 0.002,
                "SGL_Origin__c": None,
                "SGL_Channel__c": None,
                "SGL_Rule__c": None,
                "SGL_Decided_At__c": None,
            }
        )
        if contact_id is not None:
            self.records["OpportunityContactRole"].append(
                {
                    "Id": self.ids["OpportunityContactRole"].next(),
                    "OpportunityId": opportunity_id,
                    "ContactId": contact_id,
                    "Role": "Decision Maker" if rng.random() < 0.4 else "Evaluator",
                    "IsPrimary": True,
                    "CreatedDate": clock.salesforce(created_at),
                    "LastModifiedDate": clock.salesforce(created_at),
                    "SystemModstamp": clock.salesforce(created_at),
                    "IsDeleted": False,
                }
            )
        return opportunity_id, min(clock.end, at + 7 * DAY)

    # -- records without a lead -----------------------------------------------------------

    def add_card_contact(self) -> None:
        """Add a contact that a business-card tool or a rep created directly on an account."""
        rng, clock, org = self.rng, self.clock, self.org
        account = org.accounts[int(rng.random() * len(org.accounts))]
        created_at = max(account.created_at, clock.start) + int(
            rng.random() * (clock.end - max(account.created_at, clock.start))
        )
        prospect = new_prospect(rng, account.company)
        owner = self.pick_in_team("sales", region_team(account.company), created_at)
        draw = rng.random()
        if draw < 0.6:
            creator, lead_source, detail = (
                org.pick(rng, "sansan", created_at),
                "Sansan",
                "Sansan名刺取り込み",
            )
        elif draw < 0.75:
            creator, lead_source, detail = org.pick(rng, "eight", created_at), "Eight", None
        else:
            creator, lead_source, detail = (
                owner,
                ("名刺交換", "紹介", "")[int(rng.random() * 3)],
                None,
            )
        contact_id = self.add_contact(
            prospect, account.id, owner, creator, lead_source, detail, created_at
        )
        activity_end = clock.end
        if rng.random() < 0.15:
            opened_at = created_at + int(rng.random() * (clock.end - created_at) * 0.5)
            _opportunity_id, activity_end = self.add_opportunity(
                account.id,
                account,
                account.company.name,
                contact_id,
                owner,
                lead_source,
                None,
                opened_at,
            )
        self.add_activities(
            owner, created_at, activity_end, contact_id, account.id, account.id, 1.0
        )

    def add_upsell_opportunity(self) -> None:
        rng, clock = self.rng, self.clock
        pool = self.org.by_segment.get("customer") or self.org.accounts
        account = pool[int(rng.random() * len(pool))]
        since = max(account.quiet_since, account.created_at)
        created_at = since + int(rng.random() * (clock.end - since))
        owner = (
            account.owner
            if account.owner.active_at(created_at)
            else self.org.pick(rng, "sales", created_at)
        )
        self.add_opportunity(
            account.id, account, account.company.name, None, owner, None, None, created_at
        )

    # -- activities -----------------------------------------------------------------------

    def add_account_touches(self, account: Account, owner: Person, before: int) -> None:
        """Add the letters and calls of an account-based approach that precede an ABM lead."""
        rng, clock = self.rng, self.clock
        at = max(clock.start, account.created_at, before - int((10 + rng.random() * 50) * DAY))
        for kind_index in (3, 0, 0)[: 2 + int(rng.random() * 2)]:
            at = clock.office_time(at, rng.random(), at)
            if at >= before:
                break
            self.add_task(kind_index, owner, at, None, account.id, account.id)
            at += int((3 + rng.random() * 10) * DAY)

    def add_activities(
        self,
        owner: Person,
        start: int,
        end: int,
        who_id: str,
        what_id: str | None,
        account_id: str | None,
        mean_count: float,
    ) -> None:
        rng = self.rng
        if end <= start:
            return
        count = int(rng.random() * mean_count * 2 + 0.5)
        for _ in range(count):
            at = self.clock.office_time(
                start + int(rng.random() * (end - start)), rng.random(), start
            )
            if rng.random() < 0.82:
                self.add_task(_draw(rng, _TASK_CUMULATIVE), owner, at, who_id, what_id, account_id)
            else:
                self.add_event(owner, at, who_id, what_id, account_id)

    def add_task(
        self,
        kind_index: int,
        owner: Person,
        at: int,
        who_id: str | None,
        what_id: str | None,
        account_id: str | None,
    ) -> None:
        rng, clock = self.rng, self.clock
        _weight, task_type, subtype, call_type = catalog.TASK_KINDS[kind_index]
        subjects = catalog.TASK_SUBJECTS[task_type]
        duration = None
        if task_type == "Call" and rng.random() < 0.85:
            duration = 30 + int(rng.expovariate(1 / 360))
        modified_at = min(clock.end, at + int(rng.random() * 2 * DAY))
        is_deleted = rng.random() < DELETED_TASK_SHARE
        self.records["Task"].append(
            {
                "Id": self.ids["Task"].next(),
                "Subject": subjects[int(rng.random() * len(subjects))],
                "WhoId": who_id,
                "WhatId": what_id,
                "AccountId": account_id,
                "OwnerId": owner.user_id,
                "CreatedById": owner.user_id,
                "ActivityDate": clock.tokyo_date(at),
                "Status": "Completed",
                "Type": task_type,
                "TaskSubtype": subtype,
                "CallType": call_type,
                "CallDurationInSeconds": duration,
                "CreatedDate": clock.salesforce(at),
                "LastModifiedDate": clock.salesforce(modified_at),
                "SystemModstamp": clock.salesforce(modified_at),
                "IsDeleted": is_deleted,
            }
        )

    def add_event(
        self,
        owner: Person,
        at: int,
        who_id: str | None,
        what_id: str | None,
        account_id: str | None,
    ) -> None:
        rng, clock = self.rng, self.clock
        _weight, event_type, subject, durations = catalog.EVENT_KINDS[_draw(rng, _EVENT_CUMULATIVE)]
        minutes = durations[int(rng.random() * len(durations))]
        start = at - at % 1800 + 1800  # meetings start on the half hour
        created_at = min(clock.end, max(clock.start, start - int(rng.random() * 7 * DAY)))
        modified_at = min(clock.end, max(created_at, start - int(rng.random() * DAY)))
        self.records["Event"].append(
            {
                "Id": self.ids["Event"].next(),
                "Subject": subject,
                "WhoId": who_id,
                "WhatId": what_id,
                "AccountId": account_id,
                "OwnerId": owner.user_id,
                "CreatedById": owner.user_id,
                "Type": event_type,
                "ActivityDateTime": clock.salesforce(start),
                "StartDateTime": clock.salesforce(start),
                "EndDateTime": clock.salesforce(start + minutes * 60),
                "DurationInMinutes": minutes,
                "CreatedDate": clock.salesforce(created_at),
                "LastModifiedDate": clock.salesforce(modified_at),
                "SystemModstamp": clock.salesforce(modified_at),
                "IsDeleted": False,
            }
        )


def _full(person: Person) -> str:
    return f"{person.family} {person.given}" if person.given else person.family
