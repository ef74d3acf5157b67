"""asl: run Amazon States Language state machines in-process, as AWS Step Functions runs them.

machine = asl.parse(definition)          # dict, JSON text, bytes or path; asl.DefinitionError
problems = asl.validate(definition)      # every problem, each with a JSON Pointer
execution = asl.run(machine, input, resources={...}, clock=asl.VirtualClock())
execution = await asl.execute(machine, input, ...)   # the async twin
"""

from __future__ import annotations

import gc
import importlib
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

from .context import JSON
from .errors import AslError, DefinitionError, ExecutionError, Problem, TaskFailed

if TYPE_CHECKING:
    from .clock import Clock, SystemClock, VirtualClock
    from .executor import Execution, Limits, Status, execute, start
    from .history import HistoryEvent
    from .model import StateMachine

# The engine is imported on first use, so that `python -m asl --help` starts at once.
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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'asl' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


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

Definition = JSON | str | bytes | os.PathLike[str]


def validate(definition: Definition) -> tuple[Problem, ...]:
    """Every problem of a definition (empty when valid); never raises for bad input."""
    from . import validation

    return validation.validate(definition)


def parse(definition: Definition) -> StateMachine:
    """Validate and compile a definition into an immutable StateMachine; raises DefinitionError."""
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
        return compiler.compile_machine(cast(dict[str, Any], document), basic.compose)
    finally:
        if collecting:
            gc.enable()


def run(
    machine: StateMachine,
    input: JSON = None,  # noqa: A002 - the ASL word
    *,
    resources: Mapping[str, Callable[..., Any]] | None = None,
    clock: Clock | None = None,
    seed: int | None = None,
    name: str | None = None,
    **options: Any,
) -> Execution:
    """Run one execution to its end from synchronous code: the twin of `execute` (same keywords).

    Raises AslError when called from a running event loop (use `await asl.execute(...)` there).
    """
    from .executor import execute, run_blocking

    return run_blocking(
        lambda: execute(machine, input, resources=resources, clock=clock, seed=seed, name=name, **options)
    )
