"""Settings: TOML file, environment overrides, and one clear message per problem."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from sgl.cli.config_commands import sample_config
from sgl.errors import ConfigError
from sgl.settings import load_settings


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env or {})
    return caught.value.problems


def test_defaults_without_file(project: Path) -> None:
    settings = load_settings(None, {})

    assert settings.config_file is None
    assert settings.general.timezone == "Asia/Tokyo"
    assert settings.general.fiscal_year_start_month == 4
    assert settings.general.locale is None
    assert settings.warehouse_path == project / "var" / "sgl.duckdb"


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_sample_config_is_valid(project: Path, locale: str) -> None:
    path = write(project / "sgl.toml", sample_config(locale))

    settings = load_settings(path, {})

    assert settings.config_file == path
    assert settings.sources.salesforce.enabled is False


def test_sample_config_comments_in_language() -> None:
    assert "タイムゾーン" in sample_config("ja")
    assert "time zone" in sample_config("en")
    assert "タイムゾーン" not in sample_config("en")


INVALID_FILES = [
    pytest.param(
        '[general]\ntimezone = "Asia/Tokio"\n',
        ["general.timezone = 'Asia/Tokio': expected an IANA time zone name such as Asia/Tokyo"],
        id="unknown-timezone",
    ),
    pytest.param(
        "[general]\nfiscal_year_start_month = 13\n",
        ["general.fiscal_year_start_month = 13: expected a number ≤ 12"],
        id="month-out-of-range",
    ),
    pytest.param(
        '[general]\nlocale = "de"\n',
        ["general.locale = 'de': expected one of 'ja', 'en'"],
        id="unsupported-locale",
    ),
    pytest.param(
        '[general]\nreporting_currency = "YEN"\n',
        ["general.reporting_currency = 'YEN': expected an ISO 4217 currency code such as JPY"],
        id="unknown-currency",
    ),
    pytest.param(
        '[warehouse]\nlock_timeout_seconds = "soon"\n',
        ["warehouse.lock_timeout_seconds = 'soon': expected a number"],
        id="text-for-number",
    ),
    pytest.param(
        '[sources.salesforce]\nenabled = "yes please"\n',
        ["sources.salesforce.enabled = 'yes please': expected true or false"],
        id="text-for-boolean",
    ),
    pytest.param(
        '[sources.salesforce]\ninstance_url = "http://example.my.salesforce.com"\n',
        ["sources.salesforce.instance_url = 'http://example.my.salesforce.com': expected an "
         "https:// URL"],
        id="plain-http-url",
    ),
    pytest.param(
        '[sources.salesforce]\nauth = "oauth"\n',
        ["sources.salesforce.auth = 'oauth': expected one of 'client_credentials', 'jwt', "
         "'password'"],
        id="unknown-auth-flow",
    ),
    pytest.param(
        "[general]\ntimezon = \"Asia/Tokyo\"\n",
        ["general.timezon: unknown key. Valid keys here: company_name, timezone,"],
        id="misspelt-key",
    ),
    pytest.param(
        "[reports]\nrecipients = []\n",
        ["reports: unknown key. Valid keys here: general, warehouse, prefect, sources, report,"],
        id="misspelt-section",
    ),
    pytest.param(
        "[report]\nsmtp_port = 70000\nrecipients = \"ceo@example.co.jp\"\n",
        ["report.recipients = 'ceo@example.co.jp': expected a list such as",
         "report.smtp_port = 70000: expected a number ≤ 65535"],
        id="two-problems-two-lines",
    ),
]


@pytest.mark.parametrize(("text", "expected"), INVALID_FILES)
def test_invalid_file_names_each_problem(project: Path, text: str, expected: list[str]) -> None:
    path = write(project / "sgl.toml", text)

    problems = problems_of(path)

    assert len(problems) == len(expected)
    for fragment in expected:
        matching = [line for line in problems if fragment in line]
        assert matching, f"{fragment!r} not in {problems}"
        assert matching[0].startswith(str(path) + ": ")


def test_toml_syntax_error_names_line(project: Path) -> None:
    path = write(project / "sgl.toml", "[general]\ncompany_name = \"unterminated\n")

    problems = problems_of(path)

    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: not valid TOML")
    assert "line 2" in problems[0]


def test_missing_file_suggests_init(project: Path) -> None:
    problems = problems_of(project / "nowhere.toml")

    assert problems == [f"{project / 'nowhere.toml'}: settings file not found. Create one with "
                        "`sgl init`."]


def test_non_utf8_file_rejected(project: Path) -> None:
    path = project / "sgl.toml"
    path.write_bytes('[general]\ncompany_name = "株式会社"\n'.encode("cp932"))

    problems = problems_of(path)

    assert problems == [f"{path}: not UTF-8 text. Save the file as UTF-8."]


def test_environment_overrides_file(project: Path) -> None:
    path = write(project / "sgl.toml", '[general]\ntimezone = "UTC"\n')
    env = {
        "SGL_GENERAL__TIMEZONE": "Asia/Tokyo",
        "SGL_GENERAL__FISCAL_YEAR_START_MONTH": "1",
        "SGL_SOURCES__SALESFORCE__ENABLED": "true",
        "SGL_REPORT__RECIPIENTS": '["ceo@example.co.jp", "cfo@example.co.jp"]',
        "SGL_GENERAL__CURRENCY_RATES": "{ USD = 150.5 }",
        "SGL_SALESFORCE_CLIENT_SECRET": "not-a-setting-because-no-double-underscore",
    }

    settings = load_settings(path, env)

    assert settings.general.timezone == "Asia/Tokyo"
    assert settings.general.fiscal_year_start_month == 1
    assert settings.sources.salesforce.enabled is True
    assert settings.report.recipients == ["ceo@example.co.jp", "cfo@example.co.jp"]
    assert settings.general.currency_rates == {"USD": Decimal("150.5")}


def test_bad_environment_override_names_variable(project: Path) -> None:
    problems = problems_of(None, {"SGL_GENERAL__FISCAL_YEAR_START_MONTH": "April"})

    assert problems == [
        "environment variable SGL_GENERAL__FISCAL_YEAR_START_MONTH: "
        "general.fiscal_year_start_month = 'April': expected a whole number"
    ]


def test_unknown_environment_key_rejected(project: Path) -> None:
    problems = problems_of(None, {"SGL_WAREHOUSE__PATHS": "x.duckdb"})

    assert len(problems) == 1
    assert problems[0].startswith("environment variable SGL_WAREHOUSE__PATHS: warehouse.paths: "
                                  "unknown key")


def test_config_env_variable_selects_file(project: Path) -> None:
    path = write(project / "other.toml", '[general]\ncompany_name = "テスト株式会社"\n')

    settings = load_settings(None, {"SGL_CONFIG": str(path)})

    assert settings.general.company_name == "テスト株式会社"


def test_relative_paths_follow_config_file(project: Path) -> None:
    folder = project / "conf"
    folder.mkdir()
    path = write(folder / "sgl.toml", '[warehouse]\npath = "data/w.duckdb"\n'
                                      '[prefect]\nhome = "/srv/prefect"\n')

    settings = load_settings(path, {})

    assert settings.warehouse_path == folder / "data" / "w.duckdb"
    assert settings.prefect_home == Path("/srv/prefect")


def test_japanese_messages_for_invalid_file(project: Path) -> None:
    from sgl import i18n

    path = write(project / "sgl.toml", "[general]\nfiscal_year_start_month = 0\n")
    i18n.set_locale("ja")
    try:
        problems = problems_of(path)
    finally:
        i18n.set_locale("en")

    assert problems == [
        f"{path}: general.fiscal_year_start_month = 0: 1 以上の数値を指定してください"]


def test_unknown_environment_section_names_variable(project: Path) -> None:
    path = write(project / "sgl.toml", "[general]\n")

    problems = problems_of(path, {"SGL_FOO__BAR": "1"})

    assert len(problems) == 1
    assert problems[0].startswith("environment variable SGL_FOO__BAR: foo: unknown key")
