"""Choice rules (asl.choice) and ASL timestamps (asl.timestamps): examples, then properties."""

from __future__ import annotations

import contextlib
import operator
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asl import choice, timestamps
from asl.context import JSON, Env
from asl.errors import AslError, ExpressionError, RuntimeFailure
from strategies import json_scalars, texts

ENV = Env(context={"Execution": {"Name": "run-1"}}, variables={"limit": 10, "name": "Ann"})


def holds(rule: dict[str, Any], value: JSON, env: Env = ENV) -> bool:
    return choice.compile_rule(rule).evaluate(value, env)


# -- examples: one behaviour each --------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator_name", "variable", "expected"),
    [
        ("StringEquals", "Hello", True),
        ("StringEquals", "hello", False),  # no case folding
        ("StringLessThan", "Hell", True),
        ("StringLessThan", "Hello", False),
        ("StringGreaterThan", "Help", True),
        ("StringLessThanEquals", "Hello", True),
        ("StringGreaterThanEquals", "Hello", True),
        ("StringGreaterThanEquals", "A", False),
    ],
)
def test_string_operators_compare_by_code_point(operator_name: str, variable: str, expected: bool) -> None:
    assert holds({"Variable": "$.v", operator_name: "Hello"}, {"v": variable}) is expected


def test_string_comparison_is_code_point_order_not_locale_order() -> None:
    assert holds({"Variable": "$.v", "StringLessThan": "a"}, {"v": "Z"})
    assert holds({"Variable": "$.v", "StringGreaterThan": "z"}, {"v": "é"})
    assert not holds({"Variable": "$.v", "StringEquals": "     "}, {"v": " "})
    assert not holds({"Variable": "$.v", "StringEquals": "\t\r\n"}, {"v": "\t\n"})


@pytest.mark.parametrize(
    ("operator_name", "variable", "operand", "expected"),
    [
        ("NumericEquals", 1, 1.0, True),
        ("NumericEquals", 0.0, 0, True),
        ("NumericEquals", 2.22, 2.22, True),
        ("NumericEquals", 1.1, 1, False),
        ("NumericLessThan", 0, 1, True),
        ("NumericLessThan", 1, 1, False),
        ("NumericGreaterThan", 1.5, 1, True),
        ("NumericLessThanEquals", 1, 1.0, True),
        ("NumericGreaterThanEquals", -1, 0, False),
    ],
)
def test_numeric_operators_compare_int_and_float_by_value(
    operator_name: str, variable: float, operand: float, expected: bool
) -> None:
    assert holds({"Variable": "$.v", operator_name: operand}, {"v": variable}) is expected
    path_rule = {"Variable": "$.v", operator_name + "Path": "$.w"}
    assert holds(path_rule, {"v": variable, "w": operand}) is expected


@pytest.mark.parametrize(
    ("operator_name", "expected"),
    [
        ("TimestampEquals", [True, False, False]),
        ("TimestampLessThan", [False, True, False]),
        ("TimestampGreaterThan", [False, False, True]),
        ("TimestampLessThanEquals", [True, True, False]),
        ("TimestampGreaterThanEquals", [True, False, True]),
    ],
)
def test_timestamp_operators_compare_instants(operator_name: str, expected: list[bool]) -> None:
    t0, t1 = "2012-10-09T19:00:55Z", "2012-10-09T19:00:56Z"
    for (variable, operand), outcome in zip([(t0, t0), (t0, t1), (t1, t0)], expected, strict=True):
        assert holds({"Variable": "$.v", operator_name: operand}, {"v": variable}) is outcome
        path_rule = {"Variable": "$.v", operator_name + "Path": "$.w"}
        assert holds(path_rule, {"v": variable, "w": operand}) is outcome


def test_timestamps_in_different_zones_compare_as_the_same_instant() -> None:
    rule = {"Variable": "$.v", "TimestampEquals": "2012-10-09T19:00:55Z"}
    assert holds(rule, {"v": "2012-10-09T20:00:55+01:00"})
    assert holds(rule, {"v": "2012-10-09T14:00:55.000000000-05:00"})
    assert not holds(rule, {"v": "2012-10-09T19:00:55+01:00"})


