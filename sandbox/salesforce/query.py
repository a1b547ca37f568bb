"""SOQL execution: a parsed query is checked against the schema and translated to SQL.

A query runs in two steps, as a Salesforce query locator does: :meth:`CompiledQuery.row_ids`
fixes the matching rows and their order once, and :meth:`CompiledQuery.records` reads any
slice of them as REST records or Bulk API CSV rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.salesforce.schema import FieldInfo, ObjectInfo, Schema
from sandbox.salesforce.soql import (
    BoolOp,
    Comparison,
    Condition,
    FieldPath,
    InList,
    Literal,
    Not,
    Query,
    SoqlError,
    error_message,
)
from sandbox.salesforce.store import Store, quote
from sandbox.salesforce.values import canonical_datetime, from_store, parse_datetime, to_csv

_CUSTOM_HINT = (" If you are attempting to use a custom field, be sure to append the '__c' "
                "after the custom field name. Please reference your WSDL or the describe call "
                "for the appropriate names.")
_RELATIONSHIP_HINT = (" If you are attempting to use a custom relationship, be sure to append "
                      "the '__r' after the custom relationship name. Please reference your WSDL "
                      "or the describe call for the appropriate names.")
_OBJECT_HINT = (" If you are attempting to use a custom object, be sure to append the '__c' "
                "after the entity name. Please reference your WSDL or the describe call for "
                "the appropriate names.")
_LITERAL_TYPES = {"boolean": "boolean", "datetime": "dateTime", "date": "date", "int": "integer",
                  "double": "double", "currency": "currency", "percent": "percent"}
# Salesforce rejects OFFSET values above 2,000.
MAX_OFFSET = 2000


@dataclass(frozen=True)
class Column:
    """One selected field: its relationship path from the queried object and its field."""

    relationships: tuple[str, ...]
    info: FieldInfo
    alias: str

    @property
    def path(self) -> str:
        return ".".join((*self.relationships, self.info.name))


@dataclass
class _Join:
    alias: str
    object: ObjectInfo


@dataclass
class CompiledQuery:
    """A checked query with its SQL; see the module docstring for the two steps."""

    query: Query
    object: ObjectInfo
    include_deleted: bool
    columns: list[Column] = field(default_factory=list)
    joins: dict[tuple[str, ...], _Join] = field(default_factory=dict)
    join_sql: list[str] = field(default_factory=list)
    where_sql: str = ""
    parameters: list[Any] = field(default_factory=list)
    order_sql: str = ""

    def _from(self) -> str:
        return " ".join([f"FROM {quote(self.object.name)} AS t0", *self.join_sql])

    def _where(self) -> tuple[str, list[Any]]:
        clauses = []
        if not self.include_deleted and "IsDeleted" in self.object.fields:
            clauses.append('t0."IsDeleted" = 0')
        if self.where_sql:
            clauses.append(f"({self.where_sql})")
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", list(self.parameters)

    def count(self, store: Store) -> int:
        where, parameters = self._where()
        total = store.query(f"SELECT count(*) {self._from()}{where}", parameters)[0][0]
        return self._apply_limits(total)

    def _apply_limits(self, total: int) -> int:
        total = max(0, total - (self.query.offset or 0))
        return min(total, self.query.limit) if self.query.limit is not None else total

    def row_ids(self, store: Store) -> list[int]:
        """Return the SQLite row ids of the matching records, in the query's order."""
        where, parameters = self._where()
        sql = f"SELECT t0.rowid {self._from()}{where} ORDER BY {self.order_sql}"
        if self.query.limit is not None or self.query.offset:
            sql += " LIMIT ? OFFSET ?"
            parameters += [-1 if self.query.limit is None else self.query.limit,
                           self.query.offset or 0]
        return [row[0] for row in store.query(sql, parameters)]

    def _fetch(self, store: Store, row_ids: list[int]) -> list[tuple]:
        if not row_ids:
            return []
        parent_ids = [f'{join.alias}."Id"' for join in self.joins.values()]
        selected = ", ".join(["t0.rowid", 't0."Id"', *parent_ids,
                              *(f'{column.alias}.{quote(column.info.name)}'
                                for column in self.columns)])
        rows = store.query(
            f"SELECT {selected} {self._from()} WHERE t0.rowid IN "
            f"({', '.join('?' for _ in row_ids)})", row_ids)
        by_row_id = {row[0]: row for row in rows}
        return [by_row_id[row_id] for row_id in row_ids if row_id in by_row_id]

    def records(self, store: Store, row_ids: list[int], version: str) -> list[dict]:
        """Read rows as REST records: ``attributes`` first, parents as nested objects."""
        paths = list(self.joins)
        records = []
        for row in self._fetch(store, row_ids):
            parent_ids = dict(zip(paths, row[2: 2 + len(paths)], strict=True))
            values = row[2 + len(paths):]
            record: dict[str, Any] = {"attributes": _attributes(self.object.name, row[1], version)}
            for column, value in zip(self.columns, values, strict=True):
                target: dict | None = record
                for depth in range(len(column.relationships)):
                    prefix = column.relationships[: depth + 1]
                    key = prefix[-1]
                    if key not in target:
                        parent_id = parent_ids[prefix]
                        target[key] = None if parent_id is None else {
                            "attributes": _attributes(self.joins[prefix].object.name, parent_id,
                                                      version)}
                    target = target[key]
                    if target is None:
                        break
                if target is not None:
                    target[column.info.name] = from_store(column.info, value)
            records.append(record)
        return records

    def csv_rows(self, store: Store, row_ids: list[int]) -> list[list[str]]:
        """Read rows as Bulk API 2.0 CSV cells, one per selected column."""
        skip = 2 + len(self.joins)
        return [[to_csv(column.info, value) for column, value in
                 zip(self.columns, row[skip:], strict=True)]
                for row in self._fetch(store, row_ids)]


