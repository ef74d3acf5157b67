"""Pass, Choice, Wait, Succeed and Fail: the states that do their work in one step."""

from __future__ import annotations

from typing import Final

from .. import paths, timestamps
from ..context import JSON, Env
from ..dataflow import assign, effective_input, finish, select, states_scope
from ..errors import ExecutionError, NoChoiceMatched, QueryEvaluationError, RuntimeFailure
from ..history import Decision
from ..model import ChoiceState, FailState, PassState, Scope, State, SucceedState, WaitState
from ..runtime import Run, field_text, text

__all__ = ["run_basic", "wait"]

MAX_WAIT_SECONDS: Final = 2**31 - 1  # AWS: "Wait state delay is too long." past about 68 years

Outcome = tuple[JSON, str | None, dict[str, JSON] | None]


def run_basic(state: State, raw: JSON, env: Env, decisions: list[Decision]) -> Outcome:
    """Run one state that never waits (all but Wait): (output, next state or None, variables assigned)."""
    match state:
        case PassState():
            if state.jsonata:  # JSONata Pass: Output, or the input as it is
                result = raw
            elif state.has_result:
                result = state.result
            else:
                result = effective_input(state, raw, env)
            output, assigned = finish(state, raw, result, env)
            return output, state.next, assigned
        case ChoiceState():
            return choose(state, raw, env, decisions)
        case SucceedState():
            if state.jsonata:
                scope = states_scope(env, raw)
                return (state.output(scope) if state.output is not None else raw), None, None
            effective = select(state.input_path, state.input_null, raw, env)
            return select(state.output_path, state.output_null, effective, env), None, None
        case FailState():
            scope = states_scope(env, raw) if state.jsonata else Scope(raw, env)
            error = state.error(scope) if state.error is not None else None
            cause = state.cause(scope) if state.cause is not None else None
            raise ExecutionError(text(cause), error=text(error))
    raise AssertionError(f"not a basic state: {state.kind}")


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
