"""HTTP sessions for the CRM APIs, with trust and proxy taken only from settings.

``requests`` merges ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE`` and the ``*_PROXY`` variables
into every request of a session whose ``trust_env`` is true, even when the session's own
``verify`` is set. Sessions here turn that off, so the CA bundle and proxy in the settings
are the only ones that apply.
"""

from __future__ import annotations

from pathlib import Path

import requests

USER_AGENT = "sgl-pipeline"


def build_session(ca_bundle: Path | None, proxy: str | None) -> requests.Session:
    """Return a session that verifies TLS against ``ca_bundle`` (or certifi's bundle)."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(ca_bundle) if ca_bundle else True
    if proxy:
        session.proxies = {"http": proxy, "https": proxy}
    session.headers["User-Agent"] = USER_AGENT
    return session
