"""Cancellation of every state that can be in progress: under `asl.start` + `abort()` (StopExecution),
driven from `execution.events()` when the right event arrives, and under a Task's TimeoutSeconds.

Async Task callables are cancelled (they see the cancellation and clean up); a sync callable in a
worker thread is abandoned and its late result changes nothing; Wait, Parallel, inline and
distributed Map states are aborted with every running task inside them. Afterwards no task token
and no thread of ours is left. Under a VirtualClock time does not move while the follower holds
an event, so each abort lands exactly where the test means it to.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import anyio
import pytest

import asl
from asl.errors import AslError
from helpers import CALLBACK, GUARD, callback_machine, machine, types

pytestmark = pytest.mark.anyio


LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:hang"
DISTRIBUTED = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def our_threads() -> set[int | None]:
    """Live threads that are not anyio's idle workers (those linger up to 10 s by design)."""
    return {thread.ident for thread in threading.enumerate() if thread.name != "AnyIO worker thread"}


@pytest.fixture(autouse=True)
def no_thread_left(anyio_backend: str) -> Iterator[None]:
    """No thread of ours outlives a test. Under asyncio only: trio's idle workers bear no common name."""
    before = our_threads()
    yield
    if anyio_backend == "asyncio":
        assert our_threads() == before


# -- helpers --------------------------------------------------------------------------------------


class Hang:
    """An async resource that waits until it is cancelled, and remembers what happened to each call.

    `all_started` is set once `expected` calls are waiting, so a follower can abort at that moment.
    """

    def __init__(self, expected: int = 1) -> None:
        self.expected = expected
        self.started: list[Any] = []
        self.cancelled: list[Any] = []
        self.finished: list[Any] = []
        self.all_started = anyio.Event()

    async def __call__(self, event: Any) -> Any:
        self.started.append(event)
        if len(self.started) == self.expected:
            self.all_started.set()
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            self.cancelled.append(event)
            raise
        finally:
            self.finished.append(event)


def processor(states: dict[str, Any], **config: Any) -> dict[str, Any]:
    graph: dict[str, Any] = {"StartAt": next(iter(states)), "States": states}
    if config:
        graph["ProcessorConfig"] = config
    return graph


def hang_task(resource: str = "hang", **fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": resource, "End": True, **fields}


def snapshot(execution: asl.Execution) -> tuple[Any, ...]:
    history = [event.to_dict() for event in execution.history]
    return execution.status, execution.output, execution.error, execution.cause, history


async def abort_once_started(execution: asl.Execution, hang: Hang, trigger: str) -> None:
    """Follow the execution; at the first `trigger` event, wait for every call to hang, then abort."""
    aborted = False
    async for event in execution.events():
        if event.type == trigger and not aborted:
            await hang.all_started.wait()  # the follower holds the event: virtual time stands still
            execution.abort()
            aborted = True
    assert aborted, f"no {trigger} event came"


async def start_and_abort(
    mach: asl.StateMachine, value: Any, hang: Hang, trigger: str, clock: asl.VirtualClock | None = None
) -> asl.Execution:
    with anyio.fail_after(GUARD):
        async with asl.start(
            mach, value, resources={"hang": hang, LAMBDA: hang}, clock=clock or asl.VirtualClock(0)
        ) as execution:
            await abort_once_started(execution, hang, trigger)
    return execution


def assert_ended_aborted(execution: asl.Execution) -> None:
    assert execution.done and execution.status is asl.Status.ABORTED
    assert execution.history[-1].type == "ExecutionAborted"
    assert execution.task_tokens == ()
    assert not {"ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut"} & set(types(execution))


# -- (a) an async Task callable is cancelled ------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "trigger"),
    [
        (hang_task(), "TaskStarted"),
        (hang_task(LAMBDA), "LambdaFunctionStarted"),
        (
            hang_task("arn:aws:states:::lambda:invoke", Parameters={"FunctionName": "hang", "Payload.$": "$"}),
            "TaskStarted",
        ),
    ],
    ids=["custom", "lambda-arn", "lambda-invoke"],
)
async def test_abort_cancels_an_async_task_callable(state: dict[str, Any], trigger: str) -> None:
    hang = Hang()
    execution = await start_and_abort(machine({"T": state}), {"n": 1}, hang, trigger)
    assert hang.cancelled == hang.finished == [{"n": 1}]  # it saw the cancellation and cleaned up
    assert_ended_aborted(execution)
    assert types(execution)[-2:] == ["TaskStateAborted", "ExecutionAborted"]
    assert not {"TaskSucceeded", "TaskFailed", "LambdaFunctionSucceeded", "LambdaFunctionFailed"} & set(
        types(execution)
    )


