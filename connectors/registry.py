"""The registry of source connectors, filled by each CRM package when it is imported.

A CRM package registers a :class:`ConnectorFactory` when it is imported (see
``connectors/salesforce/__init__.py``); :func:`load_connectors` imports the known packages,
skipping those that are not installed yet. Flows then reach every source the same way::

    factory = connector_factory("salesforce")
    with factory.open(settings, os.environ) as connector:
        counts = connector.pull("Lead", PullRequest(after=watermark), sink, progress)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from importlib import import_module
from typing import Protocol

from connectors.base import PageSink
from connectors.pull import ProgressCallback, PullCounts, PullRequest
from sgl.settings import Settings

logger = logging.getLogger(__name__)

# Packages that register a connector when imported.
CONNECTOR_PACKAGES = ("connectors.salesforce", "connectors.hubspot")


class Connector(Protocol):
    """A signed-in connection to one CRM that pulls one object at a time."""

    source: str

    def objects_to_pull(self, only: Sequence[str] | None = None) -> list[str]:
        """Return the objects a sync pulls, in pull order (``only`` narrows them)."""
        ...

    def table_of(self, object_name: str) -> str:
        """Return the canonical table that the object's records feed."""
        ...

    def pull(self, object_name: str, request: PullRequest, sink: PageSink,
             progress: ProgressCallback | None = None) -> PullCounts:
        """Pull one object, handing each page to ``sink`` as it arrives; return its counts."""
        ...

    @property
    def api_calls(self) -> int:
        """Count the API calls made so far."""
        ...


@dataclass(frozen=True)
class ConnectorFactory:
    """How to reach one source: its object names and a context manager that signs in."""

    source: str
    objects: tuple[str, ...]
    open: Callable[[Settings, Mapping[str, str]], AbstractContextManager[Connector]]
    enabled: Callable[[Settings], bool]


CONNECTORS: dict[str, ConnectorFactory] = {}


def register_connector(factory: ConnectorFactory) -> None:
    """Register (or replace) the connector of ``factory.source``."""
    CONNECTORS[factory.source] = factory


def load_connectors() -> dict[str, ConnectorFactory]:
    """Import every known connector package and return the registry."""
    for name in CONNECTOR_PACKAGES:
        try:
            import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            logger.debug("connector package %s is not installed", name)
    return CONNECTORS


def connector_factory(source: str) -> ConnectorFactory:
    """Return the registered factory of ``source``; raise KeyError naming the known ones."""
    factories = load_connectors()
    if source not in factories:
        raise KeyError(f"No connector registered for source {source!r}; known: "
                       f"{', '.join(sorted(factories)) or 'none'}.")
    return factories[source]
