"""HubSpot: the private-app client, the object table, search and list pulls.

Importing the package registers the connector in ``connectors.registry``.
"""

from __future__ import annotations

from connectors.hubspot.connector import HubSpotConnector, all_object_names, open_hubspot
from connectors.registry import ConnectorFactory, register_connector

register_connector(ConnectorFactory(
    source="hubspot",
    objects=all_object_names(),
    open=open_hubspot,
    enabled=lambda settings: settings.sources.hubspot.enabled,
))

__all__ = ["HubSpotConnector", "open_hubspot"]
