"""Find and read import mapping files (TOML), keeping the text to point at lines in errors.

``--mapping`` takes a path, or the name of a mapping shipped in ``connectors/files/mappings``
(``zoho_crm``, ``maven_crm``, ``x_education``; ``salesforce_export`` and ``hubspot_export``
serve ``sgl import salesforce`` and ``sgl import hubspot``).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.files.errors import FileRejectedError
from sgl.i18n import _

MAPPINGS_DIR = Path(__file__).parent / "mappings"


@dataclass(frozen=True)
class MappingFile:
    """A mapping file's parsed data and its text, for locating keys."""

    path: Path
    data: dict[str, Any]
    text: str

    def locate(self, key: str) -> str:
        """Return ``"<file> line N"`` for a key path such as ``leads[0].fields.created_at``."""
        line = find_key_line(self.text, key)
        if line is None:
            return str(self.path)
        return _("{file} line {line}").format(file=self.path, line=line)


def shipped_mappings() -> list[str]:
    """Return the names of the mappings that come with sgl."""
    return sorted(path.stem for path in MAPPINGS_DIR.glob("*.toml"))


def resolve_mapping(name_or_path: str | Path) -> Path:
    """Return the path of a mapping given as a path or as a shipped mapping's name."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    shipped = MAPPINGS_DIR / f"{name_or_path}.toml"
    if shipped.is_file():
        return shipped
    raise FileRejectedError(
        _("Mapping {mapping} not found: give the path of a TOML file or one of the shipped "
          "mappings: {names}").format(mapping=name_or_path, names=", ".join(shipped_mappings()))
    )


def read_mapping_file(name_or_path: str | Path) -> MappingFile:
    """Read a mapping file; a TOML syntax error names the line tomllib reports."""
    path = resolve_mapping(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FileRejectedError(
            _("{file}: not UTF-8 text. Save the mapping as UTF-8.").format(file=path)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise FileRejectedError(
            _("{file}: not valid TOML: {detail}").format(file=path, detail=error)) from None
    return MappingFile(path=path, data=data, text=text)


def find_key_line(text: str, key: str) -> int | None:
    """Return the 1-based line where a key path is set, or None when it cannot be found.

    Handles the shapes mappings use: ``[[table]]`` arrays (``table[1]`` is the second),
    ``[table.section]`` headers, ``name = ...`` lines and inline ``{ name = ... }`` tables.
    """
    lines = text.splitlines()
    parts = re.findall(r"([^.\[\]]+)(?:\[(\d+)\])?", key)
    position, found = 0, None
    for name, index in parts:
        quoted = re.escape(name)
        header = re.compile(rf"^\s*\[\[?\s*(?:[\w\-\"]+\.)*\"?{quoted}\"?\s*\]\]?\s*(#.*)?$")
        assignment = re.compile(rf"(^|[{{,]\s*)\"?{quoted}\"?\s*=")
        target_index = int(index) if index else 0
        seen = -1
        for number in range(position, len(lines)):
            line = lines[number]
            if header.match(line) or assignment.search(line):
                seen += 1
                if seen == target_index:
                    position, found = number, number + 1
                    break
        else:
            return found
    return found
