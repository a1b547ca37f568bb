"""Benchmark attribution and every KPI on generated canonical frames, beside DuckDB SQL.

The parent process generates canonical tables (leads, opportunities, activities, users,
accounts) with NumPy and saves them as Parquet; each engine then runs in its own subprocess
so that its peak resident set size (``ru_maxrss``) is its own, input reading included:

- ``polars``: ``attribute`` + ``prepare`` + ``all_kpis`` for one month;
- ``duckdb``: the same lead-count, cohort, pipeline, won-deal-size and velocity figures in
  SQL over the same tables and the Polars attribution decisions (SQL does not re-implement
  the rules, so only the KPI part is compared: Polars KPI time vs DuckDB time);
- ``pandas``: skipped unless pandas is installed (it is not a dependency).

The shared figures are checked equal and the run stops with an error if they differ.

Usage::

    .venv/bin/python bench/bench_attribution_kpis.py                 # 1,000,000 leads
    .venv/bin/python bench/bench_attribution_kpis.py --size 10000000 # by hand: ~10 GB of RAM
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MONTH = "2025-06"
AS_OF = date(2025, 12, 31)
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 2 * 365 * 24 * 3600
SOURCES = ["紹介", "Web", "Sansan", "展示会", "セミナー", "Cold Call", "REFERRALS", "資料請求",
           "Partner Referral", "Other", "", "休眠掘り起こし", "LinkedIn", "Advertisement"]


def generate(size: int, folder: Path, seed: int = 7) -> None:
    """Write canonical tables for ``size`` leads into ``folder`` as Parquet."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    reps = 200
    roles = np.array(["sales"] * 120 + ["inside_sales"] * 40 + ["marketing"] * 20
                     + ["integration"] * 20)
    users = pl.DataFrame({
        "source": "sf", "source_id": [f"U{i}" for i in range(reps)],
        "role": roles, "team": [f"T{i % 8}" for i in range(reps)]})
    account_count = max(size // 10, 1)
    accounts = pl.DataFrame({
        "source": "sf", "source_id": pl.int_range(account_count, eager=True).cast(pl.Utf8),
        "domain": None, "is_abm_target": rng.random(account_count) < 0.05})

    created = START.timestamp() + rng.random(size) * SPAN_SECONDS
    person = rng.integers(0, int(size * 0.98), size)  # about 2% share an email
    has_account = rng.random(size) < 0.5
    leads = pl.DataFrame({
        "source": "sf", "object": "Lead",
        "source_id": pl.int_range(size, eager=True).cast(pl.Utf8),
        "created_at": (created * 1e6).astype("int64"),
        "created_by": rng.integers(0, reps, size),
        "owner_id": rng.integers(0, 160, size),
        "lead_source": np.array(SOURCES)[rng.integers(0, len(SOURCES), size)],
        "account_id": np.where(has_account, rng.integers(0, account_count, size), -1),
        "email": person,
        "qualified_in": np.where(rng.random(size) < 0.3, rng.integers(-3, 120, size), -999),
    }).with_columns(
        pl.col("created_at").cast(pl.Datetime("us", "UTC")),
        ("U" + pl.col("created_by").cast(pl.Utf8)).alias("created_by"),
        ("U" + pl.col("owner_id").cast(pl.Utf8)).alias("owner_id"),
        pl.when(pl.col("lead_source") == "").then(None).otherwise(pl.col("lead_source"))
        .alias("lead_source"),
        pl.when(pl.col("account_id") >= 0).then(pl.col("account_id").cast(pl.Utf8))
        .otherwise(None).alias("account_id"),
        (pl.col("email").cast(pl.Utf8) + "@example.jp").alias("email"),
    ).with_columns(
        pl.when(pl.col("qualified_in") > -999)
        .then(pl.col("created_at") + pl.duration(days=pl.col("qualified_in")))
        .otherwise(None).alias("qualified_at"),
    ).drop("qualified_in")

    deal_count = size // 5
    lead_of_deal = rng.choice(size, deal_count, replace=False)
    opened = leads.get_column("created_at").gather(lead_of_deal)
    outcome = rng.random(deal_count)
    closed_days = rng.integers(5, 300, deal_count)
    opportunities = pl.DataFrame({
        "source": "sf", "object": "Opportunity",
        "source_id": [f"O{i}" for i in range(deal_count)],
        "lead_id": leads.get_column("source_id").gather(lead_of_deal),
        "account_id": leads.get_column("account_id").gather(lead_of_deal),
        "owner_id": leads.get_column("owner_id").gather(lead_of_deal),
        "created_at": opened + pl.Series(rng.integers(0, 40, deal_count) * 86_400_000_000)
        .cast(pl.Duration("us")),
        "is_closed": outcome < 0.7, "is_won": outcome < 0.3,
        "closed_days": closed_days,
        "amount": (rng.integers(12, 500, deal_count) * 100_000).astype("int64"),
        "currency": "JPY",
        "loss_reason": np.array(["価格", "競合", "タイミング", ""])[rng.integers(0, 4, deal_count)],
    }).with_columns(
        pl.when(pl.col("is_closed"))
        .then((pl.col("created_at") + pl.duration(days=pl.col("closed_days")))
              .dt.convert_time_zone("Asia/Tokyo").dt.date())
        .otherwise(None).alias("closed_at"),
        pl.col("amount").cast(pl.Decimal(20, 4)),
        pl.when(pl.col("is_won") | ~pl.col("is_closed")).then(None)
        .otherwise(pl.col("loss_reason")).alias("loss_reason"),
    ).drop("closed_days")

    activity_count = size
    activities = pl.DataFrame({
        "source": "sf", "object": "Task",
        "source_id": [f"T{i}" for i in range(activity_count)],
        "owner_id": rng.integers(0, 160, activity_count),
        "lead_id": leads.get_column("source_id").gather(rng.integers(0, size, activity_count)),
        "activity_type": np.array(["call", "email", "meeting", "letter"])[
            rng.integers(0, 4, activity_count)],
        "duration_minutes": np.where(rng.random(activity_count) < 0.5,
                                     rng.integers(5, 60, activity_count), np.nan),
        "occurred_at": ((START.timestamp() + rng.random(activity_count) * SPAN_SECONDS) * 1e6)
        .astype("int64"),
    }).with_columns(
        ("U" + pl.col("owner_id").cast(pl.Utf8)).alias("owner_id"),
        pl.col("occurred_at").cast(pl.Datetime("us", "UTC")),
        pl.col("duration_minutes").fill_nan(None),
    )
    for name, frame in (("users", users), ("accounts", accounts), ("leads", leads),
                        ("opportunities", opportunities), ("activities", activities)):
        frame.write_parquet(folder / f"{name}.parquet")


def _frames(folder: Path):
    import polars as pl

    from transforms.attribution import CanonicalFrames

    return CanonicalFrames(**{name: pl.read_parquet(folder / f"{name}.parquet") for name in
                              ("users", "accounts", "leads", "opportunities", "activities")})


def run_polars(folder: Path) -> dict:
    """Attribute and compute every KPI; save the decisions and the shared figures."""
    sys.path.insert(0, str(ROOT))
    from decimal import Decimal

    from transforms.attribution import AttributionParams, attribute, with_decisions
    from transforms.kpis import KpiParams, all_kpis, prepare
    from transforms.rules import load_rules

    frames = _frames(folder)
    rules = load_rules()
    started = time.perf_counter()
    result = attribute(frames, rules, AttributionParams(), datetime.now(UTC))
    attributed = time.perf_counter()
    params = KpiParams(hourly_cost_by_role={"sales": Decimal(6000),
                                            "inside_sales": Decimal(5000)})
    inputs = prepare(with_decisions(frames, result), params)
    figures = all_kpis(inputs, MONTH, AS_OF)
    finished = time.perf_counter()

    result.table.write_parquet(folder / "attribution.parquet")
    result.persons.select("source", "source_id", "person_id").write_parquet(
        folder / "persons.parquet")
    shared = shared_polars(figures)
    (folder / "polars.json").write_text(json.dumps(shared, default=str), encoding="utf-8")
    return {"attribution_s": attributed - started, "kpis_s": finished - attributed,
            "total_s": finished - started, "peak_mib": _peak_mib()}


def shared_polars(figures: dict) -> dict:
    import polars as pl

    counts = figures["lead_counts"].filter(pl.col("channel").is_null())
    return {
        "lead_counts": sorted(counts.select("origin", "value").rows()),
        "cohort": sorted(figures["cohort_rates"].select(
            "origin", "stage", "numerator", "denominator").rows()),
        "pipeline": sorted((scope, measure, origin, channel, str(value.normalize()))
                           for scope, measure, origin, channel, value in
                           figures["pipeline_mix"].select(
                               "scope", "measure", "origin", "channel", "value").rows()),
        "deal_size": sorted((scope, segment, denominator, str(numerator.normalize()))
                            for scope, segment, denominator, numerator in
                            figures["won_deal_size"].select(
                                "scope", "segment", "denominator", "numerator").rows()),
        "velocity": sorted((measure, origin, numerator, value)
                           for measure, origin, numerator, value in figures["velocity"].select(
                               "measure", "origin", "numerator", "value").rows()
                           if numerator),
    }


DUCKDB_SQL = """
WITH lead_decisions AS (
    SELECT source, source_id, origin, channel FROM attribution WHERE record_kind = 'lead'),
opportunity_decisions AS (
    SELECT source, source_id, origin, channel FROM attribution
    WHERE record_kind = 'opportunity'),
links AS (
    SELECT source, source_id AS opportunity_id, lead_id FROM opportunities
    WHERE lead_id IS NOT NULL),
per_lead AS (
    SELECT k.source, k.lead_id,
           min(CAST(timezone('Asia/Tokyo', o.created_at) AS DATE)) AS opportunity_created,
           min(CASE WHEN o.is_won THEN o.closed_at END) AS won_date
    FROM links k JOIN opportunities o
      ON o.source = k.source AND o.source_id = k.opportunity_id
    GROUP BY ALL),
lead_rows AS (
    SELECT l.source, l.source_id, l.created_at, p.person_id,
           CAST(timezone('Asia/Tokyo', l.created_at) AS DATE) AS created_date,
           least(CAST(timezone('Asia/Tokyo', l.qualified_at) AS DATE),
                 pl.opportunity_created) AS qualified_date,
           pl.won_date
    FROM leads l
    JOIN persons p ON p.source = l.source AND p.source_id = l.source_id
    LEFT JOIN per_lead pl ON pl.source = l.source AND pl.lead_id = l.source_id),
person_dates AS (
    SELECT person_id, min(qualified_date) AS qualified_date, min(won_date) AS won_date
    FROM lead_rows GROUP BY person_id),
firsts AS (
    SELECT r.source, r.source_id, r.person_id, r.created_date, d.origin
    FROM lead_rows r JOIN lead_decisions d
      ON d.source = r.source AND d.source_id = r.source_id
    QUALIFY row_number() OVER (PARTITION BY r.person_id
                               ORDER BY r.created_at, r.source, r.source_id) = 1),
cohort AS (
    SELECT f.origin, f.created_date, pd.qualified_date, pd.won_date
    FROM firsts f JOIN person_dates pd USING (person_id)
    WHERE strftime(f.created_date, '%Y-%m') = $month)
SELECT 'lead_counts' AS kpi, origin, NULL AS stage, count(*) AS a, NULL AS b, NULL AS c,
       NULL AS d
FROM cohort GROUP BY origin
UNION ALL
SELECT 'cohort', origin, 'sql',
       count(*) FILTER (WHERE qualified_date <= created_date + INTERVAL 90 DAY), count(*),
       NULL, NULL
FROM cohort GROUP BY origin
UNION ALL
SELECT 'cohort', origin, 'won',
       count(*) FILTER (WHERE won_date <= created_date + INTERVAL 365 DAY), count(*), NULL, NULL
FROM cohort GROUP BY origin
UNION ALL
SELECT 'velocity_sql', f.origin, NULL,
       count(*) FILTER (WHERE pd.qualified_date >= f.created_date), NULL, NULL,
       median(datediff('day', f.created_date, pd.qualified_date))
           FILTER (WHERE pd.qualified_date >= f.created_date)
FROM firsts f JOIN person_dates pd USING (person_id)
WHERE strftime(pd.qualified_date, '%Y-%m') = $month GROUP BY f.origin
UNION ALL
SELECT 'velocity_won', f.origin, NULL,
       count(*) FILTER (WHERE pd.won_date >= pd.qualified_date), NULL, NULL,
       median(datediff('day', pd.qualified_date, pd.won_date))
           FILTER (WHERE pd.won_date >= pd.qualified_date)
FROM firsts f JOIN person_dates pd USING (person_id)
WHERE strftime(pd.won_date, '%Y-%m') = $month AND pd.qualified_date IS NOT NULL
GROUP BY f.origin
UNION ALL
SELECT 'pipeline_' || measure, origin, channel, count(*), NULL, CAST(sum(amount) AS VARCHAR),
       NULL
FROM (
    SELECT 'new_pipeline' AS measure, d.origin, d.channel, o.amount
    FROM opportunities o JOIN opportunity_decisions d USING (source, source_id)
    WHERE strftime(timezone('Asia/Tokyo', o.created_at), '%Y-%m') = $month
      AND o.amount IS NOT NULL
    UNION ALL
    SELECT 'won', d.origin, d.channel, o.amount
    FROM opportunities o JOIN opportunity_decisions d USING (source, source_id)
    WHERE o.is_won AND strftime(o.closed_at, '%Y-%m') = $month AND o.amount IS NOT NULL)
GROUP BY ALL
UNION ALL
SELECT 'deal_size', CASE WHEN d.origin = 'sales' THEN 'sgl' ELSE 'other' END, NULL,
       count(*), NULL, CAST(sum(o.amount) AS VARCHAR), NULL
FROM opportunities o JOIN opportunity_decisions d USING (source, source_id)
WHERE o.is_won AND strftime(o.closed_at, '%Y-%m') = $month AND o.amount IS NOT NULL
GROUP BY ALL
"""


def run_duckdb(folder: Path) -> dict:
    """Compute the shared figures in DuckDB SQL from the Parquet tables."""
    import duckdb

    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    started = time.perf_counter()
    for name in ("leads", "opportunities", "attribution", "persons"):
        connection.execute(f"CREATE VIEW {name} AS SELECT * FROM "
                           f"read_parquet('{folder / (name + '.parquet')}')")
    rows = connection.execute(DUCKDB_SQL, {"month": MONTH}).fetchall()
    finished = time.perf_counter()
    (folder / "duckdb.json").write_text(json.dumps(shared_duckdb(rows), default=str),
                                        encoding="utf-8")
    return {"total_s": finished - started, "peak_mib": _peak_mib()}


def shared_duckdb(rows: list[tuple]) -> dict:
    from decimal import Decimal

    def amount(text: str) -> str:
        return str(Decimal(text).normalize())

    lead_counts = sorted((origin, a) for kpi, origin, _s, a, _b, _c, _d in rows
                         if kpi == "lead_counts")
    seen = {origin for origin, _count in lead_counts}
    origins = ("sales", "marketing", "partner", "unknown")
    lead_counts = sorted(lead_counts + [(origin, 0) for origin in origins if origin not in seen])
    cohort = {(origin, stage): (a, b) for kpi, origin, stage, a, b, _c, _d in rows
              if kpi == "cohort"}
    velocity = sorted(
        ("created_to_sql" if kpi == "velocity_sql" else "sql_to_won", origin, a, float(d))
        for kpi, origin, _s, a, _b, _c, d in rows if kpi.startswith("velocity") and a)
    pipeline = sorted((scope, kpi.removeprefix("pipeline_"), origin, channel, amount(c))
                      for kpi, origin, channel, _a, _b, c, _d in rows
                      if kpi.startswith("pipeline_") for scope in ("month",))
    deal_size = sorted(("month", segment, a, amount(c)) for kpi, segment, _s, a, _b, c, _d
                       in rows if kpi == "deal_size")
    return {
        "lead_counts": lead_counts,
        "cohort": sorted((origin, stage, *cohort.get((origin, stage), (0, 0)))
                         for origin in origins for stage in ("sql", "won")),
        "pipeline": pipeline,
        "deal_size": deal_size,
        "velocity": velocity,
    }


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def compare(folder: Path) -> list[str]:
    polars_figures = json.loads((folder / "polars.json").read_text(encoding="utf-8"))
    duckdb_figures = json.loads((folder / "duckdb.json").read_text(encoding="utf-8"))
    # The fiscal-year-to-date rows have no SQL counterpart here; compare the month rows.
    polars_figures["pipeline"] = [row for row in polars_figures["pipeline"] if row[0] == "month"]
    polars_figures["deal_size"] = [row for row in polars_figures["deal_size"]
                                   if row[0] == "month" and row[2]]
    print("compared rows: " + ", ".join(f"{name} {len(rows)}"
                                         for name, rows in duckdb_figures.items()))
    return [name for name in duckdb_figures if polars_figures[name] != duckdb_figures[name]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="Number of leads.")
    parser.add_argument("--stage", choices=["polars", "duckdb"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()

    if arguments.stage:
        sys.path.insert(0, str(ROOT))
        runner = run_polars if arguments.stage == "polars" else run_duckdb
        print(json.dumps(runner(arguments.data)))
        return 0

    with tempfile.TemporaryDirectory(prefix="sgl-bench-") as temporary:
        folder = Path(temporary)
        started = time.perf_counter()
        sys.path.insert(0, str(ROOT))
        generate(arguments.size, folder)
        print(f"generated {arguments.size:,} leads in {time.perf_counter() - started:.1f} s")
        results = {}
        for stage in ("polars", "duckdb"):
            completed = subprocess.run(
                [sys.executable, __file__, "--stage", stage, "--data", str(folder)],
                capture_output=True, text=True, check=True, env=dict(os.environ))
            results[stage] = json.loads(completed.stdout.strip().splitlines()[-1])
        differences = compare(folder)

    polars_result, duckdb_result = results["polars"], results["duckdb"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}")
    print(f"polars attribution: {polars_result['attribution_s']:.2f} s")
    print(f"polars KPIs:        {polars_result['kpis_s']:.2f} s")
    print(f"polars total:       {polars_result['total_s']:.2f} s, peak "
          f"{polars_result['peak_mib']:.0f} MiB")
    print(f"duckdb shared KPIs: {duckdb_result['total_s']:.2f} s, peak "
          f"{duckdb_result['peak_mib']:.0f} MiB")
    print(f"ratio polars KPIs / duckdb: "
          f"{polars_result['kpis_s'] / duckdb_result['total_s']:.2f}")
    try:
        import pandas  # noqa: F401
    except ImportError:
        print("pandas: not installed, skipped")
    if differences:
        print(f"MISMATCH between Polars and DuckDB in: {', '.join(differences)}")
        return 1
    print("Polars and DuckDB figures are equal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
