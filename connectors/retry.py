"""Retries and the API budget, shared by the CRM connectors.

:func:`call_with_retry` runs one CRM call and repeats it when it fails in a way that may
pass later: HTTP 429, 5xx, a dropped connection, a burst rate limit. Waits grow
exponentially with full jitter (a uniform draw between 0 and the exponential cap), never
shorter than the server's ``Retry-After``, and stop after ``max_attempts`` calls or
``max_elapsed_seconds``, whichever comes first. An expired session is renewed once through
the caller's ``reauthenticate`` callback and the call repeated; a second expiry is an error.

Each connector passes a ``classify`` function that maps its client library's exceptions to
a :class:`Failure`; :func:`classify_common` covers ``requests`` and this package's own
exceptions, so a connector only adds what its library raises.

:class:`ApiBudget` tracks the share of the daily API allowance a run has used (Salesforce
reports it in ``Sforce-Limit-Info: api-usage=N/M`` on every response) and raises
:class:`ApiBudgetExhausted` when the configured share is passed. The pull loop checks it
only after a page and its watermark are saved, so a stopped run resumes where it stood.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal, TypeVar

import requests

from connectors.errors import AuthenticationError, ConnectorError, RetriableError
from sgl.errors import SglError
from sgl.i18n import _
from sgl.settings import RetrySettings

logger = logging.getLogger(__name__)

T = TypeVar("T")

_API_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


class StopRun(SglError):
    """Stop the run now: its checkpoint is saved, and the next run resumes from it."""


class ApiBudgetExhausted(StopRun):
    """The run used its share of the CRM's daily API allowance; resume after the reset."""

    def __init__(self, message: str, *, source: str, used: int, limit: int,
                 share: float) -> None:
        super().__init__(message)
        self.source = source
        self.used = used
        self.limit = limit
        self.share = share


class RetriesExhausted(RetriableError):
    """A call kept failing until the retry policy gave up; a later run may succeed."""

    def __init__(self, message: str, *, attempts: int, reason: str) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.reason = reason


@dataclass(frozen=True)
class Failure:
    """The handling that a failed call gets.

    ``action`` is ``retry`` (wait and repeat), ``reauthenticate`` (renew the session once,
    then repeat) or ``raise`` (re-raise at once). ``reason`` is a short label for logs,
    such as ``HTTP 503`` or ``ConnectionError``, never a response body.
    """

    action: Literal["retry", "reauthenticate", "raise"]
    reason: str
    retry_after: float | None = None


Classifier = Callable[[BaseException], Failure | None]


@dataclass(frozen=True)
class CallContext:
    """The ids a retry log line names: source, object, page and the kind of call."""

    source: str
    object: str = "-"
    page: int | str = "-"
    operation: str = "call"


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds of the retries of one call. Waits are multiplied by ``time_scale``.

    ``max_attempts`` counts calls, the first one included. ``max_elapsed_seconds`` is
    wall-clock time from the first call; a wait that would pass it is not started.
    """

    max_attempts: int = 8
    max_elapsed_seconds: float = 600.0
    base_delay_seconds: float = 1.0
    max_delay_seconds: float = 60.0
    time_scale: float = 1.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Return the wait in seconds before call ``attempt + 1``, after ``attempt`` failures."""
        cap = min(self.max_delay_seconds, self.base_delay_seconds * 2 ** (attempt - 1))
        wait = rng.uniform(0.0, cap)
        if retry_after is not None:
            wait = max(wait, retry_after)
        return wait * self.time_scale


def classify_common(error: BaseException) -> Failure | None:
    """Classify network errors and this package's exceptions; None means not known here."""
    if isinstance(error, ApiBudgetExhausted | AuthenticationError | ConnectorError):
        return Failure("raise", type(error).__name__)
    if isinstance(error, RetriableError):
        return Failure("retry", type(error).__name__)
    if isinstance(error, requests.ConnectionError | requests.Timeout):
        return Failure("retry", type(error).__name__)
    return None


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Parse a ``Retry-After`` header: delay seconds or an HTTP date; None when absent or bad."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