def test_timestamps_compare_beyond_microseconds() -> None:
    rule = {"Variable": "$.v", "TimestampGreaterThan": "2016-03-05T21:29:29.243167252Z"}
    assert holds(rule, {"v": "2016-03-05T21:29:29.243167253Z"})
    assert not holds(rule, {"v": "2016-03-05T21:29:29.2431672520Z"})


def test_timestamp_operators_are_false_for_strings_that_are_no_timestamp() -> None:
    rule = {"Variable": "$.v", "TimestampEquals": "2012-10-09T19:00:55Z"}
    for text in ["2012-10-09T19:00:55", "2023-02-24 12:15:56.832957", "2023-02-24", "", " "]:
        assert not holds(rule, {"v": text})
    path_rule = {"Variable": "$.v", "TimestampEqualsPath": "$.w"}
    assert not holds(path_rule, {"v": "2012-10-09T19:00:55Z", "w": "2012-10-09"})


def test_a_timestamp_string_is_also_an_ordinary_string() -> None:
    rule = {"Variable": "$.v", "StringLessThan": "2012-10-09T19:00:56Z"}
    assert holds(rule, {"v": "2012-10-09T19:00:55Z"})


@pytest.mark.parametrize(("variable", "operand", "expected"), [(True, True, True), (False, True, False)])
def test_boolean_equals(variable: bool, operand: bool, expected: bool) -> None:
    assert holds({"Variable": "$.v", "BooleanEquals": operand}, {"v": variable}) is expected
    assert holds({"Variable": "$.v", "BooleanEqualsPath": "$.w"}, {"v": variable, "w": operand}) is expected


# The values AWS's recorded type matrices use (choice_operators/*.snapshot.json).
MATRIX: list[JSON] = [
    None,
    0,
    0.0,
    1,
    1.1,
    "",
    " ",
    "HelloWorld",
    "2012-10-09T19:00:55Z",
    [],
    [""],
    {},
    {"A": 0},
]
MATRIX += [True, False]


@pytest.mark.parametrize(
    ("operator_name", "operand", "accepts"),
    [
        ("StringEquals", "HelloWorld", lambda v: v == "HelloWorld" and type(v) is str),
        ("NumericEquals", 0, lambda v: type(v) in (int, float) and v == 0),
        ("NumericEquals", 1.0, lambda v: type(v) in (int, float) and v == 1),
        ("BooleanEquals", True, lambda v: v is True),
        ("BooleanEquals", False, lambda v: v is False),
        ("TimestampEquals", "2012-10-09T19:00:55Z", lambda v: v == "2012-10-09T19:00:55Z"),
        ("StringMatches", "*", lambda v: type(v) is str),
    ],
)
def test_a_value_of_another_type_makes_the_rule_false_without_error(
    operator_name: str, operand: JSON, accepts: Any
) -> None:
    for value in MATRIX:
        assert holds({"Variable": "$.v", operator_name: operand}, {"v": value}) is accepts(value), value
        if operator_name != "StringMatches":
            path_rule = {"Variable": "$.v", operator_name + "Path": "$.w"}
            assert holds(path_rule, {"v": value, "w": operand}) is accepts(value), value
            # the operand path's value is type-checked too
            assert not holds(path_rule, {"v": operand, "w": value}) or accepts(value), value


@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ("*", ["", "anything"], []),
        ("log-*.txt", ["log-.txt", "log-2024.txt", "log-a.b.txt"], ["log-2024.csv", "xlog-1.txt"]),
        ("a*b*c", ["abc", "aXbYc", "abbbc"], ["ab", "acb"]),
        ("\\*", ["*"], ["", "a", "\\*"]),
        ("a\\*b", ["a*b"], ["ab", "aXb"]),
        ("\\\\", ["\\"], ["\\\\", ""]),
        ("\\\\*", ["\\", "\\abc"], ["abc"]),
        ("a.c?[x]", ["a.c?[x]"], ["abc?[x]", "a.cx"]),  # no other character is special
        ("line*", ["line\nbreak"], ["Line"]),
    ],
)
def test_string_matches(pattern: str, matches: list[str], misses: list[str]) -> None:
    rule = choice.compile_rule({"Variable": "$", "StringMatches": pattern})
    for text in matches:
        assert rule.evaluate(text, ENV), text
    for text in misses:
        assert not rule.evaluate(text, ENV), text


