"""Retry and Catch through whole executions: which retrier owns an error, backoff observed on
virtual time, jitter under a seed, what States.ALL / States.TaskFailed match, and catcher output."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import pytest

import asl
from helpers import GUARD, hang, machine

pytestmark = pytest.mark.anyio


def with_handlers(retry: list[Any] | None = None, catch: list[Any] | None = None, **fields: Any) -> asl.StateMachine:
    state: dict[str, Any] = {"Type": "Task", "Resource": "work", **fields, "End": True}
    if retry is not None:
        state["Retry"] = retry
    if catch is not None:
        state["Catch"] = catch
    targets = {catcher["Next"] for catcher in catch or ()}
    extra = {
        "Caught": {"Type": "Pass", "End": True},
        "Other": {"Type": "Pass", "Result": "other", "End": True},
    }
    return machine({"T": state, **{name: extra[name] for name in sorted(targets)}})


class Failing:
    """A resource that fails with the given error names in turn (the last one repeats), noting when it ran."""

    def __init__(self, clock: asl.VirtualClock, *errors: str, then: Any = None) -> None:
        self.clock, self.errors, self.then = clock, list(errors), then
        self.calls: list[float] = []
        self.inputs: list[Any] = []

    def __call__(self, event: Any) -> Any:
        self.calls.append(self.clock.now())
        self.inputs.append(event)
        index = len(self.calls) - 1
        if self.then is not None and index >= len(self.errors):
            return self.then
        raise asl.TaskFailed(self.errors[min(index, len(self.errors) - 1)], f"attempt {index}")


async def run(
    mach: asl.StateMachine, resource: Callable[..., Any], clock: asl.VirtualClock, value: Any = None, **options: Any
) -> asl.Execution:
    with anyio.fail_after(GUARD):
        return await asl.execute(
            mach, {} if value is None else value, resources={"work": resource}, clock=clock, **options
        )


# -- Retry ----------------------------------------------------------------------------------------


async def test_retry_defaults_to_three_retries_one_second_doubling() -> None:
    clock = asl.VirtualClock(0)
    work = Failing(clock, "Boom")
    execution = await run(with_handlers(retry=[{"ErrorEquals": ["Boom"]}]), work, clock)
    assert execution.error == "Boom"
    assert work.calls == [0, 1, 3, 7]


async def test_retry_succeeds_when_a_later_attempt_succeeds() -> None:
    clock = asl.VirtualClock(0)
    work = Failing(clock, "Boom", "Boom", then="ok")
    execution = await run(with_handlers(retry=[{"ErrorEquals": ["Boom"], "MaxAttempts": 5}]), work, clock)
    assert execution.output == "ok"
    assert len(work.calls) == 3


async def test_backoff_rate_multiplies_the_interval() -> None:
    clock = asl.VirtualClock(0)
    work = Failing(clock, "Boom")
    retry = [{"ErrorEquals": ["Boom"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 3}]
    await run(with_handlers(retry=retry), work, clock)
    assert work.calls == [0, 2, 8, 26]


async def test_max_delay_seconds_caps_the_backoff() -> None:
    clock = asl.VirtualClock(0)
    work = Failing(clock, "Boom")
    retry = [{"ErrorEquals": ["Boom"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 4, "MaxDelaySeconds": 10}]
    await run(with_handlers(retry=retry), work, clock)
    assert work.calls == [0, 2, 8, 18, 28]


async def test_max_attempts_zero_never_retries() -> None:
    clock = asl.VirtualClock(0)
    work = Failing(clock, "Boom")
    execution = await run(with_handlers(retry=[{"ErrorEquals": ["Boom"], "MaxAttempts": 0}]), work, clock)
    assert execution.error == "Boom"
    assert work.calls == [0]


async def test_only_the_first_matching_retrier_is_used() -> None:
    clock = asl.VirtualClock(0)
    work = Failing(clock, "Boom")
    retry = [
        {"ErrorEquals": ["Boom"], "MaxAttempts": 1, "IntervalSeconds": 1},
        {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5, "IntervalSeconds": 100},
    ]
    execution = await run(with_handlers(retry=retry), work, clock)
    assert execution.error == "Boom"
    assert work.calls == [0, 1]


async def test_each_retrier_keeps_its_own_attempt_count() -> None:
    clock = asl.VirtualClock(0)
    work = Failing(clock, "A", "B", "A")
    retry = [
        {"ErrorEquals": ["A"], "MaxAttempts": 1, "IntervalSeconds": 1},
        {"ErrorEquals": ["B"], "MaxAttempts": 1, "IntervalSeconds": 1},
    ]
    execution = await run(with_handlers(retry=retry), work, clock)
    assert execution.error == "A"
    assert len(work.calls) == 3


async def test_retrier_that_does_not_match_is_skipped() -> None:
    clock = asl.VirtualClock(0)
    work = Failing(clock, "Boom")
    retry = [
        {"ErrorEquals": ["Other"], "MaxAttempts": 3},
        {"ErrorEquals": ["Boom"], "MaxAttempts": 1, "IntervalSeconds": 4},
    ]
    await run(with_handlers(retry=retry), work, clock)
    assert work.calls == [0, 4]


async def test_full_jitter_is_repeatable_under_a_seed() -> None:
    retry = [{"ErrorEquals": ["Boom"], "IntervalSeconds": 10, "MaxAttempts": 4, "JitterStrategy": "FULL"}]
    runs: list[list[float]] = []
    for _ in range(2):
        clock = asl.VirtualClock(0)
        work = Failing(clock, "Boom")
        await run(with_handlers(retry=retry), work, clock, seed=7)
        runs.append(work.calls)
    assert runs[0] == runs[1]


async def test_full_jitter_delays_fall_between_zero_and_the_backoff() -> None:
    retry = [{"ErrorEquals": ["Boom"], "IntervalSeconds": 10, "MaxAttempts": 4, "JitterStrategy": "FULL"}]
    clock = asl.VirtualClock(0)
    work = Failing(clock, "Boom")
    await run(with_handlers(retry=retry), work, clock, seed=7)
    delays = [later - earlier for earlier, later in zip(work.calls, work.calls[1:], strict=False)]
    assert len(delays) == 4
    assert all(0 <= delay <= cap for delay, cap in zip(delays, [10, 20, 40, 80], strict=True))
    assert delays != [10, 20, 40, 80]


async def test_full_jitter_differs_between_seeds() -> None:
    retry = [{"ErrorEquals": ["Boom"], "IntervalSeconds": 10, "MaxAttempts": 4, "JitterStrategy": "FULL"}]
    runs: list[list[float]] = []
    for seed in (1, 2):
        clock = asl.VirtualClock(0)
        work = Failing(clock, "Boom")
        await run(with_handlers(retry=retry), work, clock, seed=seed)
        runs.append(work.calls)
    assert runs[0] != runs[1]


async def test_retry_count_in_the_context_increments_per_retry() -> None:
    clock = asl.VirtualClock(0)
    work = Failing(clock, "Boom", "Boom", then="ok")
    mach = with_handlers(retry=[{"ErrorEquals": ["Boom"]}], Parameters={"n.$": "$$.State.RetryCount"})
    await run(mach, work, clock)
    assert work.inputs == [{"n": 0}, {"n": 1}, {"n": 2}]


async def test_retry_does_not_enter_the_state_again() -> None:
    clock = asl.VirtualClock(0)
    work = Failing(clock, "Boom", then="ok")
    execution = await run(with_handlers(retry=[{"ErrorEquals": ["Boom"]}]), work, clock)
    types = [event.type for event in execution.history]
    assert types == [
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskFailed",
        "TaskScheduled",
        "TaskStarted",
        "TaskSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]


async def test_states_runtime_is_never_retried() -> None:
    clock = asl.VirtualClock(0)
    work = Failing(clock, then={"a": 1})
    mach = with_handlers(retry=[{"ErrorEquals": ["States.ALL"]}], OutputPath="$.missing")
    execution = await run(mach, work, clock)
    assert execution.error == "States.Runtime"
    assert len(work.calls) == 1


async def test_retry_on_states_timeout() -> None:
    clock = asl.VirtualClock(0)
    retry = [{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 2, "IntervalSeconds": 1}]
    execution = await run(with_handlers(retry=retry, TimeoutSeconds=10), hang, clock)
    assert execution.error == "States.Timeout"
    assert clock.now() == 10 + 1 + 10 + 2 + 10


# -- Catch ----------------------------------------------------------------------------------------


async def test_catch_default_result_path_outputs_the_error_output() -> None:
    clock = asl.VirtualClock(0)
    mach = with_handlers(catch=[{"ErrorEquals": ["Boom"], "Next": "Caught"}])
    execution = await run(mach, Failing(clock, "Boom"), clock, {"a": 1})
    assert execution.output == {"Error": "Boom", "Cause": "attempt 0"}


async def test_catch_result_path_merges_the_error_into_the_raw_input() -> None:
    clock = asl.VirtualClock(0)
    mach = with_handlers(
        catch=[{"ErrorEquals": ["Boom"], "ResultPath": "$.error", "Next": "Caught"}], InputPath="$.inner"
    )
    execution = await run(mach, Failing(clock, "Boom"), clock, {"inner": {"x": 1}, "other": 2})
    assert execution.output == {"inner": {"x": 1}, "other": 2, "error": {"Error": "Boom", "Cause": "attempt 0"}}


async def test_catch_result_path_null_keeps_the_raw_input() -> None:
    clock = asl.VirtualClock(0)
    mach = with_handlers(catch=[{"ErrorEquals": ["Boom"], "ResultPath": None, "Next": "Caught"}])
    execution = await run(mach, Failing(clock, "Boom"), clock, {"a": 1})
    assert execution.output == {"a": 1}


async def test_caught_error_ignores_output_path_and_result_selector() -> None:
    clock = asl.VirtualClock(0)
    mach = with_handlers(
        catch=[{"ErrorEquals": ["Boom"], "ResultPath": "$.e", "Next": "Caught"}],
        ResultSelector={"x": 1},
        OutputPath="$.nothing",
    )
    execution = await run(mach, Failing(clock, "Boom"), clock, {"a": 1})
    assert execution.output == {"a": 1, "e": {"Error": "Boom", "Cause": "attempt 0"}}


async def test_caught_error_goes_to_the_catcher_next_state() -> None:
    clock = asl.VirtualClock(0)
    mach = with_handlers(catch=[{"ErrorEquals": ["Boom"], "Next": "Other"}])
    execution = await run(mach, Failing(clock, "Boom"), clock)
    assert execution.output == "other"


async def test_first_matching_catcher_wins() -> None:
    clock = asl.VirtualClock(0)
    mach = with_handlers(
        catch=[{"ErrorEquals": ["Boom"], "Next": "Other"}, {"ErrorEquals": ["States.ALL"], "Next": "Caught"}]
    )
    execution = await run(mach, Failing(clock, "Boom"), clock)
    assert execution.output == "other"


async def test_catch_applies_after_retries_are_exhausted() -> None:
    clock = asl.VirtualClock(0)
    work = Failing(clock, "Boom")
    mach = with_handlers(
        retry=[{"ErrorEquals": ["Boom"], "MaxAttempts": 2}], catch=[{"ErrorEquals": ["Boom"], "Next": "Caught"}]
    )
    execution = await run(mach, work, clock)
    assert execution.output == {"Error": "Boom", "Cause": "attempt 2"}
    assert len(work.calls) == 3


async def test_caught_failure_still_records_the_exited_event() -> None:
    clock = asl.VirtualClock(0)
    mach = with_handlers(catch=[{"ErrorEquals": ["Boom"], "Next": "Caught"}])
    execution = await run(mach, Failing(clock, "Boom"), clock)
    types = [event.type for event in execution.history]
    assert types[-4:] == ["TaskStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
    assert types[-5] == "TaskFailed"


async def test_states_all_does_not_catch_states_runtime() -> None:
    clock = asl.VirtualClock(0)
    mach = with_handlers(catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], OutputPath="$.missing")
    execution = await run(mach, Failing(clock, then={"a": 1}), clock)
    assert execution.status is asl.Status.FAILED
    assert execution.error == "States.Runtime"


async def test_naming_states_runtime_does_not_catch_it_either() -> None:
    clock = asl.VirtualClock(0)
    mach = with_handlers(catch=[{"ErrorEquals": ["States.Runtime"], "Next": "Caught"}], OutputPath="$.missing")
    execution = await run(mach, Failing(clock, then={"a": 1}), clock)
    assert execution.error == "States.Runtime"


async def test_states_task_failed_matches_a_custom_error_name() -> None:
    clock = asl.VirtualClock(0)
    mach = with_handlers(catch=[{"ErrorEquals": ["States.TaskFailed"], "Next": "Other"}])
    execution = await run(mach, Failing(clock, "PaymentDeclined"), clock)
    assert execution.output == "other"


async def test_states_task_failed_does_not_match_states_timeout() -> None:
    clock = asl.VirtualClock(0)
    mach = with_handlers(
        catch=[
            {"ErrorEquals": ["States.TaskFailed"], "Next": "Other"},
            {"ErrorEquals": ["States.Timeout"], "Next": "Caught"},
        ],
        TimeoutSeconds=5,
    )
    execution = await run(mach, hang, clock)
    assert execution.output == {"Error": "States.Timeout", "Cause": ""}


async def test_states_task_failed_retrier_does_not_retry_a_timeout() -> None:
    clock = asl.VirtualClock(0)
    execution = await run(with_handlers(retry=[{"ErrorEquals": ["States.TaskFailed"]}], TimeoutSeconds=5), hang, clock)
    assert execution.error == "States.Timeout"
    assert clock.now() == 5


async def test_catcher_assign_sees_the_error_output() -> None:
    clock = asl.VirtualClock(0)
    mach = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": "work",
                "Assign": {"where": "success"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"where.$": "$.Error"}, "Next": "Show"}],
                "End": True,
            },
            "Show": {"Type": "Pass", "Parameters": {"where.$": "$where"}, "End": True},
        }
    )
    execution = await run(mach, Failing(clock, "Boom"), clock)
    assert execution.output == {"where": "Boom"}


async def test_fail_state_in_a_parallel_branch_is_caught_with_its_own_error() -> None:
    branch = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Mine", "Cause": "because"}}}
    mach = machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [branch],
                "Catch": [{"ErrorEquals": ["Mine"], "Next": "Done"}],
                "End": True,
            },
            "Done": {"Type": "Pass", "End": True},
        }
    )
    with anyio.fail_after(GUARD):
        execution = await asl.execute(mach, {}, clock=asl.VirtualClock(0))
    assert execution.output == {"Error": "Mine", "Cause": "because"}


async def test_retry_of_a_parallel_state_reruns_every_branch() -> None:
    clock = asl.VirtualClock(0)
    calls: list[str] = []

    def ok(event: Any) -> Any:
        calls.append("ok")
        return "ok"

    flaky = Failing(clock, "Boom", then="fine")
    branch_ok = {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "ok", "End": True}}}
    # The flaky branch fails only after a (virtual) second, so its sibling has surely run by then.
    branch_flaky = {
        "StartAt": "Later",
        "States": {
            "Later": {"Type": "Wait", "Seconds": 1, "Next": "B"},
            "B": {"Type": "Task", "Resource": "work", "End": True},
        },
    }
    mach = machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [branch_ok, branch_flaky],
                "Retry": [{"ErrorEquals": ["Boom"]}],
                "End": True,
            }
        }
    )
    with anyio.fail_after(GUARD):
        execution = await asl.execute(mach, {}, resources={"ok": ok, "work": flaky}, clock=clock)
    assert execution.output == ["ok", "fine"]
    assert calls == ["ok", "ok"]
    assert [event.type for event in execution.history].count("ParallelStateStarted") == 2


async def test_retry_of_a_map_state_reruns_every_item() -> None:
    clock = asl.VirtualClock(0)
    seen: list[Any] = []

    def work(item: Any) -> Any:
        seen.append(item)
        if item == 2 and seen.count(2) == 1:
            raise asl.TaskFailed("Boom", "first time")
        return item * 10

    processor = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "work", "End": True}}}
    mach = machine(
        {
            "M": {
                "Type": "Map",
                "ItemProcessor": processor,
                "MaxConcurrency": 1,
                "Retry": [{"ErrorEquals": ["Boom"]}],
                "End": True,
            }
        }
    )
    with anyio.fail_after(GUARD):
        execution = await asl.execute(mach, [1, 2, 3], resources={"work": work}, clock=clock)
    assert execution.output == [10, 20, 30]
    assert seen == [1, 2, 1, 2, 3]


async def test_retry_counters_reset_when_the_state_is_entered_again() -> None:
    clock = asl.VirtualClock(0)
    calls: list[Any] = []

    def flaky(event: Any) -> Any:
        calls.append(event)
        if len(calls) % 2 == 1:
            raise asl.TaskFailed("Boom", "odd call")
        return event

    mach = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": "work",
                "Parameters": {"n.$": "$.n", "retry.$": "$$.State.RetryCount"},
                "ResultSelector": {"n.$": "States.MathAdd($.n, 1)"},
                "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 1}],
                "Next": "Again",
            },
            "Again": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericLessThan": 2, "Next": "T"}],
                "Default": "Done",
            },
            "Done": {"Type": "Succeed"},
        }
    )
    execution = await run(mach, flaky, clock, {"n": 0})
    assert execution.output == {"n": 2}
    assert calls == [{"n": 0, "retry": 0}, {"n": 0, "retry": 1}, {"n": 1, "retry": 0}, {"n": 1, "retry": 1}]
