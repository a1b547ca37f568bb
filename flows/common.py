"""What every flow shares: settings from a path, the warehouse concurrency slot, sources.

Flows take ``config_path`` (the settings file; unset means ``$SGL_CONFIG`` or ./sgl.toml in
the worker's folder), so a deployment's parameters stay plain text and credentials stay in
the worker's environment or in Prefect Secret blocks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prefect.concurrency.sync import concurrency
from prefect.settings import get_current_settings

from connectors.registry import load_connectors
from sgl.errors import SglError
from sgl.i18n import _
from sgl.settings import Settings, load_settings

# The global concurrency limit that admits one warehouse writer at a time. Create it once
# per Prefect server with `prefect gcl create sgl-warehouse --limit 1`; without it the flows
# run unthrottled by Prefect and the warehouse lock alone keeps writers apart.
WAREHOUSE_LIMIT = "sgl-warehouse"
# How long a flow waits for the slot before it fails, in seconds.
WAREHOUSE_SLOT_TIMEOUT = 6 * 3600


class FlowInputError(SglError):
    """A flow parameter is invalid: fix the parameter and start the run again."""


def settings_from(config_path: str | None) -> Settings:
    return load_settings(Path(config_path) if config_path else None)


@contextmanager
def warehouse_slot() -> Iterator[None]:
    """Hold the warehouse's concurrency slot while the block runs.

    On Prefect's temporary local server (no ``PREFECT_API_URL``) one process runs every flow
    and the warehouse lock is enough, so no slot is taken. ``strict=False``: on a server
    where the limit does not exist yet, Prefect runs the block at once.
    """
    if not get_current_settings().api.url:
        yield
        return
    with concurrency(WAREHOUSE_LIMIT, occupy=1, timeout_seconds=WAREHOUSE_SLOT_TIMEOUT,
                     strict=False):
        yield


def chosen_sources(settings: Settings, sources: list[str] | None,
                   objects: list[str] | None) -> list[str]:
    """Return the sources to pull; raise FlowInputError on an unknown source or object."""
    factories = load_connectors()
    unknown = [name for name in sources or () if name not in factories]
    if unknown:
        raise FlowInputError(_("Unknown source {source!r}: use one of {known}.").format(
            source=unknown[0], known=", ".join(sorted(factories))))
    names = list(sources) if sources else [name for name, factory in sorted(factories.items())
                                           if factory.enabled(settings)]
    if not names:
        raise FlowInputError(_("No CRM is enabled. Set enabled = true under "
                               "[sources.salesforce] or [sources.hubspot], or name one with "
                               "--source."))
    if objects:
        if len(names) > 1:
            raise FlowInputError(_("--object needs --source, because object names differ "
                                   "between CRMs."))
        known = factories[names[0]].objects
        bad = [name for name in objects if name not in known]
        if bad:
            raise FlowInputError(_("Unknown {source} objects: {objects}. Use one of: "
                                   "{known}.").format(source=names[0], objects=", ".join(bad),
                                                      known=", ".join(known)))
    return names
