"""HubSpot write-back and setup through hubspot-api-client against the sandbox over HTTPS."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest

from connectors.writeback import TargetFieldsInvalid
from connectors.writeback.batches import RecordChange
from connectors.writeback.runner import default_opener
from connectors.writeback.setup import GROUP_NAME, set_up_hubspot
from connectors.writeback.targets import CHANNELS, bilingual, targets_from_settings, value_label
from sandbox import Sandbox
from sandbox.faults import FaultPlan, RateLimit, RecordError, ServerError
from tests.writeback import helpers
from tests.writeback.helpers import (
    contact_ids,
    decide,
    env_for,
    hubspot_values,
    log_rows,
    run,
    settings_for,
    snapshot_hubspot,
)

# Fixtures shared by the write-back tests, defined in helpers.py.
crm = helpers.crm
warehouse_path = helpers.warehouse_path

HS_TAGS = ("sgl_origin", "sgl_channel", "sgl_rule_id", "sgl_decided_at")
UPDATE = "/batch/update"


def set_up(sandbox: Sandbox, warehouse: Path) -> list[dict[str, str]]:
    settings = settings_for(sandbox, warehouse)
    with default_opener(settings, env_for(sandbox))("hubspot") as writer:
        return set_up_hubspot(writer, targets_from_settings(settings, "hubspot"))


def updates(sandbox: Sandbox) -> int:
    return sandbox.request_log.count(api="hubspot", method="POST", path_contains=UPDATE)


def reads(sandbox: Sandbox) -> int:
    return sandbox.request_log.count(api="hubspot", method="POST", path_contains="/batch/read")


def test_setup_creates_properties_once(crm: Sandbox, warehouse_path: Path) -> None:
    first = set_up(crm, warehouse_path)
    second = set_up(crm, warehouse_path)

    created = {(row["object"], row["property"]) for row in first if row["status"] == "created"}
    assert ("contacts", "sgl_rule_id") in created
    assert ("deals", "sgl_decided_at") in created
    assert {row["status"] for row in second} == {"exists"}
    properties = crm.hubspot.store.properties
    channel = properties.get("deals", "sgl_channel")
    assert channel["groupName"] == GROUP_NAME
    assert [option["value"] for option in channel["options"]] == list(CHANNELS)
    referral = channel["options"][0]["label"]
    assert referral == bilingual(value_label("referral", "en"), value_label("referral", "ja"))
    assert properties.get("contacts", "sgl_decided_at")["type"] == "datetime"
    lacking = [row for row in second if row["object"] == "contacts"
               and row["property"] == "sgl_channel"]
    assert "other_marketing" in lacking[0]["note"], "generated contacts hold sales channels only"


def test_first_apply_then_nothing(crm: Sandbox, warehouse_path: Path) -> None:
    set_up(crm, warehouse_path)
    ids = contact_ids(crm, 250)
    snapshot_hubspot(crm, warehouse_path)
    decide(warehouse_path, "hubspot", "lead", ids, channel="network")
    settings = settings_for(crm, warehouse_path)
    crm.request_log.clear()

    first = run(crm, settings)
    assert first.counts() == {"written": 250 * 4}
    assert updates(crm) == math.ceil(250 / 100)
    assert reads(crm) == math.ceil(250 / 100)
    assert hubspot_values(crm, "contacts", ids[0], HS_TAGS) == {
        "sgl_origin": "sales", "sgl_channel": "network", "sgl_rule_id": "rule:referral",
        "sgl_decided_at": "2025-07-01T09:30:00.000Z"}

    snapshot_hubspot(crm, warehouse_path)
    second = run(crm, settings)
    assert second.rows.height == 0
    assert updates(crm) == math.ceil(250 / 100)


def test_person_change_after_pull_stays(crm: Sandbox, warehouse_path: Path) -> None:
    set_up(crm, warehouse_path)
    ids = contact_ids(crm, 12)
    snapshot_hubspot(crm, warehouse_path)
    decide(warehouse_path, "hubspot", "lead", ids)
    crm.hubspot.update("contacts", ids[5], {"sgl_origin": "partner"})

    report = run(crm, settings_for(crm, warehouse_path))

    assert hubspot_values(crm, "contacts", ids[5], ["sgl_origin"]) == {"sgl_origin": "partner"}
    skipped = report.rows.filter(pl.col("result") == "skipped_changed_since_pull")
    assert skipped.select("source_id", "field", "before").rows() == [
        (ids[5], "sgl_origin", "partner")]


@pytest.mark.parametrize("crm", [{"faults": FaultPlan([
    RateLimit(api="hubspot", path=UPDATE, first=6, retry_after=1),
    RateLimit(api="hubspot", path="/batch/read", every=3, retry_after=1),
    ServerError(api="hubspot", path=UPDATE, status=502, every=4),
], seed=6, time_scale=0.001)}], indirect=True)
def test_429_storm_ends_with_each_change_once(crm: Sandbox, warehouse_path: Path) -> None:
    set_up(crm, warehouse_path)
    ids = contact_ids(crm, 230)
    snapshot_hubspot(crm, warehouse_path)
    decide(warehouse_path, "hubspot", "lead", ids, channel="abm")

    report = run(crm, settings_for(crm, warehouse_path))

    assert report.counts() == {"written": 230 * 4}
    assert report.rows.select("source_id", "field").is_duplicated().sum() == 0
    assert crm.request_log.count(api="hubspot", path_contains=UPDATE, status=429) >= 6
    assert crm.request_log.count(api="hubspot", path_contains=UPDATE, status=200) == 3
    assert all(hubspot_values(crm, "contacts", contact, ["sgl_channel"])["sgl_channel"] == "abm"
               for contact in ids)


def test_record_errors_and_deals(crm: Sandbox, warehouse_path: Path) -> None:
    set_up(crm, warehouse_path)
    ids = contact_ids(crm, 100)
    crm.faults.faults = (RecordError(api="hubspot", object="contacts", ids=frozenset({ids[9]}),
                                     code="VALIDATION_ERROR", message="blocked"),)
    deal = crm.hubspot.store.table("deals").id_at(0)
    snapshot_hubspot(crm, warehouse_path)
    crm.hubspot.archive("contacts", ids[20])
    decide(warehouse_path, "hubspot", "lead", ids)
    decide(warehouse_path, "hubspot", "lead", ids[:1], origin="marketing",
           channel="other_marketing")
    decide(warehouse_path, "hubspot", "opportunity", [deal], origin="marketing",
           channel="other_marketing")

    with pytest.raises(TargetFieldsInvalid) as raised:
        run(crm, settings_for(crm, warehouse_path))
    assert raised.value.problems == [raised.value.problems[0]]
    assert "contacts.sgl_channel" in str(raised.value)
    assert "other_marketing" in str(raised.value)

    decide(warehouse_path, "hubspot", "lead", ids[:1], origin="marketing", channel=None)
    report = run(crm, settings_for(crm, warehouse_path))

    failed = report.rows.filter(pl.col("result") == "failed")
    assert sorted(set(failed["source_id"])) == sorted([ids[9], ids[20]])
    assert set(failed["error"].str.extract(r"^(\w+)")) == {"VALIDATION_ERROR", "NOT_FOUND"}
    assert report.rows.filter(pl.col("result") == "written")["source_id"].n_unique() == 98 + 1
    assert hubspot_values(crm, "deals", deal, ["sgl_origin", "sgl_channel"]) == {
        "sgl_origin": "marketing", "sgl_channel": "other_marketing"}
    assert hubspot_values(crm, "contacts", ids[0], ["sgl_origin", "sgl_channel"]) == {
        "sgl_origin": "marketing", "sgl_channel": None}


def test_missing_property_is_one_error(crm: Sandbox, warehouse_path: Path) -> None:
    ids = contact_ids(crm, 5)
    snapshot_hubspot(crm, warehouse_path)
    decide(warehouse_path, "hubspot", "lead", ids)

    with pytest.raises(TargetFieldsInvalid) as raised:
        run(crm, settings_for(crm, warehouse_path))

    problems = raised.value.problems
    assert [problem.split()[2] for problem in problems] == [
        "contacts.sgl_rule_id", "contacts.sgl_decided_at"]
    assert "sgl writeback setup" in str(raised.value)
    assert updates(crm) == 0
    assert log_rows(warehouse_path).height == 0


def test_rejected_batch_is_split(crm: Sandbox, warehouse_path: Path) -> None:
    set_up(crm, warehouse_path)
    ids = contact_ids(crm, 16)
    changes = [RecordChange(contact, {"sgl_channel": "referral"}) for contact in ids]
    changes[11] = RecordChange(ids[11], {"sgl_channel": "not_an_option"})
    settings = settings_for(crm, warehouse_path)
    crm.request_log.clear()

    with default_opener(settings, env_for(crm))("hubspot") as writer:
        outcomes = writer.write("contacts", changes, "1")

    assert [outcome.source_id for outcome in outcomes] == ids
    assert [outcome.source_id for outcome in outcomes if outcome.error] == [ids[11]]
    assert hubspot_values(crm, "contacts", ids[0], ["sgl_channel"])["sgl_channel"] == "referral"
    assert updates(crm) == 1 + 2 * math.ceil(math.log2(16))
