"""Facts computed after a pull from several canonical tables: frames in, frame out.

History, conversions and contact roles arrive in other objects' pages than the records they
describe, so these run over the warehouse once the pull has finished:

- :func:`owner_at_creation`: a lead's first owner, from its earliest LeadHistory owner change;
- :func:`qualified_at`: the SQL date of a lead (the earliest qualifying event);
- :func:`opportunity_links`: an opportunity's lead (the lead converted into it) and its contact;
- :func:`first_touch_contacts`: which Contacts are first touches (not made by a conversion).

Every function returns ``source_id`` with the derived columns, for the rows it can compute.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

# Salesforce user (005) or queue (00G) ids, 15 or 18 characters. LeadHistory writes two rows
# per owner change, one with the owners' names and one with their ids; only the second fits.
_OWNER_ID = r"^(005|00G)[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$"
OWNER_FIELDS = ("Owner", "OwnerId")
STATUS_FIELD = "Status"


def owner_at_creation(leads: pl.DataFrame, history: pl.DataFrame) -> pl.DataFrame:
    """Return ``source_id, owner_at_creation`` for every lead.

    The owner at creation is the old value of the lead's earliest owner change when history
    recorded one, else the current owner (history may start after the lead was created).

    >>> leads = pl.DataFrame({"source_id": ["00Q1", "00Q2"], "owner_id": ["005B", "005C"]})
    >>> history = pl.DataFrame({
    ...     "record_id": ["00Q1", "00Q1"], "field": ["Owner", "Owner"],
    ...     "old_value": ["Aiko Sato", "005A00000000001"], "new_value": ["Ben", "005B"],
    ...     "changed_at": [1, 1]})
    >>> owner_at_creation(leads, history).rows()
    [('00Q1', '005A00000000001'), ('00Q2', '005C')]
    """
    changes = (
        history.filter(pl.col("field").is_in(OWNER_FIELDS)
                       & pl.col("old_value").str.contains(_OWNER_ID))
        .sort("changed_at", "record_id")
        .group_by("record_id", maintain_order=True)
        .agg(pl.col("old_value").first().alias("first_owner"))
    )
    return (
        leads.select("source_id", "owner_id")
        .join(changes, left_on="source_id", right_on="record_id", how="left")
        .select("source_id",
                pl.coalesce("first_owner", "owner_id").alias("owner_at_creation"))
    )


def qualified_at(leads: pl.DataFrame, history: pl.DataFrame, opportunities: pl.DataFrame,
                 statuses: Sequence[str]) -> pl.DataFrame:
    """Return ``source_id, qualified_at`` for every lead: the earliest qualifying event.

    The events are entering one of ``statuses`` (LeadHistory Status changes), the lead's
    conversion (``converted_at``) and the creation of the opportunity it was converted into.
    A lead with none of them has a null ``qualified_at``. An opportunity older than its lead
    (a lead converted into an existing deal) still counts, as data-quality checks expect.

    ``leads``: source_id, converted_at, opportunity_id. ``history``: record_id, field,
    new_value, changed_at. ``opportunities``: source_id, created_at.
    """
    entered = (
        history.filter((pl.col("field") == STATUS_FIELD)
                       & pl.col("new_value").is_in(list(statuses)))
        .group_by("record_id")
        .agg(pl.col("changed_at").min().alias("status_at"))
    )
    opportunity_created = opportunities.select(
        pl.col("source_id").alias("opportunity_id"),
        pl.col("created_at").alias("opportunity_at"))
    return (
        leads.select("source_id", "converted_at", "opportunity_id")
        .join(entered, left_on="source_id", right_on="record_id", how="left")
        .join(opportunity_created, on="opportunity_id", how="left")
        .select("source_id",
                pl.min_horizontal("status_at", "converted_at", "opportunity_at")
                .alias("qualified_at"))
    )


def opportunity_links(opportunities: pl.DataFrame, leads: pl.DataFrame) -> pl.DataFrame:
    """Return ``source_id, lead_id, contact_id`` for every opportunity.

    ``lead_id`` is the lead converted into the opportunity (the earliest created when several
    were). ``contact_id`` keeps the primary contact role already stored, else the
    opportunity's own ``ContactId`` from its raw record.

    ``opportunities``: source_id, contact_id, raw. ``leads``: source_id, opportunity_id,
    created_at (Leads only, not Contacts).
    """
    converted = (
        leads.filter(pl.col("opportunity_id").is_not_null())
        .sort("created_at", "source_id", nulls_last=True)
        .group_by("opportunity_id", maintain_order=True)
        .agg(pl.col("source_id").first().alias("lead_id"))
    )
    own_contact = pl.col("raw").str.json_path_match("$.ContactId")
    return (
        opportunities.select("source_id", "contact_id", "raw")
        .join(converted, left_on="source_id", right_on="opportunity_id", how="left")
        .select("source_id", "lead_id",
                pl.coalesce("contact_id", own_contact).alias("contact_id"))
    )


def first_touch_contacts(contacts: pl.DataFrame, converted_contact_ids: pl.Series
                         ) -> pl.DataFrame:
    """Drop the Contact rows that a lead conversion created (their lead is the first touch)."""
    return contacts.filter(~pl.col("source_id").is_in(converted_contact_ids.implode()))


def changed_rows(current: pl.DataFrame, derived: pl.DataFrame, columns: Sequence[str]
                 ) -> pl.DataFrame:
    """Return the rows of ``derived`` whose ``columns`` differ from ``current`` (by source_id)."""
    joined = derived.join(current.select("source_id", *columns), on="source_id", how="left",
                          suffix="_stored")
    differs = pl.any_horizontal(
        [pl.col(name).ne_missing(pl.col(f"{name}_stored")) for name in columns])
    return joined.filter(differs).select(derived.columns)
