"""A TestState request before anything runs: which state it tests, and what AWS refuses, with
AWS's messages (`ValidationException`; `DefinitionError` where AWS answers InvalidDefinition).

    state = resolve(definition, "Charge")   # the state to test; a single state is named StateName
    check_request(state, mock_of(mock, None), inspection_level="INFO", ...)
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any, Final

from . import parse, resources, servicemodels, validation
from .context import JSON
from .errors import AslError, DefinitionError, ExecutionError, Problem
from .model import MapState, ParallelState, State, StateMachine, TaskState

__all__ = ["LEVELS", "NOT_MOCKED", "STATE_NAME", "NotMocked", "ValidationException", "check_request", "mock_of"]

LEVELS: Final = ("INFO", "DEBUG", "TRACE")
STATE_NAME: Final = "StateName"  # how TestState names the tested state (in `$$` and a single state's machine)
_PLACEHOLDER: Final = {"Type": "Succeed"}
_CONTEXT: Final = "Invalid Context object provided: "
# The context object a caller may give: its sections, their fields, and each field's JSON type.
_CONTEXT_FIELDS: Final[dict[str, dict[str, str]]] = {
    "Execution": {
        "Id": "string",
        "Input": "any",
        "Name": "string",
        "RoleArn": "string",
        "StartTime": "string",
        "RedriveCount": "integer",
        "RedriveTime": "string",
    },
    "State": {"EnteredTime": "string", "Name": "string", "RetryCount": "integer"},
    "StateMachine": {"Id": "string", "Name": "string"},
    "Task": {"Token": "string"},
}


class ValidationException(AslError):
    """A TestState request AWS refuses before running it (its ValidationException, or the SDK's
    own check of a parameter); the message is AWS's."""


class NotMocked:
    """The mock of a request that has none (`None` is a mocked JSON null)."""

    __slots__ = ()


NOT_MOCKED: Final = NotMocked()


def mock_of(mock: JSON | ExecutionError, mock_result: str | None) -> object:
    """The request's mock: NOT_MOCKED, a JSON result, or the ExecutionError it fails with.

    Raises ValidationException for a result that is not JSON, or given together with an error.
    """
    if mock_result is None:
        return NOT_MOCKED if mock is None else mock
    if isinstance(mock, ExecutionError):
        raise ValidationException("A test mock should have only one of the following fields: [result, errorOutput].")
    if mock is not None:
        raise ValidationException("give the mocked result once: as `mock` or as `mock_result` JSON text, not both")
    try:
        value: JSON = json.loads(mock_result)
    except ValueError:
        raise ValidationException("Mocked result must be valid JSON") from None
    return value


# -- which state --------------------------------------------------------------------------


def resolve(
    definition: StateMachine | Mapping[str, Any] | str | bytes | os.PathLike[str], state_name: str | None
) -> State:
    """The state a request tests: `state_name` in a machine (its StartAt when None), or the
    single state `definition` is, named StateName. Raises DefinitionError or ValidationException."""
    if state_name == "":  # the SDK refuses it before sending
        raise ValidationException(
            "Parameter validation failed:\nInvalid length for parameter stateName, value: 0, valid min length: 1"
        )
    if isinstance(definition, StateMachine):
        machine = definition
    else:
        source: Any = definition  # a Mapping here is JSON that has not been checked yet
        document = validation.load(source)
        # A single state's definition; with a state name AWS reads it as a machine, and refuses it.
        if isinstance(document, Mapping) and "States" not in document and "Type" in document and state_name is None:
            state_name = _free_name(document)
            document = _single_state_machine(state_name, document)
        machine = parse(document)
    state = _find(machine, state_name or machine.start_at)
    if state is None:
        raise ValidationException("State not found in definition")
    return state


def _free_name(state: Mapping[str, Any]) -> str:
    """StateName, unless a state nested in this one has that name (names are unique machine-wide)."""
    taken = set(_nested_names(state))
    name, number = STATE_NAME, 1
    while name in taken:
        name, number = f"{STATE_NAME}{number}", number + 1
    return name


