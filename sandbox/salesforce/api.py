"""The Salesforce REST API of the sandbox: routing, sessions, API usage and fault bodies."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from sandbox.faults import FaultPlan, RateLimit, RequestFault, ServerError, SessionExpiry
from sandbox.http import Request, Response
from sandbox.salesforce.auth import SalesforceCredentials, Sessions, TokenEndpoint
from sandbox.salesforce.bulk import BulkJobs
from sandbox.salesforce.describe import Describer
from sandbox.salesforce.errors import (
    ApiError,
    error_response,
    invalid_session,
    method_not_allowed,
    not_found,
)
from sandbox.salesforce.rest import CollectionsResource, QueryResource, SObjectResource
from sandbox.salesforce.schema import API_VERSIONS, ObjectInfo, Schema
from sandbox.salesforce.store import Store
from sandbox.salesforce.writes import Writer
from sandbox.world import World

logger = logging.getLogger(__name__)

_VERSIONED = re.compile(r"/services/data/v(\d+\.\d)(/.*)?\Z")
_FALLBACK_USER_ID = "005000000000001AAA"
_RELEASES = ("Summer", "Winter", "Spring")


def release_label(version: str) -> str:
    """Name the release of an API version: 31.0 was Summer '14, three releases a year."""
    index = int(float(version)) - 31
    season = _RELEASES[index % 3]
    year = (14 if season == "Summer" else 15) + index // 3
    return f"{season} '{year:02d}"


