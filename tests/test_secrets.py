"""Secrets come from the environment or Prefect Secret blocks and never reach logs or messages."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sgl.errors import SecretMissingError
from sgl.logs import REDACTED, register_secret
from sgl.secrets import HUBSPOT_SECRETS, SALESFORCE_SECRETS, resolve_secrets

CLIENT_SECRET = "sf-client-secret-7c1e9a44b2"
HUBSPOT_TOKEN = "pat-na1-5f0e2d61-93c4-4a7b-b1de-0c2f7a9e8d11"
SMTP_PASSWORD = "smtp-pässwörd-4471"


def test_environment_secrets_resolved() -> None:
    env = {"SGL_SALESFORCE_CLIENT_ID": "3MVG9-client-id", "SGL_SALESFORCE_CLIENT_SECRET":
           CLIENT_SECRET}

    values = resolve_secrets("Salesforce", SALESFORCE_SECRETS["client_credentials"], None, env,
                             "sources.salesforce.secret_block")

    assert values["client_secret"].get_secret_value() == CLIENT_SECRET
    assert CLIENT_SECRET not in repr(values)


def test_missing_secret_names_variables() -> None:
    with pytest.raises(SecretMissingError) as caught:
        resolve_secrets("Salesforce", SALESFORCE_SECRETS["jwt"], None,
                        {"SGL_SALESFORCE_CLIENT_ID": "3MVG9-client-id"},
                        "sources.salesforce.secret_block")

    message = str(caught.value)
    assert "SGL_SALESFORCE_USERNAME" in message
    assert "SGL_SALESFORCE_PRIVATE_KEY" in message
    assert "sources.salesforce.secret_block" in message
    assert "SGL_SALESFORCE_CLIENT_ID," not in message


def test_private_key_read_from_file(tmp_path: Path) -> None:
    key_file = tmp_path / "server.key"
    key_file.write_text("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n"
                        "-----END PRIVATE KEY-----\n", encoding="utf-8")
    env = {"SGL_SALESFORCE_CLIENT_ID": "3MVG9", "SGL_SALESFORCE_USERNAME": "api@example.co.jp",
           "SGL_SALESFORCE_PRIVATE_KEY_FILE": str(key_file)}

    values = resolve_secrets("Salesforce", SALESFORCE_SECRETS["jwt"], None, env, "x")

    assert values["private_key"].get_secret_value().startswith("-----BEGIN PRIVATE KEY-----")


def test_registered_secret_redacted_in_logs(caplog: pytest.LogCaptureFixture) -> None:
    register_secret(HUBSPOT_TOKEN)
    logger = logging.getLogger("tests.secrets")

    with caplog.at_level(logging.DEBUG):
        logger.info("calling with token %s", HUBSPOT_TOKEN)
        logger.warning(f"header Authorization: Bearer {HUBSPOT_TOKEN}")
        try:
            raise RuntimeError(f"failed with {HUBSPOT_TOKEN}")
        except RuntimeError:
            logger.exception("request failed")

    text = caplog.text
    assert HUBSPOT_TOKEN not in text
    assert f"calling with token {REDACTED}" in text
    assert f"Bearer {REDACTED}" in text


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_online_check_never_prints_secrets(tmp_path: Path) -> None:
    port = closed_port()
    (tmp_path / "sgl.toml").write_text(
        f'[sources.salesforce]\nenabled = true\ninstance_url = "https://127.0.0.1:{port}"\n'
        f'[sources.hubspot]\nenabled = true\nbase_url = "https://127.0.0.1:{port}"\n'
        f'[report]\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\n'
        f'smtp_username = "sgl@example.co.jp"\nrecipients = ["ceo@example.co.jp"]\n',
        encoding="utf-8")
    env = {name: value for name, value in os.environ.items() if not name.startswith("SGL_")}
    env.update({
        "SGL_SALESFORCE_CLIENT_ID": "3MVG9-client-id-abcdef",
        "SGL_SALESFORCE_CLIENT_SECRET": CLIENT_SECRET,
        "SGL_HUBSPOT_ACCESS_TOKEN": HUBSPOT_TOKEN,
        "SGL_SMTP_PASSWORD": SMTP_PASSWORD,
    })

    result = subprocess.run([sys.executable, "-m", "sgl", "-vv", "config", "check", "--online"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    output = result.stdout + result.stderr
    assert result.returncode == 1
    assert "salesforce connection" in output
    assert "cannot reach" in output or "cannot connect" in output
    for secret in (CLIENT_SECRET, HUBSPOT_TOKEN, SMTP_PASSWORD):
        assert secret not in output


@pytest.mark.prefect
def test_secret_block_holds_json_object(prefect_server: None) -> None:
    from prefect.blocks.system import Secret

    Secret(value={"client_id": "3MVG9-from-block", "client_secret": CLIENT_SECRET}).save(
        "sgl-test-salesforce", overwrite=True)

    values = resolve_secrets("Salesforce", SALESFORCE_SECRETS["client_credentials"],
                             "sgl-test-salesforce", {}, "sources.salesforce.secret_block")

    assert values["client_id"].get_secret_value() == "3MVG9-from-block"
    assert values["client_secret"].get_secret_value() == CLIENT_SECRET


@pytest.mark.prefect
def test_secret_block_holds_plain_token(prefect_server: None) -> None:
    from prefect.blocks.system import Secret

    Secret(value=HUBSPOT_TOKEN).save("sgl-test-hubspot", overwrite=True)

    values = resolve_secrets("HubSpot", HUBSPOT_SECRETS, "sgl-test-hubspot", {}, "x")

    assert values["access_token"].get_secret_value() == HUBSPOT_TOKEN


@pytest.mark.prefect
def test_missing_secret_block_named(prefect_server: None) -> None:
    with pytest.raises(SecretMissingError) as caught:
        resolve_secrets("HubSpot", HUBSPOT_SECRETS, "no-such-block", {}, "x")

    assert "'no-such-block' not found" in str(caught.value)


@pytest.mark.prefect
def test_block_lacking_keys_named(prefect_server: None) -> None:
    from prefect.blocks.system import Secret

    Secret(value={"client_id": "3MVG9"}).save("sgl-test-partial", overwrite=True)

    with pytest.raises(SecretMissingError) as caught:
        resolve_secrets("Salesforce", SALESFORCE_SECRETS["client_credentials"],
                        "sgl-test-partial", {}, "x")

    assert "lacks the keys client_secret" in str(caught.value)
