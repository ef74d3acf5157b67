"""Arbitrary text into the three expression compilers, and what compiles evaluated on arbitrary
data: a compiled expression or an AslError, a JSON value or an AslError, nothing else."""

from __future__ import annotations

import contextlib
import json
import random

from hypothesis import given
from hypothesis import strategies as st

from asl import intrinsics, jsonata, paths, templates
from asl.context import JSON, Env
from asl.errors import AslError
from strategies import intrinsic_like_texts, json_values, texts

from . import examples

# Path-shaped text: the JSONPath grammar's own tokens, valid or not.
_PATH_TOKENS = st.one_of(
    st.sampled_from(["$", "$$", "$.", "$v", "$.a", ".b", "..", "*", "[", "]", "[0]", "[-1]", "['k']", '["k"]']),
    st.sampled_from(["[*]", "[1:3]", "[?(@.a > 1)]", "@", "?", ",", ":", "'", '"', "\\", " ", "(", ")", "0", "x"]),
    st.sampled_from(["[?(@.a == 'x')]", "[(@.length-1)]", "$.a.b.c", "$$.Execution.Id", "$$.Map.Item.Value"]),
    st.text(max_size=3),
)
path_like_texts = st.lists(_PATH_TOKENS, max_size=12).map("".join)

# JSONata-shaped text: operators, functions, variables (including Python's dunder names).
_JSONATA_TOKENS = st.one_of(
    st.sampled_from(["$states", ".input", ".context", ".result", "$", "$$", "$x", ":=", ";", "(", ")", "[", "]"]),
    st.sampled_from(["{", "}", ":", ",", "'", '"', "+", "-", "*", "/", "%", "&", "=", "!=", "<", ">", "..", "?"]),
    st.sampled_from(["$sum(", "$count(", "$string(", "$number(", "$range(", "$partition(", "$hash(", "$parse("]),
    st.sampled_from(["$uuid()", "$random()", "$now()", "$eval(", "function($a){", "$lookup(", "$keys(", "$map("]),
    st.sampled_from(
        ["__class__", "__globals__", "__import__", "$__builtins__", "and", "or", "in", "1", "2.5", "1e308"]
    ),
    st.sampled_from(["true", "false", "null", "'x'", '"y"', " ", "a", "b.c", "[1..3]", "~>", "@", "#", "^("]),
    st.text(max_size=3),
)
jsonata_like_texts = st.lists(_JSONATA_TOKENS, max_size=15).map("".join)


def _context() -> JSON:
    return {
        "Execution": {"Id": "arn:x", "Input": {"a": 1}, "Name": "n"},
        "State": {"Name": "S", "EnteredTime": "2024-01-01T00:00:00.000Z"},
        "Map": {"Item": {"Index": 0, "Value": "v"}},
    }


def _env(variables: dict[str, JSON] | None = None) -> Env:
    return Env(_context(), variables or {"v": {"x": [1, 2]}, "x": 3}, random.Random(0))


def _json_safe(value: object) -> None:
    json.dumps(value, allow_nan=False)


# -- JSONPath ----------------------------------------------------------------------------------


@examples(ci=300, long=100_000)
@given(st.one_of(texts, path_like_texts), json_values)
def test_path_text_compiles_and_evaluates_or_fails_cleanly(text: str, data: JSON) -> None:
    try:
        path = paths.compile(text)
    except AslError:
        return
    with contextlib.suppress(AslError):
        _json_safe(path.get(data, _env()))
    with contextlib.suppress(AslError):
        path.exists(data, _env())


@examples(ci=200, long=60_000)
@given(st.one_of(texts, path_like_texts), json_values, json_values)
def test_reference_path_text_puts_or_fails_cleanly(text: str, target: JSON, value: JSON) -> None:
    try:
        path = paths.compile_reference(text)
    except AslError:
        return
    with contextlib.suppress(AslError):
        _json_safe(path.put(target, value))


# -- intrinsic functions -----------------------------------------------------------------------


@examples(ci=300, long=100_000)
@given(st.one_of(texts, intrinsic_like_texts), json_values)
def test_intrinsic_text_compiles_and_evaluates_or_fails_cleanly(text: str, data: JSON) -> None:
    try:
        call = intrinsics.compile(text)
    except AslError:
        return
    with contextlib.suppress(AslError):
        _json_safe(call.evaluate(data, _env()))


_INTRINSIC_NAMES = st.sampled_from(sorted(intrinsics.INTRINSICS))
_ARGUMENT_TEXTS = st.one_of(
    st.sampled_from(["$", "$.a", "$.a[0]", "$$", "$$.Execution.Input", "$v", "$v.x", "$x", "$.big"]),
    st.sampled_from(["0", "-1", "1001", "1.5", "1e9", "true", "false", "null", "''", "'SHA-256'", "'{}'"]),
    st.sampled_from(["'__import__(\\'os\\')'", "'os.system'", "'__class__'", "'{} {}'", "'a,b'", "'MD5'"]),
    texts.map(lambda text: "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"),
)


@st.composite
def intrinsic_calls(draw: st.DrawFn, depth: int = 0) -> str:
    name = draw(_INTRINSIC_NAMES)
    arguments = draw(
        st.lists(_ARGUMENT_TEXTS if depth >= 2 else st.one_of(_ARGUMENT_TEXTS, intrinsic_calls(depth + 1)), max_size=4)
    )
    return f"{name}({', '.join(arguments)})"


@examples(ci=300, long=60_000)
@given(intrinsic_calls(), json_values)
def test_well_formed_intrinsic_calls_with_any_arguments_give_json_or_an_asl_error(text: str, data: JSON) -> None:
    try:
        call = intrinsics.compile(text)
    except AslError:
        return
    with contextlib.suppress(AslError):
        _json_safe(call.evaluate({"a": data, "big": "x" * 10_001}, _env()))


# -- JSONata -----------------------------------------------------------------------------------


@examples(ci=150, long=100_000)
@given(
    st.one_of(texts, jsonata_like_texts.map(lambda text: "{%" + text + "%}"), texts.map(lambda t: "{% " + t + " %}"))
)
def test_jsonata_text_compiles_or_fails_cleanly(text: str) -> None:
    with contextlib.suppress(AslError):
        jsonata.compile(text)


@examples(ci=150, long=60_000)
@given(jsonata_like_texts, json_values)
def test_jsonata_expressions_evaluate_to_json_or_an_asl_error(text: str, data: JSON) -> None:
    try:
        expression = jsonata.compile("{% " + text + " %}")
    except AslError:
        return
    states: dict[str, JSON] = {"input": data, "context": _context()}
    with contextlib.suppress(AslError):
        _json_safe(expression.evaluate(states, _env({"x": data}), "Output"))


# -- payload templates -------------------------------------------------------------------------

_TEMPLATE_VALUES = st.one_of(path_like_texts, intrinsic_calls(), texts, st.sampled_from(["$", "$.a", "$$", "$v"]))
template_objects = st.recursive(
    st.dictionaries(
        st.one_of(texts, texts.map(lambda key: key + ".$")), st.one_of(json_values, _TEMPLATE_VALUES), max_size=4
    ),
    lambda children: st.dictionaries(st.one_of(texts, texts.map(lambda key: key + ".$")), children, max_size=3),
    max_leaves=10,
)


@examples(ci=200, long=50_000)
@given(st.one_of(template_objects, json_values), json_values)
def test_payload_templates_compile_and_fill_or_fail_cleanly(raw: JSON, data: JSON) -> None:
    try:
        template = templates.compile(raw)
    except AslError:
        return
    with contextlib.suppress(AslError):
        _json_safe(template.evaluate(data, _env()))
