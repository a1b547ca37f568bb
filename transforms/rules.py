"""Attribution rules: the TOML rules file, its validation and its evaluation on Polars frames.

A rules file is an ordered list of rules; the first rule whose conditions all hold decides a
record's origin and channel::

    version = 1
    rules = [
      { id = "web", when = { lead_source = "Web" }, origin = "marketing", channel = "web" },
    ]

``[[rules]]`` tables work as well. A condition maps a field to a value (``equals``), a list
(``in``) or a table of operators such as ``{ prefix = "seminar" }``; all conditions of a rule
must hold. Text matching folds case, width (NFKC) and whitespace, so ``Reference``,
``reference `` and ``ＲＥＦＥＲＥＮＣＥ`` are one value; a ``regex`` runs on that folded text.

Rule evaluation is pure Polars: conditions become expressions and the first match is one
``when/then`` chain, run on the distinct combinations of the fields the rules read.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import polars as pl

from sgl.errors import ConfigError
from sgl.i18n import _
from transforms.distinct import decide_distinct

ORIGINS = ("sales", "marketing", "partner", "unknown")

# Channels belong to exactly one origin, so a channel someone set by hand implies its origin.
CHANNELS_BY_ORIGIN: dict[str, tuple[str, ...]] = {
    "sales": ("referral", "dormant_revival", "network", "social", "abm", "other_sales"),
    "marketing": ("web", "advertising", "email", "event", "social_media", "content", "list",
                  "other_marketing"),
    "partner": ("partner",),
    "unknown": ("unknown",),
}
ORIGIN_OF_CHANNEL = {channel: origin for origin, channels in CHANNELS_BY_ORIGIN.items()
                     for channel in channels}
# The channel a record gets when its origin is decided but no rule of that origin matched.
DEFAULT_CHANNEL = {"sales": "other_sales", "marketing": "other_marketing",
                   "partner": "partner", "unknown": "unknown"}

TEXT, FLAG, NUMBER = "text", "flag", "number"

# Condition fields and their kinds. Roles are the effective roles: inside_sales reads as
# "sales" when inside sales counts as sales. The days and former_customer facts are measured
# at the record's creation, from the account's earlier activities and opportunities.
FIELDS: dict[str, str] = {
    "source": TEXT,                 # salesforce, hubspot, import:<name>
    "object": TEXT,                 # the CRM object: Lead, Contact, contacts, Opportunity, deals
    "record_kind": TEXT,            # lead or opportunity
    "lead_source": TEXT,
    "record_source": TEXT,
    "record_source_detail": TEXT,
    "creator_role": TEXT,
    "owner_role": TEXT,
    "opportunity_type": TEXT,
    "is_abm_target": FLAG,
    "former_customer": FLAG,
    "days_since_last_activity": NUMBER,
    "days_since_last_closed_opportunity": NUMBER,
}
OPERATORS: dict[str, tuple[str, ...]] = {
    TEXT: ("equals", "in", "not_in", "prefix", "regex", "missing"),
    FLAG: ("equals", "missing"),
    NUMBER: ("equals", "min", "max", "missing"),
}
RULE_KEYS = ("id", "label_ja", "label_en", "when", "origin", "channel")
TOP_LEVEL_KEYS = ("version", "rules")
RULE_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]+$")
# Rule ids that attribution writes itself (see transforms.attribution). A rule with such an
# id would look like one of those decisions in explanations and stored decisions.
RESERVED_IDS = ("explicit", "explicit:channel")
RESERVED_PREFIXES = ("fallback:", "default:", "dormant:", "lead:")
RULES_VERSION = 1


class RulesFileError(ConfigError):
    """A rules file is invalid; ``problems`` contains one translated line per problem."""


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    value: Any  # folded text, a tuple of folded texts, a bool or a number


@dataclass(frozen=True)
class Rule:
    id: str
    label_ja: str
    label_en: str
    conditions: tuple[Condition, ...]
    origin: str
    channel: str
    line: int | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(condition.field for condition in self.conditions)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    name: str = "<rules>"

    @property
    def fields(self) -> list[str]:
        """Return the condition fields any rule reads, in a stable order."""
        used = {name for rule in self.rules for name in rule.fields}
        return [name for name in FIELDS if name in used]

    def by_id(self, rule_id: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.id == rule_id), None)


# -- folding -----------------------------------------------------------------------------


# Whitespace and the invisible characters that copied text carries (soft hyphen, zero-width
# spaces and joiners, the byte-order mark): folding removes them all.
BLANKS = r"[\s\u00ad\u200b-\u200d\u2060\ufeff]+"


def fold_text(value: str) -> str:
    """Fold a picklist value as :func:`fold_expr` does: NFKC, lower case, no blanks."""
    return re.sub(BLANKS, "", unicodedata.normalize("NFKC", value).lower())


def fold_expr(expr: pl.Expr) -> pl.Expr:
    """Fold a text column for matching; an empty result becomes null."""
    return expr.cast(pl.Utf8).str.normalize("NFKC").str.to_lowercase().str.replace_all(
        BLANKS, "").replace("", None)


# -- loading -----------------------------------------------------------------------------


def default_rules_path() -> Path:
    """Return the path of the shipped default rules file."""
    return Path(str(files("transforms").joinpath("default_rules.toml")))


def sample_rules_text() -> str:
    """Return the shipped default rules, which double as the commented sample for `sgl init`."""
    return files("transforms").joinpath("default_rules.toml").read_text(encoding="utf-8")


def load_rules(path: Path | None = None) -> RuleSet:
    """Read and validate a rules file; None reads the shipped defaults."""
    path = default_rules_path() if path is None else Path(path)
    try:
        # A byte-order mark, as Windows editors write, is not part of the text.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RulesFileError(
            [_("{file}: rules file not found. Check [attribution] rules_file.").format(file=path)]
        ) from None
    except IsADirectoryError:
        raise RulesFileError(
            [_("{file}: a folder, not a rules file. Give the path of a .toml file.").format(
                file=path)]
        ) from None
    except UnicodeDecodeError:
        raise RulesFileError(
            [_("{file}: not UTF-8 text. Save the file as UTF-8.").format(file=path)]
        ) from None
    return parse_rules(text, str(path))


def parse_rules(text: str, name: str = "<rules>") -> RuleSet:
    """Parse rules from TOML text, raising RulesFileError with every problem found."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RulesFileError(
            [_("{file}: not valid TOML: {detail}").format(file=name, detail=error)]
        ) from None

    locator = _LineLocator(text)
    problems: list[str] = []
    for key in document:
        if key not in TOP_LEVEL_KEYS:
            problems.append(_("{file}, line {line}: unknown key {key!r}. Valid keys: {choices}")
                            .format(file=name, line=locator.top_level(key), key=key,
                                    choices=", ".join(TOP_LEVEL_KEYS)))
    version = document.get("version", RULES_VERSION)
    if version != RULES_VERSION:
        problems.append(_("{file}, line {line}: unsupported version {value!r}. This sgl reads "
                          "version {supported}.").format(
            file=name, line=locator.top_level("version"), value=version,
            supported=RULES_VERSION))
    raw_rules = document.get("rules", [])
    if not isinstance(raw_rules, list):
        problems.append(_("{file}: rules must be a list of tables.").format(file=name))
        raw_rules = []
    elif not raw_rules:
        problems.append(_("{file}: no rules. Every record would fall back to its creator "
                          "alone; list at least one rule, or remove rules_file to use the "
                          "shipped rules.").format(file=name))

    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_rules):
        rule = _parse_rule(raw, index, len(raw_rules), name, locator, problems)
        if rule is None:
            continue
        if not rule.conditions and index < len(raw_rules) - 1:
            problems.append(_("{file}, line {line}: rule {rule!r} has no conditions, so it "
                              "matches every record and the rules after it never apply. "
                              "Add a condition under when, or move it to the end.").format(
                file=name, line=rule.line, rule=rule.id))
        if rule.id in seen:
            problems.append(_("{file}, line {line}: rule id {rule!r} is used twice. Give each "
                              "rule its own id.").format(file=name, line=rule.line, rule=rule.id))
        seen.add(rule.id)
        rules.append(rule)

    if problems:
        raise RulesFileError(problems)
    return RuleSet(tuple(rules), name)


