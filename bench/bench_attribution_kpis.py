"""Benchmark attribution and every KPI on generated canonical frames, beside DuckDB and pandas.

A generator writes canonical tables (users, accounts, leads, opportunities, activities) as
Parquet, one million leads per part so that 10M leads fit in memory. Each stage then runs in
its own subprocess, so that its peak resident set size (``ru_maxrss``) is its own, input
reading included:

- ``generate``: the tables. Accounts have domains, some missing and some written as URLs or
  in capitals. Leads have full names, Japanese or Latin, some with a full-width space, in
  full-width letters or without a space, so NFKC folding matters.
  About 3% of leads repeat the name of another lead on the same account with an email of
  their own, so only the domain-and-name key merges them. A fifth of those repeats have the
  same creation time as the other lead, and 5% of all creation times fall on a whole
  minute, so ties in creation time are broken by source and id. About 2% of leads share
  another lead's email.
  A tenth of the opportunities have no lead. The others link to their lead through the
  opportunity's ``lead_id``, the lead's ``opportunity_id`` (a conversion, with
  ``converted_at``) or both.
- ``polars``: ``attribute`` without the per-record facts (``keep_details=False``, as the
  stored nightly run calls it), then ``prepare`` with the attribution's opportunity links,
  then ``all_kpis`` for one month, each timed.
- ``duckdb``: the shared figures in SQL over the same Parquet tables.
- ``pandas``: the shared figures in pandas; runs only when pandas is installed
  (``pip install -e '.[bench]'``).

DuckDB and pandas read the Polars attribution decisions and persons and do not re-implement
the rules, identity resolution or the linking by HubSpot associations or contacts (the
generated data has neither): they recompute from the canonical tables everything the KPI
preparation does (opportunity-to-lead links by ``lead_id`` and conversion, person dates, the
person's first lead, the credited rep and team) and every shared figure. So the ratio to
DuckDB compares Polars' ``prepare`` plus ``all_kpis`` with DuckDB's preparation plus
queries; Polars' ``prepare`` reuses the links attribution found, which DuckDB finds itself.
Each engine's Parquet reading is timed apart as its load.

Shared figures, checked equal row for row: lead counts per origin and per origin and
channel; SGL counts in total and per channel, rep (with team) and team; cohort SQL and won
rates (numerator, denominator); velocity (median, intervals, negative intervals); pipeline
mix, new and won, per origin and channel for the month and the fiscal year to date (count
and amount); average won deal size per segment for the month and the fiscal year to date;
realized LTV per segment; the top 5 best actions; the top 10 lost-deal reasons. Not
compared: cost per SGL (Polars only; its time is shown apart), target attainment (no
targets are configured) and the ``maturing`` flags. The run exits 1 on any difference.

Usage::

    .venv/bin/python bench/bench_attribution_kpis.py                  # 1,000,000 leads
    .venv/bin/python bench/bench_attribution_kpis.py --size 100000    # a quick check
    .venv/bin/python bench/bench_attribution_kpis.py --size 10000000 --engines polars,duckdb

The generator alone, to measure its memory: ``.venv/bin/python
bench/bench_attribution_kpis.py --stage generate --data DIR --size 10000000``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MONTH = "2025-06"
AS_OF = date(2025, 12, 31)
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 2 * 365 * 24 * 3600
# Leads per Parquet part. It is a multiple of 5 because each part has a fifth as many deals.
PART_SIZE = 1_000_000
TABLES = ("users", "accounts", "leads", "opportunities", "activities")
ENGINES = ("polars", "duckdb", "pandas")
ORIGINS = ("sales", "marketing", "partner", "unknown")
SEGMENTS = ("sgl", "other")
# Ranked lists: their order is part of the figure.
ORDERED = ("best_actions", "lost_learnings")

# The KPI settings the SQL and pandas code assume: they match KpiParams' defaults.
TIMEZONE = "Asia/Tokyo"
FISCAL_YEAR_START_MONTH = 4
WINDOW_DAYS = 90
WIN_WINDOW_DAYS = 365
AMOUNT_UNITS = 10_000  # amounts are Decimal(20, 4): whole ten-thousandths of a yen
# Unicode White_Space, which Polars' strip_chars() removes from loss reasons.
WHITESPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
              "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")

SOURCES = ["紹介", "Web", "Sansan", "展示会", "セミナー", "Cold Call", "REFERRALS", "資料請求",
           "Partner Referral", "Other", "", "休眠掘り起こし", "LinkedIn", "Advertisement"]
LOSS_REASONS = ["価格", "競合", "タイミング", "", " 価格", "競合\u3000", "予算"]
LAST_NAMES = [("佐藤", "Sato"), ("鈴木", "Suzuki"), ("高橋", "Takahashi"), ("田中", "Tanaka"),
              ("伊藤", "Ito"), ("渡辺", "Watanabe"), ("山本", "Yamamoto"),
              ("中村", "Nakamura"), ("小林", "Kobayashi"), ("加藤", "Kato"),
              ("吉田", "Yoshida"), ("山田", "Yamada"), ("佐々木", "Sasaki"),
              ("山口", "Yamaguchi"), ("松本", "Matsumoto"), ("井上", "Inoue"),
              ("木村", "Kimura"), ("林", "Hayashi"), ("斎藤", "Saito"), ("清水", "Shimizu")]
FIRST_NAMES = [("太郎", "Taro"), ("花子", "Hanako"), ("翔", "Sho"), ("陽菜", "Hina"),
               ("大輔", "Daisuke"), ("美咲", "Misaki"), ("健太", "Kenta"), ("結衣", "Yui"),
               ("拓也", "Takuya"), ("さくら", "Sakura"), ("直樹", "Naoki"), ("愛", "Ai"),
               ("誠", "Makoto"), ("葵", "Aoi"), ("亮", "Ryo"), ("優子", "Yuko"),
               ("隆", "Takashi"), ("真由美", "Mayumi"), ("浩", "Hiroshi"), ("恵", "Megumi")]
NAME_SPELLINGS = 3  # plain, full-width or doubled spaces, no space


# -- generator ---------------------------------------------------------------------------


# ASCII to its full-width forms (U+FF01 to U+FF5E), the space to the ideographic space.
FULL_WIDTH = {code: code + 0xFEE0 for code in range(0x21, 0x7F)} | {0x20: 0x3000}


def name_table() -> list[str]:
    """Return every full name the generator writes, indexed by script, last, first and spelling.

    The spellings of one name fold to one key: ``山田 太郎``, ``山田\u3000太郎`` and
    ``山田太郎``; ``Taro Yamada``, ``ＴＡＲＯ\u3000ＹＡＭＡＤＡ`` and `` taro  yamada``.
    """
    names = []
    for latin in (False, True):
        for kanji_last, roman_last in LAST_NAMES:
            for kanji_first, roman_first in FIRST_NAMES:
                if latin:
                    plain = f"{roman_first} {roman_last}"
                    names += [plain, plain.upper().translate(FULL_WIDTH),
                              f" {roman_first.lower()}  {roman_last.lower()}"]
                else:
                    names += [f"{kanji_last} {kanji_first}", f"{kanji_last}\u3000{kanji_first}",
                              kanji_last + kanji_first]
    return names


def _users():
    import polars as pl

    roles = ["sales"] * 120 + ["inside_sales"] * 40 + ["marketing"] * 20 + ["integration"] * 20
    return pl.DataFrame({"source": "sf", "source_id": [f"U{i}" for i in range(len(roles))],
                         "role": roles, "team": [f"T{i % 8}" for i in range(len(roles))]})


def _accounts(count: int, rng):
    import polars as pl

    kind = rng.random(count)
    host = "a" + pl.int_range(count, eager=True).cast(pl.Utf8) + ".example.jp"
    return pl.DataFrame({
        "source": "sf", "source_id": pl.int_range(count, eager=True).cast(pl.Utf8),
        "kind": kind, "host": host, "is_abm_target": rng.random(count) < 0.05,
    }).select(
        "source", "source_id",
        pl.when(pl.col("kind") < 0.10).then(pl.lit(None, dtype=pl.Utf8))
        .when(pl.col("kind") < 0.15).then("https://www." + pl.col("host") + "/")
        .when(pl.col("kind") < 0.20).then(pl.col("host").str.to_uppercase())
        .otherwise(pl.col("host")).alias("domain"),
        "is_abm_target")


def _micros(expr):
    import polars as pl

    return expr.cast(pl.Datetime("us", "UTC"))


def _pick(values, index):
    """Pick the item of the short list ``values`` at ``index``, an integer column."""
    import polars as pl

    return pl.lit(pl.Series(values, dtype=pl.Utf8)).gather(index)


def _part(rng, first_id: int, count: int, size: int, account_count: int, names) -> dict:
    """Generate the leads ``first_id ..`` of one part, with their deals and activities."""
    import numpy as np
    import polars as pl

    ids = np.arange(first_id, first_id + count)
    seconds = START.timestamp() + rng.random(count) * SPAN_SECONDS
    on_minute = rng.random(count) < 0.05
    seconds = np.where(on_minute, np.floor(seconds / 60) * 60, seconds)
    created = (seconds * 1e6).astype(np.int64)

    has_account = rng.random(count) < 0.5
    account = np.where(has_account, rng.integers(0, account_count, count), -1)
    latin = (rng.random(count) < 0.3).astype(np.int64)
    last = rng.integers(0, len(LAST_NAMES), count)
    first = rng.integers(0, len(FIRST_NAMES), count)
    spelling = rng.choice(NAME_SPELLINGS, count, p=[0.8, 0.1, 0.1])
    # A repeat record of a person has another lead's account and name but its own email.
    # A fifth of them share the other lead's creation time, as one import would.
    with_account = np.flatnonzero(has_account)
    repeat = has_account & (rng.random(count) < 0.06)
    if with_account.size:
        original = with_account[rng.integers(0, with_account.size, count)][repeat]
        account[repeat], latin[repeat] = account[original], latin[original]
        last[repeat], first[repeat] = last[original], first[original]
        spelling[repeat] = rng.integers(0, NAME_SPELLINGS, original.size)
        same_time = rng.random(original.size) < 0.2
        created[np.flatnonzero(repeat)[same_time]] = created[original[same_time]]
    name_code = (((latin * len(LAST_NAMES) + last) * len(FIRST_NAMES) + first)
                 * NAME_SPELLINGS + spelling)
    name_code = np.where(rng.random(count) < 0.02, -1, name_code)
    email = np.where(rng.random(count) < 0.02, rng.integers(0, size, count), ids)

    deal_count = count // 5
    deal_ids = np.arange(first_id // 5, first_id // 5 + deal_count)
    lead_of_deal = rng.choice(count, deal_count, replace=False)
    deal_created = created[lead_of_deal] + rng.integers(0, 40, deal_count) * 86_400_000_000
    # A deal below 0.1 has no lead. Above, the deal names its lead (up to 0.55), the lead
    # names its deal (up to 0.8) or both do.
    link = rng.random(deal_count)
    converted = link >= 0.55
    deal_lead = np.where((link >= 0.1) & ((link < 0.55) | (link >= 0.8)),
                         ids[lead_of_deal], -1)
    lead_deal = np.full(count, -1)
    lead_deal[lead_of_deal[converted]] = deal_ids[converted]
    converted_at = np.zeros(count, dtype=np.int64)
    converted_at[lead_of_deal[converted]] = deal_created[converted]
    deal_account = account[lead_of_deal]
    deal_account = np.where((deal_account < 0) & (deal_lead < 0),
                            rng.integers(0, account_count, deal_count), deal_account)

    owner = rng.integers(0, 160, count)
    owner_at_creation = np.where(rng.random(count) < 0.3, rng.integers(0, 160, count), owner)
    owner_at_creation = np.where(rng.random(count) < 0.4, -1, owner_at_creation)
    qualified_in = np.where(rng.random(count) < 0.3, rng.integers(-3, 120, count), -999)

    leads = pl.DataFrame({
        "source_id": ids, "created_at": created, "created_by": rng.integers(0, 200, count),
        "owner_id": owner, "owner_at_creation": owner_at_creation,
        "lead_source": rng.integers(0, len(SOURCES), count), "account_id": account,
        "email": email, "email_spelling": rng.random(count), "full_name": name_code,
        "qualified_in": qualified_in, "opportunity_id": lead_deal, "converted_at": converted_at,
    }).select(
        pl.lit("sf").alias("source"), pl.lit("Lead").alias("object"),
        pl.col("source_id").cast(pl.Utf8),
        _micros(pl.col("created_at")),
        ("U" + pl.col("created_by").cast(pl.Utf8)).alias("created_by"),
        ("U" + pl.col("owner_id").cast(pl.Utf8)).alias("owner_id"),
        pl.when(pl.col("owner_at_creation") >= 0)
        .then("U" + pl.col("owner_at_creation").cast(pl.Utf8)).alias("owner_at_creation"),
        _pick(SOURCES, pl.col("lead_source")).replace("", None).alias("lead_source"),
        pl.when(pl.col("account_id") >= 0).then(pl.col("account_id").cast(pl.Utf8))
        .alias("account_id"),
        # Capitals and a full-width at sign fold to the plain address.
        pl.when(pl.col("email_spelling") < 0.01)
        .then("U" + pl.col("email").cast(pl.Utf8) + "@EXAMPLE.JP")
        .when(pl.col("email_spelling") < 0.02)
        .then("u" + pl.col("email").cast(pl.Utf8) + "\uff20example.jp")
        .otherwise("u" + pl.col("email").cast(pl.Utf8) + "@example.jp").alias("email"),
        pl.when(pl.col("full_name") >= 0).then(_pick(names, pl.col("full_name").clip(0)))
        .alias("full_name"),
        pl.when(pl.col("qualified_in") > -999)
        .then(_micros(pl.col("created_at")) + pl.duration(days=pl.col("qualified_in")))
        .alias("qualified_at"),
        pl.when(pl.col("opportunity_id") >= 0).then("O" + pl.col("opportunity_id").cast(pl.Utf8))
        .alias("opportunity_id"),
        pl.when(pl.col("opportunity_id") >= 0).then(_micros(pl.col("converted_at")))
        .alias("converted_at"),
    )

    outcome = rng.random(deal_count)
    opportunities = pl.DataFrame({
        "source_id": deal_ids, "lead_id": deal_lead, "account_id": deal_account,
        "owner_id": owner[lead_of_deal],
        "created_by": np.where(rng.random(deal_count) < 0.7, owner[lead_of_deal],
                               rng.integers(160, 200, deal_count)),
        "created_at": deal_created, "outcome": outcome,
        "closed_days": rng.integers(5, 300, deal_count),
        "amount": rng.integers(12, 500, deal_count) * 100_000,
        "has_amount": rng.random(deal_count) >= 0.01,
        "lead_source": rng.integers(0, len(SOURCES), deal_count),
        "existing": rng.random(deal_count) < 0.15,
        "loss_reason": rng.integers(0, len(LOSS_REASONS), deal_count),
    }).select(
        pl.lit("sf").alias("source"), pl.lit("Opportunity").alias("object"),
        ("O" + pl.col("source_id").cast(pl.Utf8)).alias("source_id"),
        pl.when(pl.col("lead_id") >= 0).then(pl.col("lead_id").cast(pl.Utf8)).alias("lead_id"),
        pl.when(pl.col("account_id") >= 0).then(pl.col("account_id").cast(pl.Utf8))
        .alias("account_id"),
        ("U" + pl.col("owner_id").cast(pl.Utf8)).alias("owner_id"),
        ("U" + pl.col("created_by").cast(pl.Utf8)).alias("created_by"),
        _micros(pl.col("created_at")),
        pl.when(pl.col("existing")).then(pl.lit("Existing Business"))
        .otherwise(pl.lit("New Business")).alias("opportunity_type"),
        (pl.col("outcome") < 0.7).alias("is_closed"), (pl.col("outcome") < 0.3).alias("is_won"),
        pl.when(pl.col("outcome") < 0.7)
        .then((_micros(pl.col("created_at")) + pl.duration(days=pl.col("closed_days")))
              .dt.convert_time_zone(TIMEZONE).dt.date()).alias("closed_at"),
        pl.when(pl.col("has_amount")).then(pl.col("amount")).cast(pl.Decimal(20, 4))
        .alias("amount"),
        pl.lit("JPY").alias("currency"),
        _pick(SOURCES, pl.col("lead_source")).replace("", None).alias("lead_source"),
        pl.when((pl.col("outcome") >= 0.3) & (pl.col("outcome") < 0.7))
        .then(_pick(LOSS_REASONS, pl.col("loss_reason"))).alias("loss_reason"),
    )

    activity_lead = rng.integers(0, count, count)
    activities = pl.DataFrame({
        "source_id": ids, "owner_id": rng.integers(0, 160, count),
        "lead_id": ids[activity_lead],
        "account_id": np.where(rng.random(count) < 0.4, account[activity_lead], -1),
        "activity_type": rng.integers(0, 4, count),
        "duration_minutes": np.where(rng.random(count) < 0.5, rng.integers(5, 60, count), -1),
        "occurred_at": ((START.timestamp() + rng.random(count) * SPAN_SECONDS) * 1e6)
        .astype(np.int64),
    }).select(
        pl.lit("sf").alias("source"), pl.lit("Task").alias("object"),
        ("T" + pl.col("source_id").cast(pl.Utf8)).alias("source_id"),
        ("U" + pl.col("owner_id").cast(pl.Utf8)).alias("owner_id"),
        pl.col("lead_id").cast(pl.Utf8),
        pl.when(pl.col("account_id") >= 0).then(pl.col("account_id").cast(pl.Utf8))
        .alias("account_id"),
        _pick(["call", "email", "meeting", "letter"], pl.col("activity_type"))
        .alias("activity_type"),
        pl.when(pl.col("duration_minutes") >= 0).then(pl.col("duration_minutes"))
        .cast(pl.Float64).alias("duration_minutes"),
        _micros(pl.col("occurred_at")),
    )
    return {"leads": leads, "opportunities": opportunities, "activities": activities}


def generate(size: int, folder: Path, seed: int = 7) -> dict:
    """Write canonical tables for ``size`` leads into ``folder/<table>/part-NNNN.parquet``."""
    import numpy as np

    for table in TABLES:
        (folder / table).mkdir(parents=True, exist_ok=True)
    account_count = max(size // 10, 1)
    users = _users()
    users.write_parquet(folder / "users" / "part-0000.parquet")
    _accounts(account_count, np.random.default_rng([seed, 0])).write_parquet(
        folder / "accounts" / "part-0000.parquet")
    names = name_table()
    rows = {"users": users.height, "accounts": account_count, "leads": 0, "opportunities": 0,
            "activities": 0}
    for part, first_id in enumerate(range(0, size, PART_SIZE)):
        rng = np.random.default_rng([seed, part + 1])
        frames = _part(rng, first_id, min(PART_SIZE, size - first_id), size, account_count,
                       names)
        for table, frame in frames.items():
            frame.write_parquet(folder / table / f"part-{part:04d}.parquet")
            rows[table] += frame.height
        del frames
    return rows


def run_generate(folder: Path, size: int) -> dict:
    started = time.perf_counter()
    rows = generate(size, folder)
    return {"seconds": time.perf_counter() - started, "peak_mib": _peak_mib(), "rows": rows}


# -- shared figures ----------------------------------------------------------------------


def _money(value) -> str | None:
    """Format an exact amount without trailing zeros: 1500000.0000 gives '1500000'."""
    if value is None:
        return None
    return format(Decimal(str(value)).normalize(), "f")


def _half_up(total: Decimal, count: int) -> str | None:
    """Return the mean rounded half-up to whole yen, as the reports show it."""
    if not count:
        return None
    return _money((Decimal(total) / count).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _scopes(month: str) -> list[tuple[str, str]]:
    """Return (scope, first month) for the month itself and for its fiscal year to date."""
    year, number = (int(part) for part in month.split("-"))
    start_year = year if number >= FISCAL_YEAR_START_MONTH else year - 1
    return [("month", month), ("fiscal_ytd", f"{start_year}-{FISCAL_YEAR_START_MONTH:02d}")]


def _grid(found: dict, keys: list[tuple], empty: tuple) -> list[tuple]:
    return [(*key, *found.get(key, empty)) for key in keys]


def _canonical(figures: dict) -> dict:
    """Sort the rows of unordered figures and make them JSON values."""
    out = {}
    for name, rows in figures.items():
        rows = [list(row) for row in rows]
        out[name] = rows if name in ORDERED else sorted(
            rows, key=lambda row: json.dumps(row, ensure_ascii=False))
    return json.loads(json.dumps(out, ensure_ascii=False))


def shared_polars(figures: dict) -> dict:
    """Pick the shared figures out of ``all_kpis`` output."""
    def rows(name: str, *columns: str) -> list[tuple]:
        return figures[name].select(columns).rows()

    return _canonical({
        "lead_counts": rows("lead_counts", "origin", "channel", "value"),
        "sgl_counts": rows("sgl_counts", "dimension", "rep_id", "team", "channel", "value"),
        "cohort": rows("cohort_rates", "origin", "stage", "numerator", "denominator"),
        "velocity": rows("velocity", "measure", "origin", "numerator", "negative_intervals",
                         "value"),
        "pipeline": [(*row[:5], _money(row[5])) for row in rows(
            "pipeline_mix", "scope", "measure", "origin", "channel", "opportunities", "value")],
        "deal_size": [(scope, segment, count, _money(total), _money(value))
                      for scope, segment, count, total, value in rows(
                          "won_deal_size", "scope", "segment", "denominator", "numerator",
                          "value")],
        "realized_ltv": [(segment, count, _money(total), _money(value))
                         for segment, count, total, value in rows(
                             "realized_ltv", "segment", "denominator", "numerator", "value")],
        "best_actions": [(*row[:7], _money(row[7])) for row in rows(
            "best_actions", "rank", "source", "source_id", "event", "rep_id", "team",
            "channel", "value")],
        "lost_learnings": [(*row[:3], _money(row[3])) for row in rows(
            "lost_learnings", "rank", "loss_reason", "value", "amount")],
    })


# -- polars ------------------------------------------------------------------------------


def _parquet(folder: Path, table: str) -> str:
    return str(folder / table / "*.parquet")


def run_polars(folder: Path, month: str, after_writeback: bool = False) -> dict:
    """Attribute and compute every KPI; save the decisions, the persons and the figures.

    With ``after_writeback`` the frames first get a stored attribution, the CRM tags it
    wrote and its write-back log (see :func:`written_back`), untimed.
    """
    import polars as pl

    from sgl.frames import contiguous
    from transforms.attribution import (
        CANONICAL_SCHEMAS,
        AttributionParams,
        CanonicalFrames,
        attribute,
        with_decisions,
    )
    from transforms.kpis import KpiParams, all_kpis, cost_per_sgl, prepare
    from transforms.rules import load_rules

    rules = load_rules()
    params = KpiParams(hourly_cost_by_role={"sales": Decimal(6000),
                                            "inside_sales": Decimal(5000)})
    started = time.perf_counter()
    # Each table is made contiguous as it is read, as the warehouse does, so that the
    # many-chunk original is freed at once (see sgl.frames.contiguous).
    # Only the columns the warehouse reader reads (sgl.attribution_store.read_frames).
    frames = CanonicalFrames(**{
        table: contiguous(pl.read_parquet(_parquet(folder, table), columns=[
            name for name in pl.read_parquet_schema(_parquet(folder, table))
            if name in CANONICAL_SCHEMAS[table]]))
        for table in TABLES})
    if after_writeback:
        frames = written_back(frames, attribute(frames, rules, AttributionParams(),
                                                datetime.now(UTC), keep_details=False).table)
    loaded = time.perf_counter()
    result = attribute(frames, rules, AttributionParams(), datetime.now(UTC), keep_details=False)
    attributed = time.perf_counter()

    # A nightly run stores the decisions and persons, then the KPIs read the canonical
    # tables and the stored decisions: they never hold the persons' keys. Saving them here,
    # untimed, keeps the same frames alive as that run (the other engines read the files).
    decisions = result.table.select("source", "record_kind", "source_id", "origin", "channel")
    decisions.write_parquet(folder / "attribution.parquet")
    result.persons.select("source", "source_id", "person_id").write_parquet(
        folder / "persons.parquet")
    del decisions
    saved = time.perf_counter()

    decided, links = with_decisions(frames, result), result.links
    del frames, result
    inputs = prepare(decided, params, links=links)
    # The KPI functions read only the prepared inputs.
    del decided, links
    prepared = time.perf_counter()
    figures = all_kpis(inputs, month, AS_OF)
    finished = time.perf_counter()
    peak = _peak_mib()
    # all_kpis includes cost per SGL, which the other engines do not compute: time it apart.
    cost_per_sgl(inputs, month)
    cost_seconds = time.perf_counter() - finished

    (folder / "polars.json").write_text(json.dumps(shared_polars(figures), ensure_ascii=False),
                                        encoding="utf-8")
    return {"load_s": loaded - started, "attribution_s": attributed - loaded,
            "prepare_s": prepared - saved, "kpis_s": finished - prepared,
            "cost_per_sgl_s": cost_seconds, "peak_mib": peak}


def written_back(frames, table):
    """Return ``frames`` as a write-back of ``table`` leaves them.

    Every lead and opportunity carries its decided origin and channel in the CRM fields,
    the write-back log has one ``written`` row per record for origin, channel, rule and
    decision time, and ``table`` is the stored attribution.
    """
    import polars as pl

    from sgl.frames import contiguous
    from transforms.attribution import CanonicalFrames

    logged_at = datetime.now(UTC)
    fields = (("SGL_Origin__c", "origin"), ("SGL_Channel__c", "channel"),
              ("SGL_Rule__c", "channel_rule"), ("SGL_Decided_At__c", "origin_rule"))
    log = pl.concat([
        table.select("source",
                     pl.when(pl.col("record_kind") == "lead").then(pl.lit("Lead"))
                     .otherwise(pl.lit("Opportunity")).alias("object"),
                     "source_id", pl.lit(field).alias("field"), pl.col(column).alias("after"))
        for field, column in fields
    ]).with_columns(pl.lit("written").alias("result"), pl.lit(logged_at).alias("logged_at"))

    def tagged(frame, kind):
        tags = table.filter(pl.col("record_kind") == kind).select(
            "source", "source_id", pl.col("origin").alias("crm_origin"),
            pl.col("channel").alias("crm_channel"))
        return contiguous(frame.drop("crm_origin", "crm_channel").join(
            tags, on=["source", "source_id"], how="left", maintain_order="left"))

    return CanonicalFrames(
        users=frames.users, accounts=frames.accounts, activities=frames.activities,
        leads=tagged(frames.leads, "lead"),
        opportunities=tagged(frames.opportunities, "opportunity"),
        writeback_log=contiguous(log), attribution=table)


# -- duckdb ------------------------------------------------------------------------------

DUCKDB_LOAD = {
    "users": "source, source_id, role, team",
    "leads": "source, source_id, created_at, created_by, owner_id, owner_at_creation, "
             "qualified_at, converted_at, opportunity_id",
    "opportunities": "source, source_id, lead_id, account_id, owner_id, created_at, is_won, "
                     "is_closed, closed_at, amount, currency, loss_reason",
}

# Each statement builds one table of the KPI preparation. The amounts are all in JPY, the
# reporting currency, so they are taken as they are.
DUCKDB_PREPARE = [
    """