async def test_abort_keeps_its_error_and_cause_and_the_callable_is_cancelled() -> None:
    hang = Hang()
    with anyio.fail_after(GUARD):
        async with asl.start(
            machine({"T": hang_task()}), {}, resources={"hang": hang}, clock=asl.VirtualClock(0)
        ) as execution:
            async for event in execution.events():
                if event.type == "TaskStarted":
                    await hang.all_started.wait()
                    execution.abort("Operator.Stop", "stopped by the on-call engineer")
    assert hang.cancelled == [{}]
    assert (execution.status, execution.error, execution.cause) == (
        asl.Status.ABORTED,
        "Operator.Stop",
        "stopped by the on-call engineer",
    )


async def test_abort_during_a_retry_interval_aborts_the_task_before_its_next_attempt() -> None:
    calls: list[Any] = []

    async def flaky(event: Any) -> Any:
        calls.append(event)
        raise asl.TaskFailed("Flaky.Error", "try again later")

    clock = asl.VirtualClock(0)
    retry = [{"ErrorEquals": ["Flaky.Error"], "IntervalSeconds": 100, "MaxAttempts": 3}]
    mach = machine({"T": hang_task("flaky", Retry=retry)})
    with anyio.fail_after(GUARD):
        async with asl.start(mach, {}, resources={"flaky": flaky}, clock=clock) as execution:
            async for event in execution.events():
                if event.type == "TaskFailed":
                    execution.abort()
    assert calls == [{}]  # the second attempt never came
    assert clock.now() == 0  # the 100-second interval was cut short
    assert_ended_aborted(execution)
    assert types(execution)[-3:] == ["TaskFailed", "TaskStateAborted", "ExecutionAborted"]


# -- (b) a sync Task callable in a worker thread is abandoned -------------------------------------


async def test_abort_abandons_a_sync_callable_and_its_late_result_changes_nothing() -> None:
    entered, release, returned = threading.Event(), threading.Event(), threading.Event()

    def blocking(event: Any) -> Any:
        entered.set()
        try:
            release.wait(3 * GUARD)  # longer than the guard: a run waiting for it fails, not passes
            return {"late": True}
        finally:
            returned.set()

    clock = asl.VirtualClock(0)
    mach = machine(
        {
            "T": {"Type": "Task", "Resource": "blocking", "Next": "After"},
            "After": {"Type": "Pass", "Result": "after", "End": True},
        }
    )
    try:
        with anyio.fail_after(GUARD):
            async with asl.start(mach, {}, resources={"blocking": blocking}, clock=clock) as execution:
                async for event in execution.events():
                    if event.type == "TaskStarted":
                        await anyio.to_thread.run_sync(entered.wait, GUARD)  # the thread is inside the callable
                        execution.abort()
        assert not returned.is_set()  # ended at once: the callable is still blocked in its thread
        assert_ended_aborted(execution)
        assert types(execution)[-2:] == ["TaskStateAborted", "ExecutionAborted"]
        before = snapshot(execution)
    finally:
        release.set()
    with anyio.fail_after(GUARD):
        await anyio.to_thread.run_sync(returned.wait, GUARD)  # the abandoned call has now returned
        for _ in range(10):
            await anyio.sleep(0)  # anything its result might schedule on the loop gets its turn
    assert snapshot(execution) == before
    assert execution.output is None
    assert not {"TaskSucceeded", "PassStateEntered"} & set(types(execution))  # nothing ran on its result
    assert clock.now() == 0