def _parse_rule(raw: Any, index: int, count: int, name: str, locator: _LineLocator,
                problems: list[str]) -> Rule | None:
    rule_id = raw.get("id") if isinstance(raw, dict) else None
    line = locator.rule(index, rule_id if isinstance(rule_id, str) else None, count)
    label = rule_id if isinstance(rule_id, str) else f"#{index + 1}"

    def place(key_line: int | None = None) -> str:
        """Name the file, the key's line (else the rule's) and the rule, in the user's language."""
        return _("{file}, line {line}: rule {rule}").format(
            file=name, line=key_line if key_line is not None else line, rule=label)

    where = place()
    if not isinstance(raw, dict):
        problems.append(_("{where}: expected a table with id, when, origin and channel.")
                        .format(where=where))
        return None

    count = len(problems)
    for key in raw:
        if key not in RULE_KEYS:
            problems.append(_("{where}: unknown key {key!r}. Valid keys: {choices}").format(
                where=place(locator.key(line, key)), key=key,
                choices=", ".join(RULE_KEYS)))
    if not isinstance(rule_id, str) or not RULE_ID_PATTERN.match(rule_id):
        problems.append(_("{where}: id must be letters, digits, '-', '_', '.' or ':'.")
                        .format(where=where))
    elif rule_id in RESERVED_IDS or rule_id.startswith(RESERVED_PREFIXES):
        problems.append(_("{where}: id {rule!r} is reserved for the decisions sgl makes "
                          "itself ({choices}). Choose another id.").format(
            where=where, rule=rule_id,
            choices=", ".join([*RESERVED_IDS, *(prefix + "…" for prefix in RESERVED_PREFIXES)])))

    origin = raw.get("origin")
    if origin not in ORIGINS:
        problems.append(_("{where}: unknown origin {value!r}. Valid origins: {choices}").format(
            where=place(locator.key(line, "origin")), value=origin,
            choices=", ".join(ORIGINS)))
    channel = raw.get("channel", DEFAULT_CHANNEL.get(str(origin)))
    if origin in ORIGINS and channel not in CHANNELS_BY_ORIGIN[origin]:
        problems.append(_("{where}: unknown channel {value!r} for origin {origin}. Valid "
                          "channels: {choices}").format(
            where=place(locator.key(line, "channel")), value=channel, origin=origin,
            choices=", ".join(CHANNELS_BY_ORIGIN[origin])))

    when = raw.get("when", {})
    conditions: list[Condition] = []
    if not isinstance(when, dict):
        problems.append(_("{where}: when must be a table of field conditions.").format(
            where=where))
    else:
        for field_name, spec in when.items():
            conditions.extend(_parse_condition(field_name, spec, place, line, locator, problems))

    if len(problems) > count:
        return None
    return Rule(id=rule_id, label_ja=str(raw.get("label_ja", rule_id)),
                label_en=str(raw.get("label_en", rule_id)), conditions=tuple(conditions),
                origin=origin, channel=channel, line=line)


