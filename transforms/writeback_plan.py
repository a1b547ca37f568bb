"""The write-back plan: which CRM fields get which decision value, as pure Polars frames.

Input frames come from the warehouse; nothing here calls a CRM. The plan is computed in
three steps, each a join of whole frames:

1. :func:`record_decisions` maps ``attribution`` rows to the CRM records that receive them.
   Salesforce rejects updates of a converted lead, so its decision goes to the Contact and
   the Opportunity it became. A record's own decision wins over one handed down by its lead.
2. :func:`desired_values` spreads each decision over the configured target fields (one row
   per record and field) and drops empty decision parts, so a null is never written.
3. :func:`plan_changes` joins the values seen at the last pull and the product's last write
   per record and field, and classifies each row (see :func:`classify`).

Before each write batch the connector re-reads the fields and :func:`recheck` classifies
the rows again against the values read, so a value a person changed after the pull stays.

Ownership rule: a non-empty CRM value that differs from the product's last successful write
to that record and field is person-set and is never overwritten. Values are compared in a
canonical form: empty text is null, and datetimes are UTC with milliseconds
(``2025-03-31T16:00:00.000Z``), because Salesforce returns ``+0000`` offsets and HubSpot ``Z``.
"""

from __future__ import annotations

import polars as pl

WRITE = "write"
WRITTEN = "written"
DRY_RUN = "dry_run"
FAILED = "failed"
SKIPPED_UNCHANGED = "skipped_unchanged"
SKIPPED_PERSON_SET = "skipped_person_set"
SKIPPED_CHANGED_SINCE_PULL = "skipped_changed_since_pull"

UTC_TIMESTAMP = pl.Datetime("us", "UTC")
CRM_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S%.3fZ"
# Salesforce text fields hold at most 255 characters; HubSpot allows more.
MAX_RULE_LENGTH = 255

RECORD_KEY = ["source", "object", "source_id"]
FIELD_KEY = [*RECORD_KEY, "field"]
PARTS = ("origin", "channel", "rule", "decided_at")

TARGET_SCHEMA = {"source": pl.Utf8, "object": pl.Utf8, "part": pl.Utf8, "field": pl.Utf8,
                 "kind": pl.Utf8, "policy": pl.Utf8}
STATE_SCHEMA = {"source": pl.Utf8, "object": pl.Utf8, "source_id": pl.Utf8, "field": pl.Utf8,
                "last_written": pl.Utf8, "last_written_at": UTC_TIMESTAMP,
                "last_result": pl.Utf8, "last_before": pl.Utf8, "last_after": pl.Utf8}
PULLED_SCHEMA = {"source": pl.Utf8, "object": pl.Utf8, "source_id": pl.Utf8, "field": pl.Utf8,
                 "pulled": pl.Utf8, "pulled_known": pl.Boolean, "pulled_at": UTC_TIMESTAMP}
CURRENT_SCHEMA = {"source_id": pl.Utf8, "field": pl.Utf8, "current": pl.Utf8}
PLAN_COLUMNS = [*FIELD_KEY, "part", "kind", "policy", "after", "pulled", "pulled_known",
                "last_written", "action"]


