"""Properties of workflow variables, in both query languages: one Assign is simultaneous (every
right-hand side reads the values at state entry), and iterations of an inline Map or branches of a
Parallel read outer variables but never write them."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import asl
from strategies import json_values

names = st.from_regex(r"[a-z][a-zA-Z0-9_]{0,8}", fullmatch=True).filter(lambda name: name != "states")
languages = st.sampled_from(["JSONPath", "JSONata"])


def _literal(value: Any) -> bool:
    """No string in it that JSONata would take for an expression, no key that JSONPath would take
    for a path (`"x.$"`), no integer a double cannot hold (JSONata's numbers are doubles, on AWS
    as here)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) <= 2**53
    if isinstance(value, str):
        return not (value.startswith("{%") and value.endswith("%}"))
    if isinstance(value, list):
        return all(map(_literal, value))
    if isinstance(value, dict):
        return not any(key.endswith(".$") for key in value) and all(map(_literal, value.values()))
    return True


literal_values = json_values.filter(_literal)

# The JSONata engine raises the recursion limit the first time it is used; Hypothesis warns when
# that happens inside a test, so let it happen now.
asl.parse(
    {"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass", "Output": "{% 1 %}", "End": True}}}
)


def run(states: dict[str, Any], value: Any, language: str) -> Any:
    definition = {"QueryLanguage": language, "StartAt": next(iter(states)), "States": states}
    execution = asl.run(asl.parse(definition), value, clock=asl.VirtualClock(0))
    assert execution.status is asl.Status.SUCCEEDED, (execution.error, execution.cause)
    return execution.output


def read(name: str, language: str) -> dict[str, Any]:
    """A state that outputs the variable `name` and its own input."""
    if language == "JSONata":
        return {"Type": "Pass", "Output": {"v": f"{{% ${name} %}}", "input": "{% $states.input %}"}, "End": True}
    return {"Type": "Pass", "Parameters": {"v.$": f"${name}", "input.$": "$"}, "End": True}


def assign_from(source: str, language: str) -> Any:
    return f"{{% ${source} %}}" if language == "JSONata" else f"${source}"


def key(name: str, language: str) -> str:
    return name if language == "JSONata" else f"{name}.$"


@settings(max_examples=60)
@given(st.lists(names, min_size=2, max_size=6, unique=True), st.data(), languages)
def test_one_assign_rotates_any_number_of_variables(variables: list[str], data: st.DataObject, language: str) -> None:
    """Each variable takes the entry value of the next one: a rotation, of which a swap is the smallest."""
    values = data.draw(st.lists(literal_values, min_size=len(variables), max_size=len(variables)))
    rotated = variables[1:] + variables[:1]
    states = {
        "Set": {"Type": "Pass", "Assign": dict(zip(variables, values, strict=True)), "Next": "Rotate"},
        "Rotate": {
            "Type": "Pass",
            "Assign": {
                key(name, language): assign_from(source, language)
                for name, source in zip(variables, rotated, strict=True)
            },
            "Next": "Collect",
        },
        "Collect": collect(variables, language),
    }
    assert run(states, {}, language) == dict(zip(variables, values[1:] + values[:1], strict=True))


def collect(variables: list[str], language: str) -> dict[str, Any]:
    """A state that outputs every variable of `variables` under its own name."""
    if language == "JSONata":
        return {"Type": "Pass", "Output": {name: f"{{% ${name} %}}" for name in variables}, "End": True}
    return {"Type": "Pass", "Parameters": {f"{name}.$": f"${name}" for name in variables}, "End": True}


@settings(max_examples=60)
@given(names, literal_values, st.lists(json_values, max_size=6), languages, st.sampled_from([0, 1, 3]))
def test_inline_map_iterations_read_but_never_change_an_outer_variable(
    name: str, outer: Any, items: list[Any], language: str, concurrency: int
) -> None:
    """Each iteration assigns its item to the variable and outputs the value it read at entry."""
    if language == "JSONata":
        inner = {"Type": "Pass", "Assign": {name: "{% $states.input %}"}, "Output": f"{{% ${name} %}}", "End": True}
        items_field: dict[str, Any] = {"Items": "{% $states.input.items %}"}
    else:
        inner = {
            "Type": "Pass",
            "Assign": {f"{name}.$": "$"},
            "Parameters": {"v.$": f"${name}"},
            "OutputPath": "$.v",
            "End": True,
        }
        items_field = {"ItemsPath": "$.items"}
    states = {
        "Set": {"Type": "Pass", "Assign": {name: outer}, "Next": "Map"},
        "Map": {
            "Type": "Map",
            "MaxConcurrency": concurrency,
            "ItemProcessor": {"StartAt": "Inner", "States": {"Inner": inner}},
            **items_field,
            "Next": "Read",
        },
        "Read": read(name, language),
    }
    assert run(states, {"items": items}, language) == {"v": outer, "input": [outer] * len(items)}


# A branch or iteration gets a scope of its own only when one of its states may assign (its
# Assign, a Choice rule's or a Catcher's); each way must keep the assignment inside it.
def _assigning(way: str, n: int) -> dict[str, Any]:
    """States A{n} -> Out{n} where A{n} assigns x = "inner" in the way named, Out{n} outputs x."""
    first: dict[str, Any] = {
        "state": {"Type": "Pass", "Assign": {"x": "inner"}, "Next": f"Out{n}"},
        "choice rule": {
            "Type": "Choice",
            "Choices": [{"Variable": "$", "IsPresent": True, "Assign": {"x": "inner"}, "Next": f"Out{n}"}],
        },
        "catcher": {
            "Type": "Parallel",
            "Branches": [{"StartAt": f"F{n}", "States": {f"F{n}": {"Type": "Fail", "Error": "E"}}}],
            "Catch": [{"ErrorEquals": ["E"], "Assign": {"x": "inner"}, "Next": f"Out{n}"}],
            "End": True,
        },
        "nothing": {"Type": "Pass", "Next": f"Out{n}"},
    }[way]
    out = {"Type": "Pass", "Parameters": {"seen.$": "$x"}, "End": True}
    return {"StartAt": f"A{n}", "States": {f"A{n}": first, f"Out{n}": out}}


@pytest.mark.parametrize(
    ("way", "seen"), [("state", "inner"), ("choice rule", "inner"), ("catcher", "inner"), ("nothing", "outer")]
)
@pytest.mark.parametrize("kind", ["Parallel", "Map"])
def test_a_branch_or_iteration_reads_outer_variables_and_keeps_its_assignments(kind: str, way: str, seen: str) -> None:
    if kind == "Parallel":
        inner: dict[str, Any] = {"Type": "Parallel", "Branches": [_assigning(way, 0), _assigning(way, 1)]}
    else:
        inner = {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": _assigning(way, 0)}
    states = {
        "Set": {"Type": "Pass", "Assign": {"x": "outer"}, "Next": "Inner"},
        "Inner": {**inner, "ResultPath": "$.results", "Next": "Read"},
        "Read": {"Type": "Pass", "Parameters": {"x.$": "$x", "results.$": "$.results"}, "End": True},
    }
    assert run(states, {"items": [1, 2]}, "JSONPath") == {"x": "outer", "results": [{"seen": seen}] * 2}
