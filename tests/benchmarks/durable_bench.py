"""Durable executions on SQLite against in-memory ones: transitions/s, the ratio, and a resume.

`python tests/benchmarks/durable_bench.py` runs pass_chain_100 and map_1000 of ../shared/bench
(one store for all runs, median of 7), then resumes an execution whose history holds 25,000 events.
"""

from __future__ import annotations

import contextlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asl
from asl import durable, store

BENCH = Path(__file__).resolve().parents[3] / "shared" / "bench" / "workloads"
TASK = "arn:aws:lambda:us-east-1:123456789012:function:last"


def workloads(opened: store.Store) -> None:
    for name, transitions in (("pass_chain_100", 100), ("map_1000", 3001)):
        machine = asl.parse((BENCH / f"{name}.asl.json").read_text())
        value = json.loads((BENCH / f"{name}.input.json").read_text())
        memory, stored = [], []
        for index in range(7):
            started = time.perf_counter()
            expected = asl.run(machine, value, clock=asl.VirtualClock(0)).output
            memory.append(time.perf_counter() - started)
            started = time.perf_counter()
            output = durable.run(machine, value, store=opened, name=f"{name}-{index}", clock=asl.VirtualClock(0)).output
            stored.append(time.perf_counter() - started)
            assert output == expected, name
        fast, slow = statistics.median(memory), statistics.median(stored)
        print(
            f"{name:15} in memory {fast * 1000:7.1f} ms {transitions / fast:9,.0f} transitions/s | "
            f"durable {slow * 1000:7.1f} ms {transitions / slow:9,.0f} transitions/s | {slow / fast:.1f}x"
        )


def resume(opened: store.Store) -> None:
    loop = {
        "L": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericEquals": 6248, "Next": "T"}], "Default": "L"},
        "T": {"Type": "Task", "Resource": TASK, "End": True},
    }
    machine = asl.parse({"StartAt": "L", "States": loop})
    limits = asl.Limits(history_events=30_000)

    def crash(_: Any) -> Any:
        raise KeyboardInterrupt  # the process stops with the Task in flight: 24,997 events recorded

    with contextlib.suppress(KeyboardInterrupt):
        durable.run(machine, {"i": 0}, store=opened, name="long", resources={TASK: crash}, limits=limits)
    events = len(opened.history("long"))
    started = time.perf_counter()
    execution = durable.run(machine, {"i": 0}, store=opened, name="long", resources={TASK: len}, limits=limits)
    print(f"resume of a {events:,}-event history: {time.perf_counter() - started:.2f} s ({execution.status.value})")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        opened = store.open_store(Path(folder) / "bench.db")
        workloads(opened)
        resume(opened)
        opened.close()
    sys.exit(0)
