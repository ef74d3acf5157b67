"""asl.coverage: what executions exercised, read from their histories and the machine graph."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asl
from asl.coverage import Coverage

FN = "arn:aws:lambda:us-east-1:123456789012:function:"

DEFINITION: dict[str, Any] = {
    "StartAt": "Check",
    "States": {
        "Check": {
            "Type": "Task",
            "Resource": FN + "check",
            "Retry": [
                {"ErrorEquals": ["Busy"], "MaxAttempts": 2, "IntervalSeconds": 1},
                {"ErrorEquals": ["Flaky"], "MaxAttempts": 1, "IntervalSeconds": 1},
            ],
            "Catch": [
                {"ErrorEquals": ["Invalid"], "ResultPath": "$.error", "Next": "Reject"},
                {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Reject"},
            ],
            "ResultPath": "$.check",
            "Next": "Route",
        },
        "Route": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.check.kind", "StringEquals": "bulk", "Next": "Fan"},
                {"Variable": "$.check.kind", "StringEquals": "many", "Next": "Fan"},
                {"Variable": "$.check.kind", "StringEquals": "split", "Next": "Both"},
            ],
            "Default": "Done",
        },
        "Fan": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "MaxConcurrency": 1,
            "ItemProcessor": {
                "StartAt": "Item",
                "States": {"Item": {"Type": "Task", "Resource": FN + "item", "End": True}},
            },
            "Retry": [{"ErrorEquals": ["ItemBusy"], "MaxAttempts": 1, "IntervalSeconds": 1}],
            "ResultPath": "$.fanned",
            "Next": "Done",
        },
        "Both": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": True}}},
                {"StartAt": "Right", "States": {"Right": {"Type": "Fail", "Error": "RightFailed"}}},
            ],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Done"}],
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
        "Reject": {"Type": "Fail", "Error": "Rejected"},
    },
}
MACHINE = asl.parse(DEFINITION)


def scripted(*outcomes: Any) -> Any:
    calls = iter(outcomes)

    def resource(_: Any) -> Any:
        outcome = next(calls)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return resource


def run(check: Any, item: Any = None, items: list[Any] | None = None) -> asl.Execution:
    resources = {FN + "check": check, FN + "item": item or (lambda n: n)}
    return asl.run(MACHINE, {"items": items or []}, resources=resources, clock=asl.VirtualClock(0), seed=0)


def runs() -> list[asl.Execution]:
    busy, flaky, invalid = (
        asl.TaskFailed("Busy", ""),
        asl.TaskFailed("Flaky", ""),
        asl.TaskFailed("Invalid", ""),
    )
    item_busy = asl.TaskFailed("ItemBusy", "")
    return [
        # Busy twice, then "bulk": Route rule 0; the Map's second item fails once, retried.
        run(scripted(busy, busy, {"kind": "bulk"}), scripted(1, item_busy, 1, 2), [1, 2]),
        # "many" also goes to Fan: rule 1, told apart from rule 0 by evaluating the rules again.
        run(scripted({"kind": "many"}), items=[5]),
        # Flaky once, then "split": the Parallel's Fail branch is caught.
        run(scripted(flaky, {"kind": "split"})),
        # Invalid: Catch 0, though Catch 1 leads to the same state.
        run(scripted(invalid)),
    ]


def test_the_report_of_a_machine_with_every_kind_of_item() -> None:
    coverage = Coverage()
    for execution in runs():
        coverage.record(MACHINE, execution, label="machines/coverage.asl.json")
    assert coverage.report() == {
        "version": 1,
        "machines": {
            "machines/coverage.asl.json": {
                "executions": 4,
                "covered": 20,
                "total": 22,
                "percent": 90.9,
                "states": {
                    "Check": {"type": "Task", "entered": 4},
                    "Route": {"type": "Choice", "entered": 3},
                    "Fan": {"type": "Map", "entered": 2},
                    "Item": {"type": "Task", "entered": 5},
                    "Both": {"type": "Parallel", "entered": 1},
                    "Left": {"type": "Pass", "entered": 1},
                    "Right": {"type": "Fail", "entered": 1},
                    "Done": {"type": "Succeed", "entered": 3},
                    "Reject": {"type": "Fail", "entered": 1},
                },
                "choices": {
                    "Route": {
                        "rules": [
                            {"index": 0, "next": "Fan", "count": 1},
                            {"index": 1, "next": "Fan", "count": 1},
                            {"index": 2, "next": "Both", "count": 1},
                        ],
                        "default": {"next": "Done", "count": 0},
                    }
                },
                "retries": {
                    "Check": [
                        {"index": 0, "error_equals": ["Busy"], "count": 2},
                        {"index": 1, "error_equals": ["Flaky"], "count": 1},
                    ],
                    "Fan": [{"index": 0, "error_equals": ["ItemBusy"], "count": 1}],
                },
                "catches": {
                    "Check": [
                        {"index": 0, "error_equals": ["Invalid"], "next": "Reject", "count": 1},
                        {"index": 1, "error_equals": ["States.ALL"], "next": "Reject", "count": 0},
                    ],
                    "Both": [{"index": 0, "error_equals": ["States.ALL"], "next": "Done", "count": 1}],
                },
                "branches": {
                    "Fan": [{"index": 0, "start_at": "Item", "count": 5}],  # 2, 2 again (retried), 1
                    "Both": [
                        {"index": 0, "start_at": "Left", "count": 1},
                        {"index": 1, "start_at": "Right", "count": 1},
                    ],
                },
                "missing": [
                    "Catch 'Check'[1] (States.ALL -> 'Reject')",
                    "Choice 'Route' Default (-> 'Done')",
                ],
            }
        },
    }


def test_the_json_file_and_the_table(tmp_path: Path) -> None:
    coverage = Coverage()
    for execution in runs()[:2]:
        coverage.record(MACHINE, execution, label="a.asl.json")
    coverage.record(asl.parse({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}), runs()[0], label="b")
    path = tmp_path / "coverage.json"
    coverage.write_json(path)
    assert json.loads(path.read_text()) == coverage.report()
    lines = coverage.table(missing_limit=2).splitlines()
    assert lines[0].split() == ["Machine", "Items", "Covered", "Percent", "Missing"]
    assert lines[1].startswith("a.asl.json")
    assert "+" in lines[1] and "more" in lines[1]
    assert lines[-1].split()[:2] == ["TOTAL", "23"]


def test_a_caught_error_that_goes_to_next_is_still_a_catch() -> None:
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": FN + "t",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "N"}],
                "Next": "N",
            },
            "N": {"Type": "Succeed"},
        },
    }
    machine = asl.parse(definition)
    coverage = Coverage()
    for resource in (lambda _: 1, scripted(asl.TaskFailed("E", ""))):
        coverage.record(machine, asl.run(machine, {}, resources={FN + "t": resource}, clock=asl.VirtualClock(0)))
    report = next(iter(coverage.report()["machines"].values()))  # type: ignore[union-attr]
    assert report["catches"]["T"][0]["count"] == 1  # type: ignore[index]


def test_one_label_for_two_definitions_keeps_them_apart() -> None:
    first = asl.parse({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    second = asl.parse({"StartAt": "Q", "States": {"Q": {"Type": "Pass", "End": True}}})
    coverage = Coverage()
    coverage.record(first, asl.run(first, {}), label="m")
    coverage.record(second, asl.run(second, {}), label="m")
    assert len(coverage) == 2
    assert coverage.machine("m").report()["states"] == {"P": {"type": "Pass", "entered": 1}}