def _nested_names(state: Mapping[str, Any]) -> list[str]:
    graphs = [state.get("ItemProcessor"), state.get("Iterator"), *(state.get("Branches") or ())]
    names: list[str] = []
    for graph in graphs:
        states = graph.get("States") if isinstance(graph, Mapping) else None
        if isinstance(states, Mapping):
            for name, inner in states.items():
                names.append(str(name))
                if isinstance(inner, Mapping):
                    names.extend(_nested_names(inner))
    return names


def _single_state_machine(name: str, state: Mapping[str, Any]) -> dict[str, Any]:
    """A one-state machine around a state definition; the states it may go to are placeholders."""
    targets = [state.get("Next"), state.get("Default")]
    targets += [rule.get("Next") for rule in state.get("Choices") or () if isinstance(rule, Mapping)]
    targets += [catcher.get("Next") for catcher in state.get("Catch") or () if isinstance(catcher, Mapping)]
    states: dict[str, Any] = {name: dict(state)}
    for target in targets:
        if isinstance(target, str) and target not in states:
            states[target] = dict(_PLACEHOLDER)
    return {"StartAt": name, "States": states}


def _find(machine: StateMachine, name: str) -> State | None:
    if name in machine.states:
        return machine.states[name]
    for state in machine.states.values():
        for graph in _children(state):
            found = _find(graph, name)
            if found is not None:
                return found
    return None


def _children(state: State) -> tuple[StateMachine, ...]:
    if isinstance(state, ParallelState):
        return state.branches
    if isinstance(state, MapState) and state.processor is not None:
        return (state.processor,)
    return ()


# -- what AWS refuses ---------------------------------------------------------------------


def check_request(  # noqa: PLR0913 - the request's parameters that AWS checks
    state: State,
    mock: object,
    *,
    inspection_level: str,
    mode: str,
    context: Mapping[str, JSON] | None,
    reveal_secrets: bool,
    retrier_retry_count: int | None,
    map_iteration_failure_count: int | None,
    error_caused_by_state: str | None,
    map_item_reader_data: str | None,
) -> None:
    """Refuse what AWS refuses before running the state. Raises ValidationException, or
    DefinitionError for an unmocked Map or Parallel (AWS's InvalidDefinition)."""
    if inspection_level not in LEVELS:
        raise ValidationException(f"inspection_level must be one of {', '.join(LEVELS)}, not {inspection_level!r}")
    if mode not in servicemodels.MODES:
        raise ValidationException(f"mock_field_validation_mode must be one of {', '.join(servicemodels.MODES)}")
    for name, count in (
        ("retrierRetryCount", retrier_retry_count),
        ("mapIterationFailureCount", map_iteration_failure_count),
    ):
        if count is not None and count < 0:
            raise ValidationException(f"{name} must be at least 0")
    mocked = not isinstance(mock, NotMocked)
    if reveal_secrets and mocked:
        raise ValidationException("TestState does not support RevealSecrets when a mock is specified.")
    if mocked and not isinstance(state, TaskState | ParallelState | MapState):
        raise ValidationException(f"State type '{state.kind}' is not supported when a mock is specified")
    if not mocked:  # the state configuration describes what a mock stands for
        for name, value in (
            ("RetrierRetryCount", retrier_retry_count),
            ("MapIterationFailureCount", map_iteration_failure_count),
            ("MapItemReaderData", map_item_reader_data),
            ("Context", context),
        ):
            if value is not None:
                raise ValidationException(f"TestState does not support {name} when a mock is not specified.")
    _check_configuration(state, mock, map_iteration_failure_count, error_caused_by_state, map_item_reader_data)
    if not mocked:
        _check_unmocked(state)
    elif not isinstance(mock, ExecutionError):
        _check_result(state, mock, mode)  # type: ignore[arg-type]  # a JSON result
    if context is not None:
        _check_context(state, context)


