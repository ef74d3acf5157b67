"""Tests that fail on purpose: tests/test_pytest_plugin.py checks what their failures say."""

from __future__ import annotations

from asl.pytest_plugin import AslRun
from asl.testing import assert_failed, assert_path, state_output

MACHINE = "../machines/order.asl.json"
ORDER = {"id": "o-1", "items": ["book"]}


def test_wrong_path(asl_run: AslRun) -> None:
    execution = asl_run(MACHINE, ORDER, mocks="mocks/MockConfigFile.json", test_case="HappyPath")
    assert_path(execution, ["Validate", "Review"], partial=True)


def test_expected_a_failure(asl_run: AslRun) -> None:
    execution = asl_run(MACHINE, ORDER, mocks="mocks/MockConfigFile.json", test_case="HappyPath")
    assert_failed(execution, error="OrderRejected")


def test_state_never_exited(asl_run: AslRun) -> None:
    execution = asl_run(MACHINE, ORDER, mocks="mocks/MockConfigFile.json", test_case="HappyPath")
    state_output(execution, "Review")
