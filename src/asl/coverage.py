"""Which parts of a state machine a set of executions exercised.

    coverage = asl.coverage.Coverage()
    coverage.record(machine, execution, label="machines/order.asl.json")
    coverage.report()          # JSON: per machine, every item with its count, and what was missed
    print(coverage.table())    # one line per machine

Items: every state; every Choice rule and Default; every Retrier and Catcher; every Parallel
branch and each Map's item processor. States are counted from the history's Entered events,
branches from the events that open them; which Choice rule, Retrier and Catcher acted is
exact, from the execution's `decisions` (the executor records them; AWS's history does not).
States inside a distributed Map run as child executions with histories of their own, so
they are not counted.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .context import JSON
from .history import Decision, HistoryEvent
from .model import ChoiceState, MapState, ParallelState, State, StateMachine

__all__ = ["Coverage", "MachineCoverage"]


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

    def add(self, events: list[HistoryEvent], decisions: Iterable[Decision] = ()) -> None:
        """Count what one execution did: its history and the decisions it made."""
        self.executions += 1
        by_id = {event.id: event for event in events}
        for event in events:
            kind, details = event.type, event.details or {}
            if kind.endswith("StateEntered"):
                name = str(details.get("name"))
                if name in self.nodes:
                    self.states[name] += 1
                previous = by_id.get(event.previous_event_id)
                if previous is not None and previous.type == "ParallelStateStarted" and name in self.branch_starts:
                    self.branches[self.branch_starts[name]] += 1
            elif kind == "MapIterationStarted":
                self.branches[(str(details.get("name")), 0)] += 1
            elif kind == "MapStateStarted":
                node = self.nodes.get(_owner(event, by_id) or "")
                if isinstance(node, MapState) and node.distributed and isinstance(details.get("length"), int):
                    self.branches[(node.name, 0)] += int(details["length"])  # type: ignore[arg-type]
        counts = {"choice": self.rules, "retry": self.retries, "catch": self.catches}
        for decision in decisions:
            if decision.state in self.nodes:
                counts[decision.kind][(decision.state, decision.clause)] += 1

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


def _owner(event: HistoryEvent, by_id: dict[int, HistoryEvent]) -> str | None:
    """The state whose entry an event belongs to (its chain of previous events leads there)."""
    current: HistoryEvent | None = event
    while current is not None and not current.type.endswith("StateEntered"):
        current = by_id.get(current.previous_event_id)
    return str(current.details["name"]) if current is not None and current.details else None


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
        cover.add(list(execution.history), getattr(execution, "decisions", ()))

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