async def test_a_sync_callable_may_abort_its_own_execution_from_its_thread() -> None:
    """StopExecution from a worker thread: the call's own result is dropped, nothing runs after it."""
    executions: list[asl.Execution] = []

    def stopper(event: Any) -> Any:
        executions[0].abort("Self.Stop", "stopped from the worker thread")
        return {"ignored": True}

    mach = machine(
        {
            "T": {"Type": "Task", "Resource": "stopper", "Next": "After"},
            "After": {"Type": "Pass", "End": True},
        }
    )
    with anyio.fail_after(GUARD):
        async with asl.start(mach, {}, resources={"stopper": stopper}, clock=asl.VirtualClock(0)) as execution:
            executions.append(execution)
    assert_ended_aborted(execution)
    assert (execution.error, execution.cause, execution.output) == ("Self.Stop", "stopped from the worker thread", None)
    assert types(execution)[-2:] == ["TaskStateAborted", "ExecutionAborted"]
    assert "TaskSucceeded" not in types(execution)


# -- (c) a Task's TimeoutSeconds cancels its async callable --------------------------------------


async def test_task_timeout_cancels_the_async_callable_and_fails_with_states_timeout() -> None:
    hang = Hang()
    clock = asl.VirtualClock(0)
    with anyio.fail_after(GUARD):
        execution = await asl.execute(
            machine({"T": hang_task(TimeoutSeconds=5)}), {"n": 1}, resources={"hang": hang}, clock=clock
        )
    assert hang.cancelled == hang.finished == [{"n": 1}]
    assert (execution.status, execution.error) == (asl.Status.FAILED, "States.Timeout")
    assert clock.now() == 5
    assert types(execution)[-2:] == ["TaskTimedOut", "ExecutionFailed"]
    assert "TaskStateAborted" not in types(execution)  # a timeout is a failure of the state, not an abort


async def test_each_timed_out_attempt_is_cancelled_before_the_next_retry() -> None:
    hang = Hang()
    clock = asl.VirtualClock(0)
    retry = [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 2}]
    with anyio.fail_after(GUARD):
        execution = await asl.execute(
            machine({"T": hang_task(TimeoutSeconds=5, Retry=retry)}), {}, resources={"hang": hang}, clock=clock
        )
    assert len(hang.started) == len(hang.cancelled) == len(hang.finished) == 3
    assert (execution.status, execution.error) == (asl.Status.FAILED, "States.Timeout")
    assert clock.now() == 5 + 1 + 5 + 2 + 5
    assert types(execution).count("TaskTimedOut") == 3


async def test_a_caught_task_timeout_cancels_the_callable_and_moves_on() -> None:
    hang = Hang()
    mach = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": "hang",
                "TimeoutSeconds": 30,
                "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "After"}],
                "End": True,
            },
            "After": {"Type": "Pass", "End": True},
        }
    )
    with anyio.fail_after(GUARD):
        execution = await asl.execute(mach, {}, resources={"hang": hang}, clock=asl.VirtualClock(0))
    assert hang.cancelled == [{}]
    assert execution.status is asl.Status.SUCCEEDED
    assert isinstance(execution.output, dict) and execution.output["error"]["Error"] == "States.Timeout"
    assert types(execution)[-3:] == ["PassStateEntered", "PassStateExited", "ExecutionSucceeded"]


async def test_a_callback_task_timing_out_leaves_no_token() -> None:
    submitted: list[str] = []
    mach = callback_machine(TimeoutSeconds=60)
    with anyio.fail_after(GUARD):
        async with asl.start(
            mach, {}, resources={CALLBACK: lambda event: submitted.append(event["token"])}, clock=asl.VirtualClock(0)
        ) as execution:
            async for event in execution.events():
                if event.type == "TaskSubmitted":
                    assert execution.task_tokens == tuple(submitted)
    assert (execution.status, execution.error) == (asl.Status.FAILED, "States.Timeout")
    assert execution.task_tokens == ()


