"""Random valid machines, random inputs, random Task outcomes: every execution ends in one of the
documented statuses with a well-formed history, and nothing but AslError ever escapes."""

from __future__ import annotations

import inspect
import json

import anyio
from hypothesis import given
from hypothesis import strategies as st

import asl
from asl.context import JSON
from asl.errors import AslError

from . import examples
from .machines import Outcomes, inputs, machines, outcomes

_ENDINGS = {
    asl.Status.SUCCEEDED: "ExecutionSucceeded",
    asl.Status.FAILED: "ExecutionFailed",
    asl.Status.TIMED_OUT: "ExecutionTimedOut",
    asl.Status.ABORTED: "ExecutionAborted",
}
LIMITS = asl.Limits(transitions=300, history_events=3_000)


def check_ended_well(execution: asl.Execution, *, aborted: bool = False) -> None:
    """A documented status, the matching last event, a JSON history numbered as AWS numbers it."""
    allowed = {asl.Status.SUCCEEDED, asl.Status.FAILED, asl.Status.TIMED_OUT} | (
        {asl.Status.ABORTED} if aborted else set()
    )
    assert execution.status in allowed, execution
    assert execution.done
    history = execution.history
    assert history[0].type == "ExecutionStarted"
    assert history[-1].type == _ENDINGS[execution.status]
    assert [event.id for event in history] == list(range(1, len(history) + 1))
    assert all(0 <= event.previous_event_id < event.id for event in history)
    json.dumps([event.to_dict() for event in history], allow_nan=False)
    if execution.status is asl.Status.SUCCEEDED:
        json.dumps(execution.output, allow_nan=False)
        assert execution.error is None
    else:
        assert execution.error is None or isinstance(execution.error, str)
        assert execution.cause is None or isinstance(execution.cause, str)
    assert execution.task_tokens == ()


@examples(ci=150, long=25_000)
@given(machines(), inputs, outcomes, st.integers(0, 2**32))
def test_random_machine_runs_to_a_documented_end(definition: dict, value: JSON, script: list, seed: int) -> None:
    machine = asl.parse(definition)  # every generated machine is valid: a DefinitionError is a bug here
    execution = asl.run(
        machine, value, clock=asl.VirtualClock(0), seed=seed, limits=LIMITS, task_override=Outcomes(script)
    )
    check_ended_well(execution)


@examples(ci=60, long=10_000)
@given(machines(), inputs, outcomes, st.integers(0, 2**32))
def test_random_machine_is_deterministic_for_a_seed(definition: dict, value: JSON, script: list, seed: int) -> None:
    machine = asl.parse(definition)

    def once() -> asl.Execution:
        return asl.run(
            machine, value, clock=asl.VirtualClock(0), seed=seed, limits=LIMITS, task_override=Outcomes(script)
        )

    first, second = once(), once()
    if any(step.sync for step in script):
        # Sync callables run in worker threads: which of two concurrent ones finishes (or fails)
        # first, and whether one ends before a sibling's failure cancels it, is real time, as on
        # AWS. Such runs need only end well; the others must repeat exactly.
        check_ended_well(first)
        check_ended_well(second)
        return
    assert (first.status, first.output, first.error, first.cause) == (
        second.status,
        second.output,
        second.error,
        second.cause,
    )
    assert [event.type for event in first.history] == [event.type for event in second.history]


@examples(ci=60, long=10_000)
@given(machines(), inputs, outcomes, st.integers(0, 40))
def test_random_machine_aborted_after_any_event_ends_aborted_or_already_done(
    definition: dict, value: JSON, script: list, after: int
) -> None:
    machine = asl.parse(definition)
    outcome_script = Outcomes(script)

    async def main() -> asl.Execution:
        async with asl.start(
            machine, value, clock=asl.VirtualClock(0), limits=LIMITS, task_override=outcome_script
        ) as execution:
            outcome_script.execution = execution
            seen = 0
            async for _event in execution.events():
                seen += 1
                if seen == after:
                    execution.abort("Fuzz.Abort", "stopped by the fuzzer")
        return execution

    execution = anyio.run(main)
    check_ended_well(execution, aborted=True)


@examples(ci=60, long=10_000)
@given(machines(), inputs, outcomes)
def test_random_machine_through_real_callables_and_resources(definition: dict, value: JSON, script: list) -> None:
    """The same machines with their Resources given as callables (no override): the lookup route."""
    machine = asl.parse(definition)
    outcome_script = Outcomes(script)

    def resource(name: str) -> object:
        async def call(payload: JSON, context: object) -> JSON:
            answer = outcome_script(name)
            result = answer(payload, context)
            return await result if inspect.isawaitable(result) else result  # type: ignore[no-any-return]

        return call

    names = ["task", "fn", "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "arn:aws:states:::ecs:runTask.sync"]

    async def main() -> asl.Execution:
        async with asl.start(
            machine, value, clock=asl.VirtualClock(0), limits=LIMITS, resources={n: resource(n) for n in names}
        ) as execution:
            outcome_script.execution = execution
        return execution

    try:
        execution = anyio.run(main)
    except AslError:  # a documented refusal before the start (asl.start may wrap it: see test_user_errors)
        return
    check_ended_well(execution)