def _parse_condition(field_name: str, spec: Any, place: Callable[[int | None], str],
                     line: int | None, locator: _LineLocator,
                     problems: list[str]) -> list[Condition]:
    at = place(locator.key(line, field_name))
    if field_name not in FIELDS:
        problems.append(_("{where}: unknown field {field!r}. Valid fields: {choices}").format(
            where=at, field=field_name, choices=", ".join(FIELDS)))
        return []
    kind = FIELDS[field_name]
    if not isinstance(spec, dict):
        spec = {"in": spec} if isinstance(spec, list) else {"equals": spec}

    conditions = []
    for operator, value in spec.items():
        if operator not in OPERATORS[kind]:
            problems.append(_("{where}: unknown operator {operator!r} for field {field}. Valid "
                              "operators: {choices}").format(
                where=at, operator=operator, field=field_name,
                choices=", ".join(OPERATORS[kind])))
            continue
        checked = _checked_value(kind, operator, value)
        if checked is None:
            problems.append(_("{where}: {field} {operator} = {value!r} is not valid: expected "
                              "{expected}.").format(where=at, field=field_name,
                                                    operator=operator, value=value,
                                                    expected=_expected(kind, operator)))
            continue
        conditions.append(Condition(field_name, operator, checked))
    return conditions


def _checked_value(kind: str, operator: str, value: Any) -> Any:
    """Return the value folded for matching, or None when it does not fit the operator."""
    if operator == "missing" or kind == FLAG:
        return value if isinstance(value, bool) else None
    if kind == NUMBER:
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        return value if numeric else None
    if operator in ("in", "not_in"):
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            return None
        return tuple(sorted({fold_text(item) for item in value}))
    if not isinstance(value, str):
        return None
    if operator == "regex":
        try:
            pl.Series([""]).str.contains(value)
        except pl.exceptions.ComputeError:
            return None
        return value
    return fold_text(value)


def _expected(kind: str, operator: str) -> str:
    if operator == "missing" or kind == FLAG:
        return _("true or false")
    if kind == NUMBER:
        return _("a number")
    if operator in ("in", "not_in"):
        return _("a list of texts")
    if operator == "regex":
        return _("a regular expression (Rust regex syntax)")
    return _("a text")


