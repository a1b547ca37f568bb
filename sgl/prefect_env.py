"""Keep Prefect local and quiet: project-local home, no analytics, no telemetry.

Prefect reads its settings from the environment when it is first imported, so
:func:`configure_prefect` must run before ``import prefect``; ``flows/__init__.py`` calls it.
Values the user already set in the environment win, except the two privacy switches, which
are always off.

With no ``PREFECT_API_URL``, flows run on Prefect's ephemeral server: a child process on
127.0.0.1 that lives as long as the Python process that started it.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

# Set by the `sgl` command line while it runs. A person is waiting there, so flows report a
# failed step at once instead of retrying it after minutes (see flows.tasks).
INTERACTIVE_ENV = "SGL_INTERACTIVE"


def configure_prefect(home: Path | None = None,
                      env: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Set Prefect's environment for this process and its children; return what was set."""
    env = os.environ if env is None else env
    home = home or Path("var/prefect")
    wanted = {
        "PREFECT_HOME": str(home.resolve()),
        # Prefect's server reports anonymous usage unless this setting is off.
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        # The ephemeral server's first start creates its database; a cold start on a busy
        # 2-core machine can take longer than Prefect's default of 20 seconds.
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    }
    applied: dict[str, str] = {}
    for name, value in wanted.items():
        always = name in ("PREFECT_SERVER_ANALYTICS_ENABLED", "DO_NOT_TRACK")
        if always or name not in env:
            env[name] = value
            applied[name] = value
    Path(env["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
    return applied