class SalesforceApi:
    """The Salesforce REST, OAuth and Bulk API 2.0 endpoints of one sandbox org.

    ``store`` contains the records; tests may change them between calls through
    ``store.update``, ``store.insert`` and ``store.delete``. ``hidden_fields`` maps object
    names to fields the integration user cannot read (absent from describe, INVALID_FIELD in
    queries). ``daily_api_limit`` is the org's 24-hour allowance reported in
    ``Sforce-Limit-Info``; calls past it are rejected with REQUEST_LIMIT_EXCEEDED.
    """

    name = "salesforce"

    def __init__(self, world: World | None, faults: FaultPlan, *,
                 hidden_fields: dict[str, set[str]] | None = None,
                 store_path: Path | None = None,
                 credentials: SalesforceCredentials | None = None,
                 daily_api_limit: int = 100_000,
                 clock: Callable[[], datetime] | None = None):
        self.faults = faults
        self.schema = Schema(hidden={name: set(fields)
                                     for name, fields in (hidden_fields or {}).items()})
        self.store = Store(self.schema, store_path, clock)
        if world is not None:
            self.store.load(world.salesforce)
        self.credentials = credentials or SalesforceCredentials.generate()
        self.sessions = Sessions()
        self.user_id = self._integration_user_id()
        self.token_endpoint = TokenEndpoint(self.credentials, self.sessions, self.user_id)
        self.writer = Writer(self.schema, self.store, faults)
        self.describer = Describer(self.schema, self.store)
        self.queries = QueryResource(self.schema, self.store, faults)
        self.sobjects = SObjectResource(self.schema, self.store, self.writer, faults)
        self.collections = CollectionsResource(self.schema, self.store, self.writer, faults)
        self.bulk = BulkJobs(self.schema, self.store, self.writer)
        self.base_url = "https://127.0.0.1"  # set by the server once its port is known
        self.daily_api_limit = daily_api_limit
        self._usage_lock = threading.Lock()
        self.api_usage = 0

    def _integration_user_id(self) -> str:
        rows = self.store.query('SELECT "Id" FROM "User" WHERE "Username" = ? LIMIT 1',
                                (self.credentials.username,))
        if not rows:
            rows = self.store.query('SELECT "Id" FROM "User" ORDER BY rowid LIMIT 1')
        return rows[0][0] if rows else _FALLBACK_USER_ID

    def load_parts(self, parts: Iterable[dict[str, list[dict]]]) -> None:
        """Load a world given in parts (``World.salesforce`` mappings), then index it once."""
        for part in parts:
            self.store.append(part)
        self.store.finish_load()
        self.user_id = self._integration_user_id()
        self.token_endpoint.user_id = self.user_id

    def issue_token(self) -> str:
        """Return a valid access token without an OAuth round trip (for tests)."""
        return self.sessions.issue(self.user_id)

    @property
    def page_size_limit(self) -> int:
        """Largest query page served, below any requested batch size (tests lower it)."""
        return self.queries.page_size_limit

    @page_size_limit.setter
    def page_size_limit(self, value: int) -> None:
        self.queries.page_size_limit = value

    def close(self) -> None:
        self.store.close()

    # Api protocol -------------------------------------------------------------------------

    def handles(self, request: Request) -> bool:
        return request.path.startswith("/services/")

    def handle(self, request: Request) -> Response:
        path = request.path
        if path.rstrip("/") == "/services/oauth2/token":
            return self.token_endpoint.handle(request, self.base_url)
        if path.rstrip("/") == "/services/data":
            return Response.json(200, [
                {"label": release_label(version), "url": f"/services/data/v{version}",
                 "version": version} for version in API_VERSIONS])
        match = _VERSIONED.match(path)
        if match is None:
            return not_found().response()
        version, rest = match.group(1), (match.group(2) or "").rstrip("/")
        token = self._bearer_token(request)
        if token is None or self.sessions.user_of(token) is None:
            return invalid_session().response()
        with self._usage_lock:
            self.api_usage += 1
            usage = self.api_usage
        if usage > self.daily_api_limit:
            response = error_response(403, "REQUEST_LIMIT_EXCEEDED",
                                      "TotalRequests Limit exceeded.")
        elif version not in API_VERSIONS:
            response = not_found().response()
        else:
            try:
                response = self._route(request, version, rest)
            except ApiError as error:
                response = error.response()
        response.headers["Sforce-Limit-Info"] = f"api-usage={usage}/{self.daily_api_limit}"
        return response

    def error_response(self, fault: RequestFault | SessionExpiry, request: Request) -> Response:
        """Build the response Salesforce sends for an injected fault.

        Salesforce rejects calls over both its daily and its concurrent limits with 403 and
        ``REQUEST_LIMIT_EXCEEDED`` and documents no Retry-After header, so a :class:`RateLimit`
        gets no Retry-After here.
        """
        if isinstance(fault, SessionExpiry):
            token = self._bearer_token(request)
            if token:
                self.sessions.revoke(token)
            return invalid_session().response()
        if isinstance(fault, RateLimit):
            message = ("TotalRequests Limit exceeded." if fault.scope == "daily"
                       else "ConcurrentPerOrgLongTxn Limit exceeded.")
            return error_response(403, "REQUEST_LIMIT_EXCEEDED", message)
        status = fault.status if isinstance(fault, ServerError) else 500
        if status in (502, 504):
            # Gateways in front of Salesforce respond with an HTML page, not a JSON array.
            reason = "Bad Gateway" if status == 502 else "Gateway Timeout"
            return Response.text(status, f"<html><body><h1>{status} {reason}</h1></body></html>",
                                 content_type="text/html")
        if status == 503:
            return error_response(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable.")
        return error_response(500, "UNKNOWN_EXCEPTION",
                              "An unexpected error occurred. Please include this ErrorId if "
                              "you contact support: 1234567890-12345 (-1234567890)")

    @staticmethod
    def _bearer_token(request: Request) -> str | None:
        authorization = request.headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() not in ("bearer", "oauth") or not token.strip():
            return None
        return token.strip()

    # Routing ------------------------------------------------------------------------------

    def _route(self, request: Request, version: str, rest: str) -> Response:
        method = request.method
        parts = [part for part in rest.split("/") if part]
        head = parts[0] if parts else ""
        if not parts:
            return Response.json(200, self._resources(version))
        if head == "limits" and len(parts) == 1:
            return Response.json(200, self._limits())
        if head in ("query", "queryAll"):
            self._allow(method, "GET", "HEAD")
            if len(parts) == 1:
                return self.queries.run(request, version, head)
            if len(parts) == 2:
                return self.queries.more(parts[1], version)
        if head == "sobjects":
            return self._route_sobjects(request, version, parts[1:])
        if head == "composite" and len(parts) >= 2 and parts[1] == "sobjects":
            return self._route_collections(request, version, parts[2:])
        if head == "jobs" and len(parts) >= 2 and parts[1] in ("query", "ingest"):
            return self._route_jobs(request, version, parts[1], parts[2:])
        raise not_found()

    def _allow(self, method: str, *allowed: str) -> None:
        if method not in allowed:
            raise method_not_allowed(method, ",".join(allowed))

    def _object(self, name: str) -> ObjectInfo:
        info = self.schema.object(name)
        if info is None:
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        return info

    def _route_sobjects(self, request: Request, version: str, parts: list[str]) -> Response:
        method = request.method
        if not parts:
            self._allow(method, "GET", "HEAD")
            return Response.json(200, self.describer.global_describe(version))
        info = self._object(parts[0])
        if len(parts) == 1:
            if method == "POST":
                return self.sobjects.create(info, request, self.user_id)
            self._allow(method, "GET", "HEAD", "POST")
            return Response.json(200, {"objectDescribe": self.describer.object_summary(
                info, version), "recentItems": []})
        if len(parts) == 2 and parts[1] == "describe":
            self._allow(method, "GET", "HEAD")
            return Response.json(200, self.describer.describe(info, version))
        if len(parts) == 2:
            if method in ("GET", "HEAD"):
                return self.sobjects.get(info, parts[1], request, version)
            if method == "PATCH":
                return self.sobjects.patch(info, parts[1], request)
            if method == "DELETE":
                return self.sobjects.delete(info, parts[1])
            raise method_not_allowed(method, "GET,HEAD,PATCH,DELETE")
        raise not_found()

    def _route_collections(self, request: Request, version: str, parts: list[str]) -> Response:
        method = request.method
        if not parts:
            if method == "PATCH":
                return self.collections.update(request)
            if method == "POST":
                return self.collections.create(request, self.user_id)
            if method == "DELETE":
                return self.collections.delete(request)
            raise method_not_allowed(method, "PATCH,POST,DELETE")
        if len(parts) == 1:
            self._allow(method, "GET", "POST")
            return self.collections.retrieve(self._object(parts[0]), request, version)
        raise not_found()

    def _route_jobs(self, request: Request, version: str, kind: str, parts: list[str]
                    ) -> Response:
        method = request.method
        bulk = self.bulk
        if not parts:
            if method == "POST":
                return (bulk.create_query if kind == "query" else bulk.create_ingest)(
                    request, version, self.user_id)
            self._allow(method, "GET", "POST")
            return bulk.list_jobs(kind)
        job_id = parts[0]
        if len(parts) == 1:
            if method == "GET":
                return bulk.query_status(job_id) if kind == "query" else \
                    bulk.ingest_status(job_id)
            if method == "PATCH":
                return bulk.set_state(job_id, kind, request)
            if method == "DELETE":
                return bulk.delete(job_id, kind)
            raise method_not_allowed(method, "GET,PATCH,DELETE")
        resource = parts[1].lower()
        if kind == "query" and resource == "results" and len(parts) == 2:
            self._allow(method, "GET")
            return bulk.query_results(job_id, request)
        if kind == "ingest" and resource == "batches" and len(parts) == 2:
            self._allow(method, "PUT")
            return bulk.upload(job_id, request)
        if kind == "ingest" and resource in ("successfulresults", "failedresults",
                                             "unprocessedrecords") and len(parts) == 2:
            self._allow(method, "GET")
            return bulk.ingest_results(job_id, resource)
        raise not_found()

    def _resources(self, version: str) -> dict[str, Any]:
        base = f"/services/data/v{version}"
        return {name: f"{base}/{name}" for name in
                ("sobjects", "query", "queryAll", "limits", "composite", "jobs/query",
                 "jobs/ingest")}

    def _limits(self) -> dict[str, Any]:
        with self._usage_lock:
            remaining = max(0, self.daily_api_limit - self.api_usage)
        return {
            "DailyApiRequests": {"Max": self.daily_api_limit, "Remaining": remaining},
            "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
            "DailyBulkV2QueryFileStorageMB": {"Max": 976562, "Remaining": 976562},
            "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000},
            "DataStorageMB": {"Max": 1024, "Remaining": 1024},
        }
