"""Which parts of a state machine a set of executions exercised, read from their histories.

    coverage = asl.coverage.Coverage()
    coverage.record(machine, execution, label="machines/order.asl.json")
    coverage.report()          # JSON: per machine, every item with its count, and what was missed
    print(coverage.table())    # one line per machine

Items: every state; every Choice rule and Default; every Retrier and Catcher; every Parallel
branch and each Map's item processor. States inside a distributed Map run as child executions
with histories of their own, so they are not counted.

How each item is read from the history (events link to the event before them in their own
thread of control, which makes the reading exact except where noted):
- A Choice's rule is known from the state entered next. When several rules (or a rule and
  the Default) lead there, the rules are evaluated again, in order, against the Choice's
  recorded input, without variables and with an empty `$$`; if that cannot decide, the first
  of them in definition order is credited.
- A retry is an attempt that follows an earlier attempt of the same state entry; the Retrier
  credited is the first whose ErrorEquals matches the failed attempt's error, as the executor
  chooses. A Task's error is in its failure event. A Map's or Parallel's is not recorded by
  AWS, so it is taken from the last error recorded inside the failed attempt (a Task failure,
  a Fail state's static Error, a Choice without a match); unknown, the first Retrier is
  credited. A failure before a Task is scheduled (in Parameters, say) leaves no event, so a
  retry of it is not seen.
- A catch is an exit that follows a failure, or an exit to a state that is not the state's
  Next. The Catcher credited is the one leading to the state entered next; when several do,
  the first that matches the error (when it is known) or else the first of them.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from .context import JSON, Env
from .errors import ExecutionError
from .history import HistoryEvent
from .model import ChoiceState, MapState, ParallelState, Scope, State, StateMachine

__all__ = ["Coverage", "MachineCoverage"]

_FAILURES: Final = frozenset(
    {
        "TaskFailed",
        "TaskTimedOut",
        "TaskStartFailed",
        "TaskSubmitFailed",
        "LambdaFunctionFailed",
        "LambdaFunctionTimedOut",
        "LambdaFunctionStartFailed",
        "LambdaFunctionScheduleFailed",
        "EvaluationFailed",
        "MapStateFailed",
        "ParallelStateFailed",
    }
)
_SCHEDULED: Final = frozenset({"TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled"})
_STARTED: Final = frozenset({"MapStateStarted", "ParallelStateStarted"})
_HANDLERS: Final = ("Task", "Parallel", "Map")


def _walk(graph: StateMachine) -> Iterable[State]:
    """Every state of a graph, nested ones included, in definition order (not distributed Maps' insides)."""
    for state in graph.states.values():
        yield state
        if isinstance(state, ParallelState):
            for branch in state.branches:
                yield from _walk(branch)
        elif isinstance(state, MapState) and state.processor is not None and not state.distributed:
            yield from _walk(state.processor)


@dataclass
class MachineCoverage:
    """The counts for one state machine, accumulated over the executions recorded for it."""

    machine: StateMachine
    label: str
    executions: int = 0
    states: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    rules: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))  # index -1: Default
    retries: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    catches: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))
    branches: dict[tuple[str, int], int] = field(default_factory=lambda: defaultdict(int))

    def __post_init__(self) -> None:
        self.nodes: dict[str, State] = {}
        for state in _walk(self.machine):
            self.nodes.setdefault(state.name, state)
        self.branch_starts: dict[str, tuple[str, int]] = {}
        for state in self.nodes.values():
            if isinstance(state, ParallelState):
                for index, branch in enumerate(state.branches):
                    self.branch_starts[branch.start_at] = (state.name, index)

    # -- reading a history ------------------------------------------------------------------

    def add(self, events: list[HistoryEvent]) -> None:
        """Count what one execution's history shows."""
        self.executions += 1
        by_id = {event.id: event for event in events}
        followers: dict[int, list[HistoryEvent]] = defaultdict(list)
        for event in events:
            followers[event.previous_event_id].append(event)
        reader = _Reader(self, by_id, followers)
        for event in events:
            reader.read(event)

    # -- reporting --------------------------------------------------------------------------

    def report(self) -> dict[str, JSON]:
        """This machine's coverage as JSON: counts per item, totals, and the items never exercised."""
        states: dict[str, JSON] = {}
        choices: dict[str, JSON] = {}
        retries: dict[str, JSON] = {}
        catches: dict[str, JSON] = {}
        branches: dict[str, JSON] = {}
        missing: list[JSON] = []
        total = covered = 0

        def item(count: int, description: str) -> int:
            nonlocal total, covered
            total += 1
            if count:
                covered += 1
            else:
                missing.append(description)
            return count

        for name, state in self.nodes.items():
            states[name] = {"type": state.kind, "entered": item(self.states.get(name, 0), f"state {name!r}")}
            if isinstance(state, ChoiceState):
                rules: list[JSON] = []
                for index, rule in enumerate(state.choices):
                    count = item(self.rules.get((name, index), 0), f"Choice {name!r} rule #{index} (-> {rule.next!r})")
                    rules.append({"index": index, "next": rule.next, "count": count})
                default: JSON = None
                if state.default is not None:
                    count = item(self.rules.get((name, -1), 0), f"Choice {name!r} Default (-> {state.default!r})")
                    default = {"next": state.default, "count": count}
                choices[name] = {"rules": rules, "default": default}
            if state.retry:
                retries[name] = [
                    {
                        "index": index,
                        "error_equals": list(retrier.error_equals),
                        "count": item(
                            self.retries.get((name, index), 0),
                            f"Retry {name!r}[{index}] ({', '.join(retrier.error_equals)})",
                        ),
                    }
                    for index, retrier in enumerate(state.retry)
                ]
            if state.catch:
                catches[name] = [
                    {
                        "index": index,
                        "error_equals": list(catcher.error_equals),
                        "next": catcher.next,
                        "count": item(
                            self.catches.get((name, index), 0),
                            f"Catch {name!r}[{index}] ({', '.join(catcher.error_equals)} -> {catcher.next!r})",
                        ),
                    }
                    for index, catcher in enumerate(state.catch)
                ]
            if isinstance(state, ParallelState):
                branches[name] = [
                    {
                        "index": index,
                        "start_at": branch.start_at,
                        "count": item(self.branches.get((name, index), 0), f"Parallel {name!r} branch #{index}"),
                    }
                    for index, branch in enumerate(state.branches)
                ]
            elif isinstance(state, MapState) and state.processor is not None:
                count = item(self.branches.get((name, 0), 0), f"Map {name!r} item processor")
                branches[name] = [{"index": 0, "start_at": state.processor.start_at, "count": count}]
        return {
            "executions": self.executions,
            "covered": covered,
            "total": total,
            "percent": _percent(covered, total),
            "states": states,
            "choices": choices,
            "retries": retries,
            "catches": catches,
            "branches": branches,
            "missing": missing,
        }


