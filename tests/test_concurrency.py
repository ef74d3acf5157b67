"""One compiled machine, a thousand executions at once in one event loop: some succeed (through
async and thread-run sync callables and answered task tokens), some are aborted mid-run, some
time out. Every result is its own, and nothing is left behind: no task, thread or token."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import anyio
import pytest

import asl
from helpers import CALLBACK

pytestmark = pytest.mark.anyio

COUNT = 1_000
KINDS = ("async", "sync", "token", "abort", "timeout")

# Wait (virtual) by $.delay; a Task per kind; the result placed beside the input; a variable
# assigned early and read at the end shows that executions do not see each other's variables.
MACHINE = {
    "TimeoutSeconds": 1_000,
    "StartAt": "Remember",
    "States": {
        "Remember": {"Type": "Pass", "Assign": {"mine.$": "$.n"}, "Next": "Delay"},
        "Delay": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "Route"},
        "Route": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.kind", "StringEquals": "async", "Next": "Async"},
                {"Variable": "$.kind", "StringEquals": "sync", "Next": "Sync"},
                {"Variable": "$.kind", "StringEquals": "timeout", "Next": "Long"},
            ],
            "Default": "Callback",
        },
        "Async": {"Type": "Task", "Resource": "async", "ResultPath": "$.result", "Next": "Done"},
        "Sync": {"Type": "Task", "Resource": "sync", "ResultPath": "$.result", "Next": "Done"},
        "Callback": {
            "Type": "Task",
            "Resource": CALLBACK,
            "Parameters": {"n.$": "$.n", "token.$": "$$.Task.Token"},
            "ResultPath": "$.result",
            "Next": "Done",
        },
        "Long": {"Type": "Wait", "Seconds": 10_000, "Next": "Done"},
        "Done": {"Type": "Pass", "Parameters": {"n.$": "$mine", "result.$": "$.result"}, "End": True},
    },
}


async def async_work(event: dict[str, Any]) -> int:
    await anyio.sleep(0)  # really yields to the other executions
    return event["n"] * 10


def sync_work(event: dict[str, Any]) -> int:
    return event["n"] * 10


async def callback_sink(event: dict[str, Any]) -> dict[str, Any]:
    return {"MessageId": str(event["n"])}


RESOURCES = {"async": async_work, "sync": sync_work, CALLBACK: callback_sink}


def our_threads() -> list[threading.Thread]:
    """Live threads that are not anyio's or trio's idle workers (those linger up to 10 s by design,
    and one left by an earlier trio test may end while this test runs)."""
    return [
        thread
        for thread in threading.enumerate()
        if thread.name != "AnyIO worker thread" and not thread.name.startswith("Trio thread")
    ]


def anyio_workers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "AnyIO worker thread"]


async def drive(execution: asl.Execution, kind: str, n: int) -> None:
    """Answer or abort the execution once its callback Task is waiting."""
    if kind not in ("token", "abort"):
        return
    async for event in execution.events():
        if event.type == "TaskSubmitted":
            (token,) = execution.task_tokens
            if kind == "token":
                execution.send_task_success(token, {"answer": n})
            else:
                execution.abort("Test.Abort", f"execution {n}")


async def test_a_thousand_executions_of_one_machine_at_once_stay_independent_and_leave_nothing() -> None:
    machine = asl.parse(MACHINE)
    threads_before = {thread.ident for thread in our_threads()}
    tasks_before = asyncio.all_tasks()
    executions: dict[int, asl.Execution] = {}
    clocks = {n: asl.VirtualClock(0) for n in range(COUNT)}

    async def one(n: int) -> None:
        kind = KINDS[n % len(KINDS)]
        value = {"n": n, "kind": kind, "delay": n % 7}
        async with asl.start(machine, value, resources=RESOURCES, clock=clocks[n], name=f"run-{n}") as execution:
            executions[n] = execution
            await drive(execution, kind, n)

    with anyio.fail_after(120):  # real seconds: a deadlock fails the test instead of hanging it
        async with anyio.create_task_group() as tg:
            for n in range(COUNT):
                tg.start_soon(one, n)

    for n, execution in executions.items():
        kind = KINDS[n % len(KINDS)]
        assert execution.done and execution.task_tokens == ()
        assert execution.name == f"run-{n}"
        if kind in ("async", "sync"):
            assert (execution.status, execution.output) == (asl.Status.SUCCEEDED, {"n": n, "result": n * 10})
            assert clocks[n].now() == n % 7
        elif kind == "token":
            assert (execution.status, execution.output) == (asl.Status.SUCCEEDED, {"n": n, "result": {"answer": n}})
        elif kind == "abort":
            assert (execution.status, execution.error, execution.cause) == (
                asl.Status.ABORTED,
                "Test.Abort",
                f"execution {n}",
            )
            assert [event.type for event in execution.history][-2:] == ["TaskStateAborted", "ExecutionAborted"]
        else:
            assert (execution.status, execution.error) == (asl.Status.TIMED_OUT, "States.Timeout")
            assert clocks[n].now() == 1_000
            assert execution.history[-1].type == "ExecutionTimedOut"
        assert execution.history[0].details["input"]["n"] == n  # type: ignore[index]
    assert len({execution.arn for execution in executions.values()}) == COUNT

    await anyio.sleep(0)
    assert asyncio.all_tasks() <= tasks_before  # only the test's own task is left
    assert {thread.ident for thread in our_threads()} == threads_before
    assert len(anyio_workers()) <= 40  # anyio's default thread limiter: idle workers, bounded


async def test_a_thousand_executions_through_execute_in_a_task_group() -> None:
    machine = asl.parse(
        {
            "StartAt": "W",
            "States": {
                "W": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "T"},
                "T": {"Type": "Task", "Resource": "async", "End": True},
            },
        }
    )
    tasks_before = asyncio.all_tasks()
    results: dict[int, asl.Execution] = {}

    async def one(n: int) -> None:
        results[n] = await asl.execute(
            machine, {"n": n, "delay": 1_000 - n}, resources=RESOURCES, clock=asl.VirtualClock(0)
        )

    with anyio.fail_after(120):
        async with anyio.create_task_group() as tg:
            for n in range(COUNT):
                tg.start_soon(one, n)
    assert [results[n].output for n in range(COUNT)] == [n * 10 for n in range(COUNT)]
    assert asyncio.all_tasks() <= tasks_before


async def test_cancelling_the_surrounding_scope_aborts_every_execution_and_leaves_nothing() -> None:
    """The embedding program cancels its task group: each execution ends ABORTED, as on StopExecution."""
    machine = asl.parse(MACHINE)
    tasks_before = asyncio.all_tasks()
    executions: list[asl.Execution] = []

    async def one(n: int) -> None:
        async with asl.start(
            machine, {"n": n, "kind": "token", "delay": 0}, resources=RESOURCES, clock=asl.VirtualClock(0)
        ) as execution:
            executions.append(execution)

    with anyio.move_on_after(2):  # real time: every execution is waiting for its token by then
        async with anyio.create_task_group() as tg:
            for n in range(200):
                tg.start_soon(one, n)
            while sum(len(execution.task_tokens) for execution in executions) < 200:
                await anyio.sleep(0.01)
            tg.cancel_scope.cancel()
    assert len(executions) == 200
    assert {execution.status for execution in executions} == {asl.Status.ABORTED}
    assert all(execution.task_tokens == () for execution in executions)
    assert all(execution.history[-1].type == "ExecutionAborted" for execution in executions)
    await anyio.sleep(0)
    assert asyncio.all_tasks() <= tasks_before


async def test_executions_may_share_one_virtual_clock() -> None:
    """One VirtualClock for many executions: time moves once all of them wait; each wakes on time."""
    machine = asl.parse(
        {
            "StartAt": "W",
            "States": {
                "W": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "T"},
                "T": {"Type": "Task", "Resource": "async", "End": True},
            },
        }
    )
    clock = asl.VirtualClock(0)
    woke: dict[int, float] = {}

    async def one(n: int) -> None:
        execution = await asl.execute(machine, {"n": n, "delay": 50 - n}, resources=RESOURCES, clock=clock)
        woke[n] = clock.now()
        assert execution.output == n * 10

    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            for n in range(50):
                tg.start_soon(one, n)
    assert woke == {n: 50 - n for n in range(50)}
    assert clock.now() == 50


@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_many_executions_at_once_under_trio(anyio_backend: str) -> None:
    machine = asl.parse(MACHINE)
    executions: dict[int, asl.Execution] = {}

    async def one(n: int) -> None:
        kind = KINDS[n % len(KINDS)]
        async with asl.start(
            machine, {"n": n, "kind": kind, "delay": n % 3}, resources=RESOURCES, clock=asl.VirtualClock(0)
        ) as execution:
            executions[n] = execution
            await drive(execution, kind, n)

    with anyio.fail_after(60):
        async with anyio.create_task_group() as tg:
            for n in range(200):
                tg.start_soon(one, n)
    statuses = [executions[n].status for n in range(200)]
    expected = {
        "async": asl.Status.SUCCEEDED,
        "sync": asl.Status.SUCCEEDED,
        "token": asl.Status.SUCCEEDED,
        "abort": asl.Status.ABORTED,
        "timeout": asl.Status.TIMED_OUT,
    }
    assert statuses == [expected[KINDS[n % len(KINDS)]] for n in range(200)]
    assert all(execution.task_tokens == () for execution in executions.values())
