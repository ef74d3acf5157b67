"""The contract of `asl.server.Registry`: what every store behind `asl serve` must do. Each test
runs against every implementation in REGISTRIES (a durable store joins the list)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from asl.server import MemoryRegistry, Registry
from asl.server.registry import ActivityRecord, AliasRecord, ExecutionRecord, MachineRecord, VersionRecord

REGISTRIES: dict[str, Callable[[], Registry]] = {"memory": MemoryRegistry}
PREFIX = "arn:aws:states:us-east-1:123456789012:"
MACHINE = f"{PREFIX}stateMachine:M"


@pytest.fixture(params=sorted(REGISTRIES))
def registry(request: pytest.FixtureRequest) -> Registry:
    return REGISTRIES[request.param]()


def machine(name: str = "M", created: float = 1.0) -> MachineRecord:
    return MachineRecord(f"{PREFIX}stateMachine:{name}", name, "{}", "role", "STANDARD", created, created, "r1")


def execution(name: str, started: float, machine_arn: str = MACHINE) -> ExecutionRecord:
    return ExecutionRecord(f"{PREFIX}execution:M:{name}", machine_arn, name, "{}", started, "{}", "role", 1.0)


def test_machines_are_kept_listed_oldest_first_and_deleted(registry: Registry) -> None:
    registry.put_machine(machine("B", created=2.0))
    registry.put_machine(machine("A", created=1.0))
    assert [m.name for m in registry.machines()] == ["A", "B"]
    changed = machine("A", created=1.0)
    changed.definition = '{"changed": true}'
    registry.put_machine(changed)
    assert registry.machine(f"{PREFIX}stateMachine:A") == changed
    registry.delete_machine(f"{PREFIX}stateMachine:A")
    assert registry.machine(f"{PREFIX}stateMachine:A") is None
    registry.delete_machine(f"{PREFIX}stateMachine:Gone")  # deleting what is not there is no error


def test_version_numbers_are_never_reused(registry: Registry) -> None:
    registry.put_machine(machine())
    for _ in range(2):
        number = registry.next_version_number(MACHINE)
        registry.add_version(VersionRecord(f"{MACHINE}:{number}", MACHINE, number, "{}", "role", "STANDARD", 1.0, "r"))
    assert [v.number for v in registry.versions(MACHINE)] == [2, 1]  # newest first
    registry.delete_version(f"{MACHINE}:2")
    assert registry.next_version_number(MACHINE) == 3


def test_deleting_a_machine_deletes_its_versions_aliases_and_tags(registry: Registry) -> None:
    registry.put_machine(machine())
    registry.add_version(VersionRecord(f"{MACHINE}:1", MACHINE, 1, "{}", "role", "STANDARD", 1.0, "r"))
    registry.put_alias(AliasRecord(f"{MACHINE}:live", MACHINE, "live", [(f"{MACHINE}:1", 100)], 1.0, 1.0))
    registry.set_tags(MACHINE, {"team": "a"})
    registry.delete_machine(MACHINE)
    assert (registry.versions(MACHINE), registry.aliases(MACHINE), registry.tags(MACHINE)) == ([], [], {})
    assert registry.alias(f"{MACHINE}:live") is None


def test_executions_are_listed_newest_first_per_machine(registry: Registry) -> None:
    registry.put_execution(execution("old", 1.0))
    registry.put_execution(execution("new", 2.0))
    registry.put_execution(execution("other", 3.0, machine_arn=f"{PREFIX}stateMachine:N"))
    assert [e.name for e in registry.executions(MACHINE)] == ["new", "old"]
    assert [e.name for e in registry.executions()] == ["other", "new", "old"]
    ended = execution("old", 1.0)
    ended.status, ended.output = "SUCCEEDED", "{}"
    registry.put_execution(ended)  # put again: updated, not listed twice
    assert [(e.name, e.status) for e in registry.executions(MACHINE)] == [("new", "RUNNING"), ("old", "SUCCEEDED")]


def test_tokens_activities_and_tags(registry: Registry) -> None:
    registry.add_tokens(["t1", "t2"], "exec")
    assert (registry.token_owner("t2"), registry.token_owner("t3")) == ("exec", None)
    activity = ActivityRecord(f"{PREFIX}activity:A", "A", 1.0)
    registry.put_activity(activity)
    registry.set_tags(activity.arn, {"k": "v"})
    assert (registry.activity(activity.arn), registry.activities()) == (activity, [activity])
    tags = registry.tags(activity.arn)
    tags["other"] = "x"  # a copy: changing it changes nothing stored
    assert registry.tags(activity.arn) == {"k": "v"}
    registry.delete_activity(activity.arn)
    assert (registry.activity(activity.arn), registry.tags(activity.arn)) == (None, {})