class _Reader:
    """Reads one history: each event against the events it follows and the machine graph."""

    def __init__(
        self, cover: MachineCoverage, by_id: dict[int, HistoryEvent], followers: dict[int, list[HistoryEvent]]
    ) -> None:
        self.cover, self.by_id, self.followers = cover, by_id, followers

    def read(self, event: HistoryEvent) -> None:
        kind, details = event.type, event.details or {}
        cover = self.cover
        if kind.endswith("StateEntered"):
            name = str(details.get("name"))
            if name in cover.nodes:
                cover.states[name] += 1
            previous = self.by_id.get(event.previous_event_id)
            if previous is not None and previous.type == "ParallelStateStarted" and name in cover.branch_starts:
                cover.branches[cover.branch_starts[name]] += 1
        elif kind == "MapIterationStarted":
            cover.branches[(str(details.get("name")), 0)] += 1
        elif kind == "MapStateStarted":
            owner = self.owner(event)
            node = cover.nodes.get(owner or "")
            if isinstance(node, MapState) and node.distributed and isinstance(details.get("length"), int):
                cover.branches[(node.name, 0)] += int(details["length"])  # type: ignore[arg-type]
        if kind in _SCHEDULED or kind in _STARTED:
            self.read_attempt(event)
        elif kind == "ChoiceStateExited":
            self.read_choice(event)
        elif kind.endswith("StateExited") and kind[: -len("StateExited")] in _HANDLERS:
            self.read_exit(event)

    def owner(self, event: HistoryEvent) -> str | None:
        """The state whose entry an attempt's event belongs to (its chain leads back to the entry)."""
        current: HistoryEvent | None = event
        while current is not None and not current.type.endswith("StateEntered"):
            current = self.by_id.get(current.previous_event_id)
        return str(current.details["name"]) if current is not None and current.details else None

    def successor(self, event: HistoryEvent) -> str | None:
        """The state entered right after `event` in the same thread of control."""
        for follower in self.followers.get(event.id, ()):
            if follower.type.endswith("StateEntered") and follower.details:
                return str(follower.details["name"])
        return None

    def read_attempt(self, event: HistoryEvent) -> None:
        previous = self.by_id.get(event.previous_event_id)
        if previous is None or previous.type.endswith("StateEntered"):
            return  # a first attempt
        name = self.owner(event)
        state = self.cover.nodes.get(name or "")
        if state is None or not state.retry:
            return
        if event.type in _SCHEDULED:
            error = _error_of(previous) if previous.type in _FAILURES else None
        else:  # a Map or Parallel: the error is recorded inside the failed attempt, if anywhere
            error = self.inner_error(state, previous, event.id)
        index = _first_match([r.error_equals for r in state.retry], error)
        self.cover.retries[(state.name, 0 if index is None else index)] += 1

    def inner_error(self, state: State, started: HistoryEvent, before: int) -> str | None:
        if isinstance(state, MapState) and _tolerates(state):
            return "States.ExceedToleratedFailureThreshold"
        for event_id in range(before - 1, started.id, -1):
            event = self.by_id.get(event_id)
            if event is None or not self.descends(event, started.id):
                continue
            error = self.recorded_error(event)
            if error is not None:
                return error
        return None

    def recorded_error(self, event: HistoryEvent) -> str | None:
        if event.type in _FAILURES and event.type not in ("MapStateFailed", "ParallelStateFailed"):
            return _error_of(event)
        if event.type == "MapRunFailed":
            return _error_of(event)
        if event.type == "FailStateEntered" and event.details:
            node = self.cover.nodes.get(str(event.details.get("name")))
            raw_error = node.raw.get("Error") if node is not None else None
            return raw_error if isinstance(raw_error, str) else None
        if event.type == "ChoiceStateEntered" and not any(
            f.type == "ChoiceStateExited" for f in self.followers.get(event.id, ())
        ):
            return "States.NoChoiceMatched"
        return None

    def descends(self, event: HistoryEvent, ancestor: int) -> bool:
        current: HistoryEvent | None = event
        while current is not None and current.id > ancestor:
            current = self.by_id.get(current.previous_event_id)
        return current is not None and current.id == ancestor

    def read_choice(self, event: HistoryEvent) -> None:
        state = self.cover.nodes.get(str((event.details or {}).get("name")))
        target = self.successor(event)
        if not isinstance(state, ChoiceState) or target is None:
            return
        candidates = [i for i, rule in enumerate(state.choices) if rule.next == target]
        if state.default == target:
            candidates.append(-1)
        if not candidates:
            return
        chosen = candidates[0]
        if len(candidates) > 1:
            entered = self.by_id.get(event.previous_event_id)
            value = (entered.details or {}).get("input") if entered is not None else None
            decided = _evaluate(state, value)
            if decided in candidates:
                chosen = decided
        self.cover.rules[(state.name, chosen)] += 1

    def read_exit(self, event: HistoryEvent) -> None:
        state = self.cover.nodes.get(str((event.details or {}).get("name")))
        previous = self.by_id.get(event.previous_event_id)
        if state is None or previous is None or not state.catch:
            return
        target = self.successor(event)
        failed = previous.type in _FAILURES or previous.type.endswith("StateEntered")
        if not failed and (target is None or (not state.end and target == state.next)):
            return  # an ordinary exit
        if target is None:
            return
        candidates = [i for i, catcher in enumerate(state.catch) if catcher.next == target]
        if not candidates:
            return
        chosen = candidates[0]
        if len(candidates) > 1:
            if previous.type in _FAILURES and previous.type not in ("MapStateFailed", "ParallelStateFailed"):
                error = _error_of(previous)
            else:
                error = self.nearest_error(previous)
            index = _first_match([c.error_equals for c in state.catch], error)
            if index in candidates:
                chosen = index
        self.cover.catches[(state.name, chosen)] += 1

    def nearest_error(self, before: HistoryEvent) -> str | None:
        for event_id in range(before.id - 1, 0, -1):
            event = self.by_id.get(event_id)
            if event is not None and (error := self.recorded_error(event)) is not None:
                return error
        return None


