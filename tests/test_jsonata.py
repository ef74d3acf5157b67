"""asl.jsonata: detection, templates, AWS's cause texts, AWS functions, numbers, isolation."""

from __future__ import annotations

import contextlib
import random
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asl import errors, jsonata
from asl.context import JSON, Env


def evaluate(text: str, input: JSON = None, variables: dict[str, JSON] | None = None, field: str = "Output") -> JSON:
    env = Env({"State": {"Name": "S", "EnteredTime": "2024-05-06T07:08:09.123Z"}}, variables or {})
    return jsonata.compile(text).evaluate({"input": input, "context": env.context}, env, field)


def cause_of(text: str, field: str = "Output", **kwargs: object) -> str:
    with pytest.raises(errors.QueryEvaluationError) as caught:
        evaluate(text, field=field, **kwargs)  # type: ignore[arg-type]
    assert caught.value.error == "States.QueryEvaluationError"
    return caught.value.cause


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("{% x %}", True),
        ("{%x%}", True),
        (" {% x %}", False),
        ("{% x %} ", False),
        ("{%x", False),
        ("x%}", False),
        ("{%}", False),
        ("$x", False),
        (1, False),
        (None, False),
    ],
)
def test_is_expression(value: object, expected: bool) -> None:
    assert jsonata.is_expression(value) is expected


def test_source_is_the_stripped_text_between_delimiters() -> None:
    assert jsonata.compile("{% $fn := function($x){$x} %}").source == "$fn := function($x){$x}"
    assert jsonata.compile("{%1%}").source == "1"


@pytest.mark.parametrize("text", ["{% %}", "{% 1 + %}", "{% ( %}", "1 + 1", "{% 'open %}"])
def test_invalid_text_raises_expression_error(text: str) -> None:
    with pytest.raises(errors.ExpressionError):
        jsonata.compile(text)


def test_compile_parses_each_text_once() -> None:
    assert jsonata.compile("{% $a + 1 %}").engine is jsonata.compile("{%   $a + 1 %}").engine


def test_template_evaluates_strings_at_any_depth_and_never_keys() -> None:
    template = jsonata.compile_template(
        {
            "{% 'k' %}": "{% $a %}",
            "list": [1, "{% $a * 2 %}", {"deep": "{% $states.input.x %}"}],
            "lit": " {% 1 %}",
        },
        "Output",
    )
    env = Env(variables={"a": 3})
    assert not template.constant
    assert template.evaluate({"input": {"x": "y"}}, env) == {
        "{% 'k' %}": 3,
        "list": [1, 6, {"deep": "y"}],
        "lit": " {% 1 %}",
    }


def test_constant_template_returns_its_value_itself() -> None:
    value: JSON = {"a": [1, {"b": "$x"}], "c": "{%x"}
    template = jsonata.compile_template(value, "Arguments")
    assert template.constant
    assert template.evaluate({}, Env()) is value


def test_nested_undefined_names_the_nested_field() -> None:
    template = jsonata.compile_template({"result": {"inner": "{% $doesNotExist %}"}}, "Output")
    with pytest.raises(errors.QueryEvaluationError) as caught:
        template.evaluate({"input": {}}, Env())
    assert caught.value.cause == (
        "The JSONata expression '$doesNotExist' specified for the field 'Output/result/inner' "
        "returned nothing (undefined)."
    )


def test_undefined_cause() -> None:
    assert cause_of("{% $doesNotExist %}", field="Assign/result") == (
        "The JSONata expression '$doesNotExist' specified for the field 'Assign/result' returned nothing (undefined)."
    )


def test_function_result_is_unsupported() -> None:
    assert cause_of("{% $fn := function($x){$x} %}", field="Items") == (
        "The JSONata expression '$fn := function($x){$x}' specified for the field 'Items' "
        "returned an unsupported result type."
    )


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("{% 'a' + 1 %}", 'T2001: The left side of the "+" operator must evaluate to a number'),
        ("{% 1 - 'a' %}", 'T2002: The right side of the "-" operator must evaluate to a number'),
        ("{% $number('abc') %}", 'D3030: Unable to cast value to a number: "abc"'),
        (
            "{% $uppercase(1) %}",
            'T0410: Argument 1 of function "uppercase" does not match function signature',
        ),
        ("{% $range(0,4,1,2) %}", 'T0410: Argument 4 of function "range" does not match function signature'),
        ("{% $sum(['a']) %}", 'T0412: Argument 1 of function "sum" must be an array of "numbers"'),
        ("{% $eval('1') %}", "T1006: Attempted to invoke a non-function"),
    ],
)
def test_evaluation_error_cause(text: str, detail: str) -> None:
    source = jsonata.compile(text).source
    assert cause_of(text) == (
        f"The JSONata expression '{source}' specified for the field 'Output' threw an error during evaluation. {detail}"
    )


@pytest.mark.parametrize(
    ("value", "kind", "found"),
    [
        (True, "array", "Expected 'array', but was 'boolean' for value: true"),
        (None, "array", "Expected 'array', but was 'null' for value: null"),
        ({"foo": "bar"}, "array", "Expected 'array', but was 'object' for value: {\"foo\":\"bar\"}"),
        ("string", "array", "Expected 'array', but was 'string' for value: \"string\""),
        (1.5, "integer", "Expected 'integer', but was 'number' for value: 1.5"),
    ],
)
def test_expect_reports_unexpected_type(value: JSON, kind: str, found: str) -> None:
    expression = jsonata.compile("{% $ItemsVar %}")
    with pytest.raises(errors.QueryEvaluationError) as caught:
        jsonata.expect(value, kind, expression, "Items")
    assert caught.value.cause == (
        "The JSONata expression '$ItemsVar' specified for the field 'Items' "
        f"returned an unexpected result type. {found}"
    )


