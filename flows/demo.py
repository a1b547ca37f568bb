"""The demo: the main job end to end, in one process so Prefect's local server starts once.

On generated data (:func:`run_demo`): the CRM sandbox starts with 24 months of records for
both CRMs up to ``as_of`` and a local SMTP sink stores mail as .eml files. The ``backfill``
flow pulls the 24 months; records then change in the sandbox and ``nightly-sync`` pulls
them, attributes and previews write-back; ``monthly-report`` renders and sends the last
full month in Japanese and English; the ``writeback`` flow applies the tags to the CRMs.

On exported files (:func:`run_file_demo`): the files are imported, attributed, and the last
full month of the data is reported and sent to the SMTP sink. There is no CRM, so nothing is
pulled or written back.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sgl.prefect_env import configure_prefect
from sgl.settings import Settings, load_settings

logger = logging.getLogger(__name__)

DEMO_SEED = 42
DEMO_MONTHS = 24
DEMO_RECIPIENTS = ("leadership@demo.example.co.jp",)
DEMO_SENDER = "sgl@demo.example.co.jp"
DEMO_OPS = "ops@demo.example.co.jp"
# Records the demo changes in each CRM between the backfill and the nightly sync.
CHANGED_RECORDS = 5


@dataclass
class DemoResult:
    project_dir: Path
    as_of: date
    month: str
    record_counts: dict[str, int] = field(default_factory=dict)
    pulls: list[dict[str, Any]] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)
    headline: list[dict[str, Any]] = field(default_factory=list)
    emails: list[Path] = field(default_factory=list)
    writeback: dict[str, Any] | None = None
    changed: dict[str, int] = field(default_factory=dict)
    has_origin_data: bool = True
    seconds: float = 0.0


def demo_settings(sandbox_url: str | None, ca_file: Path | None, smtp_port: int = 25) -> str:
    """Return the demo project's settings: both CRMs at the sandbox, mail to the local sink."""
    lines = [
        "# Written by `sgl demo`: both CRMs are the local sandbox, mail goes to a local sink.",
        "[general]",
        'company_name = "デモ株式会社"',
        # Fixed demo rates, not market data: exports such as Zoho's hold USD amounts.
        "currency_rates = { USD = 150, EUR = 160 }",
        "[warehouse]",
        'path = "var/sgl.duckdb"',
        "[prefect]",
        'home = "var/prefect"',
        "[report]",
        f'sender = "{DEMO_SENDER}"',
        f"recipients = {list(DEMO_RECIPIENTS)!r}".replace("'", '"'),
        'smtp_host = "127.0.0.1"',
        f"smtp_port = {smtp_port}",
        'smtp_tls = "none"',
        "allow_plain_smtp = true",
        'archive_dir = "var/reports"',
        "[alerts]",
        f'ops_address = "{DEMO_OPS}"',
        "[writeback]",
        # The nightly sync previews; the demo's last step applies with the writeback flow.
        'mode = "dry-run"',
        # Illustrative hourly costs in yen, so the report can show cost per SGL.
        "[kpi.hourly_cost_by_role]",
        "sales = 6000",
        "inside_sales = 4500",
        "marketing = 5000",
        "integration = 0",
        "other = 5000",
    ]
    if sandbox_url is not None:
        lines += [
            "[sources.salesforce]",
            "enabled = true",
            f'instance_url = "{sandbox_url}"',
            'auth = "client_credentials"',
            f'ca_bundle = "{ca_file}"',
            "[sources.hubspot]",
            "enabled = true",
            f'base_url = "{sandbox_url}"',
            f'ca_bundle = "{ca_file}"',
            # The sandbox indexes changes at once; HubSpot itself needs about a minute.
            "search_delay_seconds = 0",
            "[sources.retry]",
            "time_scale = 0.01",
        ]
    return "\n".join(lines) + "\n"


# Written into every demo project; only a folder holding it is replaced by the next run.
DEMO_MARKER = ".sgl-demo"


def fresh_folder(project_dir: Path) -> Path:
    """Empty the demo folder, refusing any existing folder that an earlier demo did not make."""
    project_dir = project_dir.resolve()
    if project_dir.exists():
        is_demo = (project_dir / DEMO_MARKER).is_file()
        holds_cwd = Path.cwd().resolve().is_relative_to(project_dir)
        if holds_cwd or not is_demo and (not project_dir.is_dir() or any(project_dir.iterdir())):
            from sgl.errors import SglError
            from sgl.i18n import _

            raise SglError(_("{path} exists and is not a demo project, so the demo will not "
                             "replace it. Choose another folder with --dir.").format(
                                 path=project_dir))
        shutil.rmtree(project_dir)
    project_dir.mkdir(parents=True)
    (project_dir / DEMO_MARKER).write_text(
        "Made by `sgl demo`; the next demo run replaces this folder.\n", encoding="utf-8")
    return project_dir


