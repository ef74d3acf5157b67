"""`asl serve` against real clients: boto3's stepfunctions client and the AWS CLI, talking to a
server process the tests start on a free loopback port. Every response is checked against
botocore's service model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import pytest

from asl.server.protocol import check_response

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ROLE = "arn:aws:iam::123456789012:role/StepFunctionsRole"
PASS = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": {"x": 1}, "End": True}}}
WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}}
MOCKS = {
    "StateMachines": {
        "Doubler": {"TestCases": {"Mocked": {"Double": "Doubled"}}},
    },
    "MockedResponses": {"Doubled": {"0": {"Return": {"value": 1000}}}},
}
PROBLEMS: list[str] = []


def wait_until(condition: Callable[[], Any], seconds: float = 10.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {seconds} s")
        time.sleep(0.02)


class Server:
    """An `asl serve` process on a free loopback port."""

    def __init__(self, *arguments: str, env: dict[str, str] | None = None) -> None:
        command = [PYTHON, "-m", "asl", "serve", "--port", "0", *arguments]
        environment = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env or {})}
        self.process = subprocess.Popen(
            command, cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=environment
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        line = wait_until(lambda: next((x for x in self.lines if x.startswith("listening on ")), None), 30)
        self.url = line.split()[-1]
        wait_until(self.answers, 30)  # readiness by asking

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def answers(self) -> bool:
        try:
            return post(self.url, "ListStateMachines", {})[0] == 200
        except OSError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        status = self.process.wait(timeout=30)
        self.reader.join(timeout=30)
        assert self.process.stderr is not None
        self.process.stderr.close()
        return status


def post(url: str, action: str, body: Any, content_type: str = "application/x-amz-json-1.0") -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": content_type, "X-Amz-Target": f"AWSStepFunctions.{action}"}
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _check(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
    body = json.loads(response_dict["body"] or b"{}")
    if response_dict["status_code"] == 200:
        PROBLEMS.extend(check_response(operation_model.name, body))
    elif not isinstance(body.get("__type"), str):
        PROBLEMS.append(f"{operation_model.name}: an error without __type: {body}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    mocks = tmp_path_factory.mktemp("mocks") / "MockConfigFile.json"
    mocks.write_text(json.dumps(MOCKS))
    running = Server("--resources", "tests/serve_resources.py:RESOURCES", env={"SFN_MOCK_CONFIG": str(mocks)})
    yield running
    assert running.stop() == 0
    assert running.lines[-1] == "asl serve: stopped"


@pytest.fixture
def sfn(server: Server) -> Iterator[Any]:
    client = boto3.client(
        "stepfunctions",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="any",
        aws_secret_access_key="any",
        # StartSyncExecution's endpoint is `sync-HOST`, a name no loopback address has.
        config=botocore.config.Config(inject_host_prefix=False),
    )
    client.meta.events.register("before-parse.states.*", _check)
    PROBLEMS.clear()
    yield client
    assert PROBLEMS == []


def create(sfn: Any, name: str, definition: Any = PASS, **extra: Any) -> str:
    answer = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE, **extra)
    return str(answer["stateMachineArn"])


def finished(sfn: Any, arn: str) -> dict[str, Any]:
    return wait_until(lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d)  # type: ignore[no-any-return]


def code(error: pytest.ExceptionInfo[botocore.exceptions.ClientError]) -> tuple[str, str]:
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


# -- state machines -------------------------------------------------------------------------


def test_state_machines_are_created_described_listed_updated_and_deleted(sfn: Any) -> None:
    arn = create(sfn, "Crud")
    assert arn == "arn:aws:states:us-east-1:123456789012:stateMachine:Crud"
    described = sfn.describe_state_machine(stateMachineArn=arn)
    assert (described["name"], described["type"], json.loads(described["definition"])) == ("Crud", "STANDARD", PASS)
    assert arn in [m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]]
    assert create(sfn, "Crud") == arn  # the same request again answers as the first did
    with pytest.raises(sfn.exceptions.StateMachineAlreadyExists):
        create(sfn, "Crud", WAIT)
    updated = sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(WAIT))
    assert updated["revisionId"] != described["revisionId"]
    assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == WAIT
    sfn.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist) as error:
        sfn.describe_state_machine(stateMachineArn=arn)
    assert code(error) == ("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")


def test_an_invalid_definition_is_refused_with_every_problem(sfn: Any) -> None:
    broken = {"StartAt": "Missing", "States": {"A": {"Type": "Pass"}}}
    with pytest.raises(sfn.exceptions.InvalidDefinition) as error:
        create(sfn, "Broken", broken)
    assert error.value.response["Error"]["Message"].startswith("Invalid State Machine Definition: '")
    assert "/StartAt" in error.value.response["Error"]["Message"]


def test_a_definition_naming_a_file_is_not_read(sfn: Any) -> None:
    path = str(ROOT / "tests" / "serve_resources.py")
    with pytest.raises(sfn.exceptions.InvalidDefinition):
        sfn.create_state_machine(name="File", definition=path, roleArn=ROLE)
    with pytest.raises(sfn.exceptions.InvalidDefinition):
        sfn.test_state(definition=path, roleArn=ROLE)
    answer = sfn.validate_state_machine_definition(definition=path)
    assert (answer["result"], answer["diagnostics"][0]["code"]) == ("FAIL", "INVALID_JSON_DESCRIPTION")


def test_names_and_arns_are_checked_as_aws_checks_them(sfn: Any) -> None:
    with pytest.raises(sfn.exceptions.InvalidName):
        create(sfn, "has space")
    with pytest.raises(sfn.exceptions.InvalidArn) as error:
        sfn.describe_state_machine(stateMachineArn="arn:aws:states:us-east-1:123456789012:activity:A")
    assert code(error)[1] == "Invalid Arn: 'Resource type not valid in this context: activity'"
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.describe_execution(executionArn="not-an-arn")


def test_requests_are_validated_against_the_service_model(server: Server) -> None:
    status, body = post(server.url, "CreateStateMachine", {"name": "x" * 81, "definition": "{}"})
    assert status == 400
    assert body == {
        "__type": "ValidationException",
        "message": "2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member "
        "must not be null; Value '" + "x" * 81 + "' at 'name' failed to satisfy constraint: Member must have "
        "length less than or equal to 80",
    }
    status, body = post(server.url, "ListExecutions", {"stateMachineArn": "a", "statusFilter": "DONE"})
    assert (status, body["__type"]) == (400, "ValidationException")
    assert (
        "Member must satisfy enum value set: [RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE]"
        in (body["message"])
    )
    status, body = post(server.url, "StartExecution", {"stateMachineArn": 7})
    assert (status, body["__type"]) == (400, "SerializationException")


def test_validate_state_machine_definition_gives_diagnostics(sfn: Any) -> None:
    assert sfn.validate_state_machine_definition(definition=json.dumps(PASS))["result"] == "OK"
    answer = sfn.validate_state_machine_definition(definition=json.dumps({"StartAt": "A", "States": {}}))
    assert answer["result"] == "FAIL"
    assert answer["diagnostics"] and all(d["severity"] == "ERROR" for d in answer["diagnostics"])


# -- executions -----------------------------------------------------------------------------


def test_an_execution_runs_and_its_history_pages(sfn: Any) -> None:
    arn = create(
        sfn,
        "Doubler",
        {
            "StartAt": "Double",
            "States": {
                "Double": {
                    "Type": "Task",
                    "Resource": "arn:aws:lambda:us-east-1:123456789012:function:double",
                    "End": True,
                }
            },
        },
    )
    started = sfn.start_execution(stateMachineArn=arn, name="first", input='{"value": 21}', traceHeader="Root=1-a")
    assert started["executionArn"] == "arn:aws:states:us-east-1:123456789012:execution:Doubler:first"
    described = finished(sfn, started["executionArn"])
    assert (described["status"], json.loads(described["output"])) == ("SUCCEEDED", {"value": 42})
    assert described["traceHeader"] == "Root=1-a"
    events = sfn.get_execution_history(executionArn=started["executionArn"])["events"]
    assert [e["type"] for e in events] == [
        "ExecutionStarted",
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    first = sfn.get_execution_history(executionArn=started["executionArn"], maxResults=3, reverseOrder=True)
    assert [e["id"] for e in first["events"]] == [7, 6, 5]
    rest = sfn.get_execution_history(
        executionArn=started["executionArn"], maxResults=3, nextToken=first["nextToken"], reverseOrder=True
    )
    assert [e["id"] for e in rest["events"]] == [4, 3, 2]
    bare = sfn.get_execution_history(executionArn=started["executionArn"], includeExecutionData=False)["events"]
    assert "input" not in bare[0]["executionStartedEventDetails"]
    machine = sfn.describe_state_machine_for_execution(executionArn=started["executionArn"])
    assert machine["stateMachineArn"] == arn


def test_start_execution_is_idempotent_for_the_same_name_and_input(sfn: Any) -> None:
    arn = create(sfn, "Waiting", WAIT)
    first = sfn.start_execution(stateMachineArn=arn, name="once", input="{}")
    again = sfn.start_execution(stateMachineArn=arn, name="once", input="{}")
    assert (again["executionArn"], again["startDate"]) == (first["executionArn"], first["startDate"])
    with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
        sfn.start_execution(stateMachineArn=arn, name="once", input='{"other": 1}')
    stopped = sfn.stop_execution(executionArn=first["executionArn"], error="Halt", cause="by the test")
    assert "stopDate" in stopped
    described = sfn.describe_execution(executionArn=first["executionArn"])
    assert (described["status"], described["error"], described["cause"]) == ("ABORTED", "Halt", "by the test")
    with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):  # ended: the name is taken
        sfn.start_execution(stateMachineArn=arn, name="once", input="{}")


def test_bad_input_and_missing_things_are_named_as_aws_names_them(sfn: Any) -> None:
    arn = create(sfn, "Inputs")
    with pytest.raises(sfn.exceptions.InvalidExecutionInput):
        sfn.start_execution(stateMachineArn=arn, input="{not json")
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.start_execution(stateMachineArn=arn + "Gone")
    with pytest.raises(sfn.exceptions.ExecutionDoesNotExist):
        sfn.describe_execution(executionArn="arn:aws:states:us-east-1:123456789012:execution:Inputs:nope")
    with pytest.raises(sfn.exceptions.InvalidName):
        sfn.start_execution(stateMachineArn=arn, name="a/b")


def test_list_executions_filters_and_pages(sfn: Any) -> None:
    arn = create(sfn, "Listed")
    failing = create(sfn, "ListedFail", {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}})
    names = [f"run-{i}" for i in range(5)]
    for name in names:
        sfn.start_execution(stateMachineArn=arn, name=name)
    failed = sfn.start_execution(stateMachineArn=failing)["executionArn"]
    assert finished(sfn, failed)["error"] == "E"
    wait_until(lambda: all(e["status"] == "SUCCEEDED" for e in sfn.list_executions(stateMachineArn=arn)["executions"]))
    page = sfn.list_executions(stateMachineArn=arn, maxResults=2)
    seen = [e["name"] for e in page["executions"]]
    while "nextToken" in page:
        page = sfn.list_executions(stateMachineArn=arn, maxResults=2, nextToken=page["nextToken"])
        seen += [e["name"] for e in page["executions"]]
    assert sorted(seen) == names
    assert sfn.list_executions(stateMachineArn=arn, statusFilter="FAILED")["executions"] == []
    assert [e["status"] for e in sfn.list_executions(stateMachineArn=failing, statusFilter="FAILED")["executions"]] == [
        "FAILED"
    ]
    with pytest.raises(sfn.exceptions.InvalidToken):
        sfn.list_executions(stateMachineArn=arn, nextToken="garbage!")


def test_a_task_token_is_answered_with_send_task_success_and_failure(sfn: Any) -> None:
    callback = {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "notify", "Payload": {"token.$": "$$.Task.Token"}},
                "End": True,
            }
        },
    }
    arn = create(sfn, "Callback", callback)

    def token_of(execution: str) -> str:
        def submitted() -> Any:
            events = sfn.get_execution_history(executionArn=execution)["events"]
            return any(e["type"] == "TaskSubmitted" for e in events) and events

        events = wait_until(submitted)
        scheduled = next(e for e in events if e["type"] == "TaskScheduled")
        return str(json.loads(scheduled["taskScheduledEventDetails"]["parameters"])["Payload"]["token"])

    succeeding = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    token = token_of(succeeding)
    sfn.send_task_heartbeat(taskToken=token)
    sfn.send_task_success(taskToken=token, output='{"approved": true}')
    assert json.loads(finished(sfn, succeeding)["output"]) == {"approved": True}
    with pytest.raises(sfn.exceptions.TaskTimedOut):
        sfn.send_task_success(taskToken=token, output="{}")
    with pytest.raises(sfn.exceptions.InvalidToken):
        sfn.send_task_success(taskToken="never-issued", output="{}")
    with pytest.raises(sfn.exceptions.TaskDoesNotExist):  # a token of the right form, never handed out
        sfn.send_task_heartbeat(taskToken="0b7e7bd4-7d37-4b5e-9c1e-6f3b2a1d0c9e")

    failing = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    token = token_of(failing)
    with pytest.raises(sfn.exceptions.InvalidOutput):
        sfn.send_task_success(taskToken=token, output="{nope")
    sfn.send_task_failure(taskToken=token, error="Rejected", cause="by a person")
    described = finished(sfn, failing)
    assert (described["status"], described["error"], described["cause"]) == ("FAILED", "Rejected", "by a person")


def test_activity_workers_poll_and_answer(sfn: Any) -> None:
    activity = sfn.create_activity(name="Approve")["activityArn"]
    assert activity == "arn:aws:states:us-east-1:123456789012:activity:Approve"
    assert sfn.describe_activity(activityArn=activity)["name"] == "Approve"
    assert activity in [a["activityArn"] for a in sfn.list_activities()["activities"]]
    arn = create(
        sfn, "Worked", {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity, "End": True}}}
    )
    execution = sfn.start_execution(stateMachineArn=arn, input='{"n": 3}')["executionArn"]
    task = sfn.get_activity_task(activityArn=activity, workerName="worker-1")
    assert json.loads(task["input"]) == {"n": 3}
    sfn.send_task_success(taskToken=task["taskToken"], output='{"n": 4}')
    assert json.loads(finished(sfn, execution)["output"]) == {"n": 4}
    with pytest.raises(sfn.exceptions.ActivityDoesNotExist):
        sfn.get_activity_task(activityArn=activity + "Gone")
    sfn.delete_activity(activityArn=activity)
    with pytest.raises(sfn.exceptions.ActivityDoesNotExist):
        sfn.describe_activity(activityArn=activity)


def test_express_machines_run_synchronously(sfn: Any) -> None:
    arn = create(sfn, "Quick", PASS, type="EXPRESS")
    answer = sfn.start_sync_execution(stateMachineArn=arn, input="{}")
    assert (answer["status"], json.loads(answer["output"])) == ("SUCCEEDED", {"x": 1})
    assert answer["executionArn"].startswith("arn:aws:states:us-east-1:123456789012:express:Quick:")
    failing = create(
        sfn,
        "QuickFail",
        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}},
        type="EXPRESS",
    )
    answer = sfn.start_sync_execution(stateMachineArn=failing)
    assert (answer["status"], answer["error"], answer["cause"]) == ("FAILED", "E", "C")
    with pytest.raises(sfn.exceptions.StateMachineTypeNotSupported):
        sfn.start_sync_execution(stateMachineArn=create(sfn, "Slow"))
    started = sfn.start_execution(stateMachineArn=arn, name="async")["executionArn"]
    assert started.startswith("arn:aws:states:us-east-1:123456789012:express:Quick:async:")
    with pytest.raises(sfn.exceptions.StateMachineTypeNotSupported):  # Express executions are not listed
        sfn.list_executions(stateMachineArn=arn)


def test_a_mock_test_case_answers_the_tasks_as_step_functions_local_does(sfn: Any) -> None:
    arn = sfn.describe_state_machine(stateMachineArn="arn:aws:states:us-east-1:123456789012:stateMachine:Doubler")
    started = sfn.start_execution(stateMachineArn=f"{arn['stateMachineArn']}#Mocked", input='{"value": 1}')
    assert json.loads(finished(sfn, started["executionArn"])["output"]) == {"value": 1000}
    with pytest.raises(sfn.exceptions.ClientError) as error:
        sfn.start_execution(stateMachineArn=f"{arn['stateMachineArn']}#NoSuchCase")
    assert "NoSuchCase" in code(error)[1]


def test_a_resource_the_server_was_not_given_fails_the_task_and_imports_nothing(sfn: Any) -> None:
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "os.system", "End": True}}}
    arn = create(sfn, "Sneaky", definition)
    described = finished(sfn, sfn.start_execution(stateMachineArn=arn, input='{"cmd": "touch /tmp/x"}')["executionArn"])
    assert (described["status"], described["error"]) == ("FAILED", "States.TaskFailed")


def test_versions_and_aliases_route_executions(sfn: Any) -> None:
    arn = create(sfn, "Versioned", PASS, publish=True)
    versions = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in versions] == [f"{arn}:1"]
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(WAIT))
    second = sfn.publish_state_machine_version(stateMachineArn=arn, description="waits")["stateMachineVersionArn"]
    assert second == f"{arn}:2"
    alias = sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": f"{arn}:1", "weight": 100}]
    )["stateMachineAliasArn"]
    assert alias == f"{arn}:live"
    assert sfn.describe_state_machine_alias(stateMachineAliasArn=alias)["name"] == "live"
    execution = sfn.start_execution(stateMachineArn=alias)["executionArn"]
    described = finished(sfn, execution)
    assert (described["stateMachineAliasArn"], described["stateMachineVersionArn"]) == (alias, f"{arn}:1")
    assert json.loads(described["output"]) == {"x": 1}
    assert [
        a["stateMachineAliasArn"] for a in sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"]
    ] == [alias]
    with pytest.raises(sfn.exceptions.ConflictException):
        sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:1")
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
    sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:1")


def test_tags(sfn: Any) -> None:
    arn = create(sfn, "Tagged", PASS, tags=[{"key": "team", "value": "a"}])
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "test"}])
    sfn.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "env", "value": "test"}]
    with pytest.raises(sfn.exceptions.ResourceNotFound):
        sfn.list_tags_for_resource(resourceArn=arn + "Gone")


def test_test_state_runs_one_state(sfn: Any) -> None:
    state = {"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.a, 1)"}, "Next": "Done"}
    answer = sfn.test_state(definition=json.dumps(state), roleArn=ROLE, input='{"a": 1}', inspectionLevel="DEBUG")
    assert (answer["status"], json.loads(answer["output"]), answer["nextState"]) == ("SUCCEEDED", {"sum": 2}, "Done")
    assert json.loads(answer["inspectionData"]["afterParameters"]) == {"sum": 2}
    task = {
        "Type": "Task",
        "Resource": "arn:aws:lambda:us-east-1:123456789012:function:double",
        "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 3}],
        "End": True,
    }
    answer = sfn.test_state(
        definition=json.dumps(task),
        roleArn=ROLE,
        mock={"errorOutput": {"error": "Busy", "cause": "later"}},
        stateConfiguration={"retrierRetryCount": 0},
        inspectionLevel="DEBUG",  # at INFO, AWS sends no inspection data
    )
    assert (answer["status"], answer["inspectionData"]["errorDetails"]) == (
        "RETRIABLE",
        {"retryIndex": 0, "retryBackoffIntervalSeconds": 3},
    )
    answer = sfn.test_state(definition=json.dumps(task), roleArn=ROLE, input='{"value": 4}', inspectionLevel="TRACE")
    assert (answer["status"], json.loads(answer["output"])) == ("SUCCEEDED", {"value": 8})  # --resources ran


def test_map_runs_of_a_distributed_map_are_listed(sfn: Any) -> None:
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "MaxConcurrency": 2,
                "ToleratedFailureCount": 1,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "P",
                    "States": {"P": {"Type": "Pass", "End": True}},
                },
                "End": True,
            }
        },
    }
    arn = create(sfn, "Mapped", definition)
    execution = sfn.start_execution(stateMachineArn=arn, input="[1, 2, 3]")["executionArn"]
    assert finished(sfn, execution)["status"] == "SUCCEEDED"
    runs = sfn.list_map_runs(executionArn=execution)["mapRuns"]
    assert len(runs) == 1
    described = sfn.describe_map_run(mapRunArn=runs[0]["mapRunArn"])
    assert (described["status"], described["itemCounts"]["total"]) == ("SUCCEEDED", 3)
    assert (described["maxConcurrency"], described["toleratedFailureCount"]) == (2, 1)


def test_an_action_not_built_is_an_unknown_operation(sfn: Any, server: Server) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as error:
        sfn.update_map_run(mapRunArn="arn:aws:states:us-east-1:123456789012:mapRun:M/x:y", maxConcurrency=1)
    assert code(error) == ("UnknownOperationException", "asl serve does not implement the action UpdateMapRun.")
    status, body = post(server.url, "Dance", {})
    assert (status, body["__type"]) == (404, "UnknownOperationException")
    assert "Dance" in body["message"]


# -- faults ---------------------------------------------------------------------------------


def test_malformed_json_and_wrong_content_types_are_refused(server: Server) -> None:
    assert post(server.url, "ListStateMachines", b"{nope")[1]["__type"] == "SerializationException"
    assert post(server.url, "ListStateMachines", b"[1]")[1]["__type"] == "SerializationException"
    status, body = post(server.url, "ListStateMachines", {}, content_type="text/plain")
    assert (status, body["__type"]) == (404, "UnknownOperationException")


def test_an_oversize_request_is_refused(server: Server) -> None:
    try:
        status, body = post(server.url, "ListStateMachines", b'{"x": "' + b"a" * (3 * 1024 * 1024) + b'"}')
    except urllib.error.URLError as error:  # the server answered and closed before the body was all sent
        assert isinstance(error.reason, (BrokenPipeError, ConnectionResetError))
    else:
        assert (status, body["__type"]) == (413, "RequestEntityTooLarge")
    assert server.answers()


# -- the AWS CLI ----------------------------------------------------------------------------


def test_the_aws_cli_works_against_the_server(server: Server, tmp_path: Path) -> None:
    aws = Path(PYTHON).with_name("aws")
    environment = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "any",
        "AWS_SECRET_ACCESS_KEY": "any",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }

    def cli(*arguments: str) -> Any:
        done = subprocess.run(
            [str(aws), "stepfunctions", *arguments, "--endpoint-url", server.url, "--output", "json"],
            capture_output=True,
            text=True,
            env=environment,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else None

    arn = cli("create-state-machine", "--name", "FromCli", "--definition", json.dumps(PASS), "--role-arn", ROLE)[
        "stateMachineArn"
    ]
    execution = cli("start-execution", "--state-machine-arn", arn, "--input", '{"a": 1}')["executionArn"]
    wait_until(lambda: cli("describe-execution", "--execution-arn", execution)["status"] == "SUCCEEDED", 30)
    assert json.loads(cli("describe-execution", "--execution-arn", execution)["output"]) == {"x": 1}
    missing = subprocess.run(
        [
            str(aws),
            "stepfunctions",
            "describe-execution",
            "--execution-arn",
            execution + "x",
            "--endpoint-url",
            server.url,
        ],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )
    assert missing.returncode != 0
    assert "An error occurred (ExecutionDoesNotExist) when calling the DescribeExecution operation" in missing.stderr


# -- the process ----------------------------------------------------------------------------


def test_binding_beyond_loopback_warns_and_ctrl_c_stops_running_executions(tmp_path: Path) -> None:
    running = Server("--host", "0.0.0.0")
    try:
        assert any("warning: binding 0.0.0.0, not loopback" in line for line in running.lines)
        body = {"name": "W", "definition": json.dumps(WAIT), "roleArn": ROLE}
        arn = post(running.url, "CreateStateMachine", body)[1]["stateMachineArn"]
        assert post(running.url, "StartExecution", {"stateMachineArn": arn})[0] == 200  # waits ten minutes
    finally:
        started = time.monotonic()
        assert running.stop(signal.SIGINT) == 0
        assert time.monotonic() - started < 10
        assert running.lines[-1] == "asl serve: stopped"


def test_twenty_clients_start_two_hundred_executions_and_none_is_lost(server: Server) -> None:
    body = {"name": "Many", "definition": json.dumps(PASS), "roleArn": ROLE}
    arn = post(server.url, "CreateStateMachine", body)[1]["stateMachineArn"]
    failures: list[Any] = []

    def client(index: int) -> None:
        for number in range(index, 200, 20):
            status, answer = post(server.url, "StartExecution", {"stateMachineArn": arn, "name": f"n{number}"})
            if status != 200:
                failures.append(answer)

    threads = [threading.Thread(target=client, args=(index,)) for index in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []

    def listed() -> list[Any]:
        status, page = post(server.url, "ListExecutions", {"stateMachineArn": arn, "maxResults": 1000})
        return [e for e in page["executions"] if e["status"] == "SUCCEEDED"]

    assert sorted(e["name"] for e in wait_until(lambda: len(listed()) == 200 and listed())) == sorted(
        f"n{number}" for number in range(200)
    )


def test_machines_from_a_folder_and_step_functions_locals_wait_time_scale(tmp_path: Path) -> None:
    (tmp_path / "waiter.asl.json").write_text(json.dumps(WAIT))
    running = Server("--machines", str(tmp_path), env={"WAIT_TIME_SCALE": "0"})
    try:
        arn = "arn:aws:states:us-east-1:123456789012:stateMachine:waiter"
        status, body = post(running.url, "StartExecution", {"stateMachineArn": arn})
        assert status == 200
        wait_until(
            lambda: (
                post(running.url, "DescribeExecution", {"executionArn": body["executionArn"]})[1]["status"]
                == "SUCCEEDED"
            )
        )  # a 600-second Wait, scaled to nothing
    finally:
        assert running.stop() == 0


def test_a_bad_wait_time_scale_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from asl.cli import main

    monkeypatch.setenv("WAIT_TIME_SCALE", "fast")
    err = io.StringIO()
    assert main(["serve", "--port", "0"], stdout=io.StringIO(), stderr=err) == 2
    assert err.getvalue() == "asl: WAIT_TIME_SCALE=fast: not a number of 0 or more\n"


def test_what_keeps_the_server_from_starting_is_one_line_and_a_status(tmp_path: Path) -> None:
    import io
    import socket

    from asl.cli import main

    def serve(*arguments: str) -> tuple[int, str]:
        err = io.StringIO()
        return main(["serve", *arguments], stdout=io.StringIO(), stderr=err), err.getvalue()

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status, message = serve("--port", str(port))
        assert status == 3
        assert message.startswith(f"asl: cannot listen on 127.0.0.1:{port}: ")
    (tmp_path / "broken.asl.json").write_text('{"StartAt": "Nowhere", "States": {}}')
    status, message = serve("--port", "0", "--machines", str(tmp_path))
    assert status == 2
    assert message.startswith(f"asl: --machines {tmp_path / 'broken.asl.json'}: InvalidDefinition: ")
    (tmp_path / "mocks.json").write_text('{"StateMachines": 7}')
    status, message = serve("--port", "0", "--mock-config", str(tmp_path / "mocks.json"))
    assert status == 3
    assert message.startswith(f"asl: {tmp_path / 'mocks.json'}#")
    status, message = serve("--port", "0", "--resources", "no_such_module:RESOURCES")
    assert (status, message.startswith("asl: --resources no_such_module:RESOURCES: cannot import")) == (4, True)
