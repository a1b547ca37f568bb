"""Number stand-ins: rules decided on number classes match rules evaluated on raw numbers.

match_rules decides once per distinct combination of facts, with each number replaced by a
stand-in for its interval between rule thresholds (number_class_expr). The reference here
evaluates every rule on the raw numbers in plain Python and takes the first match.
"""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.rules import ORIGINS, Rule, RuleSet, match_rules, number_class_expr, parse_rules

SETTINGS = settings(max_examples=60, deadline=None)
NUMBER_FIELDS = ("days_since_last_activity", "days_since_last_closed_opportunity")
DECISIONS = [("sales", "referral"), ("sales", "dormant_revival"), ("marketing", "web"),
             ("partner", "partner"), ("unknown", "unknown")]

# Thresholds close together and around zero, whole and half, so that values fall on,
# between and beyond them.
thresholds = st.one_of(st.integers(min_value=-2, max_value=12),
                       st.integers(min_value=-4, max_value=24).map(lambda half: half / 2))
operators = st.fixed_dictionaries({}, optional={
    "min": thresholds, "max": thresholds, "equals": thresholds, "missing": st.booleans()})
# A rules file rejects a rule without conditions anywhere but last, and a field without
# operators adds no condition, so only the last rule may lack them.
rule_specs = st.lists(
    st.tuples(st.sampled_from(DECISIONS),
              st.fixed_dictionaries({}, optional={name: operators for name in NUMBER_FIELDS})),
    min_size=1, max_size=6,
).map(lambda specs: [spec for spec in specs[:-1] if any(spec[1].values())] + specs[-1:])
whole_days = st.one_of(st.none(), st.integers(min_value=-3, max_value=14))
fact_rows = st.lists(st.tuples(whole_days, whole_days), max_size=25)


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def rules_text(specs: list[tuple[tuple[str, str], dict[str, dict[str, object]]]]) -> str:
    """Write a rules file with one [[rules]] table per spec, in order."""
    lines = ["version = 1"]
    for index, ((origin, channel), when) in enumerate(specs):
        conditions = ", ".join(
            f"{field} = {{ " + ", ".join(f"{operator} = {toml_value(value)}"
                                        for operator, value in spec.items()) + " }"
            for field, spec in when.items())
        lines += ["", "[[rules]]", f'id = "r{index}"', f'origin = "{origin}"',
                  f'channel = "{channel}"', f"when = {{ {conditions} }}"]
    return "\n".join(lines) + "\n"


def condition_holds(operator: str, expected: object, value: float | None) -> bool:
    """Evaluate one number condition: null meets ``missing = true`` and nothing else."""
    if operator == "missing":
        return (value is None) == expected
    if value is None:
        return False
    if operator == "equals":
        return value == expected
    if operator == "min":
        return value >= expected
    return value <= expected


def rule_holds(rule: Rule, facts: dict[str, float | None]) -> bool:
    return all(condition_holds(condition.operator, condition.value, facts[condition.field])
               for condition in rule.conditions)


def first_match(rules: list[Rule], facts: dict[str, float | None]) -> Rule | None:
    return next((rule for rule in rules if rule_holds(rule, facts)), None)


def expected_decisions(rule_set: RuleSet, facts: dict[str, float | None]) -> dict[str, object]:
    first = first_match(list(rule_set.rules), facts)
    expected: dict[str, object] = {
        "rule_id": first.id if first else None,
        "rule_origin": first.origin if first else None,
        "rule_channel": first.channel if first else None,
    }
    for origin in ORIGINS:
        own = first_match([rule for rule in rule_set.rules if rule.origin == origin], facts)
        expected[f"rule_id_{origin}"] = own.id if own else None
        expected[f"rule_channel_{origin}"] = own.channel if own else None
    return expected


def facts_frame(rows: list[tuple], dtype: pl.DataType) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={name: dtype for name in NUMBER_FIELDS}, orient="row")


def assert_matches_reference(facts: pl.DataFrame, rule_set: RuleSet) -> None:
    matched = match_rules(facts, rule_set)

    assert matched.select(NUMBER_FIELDS).equals(facts)
    for index, row in enumerate(matched.iter_rows(named=True)):
        raw = {name: row[name] for name in NUMBER_FIELDS}
        expected = expected_decisions(rule_set, raw)
        assert {name: row[name] for name in expected} == expected, (index, raw)


@SETTINGS
@given(rule_specs, fact_rows)
def test_whole_days_match_raw_rules(specs: list, rows: list[tuple]) -> None:
    rule_set = parse_rules(rules_text(specs))

    assert_matches_reference(facts_frame(rows, pl.Int64), rule_set)


@SETTINGS
@given(rule_specs, st.lists(st.tuples(
    st.one_of(st.none(), st.integers(min_value=-12, max_value=56).map(lambda q: q / 4)),
    st.one_of(st.none(), st.integers(min_value=-12, max_value=56).map(lambda q: q / 4))),
    max_size=25))
def test_fractional_days_match_raw_rules(specs: list, rows: list[tuple]) -> None:
    # Quarter days land between half-day thresholds, as a midpoint stand-in could.
    rule_set = parse_rules(rules_text(specs))

    assert_matches_reference(facts_frame(rows, pl.Float64), rule_set)


@SETTINGS
@given(rule_specs, fact_rows)
def test_stand_ins_meet_same_conditions(specs: list, rows: list[tuple]) -> None:
    rule_set = parse_rules(rules_text(specs))
    facts = facts_frame(rows, pl.Int64)

    stand_ins = facts.select(number_class_expr(rule_set, name) for name in NUMBER_FIELDS)
    again = stand_ins.select(number_class_expr(rule_set, name) for name in NUMBER_FIELDS)

    assert again.equals(stand_ins)
    for raw, stand_in in zip(facts.iter_rows(named=True), stand_ins.iter_rows(named=True),
                             strict=True):
        for rule in rule_set.rules:
            for condition in rule.conditions:
                assert condition_holds(condition.operator, condition.value,
                                       raw[condition.field]) == condition_holds(
                    condition.operator, condition.value, stand_in[condition.field]), (
                    rule.id, condition, raw)


def test_plain_thresholds() -> None:
    rule_set = parse_rules(
        'version = 1\n'
        'rules = [\n'
        '  { id = "quiet", when = { days_since_last_activity = { min = 180 } },'
        ' origin = "sales", channel = "dormant_revival" },\n'
        '  { id = "exact", when = { days_since_last_activity = 30 },'
        ' origin = "marketing", channel = "web" },\n'
        '  { id = "recent", when = { days_since_last_activity = { max = 30 } },'
        ' origin = "sales", channel = "referral" },\n'
        '  { id = "none", when = { days_since_last_activity = { missing = true } },'
        ' origin = "unknown", channel = "unknown" },\n'
        ']\n')
    facts = pl.DataFrame({"days_since_last_activity": [181, 180, 179, 31, 30, 29, None]},
                         schema={"days_since_last_activity": pl.Int64})

    matched = match_rules(facts, rule_set)

    # By hand: 181 and 180 reach min 180, and 179 and 31 meet no rule. 30 equals 30 before
    # max 30 is tried, 29 is at most 30, and null is missing. The first sales rule is quiet
    # for 180 and over and recent for 30 and under.
    assert matched.get_column("rule_id").to_list() == [
        "quiet", "quiet", None, None, "exact", "recent", "none"]
    assert matched.get_column("rule_id_sales").to_list() == [
        "quiet", "quiet", None, None, "recent", "recent", None]