def _attributes(object_name: str, record_id: str, version: str) -> dict[str, str]:
    return {"type": object_name,
            "url": f"/services/data/v{version}/sobjects/{object_name}/{record_id}"}


class _Compiler:
    def __init__(self, schema: Schema, query: Query, include_deleted: bool, for_bulk: bool):
        self.schema = schema
        self.query = query
        self.for_bulk = for_bulk
        info = schema.object(query.object)
        if info is None:
            raise SoqlError("INVALID_TYPE", error_message(
                query.text, query.object_position,
                f"sObject type '{query.object}' is not supported." + _OBJECT_HINT))
        self.compiled = CompiledQuery(query, info, include_deleted)

    def compile(self) -> CompiledQuery:
        compiled = self.compiled
        seen = set()
        for path in self.query.fields:
            column = self.column(path)
            if column.info.is_compound and self.for_bulk and column.info.type == "address":
                raise SoqlError("API_ERROR", "Selecting compound data not supported in Bulk Query")
            if column.path.lower() in seen:
                raise SoqlError("MALFORMED_QUERY", f"duplicate field selected: {column.path}")
            seen.add(column.path.lower())
            compiled.columns.append(column)
        if self.query.where is not None:
            compiled.where_sql = self.condition(self.query.where)
        order = []
        for item in self.query.order_by:
            column = self.column(item.field)
            if column.info.type in ("address", "anyType"):
                raise SoqlError("INVALID_FIELD", error_message(
                    self.query.text, item.field.position,
                    f"field '{column.info.name}' can not be sorted in a query call"))
            expression = f"{column.alias}.{quote(column.info.name)}"
            if column.info.is_text and column.info.type not in ("id", "reference"):
                expression += " COLLATE NOCASE"
            order.append(f"{expression} {'DESC' if item.descending else 'ASC'} "
                         f"NULLS {'FIRST' if item.nulls_first else 'LAST'}")
        order.append("t0.rowid")
        compiled.order_sql = ", ".join(order)
        if self.query.offset is not None and self.query.offset > MAX_OFFSET:
            raise SoqlError("NUMBER_OUTSIDE_VALID_RANGE",
                            f"Maximum SOQL offset allowed is {MAX_OFFSET}")
        return compiled

    def column(self, path: FieldPath) -> Column:
        current = self.compiled.object
        alias = "t0"
        relationships: tuple[str, ...] = ()
        for part in path.parts[:-1]:
            reference = current.relationship(part)
            if reference is None:
                raise SoqlError("INVALID_FIELD", error_message(
                    self.query.text, path.position,
                    f"Didn't understand relationship '{part}' in field path." + _RELATIONSHIP_HINT))
            if len(reference.reference_to) > 1:
                # NOTE: Salesforce allows Who.Name and What.Name on polymorphic lookups; the
                # sandbox does not, so select WhoId/WhatId instead.
                raise SoqlError("MALFORMED_QUERY", error_message(
                    self.query.text, path.position,
                    f"The sandbox does not support the polymorphic relationship '{part}'."))
            relationships = (*relationships, reference.relationship_name or part)
            target = self.schema.objects[reference.reference_to[0]]
            alias = self.join(relationships, alias, reference, target)
            current = target
        info = current.field(path.parts[-1])
        if info is None:
            raise SoqlError("INVALID_FIELD", error_message(
                self.query.text, path.position,
                f"No such column '{path.parts[-1]}' on entity '{current.name}'." + _CUSTOM_HINT))
        return Column(relationships, info, alias)

    def join(self, relationships: tuple[str, ...], parent_alias: str, reference: FieldInfo,
             target: ObjectInfo) -> str:
        joins = self.compiled.joins
        if relationships not in joins:
            alias = f"t{len(joins) + 1}"
            joins[relationships] = _Join(alias, target)
            self.compiled.join_sql.append(
                f'LEFT JOIN {quote(target.name)} AS {alias} '
                f'ON {alias}."Id" = {parent_alias}.{quote(reference.name)}')
        return joins[relationships].alias

    def condition(self, node: Condition) -> str:
        if isinstance(node, BoolOp):
            return f" {node.operator} ".join(f"({self.condition(item)})" for item in node.items)
        if isinstance(node, Not):
            return f"NOT ({self.condition(node.item)})"
        if isinstance(node, InList):
            return self.in_list(node)
        return self.comparison(node)

    def comparison(self, node: Comparison) -> str:
        column = self.filterable(node.field)
        expression = f"{column.alias}.{quote(column.info.name)}"
        nocase = self.nocase(column.info)
        if node.value.kind == "null":
            if node.operator not in ("=", "!="):
                self.type_error(node.field, column.info, "null")
            return f"{expression} IS {'NOT ' if node.operator == '!=' else ''}NULL"
        if node.operator == "LIKE":
            if not column.info.is_text or node.value.kind != "string":
                raise SoqlError("INVALID_FIELD", error_message(
                    self.query.text, node.field.position,
                    f"invalid operator on field '{column.info.name}': LIKE takes a text field "
                    "and a quoted pattern"))
            self.compiled.parameters.append(node.value.like_pattern)
            return f"{expression} LIKE ? ESCAPE '\\'"
        self.compiled.parameters.append(self.value(node.field, column.info, node.value))
        if node.operator == "!=":
            # SOQL counts null as a value: Field != 'x' also returns records where it is null.
            return f"({expression} IS NULL OR {expression} <> ?{nocase})"
        return f"{expression} {node.operator} ?{nocase}"

    def in_list(self, node: InList) -> str:
        column = self.filterable(node.field)
        expression = f"{column.alias}.{quote(column.info.name)}"
        values = [self.value(node.field, column.info, literal) for literal in node.values
                  if literal.kind != "null"]
        has_null = len(values) < len(node.values)
        self.compiled.parameters.extend(values)
        placeholders = ", ".join("?" for _ in values)
        nocase = self.nocase(column.info)
        if node.negated:
            clause = f"{expression}{nocase} NOT IN ({placeholders})" if values else "1"
            return f"({expression} IS NOT NULL AND {clause})" if has_null else \
                f"({expression} IS NULL OR {clause})"
        clause = f"{expression}{nocase} IN ({placeholders})" if values else "0"
        return f"({clause} OR {expression} IS NULL)" if has_null else clause

    def filterable(self, path: FieldPath) -> Column:
        column = self.column(path)
        if column.info.type in ("address", "anyType"):
            raise SoqlError("INVALID_FIELD", error_message(
                self.query.text, path.position,
                f"field '{column.info.name}' can not be filtered in a query call"))
        return column

    @staticmethod
    def nocase(info: FieldInfo) -> str:
        return " COLLATE NOCASE" if info.is_text and info.type not in ("id", "reference") else ""

    def value(self, path: FieldPath, info: FieldInfo, literal: Literal) -> Any:
        kind = info.type
        if kind == "boolean" and literal.kind == "boolean":
            return int(literal.value)
        if kind == "datetime" and literal.kind == "datetime":
            return canonical_datetime(parse_datetime(literal.value))
        if kind == "date" and literal.kind == "date":
            return literal.value
        if kind in ("int", "double", "currency", "percent") and literal.kind == "number":
            return literal.value
        if info.is_text and literal.kind == "string":
            return literal.value
        self.type_error(path, info, literal.kind)
        raise AssertionError("unreachable")

    def type_error(self, path: FieldPath, info: FieldInfo, literal_kind: str) -> None:
        if info.is_text:
            message = (f"value of filter criterion for field '{info.name}' must be of type "
                       "string and should be enclosed in quotes")
        else:
            message = (f"value of filter criterion for field '{info.name}' must be of type "
                       f"{_LITERAL_TYPES.get(info.type, info.type)} and should not be enclosed "
                       "in quotes")
        raise SoqlError("INVALID_FIELD", error_message(self.query.text, path.position, message))


def compile_query(schema: Schema, query: Query, include_deleted: bool = False,
                  for_bulk: bool = False) -> CompiledQuery:
    """Check ``query`` against ``schema``; raises :class:`SoqlError` as Salesforce would."""
    return _Compiler(schema, query, include_deleted, for_bulk).compile()