CREATE TEMP TABLE roles AS
SELECT source, source_id AS user_id, team,
       CASE WHEN role IN ('sales', 'inside_sales') THEN 'sales' ELSE role END AS effective_role
FROM users
""",
    # Opportunity-lead pairs. An opportunity inherits from the pair with the lowest priority
    # (1 the opportunity's lead_id, 2 the lead's conversion), then from the earliest lead.
    """
CREATE TEMP TABLE links AS
SELECT k.source, k.opportunity_id, k.lead_id,
       row_number() OVER (PARTITION BY k.source, k.opportunity_id
                          ORDER BY min(k.priority), l.created_at NULLS LAST, k.lead_id) = 1
           AS is_inherited
FROM (SELECT source, source_id AS opportunity_id, lead_id, 1 AS priority
      FROM opportunities WHERE lead_id IS NOT NULL
      UNION ALL
      SELECT source, opportunity_id, source_id, 2 FROM leads
      WHERE opportunity_id IS NOT NULL) k
JOIN leads l ON l.source = k.source AND l.source_id = k.lead_id
SEMI JOIN opportunities o ON o.source = k.source AND o.source_id = k.opportunity_id
GROUP BY k.source, k.opportunity_id, k.lead_id, l.created_at
""",
    """
CREATE TEMP TABLE lead_rows AS
WITH per_lead AS (
    SELECT k.source, k.lead_id,
           min(CAST(timezone($tz, o.created_at) AS DATE)) AS opportunity_created,
           min(CASE WHEN o.is_won THEN o.closed_at END) AS won_date
    FROM links k JOIN opportunities o
      ON o.source = k.source AND o.source_id = k.opportunity_id
    GROUP BY ALL)
