"""The demo: the main job on generated data, in one process so Prefect's server starts once.

Today the pipeline runs as far as it is built. The CRM sandbox starts with 24 months of
generated records for both CRMs, and a demo project is written beside it. The warehouse is
created through the ``prepare-warehouse`` flow, and each CRM connection is tried with the real
authentication calls. Nothing is pulled yet, so the demo shows no KPI.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

from sgl.prefect_env import configure_prefect
from sgl.settings import load_settings

logger = logging.getLogger(__name__)

DEMO_SEED = 42


@dataclass(frozen=True)
class DemoResult:
    project_dir: Path
    sandbox_url: str
    as_of: date
    record_counts: dict[str, int]
    schema_version: int
    warehouse_path: Path
    checks: list[dict[str, str]]


def demo_settings(sandbox_url: str, ca_file: Path) -> str:
    """Return the demo project's settings file, pointing both CRMs at the sandbox."""
    return (
        "# Written by `sgl demo`: both CRMs are the local sandbox.\n"
        "[general]\n"
        'company_name = "デモ株式会社"\n'
        "[warehouse]\n"
        'path = "var/sgl.duckdb"\n'
        "[prefect]\n"
        'home = "var/prefect"\n'
        "[sources.salesforce]\n"
        "enabled = true\n"
        f'instance_url = "{sandbox_url}"\n'
        'auth = "client_credentials"\n'
        f'ca_bundle = "{ca_file}"\n'
        "[sources.hubspot]\n"
        "enabled = true\n"
        f'base_url = "{sandbox_url}"\n'
        f'ca_bundle = "{ca_file}"\n'
    )


def run_demo(project_dir: Path, as_of: date, size: int) -> DemoResult:
    """Run every part of the main job that exists, against a fresh sandbox and warehouse."""
    from connectors.checks import check_hubspot, check_salesforce
    from sandbox import Sandbox
    from sandbox.generate import generate_world

    project_dir = project_dir.resolve()
    if project_dir.exists():
        shutil.rmtree(project_dir)
    project_dir.mkdir(parents=True)

    as_of_time = datetime.combine(as_of, time(0, 0), tzinfo=UTC)
    world = generate_world(size=size, seed=DEMO_SEED, as_of=as_of_time)
    logger.info("demo world generated: %s", world.count())

    with Sandbox(world=world, seed=DEMO_SEED) as sandbox:
        config_path = project_dir / "sgl.toml"
        config_path.write_text(demo_settings(sandbox.url, sandbox.ca_file), encoding="utf-8")
        credentials = sandbox.salesforce_credentials
        # The sandbox's own dummy credentials, passed the way real ones are: the environment.
        os.environ["SGL_SALESFORCE_CLIENT_ID"] = credentials.client_id
        os.environ["SGL_SALESFORCE_CLIENT_SECRET"] = credentials.client_secret
        os.environ["SGL_HUBSPOT_ACCESS_TOKEN"] = sandbox.hubspot_token or ""

        settings = load_settings(config_path, os.environ)
        configure_prefect(settings.prefect_home)
        from flows.maintenance import prepare_warehouse

        state = prepare_warehouse(str(config_path))
        checks = [check_salesforce(settings, os.environ), check_hubspot(settings, os.environ)]
        url = sandbox.url

    return DemoResult(
        project_dir=project_dir,
        sandbox_url=url,
        as_of=as_of,
        record_counts=world.count(),
        schema_version=state["schema_version"],
        warehouse_path=settings.warehouse_path,
        checks=[{"target": check.target, "status": "ok" if check.ok else "failed",
                 "detail": check.detail} for check in checks],
    )
