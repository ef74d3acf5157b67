"""What one execution carries while it runs: the `Run`, the `Frame` of each thread of control,
the limits it enforces, and its pending task tokens. The executor and the states share these.
"""

from __future__ import annotations

import contextlib
import json
import random as _random
import uuid
from collections import ChainMap
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any, Final, NoReturn, cast

import anyio
import anyio.lowlevel

from . import paths, resources
from .clock import Clock, iso
from .context import JSON, Env
from .errors import DataLimitExceeded, ExecutionError, OutputLimitExceeded, RuntimeFailure
from .history import Decision, History, Lane
from .model import State, StateMachine

__all__ = ["ACCOUNT", "REGION", "Entry", "Frame", "Limits", "Run", "Runners", "TaskToken", "child_variables"]

REGION: Final = "us-east-1"
ACCOUNT: Final = "123456789012"

Variables = MutableMapping[str, JSON]
# The executor's `run_graph` and `steps`: how a Parallel branch or a Map iteration runs its graph.
# The executor passes them in (`Run(runners=...)`): the states that run graphs never import it.
Runners = tuple[Callable[..., Awaitable[JSON]], Callable[..., tuple[JSON, "str | None"]]]


@dataclass(frozen=True, slots=True)
class Limits:
    """AWS's quotas, enforced as AWS enforces them; an embedding program may raise them locally.

    `transitions` is ours, not AWS's: a run that enters more states than this fails with
    `States.Runtime` instead of looping forever (None: no limit). The rules for names (80
    characters) and nesting are the language's, not quotas, and stay as AWS has them.
    """

    payload_bytes: int = 262_144
    history_events: int = 25_000
    transitions: int | None = None
    intrinsic_text: int = 10_000  # characters States.Base64Encode / Base64Decode / Hash accept
    array_range: int = 1000  # elements States.ArrayRange may produce


def on_loop(action: Callable[[], None]) -> None:
    """Run `action` on the event loop, whether called from it or from a worker thread."""
    try:
        anyio.from_thread.run_sync(action)
    except RuntimeError:  # not in a worker thread: we are on the event loop
        action()


class TaskToken:
    """A Task waiting for SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat.

    Its methods may be called from the event loop or from a resource's worker thread.
    """

    __slots__ = ("token", "state", "handed", "done", "heartbeat", "output", "error")

    def __init__(self, token: str, state: str = "") -> None:
        self.token, self.state = token, state  # the Task state that waits for it
        # The resource took the Lambda-style context: code it handed the context to (a thread,
        # a task of its own) may answer later, unseen by the clock.
        self.handed = False
        self.done = anyio.Event()
        self.heartbeat = anyio.Event()
        self.output: JSON = None
        self.error: ExecutionError | None = None

    def succeed(self, output: JSON) -> None:
        self.output = output
        on_loop(self.done.set)

    def fail(self, error: str = "", cause: str = "") -> None:
        from .errors import TaskFailed

        self.error = TaskFailed(error, cause)
        on_loop(self.done.set)

    def beat(self) -> None:
        on_loop(lambda: self.heartbeat.set())


class Entry(Env):
    """The Env of one state entry (`$$.State.RetryCount` for a Task, Parallel or Map attempt):
    `$$` is made only if an expression reads it. The executor's loop over instant states uses
    one per run (`Run.entry`), reset at each entry: that loop never runs inside itself."""

    __slots__ = ("_run", "_state", "_entered", "_retry_count")

    def __init__(  # noqa: PLR0913 - what `$$` is made of, and the variables and random source
        self,
        run: Run,
        state: State,
        entered: float,
        variables: Variables,
        rng: _random.Random,
        retry_count: int | None = None,
    ) -> None:
        self._context = None
        self._run, self._state, self._entered, self._retry_count = run, state, entered, retry_count
        self.variables, self.random = variables, rng

    @property
    def context(self) -> JSON:
        if self._context is None:
            self._context = self._run.context(self._state, self._entered, self._retry_count)
        return self._context  # type: ignore[return-value]  # a dict, made above


class Frame:
    """One thread of control (the execution, a branch, an iteration): where its events go,
    the variables it sees, and whether it runs beside siblings (then it yields between states).
    """

    __slots__ = ("lane", "variables", "history", "concurrent", "aborted")

    def __init__(
        self,
        lane: Lane,
        variables: Variables,
        history: History,
        concurrent: bool = False,
        aborted: list[Callable[[], object]] | None = None,
    ) -> None:
        self.lane, self.variables, self.history, self.concurrent = lane, variables, history, concurrent
        # A branch's or iteration's *Aborted events, held for its parent to record in index order.
        self.aborted = aborted


def child_variables(graph: StateMachine, frame: Frame) -> Variables:
    """The variables a branch or iteration of `graph` sees: a scope of its own over its
    parent's or, when no state of it assigns any, its parent's as they are."""
    return ChainMap({}, frame.variables) if graph.assigns else frame.variables


