"""Read a folder of Salesforce Data Export or Data Loader CSVs as API-shaped records.

The files carry API field names as headers (``Id``, ``CreatedDate``, ``LeadSource``), so each
row becomes the record the REST API would return, with string values and empty cells as
null. The API pull's normalizer then turns them into canonical rows. Users get
their role and profile names from ``UserRole.csv`` and ``Profile.csv``, nested as the API
nests ``UserRole.Name`` and ``Profile.Name``.

Files other than those in ``EXPORT_FILES`` (a Data Export holds dozens) are skipped and
listed. Names are matched ignoring case; Data Loader's default ``extract.csv`` must be renamed
after its object first.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from connectors.files.errors import FileRejectedError
from connectors.files.reading import CsvFile, read_csv
from sgl.i18n import _

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportFile:
    """One object's file in an export and the columns it cannot do without."""

    object: str
    required: tuple[str, ...]


# In load order: users before the records that name them, opportunities before the
# contact roles that complete them.
EXPORT_FILES: tuple[ExportFile, ...] = (
    ExportFile("User", ("Id",)),
    ExportFile("Account", ("Id",)),
    ExportFile("Lead", ("Id", "CreatedDate")),
    ExportFile("Contact", ("Id", "CreatedDate")),
    ExportFile("Opportunity", ("Id", "CreatedDate")),
    ExportFile("OpportunityContactRole", ("Id", "OpportunityId", "ContactId")),
    ExportFile("Task", ("Id",)),
    ExportFile("Event", ("Id",)),
    ExportFile("LeadHistory", ("Id", "LeadId", "Field", "CreatedDate")),
    ExportFile("OpportunityFieldHistory", ("Id", "OpportunityId", "Field", "CreatedDate")),
)
# Files read only to complete the users: object -> (id column, name column).
NAME_FILES: dict[str, tuple[str, str]] = {"UserRole": ("Id", "Name"), "Profile": ("Id", "Name")}


@dataclass
class SalesforceExport:
    """The export's files by object, and the files that were not read."""

    folder: Path
    files: dict[str, CsvFile] = field(default_factory=dict)
    skipped: list[Path] = field(default_factory=list)

    def records(self, object_name: str) -> list[dict[str, Any]]:
        """Return the object's rows as API-shaped records with string values."""
        frame = self.files[object_name].frame
        frame = frame.with_columns(pl.when(pl.col(name).str.strip_chars() == "").then(None)
                                   .otherwise(pl.col(name)).alias(name) for name in frame.columns)
        records = frame.to_dicts()
        if object_name == "User":
            self._nest_names(records)
        return records

    def _nest_names(self, users: list[dict[str, Any]]) -> None:
        for parent, reference in (("UserRole", "UserRoleId"), ("Profile", "ProfileId")):
            names = self._names(parent)
            for user in users:
                name = names.get(user.get(reference) or "")
                user[parent] = {"Name": name} if name is not None else None

    def _names(self, object_name: str) -> Mapping[str, str]:
        source = self.files.get(object_name)
        if source is None:
            return {}
        key, value = NAME_FILES[object_name]
        pairs = source.frame.select(key, value).drop_nulls(key)
        return dict(zip(pairs[key].to_list(), pairs[value].to_list(), strict=True))


def read_salesforce_export(folder: Path, encoding: str | None = None) -> SalesforceExport:
    """Read the export's known files; raise FileRejectedError naming missing columns."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileRejectedError(
            _("{folder}: not a folder. Pass the folder of the unzipped Data Export.").format(
                folder=folder))
    known_files = {f"{item.object}.csv".casefold(): item for item in EXPORT_FILES}
    known_files.update({f"{name}.csv".casefold(): ExportFile(name, columns)
                   for name, columns in NAME_FILES.items()})

    export = SalesforceExport(folder=folder)
    problems = []
    for path in sorted(folder.iterdir()):
        item = known_files.get(path.name.casefold())
        if item is None or not path.is_file():
            export.skipped.append(path)
            continue
        csv_file = read_csv(path, encoding)
        missing = [name for name in item.required if name not in csv_file.frame.columns]
        if missing:
            problems.append(_("{file}: cannot be imported as {object}: missing columns "
                              "{missing}. Found columns: {found}").format(
                file=path, object=item.object, missing=", ".join(missing),
                found=", ".join(csv_file.frame.columns[:40]) or "-"))
            continue
        export.files[item.object] = csv_file
    if problems:
        raise FileRejectedError("\n".join(problems))
    if not any(item.object in export.files for item in EXPORT_FILES):
        raise FileRejectedError(
            _("{folder}: no Salesforce export files found. Expected some of: {names}").format(
                folder=folder, names=", ".join(f"{item.object}.csv" for item in EXPORT_FILES)))
    logger.info("Salesforce export %s: %d files read, %d skipped", folder, len(export.files),
                len(export.skipped))
    return export
