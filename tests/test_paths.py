"""JSONPath (asl.paths): examples of get/put and AWS's failure texts, then properties: put/get round
trips, copy on write, agreement with jsonpath-ng, and "a Path or an AslError" for any text."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

import jsonpath_ng
import jsonpath_ng.ext
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asl import paths
from asl.context import JSON, Env
from asl.errors import AslError, ExpressionError, ResultPathMatchFailure, RuntimeFailure
from strategies import json_scalars, json_values, same_json, texts

ENV = Env(
    context={"State": {"Name": "S"}, "Map": {"Item": {"Index": 3}}}, variables={"cfg": {"limits": [10, 20]}, "n": 1}
)


def get(text: str, value: JSON, env: Env = ENV) -> JSON:
    return paths.compile(text).get(value, env)


# -- examples: get --------------------------------------------------------------------------------


def test_dollar_selects_the_whole_value() -> None:
    assert get("$", {"a": 1}) == {"a": 1}


def test_dot_and_index_segments() -> None:
    assert get("$.a[1].b", {"a": [{"b": 1}, {"b": 2}]}) == 2


def test_bracket_names_reach_keys_with_spaces_and_dots() -> None:
    assert get("$['a b']['c.d']", {"a b": {"c.d": 5}}) == 5


def test_double_quoted_bracket_names() -> None:
    assert get('$["a b"]', {"a b": 5}) == 5


def test_context_root_reads_the_context_object() -> None:
    assert get("$$.State.Name", {"ignored": True}) == "S"


def test_variable_root_reads_a_variable() -> None:
    assert get("$cfg.limits[0]", {}) == 10


def test_undefined_variable_is_a_runtime_failure() -> None:
    with pytest.raises(RuntimeFailure):
        get("$missing", {})


def test_wildcard_gathers_every_match() -> None:
    assert get("$.a[*].b", {"a": [{"b": 1}, {"c": 0}, {"b": 3}]}) == [1, 3]


def test_deep_scan_finds_nested_keys() -> None:
    assert sorted(get("$..id", {"id": 1, "x": {"id": 2, "y": [{"id": 3}]}})) == [1, 2, 3]  # type: ignore[type-var]


def test_indefinite_path_matching_nothing_is_an_empty_list() -> None:
    assert get("$.a[*].nope", {"a": [{"b": 1}]}) == []


def test_filter_path_selects_matching_elements() -> None:
    assert get("$.a[?(@.n > 1)].n", {"a": [{"n": 1}, {"n": 2}, {"n": 3}]}) == [2, 3]


def test_missing_leaf_names_the_whole_path() -> None:
    with pytest.raises(paths.PathNotFound) as raised:
        get("$.a.b", {"a": {}})
    assert raised.value.cause == "Invalid path '$.a.b' : No results for path: $['a']['b']"


def test_missing_intermediate_names_the_prefix_that_is_missing() -> None:
    with pytest.raises(paths.PathNotFound) as raised:
        get("$.no.such.path", {"a": 1})
    assert raised.value.cause == "Invalid path '$.no.such.path' : Missing property in path $['no']"


def test_index_past_the_end_is_not_found() -> None:
    with pytest.raises(paths.PathNotFound):
        get("$.a[5]", {"a": [1]})


def test_key_on_a_scalar_is_not_found() -> None:
    with pytest.raises(paths.PathNotFound):
        get("$.a.b", {"a": 3})


# -- examples: put ----------------------------------------------------------------------------------


def test_put_at_dollar_replaces_the_value() -> None:
    assert paths.compile("$").put({"a": 1}, [2]) == [2]


def test_put_creates_intermediate_objects() -> None:
    assert paths.compile("$.a.b.c").put({"x": 1}, 7) == {"x": 1, "a": {"b": {"c": 7}}}


def test_put_overwrites_an_existing_node() -> None:
    assert paths.compile("$.a").put({"a": {"old": 1}}, "new") == {"a": "new"}


def test_put_into_an_existing_array_element() -> None:
    assert paths.compile("$.a[1].b").put({"a": [{}, {"b": 0}]}, 9) == {"a": [{}, {"b": 9}]}


def test_put_shares_the_untouched_subtrees() -> None:
    original: dict[str, Any] = {"keep": {"big": [1, 2, 3]}, "change": {"x": 1}}
    updated = paths.compile("$.change.x").put(original, 2)
    assert updated["keep"] is original["keep"]  # type: ignore[index]


def test_put_into_a_scalar_fails_with_the_aws_text() -> None:
    with pytest.raises(ResultPathMatchFailure) as raised:
        paths.compile("$.r").put("text", 1)
    assert raised.value.cause == 'Unable to apply ReferencePath $.r to input "text"'


def test_put_past_the_end_of_an_array_fails() -> None:
    with pytest.raises(ResultPathMatchFailure):
        paths.compile("$.a[3]").put({"a": [1]}, 2)


# -- examples: compiling --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "a.b", " $.a", " ", "$[", "$.a[?(@.x ==]"])
def test_invalid_path_text_is_an_expression_error(text: str) -> None:
    with pytest.raises(ExpressionError):
        paths.compile(text)


@pytest.mark.parametrize("text", ["$.a[*]", "$..a", "$.a[0:2]", "$.a[?(@.x)]", "$.a,b"])
def test_reference_paths_reject_operators_that_select_many(text: str) -> None:
    with pytest.raises(ExpressionError):
        paths.compile_reference(text)


@pytest.mark.parametrize("text", ["$", "$.a", "$.a[0].b", "$['a b']", "$$.Map.Item.Index", "$var.x"])
def test_reference_paths_accept_single_node_paths(text: str) -> None:
    assert paths.compile_reference(text).definite


def test_trailing_white_space_is_ignored_as_aws_ignores_it() -> None:
    path = paths.compile("$$.Execution.Name \t")
    assert path.text == "$$.Execution.Name \t"
    assert path.get(None, Env(context={"Execution": {"Name": "run-1"}})) == "run-1"
    assert paths.compile_reference("$.a ").get({"a": 1}, ENV) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$.[?(@.OU > 0)]", [{"OU": 2}]),
        ("$.[0]", {"OU": 0}),
        ("$.items.[?(@.OU > 0)]", [{"OU": 2}]),
        ("$..[?(@.OU > 0)]", [{"OU": 2}]),
        ("$.[?(@.name == '.[x')]", []),
    ],
)
def test_a_bracket_right_after_a_dot_reads_as_the_bracket_alone(text: str, expected: JSON) -> None:
    items = [{"OU": 0}, {"OU": 2}]
    document: JSON = {"items": items} if ".items" in text else items
    assert get(text, document) == expected


def test_compile_is_cached_per_text() -> None:
    assert paths.compile("$.cached.path") is paths.compile("$.cached.path")


# -- properties -----------------------------------------------------------------------------------

# Keys that a bracketed path can spell: no quote or backslash, which need escaping rules of their own.
keys = st.text(st.characters(codec="ascii", categories=("L", "N"), include_characters=" _-"), min_size=1, max_size=6)
identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,5}", fullmatch=True)
documents: st.SearchStrategy[JSON] = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys | identifiers, children, max_size=4)
    ),
    max_leaves=15,
)


def spell(segments: list[str | int], dotted: list[bool]) -> str:
    """A path's text: indices in brackets, keys as `.name` when allowed and chosen, else `['name']`."""
    text = "$"
    for segment, dot in zip(segments, dotted, strict=True):
        if isinstance(segment, int):
            text += f"[{segment}]"
        elif dot and segment.isidentifier() and segment.isascii():
            text += f".{segment}"
        else:
            text += f"['{segment}']"
    return text


