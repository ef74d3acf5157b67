"""asl.teststate: one state at a time, as AWS's TestState API runs it."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import asl
from asl import servicemodels
from asl.context import JSON
from asl.errors import AslError, DefinitionError
from asl.teststate import TestStatus, ValidationException, test_state, test_state_async
from strategies import json_scalars

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
    }


def test_info_level_shows_no_data_flow() -> None:
    result = test_state(MACHINE, "Work", input=INPUT, mock={"value": 1})
    assert result.inspection_data == {}


def test_trace_level_shows_what_debug_shows_for_a_task_that_is_not_http() -> None:
    debug = test_state(MACHINE, "Work", input=INPUT, mock={"value": 1}, inspection_level="DEBUG")
    trace = test_state(MACHINE, "Work", input=INPUT, mock={"value": 1}, inspection_level="TRACE")
    assert trace.inspection_data == debug.inspection_data
    assert "request" not in trace.inspection_data


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
    result = test_state(
        MACHINE,
        "Work",
        input=INPUT,
        mock=asl.TaskFailed("Busy", "later"),
        retrier_retry_count=1,
        inspection_level="DEBUG",
    )
    assert result.status is TestStatus.RETRIABLE
    assert (result.error, result.cause, result.output, result.next_state) == ("Busy", "later", None, None)
    assert result.inspection_data["errorDetails"] == {"retryIndex": 0, "retryBackoffIntervalSeconds": 6}


def test_info_level_sends_no_error_details() -> None:
    result = test_state(MACHINE, "Work", input=INPUT, mock=asl.TaskFailed("Busy", "later"))
    assert (result.status, result.inspection_data) == (TestStatus.RETRIABLE, {})


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


def test_pass_state_shows_its_parameters_as_selected_result() -> None:
    state = {"Type": "Pass", "Parameters": {"a.$": "$.x"}, "ResultPath": "$.p", "Next": "N"}
    result = test_state(state, input={"x": 1}, inspection_level="DEBUG")
    assert (result.status, result.output, result.next_state) == (TestStatus.SUCCEEDED, {"x": 1, "p": {"a": 1}}, "N")
    assert result.inspection_data == {
        "input": {"x": 1},
        "afterInputPath": {"x": 1},
        "afterParameters": {"a": 1},
        "afterResultSelector": {"a": 1},
        "afterResultPath": {"x": 1, "p": {"a": 1}},
    }


def test_pass_state_with_a_result_shows_the_result_and_no_input_processing() -> None:
    state = {"Type": "Pass", "InputPath": "$.x", "Result": {"r": 2}, "End": True}
    result = test_state(state, input={"x": 1}, inspection_level="TRACE")
    assert result.inspection_data == {
        "input": {"x": 1},
        "result": {"r": 2},
        "afterResultSelector": {"r": 2},
        "afterResultPath": {"r": 2},
    }


def test_choice_succeed_and_fail_show_the_input_and_input_path() -> None:
    choice = {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "One"}], "Default": "D"}
    for state in (choice, {"Type": "Succeed"}, {"Type": "Fail", "Error": "E"}):
        result = test_state(state, input={"n": 1}, inspection_level="DEBUG")
        assert result.inspection_data == {"input": {"n": 1}, "afterInputPath": {"n": 1}}


def test_jsonata_states_other_than_task_and_map_show_only_their_input() -> None:
    state = {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input.n + 1 %}", "End": True}
    result = test_state(state, input={"n": 1}, inspection_level="TRACE")
    assert (result.output, result.inspection_data) == (2, {"input": {"n": 1}})


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


PARALLEL: dict[str, Any] = {
    "Type": "Parallel",
    "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": 1, "End": True}}},
        {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": 2, "End": True}}},
    ],
    "ResultPath": "$.both",
    "End": True,
}
MAP: dict[str, Any] = {
    "Type": "Map",
    "ItemsPath": "$.items",
    "MaxConcurrency": 2,
    "ToleratedFailureCount": 1,
    "ItemProcessor": {"StartAt": "Each", "States": {"Each": {"Type": "Task", "Resource": FN, "End": True}}},
    "Retry": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "MaxAttempts": 1}],
    "End": True,
}


def test_an_unmocked_parallel_or_map_is_refused_as_aws_refuses_it() -> None:
    for state in (PARALLEL, MAP):
        with pytest.raises(DefinitionError, match="does not support Map or Parallel states"):
            test_state(state, input={"items": [1]}, resources={FN: lambda n: n})


def test_a_mock_replaces_the_branches_of_a_parallel() -> None:
    result = test_state(PARALLEL, input={"k": 0}, mock=["a", "b"], inspection_level="DEBUG")
    assert (result.status, result.output) == (TestStatus.SUCCEEDED, {"k": 0, "both": ["a", "b"]})
    assert result.inspection_data == {
        "input": {"k": 0},
        "afterResultSelector": ["a", "b"],
        "afterResultPath": {"k": 0, "both": ["a", "b"]},
    }


def test_a_parallel_mock_has_one_item_per_branch() -> None:
    with pytest.raises(ValidationException, match="Mocked result must be an array."):
        test_state(PARALLEL, input={}, mock={"a": 1})
    with pytest.raises(ValidationException, match="one per branch"):
        test_state(PARALLEL, input={}, mock=["only one"])


def test_a_mock_replaces_the_iterations_of_a_map() -> None:
    result = test_state(MAP, input={"items": [1, 2]}, mock=["a", "b"], inspection_level="DEBUG")
    assert (result.status, result.output) == (TestStatus.SUCCEEDED, ["a", "b"])
    assert result.inspection_data == {
        "input": {"items": [1, 2]},
        "afterInputPath": {"items": [1, 2]},
        "afterItemsPath": [1, 2],
        "afterResultSelector": ["a", "b"],
        "afterResultPath": ["a", "b"],
        "maxConcurrency": 2,
        "toleratedFailureCount": 1,
    }


def test_map_iteration_failures_past_the_tolerance_fail_the_map() -> None:
    within = test_state(MAP, input={"items": [1, 2]}, mock=[0, 1], map_iteration_failure_count=1)
    assert within.status is TestStatus.SUCCEEDED
    past = test_state(MAP, input={"items": [1, 2]}, mock=[0, 0], map_iteration_failure_count=2)
    assert (past.status, past.error) == (TestStatus.RETRIABLE, "States.ExceedToleratedFailureThreshold")


def test_map_iteration_failures_need_a_mock_and_no_more_than_the_iterations() -> None:
    with pytest.raises(ValidationException, match="when a mock is not specified"):
        test_state(MAP, input={"items": [1]}, map_iteration_failure_count=0)
    with pytest.raises(ValidationException, match="less than or equal to the number of Map iterations"):
        test_state(MAP, input={"items": [1]}, mock=[1], map_iteration_failure_count=2)


def test_a_mocked_map_still_reads_its_items_from_the_context_object() -> None:
    state = {**MAP, "ItemsPath": "$$.Execution.Input"}
    result = test_state(state, input={"items": [1]}, mock=[1], context={"Execution": {"Input": {"not": "a list"}}})
    assert (result.status, result.error, result.cause) == (
        TestStatus.FAILED,
        "States.Runtime",
        'Reference path "$.Execution.Input" must point to array.',
    )


def test_a_jsonata_map_shows_its_input_and_settings() -> None:
    state = {
        "Type": "Map",
        "QueryLanguage": "JSONata",
        "Items": "{% $states.input.v %}",
        "ToleratedFailurePercentage": "{% 10 %}",
        "ItemProcessor": {"StartAt": "E", "States": {"E": {"Type": "Pass", "End": True}}},
        "End": True,
    }
    result = test_state(state, input={"v": [1]}, mock=[9], inspection_level="DEBUG")
    assert result.inspection_data == {"input": {"v": [1]}, "maxConcurrency": 0, "toleratedFailurePercentage": 10.0}


def test_a_map_with_a_result_writer_is_mocked_with_an_object() -> None:
    state = {**MAP, "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b"}}}
    with pytest.raises(ValidationException, match="Mocked result must be a JSON object."):
        test_state(state, input={"items": [1]}, mock=[1])


def test_a_single_state_may_contain_a_state_named_like_the_tested_one() -> None:
    state = {**MAP, "ItemProcessor": {"StartAt": "StateName", "States": {"StateName": {"Type": "Pass", "End": True}}}}
    assert test_state(state, input={"items": [1]}, mock=[1]).output == [1]


def test_variables_are_visible_and_assignments_reported() -> None:
    state = {"Type": "Pass", "Assign": {"total.$": "States.MathAdd($limit, 1)"}, "End": True}
    result = test_state(state, input={}, variables={"limit": 4}, inspection_level="DEBUG")
    assert result.inspection_data["variables"] == {"limit": 4, "total": 5}


def test_no_variables_are_reported_when_there_are_none() -> None:
    result = test_state({"Type": "Pass", "End": True}, input={}, variables={}, inspection_level="DEBUG")
    assert "variables" not in result.inspection_data


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
    with pytest.raises(ValidationException, match="give it a mock"):
        test_state(state, input={})


def test_a_sync_task_needs_a_mock() -> None:
    state = {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2", "End": True}
    with pytest.raises(ValidationException, match=r"\.sync"):
        test_state(state, input={})


def test_unknown_state_and_level_are_refused() -> None:
    with pytest.raises(ValidationException, match="State not found in definition"):
        test_state(MACHINE, "Nope")
    with pytest.raises(ValidationException, match="stateName"):
        test_state(MACHINE, "")
    with pytest.raises(ValidationException, match="inspection_level"):
        test_state(MACHINE, "Work", inspection_level="LOUD")  # type: ignore[arg-type]


def test_a_state_answers_the_same_from_a_file_as_from_a_dict(tmp_path: Path) -> None:
    definition = MACHINE.to_dict()
    path = tmp_path / "machine.asl.json"
    path.write_text(json.dumps(definition))
    mock = asl.TaskFailed("Broken", "gone")
    answers = [
        test_state(source, "Work", input=INPUT, mock=mock, inspection_level="TRACE") for source in (definition, path)
    ]
    assert answers[0] == answers[1]
    assert answers[0].status is TestStatus.CAUGHT_ERROR


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
async def test_the_async_twin(anyio_backend: str) -> None:
    result = await test_state_async(MACHINE, "Done", input={"a": 1})
    assert (result.status, result.output) == (TestStatus.SUCCEEDED, {"a": 1})


# -- the context object -------------------------------------------------------------------

CONTEXT_TASK: dict[str, Any] = {"Type": "Task", "Resource": FN, "ResultSelector": {"c.$": "$$"}, "End": True}


def test_the_context_object_is_express_shaped_and_names_the_state_state_name() -> None:
    context = test_state(CONTEXT_TASK, input={"a": 1}, mock={}).output["c"]  # type: ignore[index]
    execution = context["Execution"]
    assert execution["Id"] == f"arn:aws:states:us-east-1:123456789012:express:TestStateMachine:{execution['Name']}"
    assert (execution["Input"], execution["RoleArn"]) == ({"a": 1}, None)
    assert "RedriveCount" not in execution
    assert context["StateMachine"]["Id"].endswith(":stateMachine:TestStateMachine")
    assert (context["State"]["Name"], context["State"]["RetryCount"]) == ("StateName", 0)


def test_the_context_object_carries_the_role_and_retry_count_given() -> None:
    role = "arn:aws:iam::123456789012:role/sfn"
    context = test_state(CONTEXT_TASK, input={}, mock={}, role_arn=role, retrier_retry_count=2).output["c"]  # type: ignore[index]
    assert (context["Execution"]["RoleArn"], context["State"]["RetryCount"]) == (role, 2)


def test_a_pass_state_has_no_retry_count_in_its_context() -> None:
    state = {"Type": "Pass", "Parameters": {"s.$": "$$.State"}, "End": True}
    assert list(test_state(state, input={}).output["s"]) == ["Name", "EnteredTime"]  # type: ignore[index]


def test_a_given_context_object_replaces_the_one_made() -> None:
    assert test_state(CONTEXT_TASK, input={}, mock={}, context={}).output == {"c": {}}
    given = {"Execution": {"Id": "x", "Input": {"v": 1}}, "State": {"Name": "Mine"}}
    assert test_state(CONTEXT_TASK, input={}, mock={}, context=given).output == {"c": given}


def test_a_given_task_token_reaches_a_task_token_task() -> None:
    state = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"token.$": "$$.Task.Token"},
        "End": True,
    }
    result = test_state(state, input={}, mock={}, context={"Task": {"Token": "t-1"}}, inspection_level="DEBUG")
    assert result.inspection_data["afterParameters"] == {"token": "t-1"}


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"Pokedex": {}}, "Field 'Pokedex' is not allowed"),
        ({"Map": {}}, "'Map' field is not supported when mocking a Context object"),
        ({"Execution": {"Id": 1}}, "Execution.Id must be a string"),
        ({"State": {"RetryCount": "1"}}, "State.RetryCount must be an integer"),
        ({"Task": {"Token": "t"}}, "Context object contains 'Task' when state is not a Task state"),
    ],
)
def test_a_context_object_aws_does_not_accept_is_refused(context: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationException, match=f"Invalid Context object provided: {message}"):
        test_state(CONTEXT_TASK, input={}, mock={}, context=context)


# -- mocks --------------------------------------------------------------------------------


def test_a_state_that_does_no_work_takes_no_mock() -> None:
    for state in ({"Type": "Pass", "End": True}, {"Type": "Succeed"}, {"Type": "Fail"}):
        with pytest.raises(ValidationException, match=f"State type '{state['Type']}' is not supported when a mock"):
            test_state(state, input={}, mock=asl.TaskFailed("E", "C"))


def test_secrets_are_not_revealed_to_a_mock() -> None:
    with pytest.raises(ValidationException, match="RevealSecrets"):
        test_state(TASK, input=INPUT, mock={}, reveal_secrets=True)


def test_a_mocked_result_given_as_text_must_be_json() -> None:
    assert test_state(TASK, input=INPUT, mock_result='{"value": 3}').output == {"value": 3}
    assert test_state({"Type": "Task", "Resource": FN, "End": True}, input={}, mock_result="null").output is None
    with pytest.raises(ValidationException, match="Mocked result must be valid JSON"):
        test_state(TASK, input=INPUT, mock_result="not JSON")
    with pytest.raises(ValidationException, match=r"only one of the following fields: \[result, errorOutput\]"):
        test_state(TASK, input=INPUT, mock=asl.TaskFailed("E", "C"), mock_result="{}")


START = {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution", "End": True}


def test_a_mocked_result_is_checked_against_the_api_response_strictly_by_default() -> None:
    with pytest.raises(
        ValidationException, match="^Mock result schema validation error: Required field 'ExecutionArn'"
    ):
        test_state(START, input={}, mock={"executionArn": "a", "startDate": "b"})
    ok = {"ExecutionArn": "a", "StartDate": "2025-01-01T00:00:00", "SdkHttpMetadata": {"HttpStatusCode": 200}}
    assert test_state(START, input={}, mock=ok).output == ok


def test_present_mode_checks_only_the_fields_given() -> None:
    assert test_state(START, input={}, mock={}, mock_field_validation_mode="PRESENT").output == {}
    with pytest.raises(ValidationException, match="Field 'StartDate' must be a string"):
        test_state(START, input={}, mock={"StartDate": 1}, mock_field_validation_mode="PRESENT")


def test_none_mode_checks_nothing() -> None:
    assert test_state(START, input={}, mock={"StartDate": 1}, mock_field_validation_mode="NONE").status == "SUCCEEDED"


@pytest.mark.parametrize(
    ("resource", "mock", "message"),
    [
        ("aws-sdk:kms:encrypt", {"CiphertextBlob": ""}, "Field 'CiphertextBlob' is smaller than the minimum length"),
        ("aws-sdk:lambda:getFunction", {"Configuration": {"MemorySize": 127}}, "'MemorySize' is less than the minimum"),
        ("aws-sdk:s3:getObject", {"StorageClass": "Papyrus"}, "Field 'StorageClass' is not an expected value"),
        ("dynamodb:putItem", {"ConsumedCapacity": {"CapacityUnits": "1.5"}}, "'CapacityUnits' must be a number"),
        ("events:putEvents", {"Entries": [{"EventId": "1"}, {"EventId": [2]}]}, "Field 'EventId' must be a string"),
        ("events:putEvents", {"Entries": "none"}, "Field 'Entries' must be an array"),
        ("lambda:invoke", {"StatusCode": "200"}, "Field 'StatusCode' must be a number"),
    ],
)
def test_a_mocked_result_that_does_not_fit_the_api_is_refused(resource: str, mock: JSON, message: str) -> None:
    state = {"Type": "Task", "Resource": f"arn:aws:states:::{resource}", "End": True}
    with pytest.raises(ValidationException, match=message):
        test_state(state, input={}, mock=mock)


def test_what_calls_no_aws_api_is_not_checked() -> None:
    for resource in (FN, "arn:aws:states:::apigateway:invoke", "arn:aws:states:::states:startExecution.sync"):
        state = {"Type": "Task", "Resource": resource, "End": True}
        assert test_state(state, input={}, mock={"StartDate": 1}).output == {"StartDate": 1}
    lambda_invoke = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True}
    assert test_state(lambda_invoke, input={}, mock={"Payload": {"any": "json"}}).status == "SUCCEEDED"


def test_checking_a_mock_without_botocore_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "botocore.exceptions", None)
    servicemodels._model.cache_clear()
    servicemodels._shape.cache_clear()
    try:
        with pytest.raises(AslError, match=r"asl-local\[aws\]"):
            test_state(START, input={}, mock={})
        assert test_state(START, input={}, mock={}, mock_field_validation_mode="NONE").output == {}
    finally:
        servicemodels._model.cache_clear()
        servicemodels._shape.cache_clear()


# -- state configuration ------------------------------------------------------------------


def test_an_error_is_mocked_as_caused_by_a_state_of_the_map() -> None:
    failed = test_state(MAP, input={"items": [1]}, mock=asl.TaskFailed("E", "C"), error_caused_by_state="Each")
    assert (failed.status, failed.error) == (TestStatus.FAILED, "E")
    with pytest.raises(ValidationException, match="ErrorCausedByState"):
        test_state(MAP, input={"items": [1]}, mock=asl.TaskFailed("E", "C"), error_caused_by_state="Nowhere")
    with pytest.raises(ValidationException, match="ErrorCausedByState"):
        test_state(MAP, input={"items": [1]}, mock=[1], error_caused_by_state="Each")


def test_item_reader_data_is_for_a_map_with_an_item_reader() -> None:
    reader = {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"}}
    state = {**MAP, "ItemReader": reader}
    state.pop("ItemsPath")
    result = test_state(state, input={}, mock=[0, 1, 2], map_item_reader_data="[1, 2, 3]")
    assert result.output == [0, 1, 2]
    with pytest.raises(ValidationException, match="MapItemReaderData"):
        test_state(MAP, input={"items": [1]}, mock=[1], map_item_reader_data="[1]")


def test_the_state_configuration_needs_a_mock() -> None:
    with pytest.raises(ValidationException, match="does not support RetrierRetryCount when a mock is not specified"):
        test_state(MACHINE, "Work", input=INPUT, retrier_retry_count=1, resources={FN: lambda p: p})


def test_a_step_of_the_data_flow_that_fails_is_left_out() -> None:
    state = {"Type": "Task", "Resource": FN, "Parameters": {"a.$": "$.missing"}, "End": True}
    result = test_state(state, input={"b": 1}, mock={}, inspection_level="DEBUG")
    assert (result.status, result.error) == (TestStatus.FAILED, "States.Runtime")
    assert result.inspection_data == {"input": {"b": 1}, "afterInputPath": {"b": 1}}


def test_a_context_object_needs_a_mock() -> None:
    with pytest.raises(ValidationException, match="does not support Context when a mock is not specified"):
        test_state({"Type": "Pass", "End": True}, input={}, context={"Execution": {"Id": "x"}})


def test_a_state_name_needs_a_whole_machine() -> None:
    with pytest.raises(DefinitionError):
        test_state({"Type": "Pass", "End": True}, "StateName", input={})


def test_a_mocked_map_shows_what_its_item_selector_makes_of_each_item() -> None:
    state = {**MAP, "ItemSelector": {"at.$": "$$.Map.Item.Index", "v.$": "$$.Map.Item.Value"}}
    result = test_state(state, input={"items": ["a", "b"]}, mock=[1, 2], inspection_level="DEBUG")
    assert result.inspection_data["afterItemSelector"] == [{"at": 0, "v": "a"}, {"at": 1, "v": "b"}]


def test_variables_are_an_object() -> None:
    with pytest.raises(ValidationException, match="variables must be a JSON object"):
        test_state({"Type": "Pass", "End": True}, input={}, variables=[1])  # type: ignore[arg-type]


FIELDS = st.sampled_from(["Entries", "EventId", "ConsumedCapacity", "CapacityUnits", "StatusCode", "Payload", "x"])
SHAPED = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(FIELDS, inner), max_leaves=8
)


@settings(max_examples=150, deadline=None, database=None)
@given(
    resource=st.sampled_from(["events:putEvents", "dynamodb:putItem", "lambda:invoke", "aws-sdk:s3:getObject"]),
    mock=SHAPED,
    mode=st.sampled_from(["STRICT", "PRESENT"]),
)
def test_any_mocked_result_is_answered_or_refused(resource: str, mock: JSON, mode: str) -> None:
    state = {"Type": "Task", "Resource": f"arn:aws:states:::{resource}", "End": True}
    with contextlib.suppress(ValidationException):  # any other exception is a bug
        assert test_state(state, input={}, mock_result=json.dumps(mock), mock_field_validation_mode=mode).output == mock


def test_a_catcher_that_fails_itself_fails_the_state() -> None:
    state = {
        "Type": "Task",
        "QueryLanguage": "JSONata",
        "Resource": FN,
        "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% $nope.x() %}", "Next": "After"}],
        "End": True,
    }
    result = test_state(state, input={}, mock=asl.TaskFailed("E", "C"))
    assert (result.status, result.error) == (TestStatus.FAILED, "States.QueryEvaluationError")


def test_a_mocked_map_shows_how_its_item_batcher_groups_the_items() -> None:
    state = {**MAP, "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"b": 1}}}
    result = test_state(state, input={"items": [1, 2, 3]}, mock=[1, 2], inspection_level="DEBUG")
    assert result.inspection_data["afterItemBatcher"] == [
        {"BatchInput": {"b": 1}, "Items": [1, 2]},
        {"BatchInput": {"b": 1}, "Items": [3]},
    ]


def test_a_context_field_may_be_null() -> None:
    given = {"Execution": {"Id": "x", "RoleArn": None}, "State": {"RetryCount": None}}
    assert test_state(CONTEXT_TASK, input={}, mock={}, context=given).output == {"c": given}


def test_a_jsonata_task_without_arguments_shows_its_input_as_its_arguments() -> None:
    state = {"Type": "Task", "QueryLanguage": "JSONata", "Resource": FN, "End": True}
    result = test_state(state, input={"n": 1}, mock=2, inspection_level="DEBUG")
    assert result.inspection_data == {"input": {"n": 1}, "afterArguments": {"n": 1}, "result": 2}
