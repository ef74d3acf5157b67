"""Task resources: Python callables behind ARNs, invoked the way AWS invokes Lambda functions.

A resource is any callable taking `(input)` or Lambda's `(event, context)`, sync or async.
Sync callables run in a worker thread so they never block other branches. Exceptions become
ASL errors as AWS reports them: `TaskFailed` keeps its name and cause; any other exception is
named after its class, and for Lambda functions its cause is the Lambda runtime's JSON.
"""

from __future__ import annotations

import inspect
import json
import re
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, Final

import anyio.to_thread

from .context import JSON
from .errors import DataLimitExceeded, ExecutionError, ResourceError, RuntimeFailure, TaskFailed

__all__ = ["Invocation", "Resolver", "Target"]

Resource = Callable[..., Any]

PAYLOAD_LIMIT: Final = 262144
_LAMBDA_ARN = re.compile(r"^arn:[\w-]+:lambda:([\w-]+):(\d{12}):function:([^:]+)(?::([^:]+))?$")
_SERVICE_ARN = re.compile(r"^arn:[\w-]+:states:::([\w-]+(?::[\w-]+)?):([\w.-]+?)(\.sync(?::2)?|\.waitForTaskToken)?$")


@dataclass(frozen=True, slots=True)
class Target:
    """What a Task's Resource names: how it is invoked and how its history events are shaped."""

    resource: str
    style: str  # "lambda-arn" | "lambda-invoke" | "service" | "custom"
    resource_type: str = ""
    api: str = ""
    pattern: str = ""  # "", ".sync", ".sync:2", ".waitForTaskToken"


def classify(resource: str) -> Target:
    """Parse a Resource ARN into its invocation style."""
    if _LAMBDA_ARN.match(resource):
        return Target(resource, "lambda-arn", "lambda", resource)
    match = _SERVICE_ARN.match(resource)
    if match:
        service, api, pattern = match.group(1), match.group(2), match.group(3) or ""
        style = "lambda-invoke" if service == "lambda" and api == "invoke" else "service"
        return Target(resource, style, service, api + pattern, pattern)
    return Target(resource, "custom", "custom", resource)


class Invocation:
    """The Lambda-like context object handed to two-argument callables.

    For a `.waitForTaskToken` Task it carries the token, and can answer it itself (from the
    callable, or later from code the callable handed the context to), as a worker would
    with SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat.
    """

    def __init__(self, function_name: str, request_id: str, token: Any = None) -> None:
        self.function_name = function_name
        self.aws_request_id = request_id
        self._token = token
        self.task_token: str | None = token.token if token is not None else None

    def send_task_success(self, output: JSON) -> None:
        self._waiting().succeed(output)

    def send_task_failure(self, error: str = "", cause: str = "") -> None:
        self._waiting().fail(error, cause)

    def send_task_heartbeat(self) -> None:
        self._waiting().beat()

    def _waiting(self) -> Any:
        if self._token is None:
            raise ResourceError(f"the Task calling {self.function_name!r} has no task token to answer")
        return self._token


class Resolver:
    """Finds the callable for a resource the way AWS resolves function names and ARNs."""

    def __init__(self, resources: Mapping[str, Resource] | None, region: str, account: str) -> None:
        self.resources = dict(resources or {})
        self.region, self.account = region, account
        self.aws: Any = None  # asl.services.Services when the run calls AWS: asked after `resources`
        self._by_name: dict[str, Resource] = {}
        for key, function in self.resources.items():
            match = _LAMBDA_ARN.match(key)
            self._by_name.setdefault(match.group(3) if match else key, function)

    def find(self, name: str) -> Resource | None:
        """A callable by exact key, full or partial Lambda ARN, or bare function name; else AWS's, if on."""
        found = self._find(name)
        if found is None and self.aws is not None:
            return self.aws.resource(name)  # type: ignore[no-any-return]
        return found

    def _find(self, name: str) -> Resource | None:
        if name in self.resources:
            return self.resources[name]
        match = _LAMBDA_ARN.match(name)
        if match:
            return self._by_name.get(match.group(3))
        partial_arn = re.match(r"^(?:\d{12}:)?function:([^:]+)", name)
        if partial_arn:
            return self._by_name.get(partial_arn.group(1))
        return self._by_name.get(name.split(":")[0])

    def function_arn(self, name: str) -> str:
        if name.startswith("arn:"):
            return name
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{name}"

    def check(self, machine: Any) -> None:
        """Raise ResourceError, before anything runs, for a Task or ItemReader resource with no callable.

        Resources named at run time (lambda:invoke's FunctionName) can only be checked then;
        AWS reports those as Lambda.ResourceNotFoundException, and so do we.
        """
        missing = sorted({resource for resource in _static_resources(machine) if self.find(resource) is None})
        if missing:
            names = ", ".join(repr(m) for m in missing)
            raise ResourceError(
                f"no callable was given for the resource{'s' * (len(missing) > 1)} {names}; "
                "pass resources={...} mapping each resource ARN or function name to a Python callable"
            )


