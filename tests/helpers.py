"""What the execution tests share: a guard against hanging runs, a compact way to write a
machine, a run on virtual time, and resources that never answer."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

import asl

__all__ = ["CALLBACK", "GUARD", "LOOP", "answer_callback", "callback_machine", "hang", "machine", "run", "types"]

GUARD = 10  # seconds of real time: a run that hangs fails instead of stalling the suite

CALLBACK = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"

# States that loop until the input has a `stop` field, which no test gives them.
LOOP = {
    "Loop": {"Type": "Pass", "Next": "Check"},
    "Check": {
        "Type": "Choice",
        "Choices": [{"Variable": "$.stop", "IsPresent": True, "Next": "Done"}],
        "Default": "Loop",
    },
    "Done": {"Type": "Succeed"},
}


def machine(states: dict[str, Any], **top: Any) -> asl.StateMachine:
    """A machine of `states`, starting at the first; `top` adds top-level fields."""
    return asl.parse({"StartAt": next(iter(states)), "States": states, **top})


async def run(mach: asl.StateMachine, value: Any = None, **options: Any) -> asl.Execution:
    """One execution on a VirtualClock at 0 (unless `clock` is given), guarded by GUARD."""
    options.setdefault("clock", asl.VirtualClock(0))
    with anyio.fail_after(GUARD):
        return await asl.execute(mach, value, **options)


def types(execution: asl.Execution) -> list[str]:
    return [event.type for event in execution.history]


async def hang(_event: Any) -> Any:
    """An async resource that never answers (it waits on the outside world, not on the clock)."""
    await anyio.sleep_forever()


def callback_machine(**fields: Any) -> asl.StateMachine:
    """One `.waitForTaskToken` Task that passes its token on; `fields` add to the Task."""
    task = {"Type": "Task", "Resource": CALLBACK, "Parameters": {"token.$": "$$.Task.Token"}, "End": True}
    return machine({"T": {**task, **fields}})


async def answer_callback(
    act: Callable[[asl.Execution, str], Awaitable[None] | None],
    mach: asl.StateMachine | None = None,
    **options: Any,
) -> asl.Execution:
    """Run `mach` (default: callback_machine()) on virtual time; when its Task waits for its
    token, call `act(execution, token)` (sync or async) to answer it. Returns the ended execution."""
    options.setdefault("clock", asl.VirtualClock(0))
    options.setdefault("resources", {CALLBACK: lambda event: None})
    with anyio.fail_after(GUARD):
        async with asl.start(mach or callback_machine(), {}, **options) as execution:
            async for event in execution.events():
                if event.type == "TaskSubmitted":
                    done = act(execution, execution.task_tokens[0])
                    if inspect.isawaitable(done):
                        await done
    return execution
