"""Task resources for the bank account example: plain functions, deterministic.

Those that run side by side (in a Parallel branch or a Map iteration) are async: sync
ones run in worker threads, whose finishing order is up to the threads, and async ones
keep the same order every run, so a seeded run under virtual time repeats event for event.

RequestApproval is a `.waitForTaskToken` task: the reviewer gets the task token and answers it.
Here the reviewer is a function that answers at once through its Lambda-style context
(`context.send_task_success`), as a person would through SendTaskSuccess.

Run: python -m asl run examples/bank_account/machine.asl.json --input examples/bank_account/input.json \
         --resources examples.bank_account.resources:RESOURCES --virtual-time
"""

from __future__ import annotations

from typing import Any

from asl import TaskFailed

# Flags a reviewer may waive; anything else is rejected.
WAIVABLE = {"PO_BOX"}


async def check_name(event: dict[str, Any]) -> dict[str, Any]:
    name = event["name"].strip()
    if not name or any(character.isdigit() for character in name):
        return {"check": "name", "status": "FLAGGED", "reason": "NAME_FORMAT"}
    if len(name.split()) < 2:
        return {"check": "name", "status": "FLAGGED", "reason": "SINGLE_NAME"}
    return {"check": "name", "status": "PASSED"}


async def check_address(event: dict[str, Any]) -> dict[str, Any]:
    address = event["address"]
    if not address:
        raise TaskFailed("AddressMissing", "The application has no address.")
    if address.upper().startswith("PO BOX"):
        return {"check": "address", "status": "FLAGGED", "reason": "PO_BOX"}
    return {"check": "address", "status": "PASSED"}


def review_application(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The reviewer approves when every flag is one they may waive, and answers the task token."""
    reasons = [check["reason"] for check in event["checks"] if check["status"] == "FLAGGED"]
    if all(reason in WAIVABLE for reason in reasons):
        decision = {"decision": "APPROVED", "reviewer": "reviewer-on-duty", "waived": reasons}
    else:
        decision = {"decision": "REJECTED", "reviewer": "reviewer-on-duty", "reason": f"Cannot waive {', '.join(reasons)}."}
    context.send_task_success(decision)
    return {"queued": event["taskToken"] == context.task_token}


def open_account(event: dict[str, Any]) -> dict[str, Any]:
    digits = sum(ord(character) for character in event["name"]) * 7919 % 100_000_000
    return {"accountNumber": f"GB-{digits:08d}", "product": event["product"]}


def send_welcome(event: dict[str, Any]) -> dict[str, Any]:
    return {"messageId": f"welcome-{event['accountNumber']}", "to": event["email"]}


RESOURCES = {
    "CheckName": check_name,
    "CheckAddress": check_address,
    "ReviewApplication": review_application,
    "OpenAccount": open_account,
    "SendWelcome": send_welcome,
}
