"""Tests of machines/order.asl.json through asl's pytest plugin: every fixture and helper."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import asl
from asl.coverage import Coverage
from asl.pytest_plugin import AslExecute, AslRun, AslStart, MachineLoader
from asl.testing import (
    assert_failed,
    assert_path,
    assert_succeeded,
    state_input,
    state_output,
    state_path,
    task_outcomes,
)
from asl.teststate import TestStatus, test_state

MACHINE = "../machines/order.asl.json"  # relative to this file (tests/)
MOCKS = "mocks/MockConfigFile.json"  # relative to the rootdir (this project)
ORDER = {"id": "o-1", "items": ["book", "pen"]}


def validate(order: dict[str, object]) -> dict[str, object]:
    return {"total": 10 * len(order["items"]), "express": False}  # type: ignore[arg-type]


def label(event: dict[str, object]) -> dict[str, object]:
    return {"tracking": f"TRK-{event['id']}"}


def pack(item: str) -> dict[str, object]:
    return {"packed": item}


RESOURCES = {"validate": validate, "label": label, "pack": pack}


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_machine_loads_once(asl_machine: MachineLoader) -> None:
    machine = asl_machine(MACHINE)
    assert machine is asl_machine(MACHINE)
    assert list(machine.states)[:2] == ["Validate", "Route"]


def test_happy_path_with_resources(asl_run: AslRun) -> None:
    execution = asl_run(MACHINE, ORDER, resources=RESOURCES)
    assert_succeeded(execution)
    assert_path(execution, ["Validate", "Route", "Ship", "Done"], within=["Validate", "Route", "Ship", "Done"])
    assert_path(execution, ["Validate", "Label", "Done"], partial=True)
    assert state_output(execution, "Validate")["validated"] == {"total": 20, "express": False}
    assert state_input(execution, "PackItem", 1) == "pen"
    assert execution.output["shipment"] == {
        "tracking": "TRK-o-1",
        "packed": [{"packed": "book"}, {"packed": "pen"}],
    }


def test_path_within_a_graph(asl_run: AslRun, asl_machine: MachineLoader) -> None:
    machine = asl_machine(MACHINE)
    execution = asl_run(machine, ORDER, resources=RESOURCES)
    assert state_path(execution, within=machine) == ["Validate", "Route", "Ship", "Done"]
    assert state_path(execution).count("PackItem") == 2


def test_big_order_waits_a_day_of_virtual_time(asl_run: AslRun) -> None:
    began = time.monotonic()
    execution = asl_run(MACHINE, ORDER, mocks=MOCKS, test_case="BigOrder")
    assert time.monotonic() - began < 5
    assert_path(execution, ["Validate", "Route", "Review", "Ship", "Done"], within=asl.parse(MACHINE_PATH()))
    assert execution.stop_time - execution.start_time >= 86400


def MACHINE_PATH() -> str:  # noqa: N802 - reads like the constant it stands for
    from pathlib import Path

    return str(Path(__file__).parent.parent / "machines" / "order.asl.json")


def test_mocked_happy_path(asl_run: AslRun) -> None:
    execution = asl_run(MACHINE, ORDER, mocks=MOCKS, test_case="HappyPath")
    assert_succeeded(execution)
    assert execution.output["shipment"] == {
        "tracking": "TRK-1",
        "packed": [{"packed": True}, {"packed": True}],
    }


def test_mocked_retries_count_every_invocation(asl_run: AslRun) -> None:
    execution = asl_run(MACHINE, ORDER, mocks=MOCKS, test_case="Throttled")
    assert_succeeded(execution)
    assert state_path(execution).count("Validate") == 1
    failures = [e for e in execution.history if e.type == "LambdaFunctionFailed"]
    # Validate is throttled twice; the packer jams on its second invocation (the second item).
    assert [e.details["error"] for e in failures] == [
        "Lambda.TooManyRequestsException",
        "Lambda.TooManyRequestsException",
        "States.TaskFailed",
    ]


def test_mocked_rejection(asl_run: AslRun) -> None:
    execution = asl_run(MACHINE, ORDER, mocks=MOCKS, test_case="Rejected")
    assert_failed(execution, error="OrderRejected", cause="The order did not validate.")
    assert_failed(execution, cause=re.compile(r"did not validate"))
    assert state_output(execution, "Validate")["error"] == {"Error": "InvalidOrder", "Cause": "No items."}


def test_unknown_test_case_names_the_ones_that_exist(asl_run: AslRun) -> None:
    with pytest.raises(asl.AslError, match="HappyPath"):
        asl_run(MACHINE, ORDER, mocks=MOCKS, test_case="NoSuchCase")


@pytest.mark.anyio
async def test_async_run(asl_execute: AslExecute) -> None:
    execution = await asl_execute(MACHINE, ORDER, mocks=MOCKS, test_case="HappyPath")
    assert_succeeded(execution)
    assert_path(execution, ["Validate", "Route", "Ship", "Done"], partial=True)


@pytest.mark.anyio
async def test_sync_runner_refuses_an_event_loop(asl_run: AslRun) -> None:
    with pytest.raises(asl.AslError, match="asl_execute"):
        asl_run(MACHINE, ORDER, resources=RESOURCES)


def test_runs_outside_the_fixtures_can_be_recorded(asl_machine: MachineLoader, asl_coverage: Coverage) -> None:
    machine = asl_machine(MACHINE)
    execution = asl.run(machine, {"id": "o-2", "items": []}, resources=RESOURCES, clock=asl.VirtualClock(0), seed=1)
    asl_coverage.record(machine, execution, label="machines/order.asl.json")
    assert_succeeded(execution)


def test_one_state_by_itself(asl_machine: MachineLoader) -> None:
    machine = asl_machine(MACHINE)
    routed = test_state(machine, "Route", input={"validated": {"total": 5, "express": True}})
    assert (routed.status, routed.next_state) == (TestStatus.SUCCEEDED, "Ship")
    throttled = test_state(
        machine,
        "Validate",
        input=ORDER,
        mock=asl.TaskFailed("Lambda.TooManyRequestsException", "slow down"),
        inspection_level="DEBUG",  # inspection data, errorDetails included, is sent from DEBUG on
    )
    assert throttled.status is TestStatus.RETRIABLE
    assert throttled.inspection_data["errorDetails"] == {"retryIndex": 0, "retryBackoffIntervalSeconds": 2}


@settings(max_examples=40, deadline=None, database=None)
@given(
    outcomes=task_outcomes(
        asl.parse(MACHINE_PATH()),
        results={
            "Validate": st.fixed_dictionaries({"total": st.integers(0, 300), "express": st.booleans()}),
            "Label": st.fixed_dictionaries({"Payload": st.fixed_dictionaries({"tracking": st.text(max_size=5)})}),
        },
    )
)
def test_never_ends_in_an_unhandled_failure(outcomes: object) -> None:
    execution = asl.run(asl.parse(MACHINE_PATH()), ORDER, task_override=outcomes, clock=asl.VirtualClock(0), seed=0)
    if execution.status is not asl.Status.SUCCEEDED:
        assert_failed(execution, error="OrderRejected")


NOTIFY = {"arn:aws:states:::sqs:sendMessage.waitForTaskToken": lambda message: None}


@pytest.mark.anyio
async def test_a_manager_approves(asl_start: AslStart) -> None:
    import anyio

    async with asl_start("../machines/approval.asl.json", {"amount": 1450}, resources=NOTIFY) as execution:
        while not execution.task_tokens:  # until the Task asks
            await anyio.sleep(0.001)  # real time: the virtual clock waits for this test
        execution.send_task_success(execution.task_tokens[0], {"approved": True})
    assert_succeeded(execution, output={"approved": True})


@pytest.mark.anyio
async def test_a_token_answered_from_the_events(asl_start: AslStart) -> None:
    async with asl_start(MACHINE, ORDER, resources=RESOURCES) as execution:
        entered = [event.details["name"] async for event in execution.events() if event.type == "TaskStateEntered"]
    assert entered[0] == "Validate"
    assert_succeeded(execution)


def test_a_definition_runs_as_a_file_does(asl_run: AslRun) -> None:
    execution = asl_run({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, ORDER)
    assert_succeeded(execution, output=ORDER)
    with pytest.raises(TypeError, match=r"^asl_run\(\) got an unexpected keyword argument 'type'"):
        asl_run(MACHINE, ORDER, type="EXPRESS")
