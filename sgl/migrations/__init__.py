"""Versioned warehouse schema migrations.

Each migration moves the schema from ``version - 1`` to ``version`` and runs in one
transaction together with its ``schema_version`` row, so a file is never left half-migrated.
Migrations are append-only: a released migration is never edited, a change is a new one.

Conventions of the canonical tables:
- every CRM record lands once per ``(source, source_id)``; ``source`` is ``salesforce``,
  ``hubspot`` or ``import:<name>`` for files, and ``object`` names the CRM object it came from;
- ``raw`` keeps the record as the CRM returned it (JSON), so new rules can run without a re-pull;
- timestamps are ``TIMESTAMPTZ`` in UTC; date-only CRM fields stay ``DATE``;
- amounts are ``DECIMAL(20, 4)`` with the currency beside them;
- deletes are soft: ``is_deleted`` and ``deleted_at``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


_RECORD_COLUMNS = """
    source        VARCHAR NOT NULL,
    source_id     VARCHAR NOT NULL,
    object        VARCHAR NOT NULL,  -- the CRM object it came from: Lead, contacts, deals, ...
    raw           JSON,
    modified_at   TIMESTAMPTZ,
    is_deleted    BOOLEAN NOT NULL DEFAULT false,
    deleted_at    TIMESTAMPTZ,
    loaded_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
