"""Any request to `asl serve`'s actions gets an answer or one of AWS's errors, never a crash:
request bodies drawn from the service model's member names, with values of any JSON type
(or of the member's own type, with plausible ARNs and JSON text)."""

from __future__ import annotations

import json
from typing import Any

import anyio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asl.server import Service
from asl.server.protocol import ApiError, check_response, operation, operations, validate_request
from strategies import json_values, texts

ROLE = "arn:aws:iam::123456789012:role/R"
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:M"
ARNS = [
    MACHINE,
    f"{MACHINE}:1",
    f"{MACHINE}:live",
    f"{MACHINE}#Case",
    "arn:aws:states:us-east-1:123456789012:execution:M:e",
    "arn:aws:states:us-east-1:123456789012:express:M:e:u",
    "arn:aws:states:us-east-1:123456789012:activity:A",
    "arn:aws:states:us-east-1:123456789012:mapRun:M/Map:u",
    "arn:aws:states:us-east-1:123456789012:stateMachine",
    "arn:aws:lambda:us-east-1:123456789012:function:f",
    ROLE,
]
DEFINITIONS = [
    json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}),
    json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": True}}}),
    json.dumps({"Type": "Pass", "End": True}),
    "/etc/passwd",
    "{",
]
ACTIONS = sorted(operations())


def member_values(shape: Any) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    if kind == "string":
        if shape.enum:
            return st.sampled_from(list(shape.enum))
        known = st.sampled_from(ARNS + DEFINITIONS + ["e", "M", "{}", "[1]", '{"a": 1}'])
        return st.one_of(known, known, known, texts)
    if kind in ("integer", "long"):
        return st.integers(min_value=-5, max_value=2000)
    if kind in ("float", "double"):
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "list":
        return st.lists(member_values(shape.member), max_size=3)
    if kind == "structure":
        return st.fixed_dictionaries({}, optional={k: member_values(v) for k, v in shape.members.items()})
    return json_values


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, Any]:
    action = draw(st.sampled_from(ACTIONS))
    shape = operation(action).input_shape
    if shape is None or draw(st.integers(0, 9)) == 0:
        return action, draw(json_values)
    junk = draw(st.integers(0, 9)) == 0  # now and then, values of any JSON type
    members = {
        name: st.one_of(member_values(member), json_values) if junk else member_values(member)
        for name, member in shape.members.items()
    }
    required = {name: members.pop(name) for name in shape.required_members if draw(st.integers(0, 9)) > 0}
    return action, draw(st.fixed_dictionaries(required, optional=members))


async def answer(service: Service, action: str, body: Any) -> None:
    try:
        checked = validate_request(action, body)
        with anyio.fail_after(10):
            response = await service.handle(action, checked)
    except ApiError as error:
        assert error.name and 400 <= error.status < 600 and error.status != 500
        return
    assert check_response(action, json.loads(json.dumps(response))) == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(requests(), min_size=1, max_size=6))
def test_every_request_gets_an_answer_or_an_aws_error(calls: list[tuple[str, Any]]) -> None:
    async def main() -> None:
        service = Service(poll_seconds=0.01)
        async with service.running_in():
            await service.create_state_machine({"name": "M", "definition": DEFINITIONS[0], "roleArn": ROLE})
            await service.create_activity({"name": "A"})
            for action, body in calls:
                await answer(service, action, body)

    anyio.run(main)
