"""compiler (through asl.parse): the machine owns its definition; the caller's dict stays the caller's."""

from __future__ import annotations

import copy
from typing import Any

import asl


def definition() -> dict[str, Any]:
    return {
        "StartAt": "Fill",
        "States": {
            "Fill": {"Type": "Pass", "Result": {"items": [1, 2]}, "ResultPath": "$.filled", "Next": "Shape"},
            "Shape": {"Type": "Pass", "Parameters": {"first.$": "$.filled.items[0]", "fixed": {"k": "v"}}, "End": True},
        },
    }


def test_changing_the_dict_after_parse_changes_nothing_about_the_machine() -> None:
    mine = definition()
    machine = asl.parse(mine)
    before = (hash(machine), machine.to_dict(), asl.run(machine, {}).output)
    mine["States"]["Fill"]["Result"]["items"][0] = 99
    mine["States"]["Shape"]["Parameters"]["fixed"]["k"] = "changed"
    mine["States"]["Shape"]["End"] = False
    mine["Comment"] = "added later"
    assert (hash(machine), machine.to_dict(), asl.run(machine, {}).output) == before
    assert before[1] == definition()


def test_parse_leaves_the_callers_dict_as_it_was() -> None:
    mine = definition()
    asl.parse(mine)
    assert mine == definition()


def test_to_dict_is_a_copy_the_caller_may_change() -> None:
    machine = asl.parse(definition())
    copied = machine.to_dict()
    copied["States"]["Fill"]["Result"]["items"].append(3)
    assert machine.to_dict() == definition()
    assert copy.deepcopy(machine.to_dict()) == definition()
