"""Apply an import mapping to string frames read from files: canonical frames plus counts.

Pure Polars: no file or warehouse access. A value problem is counted, never raised (only a
file that lacks the columns its entry needs raises UnmappableFileError):

- ``missing``: the cell is empty or a placeholder (such as X Education's "Select");
- ``malformed``: the cell has a value that could not be parsed or looked up; the row keeps
  it in ``raw`` and the field stays null;
- ``replaced``: a value map (``replace`` on a column, ``map``/``default`` on a field)
  changed the value;
- ``mapped``: the field got a value.

Counts are rows of ``file, object, table, field, column, measure, count``, so the CLI can
print them and ``sync_state`` can keep them.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

import polars as pl

from sgl.i18n import _
from sgl.migrations import RECORD_TABLES
from transforms import values
from transforms.normalize.imports.errors import UnmappableFileError
from transforms.normalize.imports.spec import (
    TEMPLATE_PART,
    FieldSpec,
    ImportMapping,
    JoinSpec,
    LookupSpec,
    TableSpec,
    canonical_columns,
    header_key,
)

logger = logging.getLogger(__name__)

KIND_DTYPES: dict[str, pl.DataType] = {
    "text": pl.Utf8(),
    "timestamp": pl.Datetime("us", "UTC"),
    "date": pl.Date(),
    "amount": values.AMOUNT_DTYPE,
    "boolean": pl.Boolean(),
    "number": pl.Float64(),
}
COUNT_SCHEMA = {"file": pl.Utf8, "object": pl.Utf8, "table": pl.Utf8, "field": pl.Utf8,
                "column": pl.Utf8, "measure": pl.Utf8, "count": pl.Int64}
RAW_COLUMN = "__raw"
# How many found column names an error message lists before cutting the list short.
LISTED_COLUMNS = 40


@dataclass
class Assignment:
    """The mapping entries and lookups each file feeds, and the files that fed nothing."""

    entries: dict[str, list[TableSpec]] = field(default_factory=dict)
    lookups: dict[str, str] = field(default_factory=dict)  # lookup name -> file
    skipped: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    """Canonical frames by table (in load order) and the counts of the run."""

    frames: dict[str, pl.DataFrame]
    counts: pl.DataFrame
    assignment: Assignment


class _Counts:
    def __init__(self) -> None:
        self.rows: list[dict[str, object]] = []

    def add(self, file: str, object_name: str, table: str, measure: str, count: int,
            field_name: str = "", column: str = "") -> None:
        self.rows.append({"file": file, "object": object_name, "table": table,
                          "field": field_name, "column": column, "measure": measure,
                          "count": int(count)})

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.rows, schema=COUNT_SCHEMA)


# -- which file feeds what ----------------------------------------------------------------------


def assign_files(mapping: ImportMapping, headers: Mapping[str, Sequence[str]],
                 object_name: str | None = None, *, skip_unmatched: bool = False) -> Assignment:
    """Match files to mapping entries by file-name pattern, else by their columns.

    Raises UnmappableFileError naming, per file, the missing columns and the columns found.
    With ``skip_unmatched``, a file no entry or lookup names is listed as skipped instead.
    """
    assignment = Assignment()
    problems: list[str] = []
    candidates = [spec for spec in mapping.tables
                  if object_name is None or spec.object.casefold() == object_name.casefold()]
    if object_name is not None and not candidates:
        raise UnmappableFileError([_("Unknown object {object!r}. Valid objects: {objects}")
                                   .format(object=object_name, objects=", ".join(
                                       sorted({spec.object for spec in mapping.tables})))])

    for file, columns in headers.items():
        name = PurePath(file).name
        present = {header_key(column) for column in columns}
        for lookup in mapping.lookups:
            if _name_matches(name, lookup.files):
                assignment.lookups[lookup.name] = file

        by_name = [spec for spec in candidates if spec.files and _name_matches(name, spec.files)]
        if by_name:
            missing = {spec.object: _missing(spec, present) for spec in by_name}
            gaps = {object_: groups for object_, groups in missing.items() if groups}
            if gaps:
                problems.extend(_missing_message(file, object_, groups, columns)
                                for object_, groups in gaps.items())
            else:
                assignment.entries[file] = by_name
            continue

        detected = _detect(file, [spec for spec in candidates if not spec.files], present,
                           columns, problems)
        if detected:
            assignment.entries[file] = detected
        elif detected is None and file not in assignment.lookups.values():
            if skip_unmatched:
                assignment.skipped.append(file)
            else:
                patterns = sorted({pattern for spec in candidates for pattern in spec.files})
                problems.append(_("{file}: no entry of this mapping reads a file of this name. "
                                  "Expected names: {names}").format(
                    file=file, names=", ".join(patterns) or "-"))
    if problems:
        raise UnmappableFileError(problems)
    return assignment


def _detect(file: str, specs: list[TableSpec], present: set[str], columns: Sequence[str],
            problems: list[str]) -> list[TableSpec] | None:
    """Pick the object whose entries fit the file's columns best; None when none applies."""
    if not specs:
        return None
    groups: dict[str, list[TableSpec]] = {}
    for spec in specs:
        groups.setdefault(spec.object, []).append(spec)

    scored = []
    for object_name, members in groups.items():
        missing = [gap for spec in members for gap in _missing(spec, present)]
        mentioned = {header_key(name) for spec in members for name in spec.mentioned_columns()}
        scored.append((object_name, members, missing, len(mentioned & present)))

    fitting = [item for item in scored if not item[2]]
    if not fitting:
        closest = min(scored, key=lambda item: (len(item[2]), -item[3]))
        problems.append(_missing_message(file, closest[0], closest[2], columns))
        return []
    best = max(item[3] for item in fitting)
    winners = [item for item in fitting if item[3] == best]
    if len(winners) > 1:
        problems.append(_("{file}: the columns fit several objects ({objects}). Name one with "
                          "--object.").format(file=file, objects=", ".join(
                              item[0] for item in winners)))
        return []
    return winners[0][1]


