"""Durable executions: the history in a store is the record, and a restart replays it.

`execute(machine, input, store=..., name=...)` starts an execution whose every history event is
committed to the store before anything outside the process can observe its effect: before a
Task's resource is called (its Scheduled and Started events, and its task token, go first),
before a Wait or a retry backoff begins, and before the result is returned. Events are
committed in groups: one transaction at each of those points, not one per event.

After a crash the same call resumes the execution: the interpreter runs it again from the start,
and each event it makes is matched with the recorded one of the same thread of control (lane),
whose id and time it takes. A Task whose outcome was recorded is not invoked again (its result or
error comes from the record); one in flight at the crash is invoked again (at least once). A Wait
ends at its original due time, a retry backoff after its remaining delay. An event that differs
from the record is refused as a corrupted history (`StoreError`).

What a run is at one instant is derived, never saved: positions of branches and iterations are
the recorded events of their lanes; random draws (task tokens, States.UUID, jitter) come from a
seeded source per lane, so a lane draws the same values in every run of the execution.
"""

from __future__ import annotations

import contextlib
import json
import os
import random as _random
import secrets
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import Any, Final

import anyio
from anyio.lowlevel import checkpoint

from . import executor
from .clock import Clock, SystemClock, iso
from .context import JSON
from .errors import (
    DataLimitExceeded,
    HeartbeatTimeout,
    RuntimeFailure,
    TaskFailed,
    Timeout,
)
from .history import _NO_LANE, History, HistoryEvent, Lane, new_record
from .model import StateMachine
from .runtime import ACCOUNT, REGION, Limits, Run, TaskToken
from .store import ExecutionExists, ExecutionRecord, Store, StoredEvent, StoreError, open_store, owner_id

__all__ = [
    "ExecutionExists",
    "StoreError",
    "describe",
    "execute",
    "run",
    "send_task_failure",
    "send_task_heartbeat",
    "send_task_success",
]

# The lane (thread of control) the current task runs: set by the executor for each graph it runs.
LANE: Final[ContextVar[str]] = ContextVar("asl_lane", default="")

POLL_SECONDS: Final = 0.05  # how often a running execution looks for token answers and commits
LEASE_SECONDS: Final = 30.0


class LaneRandom(_random.Random):
    """A seeded random source per lane: each thread of control draws its own sequence, the same
    in every run of the execution, however its siblings interleave."""

    def __init__(self, seed: int) -> None:
        self._text = str(seed)
        self._lanes: dict[str, _random.Random] = {}
        super().__init__(seed)

    def _lane(self) -> _random.Random:
        path = LANE.get()
        source = self._lanes.get(path)
        if source is None:
            source = self._lanes[path] = _random.Random(f"{self._text}/{path}")
        return source

    def random(self) -> float:
        return self._lane().random()

    def getrandbits(self, k: int, /) -> int:
        return self._lane().getrandbits(k)


Row = tuple[int, str, int, float, str, "dict[str, JSON] | None"]


