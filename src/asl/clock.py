"""Time, injected: the real clock, and a virtual one on which a one-day Wait takes microseconds.

The executor tells the clock which of its tasks are doing work (`active`) and which are
waiting (`sleep`, or awaiting an async resource). A `VirtualClock` jumps to the earliest
deadline only once no task of the run is doing work, so branches still wake in virtual-time
order and a Task's timeout fires only after everything that could finish first has finished.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol

import anyio
from anyio.lowlevel import checkpoint

__all__ = ["Clock", "SystemClock", "VirtualClock", "iso"]

Spawn = Callable[..., Any]  # a task group's start_soon


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
        """One task of the run stopped doing work (it ended, or waits on something outside)."""

    def bind(self, spawn: Spawn) -> None:
        """Offer a way to start background tasks (a task group's start_soon) while a run lasts."""

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

    def bind(self, spawn: Spawn) -> None:
        return None

    def unbind(self, spawn: Spawn) -> None:
        return None


class VirtualClock:
    """Virtual time: waits end as soon as every task of the run is waiting, in deadline order.

    `start` is the initial time (epoch seconds or an aware datetime); by default the real time
    when the clock is made, so `$$` timestamps look plausible.
    """

    def __init__(self, start: float | datetime | None = None) -> None:
        if isinstance(start, datetime):
            start = start.timestamp()
        self._now: float = time.time() if start is None else float(start)
        self._sleepers: list[tuple[float, int, anyio.Event]] = []
        self._order = itertools.count()
        self._active = 0
        self._wake: anyio.Event | None = None
        self._spawners: list[Spawn] = []
        self._driving = False

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
        if not self._driving and self._spawners:
            self._driving = True
            self._spawners[-1](self._drive)
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
        if self._active <= 0 and self._sleepers and self._wake is not None:
            self._wake.set()

    def bind(self, spawn: Spawn) -> None:
        self._spawners.append(spawn)

    def unbind(self, spawn: Spawn) -> None:
        self._spawners.remove(spawn)

    async def _drive(self) -> None:
        """Advance time whenever the run is idle; started by the first sleep, ends with its run."""
        try:
            while True:
                self._wake = anyio.Event()
                if self._active <= 0 and self._sleepers:
                    self._wake.set()
                await self._wake.wait()
                # Let tasks that were just woken or released take their turn first.
                for _ in range(4):
                    await checkpoint()
                if self._active <= 0 and self._sleepers:
                    deadline = self._sleepers[0][0]
                    self._now = max(self._now, deadline)
                    while self._sleepers and self._sleepers[0][0] <= deadline:
                        _, _, event = heapq.heappop(self._sleepers)
                        self._active += 1  # on behalf of the sleeper, before it resumes
                        event.set()
        finally:
            self._driving = False
            self._wake = None
            if self._sleepers and self._spawners:  # another run still needs time to move
                self._driving = True
                self._spawners[-1](self._drive)
