"""AWS's JSON 1.0 protocol for Step Functions: the service model botocore ships, request
validation with AWS's `ValidationException` messages, error bodies, and a check of responses.

A request is `POST /` with `X-Amz-Target: AWSStepFunctions.<Action>` and a JSON object body;
an error is `{"__type": NAME, "message": TEXT}` with a 4xx or 5xx status.
"""

from __future__ import annotations

import math
import re
from functools import cache
from typing import Any, Final

from ..errors import AslError

__all__ = ["ApiError", "check_response", "operation", "operations", "validate_request"]

TARGET_PREFIX: Final = "AWSStepFunctions."
CONTENT_TYPES: Final = ("application/x-amz-json-1.0", "application/json")


class ApiError(AslError):
    """An error answer of the API: its AWS name (`__type`), message and HTTP status."""

    def __init__(self, name: str, message: str = "", status: int = 400) -> None:
        super().__init__(f"{name}: {message}" if message else name)
        self.name, self.message, self.status = name, message, status

    def body(self) -> dict[str, str]:
        """The error as AWS's JSON protocol sends it."""
        body = {"__type": self.name}
        if self.message:
            body["message"] = self.message
        return body


@cache
def _model() -> Any:
    import botocore.session  # type: ignore[import-untyped]  # botocore ships no types

    return botocore.session.get_session().get_service_model("stepfunctions")


def operations() -> tuple[str, ...]:
    """The names of every action of the Step Functions API."""
    return tuple(_model().operation_names)


def operation(name: str) -> Any:
    """botocore's OperationModel for an action; raises UnknownOperationException for anything else."""
    if name not in operations():
        raise ApiError("UnknownOperationException", f"The action {name!r} is not an action of AWSStepFunctions.")
    return _model().operation_model(name)


# -- requests -------------------------------------------------------------------------------


def validate_request(action: str, body: object) -> dict[str, Any]:
    """The request body of `action`, checked as AWS checks it.

    Raises ApiError: SerializationException when a member has the wrong JSON type,
    ValidationException (every constraint broken, in AWS's words) for the rest.
    """
    shape = operation(action).input_shape
    if not isinstance(body, dict):
        raise ApiError("SerializationException", "The request body must be a JSON object.")
    if shape is None:
        return {}
    problems: list[str] = []
    _check_structure(shape, body, "", problems)
    if problems:
        count = len(problems)
        raise ApiError(
            "ValidationException",
            f"{count} validation error{'s' * (count > 1)} detected: {'; '.join(problems)}",
        )
    return body


def _shown(shape: Any, value: object, where: str) -> str:
    if shape.metadata.get("sensitive"):  # AWS leaves sensitive values out of its messages
        return f"Value at '{where}'"
    if value is None:
        return f"Value null at '{where}'"
    if isinstance(value, list):
        return f"Value '[{', '.join(str(item) for item in value)}]' at '{where}'"
    if isinstance(value, bool):
        return f"Value '{str(value).lower()}' at '{where}'"
    return f"Value '{value}' at '{where}'"


def _check_structure(shape: Any, value: dict[str, Any], prefix: str, problems: list[str]) -> None:
    for name in shape.required_members:
        if value.get(name) is None:
            where = prefix + name
            problems.append(f"Value null at '{where}' failed to satisfy constraint: Member must not be null")
    for name, member in shape.members.items():
        if name in value and value[name] is not None:
            _check(member, value[name], prefix + name, problems)
    # Members the model does not know are ignored, as AWS's service ignores them.


def _wrong_type(where: str, expected: str) -> ApiError:
    return ApiError("SerializationException", f"The member '{where}' must be {expected}.")


