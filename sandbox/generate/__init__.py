"""Seeded generator of Japanese B2B CRM data for both Salesforce and HubSpot.

``generate_world(size, seed, as_of)`` returns a :class:`~sandbox.world.World` with ``size``
Salesforce leads created in the ``months`` calendar months up to ``as_of``. It also contains
everything that follows from them: users and owners, accounts and companies, conversions into
contacts and opportunities, field history, activities, HubSpot contacts, deals, engagements
and associations. The same arguments always give the same world.

Worlds of a million leads do not fit comfortably in memory as Python dicts (roughly 1.5 KB
per record), so ``iter_world`` yields the same world in parts: the organisation first, then
one part per ``CHUNK_LEADS`` leads. Each part is generated from its own seeded random
stream and owns its own id block, so parts never share an id, and
``World.extend`` concatenates them into exactly what ``generate_world`` returns.

Dirty data is deliberate, a few percent each: blank and re-typed lead sources, abbreviated
company names, phone numbers in several formats, legacy English status values, opportunities
older than their lead, duplicate leads, deleted records, merged and archived HubSpot contacts,
the same person in both CRMs with the email typed differently, and person-set SGL tags.
"""

from __future__ import annotations

import gc
import math
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sandbox.generate.clock import Clock
from sandbox.generate.hubspot import HubSpotChunk
from sandbox.generate.org import Org, build_org
from sandbox.generate.salesforce import SalesforceChunk
from sandbox.world import World

__all__ = ["CHUNK_LEADS", "generate_world", "iter_world"]

# Leads per generated part. Part of the world's definition: changing it changes the output.
CHUNK_LEADS = 10_000


def generate_world(
    size: int, seed: int, as_of: datetime, months: int = 24, hubspot_ratio: float = 0.6
) -> World:
    """Generate a whole world in memory.

    ``size`` is the number of Salesforce leads, and HubSpot gets ``round(size * hubspot_ratio)``
    contacts. ``as_of`` must be timezone-aware. Every timestamp lies in the ``months`` calendar
    months up to it, except planned close dates and scheduled meetings.
    """
    world = World(as_of=Clock(as_of, months).as_of)
    for part in iter_world(size, seed, as_of, months, hubspot_ratio):
        world.extend(part)
    return world


def iter_world(
    size: int, seed: int, as_of: datetime, months: int = 24, hubspot_ratio: float = 0.6
) -> Iterator[World]:
    """Yield the world of ``generate_world`` in parts with disjoint records.

    The first part contains the organisation: roles, profiles, users, HubSpot owners, and the
    existing accounts and companies with their early history. Each later part contains up to
    ``CHUNK_LEADS`` leads with their related records and a proportional share of HubSpot
    records. Memory use stays at the organisation plus one part.
    """
    if size < 0:
        raise ValueError(f"size must be zero or more leads, got {size}")
    if hubspot_ratio < 0:
        raise ValueError(f"hubspot_ratio must be zero or more, got {hubspot_ratio}")
    clock = Clock(as_of, months)
    org = build_org(random.Random(f"sgl-sandbox/{seed}/org"), clock, size, CHUNK_LEADS)
    yield _org_part(org)

    for chunk in range(math.ceil(size / CHUNK_LEADS)):
        first = chunk * CHUNK_LEADS
        count = min(CHUNK_LEADS, size - first)
        hubspot_count = round((first + count) * hubspot_ratio) - round(first * hubspot_ratio)
        with _cyclic_gc_paused():
            salesforce = SalesforceChunk(
                random.Random(f"sgl-sandbox/{seed}/salesforce/{chunk}"), org, chunk, first, count
            )
            salesforce_records = salesforce.build()
            hubspot = HubSpotChunk(
                random.Random(f"sgl-sandbox/{seed}/hubspot/{chunk}"),
                org,
                chunk,
                hubspot_count,
                salesforce.people,
            )
            hubspot_records, associations = hubspot.build()
        yield World(
            as_of=clock.as_of,
            salesforce=salesforce_records,
            hubspot=hubspot_records,
            hubspot_associations=associations,
        )


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a part is built.

    A part allocates hundreds of thousands of dicts that form no reference cycles, and the
    collector would otherwise rescan them repeatedly (about a third of the run time).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _org_part(org: Org) -> World:
    return World(
        as_of=org.clock.as_of,
        salesforce=org.salesforce,
        hubspot=org.hubspot,
        hubspot_owners=org.hubspot_owners,
    )
