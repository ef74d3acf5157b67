"""Payload templates (asl.templates): `.$` keys are evaluated, every other value is literal;
examples with AWS's failure text, then properties."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asl import templates
from asl.context import JSON, Env
from asl.errors import AslError, ExpressionError, RuntimeFailure
from strategies import json_scalars, json_values, same_json, texts

ENV = Env(context={"Execution": {"Name": "run-1"}, "Map": {"Item": {"Index": 2, "Value": "v"}}}, variables={"x": 7})


def build(raw: JSON, value: JSON = None, env: Env = ENV) -> JSON:
    return templates.compile(raw).evaluate(value, env)


# -- examples -------------------------------------------------------------------------------------


def test_dollar_key_is_renamed_and_evaluated() -> None:
    assert build({"id.$": "$.order.id"}, {"order": {"id": 5}}) == {"id": 5}


def test_literal_key_keeps_a_path_looking_string() -> None:
    assert build({"id": "$.order.id"}, {"order": {"id": 5}}) == {"id": "$.order.id"}


def test_context_path_in_a_template() -> None:
    assert build({"index.$": "$$.Map.Item.Index", "name.$": "$$.Execution.Name"}, {}) == {"index": 2, "name": "run-1"}


def test_variable_path_in_a_template() -> None:
    assert build({"x.$": "$x"}, {}) == {"x": 7}


def test_intrinsic_call_in_a_template() -> None:
    assert build({"s.$": "States.Format('{} and {}', $.a, $x)"}, {"a": "one"}) == {"s": "one and 7"}


def test_dollar_keys_inside_nested_objects_and_arrays_evaluate() -> None:
    raw = {"outer": {"inner.$": "$.a"}, "list": [{"item.$": "$.b"}, "literal"]}
    assert build(raw, {"a": 1, "b": 2}) == {"outer": {"inner": 1}, "list": [{"item": 2}, "literal"]}


def test_wildcard_value_yields_a_list() -> None:
    assert build({"all.$": "$.a[*].v"}, {"a": [{"v": 1}, {"v": 2}]}) == {"all": [1, 2]}


def test_missing_path_fails_with_the_aws_text() -> None:
    with pytest.raises(RuntimeFailure) as raised:
        build({"value.$": "$.missing"}, {"a": 1})
    assert (
        raised.value.cause
        == "The JSONPath '$.missing' specified for the field 'value.$' could not be found in the input '{\"a\":1}'"
    )


def test_missing_context_path_quotes_the_context() -> None:
    with pytest.raises(RuntimeFailure) as raised:
        build({"t.$": "$$.Task.Token"}, {"a": 1})
    assert "specified for the field 't.$' could not be found in the input '{\"Execution\"" in raised.value.cause


def test_dollar_key_with_a_non_string_value_does_not_compile() -> None:
    with pytest.raises(ExpressionError):
        templates.compile({"n.$": 3})


def test_dollar_key_with_text_that_is_neither_path_nor_call_does_not_compile() -> None:
    with pytest.raises(AslError):
        templates.compile({"n.$": "not a path"})


def test_template_without_dollar_keys_is_constant() -> None:
    assert templates.compile({"a": [1, {"b": "$.c"}]}).constant


def test_template_with_a_dollar_key_is_not_constant() -> None:
    assert not templates.compile({"a": [1, {"b.$": "$.c"}]}).constant


# -- properties -----------------------------------------------------------------------------------

literal_keys = texts.filter(lambda key: not key.endswith(".$"))
literal_templates: st.SearchStrategy[JSON] = st.recursive(
    json_scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(literal_keys, children, max_size=4)),
    max_leaves=20,
)
names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)


@given(literal_templates, json_values)
def test_template_with_only_literal_keys_returns_the_literal(raw: JSON, value: JSON) -> None:
    assert same_json(build(raw, value), raw)


@given(st.dictionaries(names, json_values, max_size=6))
def test_dollar_keys_select_the_named_input_fields(document: dict[str, Any]) -> None:
    raw = {f"{name}.$": f"$.{name}" for name in document}
    assert same_json(build(raw, document), document)


@given(st.dictionaries(names, json_values, max_size=6), st.dictionaries(names, literal_templates, max_size=4))
def test_dollar_and_literal_keys_mix(document: dict[str, Any], literals: dict[str, Any]) -> None:
    raw: dict[str, Any] = {f"{name}.$": f"$.{name}" for name in document}
    raw.update({f"lit_{name}": value for name, value in literals.items()})
    expected = {**document, **{f"lit_{name}": value for name, value in literals.items()}}
    assert same_json(build(raw, document), expected)


@given(json_values)
def test_dollar_path_copies_the_whole_input(value: JSON) -> None:
    assert same_json(build({"all.$": "$"}, value), {"all": value})


@given(st.dictionaries(texts, st.one_of(texts, json_values), max_size=4))
def test_any_template_compiles_or_fails_with_an_asl_error(raw: dict[str, Any]) -> None:
    with contextlib.suppress(AslError):  # any other exception is a bug
        templates.compile(raw)
