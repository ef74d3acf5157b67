"""What each state of one execution did, read from its history: the console's colours and panels.

    progress = Progress()
    changed = progress.add_all(events)          # the names of the states those events touched
    progress.states["Charge"].text              # "Succeeded · retried 2 times"
    progress.failing                            # where a failed execution failed, or None

Events are tied to states by `previousEventId`: an event that is not a state's entry belongs to
the state its previous event belongs to (AWS chains a Task's Scheduled, Started and Failed events
to the state's Entered event, and ExecutionFailed to the event that failed it). States are known
by name, as the history names them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from ..context import JSON
from ..history import HistoryEvent

__all__ = ["EXECUTION_BADGES", "ICONS", "STATUS_TEXT", "Progress", "StateProgress"]

# The words shown for each status, beside its colour and shape.
STATUS_TEXT: Final = {
    "not-entered": "Not entered",
    "running": "Running",
    "waiting": "Waiting for callback",
    "succeeded": "Succeeded",
    "failed": "Failed",
    "caught": "Caught",
    "cancelled": "Cancelled",
}
# The shape drawn beside the words: a second cue besides colour.
ICONS: Final = {
    "not-entered": "○",
    "running": "◔",
    "waiting": "⏸",
    "succeeded": "✓",
    "failed": "✕",
    "caught": "⚠",
    "cancelled": "■",
}
# An execution's status: its icon and words.
EXECUTION_BADGES: Final = {
    "RUNNING": ("◔", "Running"),
    "SUCCEEDED": ("✓", "Succeeded"),
    "FAILED": ("✕", "Failed"),
    "TIMED_OUT": ("⧗", "Timed out"),
    "ABORTED": ("■", "Aborted"),
    "PENDING_REDRIVE": ("↻", "Pending redrive"),
}
# Events that start (another) attempt of the state's work: after a failure, a retry.
_ATTEMPTS: Final = frozenset(
    {"TaskScheduled", "ActivityScheduled", "LambdaFunctionScheduled", "ParallelStateStarted", "MapStateStarted"}
)
_FAILURES: Final = frozenset(
    {
        *(f"Task{end}" for end in ("Failed", "TimedOut", "StartFailed", "SubmitFailed")),
        *(f"Activity{end}" for end in ("Failed", "TimedOut", "ScheduleFailed")),
        *(f"LambdaFunction{end}" for end in ("Failed", "TimedOut", "StartFailed", "ScheduleFailed")),
        "ParallelStateFailed",
        "MapStateFailed",
    }
)
_ENDINGS: Final = {"ExecutionFailed": "failed", "ExecutionTimedOut": "failed", "ExecutionAborted": "cancelled"}


@dataclass(slots=True)
class StateProgress:
    """One state: its status, how often it was entered and retried, and its last entry's data."""

    name: str
    status: str = "not-entered"
    kind: str = ""  # the state's Type, as its Entered event says
    entries: int = 0
    retries: int = 0
    input: JSON = None
    output: JSON = None
    variables: dict[str, JSON] | None = None
    error: str | None = None
    cause: str | None = None
    children: list[str] = field(default_factory=list)  # execution ARNs it started
    _pending: bool = False  # the current attempt failed; a retry or a Catch comes next

    @property
    def text(self) -> str:
        """The status in words: `Succeeded · retried 2 times`, `Running · entered 3 times`."""
        words = [STATUS_TEXT[self.status]]
        if self.retries:
            words.append(f"retried {self.retries} time{'s' * (self.retries != 1)}")
        if self.entries > 1:
            words.append(f"entered {self.entries} times")
        return " · ".join(words)

    def to_dict(self) -> dict[str, JSON]:
        """The state as the console's page reads it."""
        return {
            "name": self.name,
            "type": self.kind,
            "status": self.status,
            "text": self.text,
            "icon": ICONS[self.status],
            "entries": self.entries,
            "retries": self.retries,
            "input": self.input,
            "output": self.output,
            "variables": self.variables,
            "error": self.error,
            "cause": self.cause,
            "children": list(self.children),
        }


