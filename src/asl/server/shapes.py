"""The values of the Step Functions API that `asl serve` checks and makes: names, ARNs, JSON
text, pages of results, error fields.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import time
from collections.abc import Mapping
from typing import Any, Final

from ..context import JSON
from ..errors import Problem
from ..runtime import ACCOUNT, REGION
from .protocol import ApiError, operation

PREFIX: Final = f"arn:aws:states:{REGION}:{ACCOUNT}:"
# AWS's rule for names of state machines, executions and activities.
NAME: Final = re.compile(r'[^\s\x00-\x1f\x7f-\x9f<>{}\[\]?*"#%\\^|~`$&,;:/]{1,80}')
ALIAS_NAME: Final = re.compile(r"(?=.*[a-zA-Z_\-.])[a-zA-Z0-9_\-.]{1,80}")


def now() -> float:
    """The time now, in epoch seconds (the JSON protocol's timestamps)."""
    return time.time()


def checked_name(name: str) -> str:
    """`name` when AWS accepts it for a state machine, execution or activity; InvalidName otherwise."""
    if not NAME.fullmatch(name):
        raise ApiError("InvalidName", f"Invalid Name: '{name}'")
    return name


def checked_role(arn: str) -> str:
    """`arn` when it is an IAM role ARN; InvalidArn otherwise (no role is ever assumed here)."""
    if not re.fullmatch(r"arn:aws[\w-]*:iam::\d{12}:role/\S+", arn):
        raise ApiError("InvalidArn", f"Invalid Arn: 'Invalid ARN prefix: {arn}'")
    return arn


def checked_arn(arn: str, *kinds: str) -> str:
    """`arn` when it is a Step Functions ARN of one of `kinds`; InvalidArn otherwise, in AWS's words."""
    parts = arn.split(":")
    if len(parts) < 7 or parts[0] != "arn" or parts[2] != "states":
        raise ApiError("InvalidArn", f"Invalid Arn: 'Invalid ARN prefix: {arn}'")
    if parts[5] not in kinds:
        raise ApiError("InvalidArn", f"Invalid Arn: 'Resource type not valid in this context: {parts[5]}'")
    return arn


def pick(routing: list[tuple[str, int]]) -> str:
    """The version an alias routes one execution to, drawn by weight."""
    ticket = secrets.randbelow(100)
    for arn, weight in routing:
        if ticket < weight:
            return arn
        ticket -= weight
    return routing[-1][0]


def json_input(text: str) -> JSON:
    """JSON text of an execution (input, output, variables) parsed; InvalidExecutionInput otherwise."""
    try:
        value: JSON = json.loads(text)
    except ValueError as error:
        raise ApiError("InvalidExecutionInput", f"Invalid State Machine Execution Input: '{error}'") from None
    return value


def json_definition(text: str) -> Any:
    """A definition's JSON text parsed (never a file name); InvalidDefinition otherwise."""
    try:
        return json.loads(text)
    except ValueError as error:
        raise ApiError(
            "InvalidDefinition", f"Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: {error}'"
        ) from None


def text_problems(definition: str) -> tuple[Problem, ...]:
    """The problems of a definition that is not even a JSON object (asl.validate would read a
    string as a file name: a request must never make the server read a file)."""
    try:
        value = json.loads(definition)
    except ValueError as error:
        return (Problem("", "INVALID_JSON_DESCRIPTION", str(error)),)
    if not isinstance(value, dict):
        return (Problem("", "SCHEMA_VALIDATION_FAILED", "The definition must be a JSON object"),)
    return ()


def definition_message(problems: tuple[Problem, ...]) -> str:
    """InvalidDefinition's message: every problem, with its code and JSON Pointer."""
    shown = ", ".join(f"{p.code}: {p.message}{f' at {p.path}' if p.path else ''}" for p in problems)
    return f"Invalid State Machine Definition: '{shown}'"


def tags_of(items: list[dict[str, Any]]) -> dict[str, str]:
    """The API's `[{"key", "value"}]` tags as a mapping."""
    return {item.get("key", ""): item.get("value", "") for item in items}


def error_fields(error: str | None, cause: str | None) -> dict[str, str]:
    """`error` and `cause` members for a response, each only when it has a value (as AWS sends them)."""
    fields = {}
    if error:
        fields["error"] = error
    if cause:
        fields["cause"] = cause
    return fields


def page(body: dict[str, Any], key: str, items: list[Any]) -> dict[str, Any]:
    """One page of `items`: `maxResults` of them (0 or absent: 100), from `nextToken` on."""
    size = body.get("maxResults") or 100
    start = 0
    if token := body.get("nextToken"):
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix(f"{key}:"))
        except (ValueError, binascii.Error):
            raise ApiError("InvalidToken", f"Invalid Token: '{token}'") from None
        if not 0 <= start <= len(items):
            raise ApiError("InvalidToken", f"Invalid Token: '{token}'")
    answer: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        answer["nextToken"] = base64.urlsafe_b64encode(f"{key}:{start + size}".encode()).decode()
    return answer


def inspection(data: Mapping[str, Any]) -> dict[str, Any]:
    """TestState's inspection data in the API's shape: payloads as JSON text, structures with
    the members the model gives them (a Task's TRACE `request` and `response` are an HTTP
    Task's; those of other resources do not fit and are left out), nothing the model lacks."""
    shape = operation("TestState").output_shape.members["inspectionData"]
    return fitted(shape, dict(data)) or {}


def fitted(shape: Any, value: Any) -> Any:
    """`value` as a member of `shape`: JSON text where the model has a string, structures
    narrowed to the members it knows; None when it cannot fit."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, Mapping):
            return None
        members = {key: fitted(shape.members[key], item) for key, item in value.items() if key in shape.members}
        return {key: item for key, item in members.items() if item is not None and item != {}}
    if kind == "string":
        return (
            value
            if isinstance(value, str) and shape.name != "SensitiveData"
            else json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        )
    if kind in ("integer", "long"):
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if kind in ("float", "double"):
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if kind == "boolean":
        return value if isinstance(value, bool) else None
    return None
