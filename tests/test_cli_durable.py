"""`asl run --store`, `asl send-task-*` and `asl executions`: durable executions from the command line."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from asl import cli

ROOT = Path(__file__).resolve().parent.parent
CALLBACK = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
MACHINE = {
    "StartAt": "Count",
    "States": {
        "Count": {"Type": "Task", "Resource": "Count", "Next": "Ask"},
        "Ask": {"Type": "Task", "Resource": CALLBACK, "Parameters": {"token.$": "$$.Task.Token"}, "End": True},
    },
}
RESOURCES = f"""
import json, pathlib
HERE = pathlib.Path(__file__).parent

def count(event):
    with open(HERE / "calls.log", "a") as log:
        log.write("count\\n")
    return event

def ask(event):
    (HERE / "token.txt").write_text(event["token"])
    return {{}}

RESOURCES = {{"Count": count, {CALLBACK!r}: ask}}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "machine.json").write_text(json.dumps(MACHINE))
    (tmp_path / "resources.py").write_text(RESOURCES)
    (tmp_path / "input.json").write_text('{"n": 1}')
    return tmp_path


def main(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = cli.main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def start(folder: Path, *extra: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "asl", "run", str(folder / "machine.json"), "--store", str(folder / "s.db")]
    command += [
        "--name",
        "n",
        "--input",
        str(folder / "input.json"),
        "--resources",
        f"{folder / 'resources.py'}:RESOURCES",
    ]
    environment = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    return subprocess.Popen(
        [*command, *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment
    )


def finish(process: subprocess.Popen[str]) -> int:
    process.communicate(timeout=30)
    return process.returncode


def wait_for(path: Path) -> str:
    deadline = time.monotonic() + 30
    while not path.exists() or not path.read_text():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)
    return path.read_text()


def test_a_killed_run_resumes_and_a_token_is_answered_from_another_process(folder: Path) -> None:
    first = start(folder)
    token = wait_for(folder / "token.txt")
    first.kill()  # SIGKILL while the Task waits for its token
    first.communicate()
    (folder / "token.txt").unlink()
    again = start(folder)
    assert wait_for(folder / "token.txt") == token  # the same token, still valid
    assert main("send-task-success", "--store", str(folder / "s.db"), token, '{"ok": true}') == (0, "", "")
    out, err = again.communicate(timeout=30)
    assert (again.returncode, json.loads(out)) == (0, {"ok": True}), err
    assert (folder / "calls.log").read_text() == "count\n"  # the first Task completed once: not run again


def test_an_ended_execution_prints_its_recorded_result_running_nothing(folder: Path) -> None:
    arguments = ["run", str(folder / "machine.json"), "--store", str(folder / "s.db"), "--name", "n"]
    arguments += ["--resources", f"{folder / 'resources.py'}:RESOURCES", "--input", str(folder / "input.json")]
    first = start(folder)
    token = wait_for(folder / "token.txt")
    assert main("send-task-failure", "--store", str(folder / "s.db"), token, "--error", "No", "--cause", "why")[0] == 0
    assert finish(first) == 1
    status, out, err = main(*arguments)
    assert (status, out, err) == (1, "", "asl: execution FAILED: No: why\n")
    assert (folder / "calls.log").read_text() == "count\n"


def test_the_same_name_with_another_input_exits_2(folder: Path) -> None:
    (folder / "other.json").write_text('{"n": 2}')
    first = start(folder)
    wait_for(folder / "token.txt")
    first.kill()
    first.communicate()
    status, _, err = main(
        "run", str(folder / "machine.json"), "--store", str(folder / "s.db"), "--name", "n", "--input",
        str(folder / "other.json"), "--resources", f"{folder / 'resources.py'}:RESOURCES",
    )  # fmt: skip
    assert status == 2 and err.startswith("asl: ExecutionAlreadyExists: ") and err.count("\n") == 1


def test_executions_lists_and_shows_one(folder: Path) -> None:
    first = start(folder)
    token = wait_for(folder / "token.txt")
    main("send-task-success", "--store", str(folder / "s.db"), token, "7")
    assert finish(first) == 0
    status, out, _ = main("executions", "--store", str(folder / "s.db"))
    assert status == 0 and out.split("\t")[:2] == ["n", "SUCCEEDED"]
    status, out, _ = main("executions", "--store", str(folder / "s.db"), "n", "--history")
    shown: dict[str, Any] = json.loads(out)
    assert (shown["status"], shown["output"]) == ("SUCCEEDED", 7)
    assert shown["events"][0]["type"] == "ExecutionStarted" and shown["events"][-1]["type"] == "ExecutionSucceeded"


def test_store_failures_are_one_line_and_exit_3(folder: Path) -> None:
    (folder / "junk.db").write_text("not a database" * 100)
    status, _, err = main("executions", "--store", str(folder / "junk.db"))
    assert status == 3 and "not an asl store" in err and err.count("\n") == 1
    status, _, err = main("send-task-success", "--store", str(folder / "s.db"), "no-such-token", "{}")
    assert status == 3 and err.startswith("asl: Invalid token")
    status, _, err = main("executions", "--store", str(folder / "s.db"), "nobody")
    assert status == 3 and "no execution named 'nobody'" in err


def test_store_needs_a_name(folder: Path) -> None:
    status, _, err = main("run", str(folder / "machine.json"), "--store", str(folder / "s.db"))
    assert (status, err) == (2, "asl: --store needs --name: the name is how the execution is found again\n")
