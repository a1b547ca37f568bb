"""Salesforce pulls through injected faults: rate limits, 5xx, expired sessions, crashes, budget."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from salesforce_helpers import credentials_env, live_ids, read_table, salesforce_settings, sync_state

from flows import steps
from flows.steps import sync_source
from sandbox import Sandbox
from sandbox.faults import FaultPlan, RateLimit, ServerError, SessionExpiry

STORM = FaultPlan([
    RateLimit(api="salesforce", path=r"/query", every=2),
    ServerError(api="salesforce", path=r"/query", status=503, every=3),
    ServerError(api="salesforce", path=r"/query", status=502, every=7),
], seed=5, time_scale=0.001)
EXPIRY = FaultPlan([SessionExpiry(api="salesforce", after_calls=4)], seed=5)


def lead_ids(warehouse: Path) -> list[str]:
    frame = read_table(warehouse, "leads").filter(pl.col("object") == "Lead")
    return frame["source_id"].to_list()


@pytest.mark.parametrize("fresh_org", [{"faults": STORM}], indirect=True)
def test_rate_limit_storm_finishes(fresh_org: Sandbox, tmp_path: Path) -> None:
    fresh_org.salesforce.page_size_limit = 20
    warehouse = tmp_path / "w.duckdb"
    settings = salesforce_settings(fresh_org, warehouse)

    summary = sync_source(settings, "salesforce", ["Lead", "Task"],
                          env=credentials_env(fresh_org))

    assert summary.ok
    injected = fresh_org.faults.kinds_injected()
    assert injected.count("rate_limit") >= 5
    assert injected.count("server_error") >= 3
    ids = lead_ids(warehouse)
    assert sorted(ids) == sorted(live_ids(fresh_org, "Lead"))
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("fresh_org", [{"faults": EXPIRY}], indirect=True)
def test_expired_session_resumes(fresh_org: Sandbox, tmp_path: Path) -> None:
    fresh_org.salesforce.page_size_limit = 30
    warehouse = tmp_path / "w.duckdb"
    settings = salesforce_settings(fresh_org, warehouse)

    summary = sync_source(settings, "salesforce", ["Lead"], env=credentials_env(fresh_org))

    assert summary.ok
    assert fresh_org.faults.kinds_injected().count("session_expired") >= 2
    sign_ins = fresh_org.request_log.count(api="salesforce", path_contains="/oauth2/token")
    assert sign_ins >= 3  # the first sign-in and one renewal per expiry
    ids = lead_ids(warehouse)
    assert sorted(ids) == sorted(live_ids(fresh_org, "Lead"))


def test_crash_resumes_from_saved_page(fresh_org: Sandbox, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    fresh_org.salesforce.page_size_limit = 25
    warehouse = tmp_path / "w.duckdb"
    settings = salesforce_settings(fresh_org, warehouse)
    build_normalizer = steps.build_normalizer
    pages_seen = []

    def crashing_normalizer(settings, source):
        normalizer = build_normalizer(settings, source)

        def normalize_or_crash(object_name, records):
            pages_seen.append(object_name)
            if len(pages_seen) == 4:
                raise RuntimeError("disk full")
            return normalizer(object_name, records)
        return normalize_or_crash

    monkeypatch.setattr(steps, "build_normalizer", crashing_normalizer)
    with pytest.raises(RuntimeError):
        sync_source(settings, "salesforce", ["Lead"], env=credentials_env(fresh_org))

    state = sync_state(warehouse, "Lead")
    assert state["last_status"] == "failed"
    assert state["last_error"] == "Lead page 4: RuntimeError"
    saved = read_table(warehouse, "leads", include_deleted=True)
    assert saved.height <= 3 * 25
    assert state["watermark_id"] == saved.sort("modified_at", "source_id")["source_id"][-1] \
        or state["watermark_id"] not in set(saved["source_id"])  # a deleted record may end a page

    monkeypatch.setattr(steps, "build_normalizer", build_normalizer)
    fresh_org.request_log.clear()
    summary = sync_source(settings, "salesforce", ["Lead"], env=credentials_env(fresh_org))

    assert summary.ok
    first_query = fresh_org.request_log.select(path_contains="/queryAll")[0]
    assert first_query.records <= 25
    rerun = summary.objects[0]
    total = len(live_ids(fresh_org, "Lead")) + rerun.deleted
    assert rerun.records + rerun.deleted <= total - 3 * 25 + 25  # resumed, not restarted
    ids = lead_ids(warehouse)
    assert sorted(ids) == sorted(live_ids(fresh_org, "Lead"))
    assert sync_state(warehouse, "Lead")["last_status"] == "ok"


@pytest.mark.parametrize("fresh_org", [{"daily_api_limit": 200}], indirect=True)
def test_budget_stop_keeps_checkpoint(fresh_org: Sandbox, tmp_path: Path) -> None:
    fresh_org.salesforce.page_size_limit = 10
    warehouse = tmp_path / "w.duckdb"
    settings = salesforce_settings(fresh_org, warehouse, api_budget_share=0.05)

    summary = sync_source(settings, "salesforce", ["Lead", "Task"],
                          env=credentials_env(fresh_org))

    assert summary.stopped
    assert [item.object for item in summary.objects] == ["Lead"]  # Task never started
    lead = summary.objects[0]
    assert lead.status == "stopped"
    assert lead.pages >= 1
    state = sync_state(warehouse, "Lead")
    assert state["last_status"] == "stopped"
    assert state["watermark_id"] is not None
    assert "api_budget_share" in state["last_error"]

    relaxed = salesforce_settings(fresh_org, warehouse, api_budget_share=1.0)
    resumed = sync_source(relaxed, "salesforce", ["Lead"], env=credentials_env(fresh_org))
    assert resumed.ok
    assert resumed.objects[0].records + resumed.objects[0].deleted < \
        len(live_ids(fresh_org, "Lead")) + resumed.objects[0].deleted
    assert sorted(lead_ids(warehouse)) == sorted(live_ids(fresh_org, "Lead"))
