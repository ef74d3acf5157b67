"""asl: run Amazon States Language state machines in-process, as AWS Step Functions runs them.

    machine = asl.parse(definition)          # dict, JSON text, bytes or path; asl.DefinitionError
    problems = asl.validate(definition)      # every problem, each with a JSON Pointer
    execution = asl.run(machine, input, resources={...}, clock=asl.VirtualClock())
    execution = await asl.execute(machine, input, ...)   # the async twin
    async with asl.start(machine, input, ...) as execution:   # in the background
        execution.send_task_success(execution.task_tokens[0], {"approved": True})

Verbs: validate, parse, run, execute, start. Types: StateMachine, Execution, Status, Limits,
HistoryEvent, Clock, SystemClock, VirtualClock, JSON. Errors (asl.errors): AslError and below.
"""

from __future__ import annotations

import importlib as _importlib
from collections.abc import Callable as _Callable
from collections.abc import Mapping as _Mapping
from os import PathLike as _PathLike
from typing import TYPE_CHECKING
from typing import Any as _Any

from .context import JSON
from .errors import AslError, DefinitionError, ExecutionError, Problem, TaskFailed

if TYPE_CHECKING:
    from .clock import Clock, SystemClock, VirtualClock
    from .executor import Execution, Limits, Status, execute, start
    from .history import HistoryEvent
    from .model import StateMachine

__version__ = "0.1.0"

# The engine is imported on first use, so that `python -m asl --help` starts at once; `__dir__`
# names these too, so that dir() and help() show them.
_LAZY = {
    "Clock": "clock",
    "SystemClock": "clock",
    "VirtualClock": "clock",
    "Execution": "executor",
    "Limits": "executor",
    "Status": "executor",
    "execute": "executor",
    "start": "executor",
    "HistoryEvent": "history",
    "StateMachine": "model",
}


def __getattr__(name: str) -> _Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'asl' has no attribute {name!r}")
    value = getattr(_importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*__all__, "__version__", "errors"} | {name for name in globals() if name.startswith("__")})


__all__ = [
    "JSON",
    "AslError",
    "Clock",
    "DefinitionError",
    "Execution",
    "ExecutionError",
    "HistoryEvent",
    "Limits",
    "Problem",
    "StateMachine",
    "Status",
    "SystemClock",
    "TaskFailed",
    "VirtualClock",
    "execute",
    "parse",
    "run",
    "start",
    "validate",
]

Definition = JSON | str | bytes | _PathLike[str]


def validate(definition: Definition) -> tuple[Problem, ...]:
    """Every problem of a definition (empty when valid); never raises for bad input."""
    from . import validation

    return validation.validate(definition)


def parse(definition: Definition) -> StateMachine:
    """Validate and compile a definition into an immutable StateMachine; raises DefinitionError."""
    import gc

    from . import compiler, validation
    from .states import basic

    # Compiling makes thousands of objects that all live on; left on, the cyclic collector
    # runs full collections over them for nothing (a third of the time of a large parse).
    collecting = gc.isenabled()
    gc.disable()
    try:
        document = validation.load(definition, own=True)  # the caller's later changes must not reach it
        problems = validation.validate(document)
        if problems:
            raise DefinitionError(problems)
        return compiler.compile_machine(document, basic.compose)  # type: ignore[arg-type]  # validated: an object
    finally:
        if collecting:
            gc.enable()


def run(
    machine: StateMachine | Definition,
    input: JSON = None,  # noqa: A002 - the ASL word
    *,
    resources: _Mapping[str, _Callable[..., _Any]] | None = None,
    clock: Clock | None = None,
    seed: int | None = None,
    name: str | None = None,
    **options: _Any,
) -> Execution:
    """Run one execution to its end from synchronous code: the twin of `execute` (same keywords).

    `machine` is a StateMachine or a definition `parse` takes. Raises AslError when called from
    a running event loop (use `await asl.execute(...)` there), DefinitionError for an invalid
    definition, TypeError naming `asl.run` for an unknown keyword.
    """
    from .executor import _checked, _compiled, execute, run_blocking

    _checked("asl.run", options)
    machine = _compiled(machine)
    return run_blocking(
        lambda: execute(machine, input, resources=resources, clock=clock, seed=seed, name=name, **options)
    )
