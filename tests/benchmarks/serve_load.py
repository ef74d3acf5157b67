"""Load on `asl serve`: 1,000 executions started by 20 boto3 client threads at once.

Starts a server process on a free loopback port, creates a short state machine (three Pass
states and a Choice), starts the executions, waits until every one has ended, and prints
p50 / p99 StartExecution latency, executions completed per second end to end, and whether
any was lost or failed. Exit status 1 when one was.

    PYTHONPATH=src python tests/benchmarks/serve_load.py [--executions 1000] [--threads 20] [--client raw]

`--client boto3` (default) measures what a boto3 user sees; the 20 client threads share one
Python process (and its GIL) with each other, and the machine with the server, so much of that
latency is the clients' own. `--client raw` sends the same requests over kept-alive
`http.client` connections, which cost the client little: its figures are closer to the server's.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import botocore.config

ROOT = Path(__file__).resolve().parents[2]
MACHINE = {
    "StartAt": "Receive",
    "States": {
        "Receive": {"Type": "Pass", "Parameters": {"order.$": "$.order", "ok": True}, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "Price"}]},
        "Price": {"Type": "Pass", "Result": 10, "ResultPath": "$.price", "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--client", choices=("boto3", "raw"), default="boto3")
    arguments = parser.parse_args()

    environment = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    process = subprocess.Popen(
        [sys.executable, "-m", "asl", "serve", "--port", "0"],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        if not line.startswith("listening on "):
            print(f"the server did not start: {line}{process.stderr.read()}", file=sys.stderr)
            return 1
        url = line.split()[-1]
        return measure(url, arguments.executions, arguments.threads, arguments.client)
    finally:
        process.terminate()
        process.wait(timeout=30)


def client(url: str) -> Any:
    config = botocore.config.Config(max_pool_connections=4, retries={"max_attempts": 1})
    return boto3.session.Session().client(
        "stepfunctions",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="any",
        aws_secret_access_key="any",
        config=config,
    )


class Raw:
    """StartExecution over one kept-alive HTTP connection, without the SDK."""

    def __init__(self, url: str) -> None:
        host, port = url.split("//")[1].strip("/").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=30)

    def start_execution(self, **body: Any) -> Any:
        headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.StartExecution"}
        self.connection.request("POST", "/", json.dumps(body).encode(), headers)
        response = self.connection.getresponse()
        answer = json.loads(response.read())
        if response.status != 200:
            raise RuntimeError(f"{response.status}: {answer}")
        return answer

    def list_state_machines(self) -> Any:
        headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.ListStateMachines"}
        self.connection.request("POST", "/", b"{}", headers)
        return json.loads(self.connection.getresponse().read())


def measure(url: str, executions: int, threads: int, kind: str = "boto3") -> int:
    admin = client(url)
    arn = admin.create_state_machine(
        name="Load", definition=json.dumps(MACHINE), roleArn="arn:aws:iam::123456789012:role/R"
    )["stateMachineArn"]
    clients = [client(url) if kind == "boto3" else Raw(url) for _ in range(threads)]
    for each in clients:  # connections open and warm before the clock starts
        each.list_state_machines()
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    gate = threading.Barrier(threads)

    def work(index: int) -> None:
        mine = clients[index]
        gate.wait()
        for number in range(index, executions, threads):
            started = time.perf_counter()
            try:
                mine.start_execution(stateMachineArn=arn, name=f"e{number}", input=json.dumps({"order": number}))
            except Exception as error:  # counted and reported: the benchmark must see every failure
                with lock:
                    errors.append(f"e{number}: {error}")
                continue
            with lock:
                latencies.append(time.perf_counter() - started)

    began = time.time()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, range(threads)))
    started_all = time.time()

    def listed() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = admin.list_executions(stateMachineArn=arn, maxResults=1000)
        items += page["executions"]
        while "nextToken" in page:
            page = admin.list_executions(stateMachineArn=arn, maxResults=1000, nextToken=page["nextToken"])
            items += page["executions"]
        return items

    deadline = time.monotonic() + 120
    while True:
        items = listed()
        if all(item["status"] != "RUNNING" for item in items) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    ended = max((item["stopDate"].timestamp() for item in items if "stopDate" in item), default=time.time())
    succeeded = sum(item["status"] == "SUCCEEDED" for item in items)
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    print(f"executions started: {len(latencies)} of {executions} by {threads} {kind} threads; errors: {len(errors)}")
    print(f"executions listed: {len(items)}; succeeded: {succeeded}; lost: {executions - len(items)}")
    print(f"StartExecution latency: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print(f"all started in {started_all - began:.2f} s: {len(latencies) / (started_all - began):.0f} starts/s")
    print(f"completed end to end: {succeeded / (ended - began):.0f} executions/s ({ended - began:.2f} s)")
    for error in errors[:5]:
        print(f"  {error}")
    return 0 if not errors and succeeded == executions else 1


if __name__ == "__main__":
    raise SystemExit(main())
