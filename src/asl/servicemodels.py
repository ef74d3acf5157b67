"""A mocked Task result checked against the response shape of the service API it stands for.

TestState validates `mock.result` against the API model of the integration the Task calls
(`fieldValidationMode`): STRICT requires every required field and checks the type and limits of
every field present; PRESENT checks only the fields present; NONE checks nothing. The models are
the ones botocore ships (the `aws` extra); they are loaded only when a check needs one.

    mock_problem("arn:aws:states:::aws-sdk:kms:encrypt", {"CiphertextBlob": 1}, "STRICT")
    # "Mock result schema validation error: Field 'CiphertextBlob' must be a string"
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Final, Literal

from . import resources
from .context import JSON
from .errors import AslError

__all__ = ["MODES", "FieldValidationMode", "mock_problem", "output_shape"]

FieldValidationMode = Literal["STRICT", "PRESENT", "NONE"]
MODES: Final = ("STRICT", "PRESENT", "NONE")
_PREFIX: Final = "Mock result schema validation error: "

# Integration names that are not botocore's name for the same service.
_OPTIMIZED: Final = {"states": "stepfunctions", "elasticmapreduce": "emr", "bedrock": "bedrock-runtime"}
_SDK: Final = {
    "sfn": "stepfunctions",
    "eventbridge": "events",
    "cloudwatchlogs": "logs",
    "elasticloadbalancingv2": "elbv2",
    "elasticloadbalancing": "elb",
}
# Optimized integrations whose answer is not an AWS API response: nothing to check them against.
_NOT_APIS: Final = frozenset({"apigateway", "http"})
_NUMBERS: Final = ("integer", "long", "float", "double")
_TEXT: Final = ("string", "blob", "timestamp")


class _Misfit(Exception):
    """Where the mocked result first departs from the shape (AWS's message)."""


def mock_problem(resource: str, result: JSON, mode: str = "STRICT") -> str | None:
    """Why a mocked Task result does not fit its integration's API response shape (AWS's
    message), or None when it fits or there is nothing to check it against.

    Raises AslError when a check needs botocore's models and botocore is not installed.
    """
    if mode == "NONE":
        return None
    shape = output_shape(resource)
    if shape is None:
        return None
    try:
        if not isinstance(result, dict):
            raise _Misfit(f"{_PREFIX}The mocked result must be a JSON object")
        _structure(shape, result, strict=mode == "STRICT")
    except _Misfit as misfit:
        return str(misfit)
    return None


def output_shape(resource: str) -> Any | None:
    """The botocore output shape of the API a Task's Resource calls; None when it calls no AWS API.

    Only request-response integrations (`arn:aws:states:::SERVICE:ACTION` and
    `arn:aws:states:::aws-sdk:SERVICE:ACTION`) answer with their API's response; `.sync` and
    `.waitForTaskToken` ones answer with something else, and Lambda ARNs and activities with
    whatever the worker returns.
    """
    target = resources.classify(resource)
    if target.style not in ("service", "lambda-invoke") or target.pattern:
        return None
    service, action = target.resource_type, target.api
    if service.startswith("aws-sdk:"):
        name = service.removeprefix("aws-sdk:")
        service = _SDK.get(name, name)
    elif service in _NOT_APIS:
        return None
    else:
        service = _OPTIMIZED.get(service, service)
    return _shape(service, action.lower())


@functools.lru_cache(maxsize=64)
def _shape(service: str, action: str) -> Any | None:
    model = _model(service)
    if model is None:
        return None
    operation = {name.lower(): name for name in model.operation_names}.get(action)
    return model.operation_model(operation).output_shape if operation is not None else None


@functools.lru_cache(maxsize=32)
def _model(service: str) -> Any | None:
    try:
        import botocore.exceptions  # type: ignore[import-untyped]  # botocore ships no type hints
    except ImportError:  # botocore comes with the `aws` extra
        raise AslError(
            "checking a mocked result against the service's API needs botocore: pip install 'asl-local[aws]' "
            "(or pass mock_field_validation_mode='NONE')"
        ) from None
    session = _session()
    # The SDK integrations name services as the Java SDK does (`acmpca`, `emrserverless`);
    # botocore may spell the same name with hyphens (`acm-pca`, `emr-serverless`).
    known = {name.replace("-", ""): name for name in session.get_available_services()}
    try:
        return session.get_service_model(known.get(service.replace("-", ""), service))
    except botocore.exceptions.UnknownServiceError:
        return None  # a service botocore does not know: nothing to check against


@functools.lru_cache(maxsize=1)
def _session() -> Any:
    import botocore.session  # type: ignore[import-untyped]

    return botocore.session.get_session()


def _field(name: str) -> str:
    """The member's name as Step Functions returns it: the first letter capitalized."""
    return name[:1].upper() + name[1:]


def _structure(shape: Any, value: Mapping[str, JSON], *, strict: bool) -> None:
    members = {_field(name): member for name, member in shape.members.items()}
    if strict:
        for name in shape.required_members:
            if _field(name) not in value:
                raise _Misfit(f"{_PREFIX}Required field '{_field(name)}' is missing")
    payload = shape.serialization.get("payload")
    for key, item in value.items():
        member = members.get(key)
        if member is None:  # fields the API does not name (SdkHttpMetadata, ...) are let through
            continue
        if payload is not None and _field(payload) == key and member.type_name == "blob":
            continue  # the HTTP body (Lambda's Payload): Step Functions passes it on as parsed JSON
        _value(key, member, item, strict=strict)


def _value(name: str, shape: Any, value: JSON, *, strict: bool) -> None:  # noqa: C901 - one branch per type
    kind = shape.type_name
    if value is None:
        return
    if kind == "structure":
        if not isinstance(value, dict):
            raise _Misfit(f"{_PREFIX}Field '{name}' must be an object")
        _structure(shape, value, strict=strict)
    elif kind == "list":
        if not isinstance(value, list):
            raise _Misfit(f"{_PREFIX}Field '{name}' must be an array")
        for item in value:
            _value(name, shape.member, item, strict=strict)
    elif kind == "map":
        if not isinstance(value, dict):
            raise _Misfit(f"{_PREFIX}Field '{name}' must be an object")
        for item in value.values():
            _value(name, shape.value, item, strict=strict)
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise _Misfit(f"{_PREFIX}Field '{name}' must be a boolean")
    elif kind in _NUMBERS:
        _number(name, shape, value)
    elif kind in _TEXT:
        if not isinstance(value, str):
            raise _Misfit(f"{_PREFIX}Field '{name}' must be a string")
        _text(name, shape, value)


def _number(name: str, shape: Any, value: JSON) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Misfit(f"{_PREFIX}Field '{name}' must be a number")
    if shape.type_name in ("integer", "long") and not float(value).is_integer():
        raise _Misfit(f"{_PREFIX}Field '{name}' must be an integer")
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and value < low:
        raise _Misfit(f"{_PREFIX}Field '{name}' is less than the minimum value")
    if high is not None and value > high:
        raise _Misfit(f"{_PREFIX}Field '{name}' is greater than the maximum value")


def _text(name: str, shape: Any, value: str) -> None:
    enum = getattr(shape, "enum", None)
    if enum and value not in enum:
        raise _Misfit(f"{_PREFIX}Field '{name}' is not an expected value")
    if shape.type_name == "timestamp":
        return
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and len(value) < low:
        raise _Misfit(f"{_PREFIX}Field '{name}' is smaller than the minimum length")
    if high is not None and len(value) > high:
        raise _Misfit(f"{_PREFIX}Field '{name}' is larger than the maximum length")
