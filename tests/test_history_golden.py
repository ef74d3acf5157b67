"""Golden histories: every event of one small execution per state kind, compared in full.

Expected events follow AWS's GetExecutionHistory shapes (API reference: HistoryEvent and its
`...EventDetails`) and the sequences and previousEventId rules of shared/spec/ASL-CHECKLIST.md §13,
which were read from histories AWS recorded. Timestamps are left out; everything else is compared.
Where the library differs from AWS the test is an expected failure whose reason says how.
"""

from __future__ import annotations

import re
from typing import Any

import asl

ACCOUNT = "123456789012"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:work"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/StepFunctionsRole"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
CLEAN = {"truncated": False}


def history(definition: dict[str, Any], value: Any, **resources: Any) -> list[dict[str, Any]]:
    machine = asl.parse(definition)
    execution = asl.run(
        machine, value, resources={FUNCTION: resources["work"]} if resources else None,
        clock=asl.VirtualClock(0), seed=1, name="golden",
    )  # fmt: skip
    events = [event.to_dict() for event in execution.history]
    for event in events:
        assert isinstance(event.pop("timestamp"), str)
    return events


def event(id: int, previous: int, kind: str, details: dict[str, Any] | None = None, key: str = "") -> dict[str, Any]:  # noqa: A002
    result: dict[str, Any] = {"id": id, "previousEventId": previous, "type": kind}
    if details is not None:
        result[key or kind[0].lower() + kind[1:] + "EventDetails"] = details
    return result


def started(text: str) -> dict[str, Any]:
    return event(1, 0, "ExecutionStarted", {"input": text, "inputDetails": CLEAN, "roleArn": ROLE})


def succeeded(id: int, previous: int, text: str) -> dict[str, Any]:  # noqa: A002
    return event(id, previous, "ExecutionSucceeded", {"output": text, "outputDetails": CLEAN})


def entered(id: int, previous: int, kind: str, name: str, text: str) -> dict[str, Any]:  # noqa: A002
    details = {"name": name, "input": text, "inputDetails": CLEAN}
    return event(id, previous, f"{kind}StateEntered", details, "stateEnteredEventDetails")


def exited(id: int, previous: int, kind: str, name: str, text: str) -> dict[str, Any]:  # noqa: A002
    details = {"name": name, "output": text, "outputDetails": CLEAN}
    return event(id, previous, f"{kind}StateExited", details, "stateExitedEventDetails")