SELECT l.source, l.source_id, l.created_at,
       coalesce(p.person_id, l.source || ':' || l.source_id) AS person_id,
       coalesce(d.origin, 'unknown') AS origin, coalesce(d.channel, 'unknown') AS channel,
       CAST(timezone($tz, l.created_at) AS DATE) AS created_date,
       least(CAST(timezone($tz, l.qualified_at) AS DATE),
             CAST(timezone($tz, l.converted_at) AS DATE),
             k.opportunity_created) AS qualified_date,
       k.won_date,
       -- the credited rep: the creator when the creator counts as sales, else the owner at
       -- creation, else the current owner
       CASE WHEN c.effective_role = 'sales' THEN l.created_by
            ELSE coalesce(l.owner_at_creation, l.owner_id) END AS rep_id
FROM leads l
LEFT JOIN persons p ON p.source = l.source AND p.source_id = l.source_id
LEFT JOIN attribution d
  ON d.record_kind = 'lead' AND d.source = l.source AND d.source_id = l.source_id
LEFT JOIN roles c ON c.source = l.source AND c.user_id = l.created_by
LEFT JOIN per_lead k ON k.source = l.source AND k.lead_id = l.source_id
""",
    # One row per person: its earliest lead, with the earliest dates over all its leads.
    """
