"""The actions of the Step Functions API, as `asl serve` answers them.

`Service` holds the registry, the resources `--resources` gave, the running executions and the
activities' task lists. Each action is a method named like the action (`start_execution`) that
takes the validated request body and returns the response body, or raises `ApiError` with
AWS's error name. Executions run on the server's event loop, in its task group, on real time.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import inspect
import json
import re
import secrets
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, Final

import anyio
import anyio.abc

from .. import executor as executor_module
from ..clock import SystemClock
from ..context import JSON
from ..errors import AslError, DefinitionError, Problem, TaskFailed
from ..executor import Execution, Status
from ..history import HistoryEvent
from ..model import StateMachine
from ..runtime import ACCOUNT, REGION, TaskToken
from .protocol import ApiError, operations
from .registry import (
    ActivityRecord,
    AliasRecord,
    ExecutionRecord,
    MachineRecord,
    MemoryRegistry,
    Registry,
    VersionRecord,
)

__all__ = ["Service"]

PREFIX: Final = f"arn:aws:states:{REGION}:{ACCOUNT}:"
POLL_SECONDS: Final = 60.0  # GetActivityTask's long poll, as AWS's
SYNC_TIMEOUT: Final = 300.0  # an Express execution runs at most five minutes
REDRIVE_DAYS: Final = 14
# AWS's rule for names of state machines, executions and activities.
_NAME: Final = re.compile(r'[^\s\x00-\x1f\x7f-\x9f<>{}\[\]?*"#%\\^|~`$&,;:/]{1,80}')
_ALIAS_NAME: Final = re.compile(r"(?=.*[a-zA-Z_\-.])[a-zA-Z0-9_\-.]{1,80}")
_ENDED: Final = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def _parse_accepts_type() -> bool:
    from .. import parse

    return "type" in inspect.signature(parse).parameters


def _execute_accepts(keyword: str) -> bool:
    return keyword in inspect.signature(executor_module._prepare).parameters


class Service:
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

    # -- state machines ---------------------------------------------------------------------

    async def create_state_machine(self, body: dict[str, Any]) -> dict[str, Any]:
        name = _checked_name(body["name"])
        kind = body.get("type", "STANDARD")
        definition = body["definition"]
        self._compile(definition, kind)
        role = _role(body["roleArn"])
        arn = f"{PREFIX}stateMachine:{name}"
        existing = self.registry.machine(arn)
        if existing is not None:
            # AWS answers a repeated, identical request with the machine it made the first time.
            if (existing.definition, existing.role_arn, existing.type) == (definition, role, kind):
                return {"stateMachineArn": arn, "creationDate": existing.created}
            raise ApiError("StateMachineAlreadyExists", f"State Machine Already Exists: '{arn}'")
        now = _now()
        record = MachineRecord(
            arn,
            name,
            definition,
            role,
            kind,
            now,
            now,
            str(uuid.uuid4()),
            body.get("loggingConfiguration") or {"level": "OFF", "includeExecutionData": False},
            body.get("tracingConfiguration") or {"enabled": False},
        )
        self.registry.put_machine(record)
        self.registry.set_tags(arn, _tags(body.get("tags", [])))
        answer: dict[str, Any] = {"stateMachineArn": arn, "creationDate": now}
        if body.get("publish"):
            answer["stateMachineVersionArn"] = self._publish(record, body.get("versionDescription", "")).arn
        return answer

    async def describe_state_machine(self, body: dict[str, Any]) -> dict[str, Any]:
        arn = _arn(body["stateMachineArn"], "stateMachine")
        version = self.registry.version(arn)
        if version is not None:
            return {
                "stateMachineArn": version.arn,
                "name": version.arn.split(":")[6],
                "status": "ACTIVE",
                "definition": version.definition,
                "roleArn": version.role_arn,
                "type": version.type,
                "creationDate": version.created,
                "revisionId": version.revision_id,
                "description": version.description,
                "loggingConfiguration": {"level": "OFF", "includeExecutionData": False},
                "tracingConfiguration": {"enabled": False},
            }
        record = self._machine(arn)
        return {
            "stateMachineArn": record.arn,
            "name": record.name,
            "status": "ACTIVE",
            "definition": record.definition,
            "roleArn": record.role_arn,
            "type": record.type,
            "creationDate": record.created,
            "revisionId": record.revision_id,
            "loggingConfiguration": record.logging,
            "tracingConfiguration": record.tracing,
        }

    async def update_state_machine(self, body: dict[str, Any]) -> dict[str, Any]:
        record = self._machine(_arn(body["stateMachineArn"], "stateMachine"))
        changes = ("definition", "roleArn", "loggingConfiguration", "tracingConfiguration")
        if not any(key in body for key in changes):
            raise ApiError(
                "MissingRequiredParameter",
                "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration "
                "must be specified",
            )
        if "definition" in body:
            self._compile(body["definition"], record.type)
        changed = (body.get("definition", record.definition), body.get("roleArn", record.role_arn)) != (
            record.definition,
            record.role_arn,
        )
        if "definition" in body:
            record.definition = body["definition"]
        if "roleArn" in body:
            record.role_arn = _role(body["roleArn"])
        record.logging = body.get("loggingConfiguration", record.logging)
        record.tracing = body.get("tracingConfiguration", record.tracing)
        record.updated = _now()
        if changed:
            record.revision_id = str(uuid.uuid4())
        self.registry.put_machine(record)
        answer: dict[str, Any] = {"updateDate": record.updated, "revisionId": record.revision_id}
        if body.get("publish"):
            answer["stateMachineVersionArn"] = self._publish(record, body.get("versionDescription", "")).arn
        return answer

    async def delete_state_machine(self, body: dict[str, Any]) -> dict[str, Any]:
        # Deleting one that does not exist succeeds, as on AWS; running executions run on.
        self.registry.delete_machine(_arn(body["stateMachineArn"], "stateMachine"))
        return {}

    async def list_state_machines(self, body: dict[str, Any]) -> dict[str, Any]:
        items = [
            {"stateMachineArn": r.arn, "name": r.name, "type": r.type, "creationDate": r.created}
            for r in self.registry.machines()
        ]
        return _page(body, "stateMachines", items)

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

    async def validate_state_machine_definition(self, body: dict[str, Any]) -> dict[str, Any]:
        from .. import validate

        problems = _problems(body["definition"]) or validate(body["definition"])
        if body.get("severity") == "WARNING":
            pass  # asl.validate reports errors only: there are no warnings to add
        diagnostics = [
            {"severity": "ERROR", "code": p.code, "message": p.message, **({"location": p.path} if p.path else {})}
            for p in problems
        ]
        limit = body.get("maxResults") or 100
        return {
            "result": "FAIL" if diagnostics else "OK",
            "diagnostics": diagnostics[:limit],
            "truncated": len(diagnostics) > limit,
        }

    # -- versions and aliases ---------------------------------------------------------------

    async def publish_state_machine_version(self, body: dict[str, Any]) -> dict[str, Any]:
        record = self._machine(_arn(body["stateMachineArn"], "stateMachine"))
        revision = body.get("revisionId")
        if revision is not None and revision != record.revision_id:
            raise ApiError(
                "ConflictException",
                f"Failed to publish the State Machine version for revision {revision}. The current State "
                f"Machine revision is {record.revision_id}.",
            )
        version = self._publish(record, body.get("description", ""))
        return {"creationDate": version.created, "stateMachineVersionArn": version.arn}

    def _publish(self, record: MachineRecord, description: str) -> VersionRecord:
        versions = self.registry.versions(record.arn)
        if versions and versions[0].revision_id == record.revision_id:
            return versions[0]  # AWS publishes no new version of an unchanged revision
        number = self.registry.next_version_number(record.arn)
        version = VersionRecord(
            f"{record.arn}:{number}",
            record.arn,
            number,
            record.definition,
            record.role_arn,
            record.type,
            _now(),
            record.revision_id,
            description,
        )
        self.registry.add_version(version)
        return version

    async def list_state_machine_versions(self, body: dict[str, Any]) -> dict[str, Any]:
        arn = _arn(body["stateMachineArn"], "stateMachine")
        items = [{"stateMachineVersionArn": v.arn, "creationDate": v.created} for v in self.registry.versions(arn)]
        return _page(body, "stateMachineVersions", items)

    async def delete_state_machine_version(self, body: dict[str, Any]) -> dict[str, Any]:
        arn = _arn(body["stateMachineVersionArn"], "stateMachine")
        for alias in self.registry.aliases(arn.rsplit(":", 1)[0]):
            if any(version == arn for version, _ in alias.routing):
                raise ApiError(
                    "ConflictException",
                    f"Version to be deleted must not be referenced by an alias. Current list of aliases "
                    f"referencing this version: [{alias.name}]",
                )
        self.registry.delete_version(arn)
        return {}

    async def create_state_machine_alias(self, body: dict[str, Any]) -> dict[str, Any]:
        name = body["name"]
        if not _ALIAS_NAME.fullmatch(name):
            raise ApiError("InvalidName", f"Invalid Name: '{name}'")
        routing = self._routing(body["routingConfiguration"])
        machine_arn = routing[0][0].rsplit(":", 1)[0]
        arn = f"{machine_arn}:{name}"
        existing = self.registry.alias(arn)
        if existing is not None:
            if existing.routing == routing and existing.description == body.get("description", ""):
                return {"stateMachineAliasArn": arn, "creationDate": existing.created}
            raise ApiError("ConflictException", f"Alias already exists: '{arn}'")
        now = _now()
        self.registry.put_alias(AliasRecord(arn, machine_arn, name, routing, now, now, body.get("description", "")))
        return {"stateMachineAliasArn": arn, "creationDate": now}

    def _routing(self, items: list[dict[str, Any]]) -> list[tuple[str, int]]:
        routing = [(_arn(item["stateMachineVersionArn"], "stateMachine"), item["weight"]) for item in items]
        if len({arn.rsplit(":", 1)[0] for arn, _ in routing}) != 1 or len({a for a, _ in routing}) != len(routing):
            raise ApiError(
                "ValidationException", "Routing configuration must contain distinct versions of one state machine."
            )
        for arn, _ in routing:
            if self.registry.version(arn) is None:
                raise ApiError("ResourceNotFound", f"Resource not found: '{arn}'")
        if sum(weight for _, weight in routing) != 100:
            raise ApiError("ValidationException", "Sum of routing configuration weights must be equal to 100.")
        return routing

    async def describe_state_machine_alias(self, body: dict[str, Any]) -> dict[str, Any]:
        alias = self._alias(body["stateMachineAliasArn"])
        return {
            "stateMachineAliasArn": alias.arn,
            "name": alias.name,
            "description": alias.description,
            "routingConfiguration": [{"stateMachineVersionArn": a, "weight": w} for a, w in alias.routing],
            "creationDate": alias.created,
            "updateDate": alias.updated,
        }

    async def update_state_machine_alias(self, body: dict[str, Any]) -> dict[str, Any]:
        alias = self._alias(body["stateMachineAliasArn"])
        if "routingConfiguration" in body:
            alias.routing = self._routing(body["routingConfiguration"])
        alias.description = body.get("description", alias.description)
        alias.updated = _now()
        self.registry.put_alias(alias)
        return {"updateDate": alias.updated}

    async def delete_state_machine_alias(self, body: dict[str, Any]) -> dict[str, Any]:
        self.registry.delete_alias(_arn(body["stateMachineAliasArn"], "stateMachine"))
        return {}

    async def list_state_machine_aliases(self, body: dict[str, Any]) -> dict[str, Any]:
        arn = _arn(body["stateMachineArn"], "stateMachine")
        self._machine(arn)
        items = [{"stateMachineAliasArn": a.arn, "creationDate": a.created} for a in self.registry.aliases(arn)]
        return _page(body, "stateMachineAliases", items)

    # -- executions -------------------------------------------------------------------------

    async def start_execution(self, body: dict[str, Any]) -> dict[str, Any]:
        target, test_case = _split_test_case(_arn(body["stateMachineArn"], "stateMachine"))
        machine, version, alias, definition, role = self._target(target)
        name = _checked_name(body["name"]) if "name" in body else str(uuid.uuid4())
        text = body.get("input", "{}")
        value = _input(text)
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
            _now(),
            definition,
            role,
            machine.updated,
            version_arn=version,
            alias_arn=alias,
        )
        self.registry.put_execution(record)
        await self._start(compiled, value, record, override)
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
                    task_status.started()
                self._finish(record, execution)
            finally:
                self.running.pop(record.arn, None)

        try:
            await self._task_group.start(run)
        except AslError as error:  # refused before it began (an input over the payload quota...)
            record.status, record.stopped, record.error, record.cause = "FAILED", _now(), "States.Runtime", str(error)
            self.registry.put_execution(record)
            raise ApiError("InvalidExecutionInput", f"Invalid State Machine Execution Input: '{error}'") from None

    def _options(self, machine: StateMachine, record: ExecutionRecord, override: Any) -> dict[str, Any]:
        resources = {**self.resources, **self._activity_resources(machine, record.arn)}
        options: dict[str, Any] = {
            "resources": resources,
            "name": record.name,
            "state_machine_name": record.machine_arn.split(":")[6],
            "role_arn": record.role_arn,
            # With an override, a Task whose resource is missing fails when it runs, as a missing
            # Lambda function does on AWS, instead of refusing the whole execution.
            "task_override": override or _no_override,
            "on_event": self._watch(record.arn),
        }
        if self.wait_time_scale != 1.0:
            options["clock"] = _ScaledClock(self.wait_time_scale)
        if self.aws and _execute_accepts("aws"):
            options["aws"] = True
        return options

    def _watch(self, arn: str) -> Callable[[HistoryEvent], None]:
        def on_event(event: HistoryEvent) -> None:
            if event.type == "TaskSubmitted":  # the tokens handed out, to know them once answered
                execution = self.running.get(arn)
                if execution is not None:
                    self.registry.add_tokens(execution.task_tokens, arn)

        return on_event

    def _finish(self, record: ExecutionRecord, execution: Execution) -> None:
        record.status = execution.status.value
        record.stopped = execution.stop_time
        if execution.status is Status.SUCCEEDED:
            record.output = json.dumps(execution.output, separators=(",", ":"), ensure_ascii=False)
        record.error, record.cause = execution.error, execution.cause
        record.events = execution.history
        self.registry.put_execution(record)

    async def start_sync_execution(self, body: dict[str, Any]) -> dict[str, Any]:
        from .. import execute

        target, test_case = _split_test_case(_arn(body["stateMachineArn"], "stateMachine"))
        machine, version, alias, definition, role = self._target(target)
        if machine.type != "EXPRESS":
            raise ApiError(
                "StateMachineTypeNotSupported", "This operation is not supported by this type of state machine"
            )
        name = _checked_name(body["name"]) if "name" in body else str(uuid.uuid4())
        text = body.get("input", "{}")
        value = _input(text)
        arn = f"{PREFIX}express:{machine.name}:{name}:{uuid.uuid4()}"
        compiled = self._compile(definition, machine.type)
        record = ExecutionRecord(arn, machine.arn, name, text, _now(), definition, role, machine.updated)
        options = self._options(compiled, record, self._test_case(machine.name, test_case, compiled))
        execution: Execution | None = None
        with anyio.move_on_after(SYNC_TIMEOUT):
            execution = await execute(compiled, value, **options)
        answer: dict[str, Any] = {
            "executionArn": arn,
            "stateMachineArn": version or alias or machine.arn,
            "name": name,
            "startDate": record.started,
            "stopDate": _now(),
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
            answer.update(status="FAILED", **_error_fields(execution.error, execution.cause))
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
        answer.update(_error_fields(record.error, record.cause))
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
            self._map_run(_arn(body["mapRunArn"], "mapRun"))
            return _page(body, "executions", [])
        if "stateMachineArn" not in body:
            raise ApiError("ValidationException", "Must provide a StateMachine ARN or MapRun ARN")
        arn = _arn(body["stateMachineArn"], "stateMachine")
        alias = self.registry.alias(arn)
        version = self.registry.version(arn)
        qualified = alias is not None or version is not None
        machine_arn = arn.rsplit(":", 1)[0] if qualified else self._machine(arn).arn
        records = self.registry.executions(machine_arn)
        if alias is not None:
            records = [r for r in records if r.alias_arn == arn]
        elif version is not None:
            records = [r for r in records if r.version_arn == arn]
        if status := body.get("statusFilter"):
            records = [r for r in records if r.status == status]
        if redrive := body.get("redriveFilter"):
            records = [r for r in records if (r.redrive_count > 0) == (redrive == "REDRIVEN")]
        return _page(body, "executions", [_list_item(r) for r in records])

    async def stop_execution(self, body: dict[str, Any]) -> dict[str, Any]:
        record = self._execution(body["executionArn"])
        execution = self.running.get(record.arn)
        if execution is not None:
            execution.abort(body.get("error", ""), body.get("cause", ""))
            await execution.wait()
            record = self._execution(record.arn)
        return {"stopDate": record.stopped if record.stopped is not None else _now()}

    async def get_execution_history(self, body: dict[str, Any]) -> dict[str, Any]:
        record = self._execution(body["executionArn"])
        running = self.running.get(record.arn)
        events = running.history if running is not None else record.events
        include = body.get("includeExecutionData", True)
        items = [_event(event, include) for event in events]
        if body.get("reverseOrder"):
            items.reverse()
        return _page(body, "events", items)

    async def redrive_execution(self, body: dict[str, Any]) -> dict[str, Any]:
        record = self._execution(body["executionArn"])
        status, reason = _redrive_status(record)
        if status != "REDRIVABLE":
            raise ApiError("ExecutionNotRedrivable", f"Execution is {reason or status}")
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
        return _page(body, "mapRuns", items)

    async def describe_map_run(self, body: dict[str, Any]) -> dict[str, Any]:
        record, run = self._map_run(_arn(body["mapRunArn"], "mapRun"))
        counts = {key: 0 for key in ("pending", "running", "succeeded", "failed", "timedOut", "aborted")}
        counts.update(total=run["total"], resultsWritten=0)
        status = run["status"]
        counts["running" if status == "RUNNING" else "succeeded" if status == "SUCCEEDED" else "failed"] = run["total"]
        answer = {
            "mapRunArn": run["mapRunArn"],
            "executionArn": record.arn,
            "status": status,
            "startDate": run["startDate"],
            "maxConcurrency": 0,
            "toleratedFailurePercentage": 0.0,
            "toleratedFailureCount": 0,
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
            if self.registry.token_owner(token) is not None:
                raise ApiError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")
            raise ApiError("InvalidToken", "Invalid Token: 'Invalid token'")
        try:
            act(owner, token)
        except TaskFailed as error:
            if error.error == "InvalidOutput":
                raise ApiError("InvalidOutput", f"Invalid Output: '{error.cause}'") from None
            raise ApiError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'") from None

    # -- activities -------------------------------------------------------------------------

    async def create_activity(self, body: dict[str, Any]) -> dict[str, Any]:
        name = _checked_name(body["name"])
        arn = f"{PREFIX}activity:{name}"
        existing = self.registry.activity(arn)
        if existing is None:
            existing = ActivityRecord(arn, name, _now())
            self.registry.put_activity(existing)
            self.registry.set_tags(arn, _tags(body.get("tags", [])))
        return {"activityArn": arn, "creationDate": existing.created}

    async def describe_activity(self, body: dict[str, Any]) -> dict[str, Any]:
        record = self._activity(body["activityArn"])
        return {"activityArn": record.arn, "name": record.name, "creationDate": record.created}

    async def list_activities(self, body: dict[str, Any]) -> dict[str, Any]:
        items = [{"activityArn": r.arn, "name": r.name, "creationDate": r.created} for r in self.registry.activities()]
        return _page(body, "activities", items)

    async def delete_activity(self, body: dict[str, Any]) -> dict[str, Any]:
        self.registry.delete_activity(_arn(body["activityArn"], "activity"))
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

    def _activity_resources(self, machine: StateMachine, execution_arn: str) -> dict[str, Callable[..., Any]]:
        found: dict[str, Callable[..., Any]] = {}
        for resource in _resources(machine.definition):
            if resource.startswith(f"{PREFIX}activity:") and resource not in self.resources:
                found[resource] = self._activity_worker(resource, execution_arn)
        return found

    def _activity_worker(self, activity_arn: str, execution_arn: str) -> Callable[..., Any]:
        async def scheduled(payload: JSON) -> JSON:
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
                await waiter.done.wait()
            finally:
                self._activity_tokens.pop(token, None)
            if waiter.error is not None:
                raise waiter.error
            return waiter.output

        return scheduled

    # -- TestState and tags -----------------------------------------------------------------

    async def test_state(self, body: dict[str, Any]) -> dict[str, Any]:
        from ..teststate import test_state_async

        keywords: dict[str, Any] = {"input": _input(body.get("input", "{}"))}
        if "variables" in body:
            keywords["variables"] = _input(body["variables"])
        if "context" in body:
            keywords["context"] = _input(body["context"])
        if "inspectionLevel" in body:
            keywords["inspection_level"] = body["inspectionLevel"]
        mock = body.get("mock") or {}
        if "errorOutput" in mock:
            keywords["mock"] = TaskFailed(mock["errorOutput"].get("error", ""), mock["errorOutput"].get("cause", ""))
        elif "result" in mock:
            keywords["mock"] = _input(mock["result"])
        retries = (body.get("stateConfiguration") or {}).get("retrierRetryCount")
        if retries is not None:
            keywords["retrier_retry_count"] = retries
        keywords["resources"] = self.resources
        definition = _definition(body["definition"])
        try:
            result = await test_state_async(definition, body.get("stateName"), **keywords)
        except DefinitionError as error:
            raise ApiError("InvalidDefinition", _definition_message(error.problems)) from None
        except AslError as error:
            raise ApiError("ValidationException", str(error)) from None
        answer: dict[str, Any] = {"status": result.status.value}
        if result.status.value in ("SUCCEEDED", "CAUGHT_ERROR") or result.output is not None:
            answer["output"] = json.dumps(result.output, separators=(",", ":"), ensure_ascii=False)
        answer.update(_error_fields(result.error, result.cause))
        if result.next_state:
            answer["nextState"] = result.next_state
        if result.inspection_data:
            answer["inspectionData"] = _inspection(result.inspection_data)
        return answer

    async def tag_resource(self, body: dict[str, Any]) -> dict[str, Any]:
        arn = self._taggable(body["resourceArn"])
        tags = self.registry.tags(arn)
        tags.update(_tags(body["tags"]))
        if len(tags) > 50:
            raise ApiError("TooManyTags", f"Too many tags: '{arn}'")
        self.registry.set_tags(arn, tags)
        return {}

    async def untag_resource(self, body: dict[str, Any]) -> dict[str, Any]:
        arn = self._taggable(body["resourceArn"])
        tags = self.registry.tags(arn)
        for key in body["tagKeys"]:
            tags.pop(key, None)
        self.registry.set_tags(arn, tags)
        return {}

    async def list_tags_for_resource(self, body: dict[str, Any]) -> dict[str, Any]:
        arn = self._taggable(body["resourceArn"])
        return {"tags": [{"key": k, "value": v} for k, v in self.registry.tags(arn).items()]}

    # -- lookups ----------------------------------------------------------------------------

    def _compile(self, definition: str, kind: str) -> StateMachine:
        from .. import parse

        key = (definition, kind)
        machine = self._compiled.get(key)
        if machine is not None:
            return machine
        if problems := _problems(definition):
            raise ApiError("InvalidDefinition", _definition_message(problems))
        try:
            machine = parse(definition, type=kind) if self._parse_type else parse(definition)  # type: ignore[call-arg]
        except DefinitionError as error:
            raise ApiError("InvalidDefinition", _definition_message(error.problems)) from None
        if len(self._compiled) > 256:
            self._compiled.clear()
        self._compiled[key] = machine
        return machine

    def _machine(self, arn: str) -> MachineRecord:
        record = self.registry.machine(arn)
        if record is None:
            raise ApiError("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")
        return record

    def _alias(self, arn: str) -> AliasRecord:
        alias = self.registry.alias(_arn(arn, "stateMachine"))
        if alias is None:
            raise ApiError("ResourceNotFound", f"Resource not found: '{arn}'")
        return alias

    def _target(self, arn: str) -> tuple[MachineRecord, str | None, str | None, str, str]:
        """The machine an ARN starts, the version or alias it names, and the definition and role."""
        version = self.registry.version(arn)
        if version is not None:
            return self._machine(version.machine_arn), arn, None, version.definition, version.role_arn
        alias = self.registry.alias(arn)
        if alias is not None:
            chosen = _pick(alias.routing)
            picked = self.registry.version(chosen)
            if picked is None:
                raise ApiError("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{chosen}'")
            return self._machine(alias.machine_arn), chosen, arn, picked.definition, picked.role_arn
        machine = self._machine(arn)
        return machine, None, None, machine.definition, machine.role_arn

    def _execution(self, arn: str) -> ExecutionRecord:
        record = self.registry.execution(_arn(arn, "execution", "express"))
        if record is None:
            raise ApiError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
        live = self.running.get(record.arn)
        if live is not None and live.done and record.status == "RUNNING":
            self._finish(record, live)  # ended a moment ago; its task has not recorded it yet
        return record

    def _activity(self, arn: str) -> ActivityRecord:
        record = self.registry.activity(_arn(arn, "activity"))
        if record is None:
            raise ApiError("ActivityDoesNotExist", f"Activity Does Not Exist: '{arn}'")
        return record

    def _taggable(self, arn: str) -> str:
        arn = _arn(arn, "stateMachine", "activity")
        if self.registry.machine(arn) is None and self.registry.activity(arn) is None:
            raise ApiError("ResourceNotFound", f"Resource not found: '{arn}'")
        return arn

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


def _snake(action: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()


def _now() -> float:
    import time

    return time.time()


def _no_override(_state_name: str) -> None:
    return None


def _token() -> str:
    # AWS's tokens are long opaque text; ours are random, and say nothing about the task.
    return base64.b64encode(secrets.token_bytes(96)).decode()


def _checked_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ApiError("InvalidName", f"Invalid Name: '{name}'")
    return name


def _role(arn: str) -> str:
    if not re.fullmatch(r"arn:aws[\w-]*:iam::\d{12}:role/\S+", arn):
        raise ApiError("InvalidArn", f"Invalid Arn: 'Invalid ARN prefix: {arn}'")
    return arn


def _arn(arn: str, *kinds: str) -> str:
    """`arn` when it is a Step Functions ARN of one of `kinds`; InvalidArn otherwise, in AWS's words."""
    parts = arn.split(":")
    if len(parts) < 7 or parts[0] != "arn" or parts[2] != "states":
        raise ApiError("InvalidArn", f"Invalid Arn: 'Invalid ARN prefix: {arn}'")
    if parts[5] not in kinds:
        raise ApiError("InvalidArn", f"Invalid Arn: 'Resource type not valid in this context: {parts[5]}'")
    return arn