class _LineLocator:
    """Find the line numbers of rules and keys, which tomllib does not report."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        starts = [number for number, line in enumerate(self.lines, start=1)
                  if re.match(r"^\s*\[\[\s*rules\s*\]\]", line)]
        if not starts:
            starts = [number for number, line in enumerate(self.lines, start=1)
                      if re.match(r"^\s*\{", line)]
        self.starts = starts

    def top_level(self, key: str) -> int | None:
        return self._find(rf"^\s*\[?\s*{re.escape(key)}\b", 0, len(self.lines))

    def rule(self, index: int, rule_id: str | None, count: int) -> int | None:
        if len(self.starts) == count:
            # One start line per rule: the index finds it even when ids repeat.
            return self.starts[index]
        if rule_id is not None:
            found = self._find(rf"\bid\s*=\s*[\"']{re.escape(rule_id)}[\"']", 0,
                               len(self.lines))
            if found is not None:
                # A [[rules]] table: report its header, which is at or before the id line.
                headers = [start for start in self.starts if start <= found]
                inline = self.lines[found - 1].lstrip().startswith("{")
                return found if inline or not headers else headers[-1]
        return self.starts[index] if index < len(self.starts) else None

    def key(self, rule_line: int | None, key: str) -> int | None:
        if rule_line is None:
            return None
        later = [start for start in self.starts if start > rule_line]
        end = later[0] - 1 if later else len(self.lines)
        return self._find(rf"(^|[\s{{,])[\"']?{re.escape(key)}[\"']?\s*=", rule_line - 1, end)

    def _find(self, pattern: str, start: int, end: int) -> int | None:
        compiled = re.compile(pattern)
        for number in range(start, end):
            if compiled.search(self.lines[number]):
                return number + 1
        return None


# -- evaluation --------------------------------------------------------------------------


def condition_expr(condition: Condition) -> pl.Expr:
    """Build the boolean expression of one condition over a folded facts frame.

    Text columns must already be folded with :func:`fold_expr`. A null value matches only
    ``missing = true``; every other operator treats it as not matching.
    """
    column = pl.col(condition.field)
    value = condition.value
    if condition.operator == "missing":
        return column.is_null() if value else column.is_not_null()
    if condition.operator == "equals":
        matched = column == value
    elif condition.operator == "in":
        matched = column.is_in(list(value))
    elif condition.operator == "not_in":
        matched = ~column.is_in(list(value))
    elif condition.operator == "prefix":
        matched = column.str.starts_with(value)
    elif condition.operator == "regex":
        matched = column.str.contains(value)
    elif condition.operator == "min":
        matched = column >= value
    elif condition.operator == "max":
        matched = column <= value
    else:  # pragma: no cover - the parser admits only the operators above
        raise ValueError(f"unsupported operator {condition.operator!r}")
    return column.is_not_null() & matched.fill_null(value=False)


def rule_expr(rule: Rule) -> pl.Expr:
    """Build the expression that is true where every condition of ``rule`` is true."""
    expression = pl.lit(value=True)
    for condition in rule.conditions:
        expression = expression & condition_expr(condition)
    return expression


def first_match_expr(rules: tuple[Rule, ...] | list[Rule]) -> pl.Expr:
    """Build an expression giving the index of the first matching rule, or null."""
    if not rules:
        return pl.lit(None, dtype=pl.Int32)
    chain = pl.when(rule_expr(rules[0])).then(pl.lit(0, dtype=pl.Int32))
    for index, rule in enumerate(rules[1:], start=1):
        chain = chain.when(rule_expr(rule)).then(pl.lit(index, dtype=pl.Int32))
    return chain.otherwise(pl.lit(None, dtype=pl.Int32))


def fold_facts(facts: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
    """Fold the text fields of a facts frame for matching."""
    lazy = facts.lazy()
    names = lazy.collect_schema().names()
    return lazy.with_columns(
        fold_expr(pl.col(name)).alias(name)
        for name, kind in FIELDS.items() if kind == TEXT and name in names
    )


def match_rules(facts: pl.DataFrame, rule_set: RuleSet) -> pl.DataFrame:
    """Return, per facts row, the first matching rule overall and per origin.

    ``facts`` contains raw (unfolded) condition fields. Columns added: ``rule_id``,
    ``rule_origin``, ``rule_channel`` (the first match in file order) and, per origin,
    ``rule_id_<origin>`` / ``rule_channel_<origin>`` (the first match among that origin's
    rules, used when a person fixed the origin by hand). Rows keep their order.
    """
    fields = [name for name in rule_set.fields if name in facts.columns]
    missing = [name for name in rule_set.fields if name not in facts.columns]
    keyed = facts.with_columns(pl.lit(None, dtype=_dtype(name)).alias(name) for name in missing)
    keys = fields + missing

    if not keys:
        # Only rules without conditions: every row gets the same decision.
        keyed = keyed.with_columns(pl.lit(value=True).alias("_all"))
        keys = ["_all"]
        missing = [*missing, "_all"]
    decided = decide_distinct(rule_keys(keyed, rule_set, keys),
                              lambda combos: _decide_combos(combos, rule_set, keys))
    joined = keyed.hstack(decided)
    return joined.drop(missing) if missing else joined


def rule_keys(facts: pl.DataFrame, rule_set: RuleSet, names: list[str]) -> pl.DataFrame:
    """Select the ``names`` columns of ``facts``, numbers replaced by stand-ins.

    The stand-ins (:func:`number_class_expr`) meet the same conditions as the raw numbers,
    so deciding on them gives the same result with far fewer distinct rows.
    """
    return facts.select(
        number_class_expr(rule_set, name) if FIELDS.get(name) == NUMBER else pl.col(name)
        for name in names)


def number_class_expr(rule_set: RuleSet, field_name: str) -> pl.Expr:
    """Map a number field to a stand-in value that meets the same rule conditions.

    Rules compare numbers only by ``equals``, ``min`` and ``max``, so all values strictly
    between two neighbouring thresholds, or beyond the outer ones, meet the same conditions.
    Each such interval maps to one value inside it and each threshold to itself; null stays
    null. Stand-ins map to themselves.
    """
    thresholds = sorted({float(condition.value) for rule in rule_set.rules
                         for condition in rule.conditions
                         if condition.field == field_name
                         and condition.operator in ("equals", "min", "max")})
    column = pl.col(field_name).cast(pl.Float64)
    if not thresholds:
        return pl.when(column.is_null()).then(None).otherwise(pl.lit(0.0)).alias(field_name)
    chain = pl.when(column.is_null()).then(pl.lit(None, dtype=pl.Float64))
    previous = None
    for threshold in thresholds:
        inside = threshold - 1.0 if previous is None else (previous + threshold) / 2
        chain = (chain.when(column < threshold).then(pl.lit(inside))
                 .when(column == threshold).then(pl.lit(threshold)))
        previous = threshold
    return chain.otherwise(pl.lit(thresholds[-1] + 1.0)).alias(field_name)


def _decide_combos(combos: pl.DataFrame, rule_set: RuleSet, keys: list[str]) -> pl.DataFrame:
    rules = rule_set.rules
    ids = pl.Series([rule.id for rule in rules], dtype=pl.Utf8)
    origins = pl.Series([rule.origin for rule in rules], dtype=pl.Utf8)
    channels = pl.Series([rule.channel for rule in rules], dtype=pl.Utf8)

    folded = fold_facts(combos.rename({name: f"_raw_{name}" for name in keys})
                        .with_columns(pl.col(f"_raw_{name}").alias(name) for name in keys))
    expressions = [first_match_expr(rules).alias("_first")]
    for origin in ORIGINS:
        own = [rule for rule in rules if rule.origin == origin]
        positions = pl.Series([rules.index(rule) for rule in own], dtype=pl.Int32)
        first = first_match_expr(own)
        expressions.append(
            pl.when(first.is_not_null()).then(pl.lit(positions).gather(first))
            .otherwise(None).alias(f"_first_{origin}") if own
            else pl.lit(None, dtype=pl.Int32).alias(f"_first_{origin}")
        )
    matched = folded.with_columns(expressions)

    def pick(series: pl.Series, index: str) -> pl.Expr:
        if series.len() == 0:
            return pl.lit(None, dtype=pl.Utf8)
        return pl.lit(series).gather(pl.col(index))

    outputs = [
        pick(ids, "_first").alias("rule_id"),
        pick(origins, "_first").alias("rule_origin"),
        pick(channels, "_first").alias("rule_channel"),
    ]
    for origin in ORIGINS:
        outputs.append(pick(ids, f"_first_{origin}").alias(f"rule_id_{origin}"))
        outputs.append(pick(channels, f"_first_{origin}").alias(f"rule_channel_{origin}"))
    return (
        matched.with_columns(outputs)
        .select([pl.col(f"_raw_{name}").alias(name) for name in keys]
                + [output.meta.output_name() for output in outputs])
        .collect()
    )


def _dtype(field_name: str) -> pl.DataType:
    kind = FIELDS[field_name]
    if kind == FLAG:
        return pl.Boolean()
    if kind == NUMBER:
        return pl.Float64()
    return pl.Utf8()