def test_string_matches_takes_linear_time_on_patterns_that_make_regexes_backtrack() -> None:
    rule = {"Variable": "$", "StringMatches": "*a*a*a*a*a*a*a*a*b"}
    assert not holds(rule, "a" * 100_000)
    assert holds(rule, "a" * 100_000 + "b")


def test_string_matches_rejects_a_dangling_backslash() -> None:
    with pytest.raises(ExpressionError):
        choice.compile_rule({"Variable": "$", "StringMatches": "abc\\"})


@pytest.mark.parametrize(
    ("operator_name", "value", "expected"),
    [
        ("IsNull", None, True),
        ("IsNull", 0, False),
        ("IsNumeric", 0, True),
        ("IsNumeric", 1.1, True),
        ("IsNumeric", True, False),
        ("IsNumeric", "1", False),
        ("IsString", "", True),
        ("IsString", ["a"], False),
        ("IsBoolean", False, True),
        ("IsBoolean", 0, False),
        ("IsTimestamp", "2012-10-09T19:00:55+01:00", True),
        ("IsTimestamp", "2012-10-09T19:00:55", False),
        ("IsTimestamp", 0, False),
        ("IsPresent", None, True),
        ("IsPresent", {}, True),
    ],
)
def test_is_operators_and_their_false_negation(operator_name: str, value: JSON, expected: bool) -> None:
    assert holds({"Variable": "$.v", operator_name: True}, {"v": value}) is expected
    assert holds({"Variable": "$.v", operator_name: False}, {"v": value}) is not expected


def test_is_present_never_fails_on_a_missing_path() -> None:
    assert not holds({"Variable": "$.v", "IsPresent": True}, {})
    assert holds({"Variable": "$.a.b[3]", "IsPresent": False}, {"a": {"b": [1]}})
    assert holds({"Variable": "$undefined", "IsPresent": False}, {})


@pytest.mark.parametrize(
    "rule",
    [
        {"Variable": "$.missing", "StringEquals": "x"},
        {"Variable": "$.missing", "IsNull": False},
        {"Variable": "$.missing", "StringMatches": "*"},
        {"Variable": "$.missing", "NumericEqualsPath": "$.v"},
        {"Not": {"Variable": "$.missing", "IsNumeric": True}},
    ],
)
def test_a_variable_that_selects_nothing_is_a_runtime_failure(rule: dict[str, Any]) -> None:
    with pytest.raises(RuntimeFailure) as raised:
        holds(rule, {"v": 1})
    assert raised.value.error == "States.Runtime"
    assert raised.value.cause == (
        "Invalid path '$.missing': The choice state's condition path references an invalid value."
    )


def test_an_operand_path_that_selects_nothing_is_a_runtime_failure() -> None:
    with pytest.raises(RuntimeFailure) as raised:
        holds({"Variable": "$.v", "StringEqualsPath": "$.w.x"}, {"v": "a", "w": {}})
    assert raised.value.cause == (
        "Invalid path '$.w.x': The choice state's condition path references an invalid value."
    )


def test_paths_read_the_context_object_and_variables() -> None:
    assert holds({"Variable": "$$.Execution.Name", "StringEquals": "run-1"}, {})
    assert holds({"Variable": "$.n", "NumericLessThanPath": "$limit"}, {"n": 3})
    assert holds({"Variable": "$name", "StringEqualsPath": "$$.Execution.Name"}, {}) is False
    assert holds({"Variable": "$", "NumericEquals": 7}, 7)


