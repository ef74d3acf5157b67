"""Input and output processing, as AWS orders it, for both query languages.

JSONPath: InputPath -> Parameters -> (the work) -> ResultSelector -> ResultPath -> OutputPath.
JSONata: Arguments -> (the work) -> Output, with `$states.input/result/errorOutput/context`.
`Assign` in either language sees the variables as they were when the state was entered.
"""

from __future__ import annotations

from .context import JSON, Env
from .errors import ExecutionError
from .model import Catcher, Expr, Scope, State
from .paths import Path

__all__ = ["assign", "caught", "effective_input", "finish", "select", "states_scope"]


def select(path: Path | None, null: bool, value: JSON, env: Env) -> JSON:
    """InputPath/OutputPath: absent keeps the value, null gives `{}`."""
    if path is None:
        return {} if null else value
    return path.get(value, env)


def states_scope(env: Env, raw: JSON, **extra: JSON) -> Scope:
    """A JSONata scope: `$states` with the state's input, its context and what else applies."""
    return Scope(None, env, {"input": raw, "context": env.context, **extra})


def effective_input(state: State, raw: JSON, env: Env) -> JSON:
    """What the state works on: JSONPath InputPath then Parameters, or JSONata Arguments."""
    if state.jsonata:
        return state.arguments(states_scope(env, raw)) if state.arguments is not None else raw
    value = select(state.input_path, state.input_null, raw, env)
    if state.parameters is not None:
        value = state.parameters(Scope(value, env))
    return value


def assign(expr: Expr | None, scope: Scope) -> dict[str, JSON] | None:
    """The variables an Assign block sets, evaluated all at once against entry-time values."""
    if expr is None:
        return None
    values = expr(scope)
    return values if isinstance(values, dict) else None


def place_result(state: State, raw: JSON, result: JSON, env: Env) -> JSON:
    """JSONPath: ResultSelector, ResultPath into the raw input, then OutputPath."""
    if state.result_selector is not None:
        result = state.result_selector(Scope(result, env))
    if state.result_null:
        value = raw
    elif state.result_path is None:
        value = result
    else:
        value = state.result_path.put(raw, result)
    return select(state.output_path, state.output_null, value, env)


def finish(state: State, raw: JSON, result: JSON, env: Env) -> tuple[JSON, dict[str, JSON] | None]:
    """A Pass, Task, Parallel or Map produced `result`: (state output, variables assigned)."""
    if state.jsonata:
        scope = states_scope(env, raw, result=result)
        assigned = assign(state.assign, scope)
        return (state.output(scope) if state.output is not None else result), assigned
    assigned = assign(state.assign, Scope(result, env)) if state.assign is not None else None
    return place_result(state, raw, result, env), assigned


def caught(
    state: State, catcher: Catcher, raw: JSON, error: ExecutionError, env: Env
) -> tuple[JSON, dict[str, JSON] | None]:
    """A Catcher took `error`: its output and assignments; the state's own are skipped."""
    error_output: dict[str, JSON] = {"Error": error.error, "Cause": error.cause}
    if state.jsonata:
        scope = states_scope(env, raw, errorOutput=error_output)
        assigned = assign(catcher.assign, scope)
        return (catcher.output(scope) if catcher.output is not None else error_output), assigned
    assigned = assign(catcher.assign, Scope(error_output, env)) if catcher.assign is not None else None
    if catcher.discard_result:
        return raw, assigned
    if catcher.result_path is None:
        return error_output, assigned
    return catcher.result_path.put(raw, error_output), assigned
