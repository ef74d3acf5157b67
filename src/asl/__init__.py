"""asl: run Amazon States Language state machines in-process, as AWS Step Functions runs them.

    machine = asl.parse(definition)          # dict, JSON text, bytes or path; asl.DefinitionError
    problems = asl.validate(definition)      # every problem, each with a JSON Pointer
    execution = asl.run(machine, input, resources={...}, clock=asl.VirtualClock())
    execution = await asl.execute(machine, input, ...)   # the async twin
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from .clock import Clock, SystemClock, VirtualClock
from .context import JSON
from .errors import AslError, DefinitionError, ExecutionError, Problem, TaskFailed
from .executor import Execution, Limits, Status, execute, start
from .history import HistoryEvent
from .model import StateMachine

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

Definition = Mapping[str, Any] | str | bytes | os.PathLike[str]


def validate(definition: Definition) -> tuple[Problem, ...]:
    """Every problem of a definition (empty when valid); never raises for bad input."""
    from . import validation

    return validation.validate(definition)


def parse(definition: Definition) -> StateMachine:
    """Validate and compile a definition into an immutable StateMachine; raises DefinitionError."""
    from . import compiler, validation

    document = validation.load(definition)
    problems = validation.validate(document)
    if problems:
        raise DefinitionError(problems)
    return compiler.compile_machine(document)


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
    """Run one execution to its end from synchronous code: the twin of `execute` (same keywords)."""
    import anyio

    async def main() -> Execution:
        return await execute(machine, input, resources=resources, clock=clock, seed=seed, name=name, **options)

    return anyio.run(main)
