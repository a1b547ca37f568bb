"""Faults that the sandbox injects on purpose, deterministic for a seed.

A :class:`FaultPlan` contains a list of faults of two families:

- request faults (:class:`RateLimit`, :class:`ServerError`, :class:`Slow`) pick calls by API
  (``"salesforce"``, ``"hubspot"`` or ``"*"``), path regex and method, then by "the first N
  matching calls", "every k-th matching call" or a probability drawn from a seeded RNG; with
  none of the three, every matching call is hit. :class:`SessionExpiry` invalidates a bearer
  token after N authenticated calls.
- record faults (:class:`RecordError`, :class:`MissingField`, :class:`MalformedDate`) pick
  records by id or by a share of ids (a seeded hash, so the same ids fail on every run) and are
  applied by each API where it writes or serializes records.

The server applies request faults; each API builds the error body the real CRM sends (see
``error_response`` in :mod:`sandbox.http`). Example::

    FaultPlan([
        RateLimit(api="hubspot", path=r"/crm/v3/objects/contacts", first=2, retry_after=1),
        ServerError(api="salesforce", status=503, every=5),
        Slow(seconds=2.0, probability=0.1),
        SessionExpiry(api="salesforce", after_calls=3),
        RecordError(api="salesforce", object="Lead", ids={"00Q..."},
                    code="FIELD_CUSTOM_VALIDATION_EXCEPTION", message="Blocked by a rule"),
    ], seed=7, time_scale=0.01)
"""

from __future__ import annotations

import hashlib
import logging
import random
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sandbox.http import Request

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class RequestFault:
    """Base of the faults that pick whole calls; see the module docstring for the selection."""

    api: str = "*"
    path: str = ""  # regular expression searched in the request path; "" matches every path
    method: str = "*"
    first: int | None = None
    every: int | None = None
    probability: float | None = None

    def __post_init__(self) -> None:
        chosen = [name for name in ("first", "every", "probability")
                  if getattr(self, name) is not None]
        if len(chosen) > 1:
            raise ValueError(
                f"{type(self).__name__} sets {' and '.join(chosen)}: choose one of first, "
                "every or probability."
            )
        if self.every is not None and self.every < 1:
            raise ValueError(f"every={self.every} is invalid: use 1 or more.")
        if self.probability is not None and not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"probability={self.probability} is invalid: use 0.0 to 1.0.")
        re.compile(self.path)

    @property
    def kind(self) -> str:
        raise NotImplementedError

    def matches(self, api: str, request: Request) -> bool:
        return (
            self.api in ("*", api)
            and self.method in ("*", request.method)
            and re.search(self.path, request.path) is not None
        )


@dataclass(frozen=True, kw_only=True)
class RateLimit(RequestFault):
    """A rate-limit rejection. ``scope`` is ``"daily"`` or ``"burst"`` (concurrent/secondly).

    Each API responds as its real counterpart does: Salesforce with 403 ``REQUEST_LIMIT_EXCEEDED``,
    HubSpot with 429 and ``Retry-After`` (whole seconds).
    """

    retry_after: int = 1
    scope: str = "burst"

    @property
    def kind(self) -> str:
        return "rate_limit"


@dataclass(frozen=True, kw_only=True)
class ServerError(RequestFault):
    """A 5xx response (500, 502, 503 or 504) with the API's error body."""

    status: int = 503

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.status not in (500, 502, 503, 504):
            raise ValueError(f"ServerError status {self.status} is invalid: use 500, 502, 503 "
                             "or 504.")

    @property
    def kind(self) -> str:
        return "server_error"


@dataclass(frozen=True, kw_only=True)
class Slow(RequestFault):
    """A delay of ``seconds`` × the plan's ``time_scale`` before the response is sent."""

    seconds: float = 1.0

    @property
    def kind(self) -> str:
        return "slow"


@dataclass(frozen=True, kw_only=True)
class SessionExpiry:
    """Invalidate each bearer token of ``api`` after ``after_calls`` authenticated calls."""

    api: str = "*"
    after_calls: int = 1

    @property
    def kind(self) -> str:
        return "session_expired"


@dataclass(frozen=True, kw_only=True)
class RecordFault:
    """Base of the faults that pick records of one object by id or by a share of ids."""

    api: str = "*"
    object: str = "*"  # Salesforce SObject name or HubSpot object type, or "*"
    ids: frozenset[str] = frozenset()
    share: float = 0.0  # 0.0 to 1.0 of the other records, chosen by a seeded hash of the id

    def __post_init__(self) -> None:
        object.__setattr__(self, "ids", frozenset(self.ids))
        if not 0.0 <= self.share <= 1.0:
            raise ValueError(f"share={self.share} is invalid: use 0.0 to 1.0.")

    def applies_to(self, api: str, object_name: str) -> bool:
        return self.api in ("*", api) and self.object in ("*", object_name)


@dataclass(frozen=True, kw_only=True)
class RecordError(RecordFault):
    """A per-record write failure with the CRM's error code and message."""

    code: str = "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    message: str = "The record was rejected by a validation rule."
    fields: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class MissingField(RecordFault):
    """A field left out of the served records (all records unless ids or share narrow it)."""

    field: str = ""
    share: float = 1.0