CREATE TEMP TABLE counted AS
WITH person_dates AS (
    SELECT person_id, min(qualified_date) AS qualified_date, min(won_date) AS won_date
    FROM lead_rows GROUP BY person_id),
firsts AS (
    SELECT * FROM lead_rows
    QUALIFY row_number() OVER (PARTITION BY person_id
                               ORDER BY created_at NULLS LAST, source, source_id) = 1)
SELECT f.source, f.source_id, f.person_id, f.origin, f.channel, f.created_date,
       strftime(f.created_date, '%Y-%m') AS period, f.rep_id, t.team,
       pd.qualified_date, pd.won_date
FROM firsts f
JOIN person_dates pd USING (person_id)
LEFT JOIN roles t ON t.source = f.source AND t.user_id = f.rep_id
WHERE f.created_at IS NOT NULL
""",
    """
CREATE TEMP TABLE opps AS
SELECT o.*, t.team, strftime(o.created_date, '%Y-%m') AS created_period,
       strftime(o.closed_at, '%Y-%m') AS closed_period,
       CASE WHEN o.origin = 'sales' THEN 'sgl' ELSE 'other' END AS segment
FROM (
    SELECT o.source, o.source_id, o.account_id, o.created_at, o.closed_at,
           coalesce(o.is_won, false) AS is_won, coalesce(o.is_closed, false) AS is_closed,
           o.amount AS amount_rc, o.loss_reason,
           coalesce(d.origin, 'unknown') AS origin, coalesce(d.channel, 'unknown') AS channel,
           coalesce(r.rep_id, o.owner_id) AS rep_id,
           CAST(timezone($tz, o.created_at) AS DATE) AS created_date
    FROM opportunities o
    LEFT JOIN attribution d
      ON d.record_kind = 'opportunity' AND d.source = o.source AND d.source_id = o.source_id
    LEFT JOIN links k
      ON k.is_inherited AND k.source = o.source AND k.opportunity_id = o.source_id
    LEFT JOIN lead_rows r ON r.source = k.source AND r.source_id = k.lead_id) o
