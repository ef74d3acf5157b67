"""Helpers for tests of state machines: the path an execution took, a state's data, its failure,
and Hypothesis strategies that draw every outcome a machine's Tasks may have.

    execution = asl.run(machine, {"id": 7}, resources=...)
    assert_path(execution, ["Validate", "Route", "Ship", "Done"])
    assert state_output(execution, "Validate") == {"ok": True}
    assert_failed(execution, error="OrderRejected")

    @given(outcomes=task_outcomes(machine))
    def test_never_fails_unhandled(outcomes):
        assert asl.run(machine, {}, task_override=outcomes).status is asl.Status.SUCCEEDED

Every `assert_*` helper raises AssertionError with the execution's path and error in its message.
Hypothesis is imported only by the strategies, since it is a test-only dependency.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from .context import JSON
from .errors import TaskFailed
from .model import MapState, ParallelState, State, StateMachine

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from .executor import Execution

__all__ = [
    "ScriptedOutcomes",
    "assert_failed",
    "assert_path",
    "assert_succeeded",
    "json_values",
    "state_input",
    "state_output",
    "state_path",
    "task_outcomes",
]

_UNSET: Final = object()


# -- reading an execution -------------------------------------------------------------------


def _names(within: StateMachine | Iterable[str] | None) -> set[str] | None:
    if within is None:
        return None
    if isinstance(within, StateMachine):
        return set(within.states)
    return set(within)


def state_path(execution: Execution, *, within: StateMachine | Iterable[str] | None = None) -> list[str]:
    """The names of the states entered, in history order (nested ones too).

    `within` keeps only the states of one graph (a StateMachine: its top level, or a Parallel
    branch or Map processor) or of a set of names.
    """
    keep = _names(within)
    path: list[str] = []
    for event in execution.history:
        if event.type.endswith("StateEntered") and event.details is not None:
            name = str(event.details.get("name"))
            if keep is None or name in keep:
                path.append(name)
    return path


def _describe(execution: Execution) -> str:
    text = f"status {execution.status}"
    if execution.error is not None or execution.cause:
        text += f", error {execution.error!r}, cause {execution.cause!r}"
    return f"{text}; path taken: {state_path(execution)}"


def assert_path(
    execution: Execution,
    expected: Sequence[str],
    *,
    within: StateMachine | Iterable[str] | None = None,
    partial: bool = False,
) -> None:
    """Assert the states entered, in order, were `expected`.

    With `partial=True`, `expected` need only appear in order (other states may come between).
    Raises AssertionError naming the path taken.
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not ours
    path = state_path(execution, within=within)
    if partial:
        remaining = iter(path)
        if all(any(name == step for step in remaining) for name in expected):
            return
        raise AssertionError(f"the states {list(expected)} were not entered in this order; {_describe(execution)}")
    if path != list(expected):
        raise AssertionError(f"expected the path {list(expected)}; {_describe(execution)}")


def _detail(execution: Execution, name: str, suffix: str, key: str, occurrence: int) -> JSON:
    __tracebackhide__ = True  # pytest shows the caller's line, not ours
    seen = 0
    for event in execution.history:
        if event.type.endswith(suffix) and event.details is not None and event.details.get("name") == name:
            if seen == occurrence:
                return copy.deepcopy(event.details.get(key))
            seen += 1
    what = "entered" if suffix == "StateEntered" else "exited"
    times = f"{what} only {seen} time{'s' * (seen != 1)}" if seen else f"never {what}"
    raise AssertionError(f"the state {name!r} was {times}, so it has no {key} #{occurrence}; {_describe(execution)}")


def state_input(execution: Execution, name: str, occurrence: int = 0) -> JSON:
    """The raw input of a state's `occurrence`-th entry (0: the first); AssertionError if there is none."""
    __tracebackhide__ = True
    return _detail(execution, name, "StateEntered", "input", occurrence)


def state_output(execution: Execution, name: str, occurrence: int = 0) -> JSON:
    """The output of a state's `occurrence`-th exit (0: the first); AssertionError if there is none."""
    __tracebackhide__ = True
    return _detail(execution, name, "StateExited", "output", occurrence)


def assert_succeeded(execution: Execution, output: Any = _UNSET) -> None:
    """Assert the execution succeeded (and, if given, with exactly `output`)."""
    __tracebackhide__ = True  # pytest shows the caller's line, not ours
    if str(execution.status) != "SUCCEEDED":
        raise AssertionError(f"the execution did not succeed: {_describe(execution)}")
    if output is not _UNSET and execution.output != output:
        raise AssertionError(f"the execution's output is {execution.output!r}, not {output!r}")


