"""The shared retry policy and API budget, driven with a fake clock and no network."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime

import pytest
import requests

from connectors.errors import AuthenticationError, RetriableError
from connectors.retry import (
    ApiBudget,
    ApiBudgetExhausted,
    CallContext,
    Failure,
    RetriesExhausted,
    RetryPolicy,
    call_with_retry,
    retry_after_seconds,
)

CONTEXT = CallContext("salesforce", "Lead", 3, "query")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


class Flaky:
    """Fails with the given exceptions in turn, then returns "ok"."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def run(operation, policy=RetryPolicy(), clock=None, **options):
    clock = clock or FakeClock()
    return call_with_retry(operation, policy=policy, context=CONTEXT, sleep=clock.sleep,
                           clock=clock.monotonic, rng=random.Random(1), **options)


def test_retry_recovers_from_network_errors() -> None:
    operation = Flaky(requests.ConnectionError(), RetriableError("503"))
    assert run(operation) == "ok"
    assert operation.calls == 3


def test_retry_waits_are_jittered_and_capped() -> None:
    policy = RetryPolicy(max_attempts=10, base_delay_seconds=1, max_delay_seconds=4,
                         max_elapsed_seconds=1000)
    clock = FakeClock()
    run(Flaky(*[RetriableError("x")] * 6), policy, clock)
    caps = [1, 2, 4, 4, 4, 4]
    assert len(clock.waits) == 6
    for wait, cap in zip(clock.waits, caps, strict=True):
        assert 0 <= wait <= cap


def test_retry_honours_retry_after_and_time_scale() -> None:
    def classify(error: BaseException) -> Failure:
        return Failure("retry", "HTTP 429", retry_after=10)

    clock = FakeClock()
    policy = RetryPolicy(time_scale=0.01, max_delay_seconds=1)
    run(Flaky(ValueError("429")), policy, clock, classify=classify)
    assert clock.waits == [pytest.approx(0.1)]


def test_retry_stops_after_max_attempts() -> None:
    operation = Flaky(*[RetriableError("x")] * 10)
    with pytest.raises(RetriesExhausted) as caught:
        run(operation, RetryPolicy(max_attempts=3))
    assert operation.calls == 3
    assert caught.value.attempts == 3


def test_retry_stops_at_elapsed_bound() -> None:
    def classify(error: BaseException) -> Failure:
        return Failure("retry", "HTTP 429", retry_after=30)

    operation = Flaky(*[ValueError()] * 10)
    with pytest.raises(RetriesExhausted):
        run(operation, RetryPolicy(max_elapsed_seconds=70), classify=classify)
    assert operation.calls == 3  # waits of 30 s after calls 1 and 2; a third would pass 70 s


def test_retry_does_not_retry_fatal_errors() -> None:
    operation = Flaky(AuthenticationError("bad credentials"))
    with pytest.raises(AuthenticationError):
        run(operation)
    assert operation.calls == 1


def test_retry_unknown_errors_propagate() -> None:
    operation = Flaky(KeyError("bug"))
    with pytest.raises(KeyError):
        run(operation)


class Expired(Exception):
    pass


def classify_expiry(error: BaseException) -> Failure | None:
    return Failure("reauthenticate", "INVALID_SESSION_ID") if isinstance(error, Expired) else None


def test_retry_reauthenticates_once_and_resumes() -> None:
    renewals = []
    operation = Flaky(Expired(), RetriableError("503"))
    assert run(operation, classify=classify_expiry,
               reauthenticate=lambda: renewals.append(1)) == "ok"
    assert renewals == [1]
    assert operation.calls == 3


def test_retry_second_expiry_is_raised() -> None:
    operation = Flaky(Expired(), Expired())
    with pytest.raises(Expired):
        run(operation, classify=classify_expiry, reauthenticate=lambda: None)


def test_retry_logs_ids_not_bodies(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="connectors.retry")
    run(Flaky(RetriableError("secret body text")))
    assert len(caplog.records) == 1
    line = caplog.records[0].getMessage()
    assert "Lead page 3" in line
    assert "attempt 2" in line
    assert "secret body text" not in line


@pytest.mark.parametrize(("header", "expected"), [
    ("5", 5.0), ("  12 ", 12.0), (None, None), ("soon", None),
    ("Wed, 01 Jan 2025 00:00:30 GMT", 30.0),
])
def test_retry_after_header(header: str | None, expected: float | None) -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert retry_after_seconds(header, now) == expected


def test_budget_reads_limit_info_and_stops() -> None:
    budget = ApiBudget("salesforce", 0.5)
    budget.observe_limit_info("api-usage=40/100; per-app-api-usage=3/50(appName=sgl)")
    budget.check(CONTEXT)
    budget.observe_limit_info("api-usage=51/100")
    with pytest.raises(ApiBudgetExhausted) as caught:
        budget.check(CONTEXT)
    assert (caught.value.used, caught.value.limit) == (51, 100)
    assert "api_budget_share" in str(caught.value)


def test_budget_without_header_never_stops() -> None:
    budget = ApiBudget("hubspot", 0.1)
    budget.observe_limit_info(None)
    budget.check(CONTEXT)
    assert budget.used_share is None
