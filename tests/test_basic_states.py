"""Pass, Choice, Succeed and Fail each run one `work`, composed by `states.basic` when compiled:
every such state has one, and a plain Pass knows how large its output can be (`State.growth`)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import asl
from asl.context import Env
from asl.errors import ExecutionError
from helpers import machine, run
from strategies import json_values

KEYS = st.sampled_from(["a", "b", "c"])


def outcome(act: Any) -> Any:
    try:
        return ("ok", act())
    except ExecutionError as error:
        return ("error", error.error, error.cause)


@pytest.mark.parametrize(
    ("body", "value", "expected"),
    [
        ({"Type": "Pass", "InputPath": "$.a", "Next": "P"}, {"a": 1}, ("ok", (1, "P", None))),
        ({"Type": "Pass", "OutputPath": "$.a", "Next": "P"}, {"a": 2}, ("ok", (2, "P", None))),
        ({"Type": "Pass", "Assign": {"x": 1}, "Next": "P"}, {"a": 3}, ("ok", ({"a": 3}, "P", {"x": 1}))),
        ({"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% 1 %}", "Next": "P"}, {}, ("ok", (1, "P", None))),
        (
            {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": True, "Next": "P", "Assign": {"x": 1}}]},
            {"a": 4},
            ("ok", ({"a": 4}, "P", {"x": 1})),
        ),
        (
            {"Type": "Choice", "InputPath": "$.a", "Choices": [{"Variable": "$", "IsPresent": True, "Next": "P"}]},
            {"a": 5},
            ("ok", (5, "P", None)),  # the effective input, as OutputPath found it
        ),
        ({"Type": "Succeed", "OutputPath": "$.a"}, {"a": 6}, ("ok", (6, None, None))),
        ({"Type": "Fail", "Error": "E", "Cause": "why"}, {}, ("error", "E", "why")),
    ],
)
def test_every_instant_state_runs_its_one_work(body: dict[str, Any], value: Any, expected: Any) -> None:
    states = {"S": body, "P": {"Type": "Pass", "End": True}}
    if body["Type"] in ("Succeed", "Fail"):
        del states["P"]
    state = machine(states).states["S"]
    assert outcome(lambda: state.work(value, Env({"State": {"Name": "S"}}), [])) == expected


def test_a_plain_choice_records_the_rule_that_decided() -> None:
    rules = [
        {"Variable": "$.a", "NumericLessThan": 0, "Next": "P"},
        {"Variable": "$.a", "IsPresent": True, "Next": "P"},
    ]
    state = machine({"C": {"Type": "Choice", "Choices": rules}, "P": {"Type": "Succeed"}}).states["C"]
    decisions: list[Any] = []
    assert state.work({"a": 1}, Env({}), decisions) == ({"a": 1}, "P", None)
    assert [(d.state, d.clause) for d in decisions] == [("C", 1)]


# -- the size bound of a plain Pass (State.growth) ------------------------------------------------

values = st.sampled_from(
    [
        "$",
        "$.a",
        "$.a.b",
        "$.b",
        "$$.State.Name",
        "States.MathAdd(-2147483648, -2147483648)",
        "States.UUID()",
    ]
)
templates = st.recursive(
    st.dictionaries(KEYS.map(lambda key: key + ".$"), values, max_size=3)
    | st.dictionaries(KEYS, json_values, max_size=2),
    lambda children: st.dictionaries(st.text(max_size=4), children, max_size=3) | st.lists(children, max_size=3),
    max_leaves=6,
)


def compact_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


@given(
    st.one_of(
        st.fixed_dictionaries({"Parameters": templates.filter(lambda t: isinstance(t, dict))}),
        st.fixed_dictionaries({"Result": json_values}),
    ),
    st.sampled_from([{}, {"ResultPath": "$.a"}, {"ResultPath": "$.new.deep"}, {"ResultPath": "$"}]),
    st.fixed_dictionaries({}, optional={"a": json_values, "b": json_values}),
    st.sampled_from(["P", 'Ünïcødé "name"']),
)
def test_a_plain_pass_output_is_within_its_bound(
    fields: dict[str, Any], placed: dict[str, Any], value: dict[str, Any], name: str
) -> None:
    state = machine({name: {"Type": "Pass", **fields, **placed, "End": True}}).states[name]
    assert state.growth is not None
    fixed, copies = state.growth
    outcome_ = outcome(lambda: state.work(value, Env({"State": {"Name": name}}), []))
    if outcome_[0] == "ok":
        assert compact_size(outcome_[1][0]) <= fixed + copies * compact_size(value)


@pytest.mark.parametrize(
    "fields",
    [
        {"Parameters": {"x.$": "$$.Execution.Input"}},
        {"Parameters": {"x.$": "$..a"}},
        {"Parameters": {"x.$": "States.Format('{}', $.a)"}},
        {"Parameters": {"x.$": "$v"}},
        {"InputPath": "$.a"},
    ],
)
def test_a_pass_that_may_grow_past_any_bound_has_none(fields: dict[str, Any]) -> None:
    assert machine({"P": {"Type": "Pass", **fields, "End": True}}).states["P"].growth is None


@pytest.mark.anyio
async def test_an_output_over_the_quota_fails_even_when_bounded_by_its_input() -> None:
    # {"a": $, "b": $} doubles the input: 150,000 bytes in, about 300,000 out.
    mach = machine({"P": {"Type": "Pass", "Parameters": {"a.$": "$", "b.$": "$"}, "End": True}})
    execution = await run(mach, {"text": "x" * 150_000})
    assert execution.status is asl.Status.FAILED
    assert execution.error == "States.DataLimitExceeded"