def history_start(as_of: date, months: int = DEMO_MONTHS) -> date:
    """Return the first day of the month ``months - 1`` months before ``as_of``'s month.

    >>> history_start(date(2026, 5, 20))
    datetime.date(2024, 6, 1)
    """
    index = as_of.year * 12 + as_of.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


def run_demo(project_dir: Path, as_of: date, size: int) -> DemoResult:
    """Run the main job on generated data; see the module docstring."""
    from flows.mail_sink import MailSink
    from sandbox import Sandbox

    started = datetime.now(UTC)
    project_dir = fresh_folder(project_dir)
    as_of_time = datetime.combine(as_of, time(0, 0), tzinfo=UTC)
    with Sandbox(size=size, seed=DEMO_SEED, as_of=as_of_time) as sandbox, \
            MailSink(project_dir / "mail") as sink:
        config_path = project_dir / "sgl.toml"
        config_path.write_text(demo_settings(sandbox.url, sandbox.ca_file, sink.port),
                               encoding="utf-8")
        credentials = sandbox.salesforce_credentials
        # The sandbox's own dummy credentials, passed the way real ones are: the environment.
        os.environ["SGL_SALESFORCE_CLIENT_ID"] = credentials.client_id
        os.environ["SGL_SALESFORCE_CLIENT_SECRET"] = credentials.client_secret
        os.environ["SGL_HUBSPOT_ACCESS_TOKEN"] = sandbox.hubspot_token or ""
        settings = load_settings(config_path, os.environ)
        configure_prefect(settings.prefect_home)

        from flows.backfill import backfill
        from flows.nightly import nightly_sync, writeback
        from flows.report import monthly_report
        from flows.reporting import last_full_month

        prepare_sandbox_fields(sandbox, settings)
        result = DemoResult(project_dir=project_dir, as_of=as_of,
                            month=last_full_month(as_of))
        result.record_counts = _sandbox_counts(sandbox)
        config = str(config_path)

        pulled = backfill(start=history_start(as_of).isoformat(),
                          end=(as_of + timedelta(days=1)).isoformat(), config_path=config)
        result.changed = change_sandbox_records(sandbox)
        nightly = nightly_sync(config_path=config)
        result.pulls = _merge_pulls(pulled["pulls"], nightly["pulls"])
        report = monthly_report(config_path=config, month=result.month,
                                as_of=as_of.isoformat(), locales=["ja", "en"])
        result.reports = report["reports"]
        result.headline = report["headline"]
        applied = writeback(config_path=config, apply=True)
        from flows.summaries import writeback_row

        result.writeback = writeback_row(applied, "on")
        result.emails = sink.messages()
    result.seconds = (datetime.now(UTC) - started).total_seconds()
    return result


def run_file_demo(project_dir: Path, data_dir: Path, mapping: str) -> DemoResult:
    """Run the main job on exported CSV files: import, attribute, report the last full month."""
    from flows.mail_sink import MailSink

    started = datetime.now(UTC)
    files = sorted(data_dir.glob("*.csv"))
    if not files:
        from sgl.errors import SglError
        from sgl.i18n import _

        raise SglError(_("No CSV files in {folder}.").format(folder=data_dir))
    project_dir = fresh_folder(project_dir)
    with MailSink(project_dir / "mail") as sink:
        config_path = project_dir / "sgl.toml"
        config_path.write_text(demo_settings(None, None, sink.port), encoding="utf-8")
        settings = load_settings(config_path, os.environ)
        configure_prefect(settings.prefect_home)

        from flows.import_files import import_files

        # A whole export folder: files the mapping does not read (e.g. a data dictionary)
        # are skipped.
        imported = import_files(config_path=str(config_path), mapping=mapping,
                                files=[str(path) for path in files], skip_unmatched=True)
        if imported["as_of"] is None:
            from sgl.errors import SglError
            from sgl.i18n import _

            raise SglError(_("No dated leads or opportunities were imported from {folder} with "
                             "the mapping {mapping}. Check that the files are the export this "
                             "mapping describes.").format(folder=data_dir, mapping=mapping))
        result = DemoResult(project_dir=project_dir, as_of=date.fromisoformat(imported["as_of"]),
                            month=imported["month"])
        result.record_counts = imported["rows"]
        from flows.report import monthly_report

        report = monthly_report(config_path=str(config_path), month=result.month,
                                as_of=imported["as_of"], locales=["ja", "en"])
        result.reports = report["reports"]
        result.headline = report["headline"]
        result.has_origin_data = all(row["has_origin_data"] for row in result.reports)
        result.emails = sink.messages()
    result.seconds = (datetime.now(UTC) - started).total_seconds()
    return result


