"""errors: one tree, drawn in the docstring; what an error is and which names cover it live on
the error itself, not in flags set on it afterwards."""

from __future__ import annotations

import random
import re

import anyio
import pytest

import asl
from asl import errors
from asl.clock import VirtualClock
from asl.model import State
from asl.resources import Resolver
from asl.runtime import Limits, Run, locate

ARN = "arn:aws:lambda:us-east-1:123456789012:function:work"


def drawn() -> set[str]:
    return set(re.findall(r"[├└]── (\w+)", errors.__doc__ or ""))


def test_the_drawn_tree_and_all_name_every_exception_class() -> None:
    classes = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.AslError) and value is not errors.AslError
    }
    assert "InvalidName" in classes
    assert classes == drawn()
    assert classes <= set(errors.__all__)


def test_the_drawn_tree_shows_each_class_under_its_parent() -> None:
    parents: list[tuple[int, str]] = [(-1, "AslError")]  # (column of the name, name)
    for line in (errors.__doc__ or "").splitlines():
        match = re.search(r"[├└]── (\w+)", line)
        if match is None:
            continue
        column = match.start(1)
        while parents[-1][0] >= column:
            parents.pop()
        assert getattr(errors, match.group(1)).__bases__[0] is getattr(errors, parents[-1][1]), line
        parents.append((column, match.group(1)))


def test_a_heartbeat_timeout_is_a_timeout_named_as_aws_records_it() -> None:
    error = errors.HeartbeatTimeout("")
    assert isinstance(error, errors.Timeout)
    assert error.error == "States.Timeout"
    assert error.matches("States.HeartbeatTimeout") and error.matches("States.Timeout")
    assert not error.matches("States.TaskFailed")


def test_a_plain_timeout_is_not_a_heartbeat_timeout() -> None:
    assert not errors.Timeout("").matches("States.HeartbeatTimeout")


@pytest.mark.parametrize(
    ("name", "covered"),
    [("Custom", True), ("States.ALL", True), ("States.TaskFailed", True), ("Other", False)],
)
def test_which_error_equals_names_cover_a_custom_error(name: str, covered: bool) -> None:
    assert errors.TaskFailed("Custom").matches(name) is covered


@pytest.mark.anyio
async def test_a_timeout_is_not_caught_by_a_heartbeat_catcher() -> None:
    async def never(event: object) -> None:
        await anyio.sleep_forever()

    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": ARN,
                "TimeoutSeconds": 5,
                "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Succeed"},
        },
    }
    execution = await asl.execute(asl.parse(definition), {}, resources={ARN: never}, clock=VirtualClock())
    assert (execution.status, execution.error) == ("FAILED", "States.Timeout")


def test_an_error_is_located_once_in_the_state_it_arose_in() -> None:
    error = errors.RuntimeFailure("bad path")
    inner, outer = State(name="Inner", kind="Pass"), State(name="Outer", kind="Parallel")
    locate(error, inner, 3)
    locate(error, outer, 2)
    assert error.state_name == "Inner"
    assert error.cause == "An error occurred while executing the state 'Inner' (entered at the event id #3). bad path"


def test_an_oversized_output_is_an_uncatchable_data_limit_error_of_its_own_class() -> None:
    resolver = Resolver(None, "us-east-1", "123456789012")
    run = Run(VirtualClock(), resolver, random.Random(0), {}, Limits(payload_bytes=8))
    with pytest.raises(errors.OutputLimitExceeded) as caught:
        run.check_size("a long string", "S")
    assert not caught.value.catchable and "catchable" not in vars(caught.value)
    with pytest.raises(errors.DataLimitExceeded) as caught:
        run.check_size("a long string", "S", catchable=True)
    assert type(caught.value) is errors.DataLimitExceeded and caught.value.catchable