def record_aborted(frame: Frame, record: Callable[[], object]) -> None:
    """Record an *Aborted event now, or, in a Parallel branch or Map iteration, hold it for
    `pass_on`: a stop reaches concurrent children in no fixed order (anyio cancels the tasks
    of a scope in the order of a set), but their events must come out the same every run."""
    if frame.aborted is None:
        record()
    else:
        frame.aborted.append(record)


def pass_on(frame: Frame, children: Iterable[list[Callable[[], object]]]) -> None:
    """Record (or hold, for the parent's parent) the held *Aborted events of `frame`'s children,
    child by child in index order; children are held before their parent's own event."""
    for records in children:
        for record in records:
            record_aborted(frame, record)
        records.clear()


class Run:
    """Everything one execution shares across its states, branches and iterations."""

    def __init__(
        self,
        clock: Clock,
        resolver: resources.Resolver,
        rng: _random.Random,
        base_context: dict[str, JSON],
        limits: Limits,
        task_override: Callable[[str], Callable[..., Any] | None] | None = None,
        *,
        runners: Runners | None = None,
    ) -> None:
        self.clock = clock
        self.runners = runners
        self.resolver = resolver
        self.random = rng
        self.base = base_context
        self.limits = limits
        self.task_override = task_override
        self.tokens: dict[str, TaskToken] = {}
        self.decisions: list[Decision] = []
        self.transitions = 0
        self.transition_limit = float("inf") if limits.transitions is None else limits.transitions
        self.sizes = Sizes()
        self.entry: Entry | None = None  # for `executor.steps`, made by its first call
        self.machine_name = "StateMachine"
        # How a concurrent branch lets its siblings run (set for the event loop by the executor).
        self.turn: Callable[[], Awaitable[None]] = anyio.lowlevel.checkpoint
        self.role_arn = ""
        self.recorder: Any = None  # a durable execution's `durable.Recorder`; None: in memory only

    def context(self, state: State, entered: float, retry_count: int | None = None) -> dict[str, JSON]:
        """A fresh `$$` for one state entry; Execution and StateMachine are shared, read-only."""
        entry: dict[str, JSON] = {"Name": state.name, "EnteredTime": iso(entered)}
        if retry_count is not None:
            entry["RetryCount"] = retry_count
        return {**self.base, "State": entry}

    def uuid(self) -> str:
        """A v4 UUID from the run's seeded random source."""
        return str(uuid.UUID(int=self.random.getrandbits(128), version=4))

    def count_transition(self) -> None:
        self.transitions += 1
        if self.transitions > self.transition_limit:
            self.too_many_transitions()

    def too_many_transitions(self) -> NoReturn:
        raise RuntimeFailure(f"The execution exceeded its limit of {self.limits.transitions} state transitions.")

    def check_size(self, value: JSON, name: str, *, catchable: bool = False) -> None:
        """Fail with States.DataLimitExceeded when a payload is over the quota."""
        kind = type(value)
        if not (kind is dict or kind is list or kind is str):
            return
        limit = self.limits.payload_bytes
        if self.sizes.bound(value) > limit and self.sizes.measure(value) > limit:
            failure = DataLimitExceeded if catchable else OutputLimitExceeded
            raise failure(
                f"The state/task '{name}' returned a result with a size exceeding the maximum number "
                "of bytes service limit."
            )

    def check_grown(self, output: JSON, raw: JSON, growth: tuple[int, int], name: str) -> None:
        """`check_size` for an output at most `fixed + copies * size(raw)` bytes (`State.growth`):
        when that bound is within the quota the output is not walked, and the bound is kept
        for the states after it."""
        fixed, copies = growth
        sizes = self.sizes
        bound = fixed + copies * sizes.bound(raw) if copies else fixed
        if bound > self.limits.payload_bytes:
            self.check_size(output, name)
        elif type(output) is dict or type(output) is list:  # `note_bound` written out
            if len(sizes.bounds) >= sizes.capacity:
                sizes.bounds.clear()
            sizes.bounds[id(output)] = (output, bound)


