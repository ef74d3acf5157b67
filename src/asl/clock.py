"""Time, injected: the real clock, and a virtual one on which a one-day Wait takes microseconds.

How virtual time moves. The executor tells the clock which of its tasks are doing work
(`busy`) and which are waiting: on the clock (`sleep`), on another task of the run (`idle`),
on the world outside the run, such as an async resource (`away`), or on a task token, which
only code outside the run can answer (`park`). A `VirtualClock` jumps to the earliest
deadline only once no task is doing work, so branches still wake in virtual-time order and a
Task's timeout fires only after everything that could finish first has finished.

Code outside the run counts too, where the clock can see it. The task that holds an execution
(`async with asl.start(...) as execution:`) is doing work, and time stands still, while it is
awake: running, or awaiting anything other than an execution, such as `anyio.sleep()` while it
polls `execution.task_tokens`, or a reply from a person or a service. It lets time move only
while it awaits an execution: `execution.wait()`, the end of the block, or the next event of
`execution.events()`. A follower of `events()` holds time still while it acts on an event.
Other tasks of the caller are not seen, and while the holding task awaits them (a task group
of its own) time stands still: answer tokens from the holding task itself.

When no task is doing work, no timer is pending, nothing waits on the world and a Task waits
for a token, nothing can ever happen again: the clock tells the runs it serves (`bind`), and
each run with a waiting token stops with an error that names the state and its token (unless
the Task's resource took the Lambda-style context, which code outside may still use to answer).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol

import anyio
from anyio.lowlevel import checkpoint

__all__ = ["Clock", "SystemClock", "VirtualClock", "awaiting", "hold", "iso", "release"]

Spawn = Callable[..., Any]  # a task group's start_soon
Stalled = Callable[[], None]  # what a run does when nothing can ever happen again


@lru_cache(maxsize=256)
def iso(seconds: float) -> str:
    """An epoch time as AWS prints timestamps: ISO 8601, milliseconds, `Z`."""
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Clock(Protocol):
    """What the executor needs of time: the current epoch time, a way to wait, and work accounting."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...

    def busy(self) -> None:
        """One more task of the run is doing work."""

    def idle(self) -> None:
        """One task of the run stopped doing work (it ended, or waits on another task of the run)."""

    def away(self) -> None:
        """One task of the run stopped doing work to wait on the world outside it (an async resource)."""

    def back(self) -> None:
        """A task that was `away` is doing work again."""

    def park(self) -> None:
        """One task of the run stopped doing work to wait for a task token."""

    def unpark(self) -> None:
        """A task that was parked is doing work again (its token was answered, or it was cancelled)."""

    def bind(self, spawn: Spawn, stalled: Stalled | None = None) -> None:
        """Offer a way to start background tasks (a task group's start_soon) while a run lasts,
        and what the run does when nothing can ever happen again (`stalled`)."""

    def unbind(self, spawn: Spawn) -> None:
        """Withdraw what `bind` offered (the run has ended)."""


class SystemClock:
    """Real time: Wait states and retry intervals really wait."""

    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(max(0.0, seconds))

    def busy(self) -> None:
        return None

    def idle(self) -> None:
        return None

    def away(self) -> None:
        return None

    def back(self) -> None:
        return None

    def park(self) -> None:
        return None

    def unpark(self) -> None:
        return None

    def bind(self, spawn: Spawn, stalled: Stalled | None = None) -> None:
        return None

    def unbind(self, spawn: Spawn) -> None:
        return None