LEFT JOIN roles t ON t.source = o.source AND t.user_id = o.rep_id
""",
]

DUCKDB_KPIS = {
    "lead_counts": """
SELECT origin, NULL AS channel, count(*) FROM counted WHERE period = $month GROUP BY origin
UNION ALL
SELECT origin, channel, count(*) FROM counted WHERE period = $month GROUP BY origin, channel
""",
    "sgl_counts": """
WITH sgls AS (SELECT * FROM counted WHERE period = $month AND origin = 'sales')
SELECT 'total', NULL, NULL, NULL, count(*) FROM sgls
UNION ALL SELECT 'channel', NULL, NULL, channel, count(*) FROM sgls GROUP BY channel
UNION ALL SELECT 'rep', rep_id, team, NULL, count(*) FROM sgls GROUP BY rep_id, team
UNION ALL SELECT 'team', NULL, team, NULL, count(*) FROM sgls GROUP BY team
""",
    "cohort": """
SELECT origin, 'sql',
       count(*) FILTER (WHERE qualified_date <= created_date + INTERVAL ($window) DAY),
       count(*)
FROM counted WHERE period = $month GROUP BY origin
UNION ALL
SELECT origin, 'won',
       count(*) FILTER (WHERE won_date <= created_date + INTERVAL ($win_window) DAY), count(*)
FROM counted WHERE period = $month GROUP BY origin
""",
    "velocity": """
SELECT measure, origin, count(*) FILTER (WHERE days >= 0), count(*) FILTER (WHERE days < 0),
       median(days) FILTER (WHERE days >= 0)
FROM (
    SELECT 'created_to_sql' AS measure, origin,
           datediff('day', created_date, qualified_date) AS days
    FROM counted
    WHERE qualified_date IS NOT NULL AND strftime(qualified_date, '%Y-%m') = $month
    UNION ALL
    SELECT 'sql_to_won', origin, datediff('day', qualified_date, won_date)
    FROM counted
    WHERE won_date IS NOT NULL AND qualified_date IS NOT NULL
      AND strftime(won_date, '%Y-%m') = $month)
GROUP BY ALL
""",
    "pipeline": """
WITH scopes(scope, first_period) AS (VALUES ('month', $month), ('fiscal_ytd', $fiscal_first))
SELECT s.scope, e.measure, e.origin, e.channel, count(*), sum(e.amount_rc)
FROM scopes s JOIN (
    SELECT 'new_pipeline' AS measure, origin, channel, amount_rc, created_period AS period
    FROM opps WHERE amount_rc IS NOT NULL
    UNION ALL
    SELECT 'won', origin, channel, amount_rc, closed_period
    FROM opps WHERE is_won AND amount_rc IS NOT NULL) e
  ON e.period BETWEEN s.first_period AND $month
GROUP BY ALL
""",
    "deal_size": """
WITH scopes(scope, first_period) AS (VALUES ('month', $month), ('fiscal_ytd', $fiscal_first)),
segments(segment) AS (VALUES ('sgl'), ('other')),
won AS (SELECT segment, amount_rc, closed_period FROM opps
        WHERE is_won AND amount_rc IS NOT NULL)
SELECT s.scope, g.segment, count(w.amount_rc), coalesce(sum(w.amount_rc), 0)
FROM scopes s CROSS JOIN segments g
LEFT JOIN won w ON w.segment = g.segment AND w.closed_period BETWEEN s.first_period AND $month
GROUP BY ALL
""",
    "realized_ltv": """
WITH won AS (
    SELECT * FROM opps
    WHERE is_won AND account_id IS NOT NULL AND closed_at IS NOT NULL
      AND amount_rc IS NOT NULL AND closed_at <= $as_of),
firsts AS (
    SELECT source, account_id, segment FROM won
    QUALIFY row_number() OVER (PARTITION BY source, account_id
                               ORDER BY closed_at, created_at NULLS LAST, source_id) = 1),
per_account AS (
    SELECT source, account_id, sum(amount_rc) AS won FROM won GROUP BY ALL)
SELECT f.segment, count(*), sum(p.won)
FROM firsts f JOIN per_account p USING (source, account_id)
GROUP BY f.segment
""",
    "best_actions": """
SELECT row_number() OVER (ORDER BY amount_rc DESC NULLS LAST, source, source_id), source,
       source_id,
       CASE WHEN is_won AND closed_period = $month THEN 'won' ELSE 'created' END,
       rep_id, team, channel, amount_rc
FROM opps
WHERE origin = 'sales' AND (created_period = $month OR (is_won AND closed_period = $month))
ORDER BY amount_rc DESC NULLS LAST, source, source_id
LIMIT 5
""",
    "lost_learnings": """
SELECT row_number() OVER (ORDER BY count(*) DESC, coalesce(sum(amount_rc), 0) DESC,
                                   reason NULLS LAST),
       reason, count(*), coalesce(sum(amount_rc), 0)
FROM (SELECT CASE WHEN length(trim(loss_reason, $whitespace)) > 0
                  THEN trim(loss_reason, $whitespace) END AS reason, amount_rc
      FROM opps
      WHERE origin = 'sales' AND is_closed AND NOT is_won AND closed_period = $month)
