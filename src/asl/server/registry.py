"""What `asl serve` keeps: state machines, versions, aliases, executions and their histories,
task tokens, activities and tags, behind `Registry`, the small interface a store implements.

`MemoryRegistry` keeps everything in this process (it is forgotten when the server stops); a
durable store (SQLite, PostgreSQL) implements the same methods. Records are plain data; a
running execution's live object stays with the server, never in the registry.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..context import JSON
from ..history import HistoryEvent

__all__ = [
    "ActivityRecord",
    "AliasRecord",
    "ExecutionRecord",
    "MachineRecord",
    "MemoryRegistry",
    "Registry",
    "VersionRecord",
]


@dataclass(slots=True)
class MachineRecord:
    """A state machine as CreateStateMachine made it and UpdateStateMachine changed it."""

    arn: str
    name: str
    definition: str
    role_arn: str
    type: str  # "STANDARD" | "EXPRESS"
    created: float
    updated: float
    revision_id: str
    logging: dict[str, JSON] = field(default_factory=dict)
    tracing: dict[str, JSON] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True, slots=True)
class VersionRecord:
    """A published, immutable version of a state machine (`...:stateMachine:NAME:N`)."""

    arn: str
    machine_arn: str
    number: int
    definition: str
    role_arn: str
    type: str
    created: float
    revision_id: str
    description: str = ""


@dataclass(slots=True)
class AliasRecord:
    """An alias routing executions to one or two versions by weight."""

    arn: str
    machine_arn: str
    name: str
    routing: list[tuple[str, int]]  # (version ARN, weight)
    created: float
    updated: float
    description: str = ""


@dataclass(slots=True)
class ExecutionRecord:
    """An execution as DescribeExecution reports it; `events` is its history once it has ended."""

    arn: str
    machine_arn: str  # the state machine's (unqualified) ARN
    name: str
    input: str
    started: float
    definition: str  # the definition it runs on, as DescribeStateMachineForExecution returns it
    role_arn: str
    updated: float  # when that definition was last changed
    status: str = "RUNNING"
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    stopped: float | None = None
    version_arn: str | None = None
    alias_arn: str | None = None
    redrive_count: int = 0
    redriven: float | None = None
    trace_header: str = ""
    events: Sequence[HistoryEvent] = ()


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    """An activity: a task list that workers poll with GetActivityTask."""

    arn: str
    name: str
    created: float


class Registry(Protocol):
    """Where the server keeps what its API creates. Every method is a plain, quick call."""

    # state machines, versions, aliases
    def put_machine(self, record: MachineRecord) -> None: ...
    def machine(self, arn: str) -> MachineRecord | None: ...
    def machines(self) -> list[MachineRecord]: ...
    def delete_machine(self, arn: str) -> None: ...
    def add_version(self, record: VersionRecord) -> None: ...
    def version(self, arn: str) -> VersionRecord | None: ...
    def versions(self, machine_arn: str) -> list[VersionRecord]: ...
    def delete_version(self, arn: str) -> None: ...
    def next_version_number(self, machine_arn: str) -> int: ...
    def put_alias(self, record: AliasRecord) -> None: ...
    def alias(self, arn: str) -> AliasRecord | None: ...
    def aliases(self, machine_arn: str) -> list[AliasRecord]: ...
    def delete_alias(self, arn: str) -> None: ...

    # executions and their histories
    def put_execution(self, record: ExecutionRecord) -> None: ...
    def execution(self, arn: str) -> ExecutionRecord | None: ...
    def executions(self, machine_arn: str | None = None) -> list[ExecutionRecord]: ...

    # task tokens handed out (to tell a finished task's token from one never issued)
    def add_tokens(self, tokens: Iterable[str], execution_arn: str) -> None: ...
    def token_owner(self, token: str) -> str | None: ...

    # activities and tags
    def put_activity(self, record: ActivityRecord) -> None: ...
    def activity(self, arn: str) -> ActivityRecord | None: ...
    def activities(self) -> list[ActivityRecord]: ...
    def delete_activity(self, arn: str) -> None: ...
    def tags(self, arn: str) -> dict[str, str]: ...
    def set_tags(self, arn: str, tags: dict[str, str]) -> None: ...


class MemoryRegistry:
    """A Registry in this process's memory: fast, and gone when the process ends."""

    def __init__(self) -> None:
        self._machines: dict[str, MachineRecord] = {}
        self._versions: dict[str, VersionRecord] = {}
        self._numbers: dict[str, itertools.count[int]] = {}
        self._aliases: dict[str, AliasRecord] = {}
        self._executions: dict[str, ExecutionRecord] = {}
        self._by_machine: dict[str, dict[str, ExecutionRecord]] = {}
        self._tokens: dict[str, str] = {}
        self._activities: dict[str, ActivityRecord] = {}
        self._tags: dict[str, dict[str, str]] = {}

    def put_machine(self, record: MachineRecord) -> None:
        self._machines[record.arn] = record

    def machine(self, arn: str) -> MachineRecord | None:
        return self._machines.get(arn)

    def machines(self) -> list[MachineRecord]:
        return sorted(self._machines.values(), key=lambda record: record.created)

    def delete_machine(self, arn: str) -> None:
        self._machines.pop(arn, None)
        self._tags.pop(arn, None)
        for version in self.versions(arn):
            self.delete_version(version.arn)
        for alias in self.aliases(arn):
            self.delete_alias(alias.arn)

    def add_version(self, record: VersionRecord) -> None:
        self._versions[record.arn] = record

    def version(self, arn: str) -> VersionRecord | None:
        return self._versions.get(arn)

    def versions(self, machine_arn: str) -> list[VersionRecord]:
        found = [v for v in self._versions.values() if v.machine_arn == machine_arn]
        return sorted(found, key=lambda v: -v.number)  # AWS lists the newest first

    def delete_version(self, arn: str) -> None:
        self._versions.pop(arn, None)

    def next_version_number(self, machine_arn: str) -> int:
        # AWS never reuses a version number, even after the version is deleted.
        return next(self._numbers.setdefault(machine_arn, itertools.count(1)))

    def put_alias(self, record: AliasRecord) -> None:
        self._aliases[record.arn] = record

    def alias(self, arn: str) -> AliasRecord | None:
        return self._aliases.get(arn)

    def aliases(self, machine_arn: str) -> list[AliasRecord]:
        return sorted((a for a in self._aliases.values() if a.machine_arn == machine_arn), key=lambda a: a.created)

    def delete_alias(self, arn: str) -> None:
        self._aliases.pop(arn, None)

    def put_execution(self, record: ExecutionRecord) -> None:
        self._by_machine.setdefault(record.machine_arn, {})[record.arn] = record
        self._executions[record.arn] = record

    def execution(self, arn: str) -> ExecutionRecord | None:
        return self._executions.get(arn)

    def executions(self, machine_arn: str | None = None) -> list[ExecutionRecord]:
        found = self._by_machine.get(machine_arn, {}) if machine_arn is not None else self._executions
        return sorted(found.values(), key=lambda record: -record.started)  # AWS lists the newest first

    def add_tokens(self, tokens: Iterable[str], execution_arn: str) -> None:
        for token in tokens:
            self._tokens[token] = execution_arn

    def token_owner(self, token: str) -> str | None:
        return self._tokens.get(token)

    def put_activity(self, record: ActivityRecord) -> None:
        self._activities[record.arn] = record

    def activity(self, arn: str) -> ActivityRecord | None:
        return self._activities.get(arn)

    def activities(self) -> list[ActivityRecord]:
        return sorted(self._activities.values(), key=lambda record: record.created)

    def delete_activity(self, arn: str) -> None:
        self._activities.pop(arn, None)
        self._tags.pop(arn, None)

    def tags(self, arn: str) -> dict[str, str]:
        return dict(self._tags.get(arn, {}))

    def set_tags(self, arn: str, tags: dict[str, str]) -> None:
        self._tags[arn] = dict(tags)
