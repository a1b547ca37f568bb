"""The sandbox's Salesforce: OAuth, REST (query, describe, sObjects, Collections), Bulk API 2.0."""

from sandbox.salesforce.api import SalesforceApi
from sandbox.salesforce.auth import SalesforceCredentials

__all__ = ["SalesforceApi", "SalesforceCredentials"]