def one(state: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": "S", "States": {"S": state}}


def test_pass() -> None:
    events = history(one({"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.r", "End": True}), {"a": 1})
    assert events == [
        started('{"a":1}'),
        entered(2, 0, "Pass", "S", '{"a":1}'),
        exited(3, 2, "Pass", "S", '{"a":1,"r":{"x":1}}'),
        succeeded(4, 3, '{"a":1,"r":{"x":1}}'),
    ]


def test_task_with_a_lambda_function_arn() -> None:
    events = history(one({"Type": "Task", "Resource": FUNCTION, "End": True}), {"a": 1}, work=lambda e: {"ok": e["a"]})
    assert events == [
        started('{"a":1}'),
        entered(2, 0, "Task", "S", '{"a":1}'),
        event(3, 2, "LambdaFunctionScheduled", {"resource": FUNCTION, "input": '{"a":1}', "inputDetails": CLEAN}),
        event(4, 3, "LambdaFunctionStarted"),
        event(5, 4, "LambdaFunctionSucceeded", {"output": '{"ok":1}', "outputDetails": CLEAN}),
        exited(6, 5, "Task", "S", '{"ok":1}'),
        succeeded(7, 6, '{"ok":1}'),
    ]


def test_task_with_lambda_invoke() -> None:
    state = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": FUNCTION, "Payload.$": "$"},
        "OutputPath": "$.Payload",
        "End": True,
    }
    events = history(one(state), {"a": 1}, work=lambda e: {"ok": e["a"]})
    # The request id is random on AWS; it must be a UUID and the same one throughout the response.
    request = re.search(r'"RequestId":"([^"]+)"', events[4]["taskSucceededEventDetails"]["output"])
    assert request is not None and UUID.match(request.group(1))
    rid = request.group(1)
    date = "Thu, 01 Jan 2026 00:00:00 GMT"
    trace = "Root=1-00000000-000000000000000000000000;Sampled=0"
    response = (
        '{"ExecutedVersion":"$LATEST","Payload":{"ok":1},"SdkHttpMetadata":{"AllHttpHeaders":'
        '{"X-Amz-Executed-Version":["$LATEST"],"x-amzn-Remapped-Content-Length":["0"],'
        f'"Connection":["keep-alive"],"x-amzn-RequestId":["{rid}"],"Content-Length":["9"],'
        f'"Date":["{date}"],"X-Amzn-Trace-Id":["{trace}"],"Content-Type":["application/json"]}},'
        '"HttpHeaders":{"Connection":"keep-alive","Content-Length":"9","Content-Type":"application/json",'
        f'"Date":"{date}","X-Amz-Executed-Version":"$LATEST","x-amzn-Remapped-Content-Length":"0",'
        f'"x-amzn-RequestId":"{rid}","X-Amzn-Trace-Id":"{trace}"}},"HttpStatusCode":200}},'
        f'"SdkResponseMetadata":{{"RequestId":"{rid}"}},"StatusCode":200}}'
    )
    service = {"resourceType": "lambda", "resource": "invoke"}
    assert events == [
        started('{"a":1}'),
        entered(2, 0, "Task", "S", '{"a":1}'),
        event(
            3,
            2,
            "TaskScheduled",
            {
                **service,
                "region": "us-east-1",
                "parameters": f'{{"FunctionName":"{FUNCTION}","Payload":{{"a":1}}}}',
            },
        ),
        event(4, 3, "TaskStarted", service),
        event(5, 4, "TaskSucceeded", {**service, "output": response, "outputDetails": CLEAN}),
        exited(6, 5, "Task", "S", '{"ok":1}'),
        succeeded(7, 6, '{"ok":1}'),
    ]


def test_choice_and_succeed() -> None:
    definition = {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.x", "NumericGreaterThan": 5, "Next": "Big"}],
                "Default": "Small",
            },
            "Big": {"Type": "Succeed"},
            "Small": {"Type": "Succeed"},
        },
    }
    assert history(definition, {"x": 6}) == [
        started('{"x":6}'),
        entered(2, 0, "Choice", "C", '{"x":6}'),
        exited(3, 2, "Choice", "C", '{"x":6}'),
        entered(4, 3, "Succeed", "Big", '{"x":6}'),
        exited(5, 4, "Succeed", "Big", '{"x":6}'),
        succeeded(6, 5, '{"x":6}'),
    ]


def test_wait() -> None:
    assert history(one({"Type": "Wait", "Seconds": 86400, "End": True}), [1]) == [
        started("[1]"),
        entered(2, 0, "Wait", "S", "[1]"),
        exited(3, 2, "Wait", "S", "[1]"),
        succeeded(4, 3, "[1]"),
    ]


def test_fail_has_no_exited_event() -> None:
    assert history(one({"Type": "Fail", "Error": "Oops", "Cause": "on purpose"}), "x") == [
        started('"x"'),
        entered(2, 0, "Fail", "S", '"x"'),
        event(3, 2, "ExecutionFailed", {"error": "Oops", "cause": "on purpose"}),
    ]


