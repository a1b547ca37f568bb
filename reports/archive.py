"""The report archive: every render's files under ``<archive_dir>/<YYYY-MM>/<locale>/<time>/``.

A folder holds the email body (``report.html``, ``report.txt``), the charts, the PDF, the KPI
figures (``kpis.parquet``, ``kpis.csv``), the SGL detail (``detail.parquet``, ``detail.csv``,
the CSV attached to the email) and ``manifest.json`` with the subject, attachment names and a
SHA-256 per file. ``sgl report resend`` reads a folder back and sends those bytes unchanged.

CSV files are UTF-8 with a byte-order mark, because Excel opens BOM-less UTF-8 as the
system code page (Shift_JIS in Japan). Text cells that start with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return get a leading apostrophe, so a spreadsheet shows them as text
instead of running them as formulas (CSV injection).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from reports.email import ReportFiles
from reports.errors import ArchiveError
from reports.labels import Labels
from reports.model import Figure, ReportModel
from reports.rendering import ChartImage
from sgl.i18n import _

logger = logging.getLogger(__name__)

BOM = "\ufeff"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MANIFEST = "manifest.json"
KPI_COLUMNS = {"section": pl.Utf8, "item": pl.Utf8, "detail": pl.Utf8, "measure": pl.Utf8,
               "value": pl.Utf8, "numerator": pl.Utf8, "denominator": pl.Utf8,
               "maturing": pl.Boolean}
SECTIONS = ("headlines", "conversion", "channels", "reps", "costs", "deals", "pipeline",
            "velocity", "best_actions", "lost_reasons", "quality_notes")


@dataclass(frozen=True)
class ArchivedReport:
    folder: Path
    files: ReportFiles
    checksum: str  # over the files' SHA-256s, in name order
    figures_checksum: str
    file_hashes: Mapping[str, str]

    @property
    def paths(self) -> dict[str, Path]:
        return {name: self.folder / name for name in self.file_hashes}


def report_folder(archive_dir: Path, period: date, locale: str, rendered_at: datetime) -> Path:
    return archive_dir / f"{period:%Y-%m}" / locale / f"{rendered_at:%Y%m%dT%H%M%S%fZ}"


def write_archive(folder: Path, files: ReportFiles, model: ReportModel, locale: str,
                  rendered_at: datetime) -> ArchivedReport:
    """Write a rendered report and its data into a new folder; return what was written."""
    folder.mkdir(parents=True, exist_ok=False)
    kpis = kpi_frame(model)
    detail = detail_frame(model, locale)
    contents: dict[str, bytes] = {
        "report.html": files.html,
        "report.txt": files.text,
        "report.pdf": files.pdf,
        "detail.csv": files.csv,
        "kpis.csv": csv_bytes(kpis),
        "kpis.parquet": _parquet_bytes(kpis),
        "detail.parquet": _parquet_bytes(detail),
    }
    for chart in files.charts:
        contents[_chart_file(chart)] = chart.png
    for name, data in contents.items():
        (folder / name).write_bytes(data)

    hashes = {name: hashlib.sha256(data).hexdigest() for name, data in sorted(contents.items())}
    checksum = _combined(hashes)
    figures = figures_checksum(model)
    manifest = {
        "period": f"{model.period:%Y-%m}",
        "locale": locale,
        "as_of": model.as_of.isoformat(),
        "rendered_at": rendered_at.isoformat(),
        "subject": files.subject,
        "pdf_name": files.pdf_name,
        "csv_name": files.csv_name,
        "charts": [{"name": c.name, "file": _chart_file(c), "alt": c.alt, "width": c.width,
                    "height": c.height} for c in files.charts],
        "files": hashes,
        "checksum": checksum,
        "figures_checksum": figures,
        "restated": model.restated,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                   encoding="utf-8")
    logger.info("report archived in %s (%d files)", folder, len(contents))
    return ArchivedReport(folder, files, checksum, figures, hashes)


def read_archive(folder: Path) -> ArchivedReport:
    """Read an archived report back, checking every file against the manifest."""
    manifest_path = folder / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArchiveError(_("No archived report in {folder}: {manifest} is missing. Render "
                             "the month again with `sgl report --month`.").format(
            folder=folder, manifest=MANIFEST)) from None

    data: dict[str, bytes] = {}
    for name, expected in manifest["files"].items():
        try:
            content = (folder / name).read_bytes()
        except FileNotFoundError:
            raise ArchiveError(_("Archived file {path} is missing. Render the month again "
                                 "with `sgl report --month`.").format(path=folder / name)) from None
        if hashlib.sha256(content).hexdigest() != expected:
            raise ArchiveError(_("Archived file {path} was changed after it was written "
                                 "(SHA-256 mismatch). Render the month again with "
                                 "`sgl report --month`.").format(path=folder / name))
        data[name] = content

    charts = tuple(ChartImage(c["name"], data[c["file"]], c["alt"], c["width"], c["height"])
                   for c in manifest["charts"])
    files = ReportFiles(subject=manifest["subject"], text=data["report.txt"],
                        html=data["report.html"], charts=charts, pdf=data["report.pdf"],
                        pdf_name=manifest["pdf_name"], csv=data["detail.csv"],
                        csv_name=manifest["csv_name"])
    return ArchivedReport(folder, files, manifest["checksum"], manifest["figures_checksum"],
                          manifest["files"])


# -- KPI data -------------------------------------------------------------------------------

def figures_checksum(model: ReportModel) -> str:
    """Hash every figure of the model, so a later render can tell whether figures changed.

    The restated marks are left out because they are the result of this comparison.
    """
    plain = dataclasses.asdict(dataclasses.replace(model, restated=False, restated_from=None))
    text = json.dumps(plain, sort_keys=True, default=_json_value, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def kpi_frame(model: ReportModel) -> pl.DataFrame:
    """Flatten the model's sections into one tidy frame: one row per figure.

    ``item`` is a row's first text field (metric, origin, channel or rep), ``detail`` its
    other text fields joined with " / ". Values are decimal strings, exact as computed.
    """
    rows: list[dict[str, Any]] = []
    for section in SECTIONS:
        for entry in getattr(model, section):
            rows.extend(_figure_rows(section, entry))
    return pl.DataFrame(rows, schema=KPI_COLUMNS)


def detail_frame(model: ReportModel, locale: str) -> pl.DataFrame:
    """The SGL detail with column names and channel names in the report's language."""
    labels = Labels(locale)
    columns = model.detail.columns
    records = []
    for row in model.detail.rows:
        record = {}
        for column, value in zip(columns, row, strict=True):
            if column == "channel" and value is not None:
                value = labels.channel(str(value))
            record[labels.detail_column(column)] = _cell_text(value)
        records.append(record)
    schema = {labels.detail_column(column): pl.Utf8 for column in columns}
    return pl.DataFrame(records, schema=schema)


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """Write a frame as Excel-safe CSV: UTF-8 with BOM, CRLF rows, formulas neutralized."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralize(name) for name in frame.columns])
    for row in frame.iter_rows():
        writer.writerow([neutralize(_cell_text(value)) for value in row])
    return (BOM + buffer.getvalue()).encode("utf-8")


def neutralize(cell: str) -> str:
    """Prefix a cell that a spreadsheet would read as a formula with an apostrophe."""
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


def _figure_rows(section: str, entry: Any) -> Iterable[dict[str, Any]]:
    texts = [(f.name, getattr(entry, f.name)) for f in dataclasses.fields(entry)
             if isinstance(getattr(entry, f.name), str)]
    item = texts[0][1] if texts else ""
    detail = " / ".join(value for _, value in texts[1:] if value)
    for field in dataclasses.fields(entry):
        value = getattr(entry, field.name)
        if isinstance(value, Figure):
            yield {"section": section, "item": item, "detail": detail, "measure": field.name,
                   "value": _cell_text(value.value), "numerator": _cell_text(value.numerator),
                   "denominator": _cell_text(value.denominator), "maturing": value.maturing}
        elif isinstance(value, int | Decimal) and not isinstance(value, bool):
            yield {"section": section, "item": item, "detail": detail, "measure": field.name,
                   "value": _cell_text(value), "numerator": None, "denominator": None,
                   "maturing": False}


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        # Plain notation: 1E+6 would confuse a spreadsheet and a reader alike.
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _parquet_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def _chart_file(chart: ChartImage) -> str:
    return f"chart-{chart.name}.png"


def _combined(hashes: Mapping[str, str]) -> str:
    joined = "".join(f"{name}:{digest}\n" for name, digest in sorted(hashes.items()))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def _json_value(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot hash a {type(value).__name__} in the report model")
