"""The server's load benchmark (serve_load.py) with console pages open: N server-sent event
streams, as N execution pages hold, following live executions while the load runs.

    PYTHONPATH=src python tests/benchmarks/console_followers.py [--followers 20] [--client raw]

Each followed execution loops forever (a Pass, a 1 s Wait scaled to 0.1 s, a Choice back), so its page gets
a change every 0.1 s; compare the printed figures with `--followers 0`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve_load import ROOT, client, measure  # noqa: E402 - the benchmark beside this one

LOOP = {
    "StartAt": "Tick",
    "States": {
        "Tick": {"Type": "Pass", "Next": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Again"},
        "Again": {
            "Type": "Choice",
            "Choices": [{"Variable": "$", "IsPresent": True, "Next": "Tick"}],
            "Default": "Done",
        },
        "Done": {"Type": "Succeed"},
    },
}


def follow(url: str, arn: str, received: list[int], stop: threading.Event) -> None:
    """What one open execution page does: read its event stream."""
    host, port = url.split("//")[1].strip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    connection.request("GET", f"/console/api/stream?arn={urllib.parse.quote(arn, safe='')}")
    response = connection.getresponse()
    while not stop.is_set():
        line = response.readline()
        if not line:
            return
        if line.startswith(b"event: change"):
            received.append(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=20)
    parser.add_argument("--executions", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--client", choices=("boto3", "raw"), default="raw")
    arguments = parser.parse_args()
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "WAIT_TIME_SCALE": "0.1"}  # the Wait: 0.1 s
    process = subprocess.Popen(
        [sys.executable, "-m", "asl", "serve", "--port", "0"],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    stop = threading.Event()
    try:
        assert process.stderr is not None
        url = process.stderr.readline().split()[-1]
        admin = client(url)
        loop = admin.create_state_machine(
            name="Followed", definition=json.dumps(LOOP), roleArn="arn:aws:iam::123456789012:role/R"
        )["stateMachineArn"]
        received: list[int] = []
        for _ in range(arguments.followers):
            arn = admin.start_execution(stateMachineArn=loop)["executionArn"]
            threading.Thread(target=follow, args=(url, arn, received, stop), daemon=True).start()
        print(f"{arguments.followers} pages following live executions")
        status = measure(url, arguments.executions, arguments.threads, arguments.client)
        print(f"changes the pages received meanwhile: {len(received)}")
        return status
    finally:
        stop.set()
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main())
