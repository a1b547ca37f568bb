"""Identity resolution: one person across CRMs and duplicate records.

Two first-touch records are the same person when their normalized emails are equal, or when
their account's domain and normalized full name are equal; the relation is transitive, so a
chain of such matches is one person. Normalizing folds case, full-width characters (NFKC)
and whitespace. Records without an account are matched by email only: an email's domain is
not used, because people with the same name at one mail domain are often different people.

Clusters are found by label propagation: each record starts with its rank by creation time
and repeatedly takes the smallest label among records sharing a key, so every person's label
is the rank of its earliest record, whose id becomes the ``person_id``. Only records that
share a key with another record take part; every other record is a person of its own.
"""

from __future__ import annotations

import logging

import polars as pl

from sgl.frames import join_columns, spread
from transforms.distinct import map_distinct, repeated
from transforms.rules import BLANKS

logger = logging.getLogger(__name__)

MAX_ROUNDS = 50


def normalize_key(expr: pl.Expr) -> pl.Expr:
    """Fold case, width and whitespace; an empty result is null."""
    # ``replace`` nulls empty results without evaluating the fold twice, as when/then would.
    return expr.cast(pl.Utf8).str.normalize("NFKC").str.to_lowercase().str.replace_all(
        BLANKS, "").replace("", None)


def normalize_domain(expr: pl.Expr) -> pl.Expr:
    """Reduce a website or domain to its host name without ``www.``."""
    return host_name(normalize_key(expr))


def host_name(folded: pl.Expr) -> pl.Expr:
    """Reduce folded website text to its host name without ``www.``; null without a dot."""
    host = (
        folded
        .str.replace(r"^[a-z][a-z0-9+.-]*://", "")
        .str.replace(r"[/?#:].*$", "")
        .str.replace(r"^www\.", "")
    )
    return host.str.extract(r"^(.*\..*)$", 1)


def resolve_persons(leads: pl.DataFrame, accounts: pl.DataFrame | None = None) -> pl.DataFrame:
    """Assign a ``person_id`` to every first-touch record.

    ``leads`` needs ``source``, ``source_id``, ``created_at``, ``email``, ``full_name`` and
    ``account_id``; ``accounts`` needs ``source``, ``source_id`` and ``domain``. Returns one
    row per lead, in the order of ``leads``: ``source``, ``source_id``, ``person_id``,
    ``email_key``, ``name_key``, ``domain``, ``is_first_touch`` (the person's earliest
    record), ``rank`` (the record's position by creation time, then source and id) and
    ``label`` (the rank of the person's earliest record, an integer twin of ``person_id``).
    """
    keyed = _keys(leads, accounts).with_columns(creation_rank(leads).alias("rank"))
    label = _labels(keyed)
    own_key = keyed.get_column("source") + ":" + keyed.get_column("source_id")
    return keyed.with_columns(
        label.alias("label"),
        _person_ids(own_key, keyed.get_column("rank"), label).alias("person_id"),
        (label == keyed.get_column("rank")).alias("is_first_touch"),
    ).select("source", "source_id", "person_id", "email_key", "name_key", "domain",
             "is_first_touch", "rank", "label")


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
    """Fold like :func:`normalize_key`, running the costly steps only where they change text.

    A value made only of printable ASCII without upper-case letters is already folded, so
    only the other values go through NFKC, lower-casing and whitespace removal, and each
    distinct value only once. Emails and names fold several times faster this way.
    """
    text = values.cast(pl.Utf8)
    unfolded = text.str.contains(r"[^!-@\[-~]").fill_null(value=False)
    count = unfolded.sum()
    if count > text.len() // 4:
        folded = map_distinct(text, _fold_all)
    elif count:
        positions = unfolded.arg_true()
        folded = text.scatter(positions, map_distinct(text.gather(positions), _fold_all))
    else:
        folded = text
    return folded.replace("", None).alias(values.name)


def _fold_all(text: pl.Series) -> pl.Series:
    return text.str.normalize("NFKC").str.to_lowercase().str.replace_all(BLANKS, "")


def creation_rank(leads: pl.DataFrame) -> pl.Series:
    """Rank records by ``created_at``, then ``source`` and ``source_id``; nulls sort last.

    Returns an Int64 series aligned with ``leads``. Sorting on the timestamp alone is several
    times faster than on all three columns, so only runs of equal timestamps are re-sorted
    by source and id.
    """
    order = leads.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"), "created_at"
                         ).sort("created_at", nulls_last=True, maintain_order=True)
    rows = order.get_column("_row")
    created = order.get_column("created_at")
    tied = (created.eq_missing(created.shift(1)) | created.eq_missing(created.shift(-1)))
    if tied.any():
        # Tied rows form contiguous runs in timestamp order, and sorting them on all three
        # columns keeps the runs in that order, so they can go back to the same positions.
        positions = tied.arg_true()
        tied_rows = rows.gather(positions)
        resorted = (leads.select("created_at", "source", "source_id")
                    .select(pl.all().gather(tied_rows), tied_rows.alias("_row"))
                    .sort("created_at", "source", "source_id", nulls_last=True))
        rows = rows.scatter(positions, resorted.get_column("_row"))
    rank = pl.zeros(rows.len(), dtype=pl.Int64, eager=True)
    return rank.scatter(rows, pl.int_range(rows.len(), dtype=pl.Int64, eager=True))


