"""Strategies for the fuzz suite: valid state machines, their inputs, what their Tasks do, and
mutations that turn a valid definition into a near-valid one.

A machine is a chain of states (each one's `Next` is the one after it) with Choice rules and
Catchers that may jump anywhere, loops included; Parallel branches and Map processors are
chains of their own. Every Task is answered through `task_override` by an `Outcomes` script.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import anyio
from hypothesis import strategies as st

import asl
from asl.context import JSON

__all__ = ["Outcomes", "inputs", "machines", "mutated", "outcomes"]

# Small JSON: cheap to draw, enough to reach every branch of the data flow.
_keys = st.sampled_from(["n", "flag", "s", "items", "wait", "a", "r", "error", "x"])
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=5),
    st.sampled_from(["", "x", "2024-01-01T00:00:00Z", "SHA-256"]),
)
small_json: st.SearchStrategy[JSON] = st.recursive(
    _scalars,
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(_keys, children, max_size=3)),
    max_leaves=6,
)


def _mostly(good: st.SearchStrategy[JSON]) -> st.SearchStrategy[JSON]:
    """Usually a well-typed value, sometimes anything."""
    return st.one_of(good, good, good, small_json)


# Inputs usually carry the fields the generated states read, usually of the right type.
inputs: st.SearchStrategy[JSON] = st.one_of(
    *[
        st.fixed_dictionaries(
            {
                "n": _mostly(st.integers(-3, 3)),
                "flag": _mostly(st.booleans()),
                "s": _mostly(st.sampled_from(["a", "b", "2024-01-01T00:00:00Z", "1999-01-01T00:00:00Z"])),
                "items": _mostly(st.lists(small_json, max_size=4)),
                "wait": _mostly(st.integers(0, 3_600)),
            },
            optional={"a": small_json},
        )
    ]
    * 3,
    small_json,
)

_PATHS = st.sampled_from(["$", "$.a", "$.n", "$.items", "$.items[0]", "$.missing.deep", "$$.Execution.Input"])
_REFERENCE_PATHS = st.one_of(st.none(), st.sampled_from(["$", "$.r", "$.a.b", "$.items[0]", "$.n.r"]))
_ERRORS = [
    "States.ALL",
    "States.TaskFailed",
    "States.Timeout",
    "States.Runtime",
    "Boom",
    "ValueError",
    "States.DataLimitExceeded",
    "States.NoChoiceMatched",
    "States.IntrinsicFailure",
    "States.ResultPathMatchFailure",
    "States.QueryEvaluationError",
    "States.ExceedToleratedFailureThreshold",
]
_PARAMETER_VALUES = st.sampled_from(
    [
        "$",
        "$.n",
        "$.items",
        "$$.State.Name",
        "States.Array($.n, $.s)",
        "States.ArrayLength($.items)",
        "States.Format('{} and {}', $.n, $.s)",
        "States.MathAdd($.n, 1)",
        "States.JsonToString($)",
        "States.StringToJson($.s)",
        "States.ArrayRange(0, $.n, 1)",
        "States.UUID()",
        "States.Hash($.s, 'MD5')",
    ]
)
_JSONATA = st.sampled_from(
    [
        "{% $states.input %}",
        "{% $states.input.n + 1 %}",
        "{% $count($states.input.items) %}",
        "{% {'v': $states.input.a, 'when': $states.context.State.EnteredTime} %}",
        "{% $states.input.missing %}",
        "{% $string($states.input) %}",
        "{% [1..3] %}",
        "{% $uuid() %}",
        "{% $partition([1,2,3], 2) %}",
    ]
)
_CONDITIONS = st.sampled_from(
    [
        "{% $states.input.n > 0 %}",
        "{% $states.input.flag = true %}",
        "{% $exists($states.input.s) %}",
        "{% $states.input.n %}",
        "{% true %}",
        "{% false %}",
    ]
)
_RULES = st.sampled_from(
    [
        {"Variable": "$.n", "NumericGreaterThan": 0},
        {"Variable": "$.n", "NumericLessThanEquals": 1},
        {"Variable": "$.flag", "BooleanEquals": True},
        {"Variable": "$.s", "IsPresent": True},
        {"Variable": "$.s", "StringEquals": "a"},
        {"Variable": "$.items[0]", "IsNull": False},
        {"Not": {"Variable": "$.n", "IsNumeric": True}},
        {"And": [{"Variable": "$.n", "IsPresent": True}, {"Variable": "$.n", "IsNumeric": True}]},
        {"Or": [{"Variable": "$.flag", "IsBoolean": True}, {"Variable": "$.s", "StringMatches": "a*"}]},
        {"Variable": "$.s", "TimestampGreaterThan": "2020-01-01T00:00:00Z"},
    ]
)
RESOURCES = [
    "task",
    "arn:aws:lambda:us-east-1:123456789012:function:fn",
    "arn:aws:states:::lambda:invoke",
    "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
    "arn:aws:states:::ecs:runTask.sync",
]


@dataclass
class _Names:
    counter: Iterator[int] = field(default_factory=itertools.count)

    def new(self) -> str:
        return f"S{next(self.counter)}"


def _maybe(draw: st.DrawFn, state: dict[str, Any], key: str, strategy: st.SearchStrategy[Any], odds: int = 2) -> None:
    """Set `key` one time in `odds`."""
    if draw(st.integers(0, odds - 1)) == 0:
        state[key] = draw(strategy)


def _retry(draw: st.DrawFn) -> list[dict[str, Any]]:
    retriers = []
    for _ in range(draw(st.integers(0, 2))):
        retrier: dict[str, Any] = {
            "ErrorEquals": draw(st.lists(st.sampled_from(_ERRORS[1:]), min_size=1, max_size=2, unique=True))
        }
        _maybe(draw, retrier, "MaxAttempts", st.integers(0, 3))
        _maybe(draw, retrier, "IntervalSeconds", st.integers(1, 100))
        _maybe(draw, retrier, "BackoffRate", st.sampled_from([1.0, 2.0, 1.5]))
        _maybe(draw, retrier, "JitterStrategy", st.sampled_from(["FULL", "NONE"]))
        retriers.append(retrier)
    if retriers and draw(st.booleans()):
        retriers.append({"ErrorEquals": ["States.ALL"], "MaxAttempts": draw(st.integers(0, 2))})
    return retriers


def _catch(draw: st.DrawFn, targets: list[str], jsonata: bool) -> list[dict[str, Any]]:
    catchers = []
    for _ in range(draw(st.integers(0, 2))):
        catcher: dict[str, Any] = {
            "ErrorEquals": draw(st.lists(st.sampled_from(_ERRORS[1:]), min_size=1, max_size=2, unique=True)),
            "Next": draw(st.sampled_from(targets)),
        }
        if jsonata:
            _maybe(draw, catcher, "Output", st.sampled_from(["{% $states.errorOutput %}", "{% $states.input %}"]))
        else:
            _maybe(draw, catcher, "ResultPath", st.sampled_from(["$.error", "$", None]))
        catchers.append(catcher)
    if catchers and draw(st.booleans()):
        catchers.append({"ErrorEquals": ["States.ALL"], "Next": draw(st.sampled_from(targets))})
    return catchers


def _io(draw: st.DrawFn, state: dict[str, Any], kind: str) -> None:
    """The JSONPath data-flow fields a state of this kind may carry, each one maybe."""
    if kind != "Fail":
        _maybe(draw, state, "InputPath", _PATHS, 5)
        _maybe(draw, state, "OutputPath", _PATHS, 5)
    if kind in ("Pass", "Task", "Parallel", "Map"):
        _maybe(draw, state, "ResultPath", _REFERENCE_PATHS, 3)
        _maybe(
            draw,
            state,
            "Parameters" if kind != "Map" else "ItemSelector",
            odds=4,
            strategy=st.dictionaries(
                st.sampled_from(["v.$", "w.$", "lit", "ctx.$"]), _PARAMETER_VALUES, max_size=2
            ).map(lambda d: {k: (v if k.endswith(".$") else "literal") for k, v in d.items()}),
        )
    if kind in ("Task", "Parallel", "Map"):
        _maybe(draw, state, "ResultSelector", st.builds(lambda: {"wrapped.$": "$"}), 4)
    if kind in ("Pass", "Task", "Parallel", "Map", "Choice", "Wait"):
        _maybe(
            draw, state, "Assign", st.dictionaries(st.sampled_from(["v1.$", "v2.$"]), _PARAMETER_VALUES, max_size=1), 4
        )


@st.composite
def _state(
    draw: st.DrawFn, names: _Names, name: str, following: list[str], everyone: list[str], depth: int, last: bool
) -> dict[str, Any]:
    """One state; `following` are later states of the chain (for Catch), `everyone` all of it (Choice)."""
    terminal = ["Succeed", "Fail", "Pass", "Task", "Wait"] + (["Parallel", "Map"] if depth < 2 else [])
    middle = ["Pass", "Task", "Wait", "Choice"] + (["Parallel", "Map"] if depth < 2 else [])
    kind = draw(st.sampled_from(terminal if last else middle))
    jsonata = kind not in ("Succeed", "Fail") and draw(st.integers(0, 3)) == 0
    state: dict[str, Any] = {"Type": kind}
    nxt = following[0] if following else None
    if jsonata:
        state["QueryLanguage"] = "JSONata"
    match kind:
        case "Succeed":
            if not jsonata:
                _io(draw, state, kind)
        case "Fail":
            _maybe(draw, state, "Error", st.sampled_from(["Custom.Error", "States.TaskFailed", "Oops"]))
            _maybe(draw, state, "Cause", st.text(max_size=10))
        case "Pass":
            if jsonata:
                _maybe(draw, state, "Output", _JSONATA)
            else:
                _maybe(draw, state, "Result", small_json)
                _io(draw, state, kind)
        case "Wait":
            choice = draw(st.integers(0, 3))
            if jsonata:
                state["Seconds"] = draw(st.one_of(st.integers(0, 1000), st.just("{% $states.input.wait %}")))
            elif choice == 0:
                state["Seconds"] = draw(st.integers(0, 100_000))
            elif choice == 1:
                state["SecondsPath"] = "$.wait"
            elif choice == 2:
                state["Timestamp"] = draw(st.sampled_from(["2020-01-01T00:00:00Z", "2099-12-31T23:59:59Z"]))
            else:
                state["TimestampPath"] = "$.s"
            if not jsonata:
                _io(draw, state, kind)
        case "Choice":
            rules = []
            for _ in range(draw(st.integers(1, 3))):
                target = draw(st.sampled_from(everyone))
                if jsonata:
                    rules.append({"Condition": draw(_CONDITIONS), "Next": target})
                else:
                    rules.append({**draw(_RULES), "Next": target})
            state["Choices"] = rules
            state["Default"] = nxt  # the chain stays reachable
            if not jsonata:
                _io(draw, state, kind)
        case "Task":
            resource = draw(st.sampled_from(RESOURCES))
            state["Resource"] = resource
            if resource.endswith("lambda:invoke"):
                key = "Arguments" if jsonata else "Parameters"
                state[key] = (
                    {"FunctionName": "fn", "Payload": "{% $states.input %}"}
                    if jsonata
                    else {"FunctionName": "fn", "Payload.$": "$"}
                )
            elif jsonata:
                _maybe(
                    draw,
                    state,
                    "Arguments",
                    st.sampled_from([{"in": "{% $states.input %}"}, {"token": "{% $states.context.Task.Token %}"}]),
                )
            if resource.endswith("waitForTaskToken") and not jsonata:
                state["Parameters"] = {"token.$": "$$.Task.Token", "in.$": "$"}
            _maybe(draw, state, "TimeoutSeconds", st.integers(1, 300))
            if resource.endswith("waitForTaskToken") and "TimeoutSeconds" in state and draw(st.booleans()):
                state["HeartbeatSeconds"] = max(1, state["TimeoutSeconds"] - 1)
                if state["HeartbeatSeconds"] >= state["TimeoutSeconds"]:
                    del state["HeartbeatSeconds"]
            if jsonata:
                _maybe(draw, state, "Output", _JSONATA)
            else:
                _io(draw, state, kind)
                if "Parameters" in state and resource.endswith(("invoke", "waitForTaskToken")):
                    state["Parameters"] = (
                        {"FunctionName": "fn", "Payload.$": "$"}
                        if resource.endswith("invoke")
                        else {"token.$": "$$.Task.Token"}
                    )
        case "Parallel":
            state["Branches"] = [draw(graphs(names, depth + 1)) for _ in range(draw(st.integers(1, 3)))]
            if jsonata:
                _maybe(draw, state, "Output", _JSONATA)
            else:
                _io(draw, state, kind)
        case "Map":
            state["ItemProcessor"] = draw(graphs(names, depth + 1))
            _maybe(draw, state, "MaxConcurrency", st.integers(0, 3))
            _maybe(draw, state, "ToleratedFailureCount", st.integers(0, 2))
            if jsonata:
                _maybe(
                    draw,
                    state,
                    "Items",
                    st.sampled_from(["{% $states.input.items %}", "{% [1, 2] %}", "{% $states.input %}"]),
                )
                _maybe(draw, state, "Output", _JSONATA)
            else:
                _maybe(draw, state, "ItemsPath", st.sampled_from(["$.items", "$", "$.n"]))
                _io(draw, state, kind)
    if kind in ("Task", "Parallel", "Map"):
        if retry := _retry(draw):
            state["Retry"] = retry
        targets = following or [name]
        if catch := _catch(draw, targets if following else everyone, jsonata):
            state["Catch"] = catch
    if kind not in ("Succeed", "Fail", "Choice"):
        if last:
            state["End"] = True
        else:
            state["Next"] = nxt
    return state


@st.composite
def graphs(draw: st.DrawFn, names: _Names, depth: int = 0) -> dict[str, Any]:
    """`{"StartAt", "States"}` of a chain of one to five states."""
    size = draw(st.integers(1, 5 if depth == 0 else 3))
    chain = [names.new() for _ in range(size)]
    states: dict[str, Any] = {}
    for index, name in enumerate(chain):
        states[name] = draw(_state(names, name, chain[index + 1 :], chain, depth, index == size - 1))
    return {"StartAt": chain[0], "States": states}


@st.composite
def machines(draw: st.DrawFn) -> dict[str, Any]:
    """A whole valid definition; its TimeoutSeconds bounds every run, whatever its Tasks do."""
    definition = draw(graphs(_Names()))
    definition["TimeoutSeconds"] = draw(st.integers(1, 1_000_000))
    return definition


# -- what Tasks do ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    kind: str  # "return" | "fail" | "raise" | "hang" | "big" | "not-json"
    value: JSON = None
    sync: bool = False


outcome = st.one_of(
    st.builds(Outcome, st.just("return"), small_json, st.booleans()),
    st.builds(Outcome, st.just("fail"), st.sampled_from(_ERRORS[1:] + ["Custom"]), st.booleans()),
    st.builds(Outcome, st.sampled_from(["raise", "hang", "big", "not-json"]), st.none(), st.booleans()),
)
outcomes = st.lists(outcome, min_size=1, max_size=6)


class Outcomes:
    """A script for every Task of one execution: the n-th call does what the n-th outcome says
    (cycling); callback tasks are answered the same way through the execution's token API."""

    def __init__(self, script: list[Outcome]) -> None:
        self.script = script
        self.calls = 0
        self.execution: asl.Execution | None = None

    def __call__(self, state_name: str) -> Callable[..., Any]:
        step = self.script[self.calls % len(self.script)]
        self.calls += 1
        if step.sync and step.kind != "hang":

            def sync_call(payload: JSON, context: Any) -> Any:
                return self._result(step)

            return sync_call

        async def async_call(payload: JSON, context: Any) -> Any:
            return await self._async(step, context)

        return async_call

    def _result(self, step: Outcome) -> Any:
        match step.kind:
            case "return":
                return step.value
            case "fail":
                raise asl.TaskFailed(str(step.value), "scripted failure")
            case "raise":
                raise ValueError("a bug in the user's callable")
            case "big":
                return "x" * 300_000
            case _:
                return {"not json": object()}

    async def _async(self, step: Outcome, context: Any) -> Any:
        await anyio.lowlevel.checkpoint()
        if step.kind == "hang":
            await anyio.sleep_forever()
        token = getattr(context, "task_token", None)
        if token is not None and self.execution is not None:
            try:
                value = self._result(step)
            except asl.TaskFailed as failure:
                self.execution.send_task_failure(token, failure.error, failure.cause)
            except ValueError as error:
                self.execution.send_task_failure(token, "ValueError", str(error))
            else:
                self.execution.send_task_success(token, value)
            return {"MessageId": "m"}
        return self._result(step)


