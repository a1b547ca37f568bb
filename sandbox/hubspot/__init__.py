"""HubSpot's CRM v3/v4 API, served by the sandbox to the unmodified hubspot-api-client.

The server mounts :class:`HubSpotApi`; tests and the demo change records between pulls with
``api.create``, ``api.update``, ``api.archive``, ``api.merge`` and ``api.associate``.
Requests need ``Authorization: Bearer <token>`` with a token from ``api.tokens``
(``DEFAULT_TOKEN`` unless the constructor names others).
"""

from sandbox.hubspot.api import DEFAULT_TOKEN, HubSpotApi

__all__ = ["DEFAULT_TOKEN", "HubSpotApi"]