GROUP BY reason
ORDER BY 1
LIMIT 10
""",
}


def _duckdb_parameters(sql: str, values: dict) -> dict:
    return {name: value for name, value in values.items() if f"${name}" in sql}


def run_duckdb(folder: Path, month: str) -> dict:
    """Compute the shared figures in DuckDB SQL from the Parquet tables."""
    import duckdb

    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    started = time.perf_counter()
    for table, columns in DUCKDB_LOAD.items():
        connection.execute(f"CREATE TABLE {table} AS SELECT {columns} "
                           f"FROM read_parquet('{_parquet(folder, table)}')")
    for table in ("attribution", "persons"):
        connection.execute(f"CREATE TABLE {table} AS SELECT * "
                           f"FROM read_parquet('{folder / (table + '.parquet')}')")
    loaded = time.perf_counter()
    values = {"tz": TIMEZONE, "month": month, "fiscal_first": _scopes(month)[1][1],
              "as_of": AS_OF, "window": WINDOW_DAYS, "win_window": WIN_WINDOW_DAYS,
              "whitespace": WHITESPACE}
    for statement in DUCKDB_PREPARE:
        connection.execute(statement, _duckdb_parameters(statement, values))
    prepared = time.perf_counter()
    results = {name: connection.execute(sql, _duckdb_parameters(sql, values)).fetchall()
               for name, sql in DUCKDB_KPIS.items()}
    finished = time.perf_counter()
    (folder / "duckdb.json").write_text(
        json.dumps(shared_rows(results), ensure_ascii=False), encoding="utf-8")
    return {"load_s": loaded - started, "prepare_s": prepared - loaded,
            "kpis_s": finished - prepared, "peak_mib": _peak_mib()}


def shared_rows(results: dict) -> dict:
    """Shape DuckDB or pandas result rows like :func:`shared_polars`, filling empty groups."""
    totals = {(origin,): (count,) for origin, channel, count in results["lead_counts"]
              if channel is None}
    cohort = {(origin, stage): (numerator, denominator)
              for origin, stage, numerator, denominator in results["cohort"]}
    velocity = {(measure, origin): (counted, negative, None if median is None else
                                    float(median))
                for measure, origin, counted, negative, median in results["velocity"]}
    deal_size = [(scope, segment, count, _money(total), _half_up(total, count))
                 for scope, segment, count, total in results["deal_size"]]
    ltv = {(segment,): (count, _money(total), _half_up(total, count))
           for segment, count, total in results["realized_ltv"]}
    return _canonical({
        "lead_counts": [(origin, None, *totals.get((origin,), (0,))) for origin in ORIGINS]
        + [row for row in results["lead_counts"] if row[1] is not None],
        "sgl_counts": results["sgl_counts"],
        "cohort": _grid(cohort, [(origin, stage) for origin in ORIGINS
                                 for stage in ("sql", "won")], (0, 0)),
        "velocity": _grid(velocity, [(measure, origin) for measure in
                                     ("created_to_sql", "sql_to_won") for origin in ORIGINS],
                          (0, 0, None)),
        "pipeline": [(*row[:5], _money(row[5])) for row in results["pipeline"]],
        "deal_size": deal_size,
        "realized_ltv": _grid(ltv, [(segment,) for segment in SEGMENTS],
                              (0, _money(0), None)),
        "best_actions": [(*row[:7], _money(row[7])) for row in results["best_actions"]],
        "lost_learnings": [(*row[:3], _money(row[3])) for row in results["lost_learnings"]],
    })


# -- pandas ------------------------------------------------------------------------------


def _pandas_tables(folder: Path) -> dict:
    """Read the Parquet tables into pandas, with dates and amounts in native types."""
    import pandas as pd

    def read(path: Path | str, columns: list[str] | None = None):
        return pd.read_parquet(path, columns=columns)

    tables = {table: read(folder / table, columns.split(", "))
              for table, columns in DUCKDB_LOAD.items()}
    tables["attribution"] = read(folder / "attribution.parquet")
    tables["persons"] = read(folder / "persons.parquet")
    opportunities = tables["opportunities"]
    opportunities["closed_at"] = pd.to_datetime(opportunities["closed_at"])
    return tables


def _local_day(values):
    return values.dt.tz_convert(TIMEZONE).dt.tz_localize(None).dt.normalize()


def _month_number(values):
    """Return each date's month as the number YYYYMM, or NaN for NaT."""
    return values.dt.year * 100 + values.dt.month


def _yyyymm(month: str) -> int:
    year, number = month.split("-")
    return int(year) * 100 + int(number)


def pandas_prepare(tables: dict) -> dict:
    """Build the prepared leads (one per person) and opportunities, like ``prepare``."""
    import numpy as np
    import pandas as pd

    users, leads, opportunities = tables["users"], tables["leads"], tables["opportunities"]
    decisions = tables["attribution"]
    roles = users.assign(effective_role=users["role"].where(
        ~users["role"].isin(["sales", "inside_sales"]), "sales")).rename(
        columns={"source_id": "user_id"})[["source", "user_id", "effective_role", "team"]]

    lead_created = leads[["source", "source_id", "created_at"]].rename(
        columns={"source_id": "lead_id", "created_at": "lead_created_at"})
    pairs = pd.concat([
        opportunities.loc[opportunities["lead_id"].notna(), ["source", "source_id", "lead_id"]]
        .rename(columns={"source_id": "opportunity_id"}).assign(priority=1),
        leads.loc[leads["opportunity_id"].notna(), ["source", "opportunity_id", "source_id"]]
        .rename(columns={"source_id": "lead_id"}).assign(priority=2),
    ], ignore_index=True)
    known = opportunities[["source", "source_id"]].rename(
        columns={"source_id": "opportunity_id"})
    links = (pairs.merge(lead_created, on=["source", "lead_id"])
             .merge(known, on=["source", "opportunity_id"])
             .groupby(["source", "opportunity_id", "lead_id"], as_index=False)
             .agg(priority=("priority", "min"), lead_created_at=("lead_created_at", "first"))
             .sort_values(["source", "opportunity_id", "priority", "lead_created_at",
                           "lead_id"], na_position="last"))
    links["is_inherited"] = ~links.duplicated(["source", "opportunity_id"])

    opportunity_dates = pd.DataFrame({
        "source": opportunities["source"], "opportunity_id": opportunities["source_id"],
        "opportunity_created": _local_day(opportunities["created_at"]),
        "won_date": opportunities["closed_at"].where(
            opportunities["is_won"].fillna(value=False).astype(bool))})
    per_lead = (links.merge(opportunity_dates, on=["source", "opportunity_id"])
                .groupby(["source", "lead_id"], as_index=False)
                .agg(opportunity_created=("opportunity_created", "min"),
                     won_date=("won_date", "min"))
                .rename(columns={"lead_id": "source_id"}))

    lead_decisions = decisions.loc[decisions["record_kind"] == "lead",
                                   ["source", "source_id", "origin", "channel"]]
    creator = roles[["source", "user_id", "effective_role"]].rename(
        columns={"user_id": "created_by", "effective_role": "creator_role"})
    rows = (leads.merge(tables["persons"], on=["source", "source_id"], how="left")
            .merge(lead_decisions, on=["source", "source_id"], how="left")
            .merge(creator, on=["source", "created_by"], how="left")
            .merge(per_lead, on=["source", "source_id"], how="left"))
    rows["person_id"] = rows["person_id"].fillna(rows["source"] + ":" + rows["source_id"])
    rows["origin"] = rows["origin"].fillna("unknown")
    rows["channel"] = rows["channel"].fillna("unknown")
    rows["created_date"] = _local_day(rows["created_at"])
    rows["qualified_date"] = pd.concat([
        _local_day(rows["qualified_at"]), _local_day(rows["converted_at"]),
        rows["opportunity_created"]], axis=1).min(axis=1)
    rows["rep_id"] = rows["created_by"].where(
        rows["creator_role"] == "sales",
        rows["owner_at_creation"].fillna(rows["owner_id"]))

    person_dates = rows.groupby("person_id", as_index=False).agg(
        person_qualified=("qualified_date", "min"), person_won=("won_date", "min"))
    team_of = roles[["source", "user_id", "team"]].rename(columns={"user_id": "rep_id"})
    counted = (rows.sort_values(["created_at", "source", "source_id"], na_position="last")
               .drop_duplicates("person_id", keep="first")
               .merge(person_dates, on="person_id", how="left")
               .merge(team_of, on=["source", "rep_id"], how="left"))
    counted = counted[counted["created_at"].notna()]
    counted = counted.assign(period=_month_number(counted["created_date"]))[[
        "origin", "channel", "rep_id", "team", "created_date", "period", "person_qualified",
        "person_won"]].rename(columns={"person_qualified": "qualified_date",
                                       "person_won": "won_date"})

    opportunity_decisions = decisions.loc[decisions["record_kind"] == "opportunity",
                                          ["source", "source_id", "origin", "channel"]]
    inherited = links.loc[links["is_inherited"], ["source", "opportunity_id", "lead_id"]] \
        .rename(columns={"opportunity_id": "source_id"})
    lead_reps = rows[["source", "source_id", "rep_id"]].rename(
        columns={"source_id": "lead_id", "rep_id": "lead_rep"})
    opps = (opportunities.merge(opportunity_decisions, on=["source", "source_id"], how="left")
            .merge(inherited, on=["source", "source_id"], how="left", suffixes=("_own", ""))
            .merge(lead_reps, on=["source", "lead_id"], how="left"))
    opps["origin"] = opps["origin"].fillna("unknown")
    opps["channel"] = opps["channel"].fillna("unknown")
    opps["rep_id"] = opps["lead_rep"].fillna(opps["owner_id"])
    opps = opps.merge(team_of, on=["source", "rep_id"], how="left")
    opps["is_won"] = opps["is_won"].fillna(value=False).astype(bool)
    opps["is_closed"] = opps["is_closed"].fillna(value=False).astype(bool)
    opps["created_period"] = _month_number(_local_day(opps["created_at"]))
    opps["closed_period"] = _month_number(opps["closed_at"])
    opps["segment"] = np.where(opps["origin"] == "sales", "sgl", "other")
    # Exact amounts as whole ten-thousandths, so that sums stay exact in int64.
    has_amount = opps["amount"].notna()
    opps["units"] = pd.array([None] * len(opps), dtype="Int64")
    opps.loc[has_amount, "units"] = (opps.loc[has_amount, "amount"] * AMOUNT_UNITS).astype(
        "int64")
    return {"counted": counted, "opps": opps}