def test_and_or_not() -> None:
    value = {"type": "Private", "value": 22}
    twenties = {
        "And": [
            {"Variable": "$.value", "NumericGreaterThanEquals": 20},
            {"Variable": "$.value", "NumericLessThan": 30},
        ]
    }
    assert holds(twenties, value)
    assert not holds({"Not": twenties}, value)
    assert holds({"Or": [{"Variable": "$.type", "StringEquals": "Public"}, twenties]}, value)
    assert not holds({"Or": [{"Not": twenties}]}, value)


def test_and_and_or_stop_at_the_deciding_rule() -> None:
    missing = {"Variable": "$.missing", "IsNull": True}  # would fail the state if evaluated
    assert not holds({"And": [{"Variable": "$.v", "IsNull": True}, missing]}, {"v": 1})
    assert holds({"Or": [{"Variable": "$.v", "IsNumeric": True}, missing]}, {"v": 1})
    with pytest.raises(RuntimeFailure):
        holds({"And": [{"Variable": "$.v", "IsNumeric": True}, missing]}, {"v": 1})


def test_top_level_next_assign_and_comment_are_ignored() -> None:
    rule = {"Variable": "$.v", "IsNull": True, "Next": "X", "Assign": {"a": 1}, "Comment": "why"}
    assert choice.compile_rule(rule).evaluate({"v": None}, ENV)
    nested = {"Not": {"Variable": "$.v", "IsNull": True, "Comment": "nested comments are fine"}, "Next": "X"}
    assert not choice.compile_rule(nested).evaluate({"v": None}, ENV)


def test_rules_are_frozen() -> None:
    rule = choice.compile_rule({"Variable": "$.v", "NumericEquals": 1})
    with pytest.raises(AttributeError):
        rule.operator = "NumericLessThan"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "raw",
    [
        {"Variable": "$.v"},  # no operator
        {"Variable": "$.v", "StringEquals": "a", "IsNull": True},  # two operators
        {"Variable": "$.v", "StringContains": "a"},  # unknown operator
        {"StringEquals": "a"},  # no Variable
        {"Variable": "v", "StringEquals": "a"},  # not a path
        {"Variable": "$.a[*]", "StringEquals": "a"},  # not a reference path
        {"Variable": ["$.v"], "StringEquals": "a"},
        {"Variable": "$.v", "StringEqualsPath": 3},
        {"Variable": "$.v", "StringEqualsPath": "$..x"},
        {"Variable": "$.v", "StringEquals": 3},
        {"Variable": "$.v", "NumericEquals": "3"},
        {"Variable": "$.v", "NumericEquals": True},
        {"Variable": "$.v", "BooleanEquals": "true"},
        {"Variable": "$.v", "TimestampEquals": "2016-03-14"},
        {"Variable": "$.v", "IsNull": "true"},
        {"Variable": "$.v", "IsPresent": 1},
        {"Variable": "$.v", "StringMatches": None},
        {"And": []},
        {"Or": {"Variable": "$.v", "IsNull": True}},
        {"Not": [{"Variable": "$.v", "IsNull": True}]},
        {"And": [{"Variable": "$.v", "IsNull": True}], "Variable": "$.v"},
        {"Not": {"Variable": "$.v", "IsNull": True, "Next": "X"}},  # Next only at the top level
        {"Not": "rule"},
    ],
)
def test_bad_rules_raise_expression_error(raw: dict[str, Any]) -> None:
    with pytest.raises(ExpressionError):
        choice.compile_rule(raw)


