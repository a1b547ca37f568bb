"""Fixtures for write-back tests: a fresh sandbox with both CRMs and a warehouse path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox import Sandbox
from sandbox.faults import FaultPlan
from tests.writeback.helpers import AS_OF, SIZE


@pytest.fixture
def crm(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A fresh sandbox; indirect parametrization may pass faults or sandbox options."""
    options = dict(getattr(request, "param", None) or {})
    faults = options.pop("faults", FaultPlan(seed=3, time_scale=0.001))
    with Sandbox(size=SIZE, seed=5, as_of=AS_OF, faults=faults, **options) as running:
        yield running


@pytest.fixture
def warehouse_path(tmp_path: Path) -> Path:
    return tmp_path / "sgl.duckdb"