def pandas_kpis(prepared: dict, month: str) -> dict:
    """Compute the shared figures from :func:`pandas_prepare` output."""
    import pandas as pd

    counted, opps = prepared["counted"], prepared["opps"]
    number = _yyyymm(month)
    scopes = [(scope, _yyyymm(first)) for scope, first in _scopes(month)]

    def amount(units) -> Decimal:
        return Decimal(int(units)).scaleb(-4)

    def grouped(frame, keys: list[str]) -> list[tuple]:
        sizes = frame.groupby(keys, dropna=False).size()
        return [((key,) if len(keys) == 1 else key) + (int(size),)
                for key, size in sizes.items()]

    def nulls(row: tuple) -> tuple:
        return tuple(None if value is None or value is pd.NA or value != value else value
                     for value in row)

    created = counted[counted["period"] == number]
    lead_counts = [(origin, None, count) for (origin, count) in grouped(created, ["origin"])]
    lead_counts += grouped(created, ["origin", "channel"])

    sgls = created[created["origin"] == "sales"]
    sgl_counts = [("total", None, None, None, len(sgls))]
    sgl_counts += [("channel", None, None, channel, count)
                   for channel, count in grouped(sgls, ["channel"])]
    sgl_counts += [("rep", rep, team, None, count)
                   for rep, team, count in grouped(sgls, ["rep_id", "team"])]
    sgl_counts += [("team", None, team, None, count) for team, count in grouped(sgls, ["team"])]

    cohort = []
    for stage, event, window in (("sql", "qualified_date", WINDOW_DAYS),
                                 ("won", "won_date", WIN_WINDOW_DAYS)):
        within = created[event] <= created["created_date"] + pd.Timedelta(days=window)
        summary = within.groupby(created["origin"]).agg(["sum", "size"]).reset_index()
        cohort += [(origin, stage, int(reached), int(size))
                   for origin, reached, size in summary.itertuples(index=False)]

    velocity = []
    for measure, start, end in (("created_to_sql", "created_date", "qualified_date"),
                                ("sql_to_won", "qualified_date", "won_date")):
        ended = counted[counted[end].notna() & counted[start].notna()
                        & (_month_number(counted[end]) == number)]
        days = (ended[end] - ended[start]).dt.days
        for origin, values in days.groupby(ended["origin"]):
            non_negative = values[values >= 0]
            velocity.append((measure, origin, len(non_negative), int((values < 0).sum()),
                             float(non_negative.median()) if len(non_negative) else None))

    with_amount = opps[opps["units"].notna()]
    won = with_amount[with_amount["is_won"]]
    pipeline, deal_size = [], []
    for scope, first in scopes:
        events = pd.concat([
            with_amount[with_amount["created_period"].between(first, number)]
            .assign(measure="new_pipeline"),
            won[won["closed_period"].between(first, number)].assign(measure="won")])
        summary = events.groupby(["measure", "origin", "channel"])["units"].agg(
            ["size", "sum"]).reset_index()
        pipeline += [(scope, measure, origin, channel, int(size), amount(units))
                     for measure, origin, channel, size, units
                     in summary.itertuples(index=False)]
        in_scope = won[won["closed_period"].between(first, number)]
        for segment in SEGMENTS:
            units = in_scope.loc[in_scope["segment"] == segment, "units"]
            deal_size.append((scope, segment, len(units), amount(units.sum())))

    ltv_won = won[won["account_id"].notna() & won["closed_at"].notna()
                  & (won["closed_at"] <= pd.Timestamp(AS_OF))]
    firsts = (ltv_won.sort_values(["closed_at", "created_at", "source_id"], na_position="last")
              .drop_duplicates(["source", "account_id"], keep="first")
              [["source", "account_id", "segment"]])
    per_account = ltv_won.groupby(["source", "account_id"], as_index=False)["units"].sum()
    ltv = firsts.merge(per_account, on=["source", "account_id"]).groupby("segment")["units"] \
        .agg(["size", "sum"]).reset_index()
    realized_ltv = [(segment, int(size), amount(units))
                    for segment, size, units in ltv.itertuples(index=False)]

    won_now = opps["is_won"] & (opps["closed_period"] == number)
    chosen = opps[(opps["origin"] == "sales") & ((opps["created_period"] == number) | won_now)]
    chosen = chosen.assign(event=won_now[chosen.index].map({True: "won", False: "created"}))
    top = chosen.sort_values(["units", "source", "source_id"], ascending=[False, True, True],
                             na_position="last").head(5)
    best_actions = [nulls((rank, *row[:6])) + (None if pd.isna(row[6]) else amount(row[6]),)
                    for rank, row in enumerate(top[["source", "source_id", "event", "rep_id",
                                                     "team", "channel", "units"]]
                                               .itertuples(index=False), start=1)]

    lost = opps[(opps["origin"] == "sales") & opps["is_closed"] & ~opps["is_won"]
                & (opps["closed_period"] == number)]
    reason = lost["loss_reason"].str.strip(WHITESPACE)
    reason = reason.where(reason.str.len() > 0)
    summary = lost.assign(reason=reason).groupby("reason", dropna=False)["units"].agg(
        deals="size", units=lambda values: values.sum(min_count=0)).reset_index()
    summary = summary.sort_values(["deals", "units", "reason"], ascending=[False, False, True],
                                  na_position="last").head(10)
    lost_learnings = [(rank, None if pd.isna(row.reason) else row.reason, int(row.deals),
                       amount(row.units))
                      for rank, row in enumerate(summary.itertuples(index=False), start=1)]

    return {"lead_counts": [nulls(row) for row in lead_counts],
            "sgl_counts": [nulls(row) for row in sgl_counts], "cohort": cohort,
            "velocity": velocity, "pipeline": pipeline, "deal_size": deal_size,
            "realized_ltv": realized_ltv, "best_actions": best_actions,
            "lost_learnings": lost_learnings}