class Sizes:
    """The UTF-8 size of values as compact JSON, remembered per container.

    JSON values are never changed in place once made (paths.put copies on write), so a
    container's size stays true while it lives; the cache holds each container it measured,
    which also keeps its id from being reused. A new output that shares most of its input's
    children costs only its new parts.

    A check needs only an upper bound: an output known to be at most its input plus a little
    (`Run.check_grown`) has that bound noted, and is measured exactly only when a bound of
    it, or of a value holding it, exceeds the quota.
    """

    __slots__ = ("_cache", "bounds", "capacity")

    def __init__(self, capacity: int = 65_536) -> None:  # the history holds these values anyway
        self._cache: dict[int, tuple[object, int]] = {}
        self.bounds: dict[int, tuple[object, int]] = {}  # containers known to be at most so large
        self.capacity = capacity

    def bound(self, value: JSON) -> int:
        """At least the size of `value`: its size when it was measured, else the bound noted for
        it, else the sum of its parts' (their bounds, where they have one), noted."""
        if type(value) is dict or type(value) is list:  # the common case: known
            known = self.bounds.get(id(value)) or self._cache.get(id(value))
            if known is not None and known[0] is value:
                return known[1]
        try:
            return self._bound(value)
        except RecursionError:
            raise RuntimeFailure.too_deep() from None

    def _bound(self, value: JSON) -> int:
        kind = type(value)
        if kind is dict or kind is list:
            known = self._cache.get(id(value)) or self.bounds.get(id(value))
            if known is not None and known[0] is value:
                return known[1]
            total = self._container(value, self._bound)  # type: ignore[arg-type]
            self.note_bound(value, total)
            return total
        return self.size(value)

    def note_bound(self, value: JSON, bound: int) -> None:
        if type(value) is dict or type(value) is list:
            if len(self.bounds) >= self.capacity:
                self.bounds.clear()
            self.bounds[id(value)] = (value, bound)

    def measure(self, value: JSON) -> int:
        """`size`, with nesting too deep to walk reported as an ASL error instead of a crash."""
        try:
            return self.size(value)
        except RecursionError:
            raise RuntimeFailure.too_deep() from None

    def size(self, value: JSON) -> int:
        kind = type(value)
        if kind is str:
            text = cast(str, value)
            return _TEXT_SIZES.get(text) or _text_size(text)
        if kind is dict or kind is list:
            known = self._cache.get(id(value))
            if known is not None and known[0] is value:
                return known[1]
            total = self._container(value, self.size)  # type: ignore[arg-type]
            if len(self._cache) >= self.capacity:
                self._cache.clear()
            self._cache[id(value)] = (value, total)
            return total
        return _scalar_size(value)

    def _container(self, value: dict[str, JSON] | list[JSON], part: Callable[[JSON], int]) -> int:
        items: Iterable[JSON]
        if type(value) is dict:
            total = 2 * len(value) + 1 if value else 2  # braces, a colon per key, commas between
            sizes = _TEXT_SIZES
            for key in value:
                total += sizes.get(key) or _text_size(key)
            items = value.values()
        else:
            total = len(value) + 1 if value else 2  # brackets and commas between
            items = value
        for item in items:
            kind = type(item)
            if kind is str:
                text = cast(str, item)
                total += _TEXT_SIZES.get(text) or _text_size(text)
            elif kind is int:
                total += len(repr(item))
            elif kind is dict or kind is list:
                total += part(item)
            else:
                total += _scalar_size(item)
        return total


_TEXT_SIZES: dict[str, int] = {}  # keys and short strings recur: their sizes are remembered


def _text_size(text: str) -> int:
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        size = len(text) + 2
    else:
        size = len(json.dumps(text, ensure_ascii=False).encode())
    if len(text) <= 64:
        if len(_TEXT_SIZES) >= 8192:
            _TEXT_SIZES.clear()
        _TEXT_SIZES[text] = size
    return size


def _scalar_size(value: JSON) -> int:
    if value is True or value is None:
        return 4
    if value is False:
        return 5
    if type(value) is int:
        return len(str(value))
    return len(json.dumps(value))


def locate(error: ExecutionError, state: State, entered_id: int) -> ExecutionError:
    """Place an error in the state it arose in, once; a located error's cause then names that
    state, as AWS's does."""
    if error.state_name is None:
        error.state_name = state.name
        if error.located:
            error.cause = (
                f"An error occurred while executing the state '{state.name}' "
                f"(entered at the event id #{entered_id}). {error.cause}"
            )
    return error


def text(value: JSON) -> str:
    """A value as it appears inside an error message or an error name."""
    if value is None:
        return ""
    return value if isinstance(value, str) else paths.dumps(value)


def field_text(state: State, key: str) -> str:
    """The raw text of one field of a state's definition (for error messages that quote it)."""
    return str(state.raw.get(key, ""))


def number(value: JSON, field: str, source: str, *, kind: str = "integer") -> int | float:
    """A `...Path` field's value as a number, failing as AWS fails (numeric text is accepted)."""
    candidate = value
    if isinstance(candidate, str):
        with contextlib.suppress(ValueError):
            candidate = float(candidate) if kind == "float" else int(candidate)
    if not isinstance(candidate, bool):
        if kind == "float" and isinstance(candidate, (int, float)):
            return candidate
        if isinstance(candidate, int):
            return candidate
        if isinstance(candidate, float) and candidate.is_integer():
            return int(candidate)
    shown = value if isinstance(value, str) else paths.dumps(value)
    raise RuntimeFailure(f'The {field} field refers to value "{shown}" which is not a valid {kind}: {source}')