def _missing(spec: TableSpec, present: set[str]) -> list[tuple[str, ...]]:
    return [group for group in spec.required_columns()
            if not any(header_key(name) in present for name in group)]


def _missing_message(file: str, object_name: str, groups: list[tuple[str, ...]],
                     columns: Sequence[str]) -> str:
    missing = ", ".join(" / ".join(repr(name) for name in group) for group in groups)
    found = ", ".join(repr(name) for name in columns[:LISTED_COLUMNS])
    if len(columns) > LISTED_COLUMNS:
        found += ", …"
    return _("{file}: cannot be imported as {object}: missing columns {missing}. Found "
             "columns: {found}").format(file=file, object=object_name, missing=missing,
                                        found=found or "-")


def _name_matches(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name.casefold(), pattern.casefold()) for pattern in patterns)


# -- rows to canonical frames -------------------------------------------------------------------


def apply_mapping(mapping: ImportMapping, frames: Mapping[str, pl.DataFrame], *,
                  object_name: str | None = None, skip_unmatched: bool = False,
                  naive_zone: str = values.UTC) -> ImportResult:
    """Normalize the files' frames with ``mapping``; ``naive_zone`` reads zone-less times."""
    assignment = assign_files(mapping, {file: frame.columns for file, frame in frames.items()},
                              object_name, skip_unmatched=skip_unmatched)
    counts = _Counts()
    zone = mapping.timezone or naive_zone
    lookups = {lookup.name: _lookup_table(lookup, frames.get(assignment.lookups.get(
        lookup.name, "")), counts) for lookup in mapping.lookups}

    parts: dict[tuple[str, str], list[tuple[TableSpec, pl.DataFrame]]] = {}
    for file, specs in assignment.entries.items():
        for spec in specs:
            frame = normalize_entry(spec, frames[file], file, source=mapping.source,
                                    naive_zone=zone, lookups=lookups, counts=counts)
            parts.setdefault((spec.table, spec.object), []).append((spec, frame))

    tables: dict[str, list[pl.DataFrame]] = {}
    for (table, object_name_), pieces in parts.items():
        combined = pl.concat([frame for _spec, frame in pieces], how="diagonal_relaxed")
        keep = "first" if all(spec.unique for spec, _frame in pieces) else "last"
        combined = combined.unique(subset="source_id", keep=keep, maintain_order=True)
        files = ", ".join(sorted({spec.files[0] if spec.files else "" for spec, _ in pieces}))
        counts.add(files, object_name_, table, "rows_written", combined.height)
        tables.setdefault(table, []).append(combined)

    merged = {table: pl.concat(tables[table], how="diagonal_relaxed")
              for table in RECORD_TABLES if table in tables}
    for join in mapping.joins:
        if join.table in merged and join.to in merged:
            merged[join.to] = _apply_join(join, merged[join.table], merged[join.to], counts)
    logger.info("import %s: %d files, %d tables", mapping.name, len(assignment.entries),
                len(merged))
    return ImportResult(frames=merged, counts=counts.frame(), assignment=assignment)