def call_with_retry(
    operation: Callable[[], T],
    *,
    policy: RetryPolicy,
    context: CallContext,
    classify: Classifier = classify_common,
    reauthenticate: Callable[[], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: random.Random | None = None,
) -> T:
    """Run ``operation`` under ``policy``; see the module docstring.

    Raises :class:`RetriesExhausted` when the policy gives up on a retriable failure, and
    re-raises any failure that ``classify`` does not mark for retrying. A second session
    expiry after one renewal is re-raised as it came.
    """
    rng = rng or random.Random()
    started = clock()
    attempt = 0
    renewed = False
    while True:
        attempt += 1
        try:
            return operation()
        except Exception as error:
            failure = classify(error) or classify_common(error)
            if failure is None or failure.action == "raise":
                raise
            if failure.action == "reauthenticate":
                if renewed or reauthenticate is None:
                    raise
                renewed = True
                logger.warning("session expired on %s %s page %s (attempt %d); "
                               "signing in again", context.source, context.object,
                               context.page, attempt)
                _renew(reauthenticate, policy, context, classify, sleep, clock, rng)
                attempt -= 1  # a renewed session does not use up an attempt
                continue

            wait = policy.delay(attempt, failure.retry_after, rng)
            elapsed = clock() - started
            if attempt >= policy.max_attempts or elapsed + wait > policy.max_elapsed_seconds:
                logger.error("giving up on %s %s page %s %s after %d attempts in %.1fs: %s",
                             context.source, context.object, context.page, context.operation,
                             attempt, elapsed, failure.reason)
                raise RetriesExhausted(
                    _("{source}: {operation} of {object} page {page} still failed after "
                      "{attempts} attempts ({reason}). Run the sync again later.").format(
                        source=context.source, operation=context.operation,
                        object=context.object, page=context.page, attempts=attempt,
                        reason=failure.reason),
                    attempts=attempt, reason=failure.reason,
                ) from error
            logger.warning("retrying %s %s page %s %s (attempt %d of %d) in %.2fs after %s",
                           context.source, context.object, context.page, context.operation,
                           attempt + 1, policy.max_attempts, wait, failure.reason)
            sleep(wait)


def _renew(reauthenticate: Callable[[], None], policy: RetryPolicy, context: CallContext,
           classify: Classifier, sleep: Callable[[float], None], clock: Callable[[], float],
           rng: random.Random) -> None:
    """Sign in again, retrying the token call itself on network errors and 5xx."""
    call_with_retry(reauthenticate, policy=policy,
                    context=CallContext(context.source, context.object, context.page,
                                        "sign-in"),
                    classify=classify, reauthenticate=None, sleep=sleep, clock=clock, rng=rng)


class ApiBudget:
    """The share of a CRM's daily API allowance that runs may use; see the module docstring.

    ``share`` is between 0 and 1; 1.0 lets a run use the whole allowance. The latest usage
    seen wins, so the figure stays current whichever call reported it.
    """

    def __init__(self, source: str, share: float) -> None:
        if not 0.0 < share <= 1.0:
            raise ValueError(f"API budget share {share} is invalid: use a number in (0, 1].")
        self.source = source
        self.share = share
        self.used: int | None = None
        self.limit: int | None = None

    def record(self, used: int, limit: int) -> None:
        """Store the usage that the CRM reported: calls ``used`` of ``limit`` per day."""
        self.used = used
        self.limit = limit

    def observe_limit_info(self, header: str | None) -> None:
        """Read ``Sforce-Limit-Info`` (``api-usage=25/5000; per-app-api-usage=...``)."""
        if not header:
            return
        match = _API_USAGE.search(header)
        if match:
            self.record(int(match.group(1)), int(match.group(2)))

    def response_hook(self) -> Callable[..., requests.Response]:
        """Return a ``requests`` response hook that observes every response of a session."""
        def hook(response: requests.Response, *args: object, **kwargs: object
                 ) -> requests.Response:
            self.observe_limit_info(response.headers.get("Sforce-Limit-Info"))
            return response
        return hook

    @property
    def used_share(self) -> float | None:
        if self.used is None or not self.limit:
            return None
        return self.used / self.limit

    def check(self, context: CallContext) -> None:
        """Raise :class:`ApiBudgetExhausted` when the used share is above the allowed share."""
        used_share = self.used_share
        if used_share is None or used_share <= self.share:
            return
        logger.warning("stopping %s at %s page %s: API usage %d of %d is above the budget "
                       "share %.0f%%", self.source, context.object, context.page, self.used,
                       self.limit, self.share * 100)
        raise ApiBudgetExhausted(
            _("{source}: stopped after {object} page {page} because the API usage "
              "{used}/{limit} passed the budget of {percent}% of the daily allowance. The "
              "pull resumes from there on the next run; raise api_budget_share to allow "
              "more.").format(source=self.source, object=context.object, page=context.page,
                              used=self.used, limit=self.limit,
                              percent=round(self.share * 100)),
            source=self.source, used=self.used or 0, limit=self.limit or 0, share=self.share,
        )


def policy_from_settings(settings: RetrySettings) -> RetryPolicy:
    """Build the policy of ``[sources.retry]``."""
    return RetryPolicy(max_attempts=settings.max_attempts,
                       max_elapsed_seconds=settings.max_elapsed_seconds,
                       base_delay_seconds=settings.base_delay_seconds,
                       max_delay_seconds=settings.max_delay_seconds,
                       time_scale=settings.time_scale)