@st.composite
def existing_paths(draw: st.DrawFn, document: JSON) -> list[str | int]:
    """A path to a node that exists in `document`, drawn by walking down from the root."""
    segments: list[str | int] = []
    node = document
    while isinstance(node, list | dict) and node and draw(st.booleans()):
        if isinstance(node, list):
            index = draw(st.integers(0, len(node) - 1))
            segments.append(index)
            node = node[index]
        else:
            key = draw(st.sampled_from(sorted(node)))
            segments.append(key)
            node = node[key]
    return segments


@st.composite
def writable_paths(draw: st.DrawFn, document: JSON) -> list[str | int]:
    """An existing path, then (where the node is an object or missing) new keys below it."""
    segments = draw(existing_paths(document))
    node = document
    for segment in segments:
        node = node[segment]  # type: ignore[index]
    if isinstance(node, dict) or node is None:
        segments += draw(st.lists(keys, max_size=3))
    return segments


@given(st.data(), documents, json_values)
def test_put_then_get_returns_the_value(data: st.DataObject, document: JSON, value: JSON) -> None:
    segments = data.draw(writable_paths(document))
    path = paths.compile(
        spell(segments, data.draw(st.lists(st.booleans(), min_size=len(segments), max_size=len(segments))))
    )
    with contextlib.suppress(ResultPathMatchFailure):  # a scalar root cannot take keys
        updated = path.put(document, value)
        assert same_json(path.get(updated, ENV), value)


