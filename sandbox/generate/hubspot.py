"""HubSpot records of one chunk: contacts, new companies, deals, engagements, associations.

A contact's story mirrors a Salesforce lead's: it comes in through a source (Original source,
Record source, the portal's own ``lead_source`` dropdown), moves through lifecycle stages
whose entry dates HubSpot stamps, and may get deals. Some contacts are people who are also
Salesforce leads in the same chunk, stored with the email typed differently, so identity
resolution has work to do.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random

from sandbox.generate import catalog
from sandbox.generate.clock import DAY
from sandbox.generate.ids import HubSpotIds
from sandbox.generate.org import HUBSPOT_INDUSTRIES, Company, Org, Person, company
from sandbox.generate.people import email_as_typed, new_prospect, region_team
from sandbox.generate.salesforce import LeadPerson
from sandbox.world import HUBSPOT_PROPERTIES, Association

HOUR = 3600
MIRROR_SHARE = 0.10  # contacts that are also Salesforce leads of the chunk
MERGED_SHARE = 0.01
ARCHIVED_SHARE = 0.003
PERSON_SET_TAG_SHARE = 0.01

_CHANNEL_CUMULATIVE = list(itertools.accumulate(c.weight for c in catalog.HUBSPOT_CHANNELS))
_AMOUNT_LOG_SPAN = math.log(catalog.AMOUNT_MAX / catalog.AMOUNT_MIN)
_EMPTY_CONTACT = dict.fromkeys(HUBSPOT_PROPERTIES["contacts"])
_EMPTY_DEAL = dict.fromkeys(HUBSPOT_PROPERTIES["deals"])
DEAL_KINDS = ("新規導入", "追加導入", "トライアル")


def _draw(rng: random.Random, cumulative: list[float]) -> int:
    return bisect.bisect(cumulative, rng.random() * cumulative[-1])


def _flag(value: bool) -> str:
    return "true" if value else "false"


class HubSpotChunk:
    """Builds the HubSpot records of one chunk of ``count`` contacts."""

    def __init__(
        self,
        rng: random.Random,
        org: Org,
        chunk: int,
        count: int,
        salesforce_people: list[LeadPerson],
    ) -> None:
        self.rng = rng
        self.org = org
        self.clock = org.clock
        self.count = count
        self.salesforce_people = salesforce_people
        block = chunk + 1
        self.ids = {
            name: HubSpotIds(name, block)
            for name in (
                "contacts",
                "companies",
                "deals",
                "calls",
                "meetings",
                "emails",
                "tasks",
                "merged",
            )
        }
        self.records: dict[str, list[dict]] = {
            name: []
            for name in ("contacts", "companies", "deals", "calls", "meetings", "emails", "tasks")
        }
        self.associations: list[Association] = []
        self.new_companies: dict[int, tuple[dict, int]] = {}  # index -> (company, created)
        self.company_contacts: dict[str, list[str]] = {}
        self.hubspot_accounts = [a for a in org.accounts if a.hubspot_company_id]
        new_first = len(org.accounts) + chunk * org.new_companies_per_chunk
        self.new_company_range = (new_first, org.new_companies_per_chunk)

    def build(self) -> tuple[dict[str, list[dict]], list[Association]]:
        for _ in range(self.count):
            self.add_contact()
        return self.records, self.associations

    # -- contacts -------------------------------------------------------------------------

    def add_contact(self) -> None:
        rng, clock = self.rng, self.clock
        channel = catalog.HUBSPOT_CHANNELS[_draw(rng, _CHANNEL_CUMULATIVE)]
        created_at = clock.start + int((rng.random() ** 0.85) * (clock.end - clock.start - HOUR))
        email_override = None
        if self.salesforce_people and rng.random() < MIRROR_SHARE:
            twin = self.salesforce_people[int(rng.random() * len(self.salesforce_people))]
            prospect = twin.prospect
            email_override = email_as_typed(rng, prospect.email)
            shift = int((rng.random() - 0.5) * 60 * DAY)
            created_at = min(clock.end - HOUR, max(clock.start, twin.created_at + shift))
            company_id = self.company_for(prospect.company, created_at)
        else:
            account = None
            if rng.random() < 0.35 and self.hubspot_accounts:
                account = self.hubspot_accounts[int(rng.random() * len(self.hubspot_accounts))]
            if account is not None and account.created_at <= created_at:
                target = account.company
                company_id = account.hubspot_company_id
            else:
                first, count = self.new_company_range
                target = company(first + int(rng.random() * count))
                company_id = self.company_for(target, created_at)
            prospect = new_prospect(rng, target)

        creator, owner = self.creator_and_owner(channel, prospect.company, created_at)
        contact_id = self.ids["contacts"].next()
        properties = dict(_EMPTY_CONTACT)
        properties.update(self.source_properties(channel, creator, created_at))
        properties.update(
            {
                "email": email_override or prospect.email,
                "firstname": prospect.given,
                "lastname": prospect.family,
                "company": prospect.company.name,
                "jobtitle": prospect.title,
                "phone": prospect.phone,
                "hubspot_owner_id": owner.hubspot_owner_id if owner else None,
                "associatedcompanyid": company_id,
                "hs_object_id": contact_id,
            }
        )
        modified_at = self.lifecycle(
            properties, channel, contact_id, company_id, owner, creator, created_at
        )
        if rng.random() < MERGED_SHARE:
            merged = [self.ids["merged"].next() for _ in range(1 + int(rng.random() * 2))]
            properties["hs_merged_object_ids"] = ";".join(merged)
            modified_at = modified_at + int(rng.random() * (clock.end - modified_at))
        if rng.random() < PERSON_SET_TAG_SHARE:
            properties["sgl_origin"] = "sales" if channel.creator == "sales" else "marketing"
            properties["sgl_channel"] = "referral" if channel.family == "referral" else "network"
        properties["createdate"] = clock.hubspot(created_at)
        properties["lastmodifieddate"] = clock.hubspot(modified_at)
        self.records["contacts"].append(
            {
                "id": contact_id,
                "properties": properties,
                "createdAt": properties["createdate"],
                "updatedAt": properties["lastmodifieddate"],
                "archived": rng.random() < ARCHIVED_SHARE,
            }
        )
        if company_id is not None:
            self.associations.append(Association("contacts", contact_id, "companies", company_id))
            self.company_contacts.setdefault(company_id, []).append(contact_id)

    def company_for(self, target: Company, at: int) -> str | None:
        """Return the HubSpot company id of a company, creating the company when it is new.

        Returns None for a Salesforce account that is not in the portal: such contacts stay
        without a company rather than each chunk creating its own copy of the company.
        """
        if target.index < len(self.org.accounts):
            account = self.org.accounts[target.index]
            return account.hubspot_company_id if account.created_at <= at else None
        known = self.new_companies.get(target.index)
        if known is not None:
            record, created_at = known
            if at < created_at:
                # Contacts come in random time order, and a company exists from its first one.
                record["createdAt"] = record["properties"]["createdate"] = self.clock.hubspot(at)
                self.new_companies[target.index] = (record, at)
            return record["id"]
        company_id = self.ids["companies"].next()
        created = self.clock.hubspot(at)
        record = {
            "id": company_id,
            "properties": {
                "name": target.name,
                "domain": target.domain,
                "industry": HUBSPOT_INDUSTRIES[target.industry],
                "lifecyclestage": "lead",
                "numberofemployees": str(target.employees),
                "hs_is_target_account": "false",
                "hubspot_owner_id": None,
                "hs_created_by_user_id": None,
                "createdate": created,
                "hs_lastmodifieddate": created,
                "hs_object_id": company_id,
            },
            "createdAt": created,
            "updatedAt": created,
            "archived": False,
        }
        self.records["companies"].append(record)
        self.new_companies[target.index] = (record, at)
        return company_id

    def creator_and_owner(
        self, channel: catalog.HubSpotChannel, target: Company, at: int
    ) -> tuple[Person | None, Person | None]:
        org, rng = self.org, self.rng
        if channel.creator == "sales":
            person = org.pick(rng, "sales", at)
            return person, person
        creator = org.pick(rng, "marketing", at) if channel.creator == "marketing" else None
        if channel.creator in ("sansan", "eight"):
            return None, org.pick(rng, "sales", at)
        if rng.random() < 0.15:
            return creator, None  # not yet assigned
        owner = (
            org.pick(rng, "inside_sales", at) if rng.random() < 0.8 else org.pick(rng, "sales", at)
        )
        if owner.team not in ("インサイドセールス部", region_team(target)):
            owner = org.pick(rng, "inside_sales", at)
        return creator, owner

    def source_properties(
        self, channel: catalog.HubSpotChannel, creator: Person | None, at: int
    ) -> dict[str, str | None]:
        rng = self.rng
        data_1 = channel.source_data_1[int(rng.random() * len(channel.source_data_1))]
        detail = channel.source_detail[int(rng.random() * len(channel.source_detail))]
        lead_source = channel.lead_source[int(rng.random() * len(channel.lead_source))]
        data_2 = None
        if channel.object_source == "CRM_UI" and creator is not None:
            data_2 = str(creator.hubspot_user_id)
        elif channel.object_source in ("IMPORT", "INTEGRATION"):
            data_2 = detail
        return {
            "hs_analytics_source": channel.analytics_source,
            "hs_analytics_source_data_1": data_1 or None,
            "hs_analytics_source_data_2": data_2,
            "hs_object_source": channel.object_source,
            "hs_object_source_label": channel.object_source,
            "hs_object_source_detail_1": detail or None,
            "hs_created_by_user_id": str(creator.hubspot_user_id) if creator else None,
            "lead_source": lead_source or None,
        }

    # -- lifecycle and deals --------------------------------------------------------------

    def lifecycle(
        self,
        properties: dict,
        channel: catalog.HubSpotChannel,
        contact_id: str,
        company_id: str | None,
        owner: Person | None,
        creator: Person | None,
        created_at: int,
    ) -> int:
        """Move the contact through lifecycle stages and add its deal; return last change."""
        rng, clock = self.rng, self.clock
        stage = "lead"
        properties["hs_lifecyclestage_lead_date"] = clock.hubspot(created_at)
        at = created_at
        lead_status = "NEW"
        by_sales = channel.creator == "sales"
        if not by_sales and rng.random() < 0.45:
            at += int(rng.expovariate(1 / (7 * DAY))) + HOUR
            if at < clock.end:
                stage = "marketingqualifiedlead"
                properties["hs_lifecyclestage_marketingqualifiedlead_date"] = clock.hubspot(at)
                lead_status = "OPEN"
        if owner is not None and rng.random() < (0.6 if by_sales else 0.35):
            at += int(rng.expovariate(1 / (10 * DAY))) + HOUR
            if at < clock.end:
                stage = "salesqualifiedlead"
                properties["hs_lifecyclestage_salesqualifiedlead_date"] = clock.hubspot(at)
                lead_status = ("IN_PROGRESS", "CONNECTED", "ATTEMPTED_TO_CONTACT")[
                    int(rng.random() * 3)
                ]
        last_change = min(at, clock.end)
        if owner is not None and rng.random() < channel.deal_rate * 1.5:
            deal_at = at + int(rng.expovariate(1 / (14 * DAY))) + HOUR
            if deal_at < clock.end:
                stage = "opportunity"
                lead_status = "OPEN_DEAL"
                properties["hs_lifecyclestage_opportunity_date"] = clock.hubspot(deal_at)
                won_at = self.add_deal(contact_id, company_id, owner, channel, deal_at)
                last_change = deal_at
                if won_at is not None:
                    stage = "customer"
                    properties["hs_lifecyclestage_customer_date"] = clock.hubspot(won_at)
                    last_change = won_at
        elif stage == "lead" and rng.random() < 0.3:
            lead_status = ("UNQUALIFIED", "BAD_TIMING")[int(rng.random() * 2)]
        properties["lifecyclestage"] = stage
        properties["hs_lead_status"] = lead_status
        end = min(clock.end, last_change + 60 * DAY)
        if owner is not None:
            self.add_engagements(
                owner, created_at, end, contact_id, company_id, None, 2.0 if by_sales else 1.0
            )
        return last_change + int(rng.random() * (clock.end - last_change) * 0.3)

    def add_deal(
        self,
        contact_id: str,
        company_id: str | None,
        owner: Person,
        channel: catalog.HubSpotChannel,
        created_at: int,
    ) -> int | None:
        """Add a deal for a contact; return when it was won, or None."""
        rng, clock = self.rng, self.clock
        deal_id = self.ids["deals"].next()
        win_rate = 0.4 if channel.family in ("referral", "dormant") else 0.27
        outcome = rng.random()
        steps = 1 + int(rng.random() * len(catalog.HUBSPOT_OPEN_STAGES))
        at = created_at
        stage = catalog.HUBSPOT_OPEN_STAGES[0]
        for next_stage in catalog.HUBSPOT_OPEN_STAGES[1:steps]:
            step_at = at + int(rng.expovariate(1 / (10 * DAY))) + HOUR
            if step_at > clock.end:
                break
            stage, at = next_stage, step_at
        close_at = at + int(rng.expovariate(1 / (15 * DAY))) + HOUR
        closed = outcome < win_rate + 0.45 and close_at <= clock.end
        won = closed and outcome < win_rate
        if closed:
            stage = "closedwon" if won else "closedlost"
            at = close_at
        else:
            close_at = at + int((20 + rng.random() * 90) * DAY)
        properties = dict(_EMPTY_DEAL)
        amount = catalog.AMOUNT_MIN * math.exp(rng.random() * _AMOUNT_LOG_SPAN)
        lost_reason = None
        if closed and not won:
            lost_reason = (
                catalog.HUBSPOT_LOST_REASONS[int(rng.random() * len(catalog.HUBSPOT_LOST_REASONS))]
                or None
            )
        modified_at = at
        properties.update(
            {
                "dealname": f"{DEAL_KINDS[int(rng.random() * 3)]} {deal_id[-4:]}",
                "amount": str(int(amount) // 100_000 * 100_000),
                "deal_currency_code": "JPY",
                "dealstage": stage,
                "pipeline": "default",
                "dealtype": "newbusiness" if rng.random() < 0.85 else "existingbusiness",
                "closedate": clock.hubspot(close_at),
                "closed_lost_reason": lost_reason,
                "hs_next_step": None
                if closed
                else (catalog.NEXT_STEPS[int(rng.random() * len(catalog.NEXT_STEPS))] or None),
                "hs_is_closed": _flag(closed),
                "hs_is_closed_won": _flag(won),
                "hubspot_owner_id": owner.hubspot_owner_id,
                "hs_created_by_user_id": str(owner.hubspot_user_id),
                "createdate": clock.hubspot(created_at),
                "hs_lastmodifieddate": clock.hubspot(modified_at),
                "hs_object_id": deal_id,
            }
        )
        self.records["deals"].append(
            {
                "id": deal_id,
                "properties": properties,
                "createdAt": properties["createdate"],
                "updatedAt": properties["hs_lastmodifieddate"],
                "archived": False,
            }
        )
        self.associations.append(Association("deals", deal_id, "contacts", contact_id))
        if company_id is not None:
            self.associations.append(Association("deals", deal_id, "companies", company_id))
        # Deals link to contacts many-to-many: a colleague at the same company joins some deals.
        colleagues = self.company_contacts.get(company_id, [])
        if colleagues and rng.random() < 0.25:
            colleague = colleagues[int(rng.random() * len(colleagues))]
            self.associations.append(Association("deals", deal_id, "contacts", colleague))
        self.add_engagements(
            owner, created_at, min(clock.end, at + 7 * DAY), contact_id, company_id, deal_id, 1.5
        )
        return close_at if won else None

    # -- engagements ----------------------------------------------------------------------

    def add_engagements(
        self,
        owner: Person,
        start: int,
        end: int,
        contact_id: str,
        company_id: str | None,
        deal_id: str | None,
        mean_count: float,
    ) -> None:
        rng, clock = self.rng, self.clock
        if end <= start:
            return
        for _ in range(int(rng.random() * mean_count * 2 + 0.5)):
            at = clock.office_time(start + int(rng.random() * (end - start)), rng.random(), start)
            draw = rng.random()
            if draw < 0.45:
                object_type = "calls"
                duration = (
                    None if rng.random() < 0.2 else str((30 + int(rng.expovariate(1 / 300))) * 1000)
                )
                properties = {
                    "hs_call_direction": "OUTBOUND" if rng.random() < 0.85 else "INBOUND",
                    "hs_call_duration": duration,
                    "hs_call_status": "COMPLETED"
                    if duration
                    else ("NO_ANSWER", "BUSY", "COMPLETED")[int(rng.random() * 3)],
                }
            elif draw < 0.65:
                object_type = "meetings"
                at = at - at % 1800
                minutes = (30, 60, 90)[int(rng.random() * 3)]
                properties = {
                    "hs_meeting_start_time": clock.hubspot(at),
                    "hs_meeting_end_time": clock.hubspot(at + minutes * 60),
                    "hs_meeting_outcome": "COMPLETED" if rng.random() < 0.8 else "NO_SHOW",
                }
            elif draw < 0.9:
                object_type = "emails"
                properties = {
                    "hs_email_direction": "EMAIL" if rng.random() < 0.8 else "INCOMING_EMAIL",
                    "hs_email_status": "SENT",
                }
            else:
                object_type = "tasks"
                properties = {
                    "hs_task_type": ("CALL", "EMAIL", "TODO")[int(rng.random() * 3)],
                    "hs_task_status": "COMPLETED" if rng.random() < 0.7 else "NOT_STARTED",
                    "hs_task_subject": ("フォロー電話", "資料送付", "提案書作成")[
                        int(rng.random() * 3)
                    ],
                }
            engagement_id = self.ids[object_type].next()
            stamp = clock.hubspot(at)
            properties.update(
                {
                    "hs_timestamp": stamp,
                    "hubspot_owner_id": owner.hubspot_owner_id,
                    "hs_createdate": stamp,
                    "hs_lastmodifieddate": stamp,
                    "hs_object_id": engagement_id,
                }
            )
            self.records[object_type].append(
                {
                    "id": engagement_id,
                    "properties": properties,
                    "createdAt": stamp,
                    "updatedAt": stamp,
                    "archived": False,
                }
            )
            self.associations.append(
                Association(object_type, engagement_id, "contacts", contact_id)
            )
            if company_id is not None:
                self.associations.append(
                    Association(object_type, engagement_id, "companies", company_id)
                )
            if deal_id is not None:
                self.associations.append(Association(object_type, engagement_id, "deals", deal_id))