def run_pandas(folder: Path, month: str) -> dict:
    """Compute the shared figures in pandas from the Parquet tables."""
    started = time.perf_counter()
    tables = _pandas_tables(folder)
    loaded = time.perf_counter()
    prepared = pandas_prepare(tables)
    prepared_at = time.perf_counter()
    results = pandas_kpis(prepared, month)
    finished = time.perf_counter()
    (folder / "pandas.json").write_text(json.dumps(shared_rows(results), ensure_ascii=False),
                                        encoding="utf-8")
    return {"load_s": loaded - started, "prepare_s": prepared_at - loaded,
            "kpis_s": finished - prepared_at, "peak_mib": _peak_mib()}


# -- the run -----------------------------------------------------------------------------


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def compare(folder: Path, engine: str) -> list[str]:
    """Compare ``engine``'s figures with Polars'; print the first differences."""
    expected = json.loads((folder / "polars.json").read_text(encoding="utf-8"))
    actual = json.loads((folder / f"{engine}.json").read_text(encoding="utf-8"))
    differences = []
    for name, rows in expected.items():
        other = actual.get(name)
        if rows == other:
            continue
        differences.append(name)
        other = other or []
        print(f"  {name}: Polars {len(rows)} rows, {engine} {len(other)} rows")
        only_polars = [row for row in rows if row not in other][:5]
        only_other = [row for row in other if row not in rows][:5]
        for row in only_polars:
            print(f"    only in Polars: {row}")
        for row in only_other:
            print(f"    only in {engine}: {row}")
        if not only_polars and not only_other:
            print(f"    same rows in another order: Polars {rows}, {engine} {other}")
    return differences


def _stage(stage: str, folder: Path, arguments: argparse.Namespace) -> dict:
    command = [sys.executable, __file__, "--stage", stage, "--data", str(folder),
               "--size", str(arguments.size), "--month", arguments.month,
               *(["--after-writeback"] if arguments.after_writeback else [])]
    completed = subprocess.run(command, capture_output=True, text=True, check=False,
                               env=dict(os.environ))
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr[-6000:])
        raise SystemExit(f"The {stage} stage failed with exit code {completed.returncode}. "
                         "Its error output is printed above.")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _median_run(stage: str, folder: Path, arguments: argparse.Namespace) -> dict:
    runs = [_stage(stage, folder, arguments) for _run in range(arguments.repeat)]
    merged = {key: statistics.median(run[key] for run in runs) for key in runs[0]
              if key != "peak_mib"}
    merged["peak_mib"] = max(run["peak_mib"] for run in runs)
    return merged


PANDAS_MISSING = ("pandas: not installed, so skipped. Install it with "
                  "pip install -e '.[bench]'.")


def _engines(text: str | None) -> list[str]:
    if text is None:
        chosen = ["polars", "duckdb"]
        if importlib.util.find_spec("pandas") is not None:
            chosen.append("pandas")
        else:
            print(PANDAS_MISSING)
        return chosen
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(ENGINES))
    if unknown:
        raise SystemExit(f"Invalid engine {', '.join(unknown)} in --engines: expected a "
                         f"comma-separated list of {', '.join(ENGINES)}.")
    if "polars" not in chosen:
        raise SystemExit("Missing polars in --engines: the other engines read its "
                         "attribution decisions, so add polars to the list.")
    if "pandas" in chosen and importlib.util.find_spec("pandas") is None:
        print(PANDAS_MISSING)
        chosen.remove("pandas")
    return [name for name in ENGINES if name in chosen]


def _summary(results: dict) -> None:
    polars = results["polars"]
    polars_compute = polars["prepare_s"] + polars["kpis_s"]
    baseline = results.get("duckdb")
    baseline_s = baseline["prepare_s"] + baseline["kpis_s"] if baseline else None

    def ratio(seconds: float | None) -> str:
        return f"{seconds / baseline_s:.2f}" if seconds is not None and baseline_s else ""

    lines = [("generate tables", results["generate"]["seconds"],
              results["generate"]["peak_mib"], None),
             ("polars attribution + prepare + KPIs",
              polars["attribution_s"] + polars_compute, polars["peak_mib"], None),
             ("polars prepare + KPIs", polars_compute, polars["peak_mib"], polars_compute)]
    for engine in ("duckdb", "pandas"):
        if engine in results:
            seconds = results[engine]["prepare_s"] + results[engine]["kpis_s"]
            lines.append((f"{engine} prepare + shared KPIs", seconds,
                          results[engine]["peak_mib"], seconds))
    print()
    print(f"{'engine':<38} {'seconds':>8} {'peak MiB':>9} {'ratio to DuckDB':>16}")
    for label, seconds, peak, ratio_seconds in lines:
        print(f"{label:<38} {seconds:>8.2f} {peak:>9,.0f} {ratio(ratio_seconds):>16}")
    loads = ", ".join(f"{engine} {results[engine]['load_s']:.2f} s" for engine in ENGINES
                      if engine in results)
    print(f"Parquet reading, not in the seconds above: {loads}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="Number of leads.")
    parser.add_argument("--month", default=MONTH, help="Month of the KPIs, YYYY-MM.")
    parser.add_argument("--engines", help="Comma-separated engines to run, of polars, duckdb, "
                        "pandas (default: all that are installed; polars is required).")
    parser.add_argument("--repeat", type=int, default=1,
                        help="Runs per engine; the median time is shown.")
    parser.add_argument("--after-writeback", action="store_true",
                        help="Time the Polars stage as a nightly run after write-back: every "
                             "record carries the origin and channel written to it, the "
                             "write-back log has four rows per record, and the previous "
                             "decisions are stored.")
    parser.add_argument("--stage", choices=["generate", *ENGINES], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.repeat < 1:
        parser.error(f"invalid --repeat {arguments.repeat}: expected 1 or more")

    if arguments.stage:
        sys.path.insert(0, str(ROOT))
        if arguments.stage == "generate":
            result = run_generate(arguments.data, arguments.size)
        else:
            runner = {"polars": run_polars, "duckdb": run_duckdb, "pandas": run_pandas}
            extra = ({"after_writeback": arguments.after_writeback}
                     if arguments.stage == "polars" else {})
            result = runner[arguments.stage](arguments.data, arguments.month, **extra)
        print(json.dumps(result))
        return 0

    engines = _engines(arguments.engines)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}; {arguments.size:,} leads, month {arguments.month}")
    results: dict[str, dict] = {}
    mismatches: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="sgl-bench-") as temporary:
        folder = Path(temporary)
        results["generate"] = _stage("generate", folder, arguments)
        rows = results["generate"]["rows"]
        print(f"generated in {results['generate']['seconds']:.1f} s: "
              + ", ".join(f"{count:,} {table}" for table, count in rows.items()), flush=True)
        for engine in engines:
            results[engine] = _median_run(engine, folder, arguments)
            print(f"{engine}: done", flush=True)
        polars_rows = json.loads((folder / "polars.json").read_text(encoding="utf-8"))
        print("compared figures (rows): " + ", ".join(
            f"{name} {len(rows)}" for name, rows in polars_rows.items()))
        for engine in engines[1:]:
            mismatches[engine] = compare(folder, engine)

    polars = results["polars"]
    print(f"polars attribution: {polars['attribution_s']:.2f} s")
    print(f"polars prepare:     {polars['prepare_s']:.2f} s")
    print(f"polars KPIs:        {polars['kpis_s']:.2f} s (cost per SGL alone, not in the "
          f"other engines: {polars['cost_per_sgl_s']:.2f} s)")
    for engine in engines[1:]:
        print(f"{engine}: prepare {results[engine]['prepare_s']:.2f} s, "
              f"KPIs {results[engine]['kpis_s']:.2f} s")
    _summary(results)
    failed = False
    for engine, names in mismatches.items():
        if names:
            failed = True
            print(f"MISMATCH between Polars and {engine} in: {', '.join(names)}")
        else:
            print(f"Polars and {engine} figures are equal")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
