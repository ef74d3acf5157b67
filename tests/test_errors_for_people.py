"""Every failure a user can cause is one clear message naming where, never a Python traceback.

The command line is walked through a real `python -m asl` process, so that anything escaping
`main` would show as a traceback on stderr; the library's refusals are walked through the API,
where each is an `asl.AslError` whose message is one line."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import asl

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
TASK = {
    "StartAt": "T",
    "States": {"T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f", "End": True}},
}
FAIL = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Broken", "Cause": "on purpose"}}}
INVALID = {"StartAt": "Nowhere", "States": {"P": {"Type": "Pass", "Next": "Gone"}}}
MOCKS = {"StateMachines": {"m": {"TestCases": {"T": {"T": "R"}}}}, "MockedResponses": {"R": {"x": {}}}}
GOOD_MOCKS = {"StateMachines": {"m": {"TestCases": {"T": {}}}}, "MockedResponses": {}}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("people")
    for name, content in {
        "pass.json": PASS,
        "task.json": TASK,
        "fail.json": FAIL,
        "invalid.json": INVALID,
        "mocks.json": MOCKS,
        "good_mocks.json": GOOD_MOCKS,
        "input.json": {"x": 1},
        "big.json": {"x": "a" * 300_000},
    }.items():
        (folder / name).write_text(json.dumps(content), encoding="utf-8")
    (folder / "broken.json").write_text('{"StartAt": "P",\n  "States": }', encoding="utf-8")
    (folder / "not_json.txt").write_text("hello", encoding="utf-8")
    (folder / "resources.py").write_text("RESOURCES = {'f': 42}\n", encoding="utf-8")
    return folder


# (what the user did, argv, exit status, what stderr's first line says)
CLI_FAILURES = [
    ("missing machine file", ["run", "absent.json"], 3, "absent.json"),
    ("machine file is not JSON", ["run", "broken.json"], 2, "broken.json: "),
    ("invalid definition", ["run", "invalid.json"], 2, "invalid.json#/StartAt: "),
    ("missing --input file", ["run", "pass.json", "--input", "absent.json"], 3, "--input absent.json"),
    ("--input is not JSON", ["run", "pass.json", "--input", "not_json.txt"], 3, "--input not_json.txt: Invalid JSON"),
    ("--input over 256 KiB", ["run", "pass.json", "--input", "big.json"], 3, "over the quota of 262144 bytes"),
    ("--input path traversal", ["run", "pass.json", "--input", "../../../../../etc/shadow-nope"], 3, "--input"),
    ("unknown resource", ["run", "task.json"], 4, "no callable was given for the resource"),
    ("--resources module missing", ["run", "task.json", "--resources", "nowhere_xyz:R"], 4, "cannot import"),
    ("--resources value not callable", ["run", "task.json", "--resources", "resources.py"], 4, "--resources"),
    ("failed execution", ["run", "fail.json"], 1, "execution FAILED: Broken: on purpose"),
    ("bad execution name", ["run", "pass.json", "--name", "a b"], 2, "--name: Invalid execution name"),
    ("malformed mock file", ["run", "pass.json", "--mock-config", "mocks.json", "--test-case", "T"], 3, "mocks.json#"),
    ("unknown test case", ["run", "pass.json", "--mock-config", "good_mocks.json", "--test-case", "X"], 2, "'X'"),
    ("unknown flag", ["run", "pass.json", "--frobnicate"], 2, "unrecognized arguments: --frobnicate"),
    ("--seed not a number", ["run", "pass.json", "--seed", "x"], 2, "invalid int value: 'x'"),
    ("unknown graph format", ["graph", "pass.json", "--format", "png"], 2, "invalid choice: 'png'"),
    ("graph of a missing --execution file", ["graph", "pass.json", "--execution", "absent.json"], 3, "absent.json"),
]


@pytest.mark.parametrize(
    ("argv", "status", "says"), [case[1:] for case in CLI_FAILURES], ids=[c[0] for c in CLI_FAILURES]
)
def test_the_command_line_says_what_is_wrong_in_one_place(
    folder: Path, argv: list[str], status: int, says: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "asl", *argv], cwd=folder, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == status, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert says in done.stderr, done.stderr
    if argv[0] == "run" and status != 2:  # argparse prints its usage above its one line; the rest print one line
        assert done.stderr.count("\n") == 1, done.stderr


def _refusals() -> list[tuple[str, Callable[[], Any], str]]:
    machine = asl.parse(PASS)
    return [
        ("definition text that is not JSON", lambda: asl.parse('{"StartAt": '), "line 1"),
        ("a definition with problems", lambda: asl.parse(INVALID), "/StartAt"),
        ("a definition file that does not exist", lambda: asl.parse(Path("/nonexistent/m.json")), "m.json"),
        ("an unknown resource", lambda: asl.run(asl.parse(TASK), {}), "arn:aws:lambda:us-east-1:1:function:f"),
        ("an input over 256 KiB", lambda: asl.run(machine, {"x": "a" * 300_000}), "262144"),
        ("an execution name AWS refuses", lambda: asl.run(machine, {}, name="a b"), "'a b'"),
        ("an input nested 10,000 deep", lambda: asl.run(machine, _nested(10_000)), ""),
        ("a mock file that is not JSON", lambda: asl.mocks.load(b"{"), "not JSON"),
    ]


def _nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(("call", "says"), [r[1:] for r in _refusals()], ids=[r[0] for r in _refusals()])
def test_the_library_refuses_with_its_own_error(call: Callable[[], Any], says: str) -> None:
    with pytest.raises(asl.AslError) as caught:
        call()
    message = str(caught.value)
    assert message and says in message