@pytest.mark.parametrize(
    ("value", "kind"),
    [([1], "array"), (3, "integer"), (2.5, "number"), (False, "boolean"), ("", "string"), ({}, "object")],
)
def test_expect_passes_matching_values(value: JSON, kind: str) -> None:
    assert jsonata.expect(value, kind, None, "Field") is value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{% 1 + 1 %}", 2),
        ("{% 10 / 4 %}", 2.5),
        ("{% $floor(3.7) %}", 3),
        ("{% 2.0 * 3 %}", 6),
        ("{% $parse('-0') %}", 0),
        ("{% 2e21 * 1 %}", 2e21),
        ("{% $states.input.f %}", 1),
        ("{% $string($states.input) %}", '{"f":1,"n":null}'),
        ("{% [$states.input.f, 0.5] %}", [1, 0.5]),
    ],
)
def test_numbers_come_out_as_javascript_prints_them(text: str, expected: JSON) -> None:
    result = evaluate(text, {"f": 1.0, "n": None})
    assert result == expected
    assert type(result) is type(expected)
    if isinstance(result, list):
        assert [type(x) for x in result] == [type(x) for x in expected]  # type: ignore[union-attr]


def test_null_is_not_undefined() -> None:
    assert evaluate("{% $states.input.a %}", {"a": None}) is None
    assert evaluate("{% $n %}", variables={"n": None}) is None
    assert evaluate("{% $states.input.b %}", {"b": [1, None]}) == [1, None]


def test_results_are_plain_json() -> None:
    result = evaluate("{% [1, [2], {'a': [3]}] %}")
    assert type(result) is list
    assert type(result[1]) is list  # type: ignore[index]
    assert type(result[2]["a"]) is list  # type: ignore[index,call-overload]


@pytest.mark.parametrize(
    ("text", "input", "expected"),
    [
        ("{% $partition([0, 1, 2], 2) %}", None, [[0, 1], [2]]),
        ("{% $partition([0], 1) %}", None, [[0]]),
        ("{% $partition([0, 1, 2, 3], 2.9) %}", None, [[0, 1], [2, 3]]),
        ("{% $range(0, 10, 3) %}", None, [0, 3, 6, 9]),
        ("{% $range(1, 9, 9) %}", None, 1),
        ("{% $range(5, 1, -2) %}", None, [5, 3, 1]),
        ("{% $hash('abc', 'MD5') %}", None, "900150983cd24fb0d6963f7d28e17f72"),
        ("{% $hash('abc', 'SHA-1') %}", None, "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("{% $parse($states.input) %}", '{"Arg1": 1, "Arg2": []}', {"Arg1": 1, "Arg2": []}),
        ("{% $parse('true') %}", None, True),
        ("{% $now() %}", None, "2024-05-06T07:08:09.123Z"),
        ("{% $millis() %}", None, 1714979289123),
    ],
)
def test_aws_functions(text: str, input: JSON, expected: JSON) -> None:
    assert evaluate(text, input) == expected


@pytest.mark.parametrize("algorithm", ["SHA-256", "SHA-384", "SHA-512"])
def test_hash_algorithms(algorithm: str) -> None:
    import hashlib

    name = algorithm.replace("-", "").lower()
    assert evaluate(f"{{% $hash('x', '{algorithm}') %}}") == hashlib.new(name, b"x").hexdigest()


def test_seeded_random_and_uuid_repeat() -> None:
    expression = jsonata.compile("{% [$random(), $uuid(), $random(42)] %}")

    def draw(seed: int) -> JSON:
        env = Env(random=random.Random(seed))
        return expression.evaluate({}, env, "Output")

    first, second = draw(7), draw(7)
    assert first == second
    assert first != draw(8)
    value, text, seeded = first  # type: ignore[misc]
    assert 0 <= value < 1
    assert uuid.UUID(text).version == 4
    assert seeded == evaluate("{% $random(42.9) %}")


def test_assignment_inside_an_expression_stays_local() -> None:
    variables: dict[str, JSON] = {"x": 3, "list": [1, 2]}
    env = Env(variables=variables)
    states: dict[str, JSON] = {"input": {"a": [1]}}
    assert jsonata.compile("{% ($x := 5; $states := 1; $x) %}").evaluate(states, env, "Output") == 5
    assert jsonata.compile("{% $append($list, 3) %}").evaluate(states, env, "Output") == [1, 2, 3]
    assert variables == {"x": 3, "list": [1, 2]}
    assert states == {"input": {"a": [1]}}
    assert jsonata.compile("{% $x %}").evaluate(states, env, "Output") == 3


def test_states_wins_over_a_variable_named_states() -> None:
    assert evaluate("{% $states.input %}", "in", variables={"states": "var"}) == "in"


def test_lambdas_passed_to_higher_order_functions_see_their_own_bindings() -> None:
    # jsonata-python runs lambdas through a thread-local that only its constructor sets.
    first = jsonata.compile("{% $map($xs, function($v){ $v * $k }) %}")
    jsonata.compile("{% $other + 1 %}")
    env = Env(variables={"xs": [1, 2], "k": 10})
    assert first.evaluate({}, env, "Output") == [10, 20]


@given(st.text())
def test_any_text_compiles_or_fails_cleanly(text: str) -> None:
    with contextlib.suppress(errors.ExpressionError):  # any other exception is a bug
        assert isinstance(jsonata.compile("{%" + text + "%}"), jsonata.Expression)
    with contextlib.suppress(errors.ExpressionError):
        jsonata.compile(text)
