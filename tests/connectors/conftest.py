"""Fixtures for the connector tests: generated sandbox orgs with or without faults."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from salesforce_helpers import AS_OF, SIZE

from sandbox import Sandbox
from sandbox.faults import FaultPlan


@pytest.fixture
def fresh_org(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A new generated org; indirect parametrization may pass a FaultPlan or options."""
    options = dict(getattr(request, "param", None) or {})
    faults = options.pop("faults", FaultPlan(seed=3, time_scale=0.001))
    with Sandbox(size=options.pop("size", SIZE), seed=11, as_of=AS_OF, faults=faults,
                 mount_hubspot=False, **options) as running:
        yield running