@dataclass(frozen=True, kw_only=True)
class MalformedDate(RecordFault):
    """A date or datetime field served with an unparseable value."""

    field: str = ""
    value: str = "2024-02-30T25:61:00.000+0000"
    share: float = 1.0


Fault = RequestFault | SessionExpiry | RecordFault


@dataclass
class _Counter:
    calls: int = 0
    rng: random.Random = field(default_factory=random.Random)


class FaultPlan:
    """The faults of one sandbox run; thread-safe, deterministic for ``seed``."""

    def __init__(self, faults: Iterable[Fault] = (), seed: int = 0, time_scale: float = 1.0):
        if time_scale < 0:
            raise ValueError(f"time_scale={time_scale} is invalid: use 0 or more.")
        self.faults: tuple[Fault, ...] = tuple(faults)
        self.seed = seed
        self.time_scale = time_scale
        self._lock = threading.Lock()
        self._counters = [
            _Counter(rng=random.Random(f"{seed}:{index}")) for index in range(len(self.faults))
        ]
        self._token_calls: dict[tuple[str, str], int] = {}
        self.injected: list[tuple[str, str, str]] = []  # (kind, api, path) of request faults

    def request_faults(self, api: str, request: Request) -> tuple[float, RequestFault | None]:
        """Count this call against each request fault and return (delay in seconds, failure).

        The delay is already multiplied by ``time_scale``. The failure is the first
        :class:`RateLimit` or :class:`ServerError` that selects this call, or None.
        """
        delay = 0.0
        failure: RequestFault | None = None
        with self._lock:
            for index, fault in enumerate(self.faults):
                if not isinstance(fault, RequestFault) or not fault.matches(api, request):
                    continue
                if not self._select(index, fault):
                    continue
                if isinstance(fault, Slow):
                    delay += fault.seconds * self.time_scale
                elif failure is None:
                    failure = fault
                self.injected.append((fault.kind, api, request.path))
        return delay, failure

    def _select(self, index: int, fault: RequestFault) -> bool:
        counter = self._counters[index]
        counter.calls += 1
        if fault.first is not None:
            return counter.calls <= fault.first
        if fault.every is not None:
            return counter.calls % fault.every == 0
        if fault.probability is not None:
            return counter.rng.random() < fault.probability
        return True

    def session_expired(self, api: str, token: str) -> SessionExpiry | None:
        """Count an authenticated call with ``token``; return the fault once it has expired."""
        expiries = [fault for fault in self.faults
                    if isinstance(fault, SessionExpiry) and fault.api in ("*", api)]
        if not expiries:
            return None
        with self._lock:
            calls = self._token_calls.get((api, token), 0) + 1
            self._token_calls[(api, token)] = calls
            for fault in expiries:
                if calls > fault.after_calls:
                    self.injected.append((fault.kind, api, ""))
                    return fault
        return None

    def record_error(self, api: str, object_name: str, record_id: str) -> RecordError | None:
        """Return the write error that the plan injects for this record, or None."""
        for index, fault in enumerate(self.faults):
            if isinstance(fault, RecordError) and self._picks(index, fault, api, object_name,
                                                              record_id):
                return fault
        return None

    def shape_record(self, api: str, object_name: str, record_id: str,
                     values: dict) -> dict:
        """Apply missing-field and malformed-date faults to a record's field values.

        Returns ``values`` itself when no fault applies, else a changed copy.
        """
        shaped = values
        for index, fault in enumerate(self.faults):
            if not isinstance(fault, MissingField | MalformedDate):
                continue
            if fault.field not in shaped:
                continue
            if not self._picks(index, fault, api, object_name, record_id):
                continue
            if shaped is values:
                shaped = dict(values)
            if isinstance(fault, MissingField):
                del shaped[fault.field]
            elif shaped[fault.field] is not None:
                shaped[fault.field] = fault.value
        return shaped

    def has_record_faults(self, api: str, object_name: str) -> bool:
        """Tell whether any record fault targets this API and object (a fast path for pages)."""
        return any(isinstance(fault, RecordFault) and fault.applies_to(api, object_name)
                   for fault in self.faults)

    def _picks(self, index: int, fault: RecordFault, api: str, object_name: str,
               record_id: str) -> bool:
        if not fault.applies_to(api, object_name):
            return False
        if record_id in fault.ids:
            return True
        if fault.share <= 0.0:
            return False
        digest = hashlib.blake2b(f"{self.seed}:{index}:{record_id}".encode(), digest_size=8)
        return int.from_bytes(digest.digest(), "big") / 2**64 < fault.share

    def sleep(self, seconds: float) -> None:
        """Sleep for ``seconds`` already scaled by ``time_scale``."""
        if seconds > 0:
            time.sleep(seconds)

    def kinds_injected(self) -> Sequence[str]:
        """Return the kinds of request and session faults injected so far, in order."""
        with self._lock:
            return [kind for kind, _, _ in self.injected]