class Recorder:
    """Records a durable execution's events into its store, or replays the recorded ones.

    The executor hands it each event (`History.add`), each resource call (`before_call`), each
    pause (`pause`, `pause_until`) and each Task's attempt (`recorded_task`).
    """

    def __init__(self, store: Store, name: str, stored: Sequence[StoredEvent], clock: Clock) -> None:
        self.store, self.name, self.clock = store, name, clock
        self.stored = stored
        self.replay: dict[str, deque[StoredEvent]] = {}
        for event in stored:
            self.replay.setdefault(event.lane, deque()).append(event)
        self.times: dict[int, float] = {event.id: event.timestamp for event in stored}
        self.last_time: dict[str, float] = {}
        self.pending: list[Row] = []
        self.tokens: list[tuple[str, str]] = []
        self.closed_tokens: list[str] = []
        self.history: History | None = None
        self.listener: Callable[[HistoryEvent], None] | None = None
        self.closed = False  # after a corrupted history or a cancelled run: nothing more is written
        self.beats: dict[str, int] = {}

    # -- the executor's hooks -------------------------------------------------------------

    def attach(self, history: History) -> None:
        """Take over a new execution's History: the recorded events are its first ones."""
        self.history = history
        history.recorder = self
        self.listener = history.listener
        history.listener = self._notify  # every event comes through `add` (no batched steps)
        history.log.extend(
            new_record(HistoryEvent, (e.id, e.previous, e.timestamp, e.type, e.details)) for e in self.stored
        )
        history.count = len(self.stored)

    def _notify(self, event: HistoryEvent) -> None:
        if self.listener is not None:
            self.listener(event)

    @contextlib.contextmanager
    def within(self, lane: Lane) -> Iterator[None]:
        """The current task runs `lane` for the duration."""
        reset = LANE.set(lane.path)
        try:
            yield
        finally:
            LANE.reset(reset)

    def add(
        self,
        lane: Lane,
        kind: str,
        details: dict[str, JSON] | None,
        previous: int | None,
        timestamp: float | None,
    ) -> int:
        """`History.add` for a durable execution: the recorded event when there is one, else a new one."""
        history = self.history
        assert history is not None
        current = LANE.get()
        key = "^" + current if lane is _NO_LANE else lane.path
        queue = self.replay.get(key)
        if queue and not self.closed:
            recorded = queue.popleft()
            if recorded.type != kind or recorded.details != details:
                self.closed = True
                raise StoreError(
                    f"the history of '{self.name}' does not match its definition at event {recorded.id} "
                    f"({recorded.type}; replayed: {kind}): it was altered, it is not replayed"
                )
            lane.last = recorded.id
            self.last_time[current] = recorded.timestamp
            return recorded.id
        event_id = history.count + 1
        if event_id >= history.limit and not kind.startswith("Execution"):
            raise RuntimeFailure(f"The execution history reached its limit of {history.limit} events.")
        prev = lane.last if previous is None else previous
        at = self.clock.now() if timestamp is None else timestamp
        history.count = lane.last = event_id
        event = new_record(HistoryEvent, (event_id, prev, at, kind, details))
        history.log.append(event)
        self.times[event_id] = self.last_time[current] = at
        if not self.closed:
            self.pending.append((event_id, key, prev, at, kind, details))
        if self.listener is not None:
            self.listener(event)
        return event_id

    def time_of(self, event_id: int) -> float:
        """The time of an event just recorded or replayed."""
        return self.times[event_id]

    def before_call(self, token: TaskToken | None, state: str) -> None:
        """A resource is about to be called (with `token`, if any): what led to it is committed first."""
        if token is not None:
            self.tokens.append((token.token, state))
        self.commit()

    def token_closed(self, token: str) -> None:
        self.closed_tokens.append(token)

    async def pause(self, seconds: float) -> None:
        """A retry backoff: `seconds` after the lane's last event (the failure), which may be past."""
        start = self.last_time.get(LANE.get(), self.clock.now())
        await self.pause_until(start + seconds)

    async def pause_until(self, due: float) -> None:
        """Wait until `due`, unless the lane's record goes on past this point (the wait ended)."""
        if self.replay.get(LANE.get()):
            await checkpoint()
            return
        self.commit()  # the wait's start is recorded: after a crash it ends when it was due
        seconds = due - self.clock.now()
        if seconds > 0:
            await self.clock.sleep(seconds)
        else:
            await checkpoint()

    def recorded_task(self, lane: Lane, prefix: str) -> Replayed | None:
        """What the record says of the Task attempt whose Started event was just replayed; None when
        nothing (the call was in flight, or this attempt is new): the resource is called."""
        queue = self.replay.get(lane.path)
        if not queue:
            return None
        first = queue[0]
        started = self.last_time.get(LANE.get(), first.timestamp)  # the Started event just replayed
        if first.type == "TaskSubmitted":
            submitted = (first.details or {}).get("output")
            after = queue[1] if len(queue) > 1 else None
            return Replayed(True, submitted, _outcome(after, prefix, started))
        outcome = _outcome(first, prefix, started)
        return None if outcome is None else Replayed(False, None, outcome)

    # -- committing -----------------------------------------------------------------------

    def commit(self, end: tuple[str, JSON, str | None, str | None, float] | None = None) -> None:
        """Write what was recorded since the last commit, as one group (one transaction)."""
        if self.closed or not (self.pending or self.tokens or self.closed_tokens or end):
            return
        pending, tokens, closed = self.pending, self.tokens, self.closed_tokens
        self.pending, self.tokens, self.closed_tokens = [], [], []
        self.store.append(self.name, pending, tokens=tokens, closed_tokens=closed, end=end)

    def leftover(self) -> StoredEvent | None:
        """A recorded event the replay never reached: the record says more than the definition does."""
        remaining = [queue[0] for queue in self.replay.values() if queue]
        return min(remaining, key=lambda event: event.id) if remaining else None

    def poll(self, run: Run) -> None:
        """Commit, and hand the waiting Tasks the answers other processes stored for their tokens."""
        self.commit()
        if not run.tokens:
            return
        for answer in self.store.answers(list(run.tokens)):
            waiter = run.tokens.get(answer.token)
            if waiter is None or waiter.done.is_set():
                continue
            if answer.heartbeats > self.beats.get(answer.token, 0):
                self.beats[answer.token] = answer.heartbeats
                waiter.beat()
            if answer.outcome == "success":
                waiter.succeed(answer.output)
            elif answer.outcome == "failure":
                waiter.fail(answer.error, answer.cause)


