"""asl.teststate: one state at a time, as AWS's TestState API runs it."""

from __future__ import annotations

from typing import Any

import pytest

import asl
from asl.errors import AslError
from asl.teststate import TestStatus, test_state, test_state_async

FN = "arn:aws:lambda:us-east-1:123456789012:function:work"

TASK: dict[str, Any] = {
    "Type": "Task",
    "Resource": FN,
    "InputPath": "$.order",
    "Parameters": {"id.$": "$.id", "twice.$": "States.MathAdd($.id, $.id)"},
    "ResultSelector": {"value.$": "$.value"},
    "ResultPath": "$.result",
    "OutputPath": "$.result",
    "Retry": [{"ErrorEquals": ["Busy"], "MaxAttempts": 2, "IntervalSeconds": 3, "BackoffRate": 2}],
    "Catch": [{"ErrorEquals": ["Broken"], "ResultPath": "$.error", "Next": "Recover"}],
    "Next": "Done",
}
MACHINE = asl.parse(
    {
        "StartAt": "Work",
        "States": {
            "Work": TASK,
            "Recover": {"Type": "Pass", "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }
)
INPUT = {"order": {"id": 4}}


def test_task_succeeds_with_the_whole_data_flow() -> None:
    result = test_state(MACHINE, "Work", input=INPUT, mock={"value": 9, "noise": 1}, inspection_level="DEBUG")
    assert (result.status, result.output, result.next_state) == (TestStatus.SUCCEEDED, {"value": 9}, "Done")
    assert result.error is None
    assert result.inspection_data == {
        "input": INPUT,
        "afterInputPath": {"id": 4},
        "afterParameters": {"id": 4, "twice": 8},
        "result": {"value": 9, "noise": 1},
        "afterResultSelector": {"value": 9},
        "afterResultPath": {"order": {"id": 4}, "result": {"value": 9}},
        "variables": {},
    }


def test_info_level_shows_no_data_flow() -> None:
    result = test_state(MACHINE, "Work", input=INPUT, mock={"value": 1})
    assert result.inspection_data == {}


def test_trace_level_adds_the_request_and_response() -> None:
    result = test_state(MACHINE, "Work", input=INPUT, mock={"value": 1}, inspection_level="TRACE")
    assert result.inspection_data["request"] == {"id": 4, "twice": 8}
    assert result.inspection_data["response"] == {"value": 1}


def test_task_calls_its_resource_when_not_mocked() -> None:
    result = test_state(MACHINE, "Work", input=INPUT, resources={FN: lambda p: {"value": p["twice"]}})
    assert result.output == {"value": 8}
    assert [e.type for e in result.history] == [
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
    ]


def test_a_retrier_with_attempts_left_makes_it_retriable() -> None:
    result = test_state(MACHINE, "Work", input=INPUT, mock=asl.TaskFailed("Busy", "later"), retrier_retry_count=1)
    assert result.status is TestStatus.RETRIABLE
    assert (result.error, result.cause, result.output, result.next_state) == ("Busy", "later", None, None)
    assert result.inspection_data == {"errorDetails": {"retryIndex": 0, "retryBackoffIntervalSeconds": 6}}


def test_an_exhausted_retrier_leaves_the_error_to_catch_or_fail() -> None:
    result = test_state(MACHINE, "Work", input=INPUT, mock=asl.TaskFailed("Busy", "later"), retrier_retry_count=2)
    assert result.status is TestStatus.FAILED
    assert result.error == "Busy"


def test_a_catcher_makes_it_caught() -> None:
    result = test_state(MACHINE, "Work", input=INPUT, mock=asl.TaskFailed("Broken", "gone"), inspection_level="DEBUG")
    assert result.status is TestStatus.CAUGHT_ERROR
    assert result.next_state == "Recover"
    assert result.output == {"order": {"id": 4}, "error": {"Error": "Broken", "Cause": "gone"}}
    assert result.inspection_data["errorDetails"] == {"catchIndex": 0}
    assert result.inspection_data["afterResultPath"] == result.output


def test_an_unhandled_error_fails() -> None:
    result = test_state(MACHINE, "Work", input=INPUT, mock=asl.TaskFailed("Other", "why"))
    assert (result.status, result.error, result.cause, result.next_state) == (
        TestStatus.FAILED,
        "Other",
        "why",
        None,
    )


def test_a_single_state_definition_with_placeholder_targets() -> None:
    result = test_state(TASK, input=INPUT, mock=asl.TaskFailed("Broken", ""))
    assert (result.status, result.next_state) == (TestStatus.CAUGHT_ERROR, "Recover")


def test_pass_state() -> None:
    state = {"Type": "Pass", "Parameters": {"a.$": "$.x"}, "ResultPath": "$.p", "Next": "N"}
    result = test_state(state, input={"x": 1}, inspection_level="DEBUG")
    assert (result.status, result.output, result.next_state) == (
        TestStatus.SUCCEEDED,
        {"x": 1, "p": {"a": 1}},
        "N",
    )
    assert result.inspection_data["afterParameters"] == result.inspection_data["result"] == {"a": 1}
    assert "afterResultSelector" not in result.inspection_data


def test_choice_state_reports_the_next_state() -> None:
    choice = {
        "Type": "Choice",
        "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Big"}],
        "Default": "Small",
    }
    assert test_state(choice, input={"n": 2}).next_state == "Big"
    assert test_state(choice, input={"n": 0}).next_state == "Small"


def test_choice_without_a_match_fails() -> None:
    choice = {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "One"}]}
    result = test_state(choice, input={"n": 0})
    assert (result.status, result.error) == (TestStatus.FAILED, "States.NoChoiceMatched")


