"""A parser for the SOQL subset that the sandbox serves.

Supported: ``SELECT`` of fields and parent relationship paths (``Owner.Name``,
``CreatedBy.Profile.Name``) or ``COUNT()``; ``FROM`` one object; ``WHERE`` with AND, OR, NOT,
parentheses, ``= != <> < <= > >=``, ``IN``/``NOT IN`` lists, ``LIKE``, ``null``, ``true``/
``false``, string literals with backslash escapes, numbers, datetime literals with ``Z`` or an
offset and date literals; ``ORDER BY`` with ``ASC``/``DESC`` and ``NULLS FIRST``/``LAST``;
``LIMIT`` and ``OFFSET``. Anything else raises :class:`SoqlError` with ``MALFORMED_QUERY``, as
Salesforce does for a query it cannot parse. As in Salesforce, AND and OR cannot be mixed at
one level without parentheses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

KEYWORDS = frozenset({
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "NULL", "TRUE", "FALSE",
    "ORDER", "BY", "ASC", "DESC", "NULLS", "FIRST", "LAST", "LIMIT", "OFFSET", "COUNT",
    "GROUP", "HAVING", "WITH", "FOR", "TYPEOF", "USING", "INCLUDES", "EXCLUDES", "ALL",
})

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<datetime>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d))
  | (?P<date>\d{4}-\d\d-\d\d)(?![\dT])
  | (?P<number>[+-]?(?:\d+\.\d*|\.\d+|\d+))
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<open_string>')
  | (?P<operator>!=|<>|<=|>=|=|<|>)
  | (?P<punct>[(),])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
""", re.VERBOSE)

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'",
            "\\": "\\"}


