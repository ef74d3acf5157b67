"""Task resources for the approval example: plain functions, deterministic.

RequestApproval is a `.waitForTaskToken` task: its message (here, nowhere: this function stands
in for SQS) carries the task token to a person, whose answer completes the Task. `asl run` asks
for that answer on standard input; with none, the request expires after a day of virtual time.

Run: echo 'success {"approved": true}' | python -m asl run examples/approval/machine.asl.json \
         --input examples/approval/input.json --resources examples.approval.resources:RESOURCES --virtual-time
"""

from __future__ import annotations

from typing import Any


def send_message(message: dict[str, Any]) -> dict[str, Any]:
    return {"MessageId": f"msg-{message['MessageBody']['amount']}"}


def place_order(event: dict[str, Any]) -> dict[str, Any]:
    return {"orderId": f"PO-{event['amount']:06d}"}


RESOURCES = {
    "arn:aws:states:::sqs:sendMessage.waitForTaskToken": send_message,
    "PlaceOrder": place_order,
}
