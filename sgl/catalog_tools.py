"""Extract the messages marked for translation and compare them with the catalogs.

Used by ``scripts/update_catalogs.py`` (to add new messages to both ``.po`` files) and by
the test that fails when a message lacks a translation in either catalog.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from sgl.i18n import SUPPORTED_LOCALES, catalog_path

REPO = Path(__file__).resolve().parents[1]
# Folders whose Python files and templates hold user-facing messages.
SOURCE_DIRS = ("sgl", "connectors", "transforms", "reports", "flows", "sandbox")
KEYWORDS = {"_": None, "ngettext": (1, 2), "translate": (1,)}
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]


def extract_messages(root: Path = REPO) -> dict[str, list[str]]:
    """Return every message id in the sources with the places it appears."""
    messages: dict[str, list[str]] = {}
    for folder in SOURCE_DIRS:
        directory = root / folder
        if not directory.is_dir():
            continue
        for filename, line, message, _comments, _context in extract_from_dir(
            directory, method_map=METHODS, keywords=KEYWORDS,
            options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
        ):
            key = message[0] if isinstance(message, tuple) else message
            if key:
                messages.setdefault(key, []).append(f"{folder}/{filename}:{line}")
    return messages


def read_catalog(locale: str) -> Catalog:
    with catalog_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale)


def untranslated(messages: Iterable[str], catalog: Catalog) -> list[str]:
    """Return the message ids that ``catalog`` lacks or leaves empty or fuzzy."""
    missing = []
    for message_id in messages:
        entry = catalog.get(message_id)
        string = entry.string if entry is not None else None
        filled = all(string) if isinstance(string, tuple) else bool(string)
        if entry is None or entry.fuzzy or not filled:
            missing.append(message_id)
    return missing


def supported_locales() -> tuple[str, ...]:
    return SUPPORTED_LOCALES
