"""`asl run --aws`: Tasks served by AWS from the command line, against moto's server."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from asl import cli
from aws_server import aws, moto_url  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("moto_url")
ROLE = "arn:aws:iam::123456789012:role/StepFunctionsRole"


def call(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = cli.main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def machine(tmp_path: Path, resource: str, parameters: dict[str, Any]) -> str:
    path = tmp_path / "machine.asl.json"
    definition = {
        "StartAt": "Call",
        "States": {"Call": {"Type": "Task", "Resource": resource, "Parameters": parameters, "End": True}},
    }
    path.write_text(json.dumps(definition))
    return str(path)


def test_run_with_aws_calls_the_service(aws: Any, tmp_path: Path) -> None:
    url = aws("sqs").create_queue(QueueName="q")["QueueUrl"]
    path = machine(tmp_path, "arn:aws:states:::aws-sdk:sqs:sendMessage", {"QueueUrl": url, "MessageBody": "hi"})
    status, out, err = call("run", path, "--aws", "--virtual-time")
    assert (status, err) == (0, "")
    assert set(json.loads(out)) == {"MD5OfMessageBody", "MessageId"}
    assert aws("sqs").receive_message(QueueUrl=url)["Messages"][0]["Body"] == "hi"


def test_run_without_aws_needs_a_callable(aws: Any, tmp_path: Path) -> None:
    path = machine(tmp_path, "arn:aws:states:::aws-sdk:sqs:sendMessage", {"QueueUrl": "q", "MessageBody": "hi"})
    status, _, err = call("run", path, "--virtual-time")
    assert status == cli.RESOURCES
    assert "no callable was given" in err


def test_an_unknown_action_prints_its_pointer(aws: Any, tmp_path: Path) -> None:
    path = machine(tmp_path, "arn:aws:states:::aws-sdk:sqs:shout", {})
    status, out, err = call("run", path, "--aws")
    assert (status, out) == (cli.USAGE, "")
    assert err.startswith(f"{path}#/States/Call/Resource: The service 'sqs' has no action 'shout'")


def test_a_failed_call_is_a_failed_execution(aws: Any, tmp_path: Path) -> None:
    path = machine(tmp_path, "arn:aws:states:::aws-sdk:s3:getObject", {"Bucket": "none", "Key": "k"})
    status, _, err = call("run", path, "--aws", "--virtual-time")
    assert status == cli.FAILED
    assert "S3.NoSuchBucketException" in err
    assert "testing-secret-key-never-shown" not in err


def test_serve_with_aws_calls_the_service(aws: Any, moto_url: str) -> None:
    from test_serve import Server, finished

    url = aws("sqs").create_queue(QueueName="served")["QueueUrl"]
    server = Server("--aws")  # its environment points boto3 at moto's server (AWS_ENDPOINT_URL)
    try:
        sfn = boto3.client("stepfunctions", endpoint_url=server.url, region_name="us-east-1")
        task = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:sendMessage", "End": True}
        definition = {
            "StartAt": "Send",
            "States": {"Send": {**task, "Parameters": {"QueueUrl": url, "MessageBody": "served"}}},
        }
        arn = sfn.create_state_machine(name="send", definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
        described = finished(sfn, execution)
        assert described["status"] == "SUCCEEDED", described
        assert set(json.loads(described["output"])) == {"MD5OfMessageBody", "MessageId"}
        assert aws("sqs").receive_message(QueueUrl=url)["Messages"][0]["Body"] == "served"
    finally:
        assert server.stop() == 0


def test_a_durable_run_with_aws_calls_the_service(aws: Any, tmp_path: Path) -> None:
    url = aws("sqs").create_queue(QueueName="durable")["QueueUrl"]
    path = machine(tmp_path, "arn:aws:states:::aws-sdk:sqs:sendMessage", {"QueueUrl": url, "MessageBody": "kept"})
    store = str(tmp_path / "runs.db")
    status, out, err = call("run", path, "--aws", "--store", store, "--name", "send-1")
    assert (status, err) == (0, "")
    assert set(json.loads(out)) == {"MD5OfMessageBody", "MessageId"}
    assert call("run", path, "--aws", "--store", store, "--name", "send-1")[1] == out  # the recorded result
    assert len(aws("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]) == 1