class Progress:
    """The states of one execution as its events arrive (`add`), and where it failed."""

    def __init__(self) -> None:
        self.states: dict[str, StateProgress] = {}
        self.status = "RUNNING"
        self.failing: str | None = None
        self.count = 0
        self._owner: dict[int, str] = {}  # event id -> the name of the state it belongs to
        self._open: dict[str, list[str]] = {"Parallel": [], "Map": []}  # entered, not yet exited
        self._last_failure: str | None = None
        self._inner: dict[str, str] = {}  # a failed Parallel or Map -> the inner state that failed it

    def add_all(self, events: Iterable[HistoryEvent]) -> set[str]:
        """Take events in order; returns the names of the states whose progress changed."""
        changed: set[str] = set()
        for event in events:
            name = self.add(event)
            if name is not None:
                changed.add(name)
        if self.status != "RUNNING":
            changed.update(self.states)  # the end of the execution settles every open state
        return changed

    def add(self, event: HistoryEvent) -> str | None:  # noqa: C901 - one branch per kind of event
        """Take one event; returns the name of the state it changed, if any."""
        self.count += 1
        kind, details = event.type, event.details or {}
        if kind.endswith("StateEntered"):
            return self._enter(event, kind, details)
        owner = self._owner.get(event.previous_event_id)
        if kind.endswith("StateExited"):
            owner = str(details.get("name", owner))
        container = kind.removesuffix(kind.removeprefix("ParallelState").removeprefix("MapState"))
        if container in ("ParallelState", "MapState") and not kind.endswith("Exited"):
            # A Parallel's or Map's own events follow its branches' last events: the state is the
            # innermost one of its type still open.
            open_states = self._open.get(container.removesuffix("State"), [])
            owner = open_states[-1] if open_states else owner
        if owner is not None:
            self._owner[event.id] = owner
        if kind in _ENDINGS or kind == "ExecutionSucceeded":
            self._end(kind, details, owner)
            return None
        if owner is None:
            return None
        state = self._state(owner)
        if kind.endswith("StateExited"):
            self._exit(state, details)
        elif kind in _ATTEMPTS and state._pending:
            state.retries += 1
            state.status, state._pending = "running", False
        elif kind == "TaskSubmitted" and str(details.get("resource", "")).endswith(".waitForTaskToken"):
            state.status = "waiting"
        elif kind in ("TaskSubmitted", "TaskSucceeded"):
            if state.status == "waiting":
                state.status = "running"
            state.children.extend(_children(details.get("output")))
        elif kind in _FAILURES:
            state.error, state.cause = _text(details.get("error")), _text(details.get("cause"))
            state._pending = True
            if kind in ("ParallelStateFailed", "MapStateFailed"):
                self._settle_inner()
                if self._last_failure is not None:
                    self._inner[owner] = self._last_failure
            else:
                self._last_failure = owner
        elif kind.endswith("Aborted") and state.status in ("running", "waiting"):
            state.status = "cancelled"
        else:
            return None
        return owner

    def _enter(self, event: HistoryEvent, kind: str, details: dict[str, JSON]) -> str:
        name = str(details.get("name", ""))
        state = self._state(name)
        state.entries += 1
        state.status, state._pending = "running", False
        state.input, state.output, state.variables = details.get("input"), None, None
        state.kind = kind.removesuffix("StateEntered")
        if state.kind in self._open:
            self._open[state.kind].append(name)
        if kind == "FailStateEntered":
            state.status = "failed"
        self._owner[event.id] = name
        return name

    def _exit(self, state: StateProgress, details: dict[str, JSON]) -> None:
        state.output = details.get("output")
        assigned = details.get("assignedVariables")
        state.variables = dict(assigned) if isinstance(assigned, dict) else None
        output = state.output
        if state._pending and state.error is None and isinstance(output, dict) and "Error" in output:
            state.error, state.cause = _text(output.get("Error")), _text(output.get("Cause"))  # a Catch's result
        if state.status != "failed":
            state.status = "caught" if state._pending else "succeeded"
        state._pending = False
        open_states = self._open.get(state.kind)
        if open_states and state.name in open_states:
            open_states.reverse()
            open_states.remove(state.name)
            open_states.reverse()

    def _settle_inner(self) -> None:
        """A Parallel or Map failed: the inner state whose error ended it failed; the others stopped."""
        for state in self.states.values():
            if state.kind in self._open or state.status not in ("running", "waiting"):
                continue
            state.status = "failed" if state._pending else "cancelled"

    def _end(self, kind: str, details: dict[str, JSON], owner: str | None) -> None:
        self.status = "SUCCEEDED" if kind == "ExecutionSucceeded" else kind.removeprefix("Execution").upper()
        if kind == "ExecutionSucceeded":
            return
        # States entered and never left are where the execution stopped.
        ending = _ENDINGS[kind]
        for state in self.states.values():
            if state.status in ("running", "waiting"):
                state.status = "failed" if state._pending else ending
        if owner is not None:
            state = self._state(owner)
            if ending == "failed":
                state.status = "failed"
                # A Parallel or Map failed by a branch opens on the state inside whose error failed it.
                self.failing = self._inner.get(owner, owner)
            if state.error is None:
                state.error, state.cause = _text(details.get("error")), _text(details.get("cause"))

    def owner(self, event_id: int) -> str | None:
        """The name of the state an event (already added) belongs to, if any."""
        return self._owner.get(event_id)

    def _state(self, name: str) -> StateProgress:
        state = self.states.get(name)
        if state is None:
            state = self.states[name] = StateProgress(name)
        return state


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _children(output: Any) -> list[str]:
    """The execution ARNs a Task's result names (`states:startExecution` answers with one)."""
    if isinstance(output, str):
        try:
            output = json.loads(output)
        except ValueError:
            return []
    if not isinstance(output, dict):
        return []
    found = []
    for key in ("ExecutionArn", "executionArn"):
        value = output.get(key)
        if isinstance(value, str) and value.startswith("arn:") and ":execution:" in value:
            found.append(value)
    return found
