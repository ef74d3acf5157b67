"""The execution actions of `asl serve`: executions and their histories, task tokens, activities
and map runs. Executions run in the server's task group, on real time (or Step Functions
Local's WAIT_TIME_SCALE of it).
"""

from __future__ import annotations

import base64
import inspect
import json
import re
import secrets
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, Final

import anyio
import anyio.abc

from .. import executor as executor_module
from ..clock import SystemClock
from ..context import JSON
from ..errors import AslError, TaskFailed, Timeout
from ..executor import Execution, Status
from ..history import HistoryEvent
from ..model import StateMachine
from ..runtime import TaskToken
from .machines import Machines
from .protocol import ApiError
from .registry import ActivityRecord, ExecutionRecord
from .shapes import PREFIX, checked_arn, checked_name, error_fields, json_input, now, page, tags_of

POLL_SECONDS: Final = 60.0  # GetActivityTask's long poll, as AWS's
SYNC_TIMEOUT: Final = 300.0  # an Express execution runs at most five minutes


def execute_accepts(keyword: str) -> bool:
    """Whether this version of the executor takes `keyword` (`aws`, from another part of asl)."""
    return keyword in inspect.signature(executor_module._prepare).parameters


class Executions(Machines):
    """Executions, tokens, activities and map runs; the attributes are set by `Service`."""

    mocks: Any
    aws: bool
    poll_seconds: float
    wait_time_scale: float
    running: dict[str, Execution]
    _task_group: anyio.abc.TaskGroup | None
    _activity_tokens: dict[str, TaskToken]
    _task_lists: dict[str, deque[tuple[str, str]]]
    _posted: dict[str, anyio.Event]

    # -- executions -------------------------------------------------------------------------

    async def start_execution(self, body: dict[str, Any]) -> dict[str, Any]:
        target, test_case = _split_test_case(checked_arn(body["stateMachineArn"], "stateMachine"))
        machine, version, alias, definition, role = self._target(target)
        name = checked_name(body["name"]) if "name" in body else str(uuid.uuid4())
        text = body.get("input", "{}")
        value = json_input(text)
        if machine.type == "EXPRESS":
            return await self._start_express(machine, name, text, value, definition, role, test_case)
        arn = f"{PREFIX}execution:{machine.name}:{name}"
        existing = self.registry.execution(arn)
        if existing is not None:
            # AWS: the same name and input as a running execution answers as the first call did.
            if existing.status == "RUNNING" and existing.input == text:
                return {"executionArn": arn, "startDate": existing.started}
            raise ApiError("ExecutionAlreadyExists", f"Execution Already Exists: '{arn}'")
        compiled = self._compile(definition, machine.type)
        override = self._test_case(machine.name, test_case, compiled)
        record = ExecutionRecord(
            arn,
            machine.arn,
            name,
            text,
            now(),
            definition,
            role,
            machine.updated,
            version_arn=version,
            alias_arn=alias,
            trace_header=body.get("traceHeader", ""),
        )
        self.registry.put_execution(record)
        await self._start(compiled, value, record, override)
        return {"executionArn": arn, "startDate": record.started}

    async def _start_express(
        self, machine: Any, name: str, text: str, value: JSON, definition: str, role: str, test_case: str | None
    ) -> dict[str, Any]:
        """An asynchronous Express execution: it runs, and (as on AWS, where only CloudWatch Logs
        has it) no API describes or lists it; its task tokens can be answered."""
        arn = f"{PREFIX}express:{machine.name}:{name}:{uuid.uuid4()}"
        compiled = self._compile(definition, machine.type)
        record = ExecutionRecord(arn, machine.arn, name, text, now(), definition, role, machine.updated)
        await self._start(compiled, value, record, self._test_case(machine.name, test_case, compiled))
        return {"executionArn": arn, "startDate": record.started}

    async def _start(self, machine: StateMachine, value: JSON, record: ExecutionRecord, override: Any) -> None:
        if self._task_group is None:
            raise ApiError("ServiceUnavailable", "The server is stopping.", 503)
        options = self._options(machine, record, override)

        async def run(*, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
            from .. import start

            try:
                async with start(machine, value, **options) as execution:
                    self.running[record.arn] = execution
                    record.started = execution.start_time  # as its ExecutionStarted event says
                    if not _is_express(record.arn):
                        self.registry.put_execution(record)
                    task_status.started()
                self._finish(record, execution)
            finally:
                self.running.pop(record.arn, None)

        try:
            await self._task_group.start(run)
        except AslError as error:  # refused before it began (an input over the payload quota...)
            record.status, record.stopped, record.error, record.cause = "FAILED", now(), "States.Runtime", str(error)
            if not _is_express(record.arn):
                self.registry.put_execution(record)
            raise ApiError("InvalidExecutionInput", f"Invalid State Machine Execution Input: '{error}'") from None

    def _options(self, machine: StateMachine, record: ExecutionRecord, override: Any) -> dict[str, Any]:
        heartbeats: dict[str, deque[Any]] = {}  # activity ARN -> HeartbeatSeconds of its Tasks, in order
        resources = {**self.resources, **self._activity_resources(machine, record.arn, heartbeats)}
        options: dict[str, Any] = {
            "resources": resources,
            "name": record.name,
            "state_machine_name": record.machine_arn.split(":")[6],
            "role_arn": record.role_arn,
            # With an override, a Task whose resource is missing fails when it runs, as a missing
            # Lambda function does on AWS, instead of refusing the whole execution.
            "task_override": override or _no_override,
            "on_event": self._watch(record.arn, heartbeats),
        }
        if self.wait_time_scale != 1.0:
            options["clock"] = _ScaledClock(self.wait_time_scale)
        if self.aws and execute_accepts("aws"):
            options["aws"] = True
        return options

    def _watch(self, arn: str, heartbeats: dict[str, deque[Any]]) -> Callable[[HistoryEvent], None]:
        activities = f"{PREFIX}activity:"

        def on_event(event: HistoryEvent) -> None:
            if event.type == "TaskSubmitted":  # the tokens handed out, to know them once answered
                execution = self.running.get(arn)
                if execution is not None:
                    self.registry.add_tokens(execution.task_tokens, arn)
            elif event.type == "TaskScheduled" and event.details is not None:
                # An activity's worker is a resource that is not told the Task's HeartbeatSeconds:
                # it reads them here, from the event recorded just before it is called.
                resource = event.details.get("resource")
                if isinstance(resource, str) and resource.startswith(activities):
                    heartbeats.setdefault(resource, deque()).append(event.details.get("heartbeatInSeconds"))

        return on_event

    def _finish(self, record: ExecutionRecord, execution: Execution) -> None:
        record.status = execution.status.value
        record.stopped = execution.stop_time
        if execution.status is Status.SUCCEEDED:
            record.output = json.dumps(execution.output, separators=(",", ":"), ensure_ascii=False)
        record.error, record.cause = execution.error, execution.cause
        record.events = execution.history
        if not _is_express(record.arn):
            self.registry.put_execution(record)

    async def start_sync_execution(self, body: dict[str, Any]) -> dict[str, Any]:
        from .. import execute

        target, test_case = _split_test_case(checked_arn(body["stateMachineArn"], "stateMachine"))
        machine, version, alias, definition, role = self._target(target)
        if machine.type != "EXPRESS":
            raise ApiError(
                "StateMachineTypeNotSupported", "This operation is not supported by this type of state machine"
            )
        name = checked_name(body["name"]) if "name" in body else str(uuid.uuid4())
        text = body.get("input", "{}")
        value = json_input(text)
        arn = f"{PREFIX}express:{machine.name}:{name}:{uuid.uuid4()}"
        compiled = self._compile(definition, machine.type)
        record = ExecutionRecord(arn, machine.arn, name, text, now(), definition, role, machine.updated)
        options = self._options(compiled, record, self._test_case(machine.name, test_case, compiled))
        execution: Execution | None = None
        with anyio.move_on_after(SYNC_TIMEOUT):
            execution = await execute(compiled, value, **options)
        answer: dict[str, Any] = {
            "executionArn": arn,
            "stateMachineArn": version or alias or machine.arn,
            "name": name,
            "startDate": record.started,
            "stopDate": now(),
            "input": text,
            "inputDetails": {"included": True},
            "billingDetails": {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": 100},
        }
        if execution is None or execution.status in (Status.TIMED_OUT, Status.ABORTED):
            answer.update(status="TIMED_OUT", error="States.Timeout")
        elif execution.status is Status.SUCCEEDED:
            answer.update(
                status="SUCCEEDED",
                output=json.dumps(execution.output, separators=(",", ":"), ensure_ascii=False),
                outputDetails={"included": True},
            )
        else:
            answer.update(status="FAILED", **error_fields(execution.error, execution.cause))
        return answer

    async def describe_execution(self, body: dict[str, Any]) -> dict[str, Any]:
        record = self._execution(body["executionArn"])
        answer: dict[str, Any] = {
            "executionArn": record.arn,
            "stateMachineArn": record.machine_arn,
            "name": record.name,
            "status": record.status,
            "startDate": record.started,
            "input": record.input,
            "inputDetails": {"included": True},
            "redriveCount": record.redrive_count,
            "redriveStatus": _redrive_status(record)[0],
        }
        if reason := _redrive_status(record)[1]:
            answer["redriveStatusReason"] = reason
        if record.stopped is not None:
            answer["stopDate"] = record.stopped
        if record.output is not None:
            answer.update(output=record.output, outputDetails={"included": True})
        answer.update(error_fields(record.error, record.cause))
        if record.trace_header:
            answer["traceHeader"] = record.trace_header
        if record.version_arn:
            answer["stateMachineVersionArn"] = record.version_arn
        if record.alias_arn:
            answer["stateMachineAliasArn"] = record.alias_arn
        if record.redriven is not None:
            answer["redriveDate"] = record.redriven
        return answer

    async def list_executions(self, body: dict[str, Any]) -> dict[str, Any]:
        if "mapRunArn" in body:
            # Distributed Map iterations run inside their parent here: they have no executions of their own.
            self._map_run(checked_arn(body["mapRunArn"], "mapRun"))
            return page(body, "executions", [])
        if "stateMachineArn" not in body:
            raise ApiError("ValidationException", "Must provide a StateMachine ARN or MapRun ARN")
        arn = checked_arn(body["stateMachineArn"], "stateMachine")
        alias = self.registry.alias(arn)
        version = self.registry.version(arn)
        qualified = alias is not None or version is not None
        machine_arn = arn.rsplit(":", 1)[0] if qualified else self._machine(arn).arn
        if self._machine(machine_arn).type == "EXPRESS":
            raise ApiError(
                "StateMachineTypeNotSupported", "This operation is not supported by this type of state machine"
            )
        records = self.registry.executions(machine_arn)
        if alias is not None:
            records = [r for r in records if r.alias_arn == arn]
        elif version is not None:
            records = [r for r in records if r.version_arn == arn]
        if status := body.get("statusFilter"):
            records = [r for r in records if r.status == status]
        if redrive := body.get("redriveFilter"):
            records = [r for r in records if (r.redrive_count > 0) == (redrive == "REDRIVEN")]
        return page(body, "executions", [_list_item(r) for r in records])

    async def stop_execution(self, body: dict[str, Any]) -> dict[str, Any]:
        record = self._execution(body["executionArn"])
        execution = self.running.get(record.arn)
        if execution is not None:
            execution.abort(body.get("error", ""), body.get("cause", ""))
            await execution.wait()
            record = self._execution(record.arn)
        return {"stopDate": record.stopped if record.stopped is not None else now()}

    async def get_execution_history(self, body: dict[str, Any]) -> dict[str, Any]:
        record = self._execution(body["executionArn"])
        running = self.running.get(record.arn)
        events = running.history if running is not None else record.events
        include = body.get("includeExecutionData", True)
        ordered = list(reversed(events)) if body.get("reverseOrder") else list(events)
        answer = page(body, "events", ordered)  # only the page's events are rendered
        answer["events"] = [_event(event, include) for event in answer["events"]]
        return answer

    async def redrive_execution(self, body: dict[str, Any]) -> dict[str, Any]:
        record = self._execution(body["executionArn"])
        status, reason = _redrive_status(record)
        if status != "REDRIVABLE":
            raise ApiError("ExecutionNotRedrivable", reason)
        # Redriving continues an execution from where it failed: that needs replay of its
        # history through the interpreter, which this server does not do yet.
        raise ApiError(
            "ExecutionNotRedrivable",
            "asl serve does not redrive executions yet: it keeps no replayable record of them.",
        )

    # -- map runs ---------------------------------------------------------------------------

    async def list_map_runs(self, body: dict[str, Any]) -> dict[str, Any]:
        record = self._execution(body["executionArn"])
        items = [
            {
                "executionArn": record.arn,
                "mapRunArn": run["mapRunArn"],
                "stateMachineArn": run["mapRunArn"].replace(":mapRun:", ":stateMachine:", 1).rsplit(":", 1)[0],
                "startDate": run["startDate"],
                **({"stopDate": run["stopDate"]} if "stopDate" in run else {}),
            }
            for run in self._map_runs(record)
        ]
        return page(body, "mapRuns", items)

    async def describe_map_run(self, body: dict[str, Any]) -> dict[str, Any]:
        record, run = self._map_run(checked_arn(body["mapRunArn"], "mapRun"))
        counts = {key: 0 for key in ("pending", "running", "succeeded", "failed", "timedOut", "aborted")}
        counts.update(total=run["total"], resultsWritten=0)
        status = run["status"]
        counts["running" if status == "RUNNING" else "succeeded" if status == "SUCCEEDED" else "failed"] = run["total"]
        answer = {
            "mapRunArn": run["mapRunArn"],
            "executionArn": record.arn,
            "status": status,
            "startDate": run["startDate"],
            **_map_settings(record.definition, run["mapRunArn"]),
            "itemCounts": counts,
            "executionCounts": dict(counts),
        }
        if "stopDate" in run:
            answer["stopDate"] = run["stopDate"]
        return answer

    def _map_runs(self, record: ExecutionRecord) -> list[dict[str, Any]]:
        running = self.running.get(record.arn)
        events = running.history if running is not None else record.events
        runs: list[dict[str, Any]] = []
        total = 0
        ends = {"MapRunSucceeded": "SUCCEEDED", "MapRunFailed": "FAILED", "MapRunAborted": "ABORTED"}
        for event in events:
            if event.type == "MapStateStarted" and event.details:
                length = event.details.get("length")
                total = length if isinstance(length, int) else 0
            elif event.type == "MapRunStarted" and event.details:
                runs.append(
                    {
                        "mapRunArn": event.details["mapRunArn"],
                        "startDate": event.timestamp,
                        "total": total,
                        "status": "RUNNING",
                    }
                )
            elif event.type in ends and runs:
                open_runs = [run for run in runs if run["status"] == "RUNNING"]
                if open_runs:
                    open_runs[-1].update(status=ends[event.type], stopDate=event.timestamp)
        return runs

    def _map_run(self, arn: str) -> tuple[ExecutionRecord, dict[str, Any]]:
        # arn:aws:states:REGION:ACCOUNT:mapRun:MACHINE/LABEL:UUID, of an execution of MACHINE
        machine = arn.split(":")[6].split("/")[0]
        for record in self.registry.executions(f"{PREFIX}stateMachine:{machine}"):
            for run in self._map_runs(record):
                if run["mapRunArn"] == arn:
                    return record, run
        raise ApiError("ResourceNotFound", f"Resource not found: '{arn}'")

    # -- task tokens ------------------------------------------------------------------------

    async def send_task_success(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            output = json.loads(body["output"])
        except ValueError as error:
            raise ApiError("InvalidOutput", f"Invalid Output: '{error}'") from None
        self._answer(body["taskToken"], lambda owner, token: owner.send_task_success(token, output))
        return {}

    async def send_task_failure(self, body: dict[str, Any]) -> dict[str, Any]:
        error, cause = body.get("error", ""), body.get("cause", "")
        self._answer(body["taskToken"], lambda owner, token: owner.send_task_failure(token, error, cause))
        return {}

    async def send_task_heartbeat(self, body: dict[str, Any]) -> dict[str, Any]:
        self._answer(body["taskToken"], lambda owner, token: owner.send_task_heartbeat(token))
        return {}

    def _answer(self, token: str, act: Callable[[Any, str], None]) -> None:
        owner: Any = None
        waiter = self._activity_tokens.get(token)
        if waiter is not None:
            owner = _ActivityOwner(waiter)
        else:
            owner = next((e for e in self.running.values() if token in e.task_tokens), None)
        if owner is None:
            if self.registry.token_owner(token) is not None:  # answered, timed out, or its execution ended
                raise ApiError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")
            if _TOKEN.fullmatch(token):
                raise ApiError("TaskDoesNotExist", "Task Does Not Exist: 'Provided task does not exist'")
            raise ApiError("InvalidToken", "Invalid Token: 'Invalid token'")
        try:
            act(owner, token)
        except TaskFailed as error:
            if error.error == "InvalidOutput":
                raise ApiError("InvalidOutput", f"Invalid Output: '{error.cause}'") from None
            raise ApiError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'") from None

    # -- activities -------------------------------------------------------------------------

    async def create_activity(self, body: dict[str, Any]) -> dict[str, Any]:
        name = checked_name(body["name"])
        arn = f"{PREFIX}activity:{name}"
        existing = self.registry.activity(arn)
        if existing is None:
            existing = ActivityRecord(arn, name, now())
            self.registry.put_activity(existing)
            self.registry.set_tags(arn, tags_of(body.get("tags", [])))
        return {"activityArn": arn, "creationDate": existing.created}

    async def describe_activity(self, body: dict[str, Any]) -> dict[str, Any]:
        record = self._activity(body["activityArn"])
        return {"activityArn": record.arn, "name": record.name, "creationDate": record.created}

    async def list_activities(self, body: dict[str, Any]) -> dict[str, Any]:
        items = [{"activityArn": r.arn, "name": r.name, "creationDate": r.created} for r in self.registry.activities()]
        return page(body, "activities", items)

    async def delete_activity(self, body: dict[str, Any]) -> dict[str, Any]:
        self.registry.delete_activity(checked_arn(body["activityArn"], "activity"))
        return {}

    async def get_activity_task(self, body: dict[str, Any]) -> dict[str, Any]:
        record = self._activity(body["activityArn"])
        tasks = self._task_lists.setdefault(record.arn, deque())
        with anyio.move_on_after(self.poll_seconds):
            while True:
                while tasks:
                    token, text = tasks.popleft()
                    if token in self._activity_tokens:  # not timed out or aborted while it waited
                        return {"taskToken": token, "input": text}
                posted = self._posted.setdefault(record.arn, anyio.Event())
                await posted.wait()
        return {}  # AWS answers a poll that found nothing with no task token

    def _activity_resources(
        self, machine: StateMachine, execution_arn: str, heartbeats: dict[str, deque[Any]]
    ) -> dict[str, Callable[..., Any]]:
        found: dict[str, Callable[..., Any]] = {}
        for resource in _activities(machine):
            if resource not in self.resources:
                found[resource] = self._activity_worker(resource, execution_arn, heartbeats)
        return found

    def _activity_worker(
        self, activity_arn: str, execution_arn: str, heartbeats: dict[str, deque[Any]]
    ) -> Callable[..., Any]:
        async def scheduled(payload: JSON) -> JSON:
            waiting = heartbeats.get(activity_arn)
            heartbeat = waiting.popleft() if waiting else None
            if self.registry.activity(activity_arn) is None:
                raise TaskFailed("States.Runtime", f"Activity Does Not Exist: '{activity_arn}'")
            token = _token()
            waiter = TaskToken(token)
            self._activity_tokens[token] = waiter
            self.registry.add_tokens([token], execution_arn)
            self._task_lists.setdefault(activity_arn, deque()).append((token, json.dumps(payload)))
            posted = self._posted.pop(activity_arn, None)
            if posted is not None:
                posted.set()
            try:
                await self._wait_for_worker(waiter, heartbeat)
            finally:
                self._activity_tokens.pop(token, None)
            if waiter.error is not None:
                raise waiter.error
            return waiter.output

        return scheduled

    async def _wait_for_worker(self, waiter: TaskToken, heartbeat: float | None) -> None:
        """Wait for the worker's SendTaskSuccess or SendTaskFailure; with `heartbeat` seconds,
        a worker silent for longer (no SendTaskHeartbeat) times the Task out."""
        if heartbeat is None:
            await waiter.done.wait()
            return
        while not waiter.done.is_set():
            beat = waiter.heartbeat
            with anyio.move_on_after(heartbeat * self.wait_time_scale):
                async with anyio.create_task_group() as tg:
                    for event in (waiter.done, beat):
                        tg.start_soon(_set_then_cancel, event, tg.cancel_scope)
            if not (waiter.done.is_set() or beat.is_set()):
                error = Timeout("")
                error.heartbeat = True  # type: ignore[attr-defined]  # as the executor marks a missed heartbeat
                raise error
            if beat.is_set():
                waiter.heartbeat = anyio.Event()

    async def describe_state_machine_for_execution(self, body: dict[str, Any]) -> dict[str, Any]:
        record = self._execution(body["executionArn"])
        answer: dict[str, Any] = {
            "stateMachineArn": record.machine_arn,
            "name": record.machine_arn.split(":")[6],
            "definition": record.definition,
            "roleArn": record.role_arn,
            "updateDate": record.updated,
            "loggingConfiguration": {"level": "OFF", "includeExecutionData": False},
            "tracingConfiguration": {"enabled": False},
        }
        return answer

    # -- lookups ----------------------------------------------------------------------------

    def _execution(self, arn: str) -> ExecutionRecord:
        record = self.registry.execution(checked_arn(arn, "execution", "express"))
        if record is None:
            raise ApiError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
        live = self.running.get(record.arn)
        if live is not None and live.done and record.status == "RUNNING":
            self._finish(record, live)  # ended a moment ago; its task has not recorded it yet
        return record

    def _activity(self, arn: str) -> ActivityRecord:
        record = self.registry.activity(checked_arn(arn, "activity"))
        if record is None:
            raise ApiError("ActivityDoesNotExist", f"Activity Does Not Exist: '{arn}'")
        return record

    def _test_case(self, machine_name: str, test_case: str | None, machine: StateMachine) -> Any:
        """The task_override of `StateMachineArn#TestCase`, as Step Functions Local reads it."""
        if test_case is None:
            return None
        if self.mocks is None:
            raise ApiError(
                "ValidationException",
                f"Test case '{test_case}' was asked for, but the server has no mock configuration.",
            )
        from ..mocks import MockNotFound

        try:
            case = self.mocks.test_case(machine_name, test_case)
            case.check(machine)
        except MockNotFound as error:
            raise ApiError("ValidationException", str(error)) from None
        return case.override()


class _ScaledClock(SystemClock):
    """Real time, with every wait multiplied by `scale` (Step Functions Local's WAIT_TIME_SCALE)."""

    def __init__(self, scale: float) -> None:
        self.scale = scale

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds * self.scale)


class _ActivityOwner:
    """An activity task's waiter, answered with the Execution's SendTask* methods' names."""

    def __init__(self, waiter: TaskToken) -> None:
        self.waiter = waiter

    def send_task_success(self, token: str, output: JSON) -> None:
        self.waiter.succeed(output)

    def send_task_failure(self, token: str, error: str = "", cause: str = "") -> None:
        self.waiter.fail(error, cause)

    def send_task_heartbeat(self, token: str) -> None:
        self.waiter.beat()


# -- helpers --------------------------------------------------------------------------------


async def _set_then_cancel(event: anyio.Event, scope: anyio.CancelScope) -> None:
    await event.wait()
    scope.cancel()


def _is_express(arn: str) -> bool:
    return arn.split(":")[5] == "express"


def _no_override(_state_name: str) -> None:
    return None


# What the tokens this server hands out look like: the executor's UUIDs (.waitForTaskToken)
# and the activities' base64 text; anything else cannot be a token of ours.
_TOKEN: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|[A-Za-z0-9+/]{128}")


def _token() -> str:
    # AWS's tokens are long opaque text; ours are random, and say nothing about the task.
    return base64.b64encode(secrets.token_bytes(96)).decode()


def _split_test_case(arn: str) -> tuple[str, str | None]:
    machine, hash_sign, case = arn.partition("#")
    return machine, case if hash_sign else None


def _redrive_status(record: ExecutionRecord) -> tuple[str, str]:
    if record.status == "RUNNING":
        return "NOT_REDRIVABLE", "Execution is RUNNING and cannot be redriven"
    if record.status == "SUCCEEDED":
        return "NOT_REDRIVABLE", "Execution is SUCCEEDED and cannot be redriven"
    return "REDRIVABLE", ""


def _list_item(record: ExecutionRecord) -> dict[str, Any]:
    item: dict[str, Any] = {
        "executionArn": record.arn,
        "stateMachineArn": record.machine_arn,
        "name": record.name,
        "status": record.status,
        "startDate": record.started,
        "redriveCount": record.redrive_count,
    }
    if record.stopped is not None:
        item["stopDate"] = record.stopped
    if record.version_arn:
        item["stateMachineVersionArn"] = record.version_arn
    if record.alias_arn:
        item["stateMachineAliasArn"] = record.alias_arn
    return item


_DATA: Final = (
    "input",
    "output",
    "inputDetails",
    "outputDetails",
    "parameters",
    "assignedVariables",
    "assignedVariablesDetails",
)


def _event(event: HistoryEvent, include_data: bool) -> dict[str, Any]:
    item: dict[str, Any] = event.to_dict()
    item["timestamp"] = event.timestamp  # the JSON protocol's timestamps are epoch seconds
    if not include_data:
        for key, details in item.items():
            if key.endswith("EventDetails") and isinstance(details, dict):
                item[key] = {k: v for k, v in details.items() if k not in _DATA}
    return item


def _map_settings(definition: str, map_run_arn: str) -> dict[str, Any]:
    """DescribeMapRun's maxConcurrency and tolerated failures, as the Map state gives them
    (`...Path` fields, known only while it ran, show as 0 here)."""
    label = map_run_arn.split(":")[6].split("/", 1)[-1]
    state: Any = next(
        (
            state
            for name, state in _states(json.loads(definition))
            if state.get("Type") == "Map" and state.get("Label", name) == label
        ),
        {},
    )

    def number(key: str, kind: type) -> Any:
        value = state.get(key)
        return kind(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else kind(0)

    return {
        "maxConcurrency": number("MaxConcurrency", int),
        "toleratedFailurePercentage": number("ToleratedFailurePercentage", float),
        "toleratedFailureCount": number("ToleratedFailureCount", int),
    }


def _states(node: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every state of a definition, in branches and item processors too, with its name."""
    states = node.get("States") if isinstance(node, dict) else None
    for name, state in (states or {}).items():
        if isinstance(state, dict):
            yield name, state
            for branch in state.get("Branches") or ():
                yield from _states(branch)
            yield from _states(state.get("ItemProcessor") or state.get("Iterator"))


_ACTIVITIES: Final[dict[int, tuple[StateMachine, tuple[str, ...]]]] = {}


def _activities(machine: StateMachine) -> tuple[str, ...]:
    """The activity ARNs a machine's Tasks name (found once per compiled machine)."""
    known = _ACTIVITIES.get(id(machine))
    if known is not None and known[0] is machine:
        return known[1]
    found = tuple(sorted({r for r in _resources(machine.definition) if r.startswith(f"{PREFIX}activity:")}))
    if len(_ACTIVITIES) > 256:
        _ACTIVITIES.clear()
    _ACTIVITIES[id(machine)] = (machine, found)
    return found


def _resources(node: Any) -> Iterator[str]:
    """Every `Resource` string of a definition, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Resource" and isinstance(value, str):
                yield value
            else:
                yield from _resources(value)
    elif isinstance(node, list):
        for item in node:
            yield from _resources(item)