async def test_an_execution_timeout_cancels_the_running_callable() -> None:
    hang = Hang()
    clock = asl.VirtualClock(0)
    with anyio.fail_after(GUARD):
        execution = await asl.execute(
            machine({"T": hang_task()}, TimeoutSeconds=50), {}, resources={"hang": hang}, clock=clock
        )
    assert hang.cancelled == [{}]
    assert (execution.status, execution.error) == (asl.Status.TIMED_OUT, "States.Timeout")
    assert clock.now() == 50
    assert types(execution)[-1] == "ExecutionTimedOut"


# -- (d) a Wait state ----------------------------------------------------------------------------


async def test_abort_during_a_wait_stops_it_before_its_end() -> None:
    clock = asl.VirtualClock(0)
    mach = machine(
        {
            "W": {"Type": "Wait", "Seconds": 3600, "Next": "After"},
            "After": {"Type": "Pass", "End": True},
        }
    )
    with anyio.fail_after(GUARD):
        async with asl.start(mach, {}, clock=clock) as execution:
            async for event in execution.events():
                if event.type == "WaitStateEntered":
                    execution.abort()
    assert_ended_aborted(execution)
    assert clock.now() == 0  # never reached the wait's end (3600)
    assert types(execution) == ["ExecutionStarted", "WaitStateEntered", "WaitStateAborted", "ExecutionAborted"]


async def test_abort_of_a_timestamp_wait_part_way_through() -> None:
    """Time moves while the Wait sleeps; the abort lands when a sibling branch is entered later."""
    clock = asl.VirtualClock(0)
    branches = [
        processor({"Long": {"Type": "Wait", "Timestamp": "1970-01-01T01:00:00Z", "End": True}}),
        processor(
            {
                "Short": {"Type": "Wait", "Seconds": 10, "Next": "Mark"},
                "Mark": {"Type": "Pass", "End": True},
            }
        ),
    ]
    mach = machine({"P": {"Type": "Parallel", "Branches": branches, "End": True}})
    with anyio.fail_after(GUARD):
        async with asl.start(mach, {}, clock=clock) as execution:
            async for event in execution.events():
                if event.type == "PassStateEntered":
                    execution.abort()
    assert_ended_aborted(execution)
    assert clock.now() == 10  # the long wait (3600) was cut at 10 s
    assert types(execution).count("WaitStateAborted") == 1
    assert types(execution)[-2:] == ["ParallelStateAborted", "ExecutionAborted"]


# -- (e) a Parallel state ------------------------------------------------------------------------


async def test_abort_of_a_parallel_cancels_every_branch_task() -> None:
    hang = Hang(expected=3)
    branches = [processor({f"T{i}": hang_task(Parameters={"branch": i})}) for i in range(3)]
    mach = machine({"P": {"Type": "Parallel", "Branches": branches, "End": True}})
    execution = await start_and_abort(mach, {}, hang, "TaskStarted")
    assert sorted(call["branch"] for call in hang.cancelled) == [0, 1, 2]
    assert len(hang.finished) == 3
    assert_ended_aborted(execution)
    kinds = types(execution)
    assert kinds.count("TaskStateAborted") == 3
    assert kinds[-2:] == ["ParallelStateAborted", "ExecutionAborted"]
    assert not {"ParallelStateSucceeded", "ParallelStateFailed", "ParallelStateExited"} & set(kinds)


async def test_abort_of_a_parallel_reaches_tasks_waits_and_nested_parallels() -> None:
    hang = Hang(expected=2)
    clock = asl.VirtualClock(0)
    nested = processor({"Inner": {"Type": "Parallel", "Branches": [processor({"Deep": hang_task()})], "End": True}})
    branches = [
        processor({"Call": hang_task()}),
        processor({"Sleep": {"Type": "Wait", "Seconds": 100, "End": True}}),
        nested,
    ]
    mach = machine({"P": {"Type": "Parallel", "Branches": branches, "End": True}})
    execution = await start_and_abort(mach, {}, hang, "TaskStarted", clock)
    assert len(hang.cancelled) == 2
    assert clock.now() == 0
    assert_ended_aborted(execution)
    kinds = types(execution)
    aborted = {kind: kinds.count(kind) for kind in ("TaskStateAborted", "WaitStateAborted", "ParallelStateAborted")}
    assert aborted == {"TaskStateAborted": 2, "WaitStateAborted": 1, "ParallelStateAborted": 2}
    assert kinds[-2:] == ["ParallelStateAborted", "ExecutionAborted"]


