"""The actions of the Step Functions API, as `asl serve` answers them.

`Service` holds the registry, the resources `--resources` gave, the running executions and the
activities' task lists. Each action is a method named like the action (`start_execution`) that
takes the validated request body and returns the response body, or raises `ApiError` with
AWS's error name. The actions live in two layers: `Machines` (machines.py) and `Executions`
(executions.py).
"""

from __future__ import annotations

import contextlib
import inspect
import re
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import anyio
import anyio.abc

from ..executor import Execution
from ..model import StateMachine
from ..runtime import TaskToken
from .executions import POLL_SECONDS, Executions, execute_accepts
from .protocol import ApiError, operations
from .registry import MemoryRegistry, Registry

__all__ = ["POLL_SECONDS", "Service", "execute_accepts"]

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def _parse_accepts_type() -> bool:
    from .. import parse

    return "type" in inspect.signature(parse).parameters


class Service(Executions):
    """The state of one `asl serve`: what its API created, and what is running now.

    `resources` maps Task resources to callables (what `--resources` loaded: the only code a
    request can reach); `mocks` is a loaded Step Functions Local mock configuration; `aws`
    lets Task states call AWS (passed on to the executor when it supports it); `poll_seconds`
    is how long GetActivityTask waits for a task (AWS: 60); `wait_time_scale` multiplies every
    wait of an execution (Wait states, retry intervals, timeouts), as Step Functions Local's
    WAIT_TIME_SCALE does.
    """

    def __init__(
        self,
        registry: Registry | None = None,
        *,
        resources: Mapping[str, Callable[..., Any]] | None = None,
        mocks: Any = None,
        aws: bool = False,
        poll_seconds: float = POLL_SECONDS,
        wait_time_scale: float = 1.0,
    ) -> None:
        self.registry: Registry = registry if registry is not None else MemoryRegistry()
        self.resources = dict(resources or {})
        self.mocks = mocks
        self.aws = aws
        self.poll_seconds = poll_seconds
        self.wait_time_scale = wait_time_scale
        self.running: dict[str, Execution] = {}
        self._task_group: anyio.abc.TaskGroup | None = None
        self._activity_tokens: dict[str, TaskToken] = {}
        self._task_lists: dict[str, deque[tuple[str, str]]] = {}
        self._posted: dict[str, anyio.Event] = {}
        self._parse_type = _parse_accepts_type()
        self._compiled: dict[tuple[str, str], StateMachine] = {}

    # -- the server's life ------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def running_in(self) -> Any:
        """Run executions in a task group for as long as the block lasts; running ones are
        aborted when it ends (the server is stopping)."""
        async with anyio.create_task_group() as tg:
            self._task_group = tg
            try:
                yield self
            finally:
                self._task_group = None
                for execution in list(self.running.values()):
                    execution.abort("States.Aborted", "The server stopped.")
                tg.cancel_scope.cancel()

    async def handle(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        """Answer one validated request; raises ApiError."""
        handler: Handler | None = getattr(self, _snake(action), None) if action in operations() else None
        if handler is None:
            raise ApiError("UnknownOperationException", f"asl serve does not implement the action {action}.")
        return await handler(body)


def _snake(action: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()
