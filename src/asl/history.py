"""The execution history: AWS-shaped events, recorded cheaply and serialised only when read.

Payloads (`input`, `output`, `parameters`, assigned variables) are kept as JSON values while
the execution runs; `HistoryEvent.to_dict()` renders them as AWS does, as compact JSON text
with a sibling `...Details: {"truncated": false}`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, Final, NamedTuple

from .clock import iso
from .context import JSON
from .errors import RuntimeFailure
from .paths import dumps

__all__ = ["Decision", "History", "HistoryEvent", "Lane", "new_record"]

# Which details object each event type carries.
_DETAILS: Final = {
    "ExecutionStarted": "executionStartedEventDetails",
    "ExecutionSucceeded": "executionSucceededEventDetails",
    "ExecutionFailed": "executionFailedEventDetails",
    "ExecutionTimedOut": "executionTimedOutEventDetails",
    "ExecutionAborted": "executionAbortedEventDetails",
    "TaskScheduled": "taskScheduledEventDetails",
    "TaskStarted": "taskStartedEventDetails",
    "TaskSubmitted": "taskSubmittedEventDetails",
    "TaskSucceeded": "taskSucceededEventDetails",
    "TaskFailed": "taskFailedEventDetails",
    "TaskTimedOut": "taskTimedOutEventDetails",
    "LambdaFunctionScheduled": "lambdaFunctionScheduledEventDetails",
    "LambdaFunctionSucceeded": "lambdaFunctionSucceededEventDetails",
    "LambdaFunctionFailed": "lambdaFunctionFailedEventDetails",
    "LambdaFunctionTimedOut": "lambdaFunctionTimedOutEventDetails",
    "MapStateStarted": "mapStateStartedEventDetails",
    "MapIterationStarted": "mapIterationStartedEventDetails",
    "MapIterationSucceeded": "mapIterationSucceededEventDetails",
    "MapIterationFailed": "mapIterationFailedEventDetails",
    "MapIterationAborted": "mapIterationAbortedEventDetails",
    "MapRunStarted": "mapRunStartedEventDetails",
    "MapRunFailed": "mapRunFailedEventDetails",
    "EvaluationFailed": "evaluationFailedEventDetails",
}
# Payload fields rendered as JSON text, with the name of their `...Details` sibling.
_PAYLOADS: Final = {"input": "inputDetails", "output": "outputDetails", "parameters": None}


class Decision(NamedTuple):
    """A choice the executor made that AWS's history does not record: which Choice rule
    matched (index -1: the Default), which Retrier retried, which Catcher caught.
    Coverage reads these; they are never part of the AWS-shaped history."""

    kind: str  # "choice" | "retry" | "catch"
    state: str
    clause: int  # the rule, Retrier or Catcher, counted from 0; -1: the Default


class HistoryEvent(NamedTuple):
    """One event: `id`, `previous_event_id`, `timestamp` (epoch seconds), `type`, raw `details`."""

    id: int
    previous_event_id: int
    timestamp: float
    type: str
    details: dict[str, JSON] | None = None

    def to_dict(self) -> dict[str, JSON]:
        """The event as GetExecutionHistory returns it."""
        event: dict[str, JSON] = {
            "id": self.id,
            "previousEventId": self.previous_event_id,
            "timestamp": iso(self.timestamp),
            "type": self.type,
        }
        if self.details is None:
            return event
        rendered: dict[str, JSON] = {}
        for key, value in self.details.items():
            if key in _PAYLOADS:
                rendered[key] = dumps(value)
                sibling = _PAYLOADS[key]
                if sibling:
                    rendered[sibling] = {"truncated": False}
            elif key == "assignedVariables" and isinstance(value, dict):
                rendered[key] = {name: dumps(v) for name, v in value.items()}
                rendered["assignedVariablesDetails"] = {"truncated": False}
            else:
                rendered[key] = value
        event[_details_key(self.type)] = rendered
        return event


def _details_key(kind: str) -> str:
    if kind in _DETAILS:
        return _DETAILS[kind]
    if kind.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if kind.endswith("StateExited"):
        return "stateExitedEventDetails"
    return kind[0].lower() + kind[1:] + "EventDetails"


# Makes a HistoryEvent or Decision from a tuple of its fields: `HistoryEvent(...)` runs
# NamedTuple's own __new__, a Python function, at every transition.
new_record: Final = tuple.__new__


# What History.log holds until the history is read, as plain tuples: a HistoryEvent (a tuple
# subclass) costs twice as much to make, and most histories are never read. Ids are not kept:
# records are in event order, so the n-th event has id n.
# One event: (the id it follows, its time, its type, its details).
Record = tuple[int, float, str, "dict[str, JSON] | None"]
# One run of an instant state: (the id its Entered event follows, the time of entry, the state,
# its input, its output). It stands for the state's two events.
Step = tuple[int, float, Any, JSON, JSON]


class Lane:
    """One thread of control (the execution, a branch, an iteration): the id its next event follows."""

    __slots__ = ("last", "path")

    def __init__(self, last: int = 0, path: str = "") -> None:
        self.last = last
        # Names the lane the same way in every run of the execution (a durable one is replayed by lane).
        self.path = path


_NO_LANE: Final = Lane()  # for `History.note`: the lane it moves is never read


class History:
    """The events of one execution, numbered from 1, built when they are read.

    `add` records one event (as a `Record`). The executor's loop over instant states records
    each state it ran as one `Step` instead of its two events (Entered, Exited). `events` makes
    the HistoryEvents, in order, on first read after new records. `count` is the number of events.

    AWS fails an execution whose history reaches its quota of events: past `limit` events,
    `add` raises States.Runtime (the execution's own closing event is always recorded).
    """

    __slots__ = ("_events", "log", "count", "now", "listener", "limit", "recorder")

    def __init__(
        self,
        now: Callable[[], float],
        listener: Callable[[HistoryEvent], None] | None = None,
        limit: int | None = None,
    ) -> None:
        self._events: list[HistoryEvent] = []
        self.log: list[Record | Step | HistoryEvent] = []  # recorded since `events` was last read
        self.count = 0
        self.now = now
        self.listener = listener
        self.limit = sys.maxsize if limit is None else limit
        self.recorder: Any = None  # a durable execution's `durable.Recorder`: it records (or replays) each event

    @property
    def events(self) -> list[HistoryEvent]:
        """Every event so far (one list, which grows as the execution goes on)."""
        if self.log:
            self._expand()
        return self._events

    @property
    def last_id(self) -> int:
        return self.count

    def _expand(self) -> None:
        events, append = self._events, self._events.append
        for record in self.log:
            if isinstance(record, HistoryEvent):  # one a listener was given, kept as it is
                append(record)
            elif len(record) == 4:
                previous, at, kind, details = record  # a Record
                append(new_record(HistoryEvent, (len(events) + 1, previous, at, kind, details)))
            else:
                previous, at, state, value, output = record  # a Step
                entered, name = len(events) + 1, state.name
                append(
                    new_record(
                        HistoryEvent, (entered, previous, at, state.entered_event, {"name": name, "input": value})
                    )
                )
                append(
                    new_record(
                        HistoryEvent, (entered + 1, entered, at, state.exited_event, {"name": name, "output": output})
                    )
                )
        self.log.clear()

    def note(self, kind: str, previous: int, details: dict[str, JSON] | None = None) -> int:
        """Record an event that follows `previous` without moving any lane (a Map's or
        Parallel's Succeeded/Failed: AWS points it, and the Exited after it, at the last
        event inside the state)."""
        return self.add(_NO_LANE, kind, details, previous=previous)

    def add(
        self,
        lane: Lane,
        kind: str,
        details: dict[str, JSON] | None = None,
        *,
        previous: int | None = None,
        timestamp: float | None = None,
    ) -> int:
        if self.recorder is not None:
            return self.recorder.add(lane, kind, details, previous, timestamp)  # type: ignore[no-any-return]
        event_id = self.count + 1
        if event_id >= self.limit and not kind.startswith("Execution"):
            raise RuntimeFailure(f"The execution history reached its limit of {self.limit} events.")
        prev = lane.last if previous is None else previous
        at = self.now() if timestamp is None else timestamp
        self.count = lane.last = event_id
        if self.listener is None:
            self.log.append((prev, at, kind, details))
        else:
            event = new_record(HistoryEvent, (event_id, prev, at, kind, details))
            self.log.append(event)
            self.listener(event)
        return event_id