def _error_of(event: HistoryEvent) -> str | None:
    error = (event.details or {}).get("error")
    return error if isinstance(error, str) else None


def _tolerates(state: MapState) -> bool:
    return state.tolerated_failure_count is not None or state.tolerated_failure_percentage is not None


def _first_match(clauses: list[tuple[str, ...]], error: str | None) -> int | None:
    """The first clause whose ErrorEquals matches `error`, by the executor's own rule."""
    from .executor import _matches

    if error is None:
        return None
    failure = ExecutionError("", error=error)
    return next((i for i, names in enumerate(clauses) if _matches(names, failure)), None)


def _evaluate(state: ChoiceState, value: JSON) -> int | None:
    """The rule (or -1 for Default) a Choice takes on `value`, evaluated without variables or `$$`."""
    from .dataflow import select

    env = Env({}, {})
    try:
        if state.jsonata:
            scope = Scope(None, env, {"input": value, "context": {}})
        else:
            scope = Scope(select(state.input_path, state.input_null, value, env), env)
        for index, rule in enumerate(state.choices):
            if rule.condition(scope):
                return index
    except Exception:  # the rule needs what the history does not keep: the caller falls back
        return None
    return -1 if state.default is not None else None


def _percent(covered: int, total: int) -> float:
    return round(100.0 * covered / total, 1) if total else 100.0