def _split_test_case(arn: str) -> tuple[str, str | None]:
    machine, hash_sign, case = arn.partition("#")
    return machine, case if hash_sign else None


def _pick(routing: list[tuple[str, int]]) -> str:
    ticket = secrets.randbelow(100)
    for arn, weight in routing:
        if ticket < weight:
            return arn
        ticket -= weight
    return routing[-1][0]


def _input(text: str) -> JSON:
    try:
        value: JSON = json.loads(text)
    except ValueError as error:
        raise ApiError("InvalidExecutionInput", f"Invalid State Machine Execution Input: '{error}'") from None
    return value


def _definition(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise ApiError(
            "InvalidDefinition", f"Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: {error}'"
        ) from None


def _problems(definition: str) -> tuple[Problem, ...]:
    """The problems of a definition that is not even a JSON object (asl.validate would read a
    string as a file name: a request must never make the server read a file)."""
    try:
        value = json.loads(definition)
    except ValueError as error:
        return (Problem("", "INVALID_JSON_DESCRIPTION", str(error)),)
    if not isinstance(value, dict):
        return (Problem("", "SCHEMA_VALIDATION_FAILED", "The definition must be a JSON object"),)
    return ()


def _definition_message(problems: tuple[Problem, ...]) -> str:
    shown = ", ".join(f"{p.code}: {p.message}{f' at {p.path}' if p.path else ''}" for p in problems)
    return f"Invalid State Machine Definition: '{shown}'"


def _tags(items: list[dict[str, Any]]) -> dict[str, str]:
    return {item.get("key", ""): item.get("value", "") for item in items}


def _error_fields(error: str | None, cause: str | None) -> dict[str, str]:
    fields = {}
    if error:
        fields["error"] = error
    if cause:
        fields["cause"] = cause
    return fields


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


def _page(body: dict[str, Any], key: str, items: list[Any]) -> dict[str, Any]:
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


def _inspection(data: Mapping[str, Any]) -> dict[str, Any]:
    """TestState's inspection data in the API's shape: payloads as JSON text."""
    structured = {"request", "response", "errorDetails"}
    numbers = {"toleratedFailureCount", "toleratedFailurePercentage", "maxConcurrency"}
    answer: dict[str, Any] = {}
    for key, value in data.items():
        if key in structured or key in numbers:
            answer[key] = value
        else:
            answer[key] = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return answer