def _keys(leads: pl.DataFrame, accounts: pl.DataFrame | None) -> pl.DataFrame:
    frame = leads.select("source", "source_id", "account_id",
                         fold_series(leads.get_column("email")).alias("email_key"))
    if accounts is not None and accounts.height:
        folded = fold_series(accounts.get_column("domain")).alias("domain")
        domains = accounts.select(
            "source", pl.col("source_id").alias("account_id"),
            host_name(pl.lit(folded)).alias("domain"),
        ).filter(pl.col("domain").is_not_null()).unique(subset=["source", "account_id"],
                                                        keep="first")
        # The persons keep the leads' own id columns, not copies made by a join.
        frame = join_columns(frame, domains, on=["source", "account_id"])
    else:
        frame = frame.with_columns(pl.lit(None, dtype=pl.Utf8).alias("domain"))
    # A name only matters beside a domain, and folding names is costly, so only those fold.
    with_domain = frame.get_column("domain").is_not_null()
    names = leads.get_column("full_name").cast(pl.Utf8)
    if with_domain.all():
        name_key = fold_series(names)
    elif with_domain.any():
        positions = with_domain.arg_true()
        name_key = spread(fold_series(names.gather(positions)), positions, names.len())
    else:
        name_key = pl.repeat(None, names.len(), dtype=pl.Utf8, eager=True)
    return frame.with_columns(name_key.alias("name_key"))


def _labels(keyed: pl.DataFrame) -> pl.Series:
    """Return each record's label: the smallest rank among records linked to it."""
    rank = keyed.get_column("rank")
    has_name = pl.col("domain").is_not_null() & pl.col("name_key").is_not_null()
    coded = keyed.select(
        "rank",
        pl.when(pl.col("email_key").is_not_null()).then(pl.col("email_key").hash())
        .alias("_email_code"),
        pl.when(has_name).then(pl.struct("domain", "name_key").hash()).alias("_name_code"),
    )
    # Only records sharing a key with another record can take a smaller label. Hashes find
    # them cheaply; a collision only adds a record to the candidates, never a link.
    candidates = (repeated(coded.get_column("_email_code"))
                  | repeated(coded.get_column("_name_code")))
    if not candidates.any():
        return rank.alias("label")
    positions = candidates.arg_true()
    # The keys themselves are gathered for the candidates only. The domain and name stay a
    # pair, as they were hashed, so no text joined from them can match another pair's.
    keys = keyed.select(pl.col("email_key", "domain", "name_key").gather(positions))
    linked = coded.filter(candidates).hstack(keys.select(
        pl.col("email_key").alias("_email"),
        pl.when(has_name).then(pl.struct("domain", "name_key")).alias("_name")))
    for key in ("_email", "_name"):
        # The hash replaces the key only when no two distinct keys share a hash.
        values = linked.get_column(key)
        if linked.get_column(f"{key}_code").n_unique() != values.n_unique():
            linked = linked.with_columns(values.alias(f"{key}_code"))
    linked = linked.select("rank", pl.col("rank").alias("label"),
                           pl.col("_email_code").alias("_email"),
                           pl.col("_name_code").alias("_name"))
    return rank.scatter(positions, _propagate(linked)).alias("label")


def _person_ids(own_key: pl.Series, rank: pl.Series, label: pl.Series) -> pl.Series:
    moved = (label != rank).arg_true()
    if moved.len() == 0:
        return own_key
    first_key = pl.DataFrame({"label": rank, "person_id": own_key}).join(
        label.gather(moved).to_frame("label"), on="label", how="semi")
    wanted = label.gather(moved).to_frame("label").join(
        first_key, on="label", how="left", maintain_order="left")
    return own_key.scatter(moved, wanted.get_column("person_id"))


def _propagate(frame: pl.DataFrame) -> pl.Series:
    keys = [key for key in ("_email", "_name")
            if frame.get_column(key).null_count() < frame.height]
    for round_number in range(1, MAX_ROUNDS + 1):
        updated = frame
        for key in keys:
            updated = updated.with_columns(
                pl.when(pl.col(key).is_not_null()).then(pl.col("label").min().over(key))
                .otherwise(pl.col("label")).alias("label"))
        changed = (updated["label"] != frame["label"]).sum()
        frame = updated
        # With a single kind of key one pass settles every label.
        if changed == 0 or len(keys) < 2:
            logger.debug("identity labels settled after %d rounds", round_number)
            return frame.get_column("label")
    # NOTE: only a chain of more than MAX_ROUNDS alternating matches can get here.
    logger.warning("identity labels still changing after %d rounds; the remaining links "
                   "are left unmerged", MAX_ROUNDS)
    return frame.get_column("label")
