"""The run loop: executions, transitions, Retry and Catch.

`start()` runs one execution of a compiled `StateMachine` in the background and yields its
`Execution` (to abort it, answer its task tokens, or follow its events); `execute()` runs one
to its end. What changes during a run lives in a `Run` and in each thread's `Frame`; the
graph itself is never modified.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import inspect
import json
import math
import random as _random
import re
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache, partial
from os import PathLike
from typing import Any, Final

import anyio
from anyio.lowlevel import checkpoint
from anyio.streams.memory import MemoryObjectSendStream

from . import intrinsics
from . import resources as resources_module
from .clock import Clock, SystemClock, awaiting, hold, iso, release
from .context import JSON
from .dataflow import caught, finish
from .errors import AslError, DataLimitExceeded, ExecutionError, InvalidName, QueryEvaluationError, TaskFailed
from .history import Decision, History, HistoryEvent, Lane, new_record
from .model import Catcher, MapState, ParallelState, Retrier, State, StateMachine, TaskState, WaitState
from .runtime import ACCOUNT, REGION, Entry, Frame, Limits, Run, Runners, TaskToken, locate, on_loop, record_aborted
from .states.basic import wait
from .states.map import run_map
from .states.parallel import run_parallel
from .states.task import run_task

__all__ = ["Execution", "Limits", "Status", "execute", "first_matching", "retry_delay", "run_blocking", "start"]


class Status(StrEnum):
    """Where an execution stands."""

    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    ABORTED = "ABORTED"


@dataclass(slots=True, eq=False, repr=False)
class Execution:
    """One execution: its status, output or error and cause, and its history of events.

    While it runs (see `asl.start`) it can be aborted and its task tokens answered, as with
    AWS's StopExecution and SendTask* APIs.
    """

    name: str
    arn: str
    input: JSON
    status: Status = Status.RUNNING
    output: JSON = None
    error: str | None = None
    cause: str | None = None
    # Which Choice rule, Retrier and Catcher each decision took (for coverage; not in AWS's history).
    decisions: list[Decision] = field(default_factory=list)
    start_time: float = 0.0
    stop_time: float | None = None
    _run: Run | None = field(default=None, repr=False)
    _scope: anyio.CancelScope | None = field(default=None, repr=False)
    _done: anyio.Event = field(default_factory=anyio.Event, repr=False)
    _listeners: list[Callable[[HistoryEvent], None]] = field(default_factory=list, repr=False)
    _streams: list[MemoryObjectSendStream[HistoryEvent]] = field(default_factory=list, repr=False)
    _history: History | None = field(default=None, repr=False)
    _abort: tuple[str, str] | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        ending = f" {self.error}" if self.error else ""
        count = self._history.count if self._history is not None else 0
        return f"<Execution {self.name} {self.status.value}{ending}, {count} events>"

    @property
    def history(self) -> list[HistoryEvent]:
        """The events recorded so far (GetExecutionHistory's, as `HistoryEvent`s), oldest first."""
        return self._history.events if self._history is not None else []

    def raise_for_status(self) -> None:
        """Raise the execution's error as an ExecutionError unless it succeeded."""
        if self.status is not Status.SUCCEEDED:
            raise ExecutionError(self.cause or "", error=self.error or self.status.value)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    async def wait(self) -> Execution:
        """Wait until the execution has ended; returns it. (Virtual time may move meanwhile.)"""
        if self._run is None:
            await self._done.wait()
        else:
            with awaiting(self._run.clock):
                await self._done.wait()
        return self

    def abort(self, error: str = "", cause: str = "") -> None:
        """Stop the execution (StopExecution): running states are aborted, status ABORTED."""
        if self.done or self._scope is None:
            return
        self._abort = (error, cause)
        on_loop(self._scope.cancel)

    def send_task_success(self, token: str, output: JSON) -> None:
        """Complete the Task waiting on `token` with `output` (SendTaskSuccess).

        Raises TaskFailed("InvalidOutput") at once when `output` is not JSON, as AWS's API does.
        """
        waiter = self._token(token)
        try:
            json.dumps(output, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as error:
            raise TaskFailed("InvalidOutput", f"The output is not JSON: {error}") from None
        waiter.succeed(output)

    def send_task_failure(self, token: str, error: str = "", cause: str = "") -> None:
        """Fail the Task waiting on `token` (SendTaskFailure)."""
        self._token(token).fail(error, cause)

    def send_task_heartbeat(self, token: str) -> None:
        """Tell the Task waiting on `token` that its worker is alive (SendTaskHeartbeat)."""
        self._token(token).beat()

    @property
    def task_tokens(self) -> tuple[str, ...]:
        """The tokens of the Tasks waiting for a callback now (answered ones are left out)."""
        if self._run is None:
            return ()
        return tuple(name for name, waiter in self._run.tokens.items() if not waiter.done.is_set())

    def _notify(self, event: HistoryEvent) -> None:
        for listener in self._listeners:
            listener(event)
        for stream in self._streams:
            if self._run is not None:  # time waits until the follower has taken the event
                self._run.clock.busy()
            stream.send_nowait(event)

    def _token(self, token: str) -> TaskToken:
        waiter = self._run.tokens.get(token) if self._run is not None else None
        if waiter is None:
            raise TaskFailed("States.TaskTimedOut" if self.done else "InvalidToken", f"Invalid token: {token}")
        return waiter

    async def events(self) -> AsyncIterator[HistoryEvent]:
        """The events of the execution: those recorded so far, then live ones until it ends.

        A follower is part of the run: under a VirtualClock, time does not move while it has
        events still to take, so it can answer a task token before a timeout fires.
        """
        send, receive = anyio.create_memory_object_stream[HistoryEvent](max_buffer_size=math.inf)
        clock = self._run.clock if self._run is not None and not self.done else None
        for event in self.history:
            if clock is not None:
                clock.busy()
            send.send_nowait(event)
        if clock is None:
            send.close()
        else:
            self._streams.append(send)
            if self._history is not None:
                self._history.listener = self._notify
        held = 0  # the event handed out and not yet let go: the follower is still acting on it
        try:
            async with receive:
                while True:
                    try:
                        if clock is None:
                            event = await receive.receive()
                        else:
                            with awaiting(clock):  # the task holding the execution lets time move
                                event = await receive.receive()
                    except anyio.EndOfStream:
                        break
                    held = 1
                    yield event
                    held = 0
                    if clock is not None:
                        clock.idle()
        finally:
            if clock is not None:
                with contextlib.suppress(ValueError):
                    self._streams.remove(send)
                send.close()
                for _ in range(held + receive.statistics().current_buffer_used):
                    clock.idle()


# -- the run loop ---------------------------------------------------------------------------


async def run_graph(run: Run, graph: StateMachine, value: JSON, frame: Frame) -> JSON:
    """Run a graph from StartAt to a terminal state; returns its output or raises its error."""
    if run.recorder is not None:  # durable: what this thread of control draws and waits is its own
        with run.recorder.within(frame.lane):
            return await _run_graph(run, graph, value, frame)
    return await _run_graph(run, graph, value, frame)


async def _run_graph(run: Run, graph: StateMachine, value: JSON, frame: Frame) -> JSON:
    states = graph.states
    name: str | None = graph.start_at
    while name is not None:
        state = states[name]
        if state.instant and not frame.concurrent:  # no coroutine for states that never wait
            value, name = steps(run, states, state, value, frame)
        else:
            value, name = await run_state(run, state, value, frame)
    return value


def steps(
    run: Run, states: Mapping[str, State], state: State, state_input: JSON, frame: Frame
) -> tuple[JSON, str | None]:
    """Run Pass, Choice, Succeed and Fail states from `state` on, until one that waits (or the end):
    (the value, the name of the next state or None).

    Each state's `work` was composed when it was compiled (`states.basic`). While nothing follows
    the history and it is far from its limit, a state that ends normally is recorded as one
    `Step` (the history makes its two events when read); any other way through a state records
    its events with `History.add` (`_exit`), which checks the limit and notifies. The states
    share one Env (`Run.entry`), reset at each entry: they run one after another, and nothing
    keeps an Env once its state has been exited.
    A size bound it computes is kept for the next state and noted in `Run.sizes` at the end.
    """
    history, lane, decisions, now = frame.history, frame.lane, run.decisions, frame.history.now
    log = history.log
    limit = history.limit - 1 if history.listener is None else 0  # a step's two events fit below it
    env = run.entry  # one for every instant state of the run (they run one at a time), reset per state
    if env is None:
        env = run.entry = Entry(run, state, 0.0, frame.variables, run.random)
    env.variables = frame.variables
    sizes, quota = run.sizes, run.limits.payload_bytes
    known: JSON = None  # the last output known to be at most `known_bound` bytes, not yet noted
    known_bound = 0
    while True:
        run.transitions += 1
        if run.transitions > run.transition_limit:  # `count_transition` written out
            run.too_many_transitions()
        entered_id = history.count + 1
        env._state, env._entered, env._context = state, now(), None
        recorded = entered_id >= limit  # then each event is recorded on its own, as it happens
        if recorded:
            _entered(history, lane, state, state_input, env)
        try:
            output, next_name, assigned = state.work(state_input, env, decisions)
        except ExecutionError as error:
            if not recorded:
                _entered(history, lane, state, state_input, env)
            _evaluation_failed(error, state, frame)
            raise locate(error, state, entered_id) from None
        if recorded or assigned:
            if not recorded:
                _entered(history, lane, state, state_input, env)
            _exit(run, state, state_input, output, assigned, frame)
        else:
            if output is not state_input:  # an unchanged input was measured when it was made
                growth = state.growth
                if growth is not None:  # `Run.check_grown`, with the last bound kept here
                    fixed, copies = growth
                    bound = (
                        fixed + copies * (known_bound if state_input is known else sizes.bound(state_input))
                        if copies
                        else fixed
                    )
                if growth is None or bound > quota:
                    _measure(run, output, state, state_input, frame, env)
                else:
                    known, known_bound = output, bound
            log.append((lane.last, env._entered, state, state_input, output))
            history.count = lane.last = entered_id + 1
        if next_name is not None:
            state_input, state = output, states[next_name]
            if state.instant:
                continue
        if output is known:  # for the states after these
            sizes.note_bound(output, known_bound)
        return output, next_name


def _measure(run: Run, output: JSON, state: State, state_input: JSON, frame: Frame, env: Entry) -> None:
    """Check an output's size; past the quota, the state's Entered event is recorded first."""
    try:
        run.check_size(output, state.name)
    except ExecutionError:
        _entered(frame.history, frame.lane, state, state_input, env)
        raise


def _entered(history: History, lane: Lane, state: State, state_input: JSON, env: Entry) -> None:
    entered_id = history.add(
        lane, state.entered_event, {"name": state.name, "input": state_input}, timestamp=env._entered
    )
    if history.recorder is not None:  # a replayed entry keeps its recorded time
        env._entered = history.recorder.time_of(entered_id)


async def run_state(run: Run, state: State, state_input: JSON, frame: Frame) -> tuple[JSON, str | None]:
    """Enter one state, run it, exit it: (output, name of the next state or None)."""
    run.count_transition()
    entered = run.clock.now()
    entered_id = frame.history.add(
        frame.lane, state.entered_event, {"name": state.name, "input": state_input}, timestamp=entered
    )
    if run.recorder is not None:  # a replayed entry keeps its recorded time
        entered = run.recorder.time_of(entered_id)
    if frame.concurrent:  # siblings take turns between states, as AWS interleaves them
        await run.turn()
    try:
        if isinstance(state, (TaskState, ParallelState, MapState)):
            output, next_name, assigned = await _run_with_retry(run, state, state_input, frame, entered, entered_id)
        else:
            env = Entry(run, state, entered, frame.variables, run.random)
            if isinstance(state, WaitState):
                output, next_name, assigned = await wait(run, state, state_input, env)
            else:  # an instant state in a concurrent frame
                output, next_name, assigned = state.work(state_input, env, run.decisions)
    except ExecutionError as error:
        _evaluation_failed(error, state, frame)
        raise locate(error, state, entered_id) from None
    except anyio.get_cancelled_exc_class():
        if state.kind in ("Task", "Wait", "Parallel", "Map"):
            record_aborted(frame, partial(frame.history.add, frame.lane, f"{state.kind}StateAborted"))
        raise
    _exit(run, state, state_input, output, assigned, frame)
    return output, next_name


def _exit(
    run: Run, state: State, state_input: JSON, output: JSON, assigned: dict[str, JSON] | None, frame: Frame
) -> None:
    """Check the output's size, apply the assignments and record the Exited event."""
    if output is not state_input:  # an unchanged input was measured when it was made
        if state.growth is None:
            run.check_size(output, state.name)
        else:
            run.check_grown(output, state_input, state.growth, state.name)
    details: dict[str, JSON] = {"name": state.name, "output": output}
    if assigned:
        run.check_size(assigned, state.name)  # AWS caps one Assign at the payload quota, all values together
        frame.variables.update(assigned)
        details["assignedVariables"] = assigned
    frame.history.add(frame.lane, state.exited_event, details)


def _evaluation_failed(error: ExecutionError, state: State, frame: Frame) -> None:
    """A JSONata failure is recorded as an EvaluationFailed event by the state it arose in (not
    yet located there), as AWS does; the states it then passes through do not record it again."""
    if isinstance(error, QueryEvaluationError) and error.state_name is None:
        frame.history.add(
            frame.lane, "EvaluationFailed", {"state": state.name, "error": error.error, "cause": error.cause}
        )


def _matches(names: tuple[str, ...], error: ExecutionError) -> bool:
    return any(error.matches(name) for name in names)


def first_matching(clauses: Sequence[Retrier | Catcher], error: ExecutionError) -> int | None:
    """The index of the first Retrier or Catcher whose ErrorEquals names `error`."""
    for index, clause in enumerate(clauses):
        if _matches(clause.error_equals, error):
            return index
    return None


def retry_delay(retrier: Retrier, attempt: int, rng: _random.Random) -> float:
    """Seconds before retry number `attempt` (1-based) of one retrier."""
    delay = retrier.interval_seconds * retrier.backoff_rate ** (attempt - 1)
    if retrier.max_delay_seconds is not None:
        delay = min(delay, retrier.max_delay_seconds)
    if retrier.jitter_strategy == "FULL":
        delay = rng.uniform(0, delay)
    return delay


async def _run_with_retry(
    run: Run, state: State, state_input: JSON, frame: Frame, entered: float, entered_id: int
) -> tuple[JSON, str | None, dict[str, JSON] | None]:
    """Task, Parallel, Map: attempts until success, a Catch, or an error that escapes."""
    attempts = [0] * len(state.retry)
    retry_count = 0
    while True:
        env = Entry(run, state, entered, frame.variables, run.random, retry_count)
        try:
            match state:
                case TaskState():
                    result = await run_task(run, state, state_input, env, frame.history, frame.lane)
                case ParallelState():
                    result = await run_parallel(run, state, state_input, env, frame)
                case MapState():
                    result = await run_map(run, state, state_input, env, frame)
                case _:
                    raise AssertionError(state.kind)
            output, assigned = finish(state, state_input, result, env)
            return output, state.next, assigned
        except ExecutionError as error:
            _evaluation_failed(error, state, frame)
            locate(error, state, entered_id)
            if not error.catchable:
                raise
            owner = first_matching(state.retry, error)
            if owner is not None and attempts[owner] < state.retry[owner].max_attempts:
                run.decisions.append(new_record(Decision, ("retry", state.name, owner)))
                attempts[owner] += 1
                retry_count += 1
                run.count_transition()
                delay = retry_delay(state.retry[owner], attempts[owner], run.random)
                if run.recorder is not None:  # durable: the backoff counts from the recorded failure
                    await run.recorder.pause(delay)
                elif delay > 0:
                    await run.clock.sleep(delay)
                continue
            if state.kind in ("Parallel", "Map"):
                frame.history.note(f"{state.kind}StateFailed", frame.lane.last)
            index = first_matching(state.catch, error)
            if index is None:
                raise
            run.decisions.append(new_record(Decision, ("catch", state.name, index)))
            catcher = state.catch[index]
            output, assigned = caught(state, catcher, state_input, error, env)
            return output, catcher.next, assigned


# How the states that run graphs (Parallel, Map) run them: passed in with each Run.
RUNNERS: Final[Runners] = (run_graph, steps)


# -- an execution ---------------------------------------------------------------------------


_loops = threading.local()


def run_blocking(make: Callable[[], Coroutine[Any, Any, Execution]]) -> Execution:
    """Run a coroutine to its end from synchronous code.

    On the main thread one asyncio loop is kept and reused across calls: making a loop costs
    more than a short execution (about 0.3 ms). Other threads get a fresh loop each time.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise AslError("asl.run() cannot be called from a running event loop: use `await asl.execute(...)`")
    if threading.current_thread() is not threading.main_thread():
        return anyio.run(make)
    runner = getattr(_loops, "runner", None)
    if runner is None:
        runner = _loops.runner = asyncio.Runner()
        atexit.register(runner.close)
    return runner.run(make())


@asynccontextmanager
async def start(
    machine: StateMachine | JSON | bytes | PathLike[str],
    input: JSON = None,  # noqa: A002 - the ASL word
    **options: Any,
) -> AsyncIterator[Execution]:
    """Start an execution in the background; the block ends when the execution has ended.

    Takes what `execute` takes. Inside the block the Execution can be aborted, its task tokens
    answered (`send_task_success`...), and its events followed (`events()`). Under a
    VirtualClock, time stands still while the block's task is awake, and moves while it awaits
    the execution (`wait()`, `events()`, the end of the block). An exception raised in the block
    aborts the execution and comes out as it is.
    """
    _checked("asl.start", options)
    machine = _compiled(machine)
    execution = _prepare(machine, input, **options)  # its errors (ResourceError...) come out as they are
    clock = execution._run.clock if execution._run is not None else SystemClock()
    failure: BaseException | None = None
    hold(clock)
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(_drive, machine, execution)
            await checkpoint()
            try:
                yield execution
            except anyio.get_cancelled_exc_class():
                raise
            except BaseException as error:  # the block's own: it stops the run and comes out unwrapped
                failure = error
                tg.cancel_scope.cancel()
            else:
                await execution.wait()
    finally:
        release(clock)
    if failure is not None:
        raise failure


async def execute(
    machine: StateMachine | JSON | bytes | PathLike[str],
    input: JSON = None,  # noqa: A002 - the ASL word
    **options: Any,
) -> Execution:
    """Run one execution to its end and return it; a failed execution is a result, not an exception.

    Keywords: `resources` (resource ARN or name -> callable), `clock` (default: real time;
    `VirtualClock()` for instant waits), `seed` (repeatable UUIDs, random numbers, jitter),
    `name` (the execution's name), `state_machine_name`, `role_arn`, `limits` (`Limits`),
    `on_event` (called with each HistoryEvent as it is recorded), `task_override`
    (state name -> callable or None: replaces a Task's resource for one attempt, for mocks),
    `aws` (True or a boto3.Session: AWS serves the Tasks and S3 readers `resources` does not).
    `machine` is a StateMachine or a definition `asl.parse` takes (dict, JSON text, bytes,
    path). Raises DefinitionError for an invalid definition, ResourceError when a Task names a
    resource no callable was given for, TypeError naming `asl.execute` for an unknown keyword.
    """
    _checked("asl.execute", options)
    machine = _compiled(machine)
    execution = _prepare(machine, input, **options)
    await _drive(machine, execution)
    return execution


def _compiled(machine: StateMachine | JSON | bytes | PathLike[str]) -> StateMachine:
    """A StateMachine as it is; a definition parsed (DefinitionError when it is invalid)."""
    if isinstance(machine, StateMachine):
        return machine
    from . import parse

    return parse(machine)


@cache
def _keywords() -> frozenset[str]:
    return frozenset(name for name in inspect.signature(_prepare).parameters if name not in ("machine", "input"))


def _checked(function: str, options: dict[str, Any]) -> None:
    """A TypeError that names the public function the caller called (`asl.run`, `asl.execute`,
    `asl.start`...) when one of `options` is not a keyword of `_prepare`."""
    unknown = [name for name in options if name not in _keywords()]
    if unknown:
        known = ", ".join(sorted(_keywords()))
        raise TypeError(f"{function}() got an unexpected keyword argument {unknown[0]!r} (it takes {known})")


def _prepare(
    machine: StateMachine,
    input: JSON = None,  # noqa: A002 - the ASL word
    *,
    resources: Mapping[str, Callable[..., Any]] | None = None,
    clock: Clock | None = None,
    seed: int | None = None,
    name: str | None = None,
    state_machine_name: str = "StateMachine",
    role_arn: str | None = None,
    limits: Limits | None = None,
    on_event: Callable[[HistoryEvent], None] | None = None,
    task_override: Callable[[str], Callable[..., Any] | None] | None = None,
    aws: Any = None,
) -> Execution:
    clock = clock or SystemClock()
    rng = _random.Random(seed)
    value: JSON = {} if input is None else input
    resolver = resources_module.Resolver(resources, REGION, ACCOUNT)
    if aws:  # AWS serves what `resources` and mocks do not (asl.services)
        from . import services

        resolver.aws = services.connect(aws, clock)
        resolver.aws.check(machine)
    if task_override is None:
        resolver.check(machine)
    limits = limits or Limits()
    run = Run(clock, resolver, rng, {}, limits, task_override, runners=RUNNERS)
    size = run.sizes.measure(value)
    if size > limits.payload_bytes:  # AWS refuses to start such an execution
        raise DataLimitExceeded(f"The execution input is {size} bytes, over the quota of {limits.payload_bytes} bytes.")
    name = run.uuid() if name is None else _checked_name(name)
    machine_arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{state_machine_name}"
    arn = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{state_machine_name}:{name}"
    role = role_arn or f"arn:aws:iam::{ACCOUNT}:role/StepFunctionsRole"
    started = clock.now()
    run.machine_name, run.role_arn = state_machine_name, role
    run.base.update(
        Execution={
            "Id": arn,
            "Input": value,
            "StartTime": iso(started),
            "Name": name,
            "RoleArn": role,
            "RedriveCount": 0,
        },
        StateMachine={"Id": machine_arn, "Name": state_machine_name},
    )
    execution = Execution(name=name, arn=arn, input=value, start_time=started, decisions=run.decisions, _run=run)
    if on_event is not None:
        execution._listeners.append(on_event)
    return execution


# AWS's rule for execution names: 1 to 80 characters, none of them whitespace,
# a control character or one of < > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : /
_NAME: Final = re.compile(r'[^\s\x00-\x1f\x7f-\x9f<>{}\[\]?*"#%\\^|~`$&,;:/]{1,80}')


def _checked_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidName(
            f"Invalid execution name {name!r}: AWS allows 1 to 80 characters, without whitespace, control "
            'characters or any of < > { } [ ] ? * " # % \\ ^ | ~ ` $ & , ; : /'
        )
    return name


async def _drive(machine: StateMachine, execution: Execution) -> None:
    """Run a prepared execution to its end and record how it ended."""
    run = execution._run
    assert run is not None
    clock = run.clock
    follow = execution._listeners or execution._streams  # a follower may have come before the run began
    history = History(clock.now, execution._notify if follow else None, run.limits.history_events)
    execution._history = history
    if run.recorder is not None:
        run.recorder.attach(history)
    quotas = intrinsics.QUOTAS.set((run.limits.intrinsic_text, run.limits.array_range))
    run.turn = _turn()
    top = Lane()
    history.add(top, "ExecutionStarted", {"input": execution.input, "roleArn": run.role_arn})
    top.last = 0  # AWS: the first state's Entered event follows no event
    timed_out = False

    async def deadline(seconds: float) -> None:
        nonlocal timed_out
        try:
            await clock.sleep(seconds)
        finally:
            clock.idle()
        timed_out = True
        tg.cancel_scope.cancel()

    try:
        async with anyio.create_task_group() as tg:
            execution._scope = tg.cancel_scope
            clock.bind(tg.start_soon, partial(_stalled, execution))
            try:
                if machine.timeout_seconds:
                    clock.busy()
                    # durable: a resumed execution keeps the deadline counted from its start
                    late = clock.now() - execution.start_time if run.recorder is not None else 0.0
                    tg.start_soon(deadline, machine.timeout_seconds - late)
                clock.busy()
                try:
                    output = await run_graph(run, machine, execution.input, Frame(top, {}, history))
                    run.check_size(output, "execution")
                except ExecutionError as error:  # AWS leaves out an empty error or cause (a Fail with only Cause)
                    execution.status = Status.FAILED
                    execution.error, execution.cause = error.error or None, error.cause or None
                else:
                    execution.status, execution.output = Status.SUCCEEDED, output
                finally:
                    clock.idle()
            finally:
                clock.unbind(tg.start_soon)
                tg.cancel_scope.cancel()  # the deadline, and the clock's driver if it runs here
    finally:
        execution._scope = None
        execution.stop_time = clock.now()
        if execution.status is Status.RUNNING and execution._abort is None and not timed_out:
            execution._abort = ("", "")  # cancelled from outside: the execution was stopped
        _record_end(execution, history, top, timed_out)
        for stream in execution._streams:
            stream.close()
        intrinsics.QUOTAS.reset(quotas)
        execution._run = None  # what only a running execution needs (its size caches, tokens, clock)
        execution._done.set()


STALLED: Final = "asl.Stalled"  # the error of an execution stopped because nothing could ever answer it


def _stalled(execution: Execution) -> None:
    """Stop an execution whose Tasks wait for task tokens that nothing can ever answer (the
    VirtualClock found no work, no timer and no caller awake), saying what waits and how to answer."""
    run = execution._run
    pending = [token for token in run.tokens.values() if not token.done.is_set()] if run is not None else []
    if not pending or any(token.handed for token in pending):  # a context handed out may still answer
        return
    waiting = "; ".join(f"state '{token.state}' waits for task token {token.token}" for token in pending)
    execution.abort(
        STALLED,
        f"{waiting}. Nothing can answer it on this VirtualClock: no timer is pending, no follower and no "
        "caller holding the execution is awake. Answer it from the resource (context.send_task_success(output)), "
        "from the task that holds `async with asl.start(...) as execution` (execution.send_task_success(token, "
        "output) or send_task_failure), or from `asl run` reading standard input; or give the Task TimeoutSeconds.",
    )


def _turn() -> Callable[[], Awaitable[None]]:
    """anyio's checkpoint, or on asyncio what it does there (`sleep(0)`) without looking up the
    backend at each of the many turns concurrent branches take."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # not asyncio (trio)
        return checkpoint
    return partial(asyncio.sleep, 0)


def _record_end(execution: Execution, history: History, top: Lane, timed_out: bool) -> None:
    previous = history.last_id
    if execution._abort is not None:
        error, cause = execution._abort
        execution.status, execution.error, execution.cause = Status.ABORTED, error or None, cause or None
        details: dict[str, JSON] = {}
        if error:
            details["error"] = error
        if cause:
            details["cause"] = cause
        history.add(top, "ExecutionAborted", details, previous=previous)
    elif timed_out:
        execution.status, execution.error, execution.cause = Status.TIMED_OUT, "States.Timeout", ""
        history.add(top, "ExecutionTimedOut", {"error": "States.Timeout"}, previous=previous)
    elif execution.status is Status.SUCCEEDED:
        history.add(top, "ExecutionSucceeded", {"output": execution.output}, previous=previous)
    else:
        details = {}
        if execution.error:
            details["error"] = execution.error
        if execution.cause:
            details["cause"] = execution.cause
        history.add(top, "ExecutionFailed", details, previous=previous)
