"""Associations of one page of records, read through the v4 batch endpoint.

Rows have the columns of the warehouse's ``associations`` table. An association with
several types (HubSpot lists the unlabeled type and, for the main company of a contact or
deal, ``Primary``) gives one row per type, with the type's label or an empty label.

The rows of a page are the complete associations of its records to the listed object types,
so a sink that stores them should replace the stored rows of those records and types.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from connectors.base import Record
from connectors.hubspot.client import HubSpotClient
from connectors.retry import CallContext

ASSOCIATION_BATCH_LIMIT = 1_000  # ids per v4 batch read since HubSpot's February 2025 change
NO_ASSOCIATIONS = "crm.associations.NO_ASSOCIATIONS_FOUND"


def read_associations(client: HubSpotClient, from_type: str, to_types: Sequence[str],
                      ids: Sequence[str], context: Callable[[str], CallContext],
                      source: str = "hubspot") -> list[Record]:
    """Return association rows from ``from_type`` records ``ids`` to each of ``to_types``."""
    rows: list[Record] = []
    for to_type in to_types:
        for start in range(0, len(ids), ASSOCIATION_BATCH_LIMIT):
            chunk = ids[start:start + ASSOCIATION_BATCH_LIMIT]
            response = client.associations(from_type, to_type, chunk,
                                           context(f"associations to {to_type}"))
            rows += _rows(response, source, from_type, to_type)
    return rows


def _rows(response: dict[str, Any], source: str, from_type: str, to_type: str
          ) -> list[Record]:
    rows = []
    for result in response.get("results") or []:
        from_id = str(result["from"]["id"])
        for target in result.get("to") or []:
            labels = {association_type.get("label") or ""
                      for association_type in target.get("associationTypes") or [{}]}
            rows += [{"source": source, "from_object": from_type, "from_id": from_id,
                      "to_object": to_type, "to_id": str(target["toObjectId"]),
                      "label": label} for label in sorted(labels)]
    return rows
