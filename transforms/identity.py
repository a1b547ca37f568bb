"""Identity resolution: one person across CRMs and duplicate records.

Two first-touch records are the same person when their normalized emails are equal, or when
their account's domain and normalized full name are equal; the relation is transitive, so a
chain of such matches is one person. Normalizing folds case, full-width characters (NFKC)
and whitespace. Records without an account are matched by email only: an email's domain is
not used, because people with the same name at one mail domain are often different people.

Clusters are found by label propagation: each record starts with its rank by creation time
and repeatedly takes the smallest label among records sharing a key, so every person's label
is the rank of its earliest record, whose id becomes the ``person_id``.
"""

from __future__ import annotations

import logging

import polars as pl

logger = logging.getLogger(__name__)

MAX_ROUNDS = 50


def normalize_key(expr: pl.Expr) -> pl.Expr:
    """Fold case, width and whitespace; an empty result is null."""
    folded = expr.cast(pl.Utf8).str.normalize("NFKC").str.to_lowercase().str.replace_all(
        r"\s+", "")
    return pl.when(folded.str.len_bytes() > 0).then(folded).otherwise(None)


def normalize_domain(expr: pl.Expr) -> pl.Expr:
    """Reduce a website or domain to its host name without ``www.``."""
    host = (
        normalize_key(expr)
        .str.replace(r"^[a-z][a-z0-9+.-]*://", "")
        .str.replace(r"[/?#:].*$", "")
        .str.replace(r"^www\.", "")
    )
    return pl.when(host.str.contains(r"\.")).then(host).otherwise(None)


def resolve_persons(leads: pl.DataFrame, accounts: pl.DataFrame | None = None) -> pl.DataFrame:
    """Assign a ``person_id`` to every first-touch record.

    ``leads`` needs ``source``, ``source_id``, ``created_at``, ``email``, ``full_name`` and
    ``account_id``; ``accounts`` needs ``source``, ``source_id`` and ``domain``. Returns one
    row per lead: ``source``, ``source_id``, ``person_id``, ``email_key``, ``name_key``,
    ``domain`` and ``is_first_touch`` (the person's earliest record).
    """
    keyed = _keys(leads, accounts)
    labels = _propagate(keyed)
    first = (
        labels.filter(pl.col("label") == pl.col("rank"))
        .select("label", (pl.col("source") + ":" + pl.col("source_id")).alias("person_id"))
    )
    return (
        labels.join(first, on="label", how="left")
        .with_columns((pl.col("label") == pl.col("rank")).alias("is_first_touch"))
        .select("source", "source_id", "person_id", "email_key", "name_key", "domain",
                "is_first_touch")
    )


def persons_table(resolved: pl.DataFrame, updated_at: pl.Expr | None = None) -> pl.DataFrame:
    """Build the ``persons`` table rows from :func:`resolve_persons` output."""
    first = resolved.filter(pl.col("is_first_touch"))
    return first.select(
        "person_id",
        pl.col("email_key"),
        pl.col("name_key"),
        pl.col("domain"),
        pl.col("source").alias("first_source"),
        pl.col("source_id").alias("first_source_id"),
        *([updated_at.alias("updated_at")] if updated_at is not None else []),
    ).sort("person_id")


def _keys(leads: pl.DataFrame, accounts: pl.DataFrame | None) -> pl.DataFrame:
    frame = leads.select(
        "source", "source_id", "created_at",
        normalize_key(pl.col("email")).alias("email_key"),
        normalize_key(pl.col("full_name")).alias("name_key"),
        pl.col("account_id"),
    )
    if accounts is not None and accounts.height:
        domains = accounts.select(
            "source", pl.col("source_id").alias("account_id"),
            normalize_domain(pl.col("domain")).alias("domain"),
        ).unique(subset=["source", "account_id"], keep="first")
        frame = frame.join(domains, on=["source", "account_id"], how="left")
    else:
        frame = frame.with_columns(pl.lit(None, dtype=pl.Utf8).alias("domain"))
    # Rank by creation, then by id, so the earliest record names the person deterministically.
    return frame.sort(["created_at", "source", "source_id"], nulls_last=True).with_row_index(
        "rank").with_columns(pl.col("rank").cast(pl.Int64), pl.col("rank").cast(pl.Int64)
                             .alias("label"))


def _propagate(frame: pl.DataFrame) -> pl.DataFrame:
    has_email = pl.col("email_key").is_not_null()
    has_name = pl.col("domain").is_not_null() & pl.col("name_key").is_not_null()
    for round_number in range(1, MAX_ROUNDS + 1):
        updated = frame.with_columns(
            pl.when(has_email).then(pl.col("label").min().over("email_key"))
            .otherwise(pl.col("label")).alias("label")
        ).with_columns(
            pl.when(has_name).then(pl.col("label").min().over("domain", "name_key"))
            .otherwise(pl.col("label")).alias("label")
        )
        changed = (updated["label"] != frame["label"]).sum()
        frame = updated
        if changed == 0:
            logger.debug("identity labels settled after %d rounds", round_number)
            return frame
    # NOTE: only a chain of more than MAX_ROUNDS alternating matches can get here.
    logger.warning("identity labels still changing after %d rounds; the remaining links "
                   "are left unmerged", MAX_ROUNDS)
    return frame