def assert_failed(
    execution: Execution,
    error: str | None = None,
    cause: str | re.Pattern[str] | None = None,
    *,
    status: str = "FAILED",
) -> None:
    """Assert the execution failed (or ended with `status`), with `error` and `cause` when given.

    `cause` is compared exactly, or searched when it is a compiled regular expression.
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not ours
    if str(execution.status) != status:
        raise AssertionError(f"expected the execution to end {status}; {_describe(execution)}")
    if error is not None and execution.error != error:
        raise AssertionError(f"expected the error {error!r}, not {execution.error!r}; {_describe(execution)}")
    if cause is None:
        return
    actual = execution.cause or ""
    if isinstance(cause, re.Pattern):
        if cause.search(actual) is None:
            raise AssertionError(f"the cause {actual!r} does not match {cause.pattern!r}")
    elif actual != cause:
        raise AssertionError(f"expected the cause {cause!r}, not {actual!r}")


# -- Hypothesis -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Return:
    value: JSON

    def __repr__(self) -> str:
        return f"Return({self.value!r})"


@dataclass(frozen=True, slots=True)
class _Throw:
    error: str
    cause: str = "drawn by asl.testing.task_outcomes"

    def __repr__(self) -> str:
        return f"Throw({self.error!r})"


@dataclass
class ScriptedOutcomes:
    """A `task_override` that answers each call of each Task state from a script of outcomes.

    The n-th call of a state gets the n-th outcome of its script; calls past its end repeat
    the last one. States without a script are not overridden. Use one per execution, or
    `reset()` it between executions.
    """

    script: Mapping[str, Sequence[_Return | _Throw]]
    calls: dict[str, int] = field(default_factory=dict, repr=False)

    def __call__(self, state_name: str) -> Callable[..., Any] | None:
        outcomes = self.script.get(state_name)
        if not outcomes:
            return None
        call = self.calls.get(state_name, 0)
        self.calls[state_name] = call + 1
        outcome = outcomes[min(call, len(outcomes) - 1)]

        async def answer(_payload: JSON) -> JSON:
            if isinstance(outcome, _Throw):
                raise TaskFailed(outcome.error, outcome.cause)
            return copy.deepcopy(outcome.value)

        return answer

    def reset(self) -> None:
        """Start every state's script again from its first outcome."""
        self.calls.clear()

    def __repr__(self) -> str:
        return f"ScriptedOutcomes({dict(self.script)!r})"


def _tasks(graph: StateMachine) -> list[State]:
    found: list[State] = []
    for state in graph.states.values():
        if state.kind == "Task":
            found.append(state)
        if isinstance(state, ParallelState):
            for branch in state.branches:
                found.extend(_tasks(branch))
        elif isinstance(state, MapState) and state.processor is not None:
            found.extend(_tasks(state.processor))
    return found


def handled_errors(state: State) -> list[str]:
    """The error names a state's Retry and Catch clauses mention (States.ALL aside), in order."""
    names: list[str] = []
    clauses: list[tuple[str, ...]] = [r.error_equals for r in state.retry] + [c.error_equals for c in state.catch]
    for error_equals in clauses:
        for name in error_equals:
            if name != "States.ALL" and name not in names:
                names.append(name)
    return names


def json_values(*, max_leaves: int = 8) -> SearchStrategy[JSON]:
    """A Hypothesis strategy for small JSON values (finite numbers, short text)."""
    from hypothesis import strategies as st

    scalars: SearchStrategy[JSON] = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**31), 2**31),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=12),
    )
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
        max_leaves=max_leaves,
    )


def task_outcomes(
    machine: StateMachine,
    *,
    results: SearchStrategy[JSON] | Mapping[str, SearchStrategy[JSON]] | None = None,
    errors: Sequence[str] = ("States.TaskFailed",),
    states: Iterable[str] | None = None,
    max_calls: int = 4,
) -> SearchStrategy[ScriptedOutcomes]:
    """A Hypothesis strategy for a `task_override` drawing every Task's outcome, call by call.

    Each outcome is a result (from `results`: one strategy for all Tasks, or one per state
    name; by default `{}`) or a failure named after an error its Retry/Catch clauses mention,
    or one of `errors` (failures no clause may handle). `states` limits which Tasks are drawn
    for (the others call their resources). Scripts hold 1 to `max_calls` outcomes.
    """
    from hypothesis import strategies as st

    chosen = set(states) if states is not None else None
    scripts: dict[str, SearchStrategy[list[_Return | _Throw]]] = {}
    for task in _tasks(machine):
        if (chosen is not None and task.name not in chosen) or task.name in scripts:
            continue
        if isinstance(results, Mapping):
            result = results.get(task.name, st.just({}))
        else:
            result = results if results is not None else st.just({})
        names = handled_errors(task) + [name for name in errors if name not in handled_errors(task)]
        outcome: SearchStrategy[_Return | _Throw] = result.map(_Return)
        if names:
            outcome = st.one_of(outcome, st.sampled_from(names).map(_Throw))
        scripts[task.name] = st.lists(outcome, min_size=1, max_size=max_calls)
    return st.fixed_dictionaries(scripts).map(ScriptedOutcomes)