# -- the sandbox as an admin prepares a real org ----------------------------------------------

def prepare_sandbox_fields(sandbox: Any, settings: Settings) -> None:
    """Give the sandbox's CRMs the fields and values an admin creates before write-back.

    HubSpot properties are created by the product's own setup (``sgl writeback setup``).
    The rest is what an admin does by hand in a real org, which the sandbox has no API for:
    adding every origin and channel value to the Salesforce picklists and to the existing
    HubSpot ``sgl_channel`` property.
    """
    from connectors.writeback.runner import default_opener
    from connectors.writeback.setup import property_definition, set_up_hubspot
    from connectors.writeback.targets import FIELD_SPECS, targets_from_settings

    # NOTE: this reaches into the sandbox's describe cache and property registry, because the
    # sandbox serves no metadata API; a sandbox change can break it.
    describer = sandbox.salesforce.describer
    for target in targets_from_settings(settings, "salesforce"):
        values = FIELD_SPECS[target.part].values
        if values:
            with describer._lock:  # noqa: SLF001
                describer._picklists[(target.object, target.field)] = list(values)  # noqa: SLF001

    with default_opener(settings, os.environ)("hubspot") as writer:
        set_up_hubspot(writer, targets_from_settings(settings, "hubspot"))
    registry = sandbox.hubspot.store.properties
    for target in targets_from_settings(settings, "hubspot"):
        current = registry.get(target.object, target.field)
        wanted = property_definition(target).get("options") or []
        if current is not None and wanted:
            present = {option["value"] for option in current.get("options") or []}
            current["options"] = [*current.get("options", []),
                                  *[option for option in wanted
                                    if option["value"] not in present]]


def change_sandbox_records(sandbox: Any, count: int = CHANGED_RECORDS) -> dict[str, int]:
    """Change records as people would between two syncs; return the count per CRM object.

    Salesforce: unconverted leads move to status "Working", and the first one gets a
    person-set tag (sales / referral). HubSpot: contacts get a new job title.
    """
    store = sandbox.salesforce.store
    rows = store.query('SELECT "Id" FROM "Lead" WHERE NOT "IsDeleted" AND NOT "IsConverted" '
                       'ORDER BY "Id" LIMIT ?', (count,))
    for index, (lead_id,) in enumerate(rows):
        values: dict[str, Any] = {"Status": "Working"}
        if index == 0:
            values |= {"SGL_Origin__c": "sales", "SGL_Channel__c": "referral"}
        store.update("Lead", lead_id, values)

    from sandbox.hubspot.table import LIVE

    table = sandbox.hubspot.store.table("contacts")
    contact_ids = [table.id_at(row) for row in range(len(table))
                   if table.state(row) == LIVE][:count]
    for contact_id in contact_ids:
        sandbox.hubspot.update("contacts", contact_id, {"jobtitle": "営業企画部 部長"})
    return {"salesforce.Lead": len(rows), "hubspot.contacts": len(contact_ids)}


def _sandbox_counts(sandbox: Any) -> dict[str, int]:
    counts = {}
    for name in ("Lead", "Contact", "Account", "Opportunity"):
        counts[f"salesforce.{name}"] = sandbox.salesforce.store.count(name)
    for name in ("contacts", "companies", "deals"):
        counts[f"hubspot.{name}"] = len(sandbox.hubspot.store.table(name))
    return counts


def _merge_pulls(backfilled: list[dict[str, Any]],
                 nightly: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return one row per source and object: records backfilled and pulled by the sync."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for kind, pulls in (("backfill", backfilled), ("sync", nightly)):
        for row in pulls:
            key = (row["source"], row["object"])
            entry = rows.setdefault(key, {"source": row["source"], "object": row["object"],
                                          "backfill": 0, "sync": 0, "status": "ok"})
            entry[kind] += row["records"]
            if row["status"] != "ok":
                entry["status"] = row["status"]
    return list(rows.values())