def _check(shape: Any, value: object, where: str, problems: list[str]) -> None:  # noqa: C901 - one case per type
    kind = shape.type_name
    limits = shape.metadata
    if kind == "structure":
        if not isinstance(value, dict):
            raise _wrong_type(where, "an object")
        _check_structure(shape, value, f"{where}.", problems)
    elif kind == "list":
        if not isinstance(value, list):
            raise _wrong_type(where, "an array")
        _length(shape, value, len(value), where, problems)
        for index, item in enumerate(value, 1):
            _check(shape.member, item, f"{where}.{index}.member", problems)
    elif kind == "map":
        if not isinstance(value, dict):
            raise _wrong_type(where, "an object")
    elif kind == "string":
        if not isinstance(value, str):
            raise _wrong_type(where, "a string")
        _length(shape, value, len(value), where, problems)
        if shape.enum and value not in shape.enum:
            problems.append(
                f"{_shown(shape, value, where)} failed to satisfy constraint: Member must satisfy enum value set: "
                f"[{', '.join(shape.enum)}]"
            )
        pattern = limits.get("pattern")
        if pattern and not _matches(pattern, value):
            problems.append(
                f"{_shown(shape, value, where)} failed to satisfy constraint: Member must satisfy regular "
                f"expression pattern: {pattern}"
            )
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _wrong_type(where, "an integer")
        _range(shape, value, where, problems)
    elif kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise _wrong_type(where, "a number")
        _range(shape, value, where, problems)
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise _wrong_type(where, "a boolean")
    elif kind == "timestamp":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise _wrong_type(where, "a timestamp")
    elif kind == "blob" and not isinstance(value, str):
        raise _wrong_type(where, "base64 text")


def _length(shape: Any, value: object, length: int, where: str, problems: list[str]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and length < low:
        problems.append(
            f"{_shown(shape, value, where)} failed to satisfy constraint: Member must have length greater than "
            f"or equal to {low}"
        )
    if high is not None and length > high:
        problems.append(
            f"{_shown(shape, value, where)} failed to satisfy constraint: Member must have length less than or "
            f"equal to {high}"
        )


def _range(shape: Any, value: float, where: str, problems: list[str]) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        problems.append(
            f"{_shown(shape, value, where)} failed to satisfy constraint: Member must have value greater than "
            f"or equal to {low}"
        )
    if high is not None and value > high:
        problems.append(
            f"{_shown(shape, value, where)} failed to satisfy constraint: Member must have value less than or "
            f"equal to {high}"
        )


@cache
def _pattern(pattern: str) -> re.Pattern[str] | None:
    # The model's patterns are Java's; `\p{ASCII}` is the one class Python lacks.
    try:
        return re.compile(pattern.replace(r"\p{ASCII}", r"[\x00-\x7f]"))
    except re.error:
        return None


def _matches(pattern: str, value: str) -> bool:
    compiled = _pattern(pattern)
    return compiled is None or compiled.search(value) is not None


# -- responses ------------------------------------------------------------------------------


def check_response(action: str, body: object) -> list[str]:
    """Every way a response body of `action` departs from the service model: a required member
    missing, a member of the wrong type, a member the model does not know. Empty when right."""
    shape = operation(action).output_shape
    problems: list[str] = []
    if shape is None:
        if body != {}:
            problems.append(f"{action} has no output, but the body is {body!r}")
        return problems
    _check_out(shape, body, action, problems)
    return problems


def _check_out(shape: Any, value: object, where: str, problems: list[str]) -> None:  # noqa: C901 - one case per type
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            problems.append(f"{where}: not an object")
            return
        for name in shape.required_members:
            if name not in value:
                problems.append(f"{where}.{name}: required, missing")
        for name, item in value.items():
            member = shape.members.get(name)
            if member is None:
                problems.append(f"{where}.{name}: not in the model")
            else:
                _check_out(member, item, f"{where}.{name}", problems)
    elif kind == "list":
        if not isinstance(value, list):
            problems.append(f"{where}: not an array")
            return
        for index, item in enumerate(value):
            _check_out(shape.member, item, f"{where}[{index}]", problems)
    elif kind == "map":
        if not isinstance(value, dict):
            problems.append(f"{where}: not an object")
    elif kind == "string":
        if not isinstance(value, str):
            problems.append(f"{where}: not a string")
        elif shape.enum and value not in shape.enum:
            problems.append(f"{where}: {value!r} is not one of {shape.enum}")
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{where}: not an integer")
    elif kind in ("float", "double", "timestamp"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"{where}: not a number")
    elif kind == "boolean" and not isinstance(value, bool):
        problems.append(f"{where}: not a boolean")
