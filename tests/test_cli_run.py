"""`asl run`: output on stdout, and every failure mode as one line on stderr with its exit status."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from asl import cli

SRC = str(Path(__file__).resolve().parents[1] / "src")
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:Double"
MACHINE = {
    "StartAt": "Double",
    "States": {
        "Double": {"Type": "Task", "Resource": FUNCTION, "Next": "Rest"},
        "Rest": {"Type": "Wait", "Seconds": 3600, "End": True},
    },
}
FAILING = {"StartAt": "No", "States": {"No": {"Type": "Fail", "Error": "Nope", "Cause": "not today"}}}
RESOURCES_MODULE = """
from asl import TaskFailed

def double(event):
    if event.get("x") == 13:
        raise TaskFailed("Unlucky", "13 is not doubled")
    return {"x": event["x"] * 2}

RESOURCES = {"Double": double}
NOT_A_MAPPING = [double]
BAD_VALUE = {"Double": 42}
"""


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(*argv: str, stderr: io.StringIO | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), stderr if stderr is not None else io.StringIO()
    status = cli.main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def write(folder: Path, name: str, content: Any) -> str:
    path = folder / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)  # --resources imports modules from the current directory
    module = "cli_run_resources_" + re.sub(r"\W", "_", tmp_path.name)  # unique: no stale sys.modules
    write(tmp_path, f"{module}.py", RESOURCES_MODULE)
    return {
        "machine": write(tmp_path, "machine.json", MACHINE),
        "failing": write(tmp_path, "failing.json", FAILING),
        "input": write(tmp_path, "input.json", {"x": 21}),
        "module": module,
        "file": str(tmp_path / f"{module}.py"),
    }


def test_output_is_json_on_stdout(files: dict[str, str]) -> None:
    status, out, err = run(
        "run",
        files["machine"],
        "--input",
        files["input"],
        "--resources",
        f"{files['module']}:RESOURCES",
        "--virtual-time",
    )
    assert (status, err) == (0, "")
    assert json.loads(out) == {"x": 42}


def test_resources_may_name_a_file_and_attr_defaults_to_resources(files: dict[str, str]) -> None:
    status, out, _ = run(
        "run", files["machine"], "--input", files["input"], "--resources", files["file"], "--virtual-time"
    )
    assert status == 0 and json.loads(out) == {"x": 42}


def test_input_from_stdin(files: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"x": 5}'))
    status, out, _ = run("run", files["machine"], "--input", "-", "--resources", files["module"], "--virtual-time")
    assert status == 0 and json.loads(out) == {"x": 10}


def test_default_input_is_an_empty_object(tmp_path: Path) -> None:
    machine = write(tmp_path, "m.json", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    assert run("run", machine) == (0, "{}\n", "")


def test_history_file_has_get_execution_history_shape(files: dict[str, str], tmp_path: Path) -> None:
    history = tmp_path / "history.json"
    status, _, _ = run(
        "run",
        files["machine"],
        "--input",
        files["input"],
        "--resources",
        files["module"],
        "--virtual-time",
        "--seed",
        "3",
        "--name",
        "demo",
        "--history",
        str(history),
    )
    assert status == 0
    events = json.loads(history.read_text())["events"]
    assert [event["type"] for event in events] == [
        "ExecutionStarted",
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
        "WaitStateEntered",
        "WaitStateExited",
        "ExecutionSucceeded",
    ]
    assert events[0]["executionStartedEventDetails"]["input"] == '{"x":21}'
    assert events[-1]["executionSucceededEventDetails"]["output"] == '{"x":42}'
    assert all(isinstance(event["timestamp"], str) for event in events)


def test_a_failed_execution_prints_error_and_cause_and_exits_1(files: dict[str, str], tmp_path: Path) -> None:
    history = tmp_path / "failed.json"
    status, out, err = run("run", files["failing"], "--history", str(history))
    assert (status, out) == (1, "")
    assert err == "asl: execution FAILED: Nope: not today\n"
    assert json.loads(history.read_text())["events"][-1]["type"] == "ExecutionFailed"


def test_a_failing_task_names_its_error(files: dict[str, str], tmp_path: Path) -> None:
    thirteen = write(tmp_path, "thirteen.json", {"x": 13})
    status, _, err = run("run", files["machine"], "--input", thirteen, "--resources", files["module"])
    assert status == 1
    assert err == "asl: execution FAILED: Unlucky: 13 is not doubled\n"


def test_an_invalid_definition_exits_2_with_every_problem(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.json", {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Foo"}}})
    status, out, err = run("run", bad)
    assert (status, out) == (2, "")
    assert err == f"{bad}#/States/A/Next: Missing 'Next' target: Foo\n"


def test_a_definition_that_is_not_json_is_an_invalid_definition(tmp_path: Path) -> None:
    broken = write(tmp_path, "broken.json", '{"StartAt": "A",\n "States": }')
    status, _, err = run("run", broken)
    assert status == 2
    assert err == f"{broken}: Invalid JSON at line 2, column 12: Expecting value\n"


def test_a_missing_definition_exits_3(tmp_path: Path) -> None:
    missing = str(tmp_path / "absent.json")
    assert run("run", missing) == (3, "", f"asl: {missing}: No such file\n")


def test_a_missing_input_file_exits_3(files: dict[str, str]) -> None:
    status, _, err = run("run", files["failing"], "--input", "nowhere.json")
    assert (status, err) == (3, "asl: --input nowhere.json: No such file\n")


def test_input_that_is_not_json_exits_3(files: dict[str, str], tmp_path: Path) -> None:
    text = write(tmp_path, "text.json", "{'x': 1}")
    status, _, err = run("run", files["failing"], "--input", text)
    assert status == 3
    assert err == (
        f"asl: --input {text}: Invalid JSON at line 1, column 2: Expecting property name enclosed in double quotes\n"
    )


def test_an_unknown_resource_exits_4_before_running(files: dict[str, str]) -> None:
    status, out, err = run("run", files["machine"], "--input", files["input"])
    assert (status, out) == (4, "")
    assert err.startswith(f"asl: no callable was given for the resource '{FUNCTION}'")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_such_module_here:RESOURCES", "cannot import no_such_module_here: No module named 'no_such_module_here'"),
        ("{module}:MISSING", "{module} has no attribute 'MISSING'"),
        ("{module}:NOT_A_MAPPING", "NOT_A_MAPPING is a list, not a mapping of resource name to callable"),
        ("{module}:BAD_VALUE", "BAD_VALUE['Double'] is not a callable"),
        ("missing/resources.py:RESOURCES", "No such file: missing/resources.py"),
        ("broken_module", "importing broken_module failed: ZeroDivisionError: division by zero"),
    ],
)
def test_bad_resources_exit_4_with_one_line(files: dict[str, str], tmp_path: Path, spec: str, message: str) -> None:
    write(tmp_path, "broken_module.py", "RESOURCES = {}\n1 / 0\n")
    spec, message = spec.format(module=files["module"]), message.format(module=files["module"])
    status, out, err = run("run", files["machine"], "--resources", spec)
    assert (status, out) == (4, "")
    assert err == f"asl: --resources {spec}: {message}\n"


def test_usage_errors_exit_2() -> None:
    status, _, err = run("run")
    assert status == 2 and "required: MACHINE" in err
    status, _, err = run("run", "m.json", "--seed", "many")
    assert status == 2 and "invalid int value" in err


def test_a_terminal_gets_a_live_line_per_state(files: dict[str, str]) -> None:
    terminal = Terminal()
    status, _, err = run(
        "run",
        files["machine"],
        "--input",
        files["input"],
        "--resources",
        files["module"],
        "--virtual-time",
        stderr=terminal,
    )
    assert status == 0
    lines = [line.split("] ", 1)[1] for line in err.splitlines()]
    assert lines == ["enter Double (Task)", "exit  Double", "enter Rest (Wait)", "exit  Rest", "SUCCEEDED"]
    assert err.splitlines()[3].startswith("[ 3600.000s]")  # virtual time, as the clock saw it


def test_piped_output_is_quiet(files: dict[str, str]) -> None:
    _, _, err = run(
        "run", files["machine"], "--input", files["input"], "--resources", files["module"], "--virtual-time"
    )
    assert err == ""


# -- --mock-config: a Step Functions Local mock configuration file answers the Task states ----------

MOCK_MACHINE = {
    "StartAt": "Charge",
    "States": {
        "Charge": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Retry": [{"ErrorEquals": ["Busy"], "MaxAttempts": 3}],
            "Catch": [{"ErrorEquals": ["Declined"], "ResultPath": "$.error", "Next": "Refused"}],
            "End": True,
        },
        "Refused": {"Type": "Pass", "End": True},
    },
}
MOCK_CONFIG = {
    "StateMachines": {
        "Shop": {
            "TestCases": {
                "BusyThenPaid": {"Charge": "BusyTwiceThenPaid"},
                "Declined": {"Charge": "Declined"},
                "Mistyped": {"Chrage": "Declined"},
            }
        },
        "Other": {"TestCases": {}},
    },
    "MockedResponses": {
        "BusyTwiceThenPaid": {
            "0-1": {"Throw": {"Error": "Busy", "Cause": "try later"}},
            "2": {"Return": {"paid": True}},
        },
        "Declined": {"0": {"Throw": {"Error": "Declined", "Cause": "card expired"}}},
    },
}


@pytest.fixture
def mocked(tmp_path: Path) -> dict[str, str]:
    return {
        "machine": write(tmp_path, "shop.json", MOCK_MACHINE),
        "config": write(tmp_path, "MockConfigFile.json", MOCK_CONFIG),
    }


def test_a_mocked_test_case_answers_every_attempt(mocked: dict[str, str]) -> None:
    status, out, err = run(
        "run", mocked["machine"], "--virtual-time",
        "--mock-config", mocked["config"], "--state-machine", "Shop", "--test-case", "BusyThenPaid",
    )  # fmt: skip
    assert (status, json.loads(out), err) == (0, {"paid": True}, "")


def test_the_machine_file_name_picks_the_state_machine(mocked: dict[str, str], tmp_path: Path) -> None:
    machine = write(tmp_path, "Shop.asl.json", MOCK_MACHINE)
    status, out, _ = run("run", machine, "--mock-config", mocked["config"], "--test-case", "Declined")
    assert (status, json.loads(out)["error"]["Error"]) == (0, "Declined")


def test_a_mocked_throw_goes_to_the_catcher(mocked: dict[str, str]) -> None:
    status, out, _ = run(
        "run",
        mocked["machine"],
        "--mock-config",
        mocked["config"],
        "--state-machine",
        "Shop",
        "--test-case",
        "Declined",
    )
    assert status == 0
    assert json.loads(out) == {"error": {"Error": "Declined", "Cause": "card expired"}}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--test-case", "BusyThenPaid"], "configures 2 state machines; name one of: 'Shop', 'Other'"),
        (["--state-machine", "Shop", "--test-case", "Nope"], "no test case 'Nope' for the state machine 'Shop'"),
        (["--state-machine", "Shopp", "--test-case", "Declined"], "no state machine 'Shopp'"),
        (["--state-machine", "Shop", "--test-case", "Mistyped"], "mocks 'Chrage', which is not a Task state"),
        (["--state-machine", "Shop"], "--mock-config needs --test-case NAME"),
    ],
)
def test_names_the_mock_configuration_lacks_are_usage_errors(
    mocked: dict[str, str], options: list[str], message: str
) -> None:
    status, out, err = run("run", mocked["machine"], "--mock-config", mocked["config"], *options)
    assert (status, out) == (2, "")
    assert err.startswith("asl: ") and message in err and err.count("\n") == 1


def test_test_case_without_a_mock_config_is_a_usage_error(mocked: dict[str, str]) -> None:
    assert run("run", mocked["machine"], "--test-case", "Declined") == (
        2,
        "",
        "asl: --test-case and --state-machine need --mock-config\n",
    )


def test_a_malformed_mock_configuration_lists_its_problems_with_pointers(tmp_path: Path) -> None:
    machine = write(tmp_path, "shop.json", MOCK_MACHINE)
    config = write(
        tmp_path,
        "bad.json",
        {"StateMachines": {"Shop": {"TestCases": {"T": {"Charge": "R"}}}}, "MockedResponses": {"R": {"0-": {}}}},
    )
    status, out, err = run("run", machine, "--mock-config", config, "--test-case", "T")
    assert (status, out) == (3, "")
    assert err.startswith(f"{config}#/MockedResponses/R/0-: ")


def test_an_unreadable_mock_configuration_is_one_line(tmp_path: Path) -> None:
    machine = write(tmp_path, "shop.json", MOCK_MACHINE)
    status, _, err = run("run", machine, "--mock-config", str(tmp_path / "missing.json"), "--test-case", "T")
    assert status == 3
    assert err.startswith(f"{tmp_path / 'missing.json'}: cannot read the file") and err.count("\n") == 1


def test_an_execution_name_aws_refuses_is_a_usage_error(tmp_path: Path) -> None:
    machine = write(tmp_path, "m.json", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    status, out, err = run("run", machine, "--name", "has space")
    assert (status, out) == (2, "")
    assert err.startswith("asl: --name: Invalid execution name 'has space'") and err.count("\n") == 1


# -- history, interruption, task tokens -----------------------------------------------------------

CALLBACK = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
APPROVAL = {
    "StartAt": "Approve",
    "States": {
        "Approve": {
            "Type": "Task",
            "Resource": CALLBACK,
            "Parameters": {"token.$": "$$.Task.Token"},
            "Next": "Rest",
        },
        "Rest": {"Type": "Wait", "Seconds": 86_400, "End": True},
    },
}
NOTIFY = """
import pathlib

