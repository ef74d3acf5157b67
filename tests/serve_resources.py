"""Task resources for the `asl serve` tests: the server loads them with --resources."""

from __future__ import annotations

from typing import Any


def double(event: Any) -> Any:
    return {"value": event["value"] * 2}


def notify(event: Any) -> Any:
    return {"sent": True}  # the token travels in the TaskScheduled event's parameters


def reject(event: Any) -> Any:
    raise ValueError("no such order")


RESOURCES = {
    "arn:aws:lambda:us-east-1:123456789012:function:double": double,
    "notify": notify,
    "reject": reject,
}
