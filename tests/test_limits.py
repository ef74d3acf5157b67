"""AWS's quotas as the library enforces them (checklist §12): 256 KiB payloads, 25,000 history
events, intrinsic argument limits, 80-character names; `asl.Limits` raising each one; and the
runaway guards: a transition cap for endless loops, and nesting too deep to walk."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

import anyio
import pytest

import asl
from asl.errors import AslError, DataLimitExceeded, RuntimeFailure
from helpers import CALLBACK, LOOP, answer_callback, machine, run, types

pytestmark = pytest.mark.anyio

KIB_256 = 262_144
BIG = "x" * 300_000  # over 256 KiB on its own


def pass_of(result: Any) -> asl.StateMachine:
    return machine({"P": {"Type": "Pass", "Result": result, "End": True}})


def nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


# -- 256 KiB payloads -----------------------------------------------------------------------------


async def test_state_output_of_exactly_256_kib_passes() -> None:
    execution = await run(pass_of("x" * (KIB_256 - 2)))  # the quotes count: 262,144 bytes of JSON
    assert execution.status is asl.Status.SUCCEEDED


async def test_state_output_one_byte_over_256_kib_fails_the_execution() -> None:
    execution = await run(pass_of("x" * (KIB_256 - 1)))
    assert (execution.status, execution.error) == (asl.Status.FAILED, "States.DataLimitExceeded")
    assert execution.cause == (
        "The state/task 'P' returned a result with a size exceeding the maximum number of bytes service limit."
    )


async def test_outputs_that_grow_state_by_state_fail_at_the_state_that_crosses_the_quota() -> None:
    double = {"Type": "Pass", "Parameters": {"a.$": "$", "b.$": "$"}}
    mach = machine({"P1": {**double, "Next": "P2"}, "P2": {**double, "Next": "P3"}, "P3": {**double, "End": True}})
    execution = await run(mach, {"s": "x" * 70_000})  # 70 KB, 140 KB, then 280 KB
    assert execution.error == "States.DataLimitExceeded"
    assert execution.cause is not None and "'P2'" in execution.cause
    assert types(execution)[-3:] == ["PassStateExited", "PassStateEntered", "ExecutionFailed"]


async def test_size_counts_utf8_bytes_not_characters() -> None:
    execution = await run(pass_of("é" * 140_000))  # 140,000 characters, 280,002 bytes
    assert execution.error == "States.DataLimitExceeded"


async def test_oversized_state_output_is_not_caught_by_a_catcher_around_it() -> None:
    branch = {"StartAt": "Big", "States": {"Big": {"Type": "Pass", "Result": BIG, "End": True}}}
    mach = machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [branch],
                "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 3}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        }
    )
    execution = await run(mach, {})
    assert (execution.status, execution.error) == (asl.Status.FAILED, "States.DataLimitExceeded")
    assert "Caught" not in json.dumps([event.details for event in execution.history])
    assert types(execution).count("PassStateEntered") == 1  # and not retried


async def test_oversized_task_result_is_a_task_failure_caught_by_states_all() -> None:
    mach = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": "big",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        }
    )
    execution = await run(mach, {}, resources={"big": lambda _: BIG})
    assert execution.status is asl.Status.SUCCEEDED
    assert execution.output["Error"] == "States.DataLimitExceeded"  # type: ignore[index]
    assert "TaskFailed" in types(execution)


async def test_oversized_task_result_is_retried_by_a_retrier_naming_it() -> None:
    calls: list[Any] = []

    def big(event: Any) -> str:
        calls.append(event)
        return BIG if len(calls) == 1 else "small"

    mach = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": "big",
                "Retry": [{"ErrorEquals": ["States.DataLimitExceeded"]}],
                "End": True,
            }
        }
    )
    execution = await run(mach, {}, resources={"big": big})
    assert (execution.status, execution.output, len(calls)) == (asl.Status.SUCCEEDED, "small", 2)


async def test_oversized_task_result_without_a_catcher_fails_the_execution() -> None:
    execution = await run(
        machine({"T": {"Type": "Task", "Resource": "big", "End": True}}), {}, resources={"big": lambda _: BIG}
    )
    assert (execution.status, execution.error) == (asl.Status.FAILED, "States.DataLimitExceeded")


async def test_oversized_async_task_result_is_a_task_failure_too() -> None:
    async def big(_event: Any) -> str:
        return BIG

    execution = await run(machine({"T": {"Type": "Task", "Resource": "big", "End": True}}), {}, resources={"big": big})
    assert execution.error == "States.DataLimitExceeded"
    assert types(execution)[-2:] == ["TaskFailed", "ExecutionFailed"]


async def test_map_results_over_256_kib_together_fail_the_execution() -> None:
    processor = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "y" * 100_000, "End": True}}}
    execution = await run(machine({"M": {"Type": "Map", "ItemProcessor": processor, "End": True}}), [1, 2, 3])
    assert execution.error == "States.DataLimitExceeded"


async def test_parallel_results_over_256_kib_together_fail_the_execution() -> None:
    branches = [
        {"StartAt": f"B{n}", "States": {f"B{n}": {"Type": "Pass", "Result": "y" * 100_000, "End": True}}}
        for n in range(3)
    ]
    execution = await run(machine({"P": {"Type": "Parallel", "Branches": branches, "End": True}}), {})
    assert execution.error == "States.DataLimitExceeded"


def test_execution_input_over_256_kib_is_refused_before_the_start() -> None:
    seen: list[asl.HistoryEvent] = []
    with pytest.raises(DataLimitExceeded) as refused:
        asl.run(pass_of(1), {"big": BIG}, clock=asl.VirtualClock(0), on_event=seen.append)
    assert "over the quota of 262144 bytes" in str(refused.value)
    assert seen == []


async def test_execution_input_over_256_kib_is_refused_by_execute_too() -> None:
    with pytest.raises(AslError):
        await asl.execute(pass_of(1), {"big": BIG}, clock=asl.VirtualClock(0))


async def test_task_input_over_256_kib_after_parameters_fails() -> None:
    called: list[Any] = []
    mach = machine(
        {"T": {"Type": "Task", "Resource": "t", "Parameters": {"a.$": "$.half", "b.$": "$.half"}, "End": True}}
    )
    execution = await run(mach, {"half": "x" * 150_000}, resources={"t": called.append})
    assert execution.error == "States.DataLimitExceeded"
    assert called == []


async def test_parallel_input_over_256_kib_after_parameters_fails_before_any_branch() -> None:
    branch = {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}
    mach = machine(
        {
            "P": {
                "Type": "Parallel",
                "Parameters": {"a.$": "$.half", "b.$": "$.half"},
                "Branches": [branch],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        }
    )
    execution = await run(mach, {"half": "x" * 150_000})
    assert execution.error == "States.DataLimitExceeded"  # terminal: the catcher does not take it
    assert "PassStateEntered" not in [event.type for event in execution.history]


def caught_callback() -> asl.StateMachine:
    """A callback Task whose oversized result a catcher takes."""
    task = {"Type": "Task", "Resource": CALLBACK, "Parameters": {"token.$": "$$.Task.Token"}}
    return machine(
        {
            "T": {**task, "Catch": [{"ErrorEquals": ["States.DataLimitExceeded"], "Next": "Caught"}], "End": True},
            "Caught": {"Type": "Pass", "End": True},
        }
    )


async def answer(
    output: Any, before: Callable[[asl.Execution, str], None] = lambda execution, token: None
) -> asl.Execution:
    """Run caught_callback, answering its token with `output` (after `before(execution, token)`)."""

    def act(execution: asl.Execution, token: str) -> None:
        before(execution, token)
        execution.send_task_success(token, output)

    return await answer_callback(act, caught_callback())


async def test_callback_output_over_256_kib_is_a_task_failure_like_a_result() -> None:
    execution = await answer({"big": "x" * 300_000})
    assert execution.status is asl.Status.SUCCEEDED  # caught, as an oversized task result is
    assert "TaskFailed" in [event.type for event in execution.history]


async def test_callback_output_of_exactly_the_quota_passes() -> None:
    output = "x" * (256 * 1024 - 2)  # two quotes make it 256 KiB as JSON
    assert (await answer(output)).output == output


async def test_callback_output_that_is_not_json_is_refused_to_the_caller() -> None:
    def refused(execution: asl.Execution, token: str) -> None:
        for output in ({"when": object()}, float("nan")):
            with pytest.raises(AslError, match="InvalidOutput"):
                execution.send_task_success(token, output)

    assert (await answer("fine", refused)).output == "fine"


async def test_assign_over_256_kib_fails() -> None:
    mach = machine(
        {"P": {"Type": "Pass", "Assign": {"a.$": "$.half", "b.$": "$.half"}, "ResultPath": None, "End": True}}
    )
    execution = await run(mach, {"half": "x" * 150_000})
    assert execution.error == "States.DataLimitExceeded"


# -- 25,000 history events --------------------------------------------------------------------


async def test_history_of_25000_events_fails_the_execution() -> None:
    execution = await run(machine(LOOP), {})
    assert execution.status is asl.Status.FAILED
    assert len(execution.history) == 25_000
    assert execution.history[-1].type == "ExecutionFailed"
    assert execution.error == "States.Runtime"
    assert execution.cause is not None and "25000 events" in execution.cause


# -- asl.Limits raises (or lowers) each one ---------------------------------------------------


async def test_limits_payload_bytes_raises_the_payload_quota() -> None:
    mach = machine({"P": {"Type": "Pass", "Result": BIG, "End": True}})
    execution = await run(mach, {"big": BIG}, limits=asl.Limits(payload_bytes=1_000_000))
    assert execution.status is asl.Status.SUCCEEDED


async def test_limits_payload_bytes_raises_the_task_result_quota() -> None:
    mach = machine({"T": {"Type": "Task", "Resource": "big", "End": True}})
    execution = await run(mach, {}, resources={"big": lambda _: BIG}, limits=asl.Limits(payload_bytes=1_000_000))
    assert execution.output == BIG


async def test_limits_payload_bytes_lowers_the_quota() -> None:
    execution = await run(pass_of("x" * 100), limits=asl.Limits(payload_bytes=50))
    assert execution.error == "States.DataLimitExceeded"


async def test_limits_history_events_raises_the_history_quota() -> None:
    execution = await run(machine(LOOP), {}, limits=asl.Limits(history_events=30_000, transitions=14_000))
    assert len(execution.history) > 25_000
    assert execution.cause is not None and "14000 state transitions" in execution.cause


async def test_limits_history_events_none_lifts_the_quota() -> None:
    execution = await run(machine(LOOP), {}, limits=asl.Limits(history_events=None, transitions=13_000))  # type: ignore[arg-type]
    assert len(execution.history) > 25_000


async def test_limits_transitions_caps_a_loop_that_never_exits() -> None:
    mach = machine(
        {
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericEquals": -1, "Next": "Done"}],
                "Default": "Again",
            },
            "Again": {"Type": "Pass", "Next": "Check"},
            "Done": {"Type": "Succeed"},
        }
    )
    execution = await run(mach, {"n": 0}, limits=asl.Limits(transitions=100))
    assert (execution.status, execution.error) == (asl.Status.FAILED, "States.Runtime")
    assert execution.cause is not None and "exceeded its limit of 100 state transitions" in execution.cause
    assert types(execution).count("ChoiceStateEntered") + types(execution).count("PassStateEntered") == 100


async def test_transition_cap_is_not_caught_or_retried() -> None:
    branch = {"StartAt": "Loop", "States": LOOP}
    mach = machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [branch],
                "Retry": [{"ErrorEquals": ["States.ALL"]}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        }
    )
    execution = await run(mach, {}, limits=asl.Limits(transitions=40))
    assert execution.error == "States.Runtime"


async def test_retries_count_as_transitions() -> None:
    mach = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": "fail",
                "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 99}],
                "End": True,
            }
        }
    )

    def fail(_event: Any) -> None:
        raise asl.TaskFailed("Boom", "always")

    execution = await run(mach, {}, resources={"fail": fail}, limits=asl.Limits(transitions=10))
    assert execution.error == "States.Runtime"


async def test_default_limits_are_aws_quotas() -> None:
    limits = asl.Limits()
    assert (limits.payload_bytes, limits.history_events, limits.transitions) == (262_144, 25_000, None)


# -- nesting too deep to walk -------------------------------------------------------------------


def test_input_nested_10000_levels_is_a_clear_asl_error() -> None:
    with pytest.raises(RuntimeFailure, match="nested too deeply"):
        asl.run(pass_of(1), nested(10_000), clock=asl.VirtualClock(0))


def test_definition_nested_10000_levels_is_a_clear_problem() -> None:
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": nested(10_000), "End": True}}}
    assert [str(problem) for problem in asl.validate(definition)] == ["/: The definition is nested too deeply."]
    with pytest.raises(asl.DefinitionError):
        asl.parse(definition)


def test_definition_text_nested_10000_levels_is_a_clear_problem() -> None:
    text = '{"StartAt":"P","States":{"P":{"Type":"Pass","Result":' + "[" * 10_000 + "]" * 10_000 + ',"End":true}}}'
    problems = asl.validate(text)
    assert len(problems) == 1 and "nested too deeply" in problems[0].message


async def test_jsonata_parse_of_10000_levels_is_a_query_evaluation_error() -> None:
    mach = machine(
        {"P": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $parse($states.input.s) %}", "End": True}}
    )
    execution = await run(mach, {"s": "[" * 10_000 + "]" * 10_000})
    assert execution.error == "States.QueryEvaluationError"


async def test_string_to_json_of_10000_levels_is_an_asl_error() -> None:
    mach = machine({"P": {"Type": "Pass", "Parameters": {"v.$": "States.StringToJson($.s)"}, "End": True}})
    execution = await run(mach, {"s": "[" * 10_000 + "]" * 10_000})
    assert execution.status is asl.Status.FAILED


async def test_json_to_string_of_5000_levels_is_an_asl_error() -> None:
    mach = machine(
        {"T": {"Type": "Task", "Resource": "t", "ResultSelector": {"v.$": "States.JsonToString($)"}, "End": True}}
    )
    execution = await run(mach, {}, resources={"t": lambda _: nested(5_000)})
    assert execution.status is asl.Status.FAILED


async def test_task_result_nested_10000_levels_is_an_asl_error() -> None:
    execution = await run(
        machine({"T": {"Type": "Task", "Resource": "t", "End": True}}), {}, resources={"t": lambda _: nested(10_000)}
    )
    assert execution.status is asl.Status.FAILED


# -- intrinsic function limits ------------------------------------------------------------------


def intrinsic(call: str, value: Any = None, **options: Any) -> asl.Execution:
    return asl.run(
        machine({"P": {"Type": "Pass", "Parameters": {"v.$": call}, "End": True}}),
        value or {},
        clock=asl.VirtualClock(0),
        **options,
    )


@pytest.mark.parametrize(
    ("call", "value"),
    [
        ("States.ArrayRange(1, 1000, 1)", None),
        ("States.Base64Encode($.s)", {"s": "A" * 10_000}),
        ("States.Base64Decode($.s)", {"s": "QUFB" * 2_500}),
        ("States.Hash($.s, 'SHA-256')", {"s": "A" * 10_000}),
    ],
    ids=["ArrayRange-1000", "Base64Encode-10000", "Base64Decode-10000", "Hash-10000"],
)
def test_intrinsic_at_its_limit_succeeds(call: str, value: Any) -> None:
    assert intrinsic(call, value).status is asl.Status.SUCCEEDED


@pytest.mark.parametrize(
    ("call", "value"),
    [
        ("States.ArrayRange(0, 1000, 1)", None),
        ("States.ArrayRange(0, 100000000, 1)", None),
        ("States.Base64Encode($.s)", {"s": "A" * 10_001}),
        ("States.Base64Decode($.s)", {"s": "A" * 10_001}),
        ("States.Hash($.s, 'SHA-256')", {"s": "A" * 10_001}),
    ],
    ids=["ArrayRange-1001", "ArrayRange-huge", "Base64Encode-10001", "Base64Decode-10001", "Hash-10001"],
)
def test_intrinsic_over_its_limit_fails_naming_the_function(call: str, value: Any) -> None:
    execution = intrinsic(call, value)
    assert execution.status is asl.Status.FAILED
    assert execution.error == "States.Runtime"
    assert execution.cause is not None and call.split("(")[0] in execution.cause
    assert "'P'" in execution.cause


@pytest.mark.parametrize(
    ("call", "value", "limits"),
    [
        ("States.ArrayRange(0, 4999, 1)", None, asl.Limits(array_range=5000)),
        ("States.Base64Encode($.s)", {"s": "A" * 20_000}, asl.Limits(intrinsic_text=20_000)),
        ("States.Base64Decode($.s)", {"s": "QUFB" * 5_000}, asl.Limits(intrinsic_text=20_000)),
        ("States.Hash($.s, 'MD5')", {"s": "A" * 20_000}, asl.Limits(intrinsic_text=20_000)),
    ],
    ids=["ArrayRange", "Base64Encode", "Base64Decode", "Hash"],
)
def test_intrinsic_limits_may_be_raised_for_one_run(call: str, value: Any, limits: asl.Limits) -> None:
    assert intrinsic(call, value, limits=limits).status is asl.Status.SUCCEEDED
    assert intrinsic(call, value).error == "States.Runtime"  # the next run has AWS's limit again


async def test_each_execution_has_its_own_intrinsic_limits() -> None:
    mach = machine({"P": {"Type": "Pass", "Parameters": {"v.$": "States.ArrayRange(1, 2000, 1)"}, "End": True}})
    raised, plain = [], []
    async with anyio.create_task_group() as tg:

        async def one(into: list[asl.Execution], **options: Any) -> None:
            into.append(await asl.execute(mach, {}, clock=asl.VirtualClock(0), **options))

        tg.start_soon(partial(one, raised, limits=asl.Limits(array_range=2000)))
        tg.start_soon(one, plain)
    assert (raised[0].status, plain[0].error) == (asl.Status.SUCCEEDED, "States.Runtime")


# -- names ----------------------------------------------------------------------------------------


def test_state_name_of_80_characters_is_valid() -> None:
    name = "s" * 80
    assert asl.validate({"StartAt": name, "States": {name: {"Type": "Pass", "End": True}}}) == ()


def test_state_name_of_81_characters_is_a_problem_at_its_pointer() -> None:
    name = "s" * 81
    problems = asl.validate({"StartAt": name, "States": {name: {"Type": "Pass", "End": True}}})
    assert f"/States/{name}" in [problem.path for problem in problems]
    assert any("80 characters" in problem.message for problem in problems)


def test_state_name_of_81_characters_in_a_branch_is_a_problem_too() -> None:
    name = "b" * 81
    branch = {"StartAt": name, "States": {name: {"Type": "Pass", "End": True}}}
    problems = asl.validate({"StartAt": "P", "States": {"P": {"Type": "Parallel", "Branches": [branch], "End": True}}})
    assert f"/States/P/Branches/0/States/{name}" in [problem.path for problem in problems]


@pytest.mark.parametrize("name", ["x" * 81, "has space", "what?", "a/b", "tab\there", "", "semi;colon"])
def test_invalid_execution_name_is_refused(name: str) -> None:
    with pytest.raises(AslError):
        asl.run(pass_of(1), {}, name=name, clock=asl.VirtualClock(0))


def test_valid_execution_name_of_80_characters_is_kept() -> None:
    name = "n-" + "x" * 78
    assert asl.run(pass_of(1), {}, name=name, clock=asl.VirtualClock(0)).name == name
