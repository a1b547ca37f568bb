"""Credentials from Prefect Secret blocks or environment variables, never from files or logs.

Each credential set has a Secret block name in the settings (``secret_block``). When it is
set, the block is loaded: it holds either a JSON object with the names below as keys, or,
for a set with a single secret (HubSpot token, SMTP password), the plain value. When it is
not set, each secret comes from its environment variable.

Values are returned as ``pydantic.SecretStr`` and registered with the log redactor, so that
even a careless log line or exception message shows ``***`` in their place.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from sgl.errors import SecretMissingError
from sgl.i18n import _
from sgl.logs import register_secret

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SecretSpec:
    """One credential: its key in a Secret block and its environment variable."""

    key: str
    variable: str


SALESFORCE_SECRETS: dict[str, tuple[SecretSpec, ...]] = {
    "client_credentials": (
        SecretSpec("client_id", "SGL_SALESFORCE_CLIENT_ID"),
        SecretSpec("client_secret", "SGL_SALESFORCE_CLIENT_SECRET"),
    ),
    "jwt": (
        SecretSpec("client_id", "SGL_SALESFORCE_CLIENT_ID"),
        SecretSpec("username", "SGL_SALESFORCE_USERNAME"),
        SecretSpec("private_key", "SGL_SALESFORCE_PRIVATE_KEY"),
    ),
    # The OAuth username-password flow needs the connected app's id and secret as well.
    "password": (
        SecretSpec("client_id", "SGL_SALESFORCE_CLIENT_ID"),
        SecretSpec("client_secret", "SGL_SALESFORCE_CLIENT_SECRET"),
        SecretSpec("username", "SGL_SALESFORCE_USERNAME"),
        SecretSpec("password", "SGL_SALESFORCE_PASSWORD"),
        SecretSpec("security_token", "SGL_SALESFORCE_SECURITY_TOKEN"),
    ),
}
HUBSPOT_SECRETS = (SecretSpec("access_token", "SGL_HUBSPOT_ACCESS_TOKEN"),)
SMTP_SECRETS = (SecretSpec("password", "SGL_SMTP_PASSWORD"),)

# A PEM private key may also be given as a file path, which is not itself a secret.
PRIVATE_KEY_FILE_VARIABLE = "SGL_SALESFORCE_PRIVATE_KEY_FILE"


def resolve_secrets(
    label: str,
    specs: tuple[SecretSpec, ...],
    block_name: str | None,
    env: Mapping[str, str],
    setting_key: str,
) -> dict[str, SecretStr]:
    """Return every secret of ``specs`` from the named block or the environment.

    ``label`` names the credential set in messages ("Salesforce"), and ``setting_key`` is
    the settings key holding the block name, so the error can say where to configure it.
    """
    if block_name:
        values = _from_block(label, specs, block_name)
    else:
        values = _from_environment(label, specs, env, setting_key)

    for value in values.values():
        register_secret(value.get_secret_value())
    logger.debug("resolved %d secrets for %s from %s", len(values), label,
                 "a Secret block" if block_name else "the environment")
    return values


def _from_environment(
    label: str,
    specs: tuple[SecretSpec, ...],
    env: Mapping[str, str],
    setting_key: str,
) -> dict[str, SecretStr]:
    values: dict[str, SecretStr] = {}
    missing: list[SecretSpec] = []
    for spec in specs:
        raw = env.get(spec.variable, "")
        if spec.key == "private_key" and not raw and env.get(PRIVATE_KEY_FILE_VARIABLE):
            raw = _read_key_file(Path(env[PRIVATE_KEY_FILE_VARIABLE]))
        if raw:
            values[spec.key] = SecretStr(raw)
        else:
            missing.append(spec)

    if missing:
        variables = ", ".join(spec.variable for spec in missing)
        raise SecretMissingError(
            _(
                "{label}: missing credentials {keys}. Set the environment variables "
                "{variables}, or name a Prefect Secret block in {setting}."
            ).format(
                label=label,
                keys=", ".join(spec.key for spec in missing),
                variables=variables,
                setting=setting_key,
            )
        )
    return values


def _from_block(label: str, specs: tuple[SecretSpec, ...], block_name: str) -> dict[str, SecretStr]:
    # Imported here: loading a block needs a Prefect API, which the environment path does not.
    from prefect.blocks.system import Secret

    try:
        content = Secret.load(block_name).get()
    except ValueError:
        raise SecretMissingError(
            _("{label}: Prefect Secret block {block!r} not found. Create it with "
              "`prefect block create secret` or in the Prefect UI.").format(
                label=label, block=block_name
            )
        ) from None

    if isinstance(content, str) and len(specs) == 1:
        content = {specs[0].key: content}
    if not isinstance(content, dict):
        raise SecretMissingError(
            _("{label}: Prefect Secret block {block!r} must hold a JSON object with the keys "
              "{keys}.").format(label=label, block=block_name,
                                keys=", ".join(spec.key for spec in specs))
        )

    missing = [spec.key for spec in specs if not content.get(spec.key)]
    if missing:
        raise SecretMissingError(
            _("{label}: Prefect Secret block {block!r} lacks the keys {keys}.").format(
                label=label, block=block_name, keys=", ".join(missing)
            )
        )
    return {spec.key: SecretStr(str(content[spec.key])) for spec in specs}


def _read_key_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise SecretMissingError(
            _("Salesforce: cannot read the private key file {path} ({reason}). Check "
              "{variable}.").format(path=path, reason=error.strerror,
                                    variable=PRIVATE_KEY_FILE_VARIABLE)
        ) from None
