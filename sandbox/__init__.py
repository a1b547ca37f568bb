"""The CRM sandbox: a local HTTPS server that responds as Salesforce and HubSpot do.

The demo and the tests start it; the real client libraries (simple-salesforce,
hubspot-api-client, requests) talk to it unmodified, verifying TLS against ``ca_file``::

    with Sandbox(size=1_000, seed=7, faults=FaultPlan([...], seed=7)) as sb:
        session = requests.Session()
        session.verify = str(sb.ca_file)
        sf = Salesforce(instance_url=sb.url, session_id=sb.salesforce.issue_token(),
                        session=session)

Records live in each API's store (``sb.salesforce.store``, ``sb.hubspot``), which tests may
change between pulls. Every served request is in ``sb.request_log``.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox.faults import FaultPlan
from sandbox.request_log import RequestLog
from sandbox.salesforce import SalesforceApi, SalesforceCredentials
from sandbox.server import SandboxServer
from sandbox.tls import Certificates, generate_certificates
from sandbox.world import World

logger = logging.getLogger(__name__)

# Above this many Salesforce records the store is a file in a temporary folder, not memory.
DISK_STORE_THRESHOLD = 1_000_000

__all__ = ["FaultPlan", "Sandbox", "SalesforceCredentials"]


class Sandbox:
    """Both CRMs behind one HTTPS server on ``host``; see the module docstring.

    ``world`` None generates one with ``sandbox.generate.generate_world(size, seed, as_of)``.
    ``port`` 0 picks a free port. ``hidden_fields`` maps Salesforce objects to fields the
    integration user cannot read. ``store_path`` puts the Salesforce store in a file; by
    default it is in memory up to ``DISK_STORE_THRESHOLD`` records and in a temporary file
    above.
    """

    def __init__(self, world: World | None = None, *, size: int = 1_000, seed: int = 0,
                 as_of: datetime | None = None, faults: FaultPlan | None = None,
                 host: str = "127.0.0.1", port: int = 0,
                 hidden_fields: dict[str, set[str]] | None = None,
                 store_path: Path | None = None, daily_api_limit: int = 100_000,
                 mount_hubspot: bool = True):
        self.world = world
        self.size = size
        self.seed = seed
        self.as_of = as_of
        self.faults = faults or FaultPlan(seed=seed)
        self.host = host
        self.port = port
        self.hidden_fields = hidden_fields
        self.store_path = store_path
        self.daily_api_limit = daily_api_limit
        self.mount_hubspot = mount_hubspot
        self.request_log = RequestLog()
        self.salesforce_credentials = SalesforceCredentials.generate()
        self.salesforce: SalesforceApi | None = None
        self.hubspot: Any = None
        self.certificates: Certificates | None = None
        self._server: SandboxServer | None = None
        self._temp_store: Path | None = None

    # Lifecycle ----------------------------------------------------------------------------

    def start(self) -> Sandbox:
        if self._server is not None:
            raise RuntimeError(f"The sandbox already runs at {self.url}: stop it first.")
        try:
            world = self._start_salesforce()
            apis: list[Any] = [self.salesforce]
            self.hubspot = self._hubspot_api(world) if self.mount_hubspot else None
            if self.hubspot is not None:
                apis.append(self.hubspot)
            self.certificates = generate_certificates()
            self._server = SandboxServer(apis, self.faults, self.request_log, self.certificates,
                                         self.host, self.port)
            self._server.start()
        except BaseException:
            self.stop()
            raise
        self.salesforce.base_url = self._server.url
        logger.info("Sandbox ready at %s (Salesforce leads: %d)", self.url,
                    self.salesforce.store.count("Lead", include_deleted=True))
        return self

    def _start_salesforce(self) -> World:
        """Create the Salesforce API and load its records; return the world for HubSpot.

        A generated world is streamed part by part into the Salesforce store, so only the
        HubSpot records are kept in memory as a whole.
        """
        options = {"hidden_fields": self.hidden_fields,
                   "credentials": self.salesforce_credentials,
                   "daily_api_limit": self.daily_api_limit}
        if self.world is not None:
            self.salesforce = SalesforceApi(
                self.world, self.faults, store_path=self._store_path(
                    sum(len(rows) for rows in self.world.salesforce.values())), **options)
            return self.world
        iter_world = self._generator()
        as_of = self.as_of or datetime.now(UTC).replace(hour=0, minute=0, second=0,
                                                        microsecond=0)
        # The generator makes about six Salesforce records per lead.
        self.salesforce = SalesforceApi(None, self.faults,
                                        store_path=self._store_path(self.size * 6), **options)
        hubspot_world = World(as_of=as_of)

        def salesforce_parts():
            for part in iter_world(size=self.size, seed=self.seed, as_of=as_of):
                hubspot_world.as_of = part.as_of
                yield part.salesforce
                part.salesforce = {}
                hubspot_world.extend(part)

        logger.info("Generating a sandbox world: size=%d seed=%d", self.size, self.seed)
        self.salesforce.load_parts(salesforce_parts())
        return hubspot_world

    def stop(self) -> None:
        """Stop the server and remove its certificates and temporary store; safe to repeat."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self.salesforce is not None:
            self.salesforce.close()
        if self.certificates is not None:
            self.certificates.remove()
            self.certificates = None
        if self._temp_store is not None:
            shutil.rmtree(self._temp_store, ignore_errors=True)
            self._temp_store = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @staticmethod
    def _generator():
        try:
            from sandbox.generate import iter_world
        except ImportError as error:
            raise RuntimeError(
                "No world was given and the generator sandbox.generate is not available: pass "
                "world=World(...) or load one with sandbox.load.load_world."
            ) from error
        return iter_world

    def _store_path(self, record_count: int) -> Path | None:
        if self.store_path is not None:
            return self.store_path
        if record_count <= DISK_STORE_THRESHOLD:
            return None
        self._temp_store = Path(tempfile.mkdtemp(prefix="sgl-sandbox-store-"))
        return self._temp_store / "salesforce.sqlite"

    def _hubspot_api(self, world: World) -> Any:
        try:
            from sandbox.hubspot import HubSpotApi
        except ImportError:
            logger.info("The HubSpot sandbox API is not installed; serving Salesforce only")
            return None
        return HubSpotApi(world, self.faults)

    # What clients need --------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("The sandbox is not running: call start() or use it in a "
                               "with block.")
        return self._server.url

    @property
    def ca_file(self) -> Path:
        if self.certificates is None:
            raise RuntimeError("The sandbox is not running: call start() or use it in a "
                               "with block.")
        return self.certificates.ca_file

    @property
    def connections_accepted(self) -> int:
        """Count the TCP connections the server accepted; keep-alive clients reuse one."""
        return self._server.connections_accepted if self._server is not None else 0

    @property
    def jwt_private_key_pem(self) -> str:
        """The private key whose signature the Salesforce JWT bearer grant accepts."""
        return self.salesforce_credentials.jwt_private_key_pem

    @property
    def hubspot_token(self) -> str | None:
        """A private-app token the HubSpot API accepts, or None when HubSpot is not mounted."""
        if self.hubspot is None:
            return None
        return sorted(self.hubspot.tokens)[0]

    def salesforce_token(self) -> str:
        """Return a valid Salesforce access token without an OAuth round trip."""
        if self.salesforce is None:
            raise RuntimeError("The sandbox is not running: call start() first.")
        return self.salesforce.issue_token()
