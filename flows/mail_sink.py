"""A local SMTP server for the demo and the tests: every message received becomes an .eml file.

It listens on 127.0.0.1 only, accepts plain SMTP without login (the product allows that only
for localhost with ``[report] allow_plain_smtp``) and writes ``NNN.eml`` files into a folder.
"""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

logger = logging.getLogger(__name__)


class _EmlWriter:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook name
        with self.lock:
            self.count += 1
            path = self.folder / f"{self.count:03d}.eml"
        path.write_bytes(envelope.original_content)
        logger.info("mail sink stored message %d (%d bytes)", self.count,
                    len(envelope.original_content))
        return "250 OK"


class MailSink:
    """An SMTP server on 127.0.0.1 that stores what it receives in ``folder``."""

    def __init__(self, folder: Path, host: str = "127.0.0.1") -> None:
        self.folder = folder
        self.host = host
        self.port = 0
        self._controller: Controller | None = None

    def start(self) -> MailSink:
        self.folder.mkdir(parents=True, exist_ok=True)
        # aiosmtpd's controller cannot bind port 0, so a free port is picked first.
        with socket.socket() as probe:
            probe.bind((self.host, 0))
            self.port = probe.getsockname()[1]
        self._controller = Controller(_EmlWriter(self.folder), hostname=self.host,
                                      port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml"))

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
