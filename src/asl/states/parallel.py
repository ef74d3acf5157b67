"""The Parallel state, and the bounded fan-out that Parallel and Map share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio

from ..context import JSON, Env
from ..dataflow import effective_input
from ..errors import ExecutionError
from ..history import Lane
from ..model import ParallelState
from ..runtime import Frame, Run, Runners, child_variables, pass_on

__all__ = ["fan_out", "run_parallel", "runners"]


def runners(run: Run) -> Runners:
    """The graph runners the executor passed to `run` (the executor imports this module, not the reverse)."""
    if run.runners is None:
        raise AssertionError("a Run that runs branches or iterations needs the executor's runners")
    return run.runners


async def fan_out(run: Run, count: int, workers: int, child: Callable[[int], Awaitable[None]]) -> None:
    """Run `child(0..count-1)`, at most `workers` at once, in index order of start.

    The first error cancels the other children and is raised once they have stopped.
    Workers are lightweight tasks, never threads; their number, not `count`, bounds memory.
    """
    if min(workers, count) == 1:  # no sibling to take turns with: no task, no task group
        for index in range(count):
            await child(index)
        return
    failure: list[ExecutionError] = []
    indices = iter(range(count))

    async def worker() -> None:
        try:
            for index in indices:
                if failure:  # no child starts once one has failed
                    break
                await child(index)
        except ExecutionError as error:
            if not failure:
                failure.append(error)
            tg.cancel_scope.cancel()
        finally:
            run.clock.idle()

    async with anyio.create_task_group() as tg:
        for _ in range(min(workers, count)):
            run.clock.busy()  # counted from now, so time cannot jump before the worker starts
            tg.start_soon(worker)
        run.clock.idle()  # this task only waits for its children
    run.clock.busy()
    if failure:
        raise failure[0]


async def run_parallel(run: Run, state: ParallelState, raw: JSON, env: Env, frame: Frame) -> JSON:
    """One attempt: every branch on the same input, results in branch order."""
    run_graph, steps = runners(run)
    value = effective_input(state, raw, env)
    if value is not raw:  # an unchanged input was measured when it was made
        run.check_size(value, state.name)  # as for a Task: over the quota after Parameters is terminal
    history = frame.history
    started = history.add(frame.lane, "ParallelStateStarted")
    if len(state.branches) == 1:  # a lone branch: nothing to interleave, its stop events are the parent's
        graph = state.branches[0]
        child = Frame(Lane(started, f"{started}.0"), child_variables(graph, frame), history, False, frame.aborted)
        try:
            if graph.instant:  # it never waits: no coroutine
                results = [steps(run, graph.states, graph.states[graph.start_at], value, child)[0]]
            else:
                results = [await run_graph(run, graph, value, child)]
        finally:
            frame.lane.last = history.last_id
        history.note("ParallelStateSucceeded", frame.lane.last)
        return results

    results = [None] * len(state.branches)
    held: list[list[Callable[[], object]]] = [[] for _ in state.branches]  # *Aborted events, by branch

    async def branch(index: int) -> None:
        graph = state.branches[index]
        child = Frame(Lane(started, f"{started}.{index}"), child_variables(graph, frame), history, True, held[index])
        results[index] = await run_graph(run, graph, value, child)

    try:
        await fan_out(run, len(state.branches), len(state.branches), branch)
    finally:
        pass_on(frame, held)
        frame.lane.last = history.last_id  # closing events follow the last event of the branches
    history.note("ParallelStateSucceeded", frame.lane.last)
    return results
