"""The console's parts without a browser: each state's progress read from real histories, the
SVG layout, and the console's HTTP routes on a real `asl serve` process."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

import asl
from asl.server import layout
from asl.server.progress import Progress
from test_serve import ROLE, Server, wait_until

COUNT = {"calls": 0}


def flaky(_event: Any) -> Any:
    COUNT["calls"] += 1
    if COUNT["calls"] < 3:
        raise asl.TaskFailed("Busy", "try again")
    return {"ok": True}


def bad(_event: Any) -> Any:
    raise asl.TaskFailed("Bad", "very bad")


BRANCHES = {
    "StartAt": "P",
    "States": {
        "P": {
            "Type": "Parallel",
            "Branches": [
                {
                    "StartAt": "F",
                    "States": {
                        "F": {
                            "Type": "Task",
                            "Resource": "flaky",
                            "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 1}],
                            "End": True,
                        }
                    },
                },
                {
                    "StartAt": "B",
                    "States": {
                        "B": {
                            "Type": "Task",
                            "Resource": "bad",
                            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}],
                            "End": True,
                        },
                        "C": {"Type": "Pass", "End": True},
                    },
                },
            ],
            "Next": "X",
        },
        "X": {"Type": "Task", "Resource": "bad", "Catch": [{"ErrorEquals": ["Other"], "Next": "Handled"}], "End": True},
        "Handled": {"Type": "Succeed"},
    },
}


def progress_of(definition: dict[str, Any]) -> Progress:
    COUNT["calls"] = 0
    execution = asl.run(asl.parse(definition), {}, resources={"flaky": flaky, "bad": bad}, clock=asl.VirtualClock())
    progress = Progress()
    progress.add_all(execution.history)
    return progress


def test_each_state_gets_its_status_retries_and_error() -> None:
    progress = progress_of(BRANCHES)
    texts = {name: state.text for name, state in progress.states.items()}
    assert texts == {
        "P": "Succeeded",
        "F": "Succeeded · retried 2 times",
        "B": "Caught",
        "C": "Succeeded",
        "X": "Failed",
    }
    assert (progress.states["B"].error, progress.states["B"].cause) == ("Bad", "very bad")
    assert progress.states["F"].output == {"ok": True}
    assert progress.status == "FAILED" and progress.failing == "X"


def test_a_branch_that_fails_its_parallel_is_where_the_execution_opens() -> None:
    definition = json.loads(json.dumps(BRANCHES))
    branch = definition["States"]["P"]["Branches"][1]["States"]
    branch["B"].pop("Catch")
    branch.pop("C")
    progress = progress_of(definition)
    assert progress.states["B"].status == "failed"
    assert progress.states["P"].status == "failed"
    assert progress.failing == "B"


def test_the_layout_draws_every_state_nested_with_its_status_in_words() -> None:
    picture = layout.svg(BRANCHES, progress_of(BRANCHES))
    for name in ("P", "F", "B", "C", "X", "Handled"):
        assert f'data-state="{name}"' in picture
    assert "Succeeded · retried 2 times" in picture and "Not entered" in picture
    assert picture.count('class="scope"') == 2  # the Parallel's two branches, drawn inside it
    assert "<script" not in picture


# -- the routes, on a real server --------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    server = Server("--resources", "tests.serve_resources:RESOURCES")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def sfn(server: Server) -> Any:
    return boto3.client(
        "stepfunctions",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )


def get(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def act(server: Server, action: str, body: Any, *, header: bool = True) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", **({"X-Asl-Console": "1"} if header else {})}
    request = urllib.request.Request(f"{server.url}/console/api/{action}", json.dumps(body).encode(), headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_pages_allow_no_other_origin_and_ship_their_assets(server: Server) -> None:
    status, headers, text = get(server.url + "/")
    assert status == 200 and "default-src 'none'" in headers["content-security-policy"]
    assert "http://" not in text and "https://" not in text  # nothing from a CDN
    for name in ("console.js", "console.css"):
        assert get(f"{server.url}/console/static/{name}")[0] == 200
    assert get(f"{server.url}/console/static/..%2Fconsole.py")[0] == 404


def test_the_api_still_answers_post_at_the_root(server: Server, sfn: Any) -> None:
    assert "stateMachines" in sfn.list_state_machines()


def test_actions_need_the_console_header_and_use_the_api_checks(server: Server, sfn: Any) -> None:
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}
    arn = sfn.create_state_machine(name="Acted", definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    assert act(server, "start", {"stateMachineArn": arn}, header=False)[0] == 403
    status, answer = act(server, "start", {"stateMachineArn": arn, "input": "{nope"})
    assert (status, answer["error"]) == (400, "InvalidExecutionInput")
    status, answer = act(server, "start", {"stateMachineArn": arn, "input": '{"a": 1}', "name": "from-console"})
    assert status == 200
    execution = answer["executionArn"]
    wait_until(lambda: sfn.describe_execution(executionArn=execution)["status"] == "SUCCEEDED")
    status, answer = act(server, "redrive", {"executionArn": execution})
    assert (status, answer["error"]) == (400, "ExecutionNotRedrivable")


def test_the_stream_sends_the_end_of_a_finished_execution(server: Server, sfn: Any) -> None:
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}
    arn = sfn.create_state_machine(name="Streamed", definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    wait_until(lambda: sfn.describe_execution(executionArn=execution)["status"] == "SUCCEEDED")
    quoted = urllib.parse.quote(execution, safe="")
    status, headers, text = get(f"{server.url}/console/api/stream?arn={quoted}&after=1")
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    change, end = text.strip().split("\n\n")
    assert change.startswith("event: change") and '"A"' in change
    assert end.startswith("event: end") and '"SUCCEEDED"' in end
    assert get(f"{server.url}/console/execution?arn=nope")[0] == 404
