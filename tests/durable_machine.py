"""A machine for the durability tests: Task, Wait, Parallel, Map, Retry and a callback.

Run as a program (`python tests/durable_machine.py DB NAME LOG [CRASH_AT]`), it runs execution
NAME in store DB; every Task call appends one line to LOG (`call <state> <input>`) before it
answers, and `done <state> <input>` once it has answered. With CRASH_AT = k the process kills
itself (SIGKILL) during the k-th call, after its `call` line: a crash with a Task in flight.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import asl
from asl import durable

FLAKY = "arn:aws:lambda:us-east-1:123456789012:function:flaky"
WORK = "arn:aws:lambda:us-east-1:123456789012:function:work"
CALLBACK = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"

DEFINITION: dict[str, Any] = {
    "StartAt": "First",
    "States": {
        "First": {"Type": "Task", "Resource": WORK, "Parameters": {"step": "first", "n.$": "$.n"}, "Next": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Both"},
        "Both": {
            "Type": "Parallel",
            "Branches": [
                {
                    "StartAt": "Left",
                    "States": {
                        "Left": {
                            "Type": "Task",
                            "Resource": WORK,
                            "Parameters": {"step": "left"},
                            "ResultPath": "$.left",
                            "Next": "Nap",
                        },
                        "Nap": {"Type": "Wait", "Seconds": 1, "End": True},
                    },
                },
                {
                    "StartAt": "Flaky",
                    "States": {
                        "Flaky": {
                            "Type": "Task",
                            "Resource": FLAKY,
                            "Parameters": {"step": "flaky", "try.$": "$$.State.RetryCount"},
                            "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1, "MaxAttempts": 2}],
                            "End": True,
                        }
                    },
                },
            ],
            "Next": "Each",
        },
        "Each": {
            "Type": "Map",
            "ItemsPath": "$[0].items",
            "MaxConcurrency": 2,
            "ItemProcessor": {
                "StartAt": "Item",
                "States": {
                    "Item": {"Type": "Task", "Resource": WORK, "Parameters": {"step": "item", "i.$": "$"}, "End": True}
                },
            },
            "Next": "Ask",
        },
        "Ask": {
            "Type": "Task",
            "Resource": CALLBACK,
            "Parameters": {"step": "ask", "token.$": "$$.Task.Token", "items.$": "States.JsonToString($)"},
            "Next": "Id",
        },
        "Id": {"Type": "Pass", "Parameters": {"answer.$": "$", "id.$": "States.UUID()"}, "End": True},
    },
}
INPUT: dict[str, Any] = {"n": 3}
NAME_OF = {"first": "First", "left": "Left", "flaky": "Flaky", "item": "Item", "ask": "Ask"}


class Resources:
    """The Task callables: each call is logged to a file, line by line (flushed and fsynced)."""

    def __init__(self, log: str | os.PathLike[str], crash_at: int | None = None) -> None:
        self.log, self.crash_at, self.calls = Path(log), crash_at, 0
        self.lock = threading.Lock()

    def _line(self, text: str) -> None:
        with self.lock, self.log.open("a") as file:
            file.write(text + "\n")
            file.flush()
            os.fsync(file.fileno())

    def _call(self, event: Any) -> int:
        with self.lock:
            self.calls += 1
            number = self.calls
        self._line(f"call {json.dumps(event, sort_keys=True)}")
        if os.environ.get("ASL_SLOW"):  # the crash tests kill at random instants: let calls take a while
            time.sleep(0.05)
        if self.crash_at == number:
            os.kill(os.getpid(), signal.SIGKILL)
        return number

    def work(self, event: Any) -> Any:
        self._call(event)
        result: Any = {"items": list(range(event["n"]))} if event.get("step") == "first" else 1
        if event.get("step") == "item":
            result = event["i"] * 10
        self._line(f"done {json.dumps(event, sort_keys=True)}")
        return result

    def flaky(self, event: Any) -> Any:
        self._call(event)
        self._line(f"done {json.dumps(event, sort_keys=True)}")
        if event["try"] == 0:
            raise asl.TaskFailed("Flaky", "the first try fails")
        return "steady"

    def ask(self, event: Any, context: Any) -> Any:
        self._call(event)
        self._line(f"done {json.dumps(event, sort_keys=True)}")
        context.send_task_success({"approved": event["items"]})  # the worker answers at once
        return {"MessageId": "m-1"}

    def mapping(self) -> dict[str, Any]:
        return {WORK: self.work, FLAKY: self.flaky, CALLBACK: self.ask}


def run(db: str, name: str, log: str, crash_at: int | None = None, clock: Any = None) -> asl.Execution:
    """Run (or resume) execution `name` of the test machine in store `db`."""
    machine = asl.parse(DEFINITION)
    resources = Resources(log, crash_at)
    return durable.run(machine, INPUT, store=db, name=name, resources=resources.mapping(), clock=clock, seed=11)


if __name__ == "__main__":
    arguments = [argument for argument in sys.argv[1:] if not argument.startswith("--")]
    crash = int(arguments[3]) if len(arguments) > 3 else None
    clock = asl.VirtualClock(0) if "--virtual" in sys.argv else None
    execution = run(arguments[0], arguments[1], arguments[2], crash, clock)
    print(json.dumps({"status": execution.status.value, "output": execution.output}))