"""

RECORDS_AND_SYNC_STATE = Migration(
    version=1,
    description="canonical record tables and sync state",
    statements=(
        f"""
        CREATE TABLE users (
            {_RECORD_COLUMNS}
            name          VARCHAR,
            email         VARCHAR,
            role          VARCHAR,   -- sales, inside_sales, marketing, integration, other
            team          VARCHAR,
            department    VARCHAR,
            profile_name  VARCHAR,
            role_name     VARCHAR,
            crm_user_id   VARCHAR,   -- HubSpot: the owner's userId, joined to hs_created_by_user_id
            is_active     BOOLEAN,
            PRIMARY KEY (source, source_id)
        )
        """,
        f"""
        CREATE TABLE accounts (
            {_RECORD_COLUMNS}
            name          VARCHAR,
            domain        VARCHAR,
            industry      VARCHAR,
            account_type  VARCHAR,
            owner_id      VARCHAR,
            created_by    VARCHAR,
            created_at    TIMESTAMPTZ,
            is_abm_target BOOLEAN,
            PRIMARY KEY (source, source_id)
        )
        """,
        f"""
        CREATE TABLE leads (
            {_RECORD_COLUMNS}
            person_id           VARCHAR,
            email               VARCHAR,
            full_name           VARCHAR,
            company             VARCHAR,
            created_at          TIMESTAMPTZ,
            created_by          VARCHAR,
            owner_at_creation   VARCHAR,
            owner_id            VARCHAR,
            lead_source         VARCHAR,   -- raw picklist value, never normalized here
            record_source       VARCHAR,
            record_source_detail VARCHAR,
            status              VARCHAR,
            qualified_at        TIMESTAMPTZ,
            converted_at        TIMESTAMPTZ,
            opportunity_id      VARCHAR,
            account_id          VARCHAR,
            contact_id          VARCHAR,
            crm_origin          VARCHAR,
            crm_channel         VARCHAR,
            PRIMARY KEY (source, source_id)
        )
        """,
        f"""
        CREATE TABLE opportunities (
            {_RECORD_COLUMNS}
            name            VARCHAR,
            account_id      VARCHAR,
            owner_id        VARCHAR,
            created_by      VARCHAR,
            created_at      TIMESTAMPTZ,
            opportunity_type VARCHAR,
            stage           VARCHAR,
            is_closed       BOOLEAN,
            is_won          BOOLEAN,
            closed_at       DATE,
            amount          DECIMAL(20, 4),
            currency        VARCHAR,
            loss_reason     VARCHAR,
            next_step       VARCHAR,
            lead_id         VARCHAR,
            contact_id      VARCHAR,
            lead_source     VARCHAR,
            crm_origin      VARCHAR,
            crm_channel     VARCHAR,
            PRIMARY KEY (source, source_id)
        )
        """,
        f"""
        CREATE TABLE activities (
            {_RECORD_COLUMNS}
            activity_type    VARCHAR,           -- call, meeting, email, task, letter, other
            direction        VARCHAR,
            owner_id         VARCHAR,
            lead_id          VARCHAR,
            contact_id       VARCHAR,
            account_id       VARCHAR,
            opportunity_id   VARCHAR,
            duration_minutes DOUBLE,            -- null when the CRM records none
            occurred_at      TIMESTAMPTZ,
            PRIMARY KEY (source, source_id)
        )
        """,
        f"""
        CREATE TABLE field_history (
            {_RECORD_COLUMNS}
            record_id   VARCHAR NOT NULL,
            field       VARCHAR NOT NULL,
            old_value   VARCHAR,
            new_value   VARCHAR,
            changed_by  VARCHAR,
            changed_at  TIMESTAMPTZ,
            PRIMARY KEY (source, source_id)
        )
        """,
        """
        CREATE TABLE associations (
            source      VARCHAR NOT NULL,
            from_object VARCHAR NOT NULL,
            from_id     VARCHAR NOT NULL,
            to_object   VARCHAR NOT NULL,
            to_id       VARCHAR NOT NULL,
            label       VARCHAR NOT NULL DEFAULT '',
            loaded_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (source, from_object, from_id, to_object, to_id, label)
        )
        """,
        """
        CREATE TABLE sync_state (
            source        VARCHAR NOT NULL,
            object        VARCHAR NOT NULL,
            watermark_at  TIMESTAMPTZ,  -- (timestamp, id) of the last record saved
            watermark_id  VARCHAR,
            last_run_id   VARCHAR,
            last_run_at   TIMESTAMPTZ,
            last_status   VARCHAR,      -- ok, failed, stopped
            last_counts   JSON,
            last_error    VARCHAR,
            PRIMARY KEY (source, object)
        )
        """,
    ),
)

DECISIONS_AND_AUDIT = Migration(
    version=2,
    description="attribution, persons and audit logs",
    statements=(
        """
        CREATE TABLE persons (
            person_id     VARCHAR PRIMARY KEY,
            email_key     VARCHAR,
            name_key      VARCHAR,
            domain        VARCHAR,
            first_source  VARCHAR,
            first_source_id VARCHAR,
            updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
        )
        """,
        """
        CREATE TABLE attribution (
            source            VARCHAR NOT NULL,
            record_kind       VARCHAR NOT NULL,  -- lead or opportunity
            source_id         VARCHAR NOT NULL,
            origin            VARCHAR NOT NULL,  -- sales, marketing, partner, unknown
            channel           VARCHAR,
            origin_rule       VARCHAR NOT NULL,
            channel_rule      VARCHAR,
            origin_explicit   BOOLEAN NOT NULL DEFAULT false,
            channel_explicit  BOOLEAN NOT NULL DEFAULT false,
            decided_at        TIMESTAMPTZ NOT NULL,  -- changes only when origin or channel changes
            computed_at       TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (source, record_kind, source_id)
        )
        """,
        """
        CREATE TABLE writeback_log (
            run_id     VARCHAR NOT NULL,
            logged_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
            source     VARCHAR NOT NULL,
            object     VARCHAR NOT NULL,
            source_id  VARCHAR NOT NULL,
            field      VARCHAR NOT NULL,
            before     VARCHAR,
            after      VARCHAR,
            result     VARCHAR NOT NULL,  -- written, skipped_person_set, skipped_unchanged, failed, dry_run
            error      VARCHAR
        )
        """,
        "CREATE INDEX writeback_log_record ON writeback_log (source, object, source_id, field)",
        """
        CREATE TABLE report_log (
            period          VARCHAR NOT NULL,  -- YYYY-MM
            locale          VARCHAR NOT NULL,
            as_of           DATE NOT NULL,
            rendered_at     TIMESTAMPTZ NOT NULL,
            archive_dir     VARCHAR NOT NULL,
            files           JSON,
            checksum        VARCHAR,           -- of the rendered files
            figures_checksum VARCHAR,          -- of the KPI data, to detect restated reports
            is_restated     BOOLEAN NOT NULL DEFAULT false,
            send_intent_at  TIMESTAMPTZ,
            sent_at         TIMESTAMPTZ,
            send_result     VARCHAR,
            PRIMARY KEY (period, locale, rendered_at)
        )
        """,
    ),
)

ATTRIBUTION_RUNS = Migration(
    version=3,
    description="attribution run log",
    statements=(
        """
        CREATE TABLE attribution_runs (
            computed_at     TIMESTAMPTZ NOT NULL,
            is_full         BOOLEAN NOT NULL,
            settings_key    VARCHAR NOT NULL,  -- of the rules and settings that decide
            leads           BIGINT NOT NULL,
            opportunities   BIGINT NOT NULL,
            changed         BIGINT NOT NULL
        )
        """,
    ),
)

MIGRATIONS: tuple[Migration, ...] = (RECORDS_AND_SYNC_STATE, DECISIONS_AND_AUDIT,
                                     ATTRIBUTION_RUNS)
LATEST_VERSION = MIGRATIONS[-1].version

# Tables whose rows are CRM records keyed by (source, source_id), in load order.
RECORD_TABLES = ("users", "accounts", "leads", "opportunities", "activities", "field_history")
