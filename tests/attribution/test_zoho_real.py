"""The real Zoho CRM export end to end: import, attribute, KPIs, against plain Python.

The import is the shipped ``zoho_crm`` mapping (``sgl import csv``). The independent side
reads the two CSV files with the csv module and applies the same definitions by hand: the
export's times are UTC (the import's default), months are Asia/Tokyo months, a person is a
normalized email, and the Zoho lead sources map to origins as the shipped rules decide them
for records without a creator.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from sgl.attribution_store import kpi_inputs, run_attribution
from sgl.cli.imports import import_with_mapping
from sgl.settings import Settings
from transforms.kpis import cohort_rates, pipeline_mix, sgl_counts

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real" / "zoho_crm"
TOKYO = ZoneInfo("Asia/Tokyo")
AS_OF = date(2021, 12, 31)

# Zoho's lead sources as the shipped rules decide them when no creator is known.
ORIGIN_OF_SOURCE = {
    "Employee Referral": "sales", "External Referral": "sales", "Cold Call": "sales",
    "Web Research": "sales", "Partner": "partner", "Trade Show": "marketing",
    "Advertisement": "marketing", "Public Relations": "marketing",
    "Sales Mail Alias": "marketing", "Online Store": "marketing", "": "unknown",
}


def _time(text: str) -> datetime:
    return datetime.strptime(text, "%d %b, %Y %H:%M:%S").replace(tzinfo=UTC)


def _rows(name: str) -> list[dict[str, str]]:
    with (SHARED / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def independent_figures() -> dict[str, dict]:
    """Compute monthly SGL counts, cohort figures and won amounts in plain Python."""
    leads = _rows("Leads.csv")
    potentials = _rows("Potentials.csv")
    origin_of_lead = {row["LEADID"]: ORIGIN_OF_SOURCE[row["Lead Source"].strip()]
                      for row in leads}

    by_lead = defaultdict(list)
    for row in potentials:
        by_lead[row["LEADID"]].append(row)

    people: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in leads:
        email = row["Email"].strip().lower()
        people[email or f"lead:{row['LEADID']}"].append(row)

    counts: dict[str, int] = defaultdict(int)
    cohorts: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for records in people.values():
        records.sort(key=lambda row: (_time(row["Created Time"]), row["LEADID"]))
        first = records[0]
        created = _time(first["Created Time"]).astimezone(TOKYO)
        month = created.strftime("%Y-%m")
        origin = origin_of_lead[first["LEADID"]]
        if origin == "sales":
            counts[month] += 1
        qualified = [_time(p["Created Time"]).astimezone(TOKYO).date()
                     for row in records for p in by_lead[row["LEADID"]]]
        won = [_time(p["Closing Date"]).date() for row in records for p in by_lead[row["LEADID"]]
               if p["Stage"] == "Closed Won"]
        for stage, dates, window in (("sql", qualified, 90), ("won", won, 365)):
            cell = cohorts[(month, origin, stage)]
            cell[1] += 1
            if dates and min(dates) <= created.date() + timedelta(days=window):
                cell[0] += 1

    won_amounts: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in potentials:
        if row["Stage"] != "Closed Won":
            continue
        month = _time(row["Closing Date"]).strftime("%Y-%m")
        amount = Decimal(row["Amount"].replace("$", "").replace(",", ""))
        won_amounts[(month, origin_of_lead[row["LEADID"]])] += amount
    return {"counts": dict(counts), "cohorts": dict(cohorts), "won": dict(won_amounts)}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory):
    if not SHARED.is_dir():
        pytest.skip(f"real datasets not found at {SHARED}: they sit beside the repository "
                    "only in the development workspace")
    folder = tmp_path_factory.mktemp("zoho")
    settings = Settings.model_validate({
        "warehouse": {"path": str(folder / "w.duckdb")},
        "general": {"reporting_currency": "USD"}})
    import_with_mapping(settings, "zoho_crm", [SHARED / "Leads.csv", SHARED / "Potentials.csv"])
    run = run_attribution(settings, full=True)
    return run, kpi_inputs(settings)


def test_every_record_classified(pipeline) -> None:
    run, inputs = pipeline

    assert run.leads == 3350
    assert run.opportunities == 2818
    assert inputs.leads.get_column("origin").null_count() == 0
    assert inputs.opportunities.get_column("origin").is_in(
        ["sales", "marketing", "partner", "unknown"]).all()


def test_monthly_figures_match_plain_python(pipeline) -> None:
    _run, inputs = pipeline
    expected = independent_figures()
    months = sorted(inputs.leads.filter(pl.col("counted")).get_column("period").unique()
                    .to_list())
    won_months = sorted({month for month, _origin in expected["won"]})

    assert months
    for month in months:
        total = sgl_counts(inputs, month).filter(pl.col("dimension") == "total")
        assert total.get_column("value").item() == expected["counts"].get(month, 0), month

        rates = cohort_rates(inputs, month, AS_OF)
        for origin, stage, numerator, denominator in rates.select(
                "origin", "stage", "numerator", "denominator").iter_rows():
            want = expected["cohorts"].get((month, origin, stage), [0, 0])
            assert [numerator, denominator] == want, (month, origin, stage)

    for month in won_months:
        mix = pipeline_mix(inputs, month).filter(
            (pl.col("scope") == "month") & (pl.col("measure") == "won"))
        got = mix.group_by("origin").agg(pl.col("value").sum())
        for origin, value in got.iter_rows():
            assert value == expected["won"][(month, origin)], (month, origin)
        assert got.height == len({o for m, o in expected["won"] if m == month})