class VirtualClock:
    """Virtual time: waits end as soon as every task of the run is waiting, in deadline order.

    `start` is the initial time (epoch seconds or an aware datetime); by default the real time
    when the clock is made, so `$$` timestamps look plausible. Time moves only while no task
    the clock can see is doing work, the task holding `asl.start(...)` included (see the
    module's docstring); a run that can never move again stops with an error naming its
    waiting task tokens.
    """

    def __init__(self, start: float | datetime | None = None) -> None:
        if isinstance(start, datetime):
            start = start.timestamp()
        self._now: float = time.time() if start is None else float(start)
        self._sleepers: list[tuple[float, int, anyio.Event]] = []
        self._order = itertools.count()
        self._active = 0
        self._away = 0  # tasks waiting on the world outside the runs
        self._parked = 0  # tasks waiting for a task token
        self._wake: anyio.Event | None = None
        self._spawners: list[Spawn] = []
        self._stalled: list[tuple[Spawn, Stalled]] = []
        self._driving = False
        self._signalled = False  # the runs were told they are stalled; nothing changed since

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward by hand (for tests of code that reads the clock)."""
        self._now += seconds

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await checkpoint()
            return
        entry = (self._now + seconds, next(self._order), anyio.Event())
        heapq.heappush(self._sleepers, entry)
        self._signalled = False
        self._start_driver()
        self.idle()
        try:
            await entry[2].wait()
        except BaseException:
            if not entry[2].is_set():  # cancelled before its time: it is working again
                self._sleepers.remove(entry)
                heapq.heapify(self._sleepers)
                self._active += 1
            raise

    def busy(self) -> None:
        self._active += 1

    def idle(self) -> None:
        self._active -= 1
        if self._active <= 0 and self._wake is not None and (self._sleepers or self._parked):
            self._wake.set()

    def away(self) -> None:
        self._away += 1
        self.idle()

    def back(self) -> None:
        self._away -= 1
        self.busy()

    def park(self) -> None:
        self._parked += 1
        self._start_driver()
        self.idle()

    def unpark(self) -> None:
        self._parked -= 1
        self._signalled = False
        self.busy()

    def bind(self, spawn: Spawn, stalled: Stalled | None = None) -> None:
        self._spawners.append(spawn)
        self._signalled = False
        if stalled is not None:
            self._stalled.append((spawn, stalled))

    def unbind(self, spawn: Spawn) -> None:
        self._spawners.remove(spawn)
        self._stalled = [entry for entry in self._stalled if entry[0] != spawn]

    def _stuck(self) -> bool:
        """Tasks wait for tokens, nothing waits on the world, and the runs were not told yet."""
        return self._parked > 0 and not self._away and not self._signalled

    def _start_driver(self) -> None:
        if not self._driving and self._spawners:
            self._driving = True
            self._spawners[-1](self._drive)

    async def _drive(self) -> None:
        """Advance time whenever the runs are idle; started by the first sleep or token wait,
        it ends with its run (and another run that still needs it starts a new one)."""
        try:
            while True:
                self._wake = anyio.Event()
                if self._active <= 0 and (self._sleepers or self._stuck()):
                    self._wake.set()
                await self._wake.wait()
                # Let tasks that were just woken or released take their turn first.
                for _ in range(4):
                    await checkpoint()
                if self._active > 0:
                    continue
                if self._sleepers:
                    deadline = self._sleepers[0][0]
                    self._now = max(self._now, deadline)
                    while self._sleepers and self._sleepers[0][0] <= deadline:
                        _, _, event = heapq.heappop(self._sleepers)
                        self._active += 1  # on behalf of the sleeper, before it resumes
                        event.set()
                elif self._stuck():  # only an answer to a token could move anything now
                    self._signalled = True
                    for _, stalled in list(self._stalled):
                        stalled()
        finally:
            self._driving = False
            self._wake = None
            if (self._sleepers or self._parked) and self._spawners:  # another run still needs time to move
                self._start_driver()


# -- the task that holds an execution ---------------------------------------------------------

_HOLDERS: dict[tuple[int, object], list[int]] = {}  # (clock, task) -> [executions held, awaiting one]


def hold(clock: Clock) -> None:
    """The current task holds one more execution on `clock` (`asl.start`): while it is awake,
    time stands still."""
    key = (id(clock), anyio.get_current_task().id)
    state = _HOLDERS.get(key)
    if state is None:
        _HOLDERS[key] = [1, 0]
        clock.busy()
    else:
        state[0] += 1


def release(clock: Clock) -> None:
    """The current task let go of one execution it held (the `asl.start` block ended)."""
    key = (id(clock), anyio.get_current_task().id)
    state = _HOLDERS.get(key)
    if state is None:
        return
    state[0] -= 1
    if state[0] <= 0:
        del _HOLDERS[key]
        if not state[1]:
            clock.idle()


@contextlib.contextmanager
def awaiting(clock: Clock) -> Iterator[None]:
    """The current task awaits an execution (its end, or its next event): if it holds one on
    `clock`, time may move meanwhile."""
    key = (id(clock), anyio.get_current_task().id)
    state = _HOLDERS.get(key)
    if state is None or state[1]:
        yield
        return
    state[1] = 1
    clock.idle()
    try:
        yield
    finally:
        if _HOLDERS.get(key) is state:  # still held: awake again
            state[1] = 0
            clock.busy()
