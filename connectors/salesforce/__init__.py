"""Salesforce: OAuth sign-in, the object table, REST and Bulk API 2.0 pulls.

Importing the package registers the connector in ``connectors.registry``.
"""

from __future__ import annotations

from connectors.registry import ConnectorFactory, register_connector
from connectors.salesforce.connector import open_salesforce
from sgl.settings import SALESFORCE_OBJECTS

register_connector(ConnectorFactory(
    source="salesforce",
    objects=SALESFORCE_OBJECTS,
    open=open_salesforce,
    enabled=lambda settings: settings.sources.salesforce.enabled,
))