class Coverage:
    """Coverage across many executions, of one or more machines, each under a label (its file)."""

    def __init__(self) -> None:
        self._machines: dict[str, MachineCoverage] = {}

    def __len__(self) -> int:
        return len(self._machines)

    def record(self, machine: StateMachine, execution: Any, *, label: str | None = None) -> None:
        """Count one execution (anything with a `history`) of `machine`, filed under `label`."""
        label = label or _label(machine)
        cover = self._machines.get(label)
        if cover is None or cover.machine != machine:
            if cover is not None:  # the same label for another definition: keep both apart
                label = f"{label} ({_label(machine)})"
            cover = self._machines.setdefault(label, MachineCoverage(machine, label))
        cover.add(list(execution.history))

    def machine(self, label: str) -> MachineCoverage:
        """The coverage recorded under `label`; raises KeyError when nothing was."""
        return self._machines[label]

    def report(self) -> dict[str, JSON]:
        """Every machine's coverage as JSON, by label."""
        return {
            "version": 1,
            "machines": {label: cover.report() for label, cover in sorted(self._machines.items())},
        }

    def write_json(self, path: str | os.PathLike[str]) -> None:
        """Write `report()` to a file as indented JSON."""
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(self.report(), handle, indent=2, sort_keys=False)
            handle.write("\n")

    def table(self, *, missing_limit: int = 6) -> str:
        """A plain-text table: per machine, its items, how many were exercised, and what was not."""
        rows = [("Machine", "Items", "Covered", "Percent", "Missing")]
        total = covered = 0
        for label, cover in sorted(self._machines.items()):
            report = cover.report()
            items, done = int(report["total"]), int(report["covered"])  # type: ignore[arg-type]
            total, covered = total + items, covered + done
            missed: list[str] = [str(m) for m in report["missing"]]  # type: ignore[union-attr]
            shown = ", ".join(missed[:missing_limit]) + (
                f", +{len(missed) - missing_limit} more" if len(missed) > missing_limit else ""
            )
            rows.append((label, str(items), str(done), f"{report['percent']}%", shown))
        if len(self._machines) > 1:
            rows.append(("TOTAL", str(total), str(covered), f"{_percent(covered, total)}%", ""))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = []
        for row in rows:
            cells = [row[0].ljust(widths[0])] + [row[i].rjust(widths[i]) for i in (1, 2, 3)] + [row[4]]
            lines.append("  ".join(cells).rstrip())
        return "\n".join(lines)


def _label(machine: StateMachine) -> str:
    return f"<machine {hash(machine) & 0xFFFFFFFF:08x}>"