class Replayed:
    """A Task attempt's recorded outcome: its resource's result (when a TaskSubmitted event holds
    it) and how the attempt ended (None: it still waits for its token)."""

    __slots__ = ("submitted", "result", "outcome")

    def __init__(self, submitted: bool, result: JSON, outcome: Outcome | None) -> None:
        self.submitted, self.result, self.outcome = submitted, result, outcome

    def finish(self, timeout: float | None = None, heartbeat: float | None = None) -> JSON:
        """The recorded result, or the recorded error raised as the attempt raised it. AWS records a
        missed heartbeat as States.Timeout: one that came before the Task's own timeout was one."""
        assert self.outcome is not None
        kind, value, cause, elapsed = self.outcome
        if kind == "result":
            return value
        if value == "States.Timeout" and heartbeat is not None and (timeout is None or elapsed < timeout):
            raise HeartbeatTimeout(cause)
        return _error(str(value), cause)


# (kind "result" or "error", the result or error name, the cause, seconds from the Task's start)
Outcome = tuple[str, JSON, str, float]


def _outcome(event: StoredEvent | None, prefix: str, started: float) -> Outcome | None:
    if event is None:
        return None
    details = event.details or {}
    elapsed = event.timestamp - started
    if event.type == f"{prefix}Succeeded":
        return ("result", details.get("output"), "", elapsed)
    if event.type in (f"{prefix}Failed", f"{prefix}TimedOut"):
        return ("error", details.get("error") or "", str(details.get("cause") or ""), elapsed)
    return None


def _error(error: str, cause: str) -> JSON:
    """Raise a recorded Task error as the class that raised it first (Retry and Catch see the same)."""
    if error == "States.Timeout":
        raise Timeout(cause)
    if error == "States.DataLimitExceeded":
        raise DataLimitExceeded(cause)
    if error == "States.Runtime" and cause == RuntimeFailure.too_deep().cause:
        raise RuntimeFailure(cause)
    raise TaskFailed(error, cause)


# -- the library's verbs --------------------------------------------------------------------------


