"""`asl serve` under bad clients: a body that never finishes, and the server still answering
others meanwhile. The app runs on uvicorn in a thread, with a short body deadline."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
import uvicorn

from asl.server import Service, create_app

ROLE = "arn:aws:iam::123456789012:role/StepFunctionsRole"


@contextlib.contextmanager
def running(app: Any) -> Iterator[str]:
    """`app` on uvicorn in a thread, on a free loopback port, until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:  # readiness, bounded
        assert time.monotonic() < deadline and thread.is_alive()
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        assert not thread.is_alive()


@pytest.fixture
def url() -> Iterator[str]:
    with running(create_app(Service(), max_body=4096, body_seconds=0.5)) as address:
        yield address


def list_machines(url: str) -> Any:
    request = urllib.request.Request(
        url,
        data=b"{}",
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.ListStateMachines"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_a_client_that_never_finishes_its_body_is_cut_off_and_others_are_answered(url: str) -> None:
    port = int(url.rsplit(":", 1)[1].strip("/"))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as slow:
        slow.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n"
            b"X-Amz-Target: AWSStepFunctions.ListStateMachines\r\nContent-Length: 100\r\n\r\n{"
        )
        started = time.monotonic()
        assert list_machines(url) == {"stateMachines": []}  # meanwhile, others are answered at once
        assert time.monotonic() - started < 0.5
        answer = b""
        while chunk := slow.recv(65536):  # until the server closes the connection
            answer += chunk
        assert time.monotonic() - started < 5
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408")
        assert json.loads(body)["__type"] == "RequestTimeout"


def test_a_body_over_the_limit_without_a_length_is_refused(url: str) -> None:
    port = int(url.rsplit(":", 1)[1].strip("/"))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n"
            b"X-Amz-Target: AWSStepFunctions.ListStateMachines\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"a" * 3000
        for _ in range(3):
            client.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        answer = client.recv(65536)
        assert answer.startswith(b"HTTP/1.1 413")
    assert list_machines(url) == {"stateMachines": []}


@pytest.mark.anyio
async def test_an_activity_poll_answers_empty_when_nothing_comes_and_at_once_when_a_task_does() -> None:
    service = Service(poll_seconds=0.2)
    definition = {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "", "End": True}}}
    async with service.running_in():
        arn = (await service.create_activity({"name": "Idle"}))["activityArn"]
        with anyio.fail_after(5):
            assert await service.get_activity_task({"activityArn": arn}) == {}
        definition["States"]["Work"]["Resource"] = arn  # type: ignore[index]
        body = {"name": "Worked", "definition": json.dumps(definition), "roleArn": ROLE}
        machine = (await service.create_state_machine(body))["stateMachineArn"]
        service.poll_seconds = 30
        async with anyio.create_task_group() as tg:
            tasks: list[Any] = []

            async def poll() -> None:
                tasks.append(await service.get_activity_task({"activityArn": arn}))

            tg.start_soon(poll)
            await anyio.sleep(0.05)  # the worker is waiting before the task exists
            execution = await service.start_execution({"stateMachineArn": machine, "input": '{"n": 1}'})
            with anyio.fail_after(5):
                while not tasks:
                    await anyio.sleep(0.01)
        assert json.loads(tasks[0]["input"]) == {"n": 1}
        await service.send_task_failure({"taskToken": tasks[0]["taskToken"], "error": "Nope"})
        with anyio.fail_after(5):
            await service.running[execution["executionArn"]].wait()
        described = await service.describe_execution({"executionArn": execution["executionArn"]})
        assert (described["status"], described["error"]) == ("FAILED", "Nope")


@pytest.mark.anyio
async def test_an_activity_worker_that_stops_sending_heartbeats_times_the_task_out() -> None:
    service = Service(poll_seconds=5, wait_time_scale=0.1)  # HeartbeatSeconds 2: 0.2 s here
    async with service.running_in():
        arn = (await service.create_activity({"name": "Beating"}))["activityArn"]
        task = {"Type": "Task", "Resource": arn, "HeartbeatSeconds": 2, "End": True}
        definition = json.dumps({"StartAt": "Work", "States": {"Work": task}})
        body = {"name": "Beats", "definition": definition, "roleArn": ROLE}
        machine = (await service.create_state_machine(body))["stateMachineArn"]
        execution = (await service.start_execution({"stateMachineArn": machine}))["executionArn"]
        with anyio.fail_after(5):
            token = (await service.get_activity_task({"activityArn": arn}))["taskToken"]
            for _ in range(4):  # beats keep it alive past its heartbeat interval
                await anyio.sleep(0.1)
                await service.send_task_heartbeat({"taskToken": token})
            await service.running[execution].wait()
        described = await service.describe_execution({"executionArn": execution})
        assert (described["status"], described["error"]) == ("FAILED", "States.Timeout")
        assert described["stopDate"] - described["startDate"] >= 0.4
        events = (await service.get_execution_history({"executionArn": execution}))["events"]
        assert "TaskTimedOut" in [event["type"] for event in events]


def test_routes_given_to_the_app_come_before_the_api() -> None:
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def page(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"{len(request.app.state.service.registry.machines())} machines")

    with running(create_app(Service(), routes=[Route("/", page, methods=["GET"])])) as url:
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.read() == b"0 machines"
        assert list_machines(url) == {"stateMachines": []}  # POST / is still the API
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(url + "elsewhere", timeout=10)
        assert (error.value.code, json.loads(error.value.read())["__type"]) == (404, "UnknownOperationException")
