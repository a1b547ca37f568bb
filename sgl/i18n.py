"""Message catalogs for the user's language (Japanese and English).

Catalogs are the gettext ``.po`` files under ``sgl/locale``. Babel reads them at first use,
so no compiled ``.mo`` file has to be kept in step with them. Message ids are
the English text. Code marks user-facing strings with ``_()``; templates use the same
catalogs through Jinja2's i18n extension.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

SUPPORTED_LOCALES = ("ja", "en")
DOMAIN = "sgl"
LOCALE_DIR = Path(__file__).parent / "locale"

_active_locale = "en"


class CatalogTranslations(gettext.NullTranslations):
    """gettext translations backed by a Babel catalog read from a ``.po`` file."""

    def __init__(self, messages: dict[str, str | tuple[str, ...]]) -> None:
        super().__init__()
        self._messages = messages

    def gettext(self, message: str) -> str:
        translated = self._messages.get(message)
        return translated if isinstance(translated, str) and translated else message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        translated = self._messages.get(singular)
        if isinstance(translated, tuple) and all(translated):
            # Japanese and English catalogs both have at most two plural forms.
            return translated[0] if n == 1 or len(translated) == 1 else translated[1]
        return singular if n == 1 else plural

    def pgettext(self, context: str, message: str) -> str:
        return self.gettext(message)

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return self.ngettext(singular, plural, n)


def catalog_path(locale: str) -> Path:
    """Return the ``.po`` file of a supported locale."""
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(locale: str) -> CatalogTranslations:
    """Load the catalog of ``locale`` (``ja`` or ``en``)."""
    if locale not in SUPPORTED_LOCALES:
        raise ValueError(
            f"Unsupported language {locale!r}: use one of {', '.join(SUPPORTED_LOCALES)}."
        )

    with catalog_path(locale).open("rb") as handle:
        catalog = read_po(handle, locale=locale, domain=DOMAIN)

    messages: dict[str, str | tuple[str, ...]] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        messages[key] = message.string
    return CatalogTranslations(messages)


def normalize_locale(value: str | None) -> str | None:
    """Map ``ja_JP.UTF-8``, ``ja-JP``, ``JA`` or ``en_US`` to a supported locale, else None."""
    if not value:
        return None
    language = value.strip().replace("-", "_").split(".")[0].split("_")[0].lower()
    return language if language in SUPPORTED_LOCALES else None


def locale_from_environment(env: Mapping[str, str] | None = None) -> str:
    """Return the locale that ``LC_ALL``, ``LC_MESSAGES`` or ``LANG`` name, else English."""
    env = os.environ if env is None else env
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        found = normalize_locale(env.get(variable))
        if found:
            return found
        if env.get(variable):
            # The first variable that is set decides, as in POSIX, even when it names
            # a language without a catalog.
            break
    return "en"


def set_locale(locale: str) -> None:
    """Make ``locale`` the language of :func:`_` for this process."""
    translations(locale)
    global _active_locale
    _active_locale = locale


def get_locale() -> str:
    """Return the active locale."""
    return _active_locale


def _(message: str) -> str:
    """Translate ``message`` into the active locale."""
    return translations(_active_locale).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message with a count into the active locale."""
    return translations(_active_locale).ngettext(singular, plural, n)


def translate(message: str, locale: str) -> str:
    """Translate ``message`` into ``locale`` without changing the active locale."""
    return translations(locale).gettext(message)