def record_decisions(attribution: pl.DataFrame, leads: pl.DataFrame,
                     opportunities: pl.DataFrame) -> pl.DataFrame:
    """Return one decision per CRM record to write: ``source, object, source_id`` and parts.

    ``leads`` needs ``source, source_id, object, converted_at, contact_id, opportunity_id``;
    ``opportunities`` needs ``source, source_id, object``.

    >>> from datetime import datetime, UTC
    >>> attribution = pl.DataFrame({
    ...     "source": ["salesforce"], "record_kind": ["lead"], "source_id": ["00Q1"],
    ...     "origin": ["sales"], "channel": ["referral"], "origin_rule": ["r1"],
    ...     "channel_rule": ["r1"], "decided_at": [datetime(2025, 4, 1, tzinfo=UTC)]})
    >>> leads = pl.DataFrame({
    ...     "source": ["salesforce"], "source_id": ["00Q1"], "object": ["Lead"],
    ...     "converted_at": [datetime(2025, 5, 1, tzinfo=UTC)], "contact_id": ["0031"],
    ...     "opportunity_id": ["0061"]})
    >>> opportunities = pl.DataFrame(schema={"source": pl.Utf8, "source_id": pl.Utf8,
    ...                                      "object": pl.Utf8})
    >>> record_decisions(attribution, leads, opportunities).select("object", "source_id")
    shape: (2, 2)
    ┌─────────────┬───────────┐
    │ object      ┆ source_id │
    │ ---         ┆ ---       │
    │ str         ┆ str       │
    ╞═════════════╪═══════════╡
    │ Contact     ┆ 0031      │
    │ Opportunity ┆ 0061      │
    └─────────────┴───────────┘
    """
    decisions = attribution.select(
        "source", "record_kind", "source_id", "origin", "channel",
        _rule_value().alias("rule"),
        pl.col("decided_at").cast(UTC_TIMESTAMP).dt.strftime(CRM_DATETIME_FORMAT)
        .alias("decided_at"),
    )
    lead_rows = decisions.filter(pl.col("record_kind") == "lead").join(
        leads.select("source", "source_id", "object", "converted_at", "contact_id",
                     "opportunity_id"),
        on=["source", "source_id"], how="inner")
    # Only Salesforce Leads convert; a converted lead's own row is never written.
    converted = (pl.col("object") == "Lead") & (
        pl.col("converted_at").is_not_null() | pl.col("contact_id").is_not_null())
    own_leads = lead_rows.filter(~converted).select(*_DECISION_OUTPUT, priority=pl.lit(0))
    to_contacts = lead_rows.filter(converted & pl.col("contact_id").is_not_null()).select(
        *_DECISION_OUTPUT, priority=pl.lit(1)).with_columns(
        object=pl.lit("Contact"), source_id=pl.col("_contact_id"))
    to_opportunities = lead_rows.filter(
        converted & pl.col("opportunity_id").is_not_null()).select(
        *_DECISION_OUTPUT, priority=pl.lit(1)).with_columns(
        object=pl.lit("Opportunity"), source_id=pl.col("_opportunity_id"))
    own_opportunities = decisions.filter(pl.col("record_kind") == "opportunity").join(
        opportunities.select("source", "source_id", "object"),
        on=["source", "source_id"], how="inner").with_columns(
        converted_at=pl.lit(None), contact_id=pl.lit(None, pl.Utf8),
        opportunity_id=pl.lit(None, pl.Utf8)).select(*_DECISION_OUTPUT, priority=pl.lit(0))

    return (
        pl.concat([own_leads, to_contacts, to_opportunities, own_opportunities],
                  how="vertical_relaxed")
        .sort([*RECORD_KEY, "priority"])
        .unique(subset=RECORD_KEY, keep="first", maintain_order=True)
        .select(*RECORD_KEY, *PARTS)
    )


_DECISION_OUTPUT = [
    pl.col("source"), pl.col("object"), pl.col("source_id"),
    pl.col("contact_id").alias("_contact_id"), pl.col("opportunity_id").alias("_opportunity_id"),
    *(pl.col(part) for part in PARTS),
]


def _rule_value() -> pl.Expr:
    """Return the rule id, or ``origin rule / channel rule`` when the two parts differ."""
    origin_rule = pl.col("origin_rule")
    channel_rule = pl.col("channel_rule")
    combined = (pl.when(channel_rule.is_null() | (channel_rule == origin_rule))
                .then(origin_rule)
                .otherwise(pl.concat_str([origin_rule, channel_rule], separator=" / ")))
    return combined.str.slice(0, MAX_RULE_LENGTH)


def desired_values(decisions: pl.DataFrame, targets: pl.DataFrame) -> pl.DataFrame:
    """Spread decisions over target fields: one row per record and field, empty parts dropped.

    ``targets`` has ``source, object, part, field, kind, policy`` (see ``TARGET_SCHEMA``).
    Parts whose policy is ``off`` are never written.
    """
    long = decisions.unpivot(index=RECORD_KEY, on=list(PARTS), variable_name="part",
                             value_name="after")
    return (
        long.join(targets.filter(pl.col("policy") != "off"), on=["source", "object", "part"],
                  how="inner")
        .filter(pl.col("after").is_not_null() & (pl.col("after") != ""))
        .select(*FIELD_KEY, "part", "kind", "policy", "after")
    )


def pulled_values(records: pl.DataFrame, targets: pl.DataFrame) -> pl.DataFrame:
    """Read the target fields from the raw JSON of pulled records.

    ``records`` has ``source, object, source_id, raw, modified_at``. Salesforce keeps fields
    at the top of the record and HubSpot under ``properties``. ``pulled_known`` is false when
    the pull did not fetch the field at all (its key is absent from the raw record), and
    ``pulled_at`` is the record's last modification as the pull saw it.
    """
    frames = []
    for (source, object_name, field), _rows in targets.group_by(
            ["source", "object", "field"], maintain_order=True):
        path = f"$.properties.{field}" if source == "hubspot" else f"$.{field}"
        frames.append(
            records.filter((pl.col("source") == source) & (pl.col("object") == object_name))
            .select(
                "source", "object", "source_id", field=pl.lit(field),
                pulled=pl.col("raw").str.json_path_match(path),
                pulled_known=pl.col("raw").str.contains(f'"{field}":', literal=True)
                .fill_null(value=False),
                pulled_at=pl.col("modified_at").cast(UTC_TIMESTAMP),
            ))
    if not frames:
        return pl.DataFrame(schema=PULLED_SCHEMA)
    return pl.concat(frames).cast(PULLED_SCHEMA)  # type: ignore[arg-type]


