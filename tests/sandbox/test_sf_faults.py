"""Injected faults reach simple-salesforce as the real Salesforce presents them."""

from __future__ import annotations

import time

import pytest
from tests.sandbox.conftest import build_world, simple_salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceRefusedRequest,
)

from sandbox import Sandbox
from sandbox.faults import (
    FaultPlan,
    MalformedDate,
    MissingField,
    RateLimit,
    RecordError,
    ServerError,
    SessionExpiry,
    Slow,
)
from sandbox.http import Request

QUERY = "SELECT Id, LeadSource, CreatedDate FROM Lead ORDER BY Id LIMIT 5"


def run(plan: FaultPlan) -> Sandbox:
    return Sandbox(build_world(), faults=plan, mount_hubspot=False)


def test_rate_limit_is_403_request_limit_exceeded() -> None:
    plan = FaultPlan([RateLimit(api="salesforce", path=r"/query", first=1, scope="daily")])
    with run(plan) as sandbox:
        sf = simple_salesforce(sandbox)

        with pytest.raises(SalesforceRefusedRequest) as caught:
            sf.query(QUERY)
        second = sf.query(QUERY)

    assert caught.value.status == 403
    assert caught.value.content == [{"message": "TotalRequests Limit exceeded.",
                                     "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    assert second["totalSize"] == 5
    assert [entry.fault for entry in sandbox.request_log] == ["rate_limit", ""]


def test_burst_rate_limit_names_concurrent_limit() -> None:
    with run(FaultPlan([RateLimit(api="salesforce", first=1)])) as sandbox:
        with pytest.raises(SalesforceRefusedRequest) as caught:
            simple_salesforce(sandbox).query(QUERY)

    assert "ConcurrentPerOrgLongTxn" in caught.value.content[0]["message"]


@pytest.mark.parametrize(("status", "body_check"), [
    (500, lambda content: content[0]["errorCode"] == "UNKNOWN_EXCEPTION"),
    (502, lambda content: "Bad Gateway" in content),
    (503, lambda content: content[0]["errorCode"] == "SERVER_UNAVAILABLE"),
])
def test_server_errors(status: int, body_check) -> None:
    with run(FaultPlan([ServerError(api="salesforce", path="/query", status=status,
                                    every=2)])) as sandbox:
        sf = simple_salesforce(sandbox)
        sf.query(QUERY)

        with pytest.raises(SalesforceGeneralError) as caught:
            sf.query(QUERY)

    assert caught.value.status == status
    assert body_check(caught.value.content)


def test_slow_responses_scale_with_time_scale() -> None:
    plan = FaultPlan([Slow(api="salesforce", seconds=20.0, first=1)], time_scale=0.01)
    with run(plan) as sandbox:
        sf = simple_salesforce(sandbox)
        started = time.monotonic()
        sf.query(QUERY)
        slow = time.monotonic() - started
        started = time.monotonic()
        sf.query(QUERY)
        fast = time.monotonic() - started

    assert 0.2 <= slow < 2.0
    assert fast < 0.2


def test_session_expires_after_calls() -> None:
    with run(FaultPlan([SessionExpiry(api="salesforce", after_calls=2)])) as sandbox:
        sf = simple_salesforce(sandbox)
        sf.query(QUERY)
        sf.query(QUERY)

        with pytest.raises(SalesforceExpiredSession) as caught:
            sf.query(QUERY)
        fresh = simple_salesforce(sandbox).query(QUERY)

    assert caught.value.content == [{"message": "Session expired or invalid",
                                     "errorCode": "INVALID_SESSION_ID"}]
    assert fresh["totalSize"] == 5


def test_record_errors_in_collections_by_id_and_share() -> None:
    plan = FaultPlan([
        RecordError(api="salesforce", object="Lead", ids={"00Q000000000001AAA"},
                    code="UNABLE_TO_LOCK_ROW", message="unable to obtain exclusive access"),
        RecordError(api="salesforce", object="Lead", share=0.5,
                    code="FIELD_CUSTOM_VALIDATION_EXCEPTION", message="Blocked by a rule"),
    ], seed=3)
    lead_ids = [f"00Q{n:012d}AAA" for n in (1, 3, 5, 6, 7, 8, 9, 10, 11, 12)]
    with run(plan) as sandbox:
        results = simple_salesforce(sandbox).restful("composite/sobjects", method="PATCH", json={
            "records": [{"attributes": {"type": "Lead"}, "Id": lead_id,
                         "SGL_Origin__c": "sales"} for lead_id in lead_ids]})

    assert results[0]["errors"][0] == {"statusCode": "UNABLE_TO_LOCK_ROW",
                                       "message": "unable to obtain exclusive access",
                                       "fields": []}
    shared = [result for result in results[1:] if not result["success"]]
    assert 1 <= len(shared) <= 8
    assert {result["errors"][0]["statusCode"] for result in shared} == {
        "FIELD_CUSTOM_VALIDATION_EXCEPTION"}


def test_missing_field_and_malformed_date() -> None:
    plan = FaultPlan([
        MissingField(api="salesforce", object="Lead", field="LeadSource"),
        MalformedDate(api="salesforce", object="Lead", field="CreatedDate",
                      ids={"00Q000000000000AAA"}, share=0.0),
    ])
    with run(plan) as sandbox:
        records = simple_salesforce(sandbox).query(QUERY)["records"]

    assert all("LeadSource" not in record for record in records)
    assert records[0]["CreatedDate"] == "2024-02-30T25:61:00.000+0000"
    assert records[1]["CreatedDate"] == "2025-01-02T01:00:00.000+0000"


def request(path: str = "/services/data/v59.0/query", method: str = "GET") -> Request:
    return Request.build(method, path, {})


@pytest.mark.parametrize(("fault", "expected"), [
    (ServerError(first=3), [True, True, True, False, False, False]),
    (ServerError(every=3), [False, False, True, False, False, True]),
    (ServerError(path=r"/jobs/", first=3), [False] * 6),
    (ServerError(method="PATCH"), [False] * 6),
])
def test_call_selection(fault: ServerError, expected: list[bool]) -> None:
    plan = FaultPlan([fault])

    hits = [plan.request_faults("salesforce", request())[1] is not None for _ in range(6)]

    assert hits == expected


def test_probability_selection_repeats_for_a_seed() -> None:
    def draw(seed: int) -> list[bool]:
        plan = FaultPlan([ServerError(probability=0.3)], seed=seed)
        return [plan.request_faults("hubspot", request())[1] is not None for _ in range(50)]

    assert draw(11) == draw(11)
    assert draw(11) != draw(12)
    assert 5 <= sum(draw(11)) <= 25


def test_fault_settings_validated() -> None:
    with pytest.raises(ValueError, match="choose one of first, every or probability"):
        ServerError(first=1, every=2)
    with pytest.raises(ValueError, match="use 500, 502, 503 or 504"):
        ServerError(status=404)