# -- timestamps ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-03-14T01:59:00Z", datetime(2016, 3, 14, 1, 59, tzinfo=UTC)),
        ("2016-03-14T01:59:00.00Z", datetime(2016, 3, 14, 1, 59, tzinfo=UTC)),
        ("2016-03-05T21:29:29.243167252Z", datetime(2016, 3, 5, 21, 29, 29, 243167, tzinfo=UTC)),
        ("2016-03-05T21:29:29.5Z", datetime(2016, 3, 5, 21, 29, 29, 500000, tzinfo=UTC)),
        ("2012-10-09T19:00:55+01:00", datetime(2012, 10, 9, 18, 0, 55, tzinfo=UTC)),
        ("2012-10-09T19:00:55-05:30", datetime(2012, 10, 10, 0, 30, 55, tzinfo=UTC)),
        ("2016-02-29T23:59:59Z", datetime(2016, 2, 29, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_timestamps_accepted(text: str, expected: datetime) -> None:
    assert timestamps.parse(text) == expected
    assert timestamps.instant(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "2016-12-05T21:29:29",  # no zone
        "2016-12-05 21:29:29Z",  # space separator
        "2016-12-05t21:29:29Z",  # lowercase t
        "2016-12-05T21:29:29z",  # lowercase z
        "2016-12-05",  # date only
        "2016-12-05T21:29Z",  # no seconds
        "2016-12-05T21:29:29.Z",  # empty fraction
        "2016-13-05T21:29:29Z",  # month 13
        "2016-12-05T25:29:29Z",  # hour 25
        "2015-02-29T00:00:00Z",  # not a leap year
        "2016-12-05T23:59:60Z",  # leap second
        "05-12-2016T21:29:29Z",  # not ISO order
        "2016-12-05T21:29:29+0100",  # offset without colon
        "2016-12-05T21:29:29+24:00",  # offset out of range
        "+2016-12-05T21:29:29Z",
        "2016-12-05T21:29:29Z ",
        "２０１６-12-05T21:29:29Z",  # full-width digits
        "",
    ],
)
def test_timestamps_rejected(text: str) -> None:
    assert timestamps.parse(text) is None
    assert timestamps.instant(text) is None


def test_timestamp_fraction_may_be_very_long() -> None:
    text = "2016-03-14T01:59:00." + "9" * 5000 + "Z"
    assert timestamps.parse(text) == datetime(2016, 3, 14, 1, 59, 0, 999999, tzinfo=UTC)
    assert holds({"Variable": "$", "TimestampLessThan": "2016-03-14T01:59:01Z"}, text)


# -- properties ---------------------------------------------------------------------------------

# Every timestamp text the strategy below makes, with the exact instant it was made from: the
# reference model reads instants from here, never from the code under test.
KNOWN_INSTANTS: dict[str, Fraction] = {}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@st.composite
def timestamp_texts(draw: st.DrawFn) -> str:
    moment = draw(st.datetimes(datetime(2000, 1, 1), datetime(2000, 1, 3)))  # close: equal instants happen
    moment = moment.replace(microsecond=0)
    digits = draw(st.text("0123456789", max_size=10))
    minutes = draw(st.sampled_from([0, 0, 60, -60, 330, -23 * 60 - 59]))
    zone = timezone(timedelta(minutes=minutes))
    local = moment.replace(tzinfo=UTC).astimezone(zone)
    suffix = "Z" if minutes == 0 and draw(st.booleans()) else local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:]
    text = local.strftime("%Y-%m-%dT%H:%M:%S") + ("." + digits if digits else "") + suffix
    seconds = int((moment.replace(tzinfo=UTC) - EPOCH).total_seconds())
    KNOWN_INSTANTS[text] = seconds + (Fraction(int(digits), 10 ** len(digits)) if digits else Fraction(0))
    return text


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.0, 1.0, -1.5, 2.5, 1e20]),
    st.sampled_from(["", " ", "a", "b", "ab", "B", "a*", "*b", "\\", "2000-01-01", "2000-01-01T00:00:00"]),
    timestamp_texts(),
)
values = st.one_of(scalars, st.lists(scalars, max_size=2), st.dictionaries(st.sampled_from("xy"), scalars, max_size=2))

