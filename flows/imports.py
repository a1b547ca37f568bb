"""Plain functions that load CRM exports and spreadsheets into the warehouse.

- :func:`import_with_mapping` maps any CSV with a TOML mapping (a path, or the name of a
  shipped one: zoho_crm, maven_crm, x_education, hubspot_export);
- :func:`import_salesforce_export` reads a Data Export / Data Loader folder with API field
  names through the same normalizer as the API pull.

Records keep the CRM's ids: HubSpot and Salesforce imports write source ``hubspot`` and
``salesforce``, so a later API pull updates the same rows, while spreadsheets write
``import:<mapping name>``. Each run saves one ``sync_state`` row per object under source
``import:<name>`` with its counts. ``sgl import`` and the demo on exported files call these.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from connectors.files.mapping_file import read_mapping_file
from connectors.files.reading import read_csv
from connectors.files.salesforce_export import (
    EXPORT_FILES,
    SalesforceExport,
    read_salesforce_export,
)
from sgl.errors import SglError
from sgl.i18n import _
from sgl.migrations import RECORD_TABLES
from sgl.settings import Settings
from sgl.warehouse import SyncState, Warehouse
from transforms.normalize.imports import apply_mapping, parse_mapping
from transforms.normalize.imports.apply import COUNT_SCHEMA

logger = logging.getLogger(__name__)

SALESFORCE_SYNC_SOURCE = "import:salesforce"


def import_with_mapping(settings: Settings, mapping: str | Path, files: Sequence[Path], *,
                        encoding: str | None = None, object_name: str | None = None,
                        naive_zone: str | None = None,
                        skip_unmatched: bool = False) -> pl.DataFrame:
    """Read ``files``, map them with ``mapping`` and write the rows; return the counts.

    With ``skip_unmatched`` (a whole export folder), files the mapping does not name are
    skipped and logged instead of rejected.
    """
    mapping_file = read_mapping_file(mapping)
    spec = parse_mapping(mapping_file.data, mapping_file.locate)
    frames = {str(path): read_csv(path, encoding).frame for path in files}
    result = apply_mapping(spec, frames, object_name=object_name,
                           naive_zone=naive_zone or settings.imports.timezone,
                           skip_unmatched=skip_unmatched)
    by_object = [(table, object_name_, frame.filter(pl.col("object") == object_name_))
                 for table, frame in result.frames.items()
                 for object_name_ in frame["object"].unique(maintain_order=True).to_list()]
    _write(settings, spec.sync_source, by_object, result.counts)
    return result.counts


def import_salesforce_export(settings: Settings, folder: Path, *,
                             encoding: str | None = None) -> pl.DataFrame:
    """Read a Salesforce export folder, normalize it as the API pull does and write it."""
    try:
        from transforms.normalize.salesforce import normalizer_from_settings
    except ModuleNotFoundError:
        raise SglError(_("The Salesforce normalizer is not installed, so Salesforce exports "
                         "cannot be imported. Reinstall sgl.")) from None

    export = read_salesforce_export(folder, encoding)
    for path in export.skipped:
        logger.debug("skipped %s: not a Salesforce object this import reads", path.name)
    normalizer = normalizer_from_settings(settings)
    contacts_first_touch = "Contact" in settings.sources.salesforce.first_touch_objects
    rows: list[dict[str, object]] = []
    batches = []
    for item in EXPORT_FILES:
        if item.object not in export.files:
            continue
        file = export.files[item.object]
        records = export.records(item.object)
        _add(rows, file.name, item.object, "", "rows_read", len(records))
        if item.object == "Contact":
            if not contacts_first_touch:
                _add(rows, file.name, item.object, "", "skipped_not_first_touch", len(records))
                continue
            records = _first_touch_contacts(export, records)
        page = normalizer(item.object, records)
        for table, frame in page.frames.items():
            batches.append((table, item.object, frame))
            _add(rows, file.name, item.object, table, "rows_written",
                 frame.unique(subset="source_id").height)
            for name in frame.columns:
                if name not in ("source", "source_id", "object", "raw"):
                    _add(rows, file.name, item.object, table, "mapped",
                         frame.height - frame[name].null_count(), name)
        for key, value in page.malformed.items():
            _add(rows, file.name, item.object, "", "malformed", value, column=key)
    if export.skipped:
        # Files in the folder that are no Salesforce object this import reads, e.g. Note.csv.
        _add(rows, "-", "-", "", "skipped_files", len(export.skipped))
    counts = pl.DataFrame(rows, schema=COUNT_SCHEMA)
    _write(settings, SALESFORCE_SYNC_SOURCE, batches, counts)
    return counts


def _first_touch_contacts(export: SalesforceExport, records: list[dict]) -> list[dict]:
    """Drop Contacts that a Lead conversion created: their Lead is the first touch."""
    files = export.files
    if "Lead" not in files or "ConvertedContactId" not in files["Lead"].frame.columns:
        return records
    converted = set(files["Lead"].frame["ConvertedContactId"].drop_nulls().to_list())
    return [record for record in records if record.get("Id") not in converted]


def _add(rows: list[dict[str, object]], file: str, object_name: str, table: str, measure: str,
         count: int, field_name: str = "", column: str = "") -> None:
    rows.append({"file": file, "object": object_name, "table": table, "field": field_name,
                 "column": column, "measure": measure, "count": int(count)})


def _write(settings: Settings, sync_source: str,
           batches: Sequence[tuple[str, str, pl.DataFrame]], counts: pl.DataFrame) -> None:
    """Upsert each (table, object) batch with its sync_state row, in warehouse load order."""
    run_id = uuid.uuid4().hex
    order = {table: index for index, table in enumerate(RECORD_TABLES)}
    with Warehouse.open(settings.warehouse_path, write=True, holder="sgl import",
                        lock_timeout=settings.warehouse.lock_timeout_seconds) as warehouse:
        for table, object_name, frame in sorted(batches, key=lambda batch: order[batch[0]]):
            object_counts = _object_counts(counts, object_name)
            sync_state = SyncState(source=sync_source, object=object_name, watermark_at=None,
                                   watermark_id=None, run_id=run_id, counts=object_counts)
            written = warehouse.upsert(table, frame, sync_state)
            logger.info("import %s: %d rows of %s into %s (run %s)", sync_source, written,
                        object_name, table, run_id)


def _object_counts(counts: pl.DataFrame, object_name: str) -> dict[str, int]:
    """Flatten one object's counts into ``{"rows_read": n, "created_at.malformed": n}``."""
    rows = counts.filter(pl.col("object") == object_name)
    flat: dict[str, int] = {}
    for row in rows.iter_rows(named=True):
        label = row["field"] or row["column"]
        key = f"{label}.{row['measure']}" if label and row["measure"] not in (
            "rows_read", "rows_written") else row["measure"]
        flat[key] = flat.get(key, 0) + row["count"]
    return flat
