"""Hypothesis strategies shared by the property tests: JSON values and expression-shaped text."""

from __future__ import annotations

from hypothesis import strategies as st

from asl.context import JSON

__all__ = [
    "intrinsic_like_texts",
    "json_arrays",
    "json_objects",
    "json_scalars",
    "json_texts",
    "json_values",
    "same_json",
    "texts",
]

# Text without lone surrogates: what a JSON document can carry and UTF-8 can encode.
texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)

json_scalars: st.SearchStrategy[JSON] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
)

json_values: st.SearchStrategy[JSON] = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(texts, children, max_size=5),
    ),
    max_leaves=20,
)

json_arrays: st.SearchStrategy[list[JSON]] = st.lists(json_values, max_size=10)
json_objects: st.SearchStrategy[dict[str, JSON]] = st.dictionaries(texts, json_values, max_size=6)

# JSON documents as text, compact or spaced.
json_texts: st.SearchStrategy[str] = json_values.map(lambda value: _dumps(value))


def _dumps(value: JSON) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def same_json(left: JSON, right: JSON) -> bool:
    """JSON equality as AWS sees it: 1 and 1.0 differ, true is not 1, objects ignore key order."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return type(left) is type(right) and left == right
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(same_json(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(same_json(left[key], right[key]) for key in left)
    return type(left) is type(right) and left == right


_FUNCTION_NAMES = st.sampled_from(
    [
        "States.Format",
        "States.Array",
        "States.ArrayLength",
        "States.MathAdd",
        "States.StringSplit",
        "States.UUID",
        "States.JsonMerge",
        "States.Nope",
        "Format",
    ]
)
_TOKENS = st.one_of(
    _FUNCTION_NAMES,
    st.sampled_from(["(", ")", ",", " ", "'", "\\", "{}", "{", "}", "$", "$$", "$.a", "$v.x", "[", "]", "."]),
    st.sampled_from(["1", "-2.5", "1e3", "true", "false", "null", "'x'", r"'\''", r"'\{'", r"'\n'", "'"]),
    st.text(max_size=3),
)

# Text made of the intrinsic grammar's own tokens, valid or not: it reaches far deeper than st.text().
intrinsic_like_texts: st.SearchStrategy[str] = st.lists(_TOKENS, max_size=25).map("".join)
