"""Pass, Choice, Wait, Succeed and Fail: the states that do their work in one step.

Each instant state (Pass, Choice, Succeed, Fail) gets one `work` of (input, env, decisions) ->
(output, next state or None, variables assigned), composed when the state is compiled from only
the stages it uses: a JSONPath Pass or Choice without InputPath, OutputPath or Assign (most of
them) skips the stages it does not have; any other runs them all, in `dataflow`'s order.
The executor's loop calls `state.work` and nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Final

from .. import intrinsics, paths, timestamps
from ..context import JSON, Env
from ..dataflow import assign, effective_input, finish, select, states_scope
from ..errors import ExecutionError, NoChoiceMatched, QueryEvaluationError, RuntimeFailure
from ..history import Decision
from ..model import ChoiceState, FailState, PassState, Scope, State, SucceedState, WaitState
from ..runtime import Run, field_text, text

__all__ = ["Outcome", "Work", "compose", "wait"]

MAX_WAIT_SECONDS: Final = 2**31 - 1  # AWS: "Wait state delay is too long." past about 68 years

Outcome = tuple[JSON, str | None, dict[str, JSON] | None]
Work = Callable[[JSON, Env, list[Decision]], Outcome]
Evaluator = Callable[[JSON, Env], Any]  # a template's or rule's evaluator of (value, env)

# The stages a plain JSONPath Pass or Choice does not have.
_STAGES = ("jsonata", "input_path", "input_null", "output_path", "output_null", "assign", "result_selector")


def compose(
    kind: type[State], fields: dict[str, Any], build: Evaluator | None = None, tests: tuple[Evaluator | None, ...] = ()
) -> State:
    """The instant state of class `kind` with `fields`, born with its `work` (and a plain Pass's
    `growth`): the compiler calls it once per Pass, Choice, Succeed and Fail (`compiler.Compose`).

    `build` is a Pass's Parameters evaluator and `tests` a Choice's rule evaluators (None where
    there is none), so that a plain state's work calls them on (value, env) without a Scope.
    The other works close over the state they belong to (read when it runs, once it exists).
    """
    if kind is PassState:
        if _plain(fields):
            growth = pass_growth(fields["raw"], fields["name"])
            return PassState(**fields, work=_plain_pass(fields, build), growth=growth)
        passing: PassState = PassState(**fields, work=lambda raw, env, decisions: _pass(passing, raw, env))
        return passing
    if kind is ChoiceState:
        if _plain(fields) and all(branch.assign is None and branch.output is None for branch in fields["choices"]):
            return ChoiceState(**fields, work=_plain_choice(fields, tests))
        choice: ChoiceState = ChoiceState(
            **fields, work=lambda raw, env, decisions: choose(choice, raw, env, decisions)
        )
        return choice
    if kind is SucceedState:
        succeed: SucceedState = SucceedState(**fields, work=lambda raw, env, decisions: _succeed(succeed, raw, env))
        return succeed
    if kind is FailState:
        fail: FailState = FailState(**fields, work=lambda raw, env, decisions: _fail(fail, raw, env))
        return fail
    raise AssertionError(f"not an instant state: {kind.__name__}")


def _plain(fields: dict[str, Any]) -> bool:
    return not any(fields.get(key) for key in _STAGES)


def _plain_pass(fields: dict[str, Any], build: Evaluator | None) -> Work:
    """Parameters or Result, then ResultPath: the whole of a plain JSONPath Pass."""
    result, has_result, parameters = fields["result"], fields["has_result"], fields.get("parameters")
    next_name, result_path, result_null = fields["next"], fields.get("result_path"), fields.get("result_null")

    def work(raw: JSON, env: Env, decisions: list[Decision]) -> Outcome:
        if has_result:
            made = result
        elif build is not None:
            made = build(raw, env)
        elif parameters is not None:
            made = parameters(Scope(raw, env))
        else:
            made = raw
        if result_null:
            return raw, next_name, None
        if result_path is None:
            return made, next_name, None
        return result_path.put(raw, made), next_name, None

    return work


def _plain_choice(fields: dict[str, Any], tests: tuple[Evaluator | None, ...]) -> Work:
    """The first rule that holds decides; the input passes through unchanged."""
    name, default, choices = fields["name"], fields["default"], fields["choices"]
    rules = tuple(
        (
            test if test is not None else _scoped(branch.condition),
            branch.next,
            Decision("choice", name, index),
        )
        for index, (test, branch) in enumerate(zip(tests or (None,) * len(choices), choices, strict=True))
    )
    otherwise = Decision("choice", name, -1)  # records are immutable: made once, shared by every run

    def work(raw: JSON, env: Env, decisions: list[Decision]) -> Outcome:
        for test, next_name, decision in rules:
            if test(raw, env):
                decisions.append(decision)
                return raw, next_name, None
        if default is None:
            raise NoChoiceMatched("No Matches!")
        decisions.append(otherwise)
        return raw, default, None

    return work


def _scoped(condition: Callable[[Scope], bool]) -> Evaluator:
    return lambda value, env: condition(Scope(value, env))


def _pass(state: PassState, raw: JSON, env: Env) -> Outcome:
    """Any Pass: its effective input (JSONata: the input as it is), then every output stage."""
    if state.jsonata:
        result = raw
    elif state.has_result:
        result = state.result
    else:
        result = effective_input(state, raw, env)
    output, assigned = finish(state, raw, result, env)
    return output, state.next, assigned


def _succeed(state: SucceedState, raw: JSON, env: Env) -> Outcome:
    if state.jsonata:
        scope = states_scope(env, raw)
        return (state.output(scope) if state.output is not None else raw), None, None
    effective = select(state.input_path, state.input_null, raw, env)
    return select(state.output_path, state.output_null, effective, env), None, None


def _fail(state: FailState, raw: JSON, env: Env) -> Outcome:
    scope = states_scope(env, raw) if state.jsonata else Scope(raw, env)
    error = state.error(scope) if state.error is not None else None
    cause = state.cause(scope) if state.cause is not None else None
    raise ExecutionError(text(cause), error=text(error))


def choose(state: ChoiceState, raw: JSON, env: Env, decisions: list[Decision]) -> Outcome:
    """The first rule that holds decides the next state; its Assign (and JSONata Output) apply."""
    if state.jsonata:
        scope = states_scope(env, raw)
        effective = raw
    else:
        effective = select(state.input_path, state.input_null, raw, env)
        scope = Scope(effective, env)
    for index, branch in enumerate(state.choices):
        if branch.condition(scope):
            decisions.append(Decision("choice", state.name, index))
            assigned = assign(branch.assign, scope)
            if state.jsonata:
                return (branch.output(scope) if branch.output is not None else raw), branch.next, assigned
            return select(state.output_path, state.output_null, effective, env), branch.next, assigned
    if state.default is None:
        raise NoChoiceMatched("No Matches!")
    decisions.append(Decision("choice", state.name, -1))
    assigned = assign(state.assign, scope)
    if state.jsonata:
        return (state.output(scope) if state.output is not None else raw), state.default, assigned
    return select(state.output_path, state.output_null, effective, env), state.default, assigned


async def wait(run: Run, state: WaitState, raw: JSON, env: Env) -> Outcome:
    """Wait for a duration or until a timestamp, on the run's clock."""
    if state.jsonata:
        scope = states_scope(env, raw)
    else:
        scope = Scope(select(state.input_path, state.input_null, raw, env), env)
    seconds = _seconds(run, state, scope)
    if seconds > MAX_WAIT_SECONDS:
        raise RuntimeFailure("Wait state delay is too long.")
    if run.recorder is not None:  # durable: the Wait ends at its original due time, after a restart too
        start = env._entered if state.seconds is not None else run.clock.now()  # type: ignore[attr-defined]
        await run.recorder.pause_until(start + seconds)
    elif seconds > 0:
        await run.clock.sleep(seconds)
    assigned = assign(state.assign, scope)
    if state.jsonata:
        return (state.output(scope) if state.output is not None else raw), state.next, assigned
    return select(state.output_path, state.output_null, scope.value, env), state.next, assigned


