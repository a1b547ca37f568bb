"""A free port and an aiosmtpd handler that keeps what it receives, for the report tests."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage


def free_port() -> int:
    """Return a free port: aiosmtpd's controller cannot start on port 0."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        self.envelopes.append(envelope)
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(envelope.original_content, policy=policy.default)
                for envelope in self.envelopes]