def notify(event):
    pathlib.Path("notified").write_text(event["token"])

RESOURCES = {"arn:aws:states:::sqs:sendMessage.waitForTaskToken": notify}
"""


@pytest.fixture
def approval(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    return {"machine": write(tmp_path, "approval.json", APPROVAL), "resources": write(tmp_path, "notify.py", NOTIFY)}


def answer(approval: dict[str, str], lines: str, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    argv = ["run", approval["machine"], "--resources", approval["resources"], "--virtual-time", *extra]
    status = cli.main(argv, stdout=out, stderr=err, stdin=io.StringIO(lines))
    return status, out.getvalue(), err.getvalue()


def test_the_version_is_printed() -> None:
    from asl import __version__

    status, out, _ = run("--version")
    assert (status, out) == (0, f"asl {__version__}\n")


def test_a_piped_success_line_answers_the_task_token(approval: dict[str, str]) -> None:
    status, out, err = answer(approval, 'success {"approved": true}\n')
    assert (status, json.loads(out)) == (0, {"approved": True})
    token = Path("notified").read_text()
    assert f"asl: state 'Approve' waits for task token {token}\n" in err
    assert "success JSON | failure [ERROR [CAUSE]] | heartbeat" in err


def test_a_failure_line_fails_the_task_with_its_error_and_cause(approval: dict[str, str]) -> None:
    status, out, err = answer(approval, "failure Rejected not this quarter\n")
    assert (status, out) == (1, "")
    assert err.endswith("asl: execution FAILED: Rejected: not this quarter\n")


def test_a_bad_line_is_asked_again(approval: dict[str, str]) -> None:
    status, out, err = answer(approval, "maybe\nsuccess {oops\nheartbeat\nsuccess 7\n")
    assert (status, out) == (0, "7\n")
    assert "asl: 'maybe' is not an answer" in err
    assert "asl: not JSON: " in err


def test_without_an_answer_virtual_time_ends_the_run_saying_why(approval: dict[str, str]) -> None:
    status, out, err = answer(approval, "")
    assert (status, out) == (1, "")
    token = Path("notified").read_text()
    assert "asl: standard input ended; the task token stays unanswered\n" in err
    assert f"asl: execution ABORTED: asl.Stalled: state 'Approve' waits for task token {token}. " in err


def test_a_person_at_a_terminal_answers_the_task_token(approval: dict[str, str]) -> None:
    import pty

    controller, terminal = pty.openpty()
    try:
        os.write(controller, b'success {"by": "a person"}\n')  # typed ahead: read when asked
        done = subprocess.run(
            [sys.executable, "-m", "asl", "run", "approval.json", "--resources", "notify.py", "--virtual-time"],
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": SRC},
            check=False,
        )
    finally:
        os.close(controller)
        os.close(terminal)
    assert (done.returncode, json.loads(done.stdout)) == (0, {"by": "a person"}), done.stderr
    assert "waits for task token" in done.stderr and "> " in done.stderr  # a prompt, on a terminal


def test_ctrl_c_aborts_the_execution_and_still_writes_the_history(tmp_path: Path) -> None:
    write(
        tmp_path, "resources.py", 'import pathlib\nRESOURCES = {"mark": lambda event: pathlib.Path("marked").touch()}\n'
    )
    machine = {
        "StartAt": "Mark",
        "States": {
            "Mark": {"Type": "Task", "Resource": "mark", "Next": "Sleep"},
            "Sleep": {"Type": "Wait", "Seconds": 600, "End": True},
        },
    }
    write(tmp_path, "m.json", machine)
    process = subprocess.Popen(
        [sys.executable, "-m", "asl", "run", "m.json", "--resources", "resources.py", "--history", "h.json"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": SRC},
    )
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "marked").exists():  # the run has begun; it is going to wait ten minutes
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert (process.returncode, out, err) == (130, "", "asl: interrupted\n")
    events = json.loads((tmp_path / "h.json").read_text())["events"]
    kinds = [event["type"] for event in events]
    assert kinds[-1] == "ExecutionAborted" and kinds[-2] in ("TaskStateAborted", "WaitStateAborted")
