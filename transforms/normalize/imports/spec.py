"""The import mapping: which file columns feed which canonical fields, validated.

A mapping is TOML data with this shape. Every key is checked, and an unknown one is an error
that names it and lists the valid choices::

    name = "zoho_crm"              # sync_state source is "import:<name>"
    source = "import:zoho_crm"     # records' source (default: "import:<name>")
    timezone = "UTC"               # zone of timestamps written without one (optional)

    [[leads]]                      # one entry per canonical table and input file
    file = "Leads.csv"             # file-name pattern(s); without it, matched by columns
    object = "Lead"                # the records' object name
    id = "LEADID"                  # the column (or field spec) that becomes source_id
    missing = ["Select"]           # placeholders meaning "no value", in every column
    unique = false                 # true: rows sharing an id are one record (first wins)
    require = ["Record ID"]        # extra columns that identify the file (alternatives: a list)
    [leads.replace]                # value maps on input columns, before the fields
    Product = { GTXPro = "GTX Pro" }
    [leads.fields]                 # canonical field = column name or field spec
    created_at = { column = "Created Time", formats = ["%d %b, %Y %H:%M:%S"] }
    [leads.constants]              # canonical field = constant value
    currency = "USD"

    [lookups.role_names]           # a second file used as a key -> value table
    file = "UserRole.csv"
    key = "Id"
    value = "Name"
    where = { IsPrimary = ["true"] }   # optional row filter

    [[joins]]                      # rows of one table link to another table's source_id
    from = "opportunities.lead_id"
    to = "leads"
    fill = { converted_at = "created_at" }   # fill the linked row from its earliest link

A field spec is a table with ``column`` (a name or a list: per row, the first non-empty of
the columns present), or ``template`` (``"{col} {other}"``; ``{a|b}`` takes the first of
the columns present), or ``value`` (a constant), and
optionally ``formats`` and ``timezone`` (timestamps and dates), ``map`` and ``default``
(value maps; ``default`` replaces values the map lacks), ``missing`` (placeholders),
``optional`` (the column may be absent), ``lookup`` (a lookup's name), ``prefix`` (keep only
values starting with it, e.g. Salesforce id prefixes), ``divide`` (numbers) and ``when``
(a boolean field of the same entry: the value is kept only where that field is true, as
``closed_at`` only for closed deals).

How a value is parsed follows the canonical column's type: timestamps and dates with
``transforms.values``, amounts as exact decimals, booleans from yes/no words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sgl.i18n import _
from sgl.migrations import MIGRATIONS, RECORD_TABLES
from transforms.normalize.imports.errors import MappingError

# Columns every record table has that a mapping never sets itself.
MANAGED_COLUMNS = ("source", "source_id", "object", "raw", "loaded_at")
# Warehouse column types and how a file value is parsed into each.
TYPE_KINDS = {
    "TIMESTAMPTZ": "timestamp",
    "DATE": "date",
    "DECIMAL": "amount",
    "BOOLEAN": "boolean",
    "DOUBLE": "number",
    "INTEGER": "number",
    "VARCHAR": "text",
    "JSON": "text",
}
TOP_KEYS = ("name", "description", "source", "timezone", "lookups", "joins", *RECORD_TABLES)
TABLE_KEYS = ("file", "object", "id", "missing", "unique", "require", "replace", "fields",
              "constants")
FIELD_KEYS = ("column", "template", "value", "formats", "timezone", "map", "default", "missing",
              "optional", "lookup", "prefix", "divide", "when")
LOOKUP_KEYS = ("file", "key", "value", "where")
JOIN_KEYS = ("from", "to", "fill")
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
TEMPLATE_PART = re.compile(r"\{([^{}]+)\}")

Locator = Callable[[str], str]


@dataclass(frozen=True)
class FieldSpec:
    """How one canonical field (or ``source_id``) is made from a file row."""

    name: str
    kind: str
    columns: tuple[str, ...] = ()
    template: str | None = None
    value: Any = None
    formats: tuple[str, ...] = ()
    timezone: str | None = None
    value_map: Mapping[str, str] = field(default_factory=dict)
    default: str | None = None
    missing: tuple[str, ...] = ()
    optional: bool = False
    lookup: str | None = None
    prefix: str | None = None
    divide: float | None = None
    when: str | None = None

    @property
    def template_groups(self) -> tuple[tuple[str, ...], ...]:
        """Return the template's columns; ``{a|b}`` is a group of alternatives."""
        if not self.template:
            return ()
        return tuple(tuple(part.split("|")) for part in TEMPLATE_PART.findall(self.template))

    @property
    def template_columns(self) -> tuple[str, ...]:
        return tuple(name for group in self.template_groups for name in group)

    @property
    def is_constant(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class TableSpec:
    """One mapping entry: rows of one file (kind) into one canonical table."""

    key: str                   # "leads[0]", for messages
    table: str
    object: str
    files: tuple[str, ...]
    id: FieldSpec
    fields: tuple[FieldSpec, ...]
    require: tuple[tuple[str, ...], ...] = ()
    unique: bool = False
    missing: tuple[str, ...] = ()
    replace: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def required_columns(self) -> list[tuple[str, ...]]:
        """Return the column groups the file must have: one name of each group."""
        groups: list[tuple[str, ...]] = [*self.require]
        for spec in (self.id, *self.fields):
            if spec.is_constant or spec.optional:
                continue
            if spec.columns:
                groups.append(spec.columns)
            groups.extend(spec.template_groups)
        return groups

    def mentioned_columns(self) -> set[str]:
        """Return every column name the entry refers to, for matching files by columns."""
        names = {name for group in self.require for name in group}
        for spec in (self.id, *self.fields):
            names.update(spec.columns)
            names.update(spec.template_columns)
        return names


@dataclass(frozen=True)
class LookupSpec:
    """A key -> value table read from another file, e.g. Salesforce role ids to names."""

    name: str
    files: tuple[str, ...]
    key: str
    value: str
    where: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class JoinSpec:
    """Rows of ``table`` whose ``field`` names a ``to`` row's source_id."""

    table: str
    field: str
    to: str
    fill: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportMapping:
    name: str
    source: str
    tables: tuple[TableSpec, ...]
    lookups: tuple[LookupSpec, ...] = ()
    joins: tuple[JoinSpec, ...] = ()
    timezone: str | None = None
    description: str = ""

    @property
    def sync_source(self) -> str:
        """The ``sync_state`` source of import runs, kept apart from API pulls."""
        return f"import:{self.name}"


@cache
def canonical_columns() -> dict[str, dict[str, str]]:
    """Return ``{table: {column: kind}}`` of the record tables, read from the migrations."""
    tables: dict[str, dict[str, str]] = {}
    for migration in MIGRATIONS:
        for statement in migration.statements:
            found = re.search(r"CREATE TABLE (\w+) \((.*)\)", statement, re.S)
            if not found or found.group(1) not in RECORD_TABLES:
                continue
            columns = tables.setdefault(found.group(1), {})
            for line in found.group(2).splitlines():
                column = re.match(r"\s*(\w+)\s+([A-Z]+)", line)
                if column and column.group(2) in TYPE_KINDS:
                    columns[column.group(1)] = TYPE_KINDS[column.group(2)]
    return tables


def mappable_fields(table: str) -> list[str]:
    return [name for name in canonical_columns()[table] if name not in MANAGED_COLUMNS]


def header_key(name: str) -> str:
    """Fold a column header for matching: width (NFKC), case and all spaces are ignored."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).casefold()


# -- validation ---------------------------------------------------------------------------------


class _Problems:
    def __init__(self, locate: Locator) -> None:
        self.lines: list[str] = []
        self.locate = locate

    def add(self, key: str, message: str) -> None:
        self.lines.append(_("{place}: {key}: {message}").format(
            place=self.locate(key), key=key, message=message))

    def unknown_keys(self, key: str, data: Mapping[str, Any], valid: tuple[str, ...]) -> None:
        for name in data:
            if name not in valid:
                self.add(f"{key}.{name}" if key else name,
                         _("unknown key. Valid keys here: {keys}").format(keys=", ".join(valid)))


def parse_mapping(data: Mapping[str, Any], locate: Locator | None = None) -> ImportMapping:
    """Validate mapping data (parsed TOML); raise MappingError listing every problem.

    ``locate`` turns a key path such as ``leads[0].fields.created_at`` into the place to
    show, e.g. ``zoho.toml line 12``.
    """
    problems = _Problems(locate or (lambda key: _("mapping")))
    problems.unknown_keys("", data, TOP_KEYS)

    name = data.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        problems.add("name", _("expected a short name of lower-case letters, digits, _ or -, "
                               "such as \"zoho_crm\""))
        name = "invalid"
    source = data.get("source", f"import:{name}")
    if not isinstance(source, str) or not source.strip():
        problems.add("source", _("expected a text value such as \"import:zoho_crm\""))
        source = f"import:{name}"
    timezone = _zone(problems, "timezone", data.get("timezone"))

    lookups = _lookups(problems, data.get("lookups", {}))
    lookup_names = {lookup.name for lookup in lookups}
    tables: list[TableSpec] = []
    for table in RECORD_TABLES:
        entries = data.get(table)
        if entries is None:
            continue
        if isinstance(entries, Mapping):
            entries = [entries]
        if not isinstance(entries, list):
            problems.add(table, _("expected one or more [[{table}]] tables").format(table=table))
            continue
        for index, entry in enumerate(entries):
            spec = _table(problems, table, f"{table}[{index}]", entry, lookup_names)
            if spec is not None:
                tables.append(spec)
    if not tables and not problems.lines:
        problems.add("name", _("the mapping has no table entries. Add at least one, such as "
                               "[[leads]], for one of: {tables}").format(
            tables=", ".join(RECORD_TABLES)))

    joins = _joins(problems, data.get("joins", []), [table for table in RECORD_TABLES
                                                     if table in data])
    if problems.lines:
        raise MappingError(problems.lines)
    return ImportMapping(name=name, source=source, tables=tuple(tables), lookups=lookups,
                         joins=joins, timezone=timezone,
                         description=str(data.get("description", "")))


def _table(problems: _Problems, table: str, key: str, entry: Any,
           lookup_names: set[str]) -> TableSpec | None:
    if not isinstance(entry, Mapping):
        problems.add(key, _("expected a table of keys and values"))
        return None
    problems.unknown_keys(key, entry, TABLE_KEYS)
    before = len(problems.lines)

    files = _strings(problems, f"{key}.file", entry.get("file", []))
    object_name = entry.get("object")
    if not isinstance(object_name, str) or not object_name:
        problems.add(f"{key}.object", _("expected the records' object name, such as \"Lead\""))
        object_name = ""
    if "id" not in entry:
        problems.add(f"{key}.id", _("missing: name the column that identifies each row"))
        id_spec = FieldSpec(name="source_id", kind="text")
    else:
        id_spec = _field(problems, table, f"{key}.id", "source_id", entry["id"], lookup_names)

    fields: dict[str, FieldSpec] = {}
    valid = mappable_fields(table)
    for section in ("fields", "constants"):
        values = entry.get(section, {})
        if not isinstance(values, Mapping):
            problems.add(f"{key}.{section}", _("expected a table of keys and values"))
            continue
        for name, value in values.items():
            field_key = f"{key}.{section}.{name}"
            if name not in valid:
                problems.add(field_key, _("unknown field of {table}. Valid fields: {fields}")
                             .format(table=table, fields=", ".join(valid)))
                continue
            if name in fields:
                problems.add(field_key, _("set twice, in [fields] and [constants]; keep one"))
                continue
            if section == "constants":
                value = {"value": value}
            fields[name] = _field(problems, table, field_key, name, value, lookup_names)

    replace = entry.get("replace", {})
    if not isinstance(replace, Mapping) or not all(
            isinstance(values, Mapping) for values in replace.values()):
        problems.add(f"{key}.replace", _("expected tables of old = \"new\" values per column"))
        replace = {}
    require = tuple(tuple(_strings(problems, f"{key}.require", item))
                    for item in _list(entry.get("require", [])))
    unique = entry.get("unique", False)
    if not isinstance(unique, bool):
        problems.add(f"{key}.unique", _("expected true or false"))
        unique = False

    for item in fields.values():
        if item.when is not None and (item.when not in fields
                                      or fields[item.when].kind != "boolean"):
            booleans = [name for name, other in fields.items() if other.kind == "boolean"]
            problems.add(f"{key}.fields.{item.name}.when",
                         _("expected a true/false field of this entry: {fields}").format(
                             fields=", ".join(booleans) or "-"))
    if len(problems.lines) > before:
        return None
    return TableSpec(
        key=key, table=table, object=object_name, files=tuple(files), id=id_spec,
        fields=tuple(fields.values()), require=require, unique=unique,
        missing=tuple(_strings(problems, f"{key}.missing", entry.get("missing", []))),
        replace={column: {str(old): str(new) for old, new in values.items()}
                 for column, values in replace.items()},
    )


def _field(problems: _Problems, table: str, key: str, name: str, spec: Any,
           lookup_names: set[str]) -> FieldSpec:
    kind = "text" if name == "source_id" else canonical_columns()[table][name]
    if isinstance(spec, str | list):
        spec = {"column": spec}
    if not isinstance(spec, Mapping):
        problems.add(key, _("expected a column name or a table such as "
                            "{ column = \"Created Time\" }"))
        return FieldSpec(name=name, kind=kind)
    problems.unknown_keys(key, spec, FIELD_KEYS)

    sources = [option for option in ("column", "template", "value") if option in spec]
    if len(sources) != 1:
        problems.add(key, _("give exactly one of column, template or value"))
    columns = tuple(_strings(problems, f"{key}.column", spec.get("column", [])))
    template = spec.get("template")
    if template is not None and (not isinstance(template, str)
                                 or not TEMPLATE_PART.search(template)):
        problems.add(f"{key}.template", _("expected text with {column} placeholders, such as "
                                          "\"{opportunity_id} {product}\""))
        template = None
    value = spec.get("value")
    if value is not None and not isinstance(value, str | bool | int | float):
        problems.add(f"{key}.value", _("expected a text, number or true/false constant"))
        value = None

    formats = tuple(_strings(problems, f"{key}.formats", spec.get("formats", [])))
    if formats and kind not in ("timestamp", "date"):
        problems.add(f"{key}.formats", _("formats apply to timestamp and date fields only; "
                                         "{field} is a {kind} field").format(field=name, kind=kind))
    for text in formats:
        if "%" not in text:
            problems.add(f"{key}.formats", _("{format!r} is not a strftime format such as "
                                             "\"%d %b, %Y %H:%M:%S\"").format(format=text))
    value_map = spec.get("map", {})
    if not isinstance(value_map, Mapping):
        problems.add(f"{key}.map", _("expected a table of old = \"new\" values"))
        value_map = {}
    lookup = spec.get("lookup")
    if lookup is not None and lookup not in lookup_names:
        problems.add(f"{key}.lookup", _("unknown lookup {name!r}. Defined lookups: {names}")
                     .format(name=lookup, names=", ".join(sorted(lookup_names)) or "-"))
    divide = spec.get("divide")
    if divide is not None and (kind != "number" or not isinstance(divide, int | float)
                               or divide == 0):
        problems.add(f"{key}.divide", _("expected a non-zero number, on number fields only"))
        divide = None
    optional = spec.get("optional", False)
    if not isinstance(optional, bool):
        problems.add(f"{key}.optional", _("expected true or false"))
        optional = False

    return FieldSpec(
        name=name, kind=kind, columns=columns, template=template, value=value,
        formats=formats, timezone=_zone(problems, f"{key}.timezone", spec.get("timezone")),
        value_map={str(old): str(new) for old, new in value_map.items()},
        default=None if spec.get("default") is None else str(spec["default"]),
        missing=tuple(_strings(problems, f"{key}.missing", spec.get("missing", []))),
        optional=optional, lookup=lookup,
        prefix=None if spec.get("prefix") is None else str(spec["prefix"]),
        divide=None if divide is None else float(divide),
        when=None if spec.get("when") is None else str(spec["when"]),
    )


def _lookups(problems: _Problems, data: Any) -> tuple[LookupSpec, ...]:
    if not isinstance(data, Mapping):
        problems.add("lookups", _("expected [lookups.<name>] tables"))
        return ()
    lookups = []
    for name, entry in data.items():
        key = f"lookups.{name}"
        if not isinstance(entry, Mapping):
            problems.add(key, _("expected a table of keys and values"))
            continue
        problems.unknown_keys(key, entry, LOOKUP_KEYS)
        missing = [option for option in ("file", "key", "value") if option not in entry]
        if missing:
            problems.add(key, _("missing keys: {keys}").format(keys=", ".join(missing)))
            continue
        where = entry.get("where", {})
        if not isinstance(where, Mapping):
            problems.add(f"{key}.where", _("expected column = [\"value\", ...] pairs"))
            where = {}
        lookups.append(LookupSpec(
            name=name, files=tuple(_strings(problems, f"{key}.file", entry["file"])),
            key=str(entry["key"]), value=str(entry["value"]),
            where={column: tuple(str(item) for item in _list(values))
                   for column, values in where.items()},
        ))
    return tuple(lookups)


def _joins(problems: _Problems, data: Any, mapped: list[str]) -> tuple[JoinSpec, ...]:
    joins = []
    for index, entry in enumerate(_list(data)):
        key = f"joins[{index}]"
        if not isinstance(entry, Mapping):
            problems.add(key, _("expected a table of keys and values"))
            continue
        problems.unknown_keys(key, entry, JOIN_KEYS)
        table, _dot, field_name = str(entry.get("from", "")).partition(".")
        target = str(entry.get("to", ""))
        if table not in mapped or not field_name:
            problems.add(f"{key}.from", _("expected \"<table>.<field>\" naming a table this "
                                          "mapping fills: {tables}").format(
                tables=", ".join(sorted(mapped)) or "-"))
            continue
        if field_name not in mappable_fields(table):
            problems.add(f"{key}.from", _("unknown field of {table}. Valid fields: {fields}")
                         .format(table=table, fields=", ".join(mappable_fields(table))))
            continue
        if target not in mapped:
            problems.add(f"{key}.to", _("expected a table this mapping fills: {tables}")
                         .format(tables=", ".join(sorted(mapped))))
            continue
        fill = entry.get("fill", {})
        if not isinstance(fill, Mapping):
            problems.add(f"{key}.fill", _("expected target_field = \"source_field\" pairs"))
            continue
        for target_field, source_field in fill.items():
            _check_fill(problems, f"{key}.fill.{target_field}", table, target, target_field,
                        str(source_field))
        joins.append(JoinSpec(table=table, field=field_name, to=target,
                              fill={str(k): str(v) for k, v in fill.items()}))
    return tuple(joins)


def _check_fill(problems: _Problems, key: str, table: str, target: str, target_field: str,
                source_field: str) -> None:
    target_kinds = canonical_columns()[target]
    source_kinds = {**canonical_columns()[table], "source_id": "text"}
    if target_field not in mappable_fields(target):
        problems.add(key, _("unknown field of {table}. Valid fields: {fields}").format(
            table=target, fields=", ".join(mappable_fields(target))))
    elif source_field not in source_kinds:
        problems.add(key, _("unknown field of {table}. Valid fields: {fields}").format(
            table=table, fields=", ".join(["source_id", *mappable_fields(table)])))
    elif target_kinds[target_field] != source_kinds[source_field]:
        problems.add(key, _("{target} is a {target_kind} field but {source} is a "
                            "{source_kind} field").format(
            target=target_field, target_kind=target_kinds[target_field], source=source_field,
            source_kind=source_kinds[source_field]))


def _zone(problems: _Problems, key: str, value: Any) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        problems.add(key, _("expected an IANA time zone name such as UTC or Asia/Tokyo"))
        return None
    return str(value)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _strings(problems: _Problems, key: str, value: Any) -> list[str]:
    items = _list(value)
    if not all(isinstance(item, str) and item for item in items):
        problems.add(key, _("expected a text value or a list of text values"))
        return []
    return items