def canonical(column: str) -> pl.Expr:
    """Return ``column`` in the comparable form of the module docstring (``kind`` per row)."""
    value = pl.col(column)
    text = pl.when(value == "").then(None).otherwise(value)
    moment = (
        text.str.replace(r"Z$", "+0000")
        .str.replace(r"([+-]\d\d):(\d\d)$", "${1}${2}")
        .str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", strict=False, time_zone="UTC")
        .dt.strftime(CRM_DATETIME_FORMAT)
    )
    # An unparseable datetime keeps its text, so it never looks empty and gets overwritten.
    return pl.when(pl.col("kind") == "datetime").then(pl.coalesce(moment, text)).otherwise(text)


def classify(seen: str) -> pl.Expr:
    """Classify a row by the CRM value in column ``seen``; see the ownership rule above.

    ``fill_empty`` fields are written only when empty; a value the product wrote earlier
    stays (``skipped_unchanged``).
    """
    seen_value = canonical(seen)
    ours = seen_value.eq_missing(canonical("last_written"))
    return (
        pl.when(seen_value.eq_missing(canonical("after"))).then(pl.lit(SKIPPED_UNCHANGED))
        .when(seen_value.is_null()).then(pl.lit(WRITE))
        .when(ours & (pl.col("policy") == "fill_empty")).then(pl.lit(SKIPPED_UNCHANGED))
        .when(ours).then(pl.lit(WRITE))
        .otherwise(pl.lit(SKIPPED_PERSON_SET))
    )


def plan_changes(desired: pl.DataFrame, pulled: pl.DataFrame,
                 state: pl.DataFrame) -> pl.DataFrame:
    """Join values seen at the pull and the last writes; keep the rows to attempt.

    The pulled value counts only when the pull saw the record after the product's last
    write to it. Otherwise, and for a field the pull did not fetch, the field is assumed to
    contain that last write, and the re-read before the write settles it. Unchanged fields are
    dropped. A person-set skip is kept
    unless the latest log row of that field already records the same skip, so a value a
    person set is reported once, not on every run.
    """
    joined = (
        desired.join(pulled, on=FIELD_KEY, how="left")
        .join(state, on=FIELD_KEY, how="left")
        .with_columns(pulled_known=pl.col("pulled_known").fill_null(value=False) & (
            pl.col("last_written_at").is_null()
            | (pl.col("pulled_at") >= pl.col("last_written_at")).fill_null(value=False)))
        .with_columns(seen=pl.when(pl.col("pulled_known")).then(pl.col("pulled"))
                      .otherwise(pl.col("last_written")))
        .with_columns(action=classify("seen"))
    )
    repeated_skip = (
        (pl.col("action") == SKIPPED_PERSON_SET)
        & (pl.col("last_result") == SKIPPED_PERSON_SET)
        & pl.col("last_before").eq_missing(pl.col("seen"))
        & pl.col("last_after").eq_missing(pl.col("after"))
    )
    return (
        joined.filter((pl.col("action") != SKIPPED_UNCHANGED) & ~repeated_skip)
        .with_columns(pulled=pl.col("seen"))
        .select(PLAN_COLUMNS)
        .sort(FIELD_KEY)
    )


def recheck(planned: pl.DataFrame, current: pl.DataFrame) -> pl.DataFrame:
    """Classify planned writes again against values read just now; ``before`` is that value.

    ``current`` has ``source_id, field, current`` for the records the CRM returned. A
    planned record missing from it was deleted (or hidden) since the pull, so it fails with
    ``NOT_FOUND``. A value that differs from both the pulled value and the last write was
    changed by a person after the pull.
    """
    found = current.select("source_id").unique().with_columns(found=pl.lit(value=True))
    joined = (
        planned.filter(pl.col("action") == WRITE)
        .join(current, on=["source_id", "field"], how="left")
        .join(found, on="source_id", how="left")
    )
    now = canonical("current")
    changed_since_pull = (
        pl.col("pulled_known")
        & now.ne_missing(canonical("pulled"))
        & now.ne_missing(canonical("last_written"))
        & now.ne_missing(canonical("after"))
    )
    return joined.with_columns(
        before=pl.col("current"),
        result=pl.when(pl.col("found").is_null()).then(pl.lit(FAILED))
        .when(changed_since_pull).then(pl.lit(SKIPPED_CHANGED_SINCE_PULL))
        .otherwise(classify("current")),
        error=pl.when(pl.col("found").is_null()).then(pl.lit("NOT_FOUND")),
    ).select(*FIELD_KEY, "part", "kind", "after", "before", "result", "error")
