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
    ``domain``, ``is_first_touch`` (the person's earliest record), ``rank`` (the
    record's position by creation time, then source and id) and ``label`` (the rank of
    the person's earliest record, an integer twin of ``person_id``).
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
                "is_first_touch", "rank", "label")
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


def fold_series(values: pl.Series) -> pl.Series:
    """Fold like :func:`normalize_key`, running NFKC only on values that are not ASCII.

    NFKC leaves ASCII text unchanged, and it is the costly step, so mostly-ASCII columns
    such as emails fold several times faster this way.
    """
    text = values.cast(pl.Utf8)
    folded = text.str.to_lowercase().str.replace_all(r"\s+", "")
    wide = text.str.contains(r"[^\x00-\x7F]").fill_null(value=False).arg_true()
    if wide.len():
        folded = folded.scatter(wide, text.gather(wide).to_frame("value").select(
            normalize_key(pl.col("value"))).to_series())
    return pl.select(pl.when(folded.str.len_bytes() > 0).then(folded).otherwise(None)
                     ).to_series().alias(values.name)


def _keys(leads: pl.DataFrame, accounts: pl.DataFrame | None) -> pl.DataFrame:
    frame = leads.select(
        "source", "source_id", "created_at",
        fold_series(leads.get_column("email")).alias("email_key"),
        fold_series(leads.get_column("full_name")).alias("name_key"),
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
    # Integer codes for the keys make the repeated group minimums cheap.
    coded = frame.with_columns(
        pl.col("email_key").cast(pl.Categorical).to_physical().alias("_email"),
        pl.when(pl.col("domain").is_not_null() & pl.col("name_key").is_not_null())
        .then(pl.concat_str("domain", "name_key", separator="\x1f"))
        .otherwise(None).cast(pl.Categorical).to_physical().alias("_name"),
    )
    keys = [key for key in ("_email", "_name") if coded.get_column(key).null_count()
            < coded.height]
    for round_number in range(1, MAX_ROUNDS + 1):
        updated = coded
        for key in keys:
            updated = updated.with_columns(
                pl.when(pl.col(key).is_not_null()).then(pl.col("label").min().over(key))
                .otherwise(pl.col("label")).alias("label"))
        changed = (updated["label"] != coded["label"]).sum()
        coded = updated
        # With a single kind of key one pass settles every label.
        if changed == 0 or len(keys) < 2:
            logger.debug("identity labels settled after %d rounds", round_number)
            return coded.drop("_email", "_name")
    # NOTE: only a chain of more than MAX_ROUNDS alternating matches can get here.
    logger.warning("identity labels still changing after %d rounds; the remaining links "
                   "are left unmerged", MAX_ROUNDS)
    return coded.drop("_email", "_name")
