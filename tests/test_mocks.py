"""asl.mocks: Step Functions Local mock configuration files, loaded as they are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import asl
from asl import mocks
from asl.errors import AslError

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:work"

MACHINE = asl.parse(
    {
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Task",
                "Resource": LAMBDA,
                "Retry": [{"ErrorEquals": ["Busy"], "MaxAttempts": 3, "IntervalSeconds": 5}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}],
                "Next": "Done",
            },
            "Done": {"Type": "Succeed"},
            "Failed": {"Type": "Pass", "End": True},
        },
    }
)

MAP = asl.parse(
    {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "MaxConcurrency": 1,
                "ItemProcessor": {
                    "StartAt": "Item",
                    "States": {
                        "Item": {
                            "Type": "Task",
                            "Resource": LAMBDA,
                            "Retry": [{"ErrorEquals": ["Busy"], "MaxAttempts": 1, "IntervalSeconds": 1}],
                            "End": True,
                        }
                    },
                },
                "End": True,
            }
        },
    }
)

CONFIG: dict[str, Any] = {
    "StateMachines": {
        "Machine": {
            "TestCases": {
                "HappyPath": {"Work": "Ok"},
                "RetryPath": {"Work": "BusyTwiceThenOk"},
                "Exhausted": {"Work": "OnlyOnce"},
                "Unmocked": {},
            }
        },
        "Mapper": {"TestCases": {"Items": {"Item": "PerItem"}}},
    },
    "MockedResponses": {
        "Ok": {"0": {"Return": {"StatusCode": 200, "Payload": {"ok": True}}}},
        "BusyTwiceThenOk": {
            "0-1": {"Throw": {"Error": "Busy", "Cause": "try later"}},
            "2": {"Return": {"attempt": 3}},
        },
        "OnlyOnce": {"0": {"Throw": {"Error": "Busy", "Cause": "again"}}},
        "PerItem": {
            "0": {"Return": "first"},
            "1": {"Throw": {"Error": "Busy", "Cause": "the second call fails"}},
            "2-3": {"Return": "later"},
        },
    },
}


def run(case: mocks.TestCase, machine: asl.StateMachine = MACHINE, value: Any = None) -> asl.Execution:
    return asl.run(machine, value or {}, task_override=case.override(), clock=asl.VirtualClock(0), seed=0)


def test_load_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "MockConfigFile.json"
    path.write_text(json.dumps(CONFIG))
    config = mocks.load(path)
    assert config.source == str(path)
    assert set(config.state_machines) == {"Machine", "Mapper"}
    assert mocks.load(str(path)).responses["Ok"] == config.responses["Ok"]


def test_load_reads_json_text() -> None:
    assert mocks.load(json.dumps(CONFIG)).test_case("Machine", "HappyPath").responses["Work"].name == "Ok"


def test_return_is_the_task_result_as_given() -> None:
    execution = run(mocks.load(CONFIG).test_case("Machine", "HappyPath"))
    assert execution.output == {"StatusCode": 200, "Payload": {"ok": True}}


def test_ranges_answer_each_invocation_and_retries_advance_the_counter() -> None:
    execution = run(mocks.load(CONFIG).test_case("Machine", "RetryPath"))
    assert execution.status is asl.Status.SUCCEEDED
    assert execution.output == {"attempt": 3}
    failures = [e.details for e in execution.history if e.type == "LambdaFunctionFailed"]
    assert failures == [{"error": "Busy", "cause": "try later"}] * 2


def test_throw_gives_error_and_cause_to_catch() -> None:
    config = mocks.load(
        {
            "StateMachines": {"M": {"TestCases": {"T": {"Work": "Boom"}}}},
            "MockedResponses": {"Boom": {"0": {"Throw": {"Error": "Custom.Error", "Cause": "it broke"}}}},
        }
    )
    execution = run(config.test_case(test_case="T"))
    assert execution.output == {"Error": "Custom.Error", "Cause": "it broke"}


def test_an_invocation_past_the_last_range_fails_the_execution() -> None:
    execution = run(mocks.load(CONFIG).test_case("Machine", "Exhausted"))
    assert execution.status is asl.Status.FAILED  # not retried, not caught
    assert execution.error == "States.Runtime"
    assert "no response for invocation 1 of the state 'Work'" in (execution.cause or "")
    assert "covers invocations 0" in (execution.cause or "")


def test_map_iterations_share_one_counter_per_state() -> None:
    execution = run(mocks.load(CONFIG).test_case("Mapper", "Items"), MAP, [1, 2, 3])
    # item 0: call 0; item 1: call 1 fails (Busy), retried as call 2; item 2: call 3.
    assert execution.output == ["first", "later", "later"]


def test_each_override_starts_its_counters_afresh() -> None:
    case = mocks.load(CONFIG).test_case("Machine", "RetryPath")
    assert run(case).output == run(case).output == {"attempt": 3}


def test_states_outside_the_test_case_call_their_resources() -> None:
    case = mocks.load(CONFIG).test_case("Machine", "Unmocked")
    execution = asl.run(
        MACHINE,
        {},
        resources={LAMBDA: lambda _: "real"},
        task_override=case.override(),
        clock=asl.VirtualClock(0),
    )
    assert execution.output == "real"


def test_returned_values_are_copies() -> None:
    config = mocks.load(CONFIG)
    execution = run(config.test_case("Machine", "HappyPath"))
    execution.output["Payload"]["ok"] = False  # type: ignore[index]
    assert config.responses["Ok"].outcome(0) == mocks.Outcome(result={"StatusCode": 200, "Payload": {"ok": True}})


@pytest.mark.parametrize(
    ("machine", "case", "message"),
    [
        (
            "Nope",
            "HappyPath",
            "no state machine 'Nope' in the mock configuration; it configures: 'Machine', 'Mapper'",
        ),
        (
            "Machine",
            "Nope",
            "no test case 'Nope' for the state machine 'Machine'; its test cases are: 'HappyPath'",
        ),
        (None, "HappyPath", "configures 2 state machines; name one of: 'Machine', 'Mapper'"),
        ("Machine", None, "name a test case of 'Machine'"),
    ],
)
def test_unknown_names_list_what_exists(machine: str | None, case: str | None, message: str) -> None:
    with pytest.raises(mocks.MockNotFound, match=message.replace("(", r"\(")) as raised:
        mocks.load(CONFIG).test_case(machine, case)
    assert isinstance(raised.value, AslError)


def test_check_refuses_states_the_machine_lacks() -> None:
    config = mocks.load(
        {
            "StateMachines": {"M": {"TestCases": {"T": {"Wrok": "R"}}}},
            "MockedResponses": {"R": {"0": {"Return": 1}}},
        }
    )
    with pytest.raises(
        mocks.MockNotFound,
        match="'Wrok', which is not a Task state of the machine; its Task states are: Work",
    ):
        config.test_case("M", "T").check(MACHINE)


def problems(document: Any) -> list[tuple[str, str]]:
    with pytest.raises(mocks.MockConfigError) as raised:
        mocks.load(document)
    assert isinstance(raised.value, AslError)
    return [(problem.path, problem.code) for problem in raised.value.problems]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        pytest.param([], [("", "type")], id="not-an-object"),
        pytest.param({"MockedResponses": {}}, [("", "required")], id="no-state-machines"),
        pytest.param({"StateMachines": {}, "Extra": 1}, [("/Extra", "unknown-field")], id="unknown-top-field"),
        pytest.param({"StateMachines": {"M": {}}}, [("/StateMachines/M", "required")], id="no-test-cases"),
        pytest.param(
            {"StateMachines": {"M": {"TestCases": {"T": {"S": "Missing"}}}}, "MockedResponses": {}},
            [("/StateMachines/M/TestCases/T/S", "unknown-response")],
            id="unknown-response",
        ),
        pytest.param(
            {"StateMachines": {"M": {"TestCases": {"T": {"S": 3}}}}},
            [("/StateMachines/M/TestCases/T/S", "type")],
            id="response-name-not-a-string",
        ),
        pytest.param(
            {"StateMachines": {}, "MockedResponses": {"R": {"first": {"Return": 1}}}},
            [("/MockedResponses/R/first", "invocation")],
            id="bad-invocation-key",
        ),
        pytest.param(
            {"StateMachines": {}, "MockedResponses": {"R": {"3-1": {"Return": 1}}}},
            [("/MockedResponses/R/3-1", "invocation")],
            id="backwards-range",
        ),
        pytest.param(
            {"StateMachines": {}, "MockedResponses": {"R": {"0-2": {"Return": 1}, "2": {"Return": 2}}}},
            [("/MockedResponses/R/2", "overlap")],
            id="overlapping-ranges",
        ),
        pytest.param(
            {"StateMachines": {}, "MockedResponses": {"R": {"0": {"Return": 1, "Throw": {}}}}},
            [("/MockedResponses/R/0", "outcome")],
            id="return-and-throw",
        ),
        pytest.param(
            {"StateMachines": {}, "MockedResponses": {"R": {"0": {}}}},
            [("/MockedResponses/R/0", "outcome")],
            id="neither-return-nor-throw",
        ),
        pytest.param(
            {"StateMachines": {}, "MockedResponses": {"R": {"0": {"Throw": {"Error": "E"}}}}},
            [("/MockedResponses/R/0/Throw", "required")],
            id="throw-without-cause",
        ),
        pytest.param(
            {"StateMachines": {}, "MockedResponses": {"R": {"0": {"Throw": {"Error": 1, "Cause": "c"}}}}},
            [("/MockedResponses/R/0/Throw/Error", "type")],
            id="error-not-a-string",
        ),
        pytest.param(
            {"StateMachines": {}, "MockedResponses": {"a/b~c": []}},
            [("/MockedResponses/a~1b~0c", "type")],
            id="pointer-escapes",
        ),
    ],
)
def test_malformed_files_are_refused_with_pointers(document: Any, expected: list[tuple[str, str]]) -> None:
    assert problems(document) == expected


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps({"StateMachines": {"M": {"TestCases": {"T": {"S": "X"}}}}, "MockedResponses": {"R": {"x": 1}}})
    )
    with pytest.raises(mocks.MockConfigError) as raised:
        mocks.load(path)
    message = str(raised.value)
    assert str(path) in message
    assert "/StateMachines/M/TestCases/T/S: no mocked response named 'X'" in message
    assert "/MockedResponses/R/x:" in message
    assert len(raised.value.problems) == 2


def test_unreadable_and_non_json_files(tmp_path: Path) -> None:
    assert problems(str(tmp_path / "missing.json")) == [("", "unreadable")]
    (tmp_path / "text.json").write_text("{not json")
    assert problems(tmp_path / "text.json") == [("", "json")]