RELATIONS = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}
COMPARISONS = [family + name for family in ("String", "Numeric", "Timestamp") for name in RELATIONS]
COMPARISONS.append("BooleanEquals")
TYPE_TESTS = ["IsNull", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp", "IsPresent"]


def model_key(family: str, value: JSON) -> Any:
    """The reference model: what each operator family accepts, written without asl's helpers."""
    if family == "String":
        return value if type(value) is str else None
    if family == "Numeric":
        return value if type(value) in (int, float) else None
    if family == "Boolean":
        return value if type(value) is bool else None
    return KNOWN_INSTANTS.get(value) if type(value) is str else None


def model_matches(pattern: str, text: str) -> bool:
    tokens: list[str | None] = []  # None: the wildcard
    chars = iter(pattern)
    for char in chars:
        tokens.append(next(chars) if char == "\\" else None if char == "*" else char)

    def match(t: int, s: int) -> bool:
        if t == len(tokens):
            return s == len(text)
        if tokens[t] is None:
            return any(match(t + 1, k) for k in range(s, len(text) + 1))
        return s < len(text) and text[s] == tokens[t] and match(t + 1, s + 1)

    return match(0, 0)


def model(operator_name: str, operand: JSON, value: JSON) -> bool:
    if operator_name == "IsPresent":
        return operand is True
    if operator_name == "IsNull":
        return (value is None) == operand
    if operator_name in TYPE_TESTS:
        return (model_key(operator_name.removeprefix("Is"), value) is not None) == operand
    if operator_name == "StringMatches":
        return type(value) is str and model_matches(str(operand), value)
    name = operator_name.removesuffix("Path")
    family = next(f for f in ("String", "Numeric", "Timestamp", "Boolean") if name.startswith(f))
    left, right = model_key(family, value), model_key(family, operand)
    if left is None or right is None:
        return False
    return bool(RELATIONS[name.removeprefix(family)](left, right))


@given(st.sampled_from(COMPARISONS), values, values, st.booleans())
def test_comparisons_agree_with_the_reference_model(name: str, operand: JSON, value: JSON, by_path: bool) -> None:
    family = next(f for f in ("String", "Numeric", "Timestamp", "Boolean") if name.startswith(f))
    expected = model(name, operand, value)
    if by_path:
        assert holds({"Variable": "$.v", name + "Path": "$.w"}, {"v": value, "w": operand}) is expected
    elif model_key(family, operand) is None:
        with pytest.raises(ExpressionError):
            choice.compile_rule({"Variable": "$.v", name: operand})
    else:
        assert holds({"Variable": "$.v", name: operand}, {"v": value}) is expected


@given(st.sampled_from(TYPE_TESTS), st.booleans(), values)
def test_type_tests_agree_with_the_reference_model(name: str, operand: bool, value: JSON) -> None:
    assert holds({"Variable": "$.v", name: operand}, {"v": value}) is model(name, operand, value)


@given(st.text(st.sampled_from("ab*\\"), max_size=6), st.text(st.sampled_from("ab*\\"), max_size=6))
def test_string_matches_agrees_with_the_reference_model(pattern: str, text: str) -> None:
    trailing = len(pattern) - len(pattern.rstrip("\\"))
    if trailing % 2:
        with pytest.raises(ExpressionError):
            choice.compile_rule({"Variable": "$", "StringMatches": pattern})
    else:
        assert holds({"Variable": "$", "StringMatches": pattern}, text) is model_matches(pattern, text)


# Rules over an input that always has $.v and $.w, so they never fail.
leaf_rules = st.one_of(
    st.builds(
        lambda name, path: {"Variable": path, name + "Path": "$.w"},
        st.sampled_from(COMPARISONS),
        st.sampled_from(["$.v", "$.w"]),
    ),
    st.builds(
        lambda name, operand, path: {"Variable": path, name: operand},
        st.sampled_from(TYPE_TESTS),
        st.booleans(),
        st.sampled_from(["$.v", "$.w"]),
    ),
)
rules = st.recursive(
    leaf_rules,
    lambda children: st.one_of(
        st.builds(lambda r: {"Not": r}, children),
        st.builds(lambda rs: {"And": rs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda rs: {"Or": rs}, st.lists(children, min_size=1, max_size=3)),
    ),
    max_leaves=6,
)
inputs = st.builds(lambda v, w: {"v": v, "w": w}, values, values)


@given(rules, inputs)
def test_not_not_is_the_rule_itself(rule: dict[str, Any], value: JSON) -> None:
    assert holds({"Not": {"Not": rule}}, value) is holds(rule, value)


@given(st.lists(rules, min_size=1, max_size=4), inputs)
def test_and_or_agree_with_all_and_any(children: list[dict[str, Any]], value: JSON) -> None:
    results = [holds(rule, value) for rule in children]
    assert holds({"And": children}, value) is all(results)
    assert holds({"Or": children}, value) is any(results)


# Small JSON only: the rule dicts nest, and big leaves make generation too slow to be useful.
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=2) | st.dictionaries(texts, children, max_size=2),
    max_leaves=3,
)
rule_keys = st.sampled_from(
    ["Variable", "And", "Or", "Not", "Next", "Comment", "Assign", "StringMatches", "Bogus"]
    + COMPARISONS
    + [name + "Path" for name in COMPARISONS]
    + TYPE_TESTS
)
path_like = st.one_of(
    st.sampled_from(["$", "$.v", "$$.Execution", "$limit", "$.a[0]", "$..x", "$.a[*]", "$[", "$.", "$.a[?(@.x)]"]),
    st.text(alphabet="$.[]'\"*?@:,0a \\", max_size=8),
)
raw_rules = st.recursive(
    st.dictionaries(rule_keys, st.one_of(json_values, path_like), max_size=3),
    lambda children: st.dictionaries(rule_keys, st.one_of(children, st.lists(children, max_size=2)), max_size=2),
    max_leaves=4,
)