def test_parallel() -> None:
    branch = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": 1, "End": True}}}
    assert history(one({"Type": "Parallel", "Branches": [branch], "End": True}), {}) == [
        started("{}"),
        entered(2, 0, "Parallel", "S", "{}"),
        event(3, 2, "ParallelStateStarted"),
        entered(4, 3, "Pass", "A", "{}"),
        exited(5, 4, "Pass", "A", "1"),
        event(6, 5, "ParallelStateSucceeded"),
        exited(7, 5, "Parallel", "S", "[1]"),  # AWS: the last branch event, not ParallelStateSucceeded
        succeeded(8, 7, "[1]"),
    ]


def test_map_inline() -> None:
    processor = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    state = {"Type": "Map", "MaxConcurrency": 1, "ItemProcessor": processor, "End": True}
    assert history(one(state), [1, 2]) == [
        started("[1,2]"),
        entered(2, 0, "Map", "S", "[1,2]"),
        event(3, 2, "MapStateStarted", {"length": 2}),
        event(4, 3, "MapIterationStarted", {"name": "S", "index": 0}),
        entered(5, 4, "Pass", "P", "1"),
        exited(6, 5, "Pass", "P", "1"),
        event(7, 6, "MapIterationSucceeded", {"name": "S", "index": 0}),
        event(8, 6, "MapIterationStarted", {"name": "S", "index": 1}),
        entered(9, 8, "Pass", "P", "2"),
        exited(10, 9, "Pass", "P", "2"),
        event(11, 10, "MapIterationSucceeded", {"name": "S", "index": 1}),
        event(12, 11, "MapStateSucceeded"),
        exited(13, 11, "Map", "S", "[1,2]"),
        succeeded(14, 13, "[1,2]"),
    ]


def test_map_distributed() -> None:
    processor = {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "End": True}},
    }
    events = history(one({"Type": "Map", "ItemProcessor": processor, "End": True}), [1, 2])
    arn = str(events[3].get("mapRunStartedEventDetails", {}).get("mapRunArn", ""))
    prefix = f"arn:aws:states:us-east-1:{ACCOUNT}:mapRun:StateMachine/S:"
    assert arn.startswith(prefix) and UUID.match(arn.removeprefix(prefix))
    assert events == [
        started("[1,2]"),
        entered(2, 0, "Map", "S", "[1,2]"),
        event(3, 2, "MapStateStarted", {"length": 2}),
        event(4, 3, "MapRunStarted", {"mapRunArn": arn}),
        event(5, 4, "MapRunSucceeded"),
        event(6, 5, "MapStateSucceeded"),
        exited(7, 5, "Map", "S", "[1,2]"),
        succeeded(8, 7, "[1,2]"),
    ]


def test_retry_then_catch() -> None:
    def boom(_event: Any) -> Any:
        raise asl.TaskFailed("Boom", "bad")

    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": FUNCTION,
                "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 1, "IntervalSeconds": 1}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "F"}],
                "End": True,
            },
            "F": {"Type": "Fail", "Error": "X", "Cause": "y"},
        },
    }
    scheduled = {"resource": FUNCTION, "input": '{"a":1}', "inputDetails": CLEAN}
    failed = {"error": "Boom", "cause": "bad"}
    caught = '{"a":1,"err":{"Error":"Boom","Cause":"bad"}}'
    assert history(definition, {"a": 1}, work=boom) == [
        started('{"a":1}'),
        entered(2, 0, "Task", "T", '{"a":1}'),
        event(3, 2, "LambdaFunctionScheduled", scheduled),
        event(4, 3, "LambdaFunctionStarted"),
        event(5, 4, "LambdaFunctionFailed", failed),
        event(6, 5, "LambdaFunctionScheduled", scheduled),  # the retry: no second TaskStateEntered
        event(7, 6, "LambdaFunctionStarted"),
        event(8, 7, "LambdaFunctionFailed", failed),
        exited(9, 8, "Task", "T", caught),  # caught: the state still exits, with the catcher's output
        entered(10, 9, "Fail", "F", caught),
        event(11, 10, "ExecutionFailed", {"error": "X", "cause": "y"}),
    ]
