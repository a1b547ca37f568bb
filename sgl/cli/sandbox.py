"""``sgl sandbox serve``: run the CRM sandbox in the foreground until Ctrl-C."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

import typer

from sgl.cli import output
from sgl.errors import SglError
from sgl.i18n import _

logger = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    """Add the ``sandbox`` command group to ``app``."""
    group = typer.Typer(
        help=_("Run the CRM sandbox: a local HTTPS server that responds as Salesforce and "
               "HubSpot do."),
        no_args_is_help=True,
    )
    group.command("serve", help=_("Serve the CRM sandbox until Ctrl-C."))(serve)
    app.add_typer(group, name="sandbox")


def serve(
    data: Path = typer.Option(None, "--data", file_okay=False, dir_okay=True, exists=True,
                              help=_("Folder of CRM data files to load instead of generating "
                                     "records.")),
    size: int = typer.Option(1_000, "--size", min=1,
                             help=_("Number of leads to generate when --data is not given.")),
    seed: int = typer.Option(0, "--seed", help=_("Random seed of the generated records.")),
    port: int = typer.Option(0, "--port", min=0, max=65535,
                             help=_("Port to listen on; 0 picks a free port.")),
) -> None:
    from sandbox import Sandbox

    world = _load(data) if data is not None else None
    if world is None:
        output.info(_("Generating {size} leads (seed {seed})…").format(size=size, seed=seed))
    sandbox = Sandbox(world, size=size, seed=seed, port=port)
    try:
        sandbox.start()
    except RuntimeError as error:
        raise SglError(str(error)) from error
    except OSError as error:
        raise SglError(_("Cannot listen on port {port}: {error}. Choose another port with "
                         "--port.").format(port=port, error=error.strerror or error)) from error
    try:
        _print_details(sandbox)
        output.info(_("Press Ctrl-C to stop."))
        stopped = threading.Event()
        # SIGTERM (from a service manager or `timeout`) stops as cleanly as Ctrl-C does.
        signal.signal(signal.SIGTERM, lambda *_args: stopped.set())
        while not stopped.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
        output.info(_("Sandbox stopped."))


def _load(folder: Path):
    try:
        from sandbox.load import load_world
    except ImportError as error:
        raise SglError(_("Cannot load CRM data from {path}: the loader sandbox.load is not "
                         "installed.").format(path=folder)) from error
    output.info(_("Loading CRM data from {path}…").format(path=folder))
    return load_world(folder)


def _print_details(sandbox) -> None:
    """Print where the sandbox listens and its own dummy credentials (valid nowhere else)."""
    credentials = sandbox.salesforce_credentials
    port = sandbox.url.rsplit(":", 1)[1]
    lines = [
        _("Sandbox running at {url}").format(url=sandbox.url),
        _("Port: {port}").format(port=port),
        _("CA certificate (verify TLS against it): {path}").format(path=sandbox.ca_file),
        _("Salesforce credentials (sandbox only):"),
        f"  token URL:      {sandbox.url}/services/oauth2/token",
        f"  client_id:      {credentials.client_id}",
        f"  client_secret:  {credentials.client_secret}",
        f"  username:       {credentials.username}",
        f"  password:       {credentials.password}",
        f"  security_token: {credentials.security_token}",
        _("JWT bearer grant: sign with this private key (RS256):"),
        credentials.jwt_private_key_pem.rstrip(),
    ]
    if sandbox.hubspot_token:
        lines.append(_("HubSpot private app token (sandbox only): {token}").format(
            token=sandbox.hubspot_token))
    typer.echo("\n".join(lines))