def _static_resources(machine: Any) -> list[str]:
    found: list[str] = []
    for state in machine.states.values():
        if state.kind == "Task" and classify(state.resource).style != "lambda-invoke":
            found.append(state.resource)
        reader = getattr(state, "item_reader", None)
        if reader is not None:  # a compiled `model.ItemReader`
            found.append(reader.resource)
        for branch in getattr(state, "branches", ()):
            found.extend(_static_resources(branch))
        processor = getattr(state, "processor", None)
        if processor is not None:
            found.extend(_static_resources(processor))
    return found


def _accepts_context(function: Resource) -> bool:
    try:
        return _accepts_context_cached(function)
    except TypeError:  # an unhashable callable object
        return _signature_takes_context(function)


_accepts_context_cached = lru_cache(maxsize=1024)(lambda function: _signature_takes_context(function))


def _signature_takes_context(function: Resource) -> bool:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return False
    positional = [p for p in signature.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in signature.parameters.values())


class _Raised(Exception):
    """Carries an exception out of a worker thread with the stack trace Lambda would print."""

    def __init__(self, error: BaseException, stack: list[str]) -> None:
        self.error, self.stack = error, stack


def _call_sync(function: Resource, args: tuple[Any, ...]) -> Any:
    try:
        return function(*args)
    except ExecutionError:
        raise
    except Exception as error:  # a user callable may raise anything; it becomes an ASL error
        frames = traceback.extract_tb(error.__traceback__)[1:]
        raise _Raised(error, traceback.format_list(frames)) from None


async def _call_async(function: Callable[..., Awaitable[Any]], args: tuple[Any, ...]) -> Any:
    try:
        return await function(*args)
    except ExecutionError:
        raise
    except Exception as error:
        frames = traceback.extract_tb(error.__traceback__)[1:]
        raise _Raised(error, traceback.format_list(frames)) from None


def is_async(function: Resource) -> bool:
    """Whether calling the resource gives a coroutine (it then runs on the event loop, not a thread)."""
    try:
        return _is_async_cached(function)
    except TypeError:  # an unhashable callable object
        return _coroutine_function(function)


def _coroutine_function(function: Resource) -> bool:
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(
        getattr(function, "__call__", None)  # noqa: B004 - async callable objects
    )


_is_async_cached = lru_cache(maxsize=1024)(_coroutine_function)


async def invoke(
    function: Resource,
    payload: JSON,
    context: Invocation,
    *,
    lambda_style: str | None,
    request_id: str,
    name: str,
    limit: int = PAYLOAD_LIMIT,
) -> JSON:
    """Call a resource; its failures come back as ExecutionError named as AWS names them.

    `lambda_style` is None for plain callables, or the JSON separators AWS uses when it quotes
    a Lambda error payload as the cause: "compact" (lambda:invoke) or "spaced" (function ARN).
    `name` is how AWS names the task when its result is over the payload quota.
    """
    args: tuple[Any, ...] = (payload, context) if _accepts_context(function) else (payload,)
    try:
        if is_async(function):
            result = await _call_async(function, args)
        else:
            result = await anyio.to_thread.run_sync(partial(_call_sync, function, args), abandon_on_cancel=True)
    except _Raised as raised:
        error = raised.error
        name = type(error).__name__
        if lambda_style is None:
            raise TaskFailed(name, str(error)) from None
        body = {
            "errorMessage": str(error),
            "errorType": name,
            "requestId": request_id,
            "stackTrace": raised.stack,
        }
        separators = (",", ":") if lambda_style == "compact" else (", ", ": ")
        raise TaskFailed(name, json.dumps(body, separators=separators)) from None
    return _as_json(result, name, limit)


def _as_json(result: Any, name: str, limit: int) -> JSON:
    """The result as JSON, checked against AWS's payload quota."""
    try:
        text = json.dumps(result, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TaskFailed("States.Runtime", f"The resource returned a value that is not JSON: {error}") from None
    except RecursionError:
        raise RuntimeFailure.too_deep() from None
    if len(text.encode()) > limit:
        raise DataLimitExceeded(
            f"The state/task '{name}' returned a result with a size exceeding the maximum number of "
            "bytes service limit."
        )
    return result  # type: ignore[no-any-return]