def normalize_entry(spec: TableSpec, frame: pl.DataFrame, file: str, *, source: str,
                    naive_zone: str, lookups: Mapping[str, Mapping[str, str]],
                    counts: _Counts) -> pl.DataFrame:
    """Turn one file's rows into rows of ``spec.table``; counts go to ``counts``."""
    def count(measure: str, value: int, field_name: str = "", column: str = "") -> None:
        counts.add(file, spec.object, spec.table, measure, value, field_name, column)

    resolved = {header_key(name): name for name in frame.columns}
    used = {item.name: _present_columns(item, resolved) for item in (spec.id, *spec.fields)}
    count("rows_read", frame.height, "source_id", ", ".join(used["source_id"]))
    cleaned = _clean(spec, frame, resolved, count)

    # A field whose columns the file lacks (an optional one) is left out of the rows, so
    # loading them never clears a value that an earlier import or pull stored.
    specs = [item for item in (spec.id, *spec.fields)
             if item.is_constant or used[item.name] or item.name == "source_id"]
    for item in spec.fields:
        if item not in specs:
            count("absent", frame.height, item.name)
    texts = {item.name: _text(item, resolved) for item in specs}
    remapped = {item.name: _value_map(item, texts[item.name]) for item in specs}
    results = {item.name: _parse(item, _looked_up(item, remapped[item.name], lookups),
                                 naive_zone) for item in specs}
    for item in specs:
        if item.when is not None and item.when in results:
            results[item.name] = pl.when(results[item.when]).then(results[item.name])
    measures = cleaned.select(
        *[texts[item.name].is_null().sum().alias(f"missing:{item.name}") for item in specs],
        *[results[item.name].is_not_null().sum().alias(f"mapped:{item.name}") for item in specs],
        *[(texts[item.name].is_not_null() & results[item.name].is_null()).sum()
          .alias(f"malformed:{item.name}") for item in specs],
        *[remapped[item.name].ne_missing(texts[item.name]).sum()
          .alias(f"replaced:{item.name}") for item in specs],
    ).row(0, named=True)
    by_name = {item.name: item for item in specs}
    for key, value in measures.items():
        measure, name = key.split(":", 1)
        if name == "source_id" and measure == "missing":
            measure = "missing_id"
        if by_name[name].is_constant:
            # A constant is one literal, so the sums above count it once.
            value = frame.height if measure == "mapped" else 0
        if value or measure == "mapped":
            count(measure, value, name, ", ".join(used[name]))

    normalized = cleaned.select(
        pl.lit(source).alias("source"),
        results["source_id"].alias("source_id"),
        pl.lit(spec.object).alias("object"),
        pl.col(RAW_COLUMN).alias("raw"),
        *[results[item.name].cast(KIND_DTYPES[item.kind]).alias(item.name)
          for item in specs if item.name != "source_id"],
    ).filter(pl.col("source_id").is_not_null())

    keep = "first" if spec.unique else "last"
    unique = normalized.unique(subset="source_id", keep=keep, maintain_order=True)
    if not spec.unique and unique.height < normalized.height:
        count("duplicate_ids", normalized.height - unique.height, "source_id")
    return unique


