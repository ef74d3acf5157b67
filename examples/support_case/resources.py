"""Task resources for the support case example: plain functions, deterministic.

Each round of work answers one customer reply; with replies still to come the case is pending,
once they are all answered it is resolved. A case's `history` lists every status it went through.

Run: python -m asl run examples/support_case/machine.asl.json --input examples/support_case/input.json \
         --resources examples.support_case.resources:RESOURCES --virtual-time
"""

from __future__ import annotations

from typing import Any

AGENTS = {"urgent": "senior-desk", "normal": "first-line"}


def open_case(event: dict[str, Any]) -> dict[str, Any]:
    number = sum(ord(character) for character in event["subject"]) % 10_000
    return {"id": f"CASE-{number:04d}", "customer": event["customer"], "status": "open", "history": ["open"]}


def assign_case(event: dict[str, Any]) -> dict[str, Any]:
    case = event["case"]
    return {
        **case,
        "agent": AGENTS.get(event["priority"], "first-line"),
        "status": "assigned",
        "rounds": 0,
        "history": [*case["history"], "assigned"],
    }


def work_on_case(event: dict[str, Any]) -> dict[str, Any]:
    case = event["case"]
    rounds = case["rounds"] + 1
    status = "pending" if rounds <= len(event["customerReplies"]) else "resolved"
    return {**case, "rounds": rounds, "status": status, "history": [*case["history"], status]}


def close_case(case: dict[str, Any]) -> dict[str, Any]:
    return {**case, "status": "closed", "history": [*case["history"], "closed"]}


RESOURCES = {
    "OpenCase": open_case,
    "AssignCase": assign_case,
    "WorkOnCase": work_on_case,
    "CloseCase": close_case,
}
