"""A plain Pass or Choice runs its composed `work` (states.plans); it must give exactly what the
general path (states.basic.run_basic) gives, and states it does not cover must have none."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import asl
from asl.context import Env
from asl.errors import ExecutionError
from asl.states.basic import run_basic
from helpers import machine
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