def _check_unmocked(state: State) -> None:
    if isinstance(state, MapState | ParallelState):
        message = (
            "TestState API does not support Map or Parallel states. "
            "Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]"
        )
        raise DefinitionError([Problem("", "UNSUPPORTED_STATE_TYPE", message)])
    if isinstance(state, TaskState) and (_pattern(state) or ":activity:" in state.resource):
        raise ValidationException(
            "TestState only supports Activity tasks and the .sync or .waitForTaskToken service integration "
            "patterns when a mock is specified: give it a mock"
        )


def _check_configuration(
    state: State, mock: object, failures: int | None, caused_by: str | None, reader_data: str | None
) -> None:
    if failures is not None:
        if not isinstance(state, MapState):
            raise ValidationException("TestState supports MapIterationFailureCount only for Map states.")
        if isinstance(mock, list) and failures > len(mock):
            raise ValidationException(
                "Map iteration failure count must be less than or equal to the number of Map iterations"
            )
    if caused_by is not None:
        if not isinstance(state, MapState | ParallelState) or not isinstance(mock, ExecutionError):
            raise ValidationException(
                "TestState supports ErrorCausedByState only when an error is mocked for a Map or Parallel state."
            )
        if not any(_find(graph, caused_by) for graph in _children(state)):
            raise ValidationException(f"ErrorCausedByState '{caused_by}' is not a state of the tested state.")
    if reader_data is not None and (not isinstance(state, MapState) or state.item_reader is None):
        raise ValidationException("TestState supports MapItemReaderData only for a Map state with an ItemReader.")


def _check_result(state: State, result: JSON, mode: str) -> None:
    if isinstance(state, ParallelState):
        if not isinstance(result, list):
            raise ValidationException("Mocked result must be an array.")
        if len(result) != len(state.branches):
            raise ValidationException(f"Mocked result must be an array of {len(state.branches)} items, one per branch.")
    elif isinstance(state, MapState):
        if "ResultWriter" in state.raw:
            if not isinstance(result, dict):
                raise ValidationException("Mocked result must be a JSON object.")
        elif not isinstance(result, list):
            raise ValidationException("Mocked result must be an array.")
    elif isinstance(state, TaskState):
        problem = servicemodels.mock_problem(state.resource, result, mode)
        if problem is not None:
            raise ValidationException(problem)


def _check_context(state: State, context: Mapping[str, JSON]) -> None:
    if not isinstance(context, Mapping):
        raise ValidationException(f"{_CONTEXT}the context object must be a JSON object")
    for key, section in context.items():
        if key == "Map":
            raise ValidationException(f"{_CONTEXT}'Map' field is not supported when mocking a Context object")
        fields = _CONTEXT_FIELDS.get(key)
        if fields is None:
            raise ValidationException(f"{_CONTEXT}Field '{key}' is not allowed")
        if key == "Task" and not (isinstance(state, TaskState) and _pattern(state)):
            raise ValidationException(
                f"{_CONTEXT}Context object contains 'Task' when state is not a Task state with a '.sync' or "
                "'.waitForTaskToken' service integration pattern"
            )
        if not isinstance(section, Mapping):
            raise ValidationException(f"{_CONTEXT}{key} must be an object")
        for name, value in section.items():
            kind = fields.get(name)
            if kind is None:
                raise ValidationException(f"{_CONTEXT}Field '{key}.{name}' is not allowed")
            if value is None:  # a field set to null is a field left unset (as TestState's own RoleArn)
                continue
            if kind == "string" and not isinstance(value, str):
                raise ValidationException(f"{_CONTEXT}{key}.{name} must be a string")
            if kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValidationException(f"{_CONTEXT}{key}.{name} must be an integer")


def _pattern(state: TaskState) -> str:
    """The Task's integration pattern: "", ".sync", ".sync:2" or ".waitForTaskToken"."""
    return resources.classify(state.resource).pattern