def _present_columns(item: FieldSpec, resolved: Mapping[str, str]) -> list[str]:
    """Return the file's headers that the field reads."""
    return [resolved[header_key(name)] for name in (*item.columns, *item.template_columns)
            if header_key(name) in resolved]


def _clean(spec: TableSpec, frame: pl.DataFrame, resolved: Mapping[str, str],
           count: Callable[..., None]) -> pl.DataFrame:
    """Keep the row as read in ``raw``; blank and placeholder cells become null."""
    placeholders = list(spec.missing)
    replace = {resolved[header_key(column)]: table for column, table in spec.replace.items()
               if header_key(column) in resolved}
    if placeholders:
        found = frame.select(pl.col(name).str.strip_chars().is_in(placeholders).sum()
                             for name in frame.columns).row(0, named=True)
        for column, value in found.items():
            if value:
                count("placeholders", value, column=column)
    if replace:
        found = frame.select(pl.col(column).is_in(list(table)).sum()
                             for column, table in replace.items()).row(0, named=True)
        for column, value in found.items():
            if value:
                count("replaced", value, column=column)

    cleaned = [
        values.blank_to_null(pl.col(name).str.strip_chars(), placeholders)
        .replace(replace.get(name, {})).alias(name)
        for name in frame.columns
    ]
    # Rows derived from a column (unique entries, such as users from an owner column) keep
    # only the columns they use, not the whole row they were found in.
    raw_columns = frame.columns
    if spec.unique:
        mentioned = {header_key(name) for name in spec.mentioned_columns()}
        raw_columns = [name for name in frame.columns if header_key(name) in mentioned]
    raw = pl.struct(raw_columns).struct.json_encode().alias(RAW_COLUMN)
    return frame.select(raw, *cleaned)


def _text(item: FieldSpec, resolved: Mapping[str, str]) -> pl.Expr:
    """Return the field's text before value maps and parsing; null where the cell is empty."""
    if item.is_constant:
        constant = str(item.value).lower() if isinstance(item.value, bool) else str(item.value)
        text = pl.lit(constant, pl.Utf8)
    elif item.template is not None:
        text = _template(item.template, resolved)
    else:
        present = [resolved[header_key(name)] for name in item.columns
                   if header_key(name) in resolved]
        text = pl.coalesce([pl.col(name) for name in present]) if present else pl.lit(
            None, pl.Utf8)
    if item.missing:
        text = pl.when(text.is_in(list(item.missing))).then(None).otherwise(text)
    if item.prefix is not None:
        text = pl.when(text.str.starts_with(item.prefix)).then(text).otherwise(None)
    return text


def _template(template: str, resolved: Mapping[str, str]) -> pl.Expr:
    parts: list[pl.Expr] = []
    names = []
    position = 0
    for found in TEMPLATE_PART.finditer(template):
        if found.start() > position:
            parts.append(pl.lit(template[position:found.start()]))
        # "{Last Name|姓}" takes the first of the named columns that the file has.
        column = next((resolved[header_key(name)] for name in found.group(1).split("|")
                       if header_key(name) in resolved), None)
        expression = pl.col(column) if column else pl.lit(None, pl.Utf8)
        names.append(expression)
        parts.append(expression.fill_null(""))
        position = found.end()
    if position < len(template):
        parts.append(pl.lit(template[position:]))
    joined = pl.concat_str(parts).str.strip_chars()
    any_value = pl.any_horizontal([name.is_not_null() for name in names])
    return pl.when(any_value).then(joined).otherwise(None)


def _value_map(item: FieldSpec, text: pl.Expr) -> pl.Expr:
    if not item.value_map and item.default is None:
        return text
    fallback = pl.lit(item.default, pl.Utf8) if item.default is not None else text
    return (pl.when(text.is_in(list(item.value_map)))
            .then(text.replace(dict(item.value_map)))
            .when(text.is_not_null()).then(fallback)
            .otherwise(None))


def _looked_up(item: FieldSpec, text: pl.Expr, lookups: Mapping[str, Mapping[str, str]]
               ) -> pl.Expr:
    if item.lookup is None:
        return text
    table = lookups.get(item.lookup, {})
    return text.replace_strict(dict(table), default=None, return_dtype=pl.Utf8)


