"""The benchmark harness (tests/benchmarks/bench.py) checks correctness, and every floor is exact.

No timing is asserted here: speed is measured by the harness, never by tests.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import asl

HERE = Path(__file__).resolve().parent
BENCH_DIR = Path(os.environ.get("ASL_BENCH_DIR", HERE.parent.parent / "shared" / "bench")).resolve()

if not (BENCH_DIR / "manifest.json").is_file():
    pytest.skip(f"no benchmark workloads at {BENCH_DIR}", allow_module_level=True)


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


bench = _load(HERE / "benchmarks" / "bench.py", "asl_bench_harness")
WORKLOADS = {workload["name"]: workload for workload in bench.load_manifest(BENCH_DIR)}
EXPECTED = bench.load_expected(BENCH_DIR)
FLOORS = bench.load_floors()


def _input(name: str) -> Any:
    return json.loads((BENCH_DIR / WORKLOADS[name]["input"]).read_text(encoding="utf-8"))


def test_one_mode_runs_trivial_1_and_reports_it_correct() -> None:
    command = [sys.executable, str(HERE / "benchmarks" / "bench.py"), "--one", "trivial_1"]
    command += ["--bench-dir", str(BENCH_DIR), "--runs", "1", "--min-time", "0"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    [line] = [line for line in done.stdout.splitlines() if line.startswith(bench.RESULT_MARK)]
    result = json.loads(line[len(bench.RESULT_MARK) :])
    assert done.returncode == 0, done.stderr
    assert result["ok"] is True and result["problems"] == []
    assert result["floor_ok"] is True
    assert result["runs"] >= 1 and result["transitions"] == 1


def test_a_correct_output_passes() -> None:
    expected = EXPECTED["pass_chain_100"]
    assert bench.check_output("SUCCEEDED", copy.deepcopy(expected["output"]), expected) is None
    assert bench.check_output(asl.Status.SUCCEEDED, copy.deepcopy(expected["output"]), expected) is None


def test_a_wrong_value_is_detected() -> None:
    expected = EXPECTED["pass_chain_100"]
    output = copy.deepcopy(expected["output"])
    output["cur"]["i"] = 98
    assert bench.check_output("SUCCEEDED", output, expected) == "output differs"


def test_a_wrong_key_order_is_detected_by_the_sha256() -> None:
    expected = EXPECTED["pass_chain_100"]
    output = dict(reversed(list(expected["output"].items())))
    assert output == expected["output"]  # equal as values: only the compact text tells them apart
    assert "sha256" in (bench.check_output("SUCCEEDED", output, expected) or "")


def test_a_failed_execution_is_detected() -> None:
    expected = EXPECTED["trivial_1"]
    assert bench.check_output("FAILED", expected["output"], expected) == "status FAILED"


def test_an_executed_wrong_output_is_detected() -> None:
    machine = asl.parse({"StartAt": "Only", "States": {"Only": {"Type": "Pass", "Result": 1, "End": True}}})
    execution = asl.run(machine, _input("trivial_1"), clock=asl.VirtualClock())
    assert bench.check_output(execution.status, execution.output, EXPECTED["trivial_1"]) == "output differs"


def test_the_adapter_turns_a_bench_failure_into_asl_task_failed() -> None:
    resources = bench.make_resources(WORKLOADS["task_map_retry"], BENCH_DIR)
    [flaky] = resources.values()
    with pytest.raises(asl.TaskFailed) as caught:
        flaky({"n": 3, "attempt": 0})
    assert (caught.value.error, caught.value.cause) == ("Flaky", "item 3 failed on attempt 0")
    assert flaky({"n": 3, "attempt": 1}) == {"n": 3, "square": 9, "attempt": 1}


def test_select_matches_names_by_substring() -> None:
    names = [workload["name"] for workload in bench.select(WORKLOADS.values(), ["retry"])]
    assert names == [name for name in WORKLOADS if "retry" in name] and names


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_the_floor_reproduces_the_expected_output(name: str) -> None:
    value = _input(name)
    output = FLOORS[name](value)
    assert bench.check_output("SUCCEEDED", output, EXPECTED[name]) is None
    assert value == _input(name)  # floors are timed over one input: they must not mutate it


def test_every_issue_workload_has_a_floor() -> None:
    assert set(bench.AUTHOR_FLOOR_MS) <= set(FLOORS)
    assert set(bench.PEER_CACHED_MS) <= set(WORKLOADS)
