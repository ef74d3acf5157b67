"""asl.services: Task states served by AWS through boto3, against moto's server on loopback."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

import asl
from asl import services
from aws_server import aws, moto_url  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("moto_url")

REQUEST_ID = re.compile(r"Request ID: [^;,)]+")


def task(resource: str, parameters: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    state: dict[str, Any] = {"Type": "Task", "Resource": resource, "End": True, **fields}
    if parameters is not None:
        state["Parameters"] = parameters
    return {"StartAt": "Call", "States": {"Call": state}}


def run(definition: dict[str, Any], value: Any = None, **options: Any) -> asl.Execution:
    return asl.run(asl.parse(definition), value or {}, aws=True, clock=asl.VirtualClock(0), seed=1, **options)


def make_table(aws: Any, name: str = "orders") -> None:
    aws("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


# -- aws-sdk -------------------------------------------------------------------------------


def test_sdk_put_then_get_item_returns_the_item(aws: Any) -> None:
    make_table(aws)
    item = {"id": {"S": "7"}, "total": {"N": "12"}}
    definition = {
        "StartAt": "Put",
        "States": {
            "Put": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:dynamodb:putItem",
                "Parameters": {"TableName": "orders", "Item.$": "$.item"},
                "ResultPath": "$.put",
                "Next": "Get",
            },
            "Get": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:dynamodb:getItem",
                "Parameters": {"TableName": "orders", "Key": {"id": {"S": "7"}}},
                "End": True,
            },
        },
    }
    execution = run(definition, {"item": item})
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output == {"Item": item}
    succeeded = [e.to_dict() for e in execution.history if e.type == "TaskSucceeded"]
    assert succeeded[0]["taskSucceededEventDetails"]["output"] == "{}"  # no ResponseMetadata


def test_sdk_s3_get_object_gives_the_body_as_text_and_times_as_iso(aws: Any) -> None:
    aws("s3").create_bucket(Bucket="bucket-a")
    aws("s3").put_object(Bucket="bucket-a", Key="k", Body=b"text data")
    execution = run(task("arn:aws:states:::aws-sdk:s3:getObject", {"Bucket": "bucket-a", "Key": "k"}))
    output = execution.output
    assert output["Body"] == "text data"
    assert output["ContentLength"] == 9
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", output["LastModified"])
    assert "ChecksumCRC32" not in output  # Step Functions' client asks for no response checksum


def test_sdk_s3_put_object_stores_the_body_as_json_text(aws: Any) -> None:
    aws("s3").create_bucket(Bucket="bucket-a")
    run(task("arn:aws:states:::aws-sdk:s3:putObject", {"Bucket": "bucket-a", "Key": "k", "Body": {"a": 1}}))
    run(task("arn:aws:states:::aws-sdk:s3:putObject", {"Bucket": "bucket-a", "Key": "s", "Body": "text"}))
    assert aws("s3").get_object(Bucket="bucket-a", Key="k")["Body"].read() == b'{"a":1}'
    assert aws("s3").get_object(Bucket="bucket-a", Key="s")["Body"].read() == b'"text"'


def test_sdk_parameters_and_results_are_pascal_case(aws: Any) -> None:
    role = "arn:aws:iam::123456789012:role/sfn"
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    arn = aws("stepfunctions").create_state_machine(name="child", definition=definition, roleArn=role)[
        "stateMachineArn"
    ]
    execution = run(task("arn:aws:states:::aws-sdk:sfn:startExecution", {"StateMachineArn": arn, "Name": "one"}))
    assert execution.status == "SUCCEEDED", execution.cause
    assert set(execution.output) == {"ExecutionArn", "StartDate"}
    assert execution.output["ExecutionArn"].endswith(":execution:child:one")
    assert execution.output["StartDate"].endswith("Z")


def test_sdk_errors_are_named_after_the_service_and_exception(aws: Any) -> None:
    execution = run(task("arn:aws:states:::aws-sdk:s3:listObjects", {"Bucket": "missing"}))
    assert execution.error == "S3.NoSuchBucketException"
    assert re.fullmatch(
        r"The specified bucket does not exist \(Service: S3, Status Code: 404, Request ID: [^)]+\)", execution.cause
    )


def test_sdk_dynamodb_prefix_is_the_sdk_client_name(aws: Any) -> None:
    execution = run(task("arn:aws:states:::aws-sdk:dynamodb:putItem", {"TableName": "none", "Item": {}}))
    assert execution.error == "DynamoDb.ResourceNotFoundException"
    assert REQUEST_ID.sub("Request ID: X", execution.cause) == (
        "Requested resource not found (Service: DynamoDb, Status Code: 400, Request ID: X)"
    )


def test_an_unmodelled_error_is_the_service_exception(aws: Any) -> None:
    class Boom(Exception):
        response = {"Error": {"Code": "Weird", "Message": "odd"}, "ResponseMetadata": {"HTTPStatusCode": 400}}

    import boto3

    model = boto3.Session(region_name="us-east-1").client("secretsmanager").meta.service_model
    failed = services.sdk_error(services.sdk_prefix(model), model, Boom())
    assert (failed.error, failed.cause) == (
        "SecretsManager.SecretsManagerException",
        "odd (Service: SecretsManager, Status Code: 400, Request ID: )",
    )


def test_sdk_errors_are_caught_and_retried(aws: Any) -> None:
    definition = task(
        "arn:aws:states:::aws-sdk:s3:getObject",
        {"Bucket": "missing", "Key": "k"},
        Retry=[{"ErrorEquals": ["S3.NoSuchBucketException"], "MaxAttempts": 2}],
        Catch=[{"ErrorEquals": ["States.TaskFailed"], "Next": "Handled"}],
    )
    definition["States"]["Handled"] = {"Type": "Pass", "End": True}
    execution = run(definition)
    assert execution.status == "SUCCEEDED"
    assert execution.output["Error"] == "S3.NoSuchBucketException"
    assert [e.type for e in execution.history].count("TaskFailed") == 3


# -- optimized integrations ----------------------------------------------------------------


def test_sqs_send_message_adds_the_http_envelope(aws: Any) -> None:
    url = aws("sqs").create_queue(QueueName="q")["QueueUrl"]
    execution = run(task("arn:aws:states:::sqs:sendMessage", {"QueueUrl": url, "MessageBody": {"order": 7}}))
    output = execution.output
    assert set(output) == {"MD5OfMessageBody", "MessageId", "SdkHttpMetadata", "SdkResponseMetadata"}
    body = {key: output[key] for key in ("MD5OfMessageBody", "MessageId")}
    length = str(len(json.dumps(body, separators=(",", ":"))))
    assert output["SdkHttpMetadata"]["HttpHeaders"]["Content-Length"] == length
    assert output["SdkHttpMetadata"]["HttpStatusCode"] == 200
    message = aws("sqs").receive_message(QueueUrl=url)["Messages"][0]
    assert message["Body"] == '{"order":7}'  # a JSON body is sent as its JSON text


def test_sqs_errors_are_named_as_the_optimized_integration_names_them(aws: Any) -> None:
    execution = run(
        task("arn:aws:states:::sqs:sendMessage", {"QueueUrl": "http://x/123456789012/no", "MessageBody": "m"})
    )
    assert execution.error == "SQS.QueueDoesNotExistException"
    assert execution.cause.endswith("; Proxy: null)")
    assert "(Service: AmazonSQS; Status Code: 400; Error Code: AWS.SimpleQueueService.NonExistentQueue;" in (
        execution.cause
    )


def test_sns_publish_envelope_has_aws_xml_length(aws: Any) -> None:
    topic = aws("sns").create_topic(Name="t")["TopicArn"]
    execution = run(task("arn:aws:states:::sns:publish", {"TopicArn": topic, "Message": {"a": 1}}))
    output = execution.output
    request_id = output["SdkResponseMetadata"]["RequestId"]
    # AWS's PublishResponse layout: 222 bytes around a 36-character message id and the request id
    assert output["SdkHttpMetadata"]["HttpHeaders"]["Content-Length"] == str(222 + 36 + len(request_id))
    assert output["SdkHttpMetadata"]["HttpHeaders"]["Content-Type"] == "text/xml"


def test_sns_missing_topic_is_not_found(aws: Any) -> None:
    execution = run(
        task("arn:aws:states:::sns:publish", {"TopicArn": "arn:aws:sns:us-east-1:123456789012:no", "Message": "m"})
    )
    assert execution.error == "SNS.NotFoundException"
    assert "(Service: AmazonSNS; Status Code: 404; Error Code: NotFound;" in execution.cause


def test_dynamodb_optimized_put_update_get_delete(aws: Any) -> None:
    make_table(aws)
    key = {"id": {"S": "1"}}

    def step(name: str, action: str, parameters: dict[str, Any], following: str | None) -> dict[str, Any]:
        state: dict[str, Any] = {
            "Type": "Task",
            "Resource": f"arn:aws:states:::dynamodb:{action}",
            "Parameters": {"TableName": "orders", **parameters},
            "ResultPath": f"$.{name}",
        }
        state.update({"Next": following} if following else {"End": True})
        return state

    definition = {
        "StartAt": "put",
        "States": {
            "put": step("put", "putItem", {"Item": {"id": {"S": "1"}, "n": {"N": "1"}}}, "update"),
            "update": step(
                "update",
                "updateItem",
                {
                    "Key": key,
                    "UpdateExpression": "SET n = :n",
                    "ExpressionAttributeValues": {":n": {"N": "2"}},
                    "ReturnValues": "UPDATED_NEW",
                },
                "get",
            ),
            "get": step("get", "getItem", {"Key": key}, "delete"),
            "delete": step("delete", "deleteItem", {"Key": key}, None),
        },
    }
    output = run(definition).output
    assert output["put"]["SdkHttpMetadata"]["HttpHeaders"]["Content-Length"] == "2"
    assert output["update"]["Attributes"] == {"n": {"N": "2"}}
    assert output["get"]["Item"] == {"id": {"S": "1"}, "n": {"N": "2"}}
    assert output["get"]["SdkHttpMetadata"]["HttpHeaders"]["Content-Type"] == "application/x-amz-json-1.0"
    assert "Item" not in aws("dynamodb").get_item(TableName="orders", Key=key)


def test_dynamodb_missing_table(aws: Any) -> None:
    execution = run(task("arn:aws:states:::dynamodb:getItem", {"TableName": "none", "Key": {"id": {"S": "1"}}}))
    assert execution.error == "DynamoDB.ResourceNotFoundException"
    assert REQUEST_ID.sub("Request ID: X", execution.cause) == (
        "Requested resource not found (Service: AmazonDynamoDBv2; Status Code: 400; "
        "Error Code: ResourceNotFoundException; Request ID: X; Proxy: null)"
    )


def test_events_put_events_has_no_envelope(aws: Any) -> None:
    entries = [{"Source": "s", "DetailType": "d", "Detail": {"a": 1}}]
    execution = run(task("arn:aws:states:::events:putEvents", {"Entries": entries}))
    assert execution.output["FailedEntryCount"] == 0
    assert set(execution.output) == {"Entries", "FailedEntryCount"}


def test_states_start_execution_calls_the_service(aws: Any) -> None:
    role = "arn:aws:iam::123456789012:role/sfn"
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    arn = aws("stepfunctions").create_state_machine(name="child", definition=definition, roleArn=role)[
        "stateMachineArn"
    ]
    execution = run(task("arn:aws:states:::states:startExecution", {"StateMachineArn": arn, "Input": {"x": 1}}))
    assert execution.status == "SUCCEEDED", execution.cause
    started = aws("stepfunctions").list_executions(stateMachineArn=arn)["executions"]
    assert [e["executionArn"] for e in started] == [execution.output["ExecutionArn"]]
    assert isinstance(execution.output["StartDate"], int)


def test_glue_start_job_run_sync_polls_until_the_run_ends(aws: Any) -> None:
    aws("glue").create_job(Name="etl", Role="r", Command={"Name": "glueetl", "ScriptLocation": "s3://b/s.py"})
    execution = run(task("arn:aws:states:::glue:startJobRun.sync", {"JobName": "etl"}))
    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.output["JobRunState"] == "SUCCEEDED"
    assert execution.output["JobName"] == "etl"


def test_lambda_function_not_found(aws: Any) -> None:
    execution = run(task("arn:aws:states:::lambda:invoke", {"FunctionName": "missing", "Payload": {}}))
    assert execution.error == "Lambda.ResourceNotFoundException"
    assert "(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException;" in execution.cause


# -- the wait-for-token pattern ------------------------------------------------------------


@pytest.mark.anyio
async def test_wait_for_task_token_sends_then_waits(aws: Any) -> None:
    import anyio

    url = aws("sqs").create_queue(QueueName="q")["QueueUrl"]
    definition = task(
        "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        {"QueueUrl": url, "MessageBody": {"token.$": "$$.Task.Token"}},
    )
    machine = asl.parse(definition)
    async with asl.start(machine, {}, aws=True) as execution:
        messages: list[Any] = []
        while not messages:
            messages = aws("sqs").receive_message(QueueUrl=url).get("Messages", [])
            await anyio.sleep(0.01)
        token = json.loads(messages[0]["Body"])["token"]
        execution.send_task_success(token, {"approved": True})
    assert execution.output == {"approved": True}


# -- what comes first, and what is refused -------------------------------------------------


def test_resources_win_over_aws(aws: Any) -> None:
    resource = "arn:aws:states:::sqs:sendMessage"
    execution = run(task(resource, {"QueueUrl": "nowhere"}), resources={resource: lambda value: {"mine": True}})
    assert execution.output == {"mine": True}


def test_an_unknown_action_is_a_definition_problem(aws: Any) -> None:
    with pytest.raises(asl.DefinitionError) as raised:
        run(task("arn:aws:states:::aws-sdk:s3:fetchEverything", {}))
    (problem,) = raised.value.problems
    assert problem.path == "/States/Call/Resource"
    assert "no action 'fetchEverything'" in problem.message


def test_an_unknown_service_is_a_definition_problem(aws: Any) -> None:
    with pytest.raises(asl.DefinitionError) as raised:
        run(task("arn:aws:states:::aws-sdk:nosuchservice:doIt", {}))
    assert "no service 'nosuchservice'" in raised.value.problems[0].message


def test_an_unsupported_integration_is_refused_by_name(aws: Any) -> None:
    with pytest.raises(asl.DefinitionError) as raised:
        run(task("arn:aws:states:::ecs:runTask.sync", {}))
    assert "'arn:aws:states:::ecs:runTask.sync'" in raised.value.problems[0].message


def test_aws_services_match_the_sdk_v2_names() -> None:
    assert services.boto_service("sfn") == "stepfunctions"
    assert services.boto_service("cognitoidentityprovider") == "cognito-idp"
    assert services.boto_service("dynamodb") == "dynamodb"


def test_no_network_is_an_sdk_client_exception_and_is_retried(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from aws_server import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    definition = task(
        "arn:aws:states:::sqs:sendMessage",
        {"QueueUrl": "http://127.0.0.1:1/123456789012/q", "MessageBody": "m"},
        Retry=[{"ErrorEquals": ["SQS.SdkClientException"], "MaxAttempts": 1}],
    )
    import boto3

    session = boto3.Session(region_name="us-east-1")  # a session of its own: AWS_MAX_ATTEMPTS is read per session
    execution = asl.run(asl.parse(definition), {}, aws=session, clock=asl.VirtualClock(0))
    assert execution.error == "SQS.SdkClientException"
    assert execution.cause.startswith("Unable to execute HTTP request")
    assert [e.type for e in execution.history].count("TaskFailed") == 2


def test_credentials_are_never_in_a_history_or_message(aws: Any) -> None:
    execution = run(task("arn:aws:states:::aws-sdk:s3:listObjects", {"Bucket": "missing"}))
    text = json.dumps([event.to_dict() for event in execution.history])
    assert "testing-secret-key-never-shown" not in text
    assert "testing-secret-key-never-shown" not in str(execution.cause)


def test_clients_are_made_once_per_service_region_and_endpoint(aws: Any) -> None:
    import boto3

    session = boto3.Session(region_name="us-east-1")
    first = services.connect(session).client("sqs")
    assert services.connect(session).client("sqs") is first
    assert services.connect(session).client("sns") is not first
    assert services.connect(True).client("sqs") is services.connect(True).client("sqs")  # one default session


def test_aws_must_be_true_or_a_session() -> None:
    with pytest.raises(asl.AslError, match="boto3.Session"):
        asl.run(asl.parse(task("arn:aws:states:::sqs:sendMessage", {})), {}, aws="yes")


def test_no_credentials_is_an_sdk_client_exception(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    session = boto3.Session(region_name="us-east-1")
    execution = asl.run(
        asl.parse(task("arn:aws:states:::aws-sdk:s3:listBuckets", {})), {}, aws=session, clock=asl.VirtualClock(0)
    )
    assert execution.error == "S3.SdkClientException"
    assert execution.cause == "Unable to load credentials from any of the providers in the chain."


def test_sdk_wait_for_task_token_waits_for_the_answer(aws: Any) -> None:
    url = aws("sqs").create_queue(QueueName="q")["QueueUrl"]
    definition = task(
        "arn:aws:states:::aws-sdk:sqs:sendMessage.waitForTaskToken",
        {"QueueUrl": url, "MessageBody.$": "$$.Task.Token"},
        TimeoutSeconds=30,
    )
    execution = run(definition)
    assert execution.error == "States.Timeout"  # nobody answered: the virtual 30 s passed
    (message,) = aws("sqs").receive_message(QueueUrl=url)["Messages"]
    assert message["Body"]  # the token was sent