class SoqlError(Exception):
    """A query Salesforce would reject; ``code`` is the REST ``errorCode``."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    position: int

    @property
    def upper(self) -> str:
        return self.text.upper()


@dataclass(frozen=True)
class Literal:
    """A value in a condition. ``kind`` is string, number, boolean, null, datetime or date."""

    kind: str
    value: Any
    like_pattern: str | None = None  # the SQL LIKE pattern of a string literal


@dataclass(frozen=True)
class FieldPath:
    parts: tuple[str, ...]
    position: int

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class Comparison:
    field: FieldPath
    operator: str  # = != < <= > >= LIKE
    value: Literal


@dataclass(frozen=True)
class InList:
    field: FieldPath
    values: tuple[Literal, ...]
    negated: bool


@dataclass(frozen=True)
class BoolOp:
    operator: str  # AND, OR
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


Condition = Comparison | InList | BoolOp | Not


@dataclass(frozen=True)
class OrderItem:
    field: FieldPath
    descending: bool
    nulls_first: bool


@dataclass
class Query:
    text: str
    object: str
    object_position: int
    fields: list[FieldPath] = field(default_factory=list)
    count_only: bool = False
    where: Condition | None = None
    order_by: list[OrderItem] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None


def error_message(text: str, position: int, message: str) -> str:
    """Format a message the way Salesforce points at the query: line, caret, row and column."""
    line_start = text.rfind("\n", 0, position) + 1
    line_end = text.find("\n", position)
    line = text[line_start: line_end if line_end != -1 else len(text)]
    row = text.count("\n", 0, position) + 1
    column = position - line_start + 1
    return f"\n{line}\n{' ' * (column - 1)}^\nERROR at Row:{row}:Column:{column}\n{message}"


def tokenize(text: str) -> list[Token]:
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup == "open_string":
            raise SoqlError("MALFORMED_QUERY", error_message(
                text, position, f"line 1:{position} no viable alternative at character "
                                f"'{text[position]}'"))
        if match.lastgroup != "space":
            tokens.append(Token(match.lastgroup or "", match.group(), position))
        position = match.end()
    return tokens


def decode_string(raw: str) -> tuple[str, str]:
    """Decode a quoted SOQL string; returns (value, SQL LIKE pattern with ``\\`` as escape)."""
    value, pattern = [], []
    index = 1
    while index < len(raw) - 1:
        char = raw[index]
        if char == "\\":
            escaped = raw[index + 1]
            if escaped in "%_":
                value.append("\\" + escaped)
                pattern.append("\\" + escaped)
            elif escaped in _ESCAPES:
                value.append(_ESCAPES[escaped])
                pattern.append("\\\\" if escaped == "\\" else _ESCAPES[escaped])
            else:
                raise SoqlError("MALFORMED_QUERY", f"Invalid string literal '{raw}'. Illegal "
                                                   "character sequence '\\" + escaped +
                                "' in string literal.")
            index += 2
        else:
            value.append(char)
            pattern.append(char)
            index += 1
    return "".join(value), "".join(pattern)


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    def peek(self, offset: int = 0) -> Token | None:
        index = self.index + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def next(self) -> Token:
        token = self.peek()
        if token is None:
            self.fail_at_end("unexpected end of query")
        self.index += 1
        return token

    def fail(self, token: Token, message: str | None = None) -> None:
        raise SoqlError("MALFORMED_QUERY", error_message(
            self.text, token.position, message or f"unexpected token: {token.text}"))

    def fail_at_end(self, message: str) -> None:
        raise SoqlError("MALFORMED_QUERY", error_message(self.text, len(self.text), message))

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "name" and token.upper == word:
            self.index += 1
            return True
        return False

    def expect_keyword(self, word: str) -> Token:
        token = self.next()
        if token.kind != "name" or token.upper != word:
            self.fail(token)
        return token

    def expect_punct(self, char: str) -> None:
        token = self.next()
        if token.text != char:
            self.fail(token)

    def parse(self) -> Query:
        self.expect_keyword("SELECT")
        fields, count_only = self.select_list()
        self.expect_keyword("FROM")
        object_token = self.next()
        if object_token.kind != "name" or "." in object_token.text or \
                object_token.upper in KEYWORDS:
            self.fail(object_token)
        query = Query(self.text, object_token.text, object_token.position, fields, count_only)
        if self.keyword("WHERE"):
            query.where = self.condition()
        if self.keyword("ORDER"):
            self.expect_keyword("BY")
            query.order_by = self.order_list()
        if self.keyword("LIMIT"):
            query.limit = self.integer()
        if self.keyword("OFFSET"):
            query.offset = self.integer()
        trailing = self.peek()
        if trailing is not None:
            self.fail(trailing)
        return query

    def select_list(self) -> tuple[list[FieldPath], bool]:
        token = self.peek()
        if token is not None and token.upper == "COUNT" and self.peek(1) is not None \
                and self.peek(1).text == "(":
            self.index += 1
            self.expect_punct("(")
            self.expect_punct(")")
            return [], True
        fields = []
        while True:
            token = self.next()
            if token.kind != "name" or token.upper in KEYWORDS - {"FIRST", "LAST"}:
                self.fail(token)
            if self.peek() is not None and self.peek().text == "(":
                self.fail(token, f"the sandbox does not support the function {token.text}()")
            fields.append(FieldPath(tuple(token.text.split(".")), token.position))
            if self.peek() is None or self.peek().text != ",":
                return fields, False
            self.index += 1

    def field_path(self) -> FieldPath:
        token = self.next()
        if token.kind != "name" or token.upper in KEYWORDS - {"FIRST", "LAST"}:
            self.fail(token)
        return FieldPath(tuple(token.text.split(".")), token.position)

    def condition(self) -> Condition:
        items = [self.unary()]
        operator = None
        while self.peek() is not None and self.peek().kind == "name" and \
                self.peek().upper in ("AND", "OR"):
            token = self.next()
            if operator is not None and token.upper != operator:
                self.fail(token)
            operator = token.upper
            items.append(self.unary())
        return items[0] if operator is None else BoolOp(operator, tuple(items))

    def unary(self) -> Condition:
        if self.keyword("NOT"):
            return Not(self.unary())
        token = self.peek()
        if token is not None and token.text == "(":
            self.index += 1
            inner = self.condition()
            self.expect_punct(")")
            return inner
        return self.predicate()

    def predicate(self) -> Condition:
        path = self.field_path()
        token = self.next()
        if token.kind == "operator":
            operator = "!=" if token.text == "<>" else token.text
            return Comparison(path, operator, self.literal())
        if token.kind == "name" and token.upper == "LIKE":
            return Comparison(path, "LIKE", self.literal())
        negated = False
        if token.kind == "name" and token.upper == "NOT":
            negated = True
            token = self.next()
        if token.kind == "name" and token.upper == "IN":
            self.expect_punct("(")
            values = [self.literal()]
            while self.peek() is not None and self.peek().text == ",":
                self.index += 1
                values.append(self.literal())
            self.expect_punct(")")
            return InList(path, tuple(values), negated)
        self.fail(token)
        raise AssertionError("unreachable")

    def literal(self) -> Literal:
        token = self.next()
        if token.kind == "string":
            value, pattern = decode_string(token.text)
            return Literal("string", value, pattern)
        if token.kind == "number":
            number = float(token.text) if "." in token.text else int(token.text)
            return Literal("number", number)
        if token.kind == "datetime":
            return Literal("datetime", token.text)
        if token.kind == "date":
            return Literal("date", token.text)
        if token.kind == "name" and token.upper in ("TRUE", "FALSE"):
            return Literal("boolean", token.upper == "TRUE")
        if token.kind == "name" and token.upper == "NULL":
            return Literal("null", None)
        if token.kind == "punct" and token.text == "(":
            self.fail(token, "the sandbox does not support semi-join subqueries")
        self.fail(token)
        raise AssertionError("unreachable")

    def order_list(self) -> list[OrderItem]:
        items = []
        while True:
            path = self.field_path()
            descending = False
            if self.keyword("DESC"):
                descending = True
            else:
                self.keyword("ASC")
            nulls_first = not descending  # Salesforce's default: nulls first when ascending
            if self.keyword("NULLS"):
                token = self.next()
                if token.upper not in ("FIRST", "LAST"):
                    self.fail(token)
                nulls_first = token.upper == "FIRST"
            items.append(OrderItem(path, descending, nulls_first))
            if self.peek() is None or self.peek().text != ",":
                return items
            self.index += 1

    def integer(self) -> int:
        token = self.next()
        if token.kind != "number" or not token.text.isdigit():
            self.fail(token)
        return int(token.text)


def parse(text: str) -> Query:
    """Parse a SOQL query; raises :class:`SoqlError` for anything outside the subset."""
    if not text or not text.strip():
        raise SoqlError("MALFORMED_QUERY", "A query is required: pass it in the q parameter.")
    return _Parser(text).parse()