# -- (f) inline and distributed Map states -------------------------------------------------------


async def test_abort_of_an_inline_map_cancels_every_running_iteration() -> None:
    hang = Hang(expected=3)
    mach = machine({"M": {"Type": "Map", "ItemProcessor": processor({"T": hang_task()}), "End": True}})
    execution = await start_and_abort(mach, [1, 2, 3], hang, "TaskStarted")
    assert sorted(hang.cancelled) == [1, 2, 3]
    assert_ended_aborted(execution)
    kinds = types(execution)
    assert kinds.count("TaskStateAborted") == 3
    assert "MapStateAborted" in kinds
    assert not {"MapStateSucceeded", "MapStateFailed", "MapStateExited"} & set(kinds)


async def test_abort_of_a_bounded_map_cancels_the_running_iterations_and_starts_no_more() -> None:
    hang = Hang(expected=2)
    mach = machine(
        {"M": {"Type": "Map", "MaxConcurrency": 2, "ItemProcessor": processor({"T": hang_task()}), "End": True}}
    )
    execution = await start_and_abort(mach, [1, 2, 3, 4], hang, "TaskStarted")
    assert sorted(hang.started) == sorted(hang.cancelled) == [1, 2]  # items 3 and 4 never started
    assert_ended_aborted(execution)
    assert types(execution).count("TaskStateAborted") == 2
    assert "MapStateAborted" in types(execution)


async def test_abort_of_a_distributed_map_cancels_every_child_execution_task() -> None:
    hang = Hang(expected=3)
    mach = machine({"M": {"Type": "Map", "ItemProcessor": processor({"T": hang_task()}, **DISTRIBUTED), "End": True}})
    execution = await start_and_abort(mach, [1, 2, 3], hang, "MapRunStarted")
    assert sorted(hang.cancelled) == [1, 2, 3]
    assert len(hang.finished) == 3
    assert_ended_aborted(execution)
    kinds = types(execution)
    assert "MapStateAborted" in kinds
    assert not {"MapStateSucceeded", "MapStateFailed", "MapRunSucceeded", "MapRunFailed"} & set(kinds)


async def test_abort_while_a_distributed_map_reads_its_items_cancels_the_reader() -> None:
    reader = Hang()
    item_reader = {"Resource": "hang", "Parameters": {"Bucket": "items"}}
    processor_graph = processor({"P": {"Type": "Pass", "End": True}}, **DISTRIBUTED)
    mach = machine({"M": {"Type": "Map", "ItemReader": item_reader, "ItemProcessor": processor_graph, "End": True}})
    execution = await start_and_abort(mach, {}, reader, "MapStateEntered")
    assert reader.cancelled == [{"Bucket": "items"}]
    assert_ended_aborted(execution)
    assert types(execution) == ["ExecutionStarted", "MapStateEntered", "MapStateAborted", "ExecutionAborted"]


