"""Exceptions of the mapping-driven import, named for what the caller should do.

    MappingError       stop: the mapping file is invalid; ``problems`` contains one line each
    UnmappableFileError stop: a file lacks the columns its mapping needs; nothing was written
"""

from __future__ import annotations

from sgl.errors import SglError


class MappingError(SglError):
    """A mapping is invalid; ``problems`` contains one translated line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class UnmappableFileError(SglError):
    """Files lack the columns the mapping needs; ``problems`` contains one line per file."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))
