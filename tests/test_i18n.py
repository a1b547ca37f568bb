"""Message catalogs: every marked message is translated in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from sgl import i18n
from sgl.catalog_tools import extract_messages, read_catalog, untranslated
from sgl.cli.app import choose_locale


@pytest.fixture(scope="module")
def messages() -> dict[str, list[str]]:
    return extract_messages()


def test_sources_have_messages(messages: dict[str, list[str]]) -> None:
    assert "Output format." in messages
    assert len(messages) > 50


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_every_message_translated(messages: dict[str, list[str]], locale: str) -> None:
    missing = untranslated(messages, read_catalog(locale))

    assert missing == [], (
        f"{len(missing)} messages lack a {locale} translation; run "
        f"scripts/update_catalogs.py and fill sgl/locale/{locale}/LC_MESSAGES/sgl.po. "
        f"First: {[(m, messages[m][0]) for m in missing[:5]]}"
    )


def test_detection_flags_missing_and_empty() -> None:
    catalog = Catalog(locale="ja")
    catalog.add("Translated", "翻訳済み")
    catalog.add("Empty", "")
    catalog.add("Fuzzy", "あいまい", flags=["fuzzy"])

    assert untranslated(["Translated", "Empty", "Fuzzy", "Absent"], catalog) == [
        "Empty", "Fuzzy", "Absent"]


def test_extraction_finds_new_message(tmp_path: Path) -> None:
    package = tmp_path / "sgl"
    package.mkdir()
    (package / "module.py").write_text('from sgl.i18n import _\nprint(_("A brand new message"))\n',
                                       encoding="utf-8")

    found = extract_messages(tmp_path)

    assert list(found) == ["A brand new message"]


def test_japanese_catalog_translates() -> None:
    assert i18n.translate("Output format.", "ja") == "出力形式"
    assert i18n.translate("Output format.", "en") == "Output format."


def test_placeholders_survive_translation(messages: dict[str, list[str]]) -> None:
    import re

    catalog = read_catalog("ja")
    broken = []
    for message_id in messages:
        entry = catalog.get(message_id)
        if entry is None or not entry.string:
            continue
        wanted = sorted(re.findall(r"\{[a-z_]*[!:]?[a-z]*\}", message_id))
        if sorted(re.findall(r"\{[a-z_]*[!:]?[a-z]*\}", entry.string)) != wanted:
            broken.append(message_id)

    assert broken == []


@pytest.mark.parametrize(("argv", "env", "expected"), [
    (["--lang", "ja", "status"], {"LANG": "en_US.UTF-8"}, "ja"),
    (["--lang=en", "status"], {"LANG": "ja_JP.UTF-8"}, "en"),
    (["status"], {"LANG": "ja_JP.UTF-8"}, "ja"),
    (["status"], {"LANG": "C.UTF-8"}, "en"),
    (["status"], {}, "en"),
    (["status"], {"LC_ALL": "ja_JP.UTF-8", "LANG": "en_US.UTF-8"}, "ja"),
    (["status"], {"SGL_GENERAL__LOCALE": "ja", "LANG": "en_US.UTF-8"}, "ja"),
    (["--lang", "en", "status"], {"SGL_GENERAL__LOCALE": "ja"}, "en"),
])
def test_locale_order(project: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str],
                      env: dict[str, str], expected: str) -> None:
    assert choose_locale(argv, env) == expected


def test_locale_from_settings_file(project: Path) -> None:
    (project / "sgl.toml").write_text('[general]\nlocale = "ja"\n', encoding="utf-8")

    assert choose_locale(["status"], {"LANG": "en_US.UTF-8"}) == "ja"