def _with(rule: dict[str, Any], key: str, value: JSON) -> dict[str, Any]:
    return {**rule, key: value}


# Mostly-valid rules too: purely random dicts almost never compile, and evaluation needs some that do.
fuzzed_rules = st.one_of(
    raw_rules,
    rules,
    st.builds(
        lambda name, operand, path: {"Variable": path, name: operand},
        st.sampled_from(COMPARISONS + ["StringMatches"]),
        values,
        path_like,
    ),
    st.builds(_with, rules, rule_keys, st.one_of(json_values, path_like)),
)


@given(fuzzed_rules)
def test_any_dict_compiles_to_a_rule_or_expression_error(raw: dict[str, Any]) -> None:
    with contextlib.suppress(ExpressionError):  # any other exception is a bug
        assert isinstance(choice.compile_rule(raw), choice.Rule)


@given(fuzzed_rules, inputs)
def test_evaluating_a_compiled_rule_raises_only_asl_errors(raw: dict[str, Any], value: JSON) -> None:
    try:
        rule = choice.compile_rule(raw)
    except ExpressionError:
        return
    with contextlib.suppress(RuntimeFailure):
        assert isinstance(rule.evaluate(value, ENV), bool)


timestamp_like = st.one_of(
    st.text(),
    texts,
    st.text(alphabet="0123456789-:.TZtz+ ", max_size=40),
    timestamp_texts().flatmap(lambda t: st.integers(0, len(t)).map(lambda i: t[:i] + t[i + 1 :])),
)


@given(timestamp_like)
def test_timestamp_parsing_never_raises(text: str) -> None:
    parsed, key = timestamps.parse(text), timestamps.instant(text)
    assert (parsed is None) == (key is None)
    if parsed is not None:
        assert parsed.tzinfo is not None


@given(timestamp_texts())
def test_timestamps_parse_to_the_instant_they_name(text: str) -> None:
    exact = KNOWN_INSTANTS[text]
    parsed = timestamps.parse(text)
    assert parsed is not None
    assert Fraction(int((parsed - EPOCH) // timedelta(microseconds=1)), 10**6) == Fraction(int(exact * 10**6), 10**6)


def test_an_invalid_literal_is_caught_at_compile_time_not_run_time() -> None:
    with pytest.raises(AslError):
        choice.compile_rule({"Variable": "$.v", "TimestampLessThan": "yesterday"})