# -- near-valid definitions ---------------------------------------------------------------------


def _locations(node: Any, trail: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield trail
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _locations(child, (*trail, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _locations(child, (*trail, index))


_FIELD_NAMES = st.sampled_from(
    [
        "Type",
        "Next",
        "End",
        "StartAt",
        "States",
        "Resource",
        "Choices",
        "Default",
        "Branches",
        "ItemProcessor",
        "Iterator",
        "ItemsPath",
        "Items",
        "Parameters",
        "Arguments",
        "Output",
        "Assign",
        "ResultPath",
        "InputPath",
        "OutputPath",
        "Retry",
        "Catch",
        "ErrorEquals",
        "TimeoutSeconds",
        "HeartbeatSeconds",
        "Seconds",
        "Timestamp",
        "QueryLanguage",
        "Condition",
        "Variable",
        "StringEquals",
        "MaxConcurrency",
        "ItemReader",
        "ItemBatcher",
        "ResultWriter",
        "ToleratedFailureCount",
        "Label",
        "Comment",
        "Version",
        "ProcessorConfig",
        "Credentials",
        "v.$",
        "x",
        "Error",
        "Cause",
        "ErrorPath",
        "CausePath",
        "SecondsPath",
        "TimestampPath",
        "ResultSelector",
    ]
)
_VALUES = st.one_of(
    small_json,
    st.sampled_from(
        [
            "Pass",
            "Task",
            "Choice",
            "Wait",
            "Succeed",
            "Fail",
            "Parallel",
            "Map",
            "JSONata",
            "JSONPath",
            "$",
            "$.a",
            "$$",
            "{% $states.input %}",
            "{% ) %}",
            "States.Format('{}', $.a)",
            "States.Nope()",
            "States.ALL",
            "arn:aws:states:::lambda:invoke",
            "S0",
            "S1",
            "S2",
            "INLINE",
            "DISTRIBUTED",
            -1,
            0,
            99_999_999,
            100_000_000,
            1e300,
            True,
            "x" * 81,
        ]
    ),
    st.builds(dict),  # a fresh one each time: a later edit may add to it
    st.builds(list),
)


@st.composite
def mutated(draw: st.DrawFn, definition: Any) -> Any:
    """The definition with one to four random edits: a value replaced, a key removed, renamed or added."""
    import copy

    document = copy.deepcopy(definition)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.sampled_from(list(_locations(document))))
        if not where:
            if draw(st.integers(0, 9)) == 0:
                document = draw(_VALUES)
            continue
        parent = document
        for step in where[:-1]:
            parent = parent[step]
        last = where[-1]
        action = draw(st.integers(0, 3))
        if action == 0 or isinstance(parent, list):
            parent[last] = draw(_VALUES)
        elif action == 1:
            del parent[last]
        elif action == 2:
            parent[draw(_FIELD_NAMES)] = parent.pop(last)
        else:
            target = parent[last] if isinstance(parent[last], dict) else parent
            target[draw(_FIELD_NAMES)] = draw(_VALUES)
    return document
