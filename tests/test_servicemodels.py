"""asl.servicemodels: a mocked Task result checked against its API's response shape (botocore's models)."""

from __future__ import annotations

import pytest

from asl.servicemodels import mock_problem, output_shape

PREFIX = "Mock result schema validation error: "


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:states:::aws-sdk:acmpca:describeCertificateAuthority",  # botocore: acm-pca
        "arn:aws:states:::aws-sdk:sfn:startExecution",  # botocore: stepfunctions
        "arn:aws:states:::states:startExecution",
        "arn:aws:states:::lambda:invoke",
    ],
)
def test_integrations_find_their_api_whatever_botocore_calls_the_service(resource: str) -> None:
    assert output_shape(resource) is not None


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:lambda:us-east-1:123456789012:function:f",
        "arn:aws:states:us-east-1:123456789012:activity:a",
        "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "arn:aws:states:::http:invoke",
        "arn:aws:states:::aws-sdk:nosuchservice:doIt",
        "arn:aws:states:::aws-sdk:s3:noSuchAction",
    ],
)
def test_what_answers_with_no_api_response_has_no_shape(resource: str) -> None:
    assert output_shape(resource) is None


def test_fields_are_named_as_step_functions_returns_them() -> None:
    start = "arn:aws:states:::states:startExecution"  # botocore names them executionArn, startDate
    assert mock_problem(start, {"ExecutionArn": "a", "StartDate": "d"}) is None
    assert (
        mock_problem(start, {"executionArn": "a", "startDate": "d"})
        == f"{PREFIX}Required field 'ExecutionArn' is missing"
    )


def test_limits_are_checked_both_ways() -> None:
    get_function = "arn:aws:states:::aws-sdk:lambda:getFunction"
    assert mock_problem(get_function, {"Configuration": {"MemorySize": 40000}}) == (
        f"{PREFIX}Field 'MemorySize' is greater than the maximum value"
    )
    assert (
        mock_problem(get_function, {"Configuration": {"MemorySize": 1.5}})
        == f"{PREFIX}Field 'MemorySize' must be an integer"
    )


def test_a_result_that_is_not_an_object_does_not_fit() -> None:
    assert mock_problem("arn:aws:states:::events:putEvents", [1]) == f"{PREFIX}The mocked result must be a JSON object"


def test_none_checks_nothing() -> None:
    assert mock_problem("arn:aws:states:::events:putEvents", [1], "NONE") is None