def _seconds(run: Run, state: WaitState, scope: Scope) -> float:
    if state.seconds is not None:
        try:
            value = state.seconds(scope)
        except paths.PathNotFound:
            where = field_text(state, "SecondsPath")
            raise RuntimeFailure(f"The SecondsPath parameter does not reference an input value: {where}") from None
        if type(value) is int and value >= 0:  # the common case
            return float(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not float(value).is_integer():
            problem = "cannot be parsed as a long value"
        elif value < 0:
            problem = "references a negative value"
        else:
            return float(value)
        if state.seconds_field == "SecondsPath":
            where = field_text(state, "SecondsPath")
            raise RuntimeFailure(f"The SecondsPath parameter {problem}: {where} == {text(value)}")
        raise QueryEvaluationError(f"The Seconds field must be a non-negative integer but was: {text(value)}")

    assert state.timestamp is not None
    try:
        value = state.timestamp(scope)
    except paths.PathNotFound:
        value = None
    moment = timestamps.parse(value) if isinstance(value, str) else None
    if moment is None:
        if state.timestamp_field == "TimestampPath":
            raise RuntimeFailure(
                "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time "
                f"format string: {field_text(state, 'TimestampPath')} == {text(value) if value is not None else 'null'}"
            )
        raise QueryEvaluationError(
            "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: "
            f"{text(value)}"
        )
    return moment.timestamp() - run.clock.now()


# -- how large a plain Pass's output can be -------------------------------------------------------

# The most bytes (as compact JSON) some intrinsics can return, whatever their arguments.
_CALL_SIZES: Final = {
    "States.MathAdd": 11,  # two 32-bit integers: -4294967296 at most
    "States.ArrayLength": 20,
    "States.ArrayContains": 5,
    "States.UUID": 38,
    "States.Hash": 130,  # SHA-512: 128 hexadecimal digits, quoted
}

Growth = tuple[int, int]  # (bytes, copies): output size <= bytes + copies * input size


def pass_growth(raw: Mapping[str, Any], name: str) -> Growth | None:
    """For a plain JSONPath Pass (one with `work`): how large its output can be, as
    (bytes, copies): at most `bytes + copies * size(input)` (compact JSON, UTF-8). None when
    that cannot be known before it runs (a context or variable path, a query that may select
    more than the input, an intrinsic that may return anything); the output is measured then.

    A plain path selects one node of its input, whose text is part of the input's text; so a
    template that copies k values is at most its literal text plus k times the input.
    """
    if "Result" in raw:
        made: Growth | None = (_size(raw["Result"]), 0)
    elif "Parameters" in raw:
        made = _template_growth(raw["Parameters"], name)
    else:
        made = (0, 1)
    if made is None or "ResultPath" not in raw or raw["ResultPath"] is None:
        return made  # (ResultPath null: the output is the input itself, never measured)
    path = paths.compile(raw["ResultPath"])
    if not path.segments:
        return made
    # Placed into the input: at most the input, the value, and for each key on the way a new
    # object holding it (`{"key":...}` and a comma).
    overhead = sum(_size(segment) + 4 for segment in path.segments if isinstance(segment, str))
    return made[0] + overhead, made[1] + 1


def _template_growth(template: JSON, name: str) -> Growth | None:
    if isinstance(template, list):
        parts = [_template_growth(item, name) for item in template]
        fixed = 2 + max(len(template) - 1, 0)
    elif isinstance(template, dict):
        parts = []
        fixed = 2 + max(len(template) - 1, 0)
        for key, value in template.items():
            fixed += _size(key[:-2] if key.endswith(".$") else key) + 1
            parts.append(_value_growth(value, name) if key.endswith(".$") else _template_growth(value, name))
    else:
        return _size(template), 0
    copies = 0
    for part in parts:
        if part is None:
            return None
        fixed, copies = fixed + part[0], copies + part[1]
    return fixed, copies


def _value_growth(text: JSON, name: str) -> Growth | None:
    if not isinstance(text, str):
        return None
    if text.startswith("$"):
        path = paths.compile(text)
        if path.root == "context" and path.segments == ("State", "Name"):
            return _size(name), 0  # the executor sets `$$.State`: this state's own name
        if path.root == "context" and path.segments == ("State", "EnteredTime"):
            return len('"2026-12-02T15:09:00.000Z"'), 0
        return (0, 1) if path.root == "data" and path.definite else None
    bound = _CALL_SIZES.get(intrinsics.compile(text).name)
    return None if bound is None else (bound, 0)


def _size(value: JSON) -> int:
    """The size of a literal as compact JSON, UTF-8; keys and short names are counted directly."""
    if type(value) is str and value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return len(value) + 2
    if type(value) is int:
        return len(str(value))
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