async def test_abort_of_a_map_inside_a_parallel_branch_aborts_both() -> None:
    hang = Hang(expected=3)
    map_state = {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": processor({"T": hang_task()}), "End": True}
    branches = [processor({"M": map_state}), processor({"Solo": hang_task()})]
    mach = machine({"P": {"Type": "Parallel", "Branches": branches, "End": True}})
    execution = await start_and_abort(mach, {"items": [1, 2]}, hang, "TaskStarted")
    assert len(hang.cancelled) == 3
    assert_ended_aborted(execution)
    kinds = types(execution)
    assert kinds.count("TaskStateAborted") == 3
    assert ("MapStateAborted" in kinds, "ParallelStateAborted" in kinds) == (True, True)
    assert kinds.index("MapStateAborted") < kinds.index("ParallelStateAborted")


# -- (g) nothing left behind ----------------------------------------------------------------------


async def test_abort_of_a_callback_task_withdraws_its_token() -> None:
    mach = callback_machine()
    tokens: list[str] = []
    with anyio.fail_after(GUARD):
        async with asl.start(
            mach, {}, resources={CALLBACK: lambda event: tokens.append(event["token"])}, clock=asl.VirtualClock(0)
        ) as execution:
            async for event in execution.events():
                if event.type == "TaskSubmitted":
                    assert execution.task_tokens == tuple(tokens)
                    execution.abort()
    assert_ended_aborted(execution)
    assert types(execution)[-2:] == ["TaskStateAborted", "ExecutionAborted"]
    with pytest.raises(AslError) as late:  # SendTaskSuccess for a stopped execution's token
        execution.send_task_success(tokens[0], {"late": True})
    assert getattr(late.value, "error", None) == "States.TaskTimedOut"
    assert execution.status is asl.Status.ABORTED and execution.output is None


@pytest.mark.parametrize(
    ("mode", "trigger"),
    [("parallel", "ParallelStateStarted"), ("inline", "MapStateStarted"), ("distributed", "MapRunStarted")],
)
async def test_abort_of_many_callback_tasks_withdraws_every_token(mode: str, trigger: str) -> None:
    task = hang_task(CALLBACK, Parameters={"token.$": "$$.Task.Token"})
    if mode == "parallel":
        mach = machine(
            {"P": {"Type": "Parallel", "Branches": [processor({f"T{i}": task}) for i in range(3)], "End": True}}
        )
    else:
        config = DISTRIBUTED if mode == "distributed" else {}
        mach = machine({"M": {"Type": "Map", "ItemProcessor": processor({"T": task}, **config), "End": True}})
    sent: list[str] = []
    all_sent = anyio.Event()

    async def sink(event: dict[str, Any]) -> dict[str, Any]:
        sent.append(event["token"])
        if len(sent) == 3:
            all_sent.set()
        return {"MessageId": str(len(sent))}

    with anyio.fail_after(GUARD):
        async with asl.start(mach, [1, 2, 3], resources={CALLBACK: sink}, clock=asl.VirtualClock(0)) as execution:
            async for event in execution.events():
                if event.type == trigger:
                    await all_sent.wait()
                    assert sorted(execution.task_tokens) == sorted(sent)
                    execution.abort()
    assert_ended_aborted(execution)
    assert len(set(sent)) == 3
    if mode != "distributed":  # a distributed Map's tasks are recorded in its child executions
        assert types(execution).count("TaskStateAborted") == 3


# -- callables that swallow their cancellation ------------------------------------------------------


class Stubborn:
    """An async resource that catches its cancellation and returns a value anyway (a misbehaving one)."""

    def __init__(self) -> None:
        self.swallowed = 0
        self.started = anyio.Event()

    async def __call__(self, event: Any) -> Any:
        self.started.set()
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            self.swallowed += 1
            return {"swallowed": True}


STUBBORN_MACHINE = {
    "T": {"Type": "Task", "Resource": "stubborn", "Next": "After"},
    "After": {"Type": "Pass", "End": True},
}


async def test_abort_stops_the_run_even_when_the_callable_swallows_its_cancellation() -> None:
    stubborn = Stubborn()
    with anyio.fail_after(GUARD):
        async with asl.start(
            machine(STUBBORN_MACHINE), {}, resources={"stubborn": stubborn}, clock=asl.VirtualClock(0)
        ) as execution:
            async for event in execution.events():
                if event.type == "TaskStarted":
                    await stubborn.started.wait()
                    execution.abort()
    assert stubborn.swallowed == 1  # it was cancelled, and answered anyway
    assert_ended_aborted(execution)
    assert execution.output is None
    assert types(execution)[-2:] == ["TaskStateAborted", "ExecutionAborted"]


async def test_task_timeout_holds_even_when_the_callable_swallows_its_cancellation() -> None:
    stubborn = Stubborn()
    states = {**STUBBORN_MACHINE, "T": {**STUBBORN_MACHINE["T"], "TimeoutSeconds": 5}}
    with anyio.fail_after(GUARD):
        execution = await asl.execute(machine(states), {}, resources={"stubborn": stubborn}, clock=asl.VirtualClock(0))
    assert stubborn.swallowed == 1  # the timeout cancelled it
    assert (execution.status, execution.error) == (asl.Status.FAILED, "States.Timeout")
