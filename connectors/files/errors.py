"""Exceptions of the file import, named for what the caller should do.

    FileRejectedError   stop: a file cannot be decoded, parsed or mapped; the message names
                        the file, what is missing and what was found
"""

from __future__ import annotations

from sgl.errors import SglError


class FileRejectedError(SglError):
    """A file cannot be imported as given; nothing from it was written."""
