"""Salesforce write-back through simple-salesforce against the sandbox over HTTPS."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from connectors.writeback import ChangeCapExceeded, TargetFieldsInvalid
from sandbox import Sandbox
from sandbox.faults import FaultPlan, RateLimit, RecordError, ServerError
from tests.writeback import helpers
from tests.writeback.helpers import (
    decide,
    lead_ids,
    log_rows,
    run,
    salesforce_values,
    settings_for,
    snapshot_salesforce,
)

# Fixtures shared by the write-back tests, defined in helpers.py.
crm = helpers.crm
warehouse_path = helpers.warehouse_path

COLLECTIONS = "/composite/sobjects"


def writes(sandbox: Sandbox) -> int:
    return sandbox.request_log.count(api="salesforce", method="PATCH", path_contains=COLLECTIONS)


def queries(sandbox: Sandbox) -> int:
    return sandbox.request_log.count(api="salesforce", method="GET", path_contains="/query")


def test_first_apply_writes_expected_fields(crm: Sandbox, warehouse_path: Path) -> None:
    ids = lead_ids(crm, 420)
    snapshot_salesforce(crm, warehouse_path)
    decide(warehouse_path, "salesforce", "lead", ids, channel_rule="dormant:lost")
    settings = settings_for(crm, warehouse_path)
    crm.request_log.clear()

    report = run(crm, settings)

    assert report.counts() == {"written": 420 * 4}
    assert writes(crm) == math.ceil(420 / 200)
    assert queries(crm) == math.ceil(420 / 200)
    assert salesforce_values(crm, "Lead", ids[0]) == {
        "SGL_Origin__c": "sales", "SGL_Channel__c": "referral",
        "SGL_Rule__c": "rule:referral / dormant:lost",
        "SGL_Decided_At__c": "2025-07-01T09:30:00.000+0000"}
    untouched = crm.salesforce.store.query(
        'SELECT count(*) FROM "Lead" WHERE "SGL_Rule__c" IS NOT NULL')[0][0]
    assert untouched == 420


def test_dry_run_lists_what_apply_does(crm: Sandbox, warehouse_path: Path) -> None:
    ids = lead_ids(crm, 30)
    snapshot_salesforce(crm, warehouse_path)
    decide(warehouse_path, "salesforce", "lead", ids)
    crm.salesforce.store.update("Lead", ids[3], {"SGL_Channel__c": "network"})
    settings = settings_for(crm, warehouse_path)

    preview = run(crm, settings, apply=False)
    assert writes(crm) == 0
    applied = run(crm, settings)

    columns = ["source_id", "field", "before", "after"]
    would = preview.rows.filter(pl.col("result") == "dry_run").select(columns).sort(columns)
    did = applied.rows.filter(pl.col("result") == "written").select(columns).sort(columns)
    assert would.height == 30 * 4 - 1
    assert would.equals(did)
    skipped = applied.rows.filter(pl.col("result") != "written")
    assert skipped.select("source_id", "field", "result").rows() == [
        (ids[3], "SGL_Channel__c", "skipped_changed_since_pull")]


def test_second_apply_writes_nothing(crm: Sandbox, warehouse_path: Path) -> None:
    ids = lead_ids(crm, 50)
    snapshot_salesforce(crm, warehouse_path)
    decide(warehouse_path, "salesforce", "lead", ids)
    settings = settings_for(crm, warehouse_path)
    run(crm, settings)

    without_pull = run(crm, settings)
    snapshot_salesforce(crm, warehouse_path)
    after_pull = run(crm, settings)

    assert without_pull.rows.height == 0
    assert after_pull.rows.height == 0
    assert writes(crm) == 1
    assert after_pull.api_calls == {}


def test_rule_change_keeps_person_set_values(crm: Sandbox, warehouse_path: Path) -> None:
    ids = lead_ids(crm, 20)
    snapshot_salesforce(crm, warehouse_path)
    decide(warehouse_path, "salesforce", "lead", ids)
    settings = settings_for(crm, warehouse_path)
    run(crm, settings)
    person_set = ids[0]
    crm.salesforce.store.update("Lead", person_set, {"SGL_Channel__c": "network"})
    snapshot_salesforce(crm, warehouse_path)

    later = datetime(2025, 8, 1, tzinfo=UTC)
    decide(warehouse_path, "salesforce", "lead", ids, channel="abm", origin_rule="rule:abm",
           decided_at=later)
    report = run(crm, settings)

    assert salesforce_values(crm, "Lead", person_set)["SGL_Channel__c"] == "network"
    assert salesforce_values(crm, "Lead", ids[1]) == {
        "SGL_Origin__c": "sales", "SGL_Channel__c": "abm", "SGL_Rule__c": "rule:abm",
        "SGL_Decided_At__c": "2025-08-01T00:00:00.000+0000"}
    results = report.rows.group_by("field", "result").len().sort("field", "result").rows()
    assert results == [("SGL_Channel__c", "skipped_person_set", 1),
                       ("SGL_Channel__c", "written", 19),
                       ("SGL_Decided_At__c", "written", 20),
                       ("SGL_Rule__c", "written", 20)]
    repeat = run(crm, settings)
    assert repeat.rows.height == 0, "a person-set skip is logged once, not on every run"


def test_converted_lead_tags_land_on_contact_and_opportunity(crm: Sandbox,
                                                            warehouse_path: Path) -> None:
    store = crm.salesforce.store

    def untagged(lead: str) -> bool:
        record = store.get("Lead", lead)
        targets = (("Contact", record["ConvertedContactId"]),
                   ("Opportunity", record["ConvertedOpportunityId"]))
        return all(record_id and not any(salesforce_values(crm, name, record_id).values())
                   for name, record_id in targets)

    converted = [lead for lead in lead_ids(crm, 40, converted=True) if untagged(lead)][:5]
    assert len(converted) == 5
    snapshot_salesforce(crm, warehouse_path)
    decide(warehouse_path, "salesforce", "lead", converted, channel="network")

    report = run(crm, settings_for(crm, warehouse_path))

    for lead in converted:
        record = crm.salesforce.store.get("Lead", lead)
        assert record["SGL_Origin__c"] is None
        for object_name, record_id in (("Contact", record["ConvertedContactId"]),
                                       ("Opportunity", record["ConvertedOpportunityId"])):
            assert salesforce_values(crm, object_name, record_id)["SGL_Channel__c"] == "network"
    assert set(report.rows["object"].unique()) == {"Contact", "Opportunity"}
    assert report.counts() == {"written": len(converted) * 2 * 4}


def test_record_failure_leaves_others_written(crm: Sandbox, warehouse_path: Path) -> None:
    ids = lead_ids(crm, 200)
    failing = [ids[57]]
    # The plan contains record faults only, so replacing them leaves request counters alone.
    crm.faults.faults = (RecordError(
        api="salesforce", object="Lead", ids=frozenset(failing), code="UNABLE_TO_LOCK_ROW",
        message="unable to obtain exclusive access to this record"),)
    snapshot_salesforce(crm, warehouse_path)
    decide(warehouse_path, "salesforce", "lead", ids)
    crm.request_log.clear()

    report = run(crm, settings_for(crm, warehouse_path))

    assert writes(crm) == 1
    failed = report.rows.filter(pl.col("result") == "failed")
    assert set(failed["source_id"]) == set(failing)
    assert failed["error"].str.starts_with("UNABLE_TO_LOCK_ROW").all()
    assert report.rows.filter(pl.col("result") == "written")["source_id"].n_unique() == 199
    assert salesforce_values(crm, "Lead", failing[0])["SGL_Origin__c"] is None


@pytest.mark.parametrize("crm", [{"faults": FaultPlan([
    RateLimit(api="salesforce", path=COLLECTIONS, every=2),
    ServerError(api="salesforce", path=COLLECTIONS, status=503, first=2),
    ServerError(api="salesforce", path="/query", status=503, every=3),
], seed=4, time_scale=0.001)}], indirect=True)
def test_limits_and_503s_end_with_each_change_once(crm: Sandbox, warehouse_path: Path) -> None:
    ids = lead_ids(crm, 420)
    snapshot_salesforce(crm, warehouse_path)
    decide(warehouse_path, "salesforce", "lead", ids)

    report = run(crm, settings_for(crm, warehouse_path))

    assert report.counts() == {"written": 420 * 4}
    assert report.rows.select("source_id", "field").is_duplicated().sum() == 0
    assert crm.request_log.count(api="salesforce", path_contains=COLLECTIONS, status=200) == 3
    assert crm.request_log.count(api="salesforce", path_contains=COLLECTIONS, status=403) > 0
    filled = crm.salesforce.store.query(
        'SELECT count(*) FROM "Lead" WHERE "SGL_Decided_At__c" IS NOT NULL')[0][0]
    assert filled == 420


@pytest.mark.parametrize("crm", [{"hidden_fields": {"Lead": {"SGL_Rule__c"}}}], indirect=True)
def test_missing_field_is_one_error(crm: Sandbox, warehouse_path: Path) -> None:
    ids = lead_ids(crm, 10)
    snapshot_salesforce(crm, warehouse_path)
    decide(warehouse_path, "salesforce", "lead", ids)

    with pytest.raises(TargetFieldsInvalid) as raised:
        run(crm, settings_for(crm, warehouse_path))

    assert raised.value.problems == [raised.value.problems[0]]
    assert "Lead.SGL_Rule__c" in str(raised.value)
    assert "Text" in str(raised.value)
    assert writes(crm) == 0
    assert log_rows(warehouse_path).height == 0


def test_bulk_ingest_above_threshold(crm: Sandbox, warehouse_path: Path) -> None:
    ids = lead_ids(crm, 250)
    snapshot_salesforce(crm, warehouse_path)
    decide(warehouse_path, "salesforce", "lead", ids, channel="social")
    crm.request_log.clear()

    report = run(crm, settings_for(crm, warehouse_path, bulk_threshold=100))

    assert report.counts() == {"written": 250 * 4}
    assert writes(crm) == 0
    assert crm.request_log.count(api="salesforce", method="POST", path_contains="/jobs/ingest") == 1
    assert queries(crm) == 2
    assert salesforce_values(crm, "Lead", ids[-1])["SGL_Channel__c"] == "social"


def test_cap_requires_confirm_large(crm: Sandbox, warehouse_path: Path) -> None:
    ids = lead_ids(crm, 30)
    snapshot_salesforce(crm, warehouse_path)
    decide(warehouse_path, "salesforce", "lead", ids)
    settings = settings_for(crm, warehouse_path, max_changes_per_run=20)
    crm.request_log.clear()

    with pytest.raises(ChangeCapExceeded) as raised:
        run(crm, settings)
    assert raised.value.planned == 30
    assert len(crm.request_log) == 0

    limited = run(crm, settings, limit=20)
    assert limited.rows["source_id"].n_unique() == 20
    confirmed = run(crm, settings, confirm_large=True)
    assert confirmed.rows["source_id"].n_unique() == 10