def _parse(item: FieldSpec, text: pl.Expr, naive_zone: str) -> pl.Expr:
    if item.kind == "timestamp":
        return values.timestamp(text, naive_zone=item.timezone or naive_zone,
                                extra_formats=item.formats)
    if item.kind == "date":
        return values.date(text, extra_formats=item.formats)
    if item.kind == "amount":
        return values.amount(text)
    if item.kind == "boolean":
        return values.boolean(text)
    if item.kind == "number":
        number = text.str.normalize("NFKC").str.replace_all(",", "").cast(pl.Float64,
                                                                          strict=False)
        return number / item.divide if item.divide else number
    return text


def _lookup_table(lookup: LookupSpec, frame: pl.DataFrame | None,
                  counts: _Counts) -> dict[str, str]:
    if frame is None:
        return {}
    resolved = {header_key(name): name for name in frame.columns}
    key, value = resolved.get(header_key(lookup.key)), resolved.get(header_key(lookup.value))
    counts.add(lookup.files[0], f"lookup:{lookup.name}", "", "rows_read", frame.height)
    if key is None or value is None:
        return {}
    for column, accepted in lookup.where.items():
        name = resolved.get(header_key(column))
        frame = frame.filter(pl.col(name).is_in(list(accepted))) if name else frame.clear()
    pairs = frame.select(pl.col(key), pl.col(value)).drop_nulls().unique(subset=key, keep="first")
    return dict(zip(pairs[key].to_list(), pairs[value].to_list(), strict=True))


# -- links between tables -----------------------------------------------------------------------


def _with_columns(table: str, frame: pl.DataFrame, names: Iterable[str]) -> pl.DataFrame:
    """Add the canonical columns ``names`` as nulls where ``frame`` lacks them."""
    kinds = canonical_columns()[table]
    return frame.with_columns(pl.lit(None, KIND_DTYPES[kinds[name]]).alias(name)
                              for name in names if name not in frame.columns)


def _apply_join(join: JoinSpec, linking: pl.DataFrame, target: pl.DataFrame,
                counts: _Counts) -> pl.DataFrame:
    """Count links from ``linking`` to ``target`` and fill ``target`` from the earliest link."""
    def count(measure: str, value: int) -> None:
        counts.add("", "", join.table, measure, value, join.field, join.to)

    output_columns = [*target.columns, *(name for name in join.fill if name not in target.columns)]
    dated = all("created_at" in canonical_columns()[table] for table in (join.table, join.to))
    order = ["source_id"]
    if dated:
        linking = _with_columns(join.table, linking, ["created_at"])
        target = _with_columns(join.to, target, ["created_at"])
        order = ["created_at", "source_id"]
    target = _with_columns(join.to, target, join.fill)

    links = linking.filter(pl.col(join.field).is_not_null())
    targets = target.select("source_id", *([pl.col("created_at").alias("__target_created")]
                                           if dated else []))
    joined = links.join(targets, left_on=join.field, right_on="source_id", how="inner",
                        suffix="__target")
    count("linked", joined.height)
    count("unlinked", links.height - joined.height)
    if dated:
        count("created_before_link", joined.filter(
            pl.col("created_at") < pl.col("__target_created")).height)

    if not join.fill:
        return target.select(output_columns)
    earliest = (
        links.sort(order, nulls_last=True)
        .group_by(join.field, maintain_order=True).first()
        .select(pl.col(join.field).alias("__link_key"),
                *[pl.col(source).alias(f"__fill_{name}") for name, source in join.fill.items()])
    )
    filled = target.join(earliest, left_on="source_id", right_on="__link_key", how="left")
    for name in join.fill:
        counts.add("", "", join.to, "filled", filled.filter(
            pl.col(name).is_null() & pl.col(f"__fill_{name}").is_not_null()).height, name,
            f"{join.table}.{join.fill[name]}")
    return filled.with_columns(
        pl.coalesce(pl.col(name), pl.col(f"__fill_{name}")).alias(name) for name in join.fill
    ).select(output_columns)
