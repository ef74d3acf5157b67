"""The AWS integrations' benchmark, against moto's server on loopback (each measure in a fresh process).

    python tests/benchmarks/aws_bench.py                 # both measures
    python tests/benchmarks/aws_bench.py --one sqs       # 200 aws-sdk:sqs:sendMessage Tasks
    python tests/benchmarks/aws_bench.py --one csv       # a distributed Map over a 100,000-line CSV in S3

`sqs`: one execution of 200 Task states, each `aws-sdk:sqs:sendMessage`, run `--runs` times after
a warm-up. boto3's own time is measured in the same calls (the client's `send_message`, timed
around each call); asl's time per call is (total - boto3) / 200: the interpreter, parameter and
result shaping, and the worker-thread hand-off. Target: under 0.2 ms.

`csv`: one execution whose distributed Map reads a 100,000-line CSV object through the ItemReader
(a Pass state per item); the figure is the process's peak RSS. Target: under 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
from typing import Any

CALLS = 200
LINES = 100_000


class _Server:
    """moto's server in a process of its own, so that its threads do not share asl's interpreter lock."""

    def __init__(self) -> None:
        import urllib.request

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:  # readiness by asking, within a bounded wait
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("moto's server did not start") from None
                time.sleep(0.05)
        os.environ.update(
            AWS_ENDPOINT_URL=self.url,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_EC2_METADATA_DISABLED="true",
        )

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def sqs(runs: int) -> dict[str, Any]:
    import boto3

    import asl
    from asl import services

    server = _Server()
    try:
        url = boto3.client("sqs").create_queue(QueueName="bench")["QueueUrl"]
        states: dict[str, Any] = {}
        for index in range(CALLS):
            states[f"Send{index}"] = {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sqs:sendMessage",
                "Parameters": {"QueueUrl": url, "MessageBody.$": "States.Format('message {}', $.n)"},
                "ResultPath": None,
                **({"Next": f"Send{index + 1}"} if index < CALLS - 1 else {"End": True}),
            }
        machine = asl.parse({"StartAt": "Send0", "States": states})
        session = boto3.Session()
        client = services.connect(session).client("sqs")  # the client every run shares
        spent: list[float] = []
        send = client.send_message

        def timed(**params: Any) -> Any:
            started = time.perf_counter()
            try:
                return send(**params)
            finally:
                spent.append(time.perf_counter() - started)

        client.send_message = timed
        asl.run(machine, {"n": 1}, aws=session).raise_for_status()  # warm-up
        totals, boto = [], []
        for _ in range(runs):
            spent.clear()
            started = time.perf_counter()
            asl.run(machine, {"n": 1}, aws=session).raise_for_status()
            totals.append(time.perf_counter() - started)
            boto.append(sum(spent))
        own = [(total - inner) / CALLS * 1000 for total, inner in zip(totals, boto, strict=True)]
        return {
            "workload": f"{CALLS} aws-sdk:sqs:sendMessage Tasks",
            "total_ms_median": round(statistics.median(totals) * 1000, 1),
            "boto3_ms_median": round(statistics.median(boto) * 1000, 1),
            "asl_ms_per_call_median": round(statistics.median(own), 3),
            "target_ms_per_call": 0.2,
        }
    finally:
        server.stop()


def csv_map() -> dict[str, Any]:
    import boto3

    import asl

    server = _Server()
    try:
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="bench")
        body = "id,name,amount\n" + "".join(f"{n},item-{n},{n % 97}\n" for n in range(LINES))
        s3.put_object(Bucket="bench", Key="big.csv", Body=body.encode())
        del body
        definition = {
            "StartAt": "Each",
            "States": {
                "Each": {
                    "Type": "Map",
                    "ItemReader": {
                        "Resource": "arn:aws:states:::s3:getObject",
                        "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                        "Parameters": {"Bucket": "bench", "Key": "big.csv"},
                    },
                    "ItemProcessor": {
                        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                        "StartAt": "Keep",
                        "States": {"Keep": {"Type": "Pass", "End": True}},
                    },
                    "ResultSelector": {"count.$": "States.ArrayLength($)"},
                    "End": True,
                }
            },
        }
        started = time.perf_counter()
        execution = asl.run(asl.parse(definition), {}, aws=True, clock=asl.VirtualClock())
        seconds = time.perf_counter() - started
        execution.raise_for_status()
        assert execution.output == {"count": LINES}, execution.output
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
        return {
            "workload": f"distributed Map over a {LINES:,}-line CSV in S3",
            "seconds": round(seconds, 2),
            "peak_rss_mb": round(peak, 1),
            "target_peak_rss_mb": 300,
        }
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", choices=["sqs", "csv"], help="run one measure in this process")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    if args.one == "sqs":
        print(json.dumps(sqs(args.runs)))
        return 0
    if args.one == "csv":
        print(json.dumps(csv_map()))
        return 0
    for name in ("sqs", "csv"):
        done = subprocess.run(
            [sys.executable, __file__, "--one", name, "--runs", str(args.runs)], capture_output=True, text=True
        )
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            return done.returncode
        print(done.stdout.strip().splitlines()[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
