"""HubSpot write-back: property check and creation, batch read and batch update.

Calls go through the HubSpot connector's client, so 429 responses wait for ``Retry-After``,
5xx responses back off, and an expired token is reloaded once. Batch update takes up to 100
records per call. It returns 207 with an ``errors`` list when some records fail (their ids
in ``context.ids``), and 400 for the whole batch when a value is invalid, such as a value
that is not an option of an enumeration property.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import polars as pl

from connectors.hubspot.client import HubSpotClient
from connectors.retry import CallContext
from connectors.writeback.batches import (
    RecordChange,
    RecordOutcome,
    error_text,
    write_splitting,
)
from connectors.writeback.targets import Target
from sgl.i18n import _
from transforms.writeback_plan import CURRENT_SCHEMA

logger = logging.getLogger(__name__)

SOURCE = "hubspot"
PROPERTIES_PATH = "/crm/v3/properties/{object_type}"
GROUPS_PATH = "/crm/v3/properties/{object_type}/groups"
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


class HubSpotWriter:
    """Write-back calls through one :class:`HubSpotClient`."""

    source = SOURCE

    def __init__(self, client: HubSpotClient) -> None:
        self.client = client

    @property
    def api_calls(self) -> int:
        return self.client.calls

    # -- properties ------------------------------------------------------------------------

    def properties(self, object_type: str) -> dict[str, dict[str, Any]]:
        """Return the property definitions of an object type by name."""
        body = self._portal_call(object_type, "GET", PROPERTIES_PATH, None, "read properties")
        return {definition["name"]: definition for definition in (body or {}).get("results", [])}

    def groups(self, object_type: str) -> set[str]:
        body = self._portal_call(object_type, "GET", GROUPS_PATH, None, "read property groups")
        return {group["name"] for group in (body or {}).get("results", [])}

    def create_group(self, object_type: str, group: dict[str, Any]) -> None:
        self._portal_call(object_type, "POST", GROUPS_PATH, group, "create property group")

    def create_property(self, object_type: str, definition: dict[str, Any]) -> None:
        self._portal_call(object_type, "POST", PROPERTIES_PATH, definition, "create property")

    def check_fields(self, targets: Sequence[Target],
                     values: Mapping[tuple[str, str], set[str]]) -> list[str]:
        """Return one line per target property that is missing, read-only or lacks an option."""
        problems: list[str] = []
        definitions: dict[str, dict[str, dict[str, Any]]] = {}
        for target in targets:
            if target.object not in definitions:
                definitions[target.object] = self.properties(target.object)
            definition = definitions[target.object].get(target.field)
            if definition is None:
                problems.append(_(
                    "HubSpot: property {object}.{field} does not exist. Create it with `sgl "
                    "writeback setup`, or rename it in [writeback.hubspot.{object}].").format(
                    object=target.object, field=target.field))
                continue
            metadata = definition.get("modificationMetadata") or {}
            if metadata.get("readOnlyValue") or definition.get("calculated"):
                problems.append(_(
                    "HubSpot: property {object}.{field} is read-only. Point [writeback.hubspot."
                    "{object}] at a property that can be written.").format(
                    object=target.object, field=target.field))
                continue
            if definition.get("type") == "enumeration":
                allowed = {option.get("value") for option in definition.get("options") or []}
                missing = sorted(values.get((target.object, target.field), set()) - allowed)
                if missing:
                    problems.append(_(
                        "HubSpot: property {object}.{field} lacks the options {values}. Add "
                        "them to the property in HubSpot (Settings > Properties).").format(
                        object=target.object, field=target.field, values=", ".join(missing)))
        return problems

    # -- records ---------------------------------------------------------------------------

    def read_current(self, object_type: str, ids: Sequence[str], fields: Sequence[str],
                     label: str) -> pl.DataFrame:
        """Read ``fields`` of ``ids`` with one batch read; archived or unknown ids are absent."""
        context = CallContext(SOURCE, object_type, label, "write-back re-read")
        body = self.client.batch_read(object_type, ids, fields, context) or {}
        rows = [{"source_id": str(record["id"]), "field": field,
                 "current": (record.get("properties") or {}).get(field)}
                for record in body.get("results", []) for field in fields]
        return pl.DataFrame(rows, schema=CURRENT_SCHEMA)

    def write(self, object_type: str, changes: Sequence[RecordChange],
              label: str) -> list[RecordOutcome]:
        """Update up to 100 records in one batch call, splitting a batch rejected whole."""
        return write_splitting(lambda part: self._batch_update(object_type, part, label),
                               changes, label)

    def _batch_update(self, object_type: str, changes: Sequence[RecordChange],
                      label: str) -> list[RecordOutcome]:
        body = {"inputs": [{"id": change.source_id, "properties": dict(change.values)}
                           for change in changes]}
        context = CallContext(SOURCE, object_type, label, "write-back update")
        # NOTE: HubSpotClient has no public batch-update or properties call yet; these
        # helpers reuse its configured API objects and retrying call wrapper.
        batch_api = self.client._batch  # noqa: SLF001
        response = self.client._call(  # noqa: SLF001
            context, f"batch update {object_type}",
            lambda: batch_api.update(object_type, body, **self.client._options()))  # noqa: SLF001
        response = response or {}
        accepted = {str(record.get("id")) for record in response.get("results", [])}
        failed: dict[str, str] = {}
        for error in response.get("errors", []):
            text = error_text(str(error.get("category") or "UNKNOWN_ERROR"),
                              str(error.get("message") or ""))
            for record_id in (error.get("context") or {}).get("ids", []):
                failed[str(record_id)] = text
        outcomes = []
        for change in changes:
            if change.source_id in failed:
                outcomes.append(RecordOutcome(change.source_id, failed[change.source_id]))
            elif change.source_id in accepted:
                outcomes.append(RecordOutcome(change.source_id))
            else:
                outcomes.append(RecordOutcome(change.source_id, error_text("NO_RESULT")))
        return outcomes

    # -- machinery -------------------------------------------------------------------------

    def _portal_call(self, object_type: str, method: str, path: str, body: Any,
                     operation: str) -> Any:
        api_client = self.client._basic.api_client  # noqa: SLF001
        resource = path.format(object_type=quote(object_type, safe=""))
        context = CallContext(SOURCE, object_type, "-", operation)
        send: Callable[[], Any] = lambda: api_client.call_api(  # noqa: E731
            resource, method, header_params=dict(JSON_HEADERS), body=body,
            auth_settings=["oauth2"], _return_http_data_only=True,
            **self.client._options())  # noqa: SLF001
        return self.client._call(context, f"{operation} {object_type}", send)  # noqa: SLF001