def _definition_text(machine: StateMachine) -> str:
    return json.dumps(machine.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _store(store: Store | str | os.PathLike[str]) -> tuple[Store, bool]:
    if isinstance(store, (str, os.PathLike)):
        return open_store(store), True
    return store, False


async def execute(
    machine: StateMachine | None,
    input: JSON = None,  # noqa: A002 - the ASL word
    *,
    store: Store | str | os.PathLike[str],
    name: str,
    resources: Mapping[str, Callable[..., Any]] | None = None,
    clock: Clock | None = None,
    seed: int | None = None,
    state_machine_name: str = "StateMachine",
    role_arn: str | None = None,
    limits: Limits | None = None,
    on_event: Callable[[HistoryEvent], None] | None = None,
    task_override: Callable[[str], Callable[..., Any] | None] | None = None,
    aws: Any = None,
) -> executor.Execution:
    """Start execution `name` in `store`, resume it after a crash, or return it as recorded once ended.

    `machine` may be None to resume an execution on its stored definition; given, it must be
    the stored one. Takes `asl.execute`'s keywords. Raises ExecutionExists when `name` was
    started with another definition or input, StoreError when the store cannot be used or the
    history was altered, and what `asl.execute` raises.
    """
    opened, owned = _store(store)
    try:
        return await _execute(
            opened,
            machine,
            input,
            name,
            resources,
            clock,
            seed,
            state_machine_name,
            role_arn,
            limits,
            on_event,
            task_override,
            aws,
        )
    finally:
        if owned:
            opened.close()


async def _execute(  # noqa: PLR0913 - execute's keywords, passed on
    store: Store,
    machine: StateMachine | None,
    input: JSON,  # noqa: A002
    name: str,
    resources: Mapping[str, Callable[..., Any]] | None,
    clock: Clock | None,
    seed: int | None,
    state_machine_name: str,
    role_arn: str | None,
    limits: Limits | None,
    on_event: Callable[[HistoryEvent], None] | None,
    task_override: Callable[[str], Callable[..., Any] | None] | None,
    aws: Any,
) -> executor.Execution:
    executor._checked_name(name)
    clock = clock or SystemClock()
    record = store.get(name)
    if record is None:
        if machine is None:
            raise StoreError(f"{store.location}: no execution named '{name}' to resume")
        options: dict[str, JSON] = {
            "seed": secrets.randbits(63) if seed is None else seed,
            "state_machine_name": state_machine_name,
            "role_arn": role_arn,
        }
        value: JSON = {} if input is None else input
        record = store.create(name, _definition_text(machine), value, options, clock.now())
    elif machine is not None and (
        _definition_text(machine) != record.definition or (input is not None and input != record.input)
    ):
        what = "input" if _definition_text(machine) == record.definition else "definition"
        raise ExecutionExists(f"Execution Already Exists: '{name}' (started with another {what})")
    if record.status != "RUNNING":
        return recorded(store, record)
    from . import parse

    if machine is None or _definition_text(machine) != record.definition:
        machine = parse(record.definition)  # the execution always resumes on its own definition
    stored = store.history(name)
    options = record.options
    execution = executor._prepare(
        machine,
        record.input,
        resources=resources,
        clock=clock,
        name=name,
        state_machine_name=str(options.get("state_machine_name") or state_machine_name),
        role_arn=options.get("role_arn") or role_arn,  # type: ignore[arg-type]
        limits=limits,
        on_event=on_event,
        task_override=task_override,
        aws=aws,  # not stored: each process that resumes the execution says whether AWS serves it
    )
    run = execution._run
    assert run is not None
    run.random = LaneRandom(int(options.get("seed") or 0))  # type: ignore[arg-type]
    recorder = run.recorder = Recorder(store, name, stored, clock)
    execution.start_time = record.start_time
    context = run.base["Execution"]
    assert isinstance(context, dict)
    context["StartTime"] = iso(record.start_time)
    owner = owner_id()
    store.lease(name, owner, LEASE_SECONDS)
    try:
        await _drive(run, recorder, machine, execution, store, owner)
    except BaseException:
        recorder.closed = True
        raise
    finally:
        with contextlib.suppress(StoreError):
            store.release(name, owner)
    return execution


async def _drive(
    run: Run, recorder: Recorder, machine: StateMachine, execution: executor.Execution, store: Store, owner: str
) -> None:
    async def tick() -> None:
        renewed = 0.0
        while True:
            await anyio.sleep(POLL_SECONDS)  # real time: other processes answer in real time
            recorder.poll(run)
            renewed += POLL_SECONDS
            if renewed >= LEASE_SECONDS / 3:
                store.lease(execution.name, owner, LEASE_SECONDS)
                renewed = 0.0

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(tick)
            try:
                await executor._drive(machine, execution)
            finally:
                tg.cancel_scope.cancel()
    except BaseExceptionGroup as group:  # a StoreError or an interrupt raised inside a branch comes out grouped
        raise (
            _first(group, StoreError) or _first(group, KeyboardInterrupt) or _first(group, SystemExit) or group
        ) from None
    if execution.status is executor.Status.ABORTED and execution._abort == ("", ""):
        recorder.closed = True  # stopped from outside (Ctrl-C): left as it was, to be resumed
        return
    extra = recorder.leftover()
    if extra is not None:
        recorder.closed = True
        raise StoreError(
            f"the history of '{execution.name}' has events its definition does not make (event {extra.id}, "
            f"{extra.type}): it was altered, it is not replayed"
        )
    status = execution.status.value
    recorder.commit((status, execution.output, execution.error, execution.cause, execution.stop_time or 0.0))


def _first(group: BaseExceptionGroup[BaseException], kind: type[BaseException]) -> BaseException | None:
    for error in group.exceptions:
        if isinstance(error, kind):
            return error
        if isinstance(error, BaseExceptionGroup):
            found = _first(error, kind)
            if found is not None:
                return found
    return None


def run(machine: StateMachine | None, input: JSON = None, **options: Any) -> executor.Execution:  # noqa: A002
    """The synchronous twin of `execute`."""
    return executor.run_blocking(lambda: execute(machine, input, **options))


def recorded(store: Store, record: ExecutionRecord) -> executor.Execution:
    """An ended execution as its store holds it: status, output or error, and history."""
    machine_name = "StateMachine"
    arn = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{machine_name}:{record.name}"
    execution = executor.Execution(
        name=record.name,
        arn=arn,
        input=record.input,
        status=executor.Status(record.status),
        output=record.output,
        error=record.error,
        cause=record.cause,
        start_time=record.start_time,
        stop_time=record.stop_time,
    )
    history = History(lambda: 0.0)
    events = store.history(record.name)
    history.log.extend(new_record(HistoryEvent, (e.id, e.previous, e.timestamp, e.type, e.details)) for e in events)
    history.count = len(events)
    execution._history = history
    execution._done.set()
    return execution


def describe(store: Store | str | os.PathLike[str], name: str) -> executor.Execution:
    """One stored execution as it stands (RUNNING while it has not ended), with its recorded history."""
    opened, owned = _store(store)
    try:
        record = opened.get(name)
        if record is None:
            raise StoreError(f"{opened.location}: no execution named '{name}'")
        return recorded(opened, record)
    finally:
        if owned:
            opened.close()


def send_task_success(store: Store | str | os.PathLike[str], token: str, output: JSON) -> str:
    """Answer a task token from any process (SendTaskSuccess); returns the execution's name.
    Raises StoreError for a token no execution of the store awaits, TaskFailed for output that is not JSON."""
    try:
        json.dumps(output, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TaskFailed("InvalidOutput", f"The output is not JSON: {error}") from None
    return _answer(store, token, "success", output)


def send_task_failure(store: Store | str | os.PathLike[str], token: str, error: str = "", cause: str = "") -> str:
    """Fail the Task waiting on `token`, from any process (SendTaskFailure)."""
    return _answer(store, token, "failure", None, error, cause)


def send_task_heartbeat(store: Store | str | os.PathLike[str], token: str) -> str:
    """Tell the Task waiting on `token` that its worker is alive (SendTaskHeartbeat)."""
    return _answer(store, token, "heartbeat")


def _answer(
    store: Store | str | os.PathLike[str],
    token: str,
    outcome: str,
    output: JSON = None,
    error: str = "",
    cause: str = "",
) -> str:
    opened, owned = _store(store)
    try:
        return opened.answer(token, outcome, output, error, cause)
    finally:
        if owned:
            opened.close()
