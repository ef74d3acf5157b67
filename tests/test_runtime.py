"""What a run carries: payload sizes and the numeric fields read through paths."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asl.errors import RuntimeFailure
from asl.runtime import Sizes, number

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30,
)


@given(json_values)
def test_size_is_the_compact_utf8_json_length(value: object) -> None:
    expected = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    assert Sizes().size(value) == expected  # type: ignore[arg-type]


@given(json_values)
def test_size_is_the_same_when_asked_again(value: object) -> None:
    sizes = Sizes()
    assert sizes.size(value) == sizes.size(value)  # type: ignore[arg-type]


def test_a_container_shared_by_two_outputs_is_measured_once_and_stays_right() -> None:
    sizes = Sizes()
    shared = {"records": list(range(100))}
    first = {"data": shared, "n": 1}
    second = {"data": shared, "n": 22}
    assert sizes.size(first) == len(json.dumps(first, separators=(",", ":")))
    assert sizes.size(second) == len(json.dumps(second, separators=(",", ":")))


@pytest.mark.parametrize(("value", "expected"), [(3, 3), (3.0, 3), ("4", 4), ("-2", -2)])
def test_number_accepts_integers_and_numeric_text(value: object, expected: int) -> None:
    assert number(value, "MaxConcurrencyPath", "$.n") == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["NoNumber", {}, [], True, None, 1.5])
def test_number_rejects_what_aws_rejects_with_its_message(value: object) -> None:
    with pytest.raises(RuntimeFailure) as failure:
        number(value, "MaxConcurrencyPath", "$.n")  # type: ignore[arg-type]
    assert failure.value.cause.startswith('The MaxConcurrencyPath field refers to value "')
    assert failure.value.cause.endswith('" which is not a valid integer: $.n')
