"""Fixtures of the orchestration tests: a sandbox world, an SMTP sink and a project folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

AS_OF = date(2026, 5, 20)
MONTH = "2026-04"
WORLD_SIZE = 150
WORLD_SEED = 42


@dataclass
class Project:
    """A project folder whose settings point at a running sandbox and SMTP sink."""

    folder: Path
    config_path: Path
    sandbox: Any
    sink: Any
    env: dict[str, str]

    def settings(self) -> Any:
        from sgl.settings import load_settings

        return load_settings(self.config_path, {**os.environ, **self.env})


def backfill_parameters(config_path: Path | None) -> dict[str, Any]:
    """Return the backfill flow's parameters for the whole generated history."""
    from flows.demo import history_start

    parameters: dict[str, Any] = {"start": history_start(AS_OF).isoformat(),
                                  "end": (AS_OF + timedelta(days=1)).isoformat()}
    if config_path is not None:
        parameters["config_path"] = str(config_path)
    return parameters


def start_project(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """Start a sandbox and an SMTP sink and write the settings of a project using them.

    Write-back mode is "on", so the nightly sync itself writes the tags to the sandbox.
    """
    from flows.demo import demo_settings, prepare_sandbox_fields
    from flows.mail_sink import MailSink
    from sandbox import Sandbox

    folder.mkdir(parents=True, exist_ok=True)
    as_of_time = datetime.combine(AS_OF, time(0, 0), tzinfo=UTC)
    with Sandbox(size=WORLD_SIZE, seed=WORLD_SEED, as_of=as_of_time) as sandbox, \
            MailSink(folder / "mail") as sink:
        config_path = folder / "sgl.toml"
        text = demo_settings(sandbox.url, sandbox.ca_file, sink.port)
        config_path.write_text(text.replace('mode = "dry-run"', 'mode = "on"'),
                               encoding="utf-8")
        credentials = sandbox.salesforce_credentials
        env = {
            "SGL_SALESFORCE_CLIENT_ID": credentials.client_id,
            "SGL_SALESFORCE_CLIENT_SECRET": credentials.client_secret,
            "SGL_HUBSPOT_ACCESS_TOKEN": sandbox.hubspot_token or "",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        project = Project(folder, config_path, sandbox, sink, env)
        prepare_sandbox_fields(sandbox, project.settings())
        yield project


def crm_state(sandbox: Any) -> dict[str, Any]:
    """Return the write-back fields of every Salesforce lead and HubSpot contact."""
    from sandbox.hubspot.table import LIVE

    leads = sandbox.salesforce.store.query(
        'SELECT "Id", "SGL_Origin__c", "SGL_Channel__c", "SGL_Rule__c" FROM "Lead" '
        'ORDER BY "Id"')
    table = sandbox.hubspot.store.table("contacts")
    contacts = sorted(
        (table.id_at(row), table.value(row, "sgl_origin"), table.value(row, "sgl_channel"))
        for row in range(len(table)) if table.state(row) == LIVE)
    return {"leads": leads, "contacts": contacts}


def values_not_written(sandbox: Any, log: list[tuple[str, str, str, str, str]]) -> list[str]:
    """Return the write-back log rows whose value the sandbox record does not contain.

    ``log`` rows are (source, object, source_id, field, after) of results "written".
    """
    missing = []
    for source, object_name, source_id, field, after in log:
        if source == "salesforce":
            record = sandbox.salesforce.store.get(object_name, source_id) or {}
            value = record.get(field)
        else:
            table = sandbox.hubspot.store.table(object_name)
            row = table.row_of(source_id)
            value = table.value(row, field) if row is not None else None
        if value != after:
            missing.append(f"{source} {object_name} {source_id} {field}: {value!r} != {after!r}")
    return missing