@given(st.data(), documents, json_values)
def test_put_leaves_the_original_untouched(data: st.DataObject, document: JSON, value: JSON) -> None:
    segments = data.draw(writable_paths(document))
    before = copy.deepcopy(document)
    with contextlib.suppress(ResultPathMatchFailure):
        paths.compile(spell(segments, [False] * len(segments))).put(document, value)
    assert same_json(document, before)


@given(st.data(), documents, json_values)
def test_put_changes_nothing_outside_its_path(data: st.DataObject, document: JSON, value: JSON) -> None:
    segments = data.draw(existing_paths(document))
    if not segments or not isinstance(document, dict):
        return
    updated = paths.compile(spell(segments, [False] * len(segments))).put(document, value)
    assert isinstance(updated, dict)
    for key in document:
        if key != segments[0]:
            assert same_json(updated[key], document[key])


@given(st.data(), documents)
def test_plain_path_get_agrees_with_jsonpath_ng(data: st.DataObject, document: JSON) -> None:
    segments = data.draw(existing_paths(document))
    text = spell(segments, data.draw(st.lists(st.booleans(), min_size=len(segments), max_size=len(segments))))
    reference = [match.value for match in jsonpath_ng.parse(text).find(document)]
    assert len(reference) == 1
    assert same_json(get(text, document), reference[0])


@given(documents, st.lists(keys, min_size=1, max_size=3))
def test_plain_path_is_not_found_exactly_when_jsonpath_ng_finds_nothing(document: JSON, segments: list[str]) -> None:
    text = spell(list(segments), [False] * len(segments))
    reference = [match.value for match in jsonpath_ng.parse(text).find(document)]
    try:
        found = get(text, document)
    except paths.PathNotFound:
        assert reference == []
    else:
        assert len(reference) == 1 and same_json(found, reference[0])


@given(st.dictionaries(keys, st.lists(st.dictionaries(keys, json_scalars, max_size=3), max_size=4), max_size=3), keys)
def test_wildcard_get_agrees_with_jsonpath_ng(document: dict[str, Any], key: str) -> None:
    for name in document:
        text = f"$['{name}'][*]['{key}']"
        reference = [match.value for match in jsonpath_ng.ext.parse(text).find(document)]
        assert same_json(get(text, document), reference)


@settings(max_examples=300)
@given(st.one_of(texts, st.text(alphabet="$.[]'\"*?@:,()0123456789ab -", max_size=20)))
def test_any_text_compiles_or_fails_with_an_asl_error(text: str) -> None:
    with contextlib.suppress(AslError):  # any other exception is a bug
        paths.compile(text)


@given(documents)
def test_dollar_get_is_the_identity(document: JSON) -> None:
    assert get("$", document) is document