def test_wait_state_takes_no_real_time() -> None:
    result = test_state({"Type": "Wait", "Seconds": 86400, "Next": "Later"}, input={"a": 1})
    assert (result.status, result.output, result.next_state) == (TestStatus.SUCCEEDED, {"a": 1}, "Later")


def test_succeed_state() -> None:
    result = test_state({"Type": "Succeed", "OutputPath": "$.a"}, input={"a": 5})
    assert (result.status, result.output, result.next_state) == (TestStatus.SUCCEEDED, 5, None)


def test_fail_state() -> None:
    result = test_state({"Type": "Fail", "Error": "Nope", "Cause": "because"})
    assert (result.status, result.error, result.cause) == (TestStatus.FAILED, "Nope", "because")


def test_parallel_state_runs_its_branches() -> None:
    parallel = {
        "Type": "Parallel",
        "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": 1, "End": True}}},
            {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": 2, "End": True}}},
        ],
        "End": True,
    }
    result = test_state(parallel, input={}, inspection_level="DEBUG")
    assert (result.status, result.output) == (TestStatus.SUCCEEDED, [1, 2])
    assert result.inspection_data["result"] == [1, 2]


def test_a_mock_replaces_a_whole_map() -> None:
    map_state = {
        "Type": "Map",
        "ItemProcessor": {
            "StartAt": "Each",
            "States": {"Each": {"Type": "Task", "Resource": FN, "End": True}},
        },
        "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1}],
        "End": True,
    }
    assert test_state(map_state, input=[1, 2], mock=["a", "b"]).output == ["a", "b"]
    failed = test_state(map_state, input=[1], mock=asl.TaskFailed("Boom", ""))
    assert failed.status is TestStatus.RETRIABLE
    ran = test_state(map_state, input=[1, 2], resources={FN: lambda n: n * 10})
    assert ran.output == [10, 20]


def test_variables_are_visible_and_assignments_reported() -> None:
    state = {"Type": "Pass", "Assign": {"total.$": "States.MathAdd($limit, 1)"}, "End": True}
    result = test_state(state, input={}, variables={"limit": 4}, inspection_level="DEBUG")
    assert result.inspection_data["variables"] == {"limit": 4, "total": 5}


def test_jsonata_task_reports_its_arguments() -> None:
    state = {
        "Type": "Task",
        "QueryLanguage": "JSONata",
        "Resource": FN,
        "Arguments": {"n": "{% $states.input.n * 2 %}"},
        "Output": "{% $states.result + 1 %}",
        "End": True,
    }
    result = test_state(state, input={"n": 3}, mock=10, inspection_level="DEBUG")
    assert (result.status, result.output) == (TestStatus.SUCCEEDED, 11)
    assert result.inspection_data["afterArguments"] == {"n": 6}
    assert "afterInputPath" not in result.inspection_data


def test_a_task_token_task_takes_its_mock_as_the_callback() -> None:
    state = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True}
    assert test_state(state, input={}, mock={"answer": 42}).output == {"answer": 42}
    with pytest.raises(AslError, match="give it a mock"):
        test_state(state, input={})


def test_unknown_state_and_level_are_refused() -> None:
    with pytest.raises(AslError, match="no state named 'Nope'.*Work, Recover, Done"):
        test_state(MACHINE, "Nope")
    with pytest.raises(AslError, match="inspection_level"):
        test_state(MACHINE, "Work", inspection_level="LOUD")  # type: ignore[arg-type]


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_the_async_twin(anyio_backend: str) -> None:
    result = await test_state_async(MACHINE, "Done", input={"a": 1})
    assert (result.status, result.output) == (TestStatus.SUCCEEDED, {"a": 1})
