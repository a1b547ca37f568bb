"""The stored SGL count of flows.reporting counts each person once, as the KPIs do."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from flows.reporting import sgl_count
from sgl.attribution_store import kpi_inputs, run_attribution
from sgl.settings import load_settings
from tests.attribution import golden_world as world
from transforms.kpis import sgl_counts

MONTH = "2025-04"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sgl.toml").write_text(
        '[general]\ncurrency_rates = { USD = 150 }\n'
        '[warehouse]\npath = "var/sgl.duckdb"\n', encoding="utf-8")
    world.save(tmp_path / "var" / "sgl.duckdb")
    loaded = load_settings(tmp_path / "sgl.toml", {})
    run_attribution(loaded, full=True, now=datetime(2025, 8, 10, tzinfo=UTC))
    return loaded


def test_sgl_count_matches_the_kpi_total(settings) -> None:
    # L1 and L7 are one person, both sales leads created in April: one SGL.
    total = (sgl_counts(kpi_inputs(settings), MONTH)
             .filter(pl.col("dimension") == "total").get_column("value").item())

    assert sgl_count(settings, MONTH) == total
