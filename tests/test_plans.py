"""A plain Pass or Choice runs its composed `work` (asl.plans); it must give exactly what the
general path (states.basic.run_basic) gives, and states it does not cover must have none."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import asl
from asl.context import Env
from asl.errors import ExecutionError
from asl.states.basic import run_basic
from helpers import machine, run
from strategies import json_objects, json_values

KEYS = st.sampled_from(["a", "b", "c"])

pass_fields = st.fixed_dictionaries(
    {},
    optional={
        "Parameters": st.dictionaries(KEYS.map(lambda key: key + ".$"), st.sampled_from(["$", "$.a", "$$.State.Name"]))
        | st.dictionaries(KEYS, json_values, max_size=2),
        "Result": json_values,
        "ResultPath": st.sampled_from([None, "$", "$.a", "$.b.c", "$.new"]),
    },
)

choice_rules = st.lists(
    st.fixed_dictionaries(
        {"Variable": st.sampled_from(["$.a", "$.b", "$.missing"]), "Next": st.sampled_from(["X", "Y"])}
    ).flatmap(
        lambda rule: st.one_of(
            st.builds(lambda n: {**rule, "NumericLessThan": n}, st.integers(-3, 3)),
            st.builds(lambda s: {**rule, "StringEquals": s}, st.sampled_from(["x", "y"])),
            st.builds(lambda b: {**rule, "IsPresent": b}, st.booleans()),
        )
    ),
    min_size=1,
    max_size=3,
)


def outcome(act: Any) -> Any:
    try:
        return ("ok", act())
    except ExecutionError as error:
        return ("error", error.error, error.cause)


def both(state: asl.model.State, value: Any) -> tuple[Any, Any]:
    assert state.work is not None
    env = Env({"State": {"Name": state.name}})
    planned, general = [], []
    left = outcome(lambda: state.work(value, env, planned))
    right = outcome(lambda: run_basic(state, value, env, general))
    assert planned == general  # the same decision recorded
    return left, right


@given(pass_fields, json_objects)
def test_a_plain_pass_works_as_the_general_path(fields: dict[str, Any], value: dict[str, Any]) -> None:
    state = machine({"P": {"Type": "Pass", **fields, "End": True}}).states["P"]
    left, right = both(state, value)
    assert left == right


@given(choice_rules, st.booleans(), st.dictionaries(KEYS, st.integers(-4, 4) | st.sampled_from(["x", "y"])))
def test_a_plain_choice_works_as_the_general_path(rules: list[Any], default: bool, value: dict[str, Any]) -> None:
    body: dict[str, Any] = {"Type": "Choice", "Choices": rules}
    if default:
        body["Default"] = "Y"
    targets = {rule["Next"] for rule in rules} | ({"Y"} if default else set())
    mach = machine({"C": body, **{name: {"Type": "Succeed"} for name in sorted(targets)}})
    left, right = both(mach.states["C"], value)
    assert left == right


@pytest.mark.parametrize(
    "body",
    [
        {"Type": "Pass", "InputPath": "$.a", "Next": "P"},
        {"Type": "Pass", "OutputPath": "$.a", "Next": "P"},
        {"Type": "Pass", "Assign": {"x": 1}, "Next": "P"},
        {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% 1 %}", "Next": "P"},
        {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": True, "Next": "P", "Assign": {"x": 1}}]},
        {"Type": "Choice", "InputPath": "$.a", "Choices": [{"Variable": "$", "IsPresent": True, "Next": "P"}]},
        {"Type": "Fail", "Error": "E"},
    ],
)
def test_other_states_take_the_general_path(body: dict[str, Any]) -> None:
    states = {"S": body, "P": {"Type": "Pass", "End": True}}
    if body["Type"] == "Fail":
        del states["P"]
    mach = machine(states)
    assert mach.states["S"].work is None


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
