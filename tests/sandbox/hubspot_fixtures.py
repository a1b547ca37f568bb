"""A small HubSpot world, the sandbox server around it and a hubspot-api-client aimed at it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hubspot import HubSpot

from sandbox.faults import FaultPlan
from sandbox.hubspot import DEFAULT_TOKEN, HubSpotApi
from sandbox.hubspot.columns import format_ms
from sandbox.request_log import RequestLog
from sandbox.server import SandboxServer
from sandbox.tls import generate_certificates
from sandbox.world import Association, World

AS_OF = datetime(2025, 4, 1, tzinfo=UTC)
START_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
SOURCES = ("OFFLINE", "ORGANIC_SEARCH", "REFERRALS", "PAID_SEARCH", "DIRECT_TRAFFIC")


def make_world(contacts: int = 250, companies: int = 20, deals: int = 40) -> World:
    """Build a deterministic world: ids ascend with creation, every 7th contact is newer."""
    def stamp(index: int, minutes: int) -> str:
        return format_ms(START_MS + index * 60_000 + minutes * 60_000)

    contact_rows = [
        {"id": str(1000 + i), "properties": {
            "email": f"person{i}@example.jp", "firstname": "Taro", "lastname": f"Yamada{i}",
            "lifecyclestage": "lead" if i % 3 else "customer",
            "hs_analytics_source": SOURCES[i % len(SOURCES)],
            "hubspot_owner_id": "71" if i % 2 else "72",
            "createdate": stamp(i, 0),
            # Modification order differs from id order, so a test can distinguish paging
            # by id from searching by last-modified date.
            "lastmodifieddate": stamp(contacts - i if i % 7 == 0 else i, 30),
            "hs_object_id": str(1000 + i)},
         "createdAt": stamp(i, 0), "updatedAt": stamp(i, 30), "archived": False}
        for i in range(contacts)
    ]
    company_rows = [
        {"id": str(5000 + i), "properties": {
            "name": f"Company {i}", "domain": f"company{i}.co.jp", "createdate": stamp(i, 0),
            "hs_lastmodifieddate": stamp(i, 5), "hs_object_id": str(5000 + i)}}
        for i in range(companies)
    ]
    deal_rows = [
        {"id": str(9000 + i), "properties": {
            "dealname": f"Deal {i}", "amount": str(100_000 * (i + 1)), "dealstage": "closedwon",
            "pipeline": "default", "closedate": stamp(i, 600), "createdate": stamp(i, 0),
            "hs_lastmodifieddate": stamp(i, 10), "hs_object_id": str(9000 + i)}}
        for i in range(deals)
    ]
    calls = [{"id": str(30000 + i), "properties": {
        "hs_timestamp": stamp(i, 20), "hs_call_direction": "OUTBOUND", "hs_call_duration": "60000",
        "hubspot_owner_id": "71", "hs_createdate": stamp(i, 20),
        "hs_lastmodifieddate": stamp(i, 21)}} for i in range(10)]
    associations = [Association("contacts", str(1000 + i), "companies", str(5000 + i % companies),
                                "Primary") for i in range(contacts)]
    associations += [Association("deals", str(9000 + i), "contacts", str(1000 + i))
                     for i in range(deals)]
    associations += [Association("calls", str(30000 + i), "contacts", str(1000 + i))
                     for i in range(10)]
    owners = [
        {"id": str(owner_id), "email": f"rep{owner_id}@example.jp", "firstName": "Rep",
         "lastName": str(owner_id), "userId": 800 + owner_id, "createdAt": stamp(0, 0),
         "updatedAt": stamp(0, 0), "archived": owner_id == 73,
         "teams": [{"id": "1", "name": "Inside Sales", "primary": True}]}
        for owner_id in (71, 72, 73)
    ]
    return World(as_of=AS_OF,
                 hubspot={"contacts": contact_rows, "companies": company_rows,
                          "deals": deal_rows, "calls": calls},
                 hubspot_owners=owners, hubspot_associations=associations)


@dataclass
class RunningSandbox:
    """A sandbox server serving one HubSpotApi over HTTPS."""

    url: str
    ca_file: Path
    api: HubSpotApi
    faults: FaultPlan
    log: RequestLog

    def client(self, token: str = DEFAULT_TOKEN, *, trust_ca: bool = True,
               **options: Any) -> HubSpot:
        """Return an unmodified hubspot-api-client aimed at the sandbox."""
        options["host"] = self.url
        if trust_ca:
            options["ssl_ca_cert"] = str(self.ca_file)
        return HubSpot(access_token=token, **options)


@contextmanager
def running_sandbox(world: World, faults: FaultPlan | None = None) -> Iterator[RunningSandbox]:
    """Serve ``world`` through HubSpotApi on 127.0.0.1 until the block ends."""
    plan = faults or FaultPlan()
    api = HubSpotApi(world, plan)
    certificates = generate_certificates()
    log = RequestLog()
    server = SandboxServer([api], plan, log, certificates)
    server.start()
    try:
        yield RunningSandbox(server.url, certificates.ca_file, api, plan, log)
    finally:
        server.stop()
        certificates.remove()
