"""Add new messages from the sources to both catalogs and drop ones no longer used.

Run after adding or changing a ``_()`` message: ``.venv/bin/python scripts/update_catalogs.py``.
English entries are filled with the message id (the English text) unless already
translated; Japanese entries are left empty for a translator, and the i18n test fails until
they are filled.
"""

from __future__ import annotations

import sys

from babel.messages.pofile import write_po

from sgl.catalog_tools import extract_messages, read_catalog, supported_locales
from sgl.i18n import catalog_path


def main() -> int:
    messages = extract_messages()
    for locale in supported_locales():
        catalog = read_catalog(locale)
        for message_id in list(catalog._messages):  # noqa: SLF001 - Babel has no public delete-all
            if message_id and message_id not in messages:
                del catalog[message_id]
        for message_id, places in sorted(messages.items()):
            entry = catalog.get(message_id)
            if entry is None:
                string = message_id if locale == "en" else ""
                catalog.add(message_id, string)
                entry = catalog.get(message_id)
            entry.locations = [tuple(place.rsplit(":", 1)) for place in places[:3]]
            entry.locations = [(path, int(line)) for path, line in entry.locations]
        with catalog_path(locale).open("wb") as handle:
            write_po(handle, catalog, width=100, sort_output=True, omit_header=False)
        empty = sum(1 for message in catalog if message.id and not message.string)
        print(f"{locale}: {len(messages)} messages, {empty} without translation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
