"""asl.pytest_plugin and asl.testing: the sample project under tests/plugin_project runs in a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import asl
from asl import testing

PROJECT = Path(__file__).parent / "plugin_project"


def _plugin_args() -> list[str]:
    # Once the pytest11 entry point is installed, pytest loads the plugin by itself; naming
    # the module again with -p would register it twice.
    installed = any(ep.value == "asl.pytest_plugin" for ep in metadata.entry_points(group="pytest11"))
    return [] if installed else ["-p", "asl.pytest_plugin"]


def _pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", *_plugin_args(), *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("plugin") / "project"
    shutil.copytree(PROJECT, copy, ignore=shutil.ignore_patterns("__pycache__", ".hypothesis"))
    return copy


@pytest.fixture(scope="module")
def session(project: Path) -> subprocess.CompletedProcess[str]:
    # As the README says: `pytest --asl-coverage --asl-coverage-json asl-coverage.json` in the project.
    return _pytest(project, "--asl-coverage", "--asl-coverage-json", "coverage.json", "-q")


def test_the_sample_project_passes(session: subprocess.CompletedProcess[str]) -> None:
    assert session.returncode == 0, session.stdout + session.stderr
    assert "20 passed" in session.stdout


def test_the_sample_project_has_the_files_the_readme_names() -> None:
    readme = (PROJECT.parents[1] / "README.md").read_text()
    for name in ("tests/test_order.py", "machines/order.asl.json", "mocks/MockConfigFile.json"):
        assert name in readme and (PROJECT / name).is_file(), name


def test_the_coverage_table_ends_the_run(session: subprocess.CompletedProcess[str]) -> None:
    table = session.stdout.split("asl state machine coverage", 1)[1]
    assert "machines/order.asl.json" in table
    assert "Catch 'Ship'[0]" in table  # the one clause no example run reaches


def test_the_coverage_json_names_the_machine_file(session: subprocess.CompletedProcess[str], project: Path) -> None:
    report = json.loads((project / "coverage.json").read_text())
    order = report["machines"]["machines/order.asl.json"]
    assert order["states"]["Review"]["entered"] == 1  # BigOrder only
    assert order["choices"]["Route"]["rules"][0]["count"] == 1
    assert order["retries"]["Validate"][0]["count"] == 2  # Throttled: two retries
    assert order["retries"]["PackItem"][0]["count"] == 1  # FlakyPacker jams once
    assert order["catches"]["Validate"][0]["count"] == 1  # Rejected
    assert order["missing"] == [
        "Catch 'Validate'[1] (States.ALL -> 'Rejected')",
        "Catch 'Ship'[0] (States.ALL -> 'Rejected')",
    ]


def test_failing_helpers_say_what_happened(project: Path) -> None:
    result = _pytest(project, "expected_failures/check_messages.py", "-q")
    assert result.returncode == 1
    assert "3 failed" in result.stdout
    assert "were not entered in this order" in result.stdout
    assert "path taken: ['Validate', 'Route', 'Ship'" in result.stdout
    assert "expected the execution to end FAILED; status SUCCEEDED" in result.stdout
    assert "the state 'Review' was never exited" in result.stdout


# -- asl.testing, directly ---------------------------------------------------------------------

MACHINE = asl.parse(
    {
        "StartAt": "Try",
        "States": {
            "Try": {
                "Type": "Task",
                "Resource": "work",
                "Retry": [{"ErrorEquals": ["Busy"], "MaxAttempts": 2, "IntervalSeconds": 1}],
                "Catch": [{"ErrorEquals": ["Broken"], "Next": "Recover"}],
                "Next": "Done",
            },
            "Recover": {"Type": "Pass", "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }
)


def _run(outcomes: testing.ScriptedOutcomes) -> asl.Execution:
    return asl.run(MACHINE, {}, task_override=outcomes, clock=asl.VirtualClock(0), seed=0)


def test_state_helpers_read_the_history() -> None:
    execution = asl.run(MACHINE, {"n": 1}, resources={"work": lambda x: {"done": x["n"]}}, clock=asl.VirtualClock(0))
    assert testing.state_path(execution) == ["Try", "Done"]
    assert testing.state_input(execution, "Try") == {"n": 1}
    assert testing.state_output(execution, "Try") == {"done": 1}
    testing.assert_succeeded(execution, {"done": 1})
    with pytest.raises(AssertionError, match="output is"):
        testing.assert_succeeded(execution, {"done": 2})
    with pytest.raises(AssertionError, match="entered only 1 time"):
        testing.state_input(execution, "Try", 1)


def test_scripted_outcomes_answer_call_by_call_and_repeat_the_last() -> None:
    outcomes = testing.ScriptedOutcomes({"Try": [testing._Throw("Busy"), testing._Throw("Broken")]})
    execution = _run(outcomes)
    testing.assert_path(execution, ["Try", "Recover", "Done"])
    assert outcomes.calls == {"Try": 2}
    outcomes.reset()
    assert outcomes.calls == {}


def test_task_outcomes_draw_the_errors_the_clauses_mention() -> None:
    from hypothesis import given, settings

    seen: set[str] = set()

    @settings(max_examples=60, database=None, deadline=None)
    @given(testing.task_outcomes(MACHINE, max_calls=3))
    def check(outcomes: testing.ScriptedOutcomes) -> None:
        for outcome in outcomes.script["Try"]:
            seen.add(getattr(outcome, "error", "result"))
        execution = _run(outcomes)
        if execution.status is not asl.Status.SUCCEEDED:  # only an error no clause handles escapes
            assert execution.error in ("States.TaskFailed", "Busy")

    check()
    assert seen == {"result", "Busy", "Broken", "States.TaskFailed"}
