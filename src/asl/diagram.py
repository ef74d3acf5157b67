"""Diagrams of a state machine: Mermaid and Graphviz DOT text, optionally coloured by one execution.

    text = diagram.mermaid(machine)                       # or diagram.dot(machine)
    text = diagram.dot(machine, diagram.trace(events))    # events: `run --history` output

(`asl graph` is the command that prints them.)

Every state is a node labelled with its name and type; Choice edges carry their rules
(`$.total > 100`), the Default edge says so, Catch edges are dashed and carry their error names.
Parallel branches and Map processors are nested clusters, each with its own start and end
markers. A `Trace` colours the states entered and the transitions taken, marks the failed
state and counts how many times each state was entered. Pure functions: text in, text out.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .choice import RELATIONS, TYPE_TESTS
from .model import StateMachine

__all__ = ["Trace", "dot", "mermaid", "rule_text", "trace"]

# How a rule label writes each type test, when it holds and when it does not.
_TYPE_TESTS = {
    **{name: (name.removeprefix("Is").lower(), "not " + name.removeprefix("Is").lower()) for name in TYPE_TESTS},
    "IsPresent": ("present", "absent"),
}
# Comparison operators, longest relation first ("LessThanEquals" before "Equals").
_SYMBOLS = sorted(((name, symbol) for name, (_relation, symbol) in RELATIONS.items()), key=lambda item: -len(item[0]))
_SHAPES = {"Choice": "diamond", "Succeed": "oval", "Fail": "oval", "Wait": "hexagon"}
_VISITED, _FAILED, _PATH = "#d4edda", "#f8d7da", "#2e7d32"


@dataclass(frozen=True, slots=True)
class Trace:
    """What one execution did, read from its history: entries per state, transitions, failures."""

    entered: Mapping[str, int] = field(default_factory=dict)
    transitions: frozenset[tuple[str, str]] = frozenset()  # (from state, to state) actually taken
    finished: frozenset[str] = frozenset()  # states that exited (or, for Fail, were entered)
    failed: frozenset[str] = frozenset()
    status: str = ""


def trace(events: Iterable[Mapping[str, Any]]) -> Trace:
    """Read a history (GetExecutionHistory events, as `asl run --history` writes them) into a Trace.

    Events are matched to states by name: a name used in several scopes counts for each of them.
    """
    by_id: dict[int, Mapping[str, Any]] = {}
    entered: Counter[str] = Counter()
    open_entries: Counter[str] = Counter()
    transitions: set[tuple[str, str]] = set()
    finished: set[str] = set()
    failed: set[str] = set()
    status = ""
    for event in events:
        kind = str(event.get("type", ""))
        by_id[int(event.get("id", 0))] = event
        name = _state_name(event)
        if kind.endswith("StateEntered") and name is not None:
            entered[name] += 1
            open_entries[name] += 1
            before = by_id.get(int(event.get("previousEventId", 0)))
            if before is not None and str(before.get("type", "")).endswith("StateExited"):
                previous = _state_name(before)
                if previous is not None:
                    transitions.add((previous, name))
            if kind == "FailStateEntered":
                failed.add(name)
                finished.add(name)
        elif kind.endswith("StateExited") and name is not None:
            finished.add(name)
            open_entries[name] -= 1
        elif kind.startswith("Execution") and kind != "ExecutionStarted":
            status = kind.removeprefix("Execution").upper()
    if status and status != "SUCCEEDED":
        # States entered and never left are where the execution stopped (and their parents).
        failed.update(name for name, count in open_entries.items() if count > 0)
    return Trace(dict(entered), frozenset(transitions), frozenset(finished), frozenset(failed), status)


def _state_name(event: Mapping[str, Any]) -> str | None:
    for key in ("stateEnteredEventDetails", "stateExitedEventDetails"):
        details = event.get(key)
        if isinstance(details, Mapping) and isinstance(details.get("name"), str):
            return str(details["name"])
    return None


# -- choice rules as text ------------------------------------------------------------------------


def rule_text(rule: Mapping[str, Any]) -> str:
    """A Choice rule as a short expression: `$.total > 100`, `not ($.vip == true)`, a JSONata condition."""
    if "Condition" in rule:
        condition = rule["Condition"]
        if isinstance(condition, str):
            return condition.strip().removeprefix("{%").removesuffix("%}").strip()
        return json.dumps(condition)
    if "And" in rule or "Or" in rule:
        word = "and" if "And" in rule else "or"
        parts = [rule_text(r) if isinstance(r, Mapping) else "?" for r in rule.get("And") or rule.get("Or") or ()]
        return f" {word} ".join(f"({part})" if " " in part else part for part in parts)
    if "Not" in rule:
        inner = rule["Not"]
        return f"not ({rule_text(inner) if isinstance(inner, Mapping) else '?'})"
    return _data_test_text(rule)


def _data_test_text(rule: Mapping[str, Any]) -> str:
    variable = str(rule.get("Variable", "$"))
    for key, value in rule.items():
        if key in ("Variable", "Next", "Assign", "Output", "Comment"):
            continue
        if key in _TYPE_TESTS:
            yes, no = _TYPE_TESTS[key]
            return f"{variable} is {yes if value is True else no}"
        if key in ("StringMatches", "StringMatchesPath"):
            return f"{variable} matches {json.dumps(value) if key == 'StringMatches' else value}"
        base = key.removesuffix("Path")
        for suffix, symbol in _SYMBOLS:
            if base.endswith(suffix):
                operand = str(value) if key.endswith("Path") else json.dumps(value, ensure_ascii=False)
                return f"{variable} {symbol} {operand}"
    return variable


# -- the graph, format-neutral ------------------------------------------------------------------


@dataclass(slots=True)
class _Node:
    id: str
    name: str
    kind: str  # the state's Type, or "start" / "end" for markers


@dataclass(slots=True)
class _Edge:
    source: str
    target: str
    label: str = ""
    dashed: bool = False  # a Catch
    faint: bool = False  # into a branch or processor
    taken: bool = False


@dataclass(slots=True)
class _Cluster:
    id: str
    label: str
    nodes: list[_Node] = field(default_factory=list)
    clusters: list[_Cluster] = field(default_factory=list)


@dataclass(slots=True)
class _Graph:
    root: _Cluster
    edges: list[_Edge] = field(default_factory=list)
    states: dict[str, list[str]] = field(default_factory=dict)  # state name -> node ids
    count: int = 0

    def new_id(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"


def _build(definition: Mapping[str, Any], run: Trace | None) -> _Graph:
    graph = _Graph(_Cluster("root", ""))
    _scope(graph, graph.root, definition, run)
    return graph


def _scope(graph: _Graph, cluster: _Cluster, definition: Mapping[str, Any], run: Trace | None) -> None:
    """One graph of states (the machine, a branch, a processor) with its start and end markers."""
    states = definition.get("States")
    states = states if isinstance(states, Mapping) else {}
    # Ids never begin with "end", "o" or "x": Mermaid would read a keyword or an edge head.
    start, end = _Node(graph.new_id("st"), "start", "start"), _Node(graph.new_id("fin"), "end", "end")
    cluster.nodes.append(start)
    ids = {name: graph.new_id("s") for name in states}
    ended = False
    for name, state in states.items():
        state = state if isinstance(state, Mapping) else {}
        node = _state_node(graph, cluster, ids[name], str(name), state, run)
        _state_edges(graph, node, state, ids)
        if state.get("End") is True or node.kind in ("Succeed", "Fail"):
            graph.edges.append(_Edge(node.id, end.id))
            ended = True
    start_at = definition.get("StartAt")
    if start_at in ids:
        graph.edges.insert(0, _Edge(start.id, ids[start_at]))
    if ended:
        cluster.nodes.append(end)
    if run is not None:
        _mark_taken(graph, {ids[name]: name for name in ids}, start, end, run)


def _state_node(
    graph: _Graph, cluster: _Cluster, node_id: str, name: str, state: Mapping[str, Any], run: Trace | None
) -> _Node:
    """A state's node, in `cluster`, or for a Parallel or Map in a cluster of its own with its insides."""
    kind = str(state.get("Type", "?"))
    node = _Node(node_id, name, kind)
    graph.states.setdefault(name, []).append(node.id)
    if kind not in ("Parallel", "Map"):
        cluster.nodes.append(node)
        return node
    inner = _Cluster(graph.new_id("cluster"), f"{kind} {name}")
    inner.nodes.append(node)
    cluster.clusters.append(inner)
    if kind == "Parallel":
        for index, branch in enumerate(state.get("Branches") or (), start=1):
            if isinstance(branch, Mapping):
                _child(graph, inner, node, f"branch {index}", branch, run)
        return node
    processor = state.get("ItemProcessor") or state.get("Iterator")
    if isinstance(processor, Mapping):
        mode = (processor.get("ProcessorConfig") or {}).get("Mode", "INLINE")
        _child(graph, inner, node, f"items ({str(mode).lower()})", processor, run)
    return node


def _state_edges(graph: _Graph, node: _Node, state: Mapping[str, Any], ids: Mapping[str, str]) -> None:
    for target, label in transitions(state):
        if target in ids:
            graph.edges.append(_Edge(node.id, ids[target], label))
    for catcher in state.get("Catch") or ():
        if isinstance(catcher, Mapping) and catcher.get("Next") in ids:
            errors = ", ".join(str(e) for e in catcher.get("ErrorEquals") or ())
            graph.edges.append(_Edge(node.id, ids[catcher["Next"]], errors, dashed=True))


def _mark_taken(graph: _Graph, names: Mapping[str, str], start: _Node, end: _Node, run: Trace) -> None:
    """Mark the edges of one scope (node id -> state name in `names`) that the execution took."""
    for edge in graph.edges:
        origin, destination = names.get(edge.source), names.get(edge.target)
        if edge.source == start.id and destination is not None:
            edge.taken = destination in run.entered
        elif origin is not None and destination is not None:
            edge.taken = (origin, destination) in run.transitions
        elif origin is not None and edge.target == end.id:
            edge.taken = origin in run.finished


def _child(
    graph: _Graph, parent: _Cluster, owner: _Node, label: str, definition: Mapping[str, Any], run: Trace | None
) -> None:
    inner = _Cluster(graph.new_id("cluster"), label)
    parent.clusters.append(inner)
    _scope(graph, inner, definition, run)
    taken = run is not None and owner.name in run.entered
    graph.edges.append(_Edge(owner.id, inner.nodes[0].id, faint=True, taken=taken))


def transitions(state: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Each (target, label) a state's definition can go to: Next, each Choice rule, Default."""
    if isinstance(state.get("Next"), str):
        yield state["Next"], ""
    for rule in state.get("Choices") or ():
        if isinstance(rule, Mapping) and isinstance(rule.get("Next"), str):
            yield rule["Next"], rule_text(rule)
    if isinstance(state.get("Default"), str):
        yield state["Default"], "Default"


def _label(node: _Node, run: Trace | None) -> str:
    count = run.entered.get(node.name, 0) if run is not None else 0
    suffix = f" ×{count}" if count > 1 else ""
    return f"{node.name}\n{node.kind}{suffix}"


def _status(node: _Node, run: Trace | None) -> str:
    if run is None or node.kind in ("start", "end"):
        return ""
    if node.name in run.failed:
        return "failed"
    return "visited" if node.name in run.entered else ""


# -- Mermaid --------------------------------------------------------------------------------------


def mermaid(machine: StateMachine, run: Trace | None = None) -> str:
    """The machine as a Mermaid flowchart (text); `run` colours one execution's path."""
    graph = _build(machine.to_dict(), run)
    lines = ["flowchart TD"]
    classes: dict[str, list[str]] = {"visited": [], "failed": []}

    def emit(cluster: _Cluster, depth: int) -> None:
        pad = "    " * depth
        for node in cluster.nodes:
            lines.append(pad + _mermaid_node(node, run))
            status = _status(node, run)
            if status:
                classes[status].append(node.id)
        for inner in cluster.clusters:
            lines.append(f'{pad}subgraph {inner.id}["{_mermaid_text(inner.label)}"]')
            lines.append(f"{pad}    direction TB")
            emit(inner, depth + 1)
            lines.append(f"{pad}end")

    emit(graph.root, 1)
    taken: list[str] = []
    for index, edge in enumerate(graph.edges):
        arrow = "-.->" if edge.dashed or edge.faint else "-->"
        label = f'|"{_mermaid_text(edge.label)}"|' if edge.label else ""
        lines.append(f"    {edge.source} {arrow}{label} {edge.target}")
        if edge.taken:
            taken.append(str(index))
    lines.append(f"    classDef visited fill:{_VISITED},stroke:{_PATH},stroke-width:2px")
    lines.append(f"    classDef failed fill:{_FAILED},stroke:#c62828,stroke-width:3px")
    lines.append("    classDef marker fill:#333,stroke:#333,color:#fff")
    for name, members in classes.items():
        if members:
            lines.append(f"    class {','.join(members)} {name}")
    if taken:
        lines.append(f"    linkStyle {','.join(taken)} stroke:{_PATH},stroke-width:3px")
    return "\n".join(lines) + "\n"


def _mermaid_node(node: _Node, run: Trace | None) -> str:
    if node.kind == "start":
        return f"{node.id}(((start))):::marker"
    if node.kind == "end":
        return f"{node.id}(((end))):::marker"
    text = _mermaid_text(_label(node, run)).replace("\n", "<br/>")
    opening, closing = {
        "Choice": ("{", "}"),
        "Succeed": ("([", "])"),
        "Fail": ("([", "])"),
        "Wait": ("{{", "}}"),
        "Parallel": ("[[", "]]"),
        "Map": ("[[", "]]"),
    }.get(node.kind, ("[", "]"))
    return f'{node.id}{opening}"{text}"{closing}'


def _mermaid_text(text: str) -> str:
    # Mermaid reads `#name;` as an HTML entity; quotes and angle brackets would end or open markup.
    return (
        text.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;").replace("|", "#124;")
    )


# -- Graphviz DOT ---------------------------------------------------------------------------------


def dot(machine: StateMachine, run: Trace | None = None) -> str:
    """The machine as a Graphviz DOT digraph (text); `run` colours one execution's path."""
    graph = _build(machine.to_dict(), run)
    lines = [
        "digraph StateMachine {",
        '    graph [rankdir=TB, fontname="Helvetica", fontsize=11, compound=true];',
        '    node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica", fontsize=11];',
        '    edge [fontname="Helvetica", fontsize=10];',
    ]

    def emit(cluster: _Cluster, depth: int) -> None:
        pad = "    " * depth
        for node in cluster.nodes:
            lines.append(pad + _dot_node(node, run))
        for inner in cluster.clusters:
            lines.append(f"{pad}subgraph {inner.id} {{")
            lines.append(f'{pad}    label={_dot_text(inner.label)}; style="rounded,dashed"; color="#888888";')
            emit(inner, depth + 1)
            lines.append(f"{pad}}}")

    emit(graph.root, 1)
    for edge in graph.edges:
        attributes: list[str] = []
        if edge.label:
            attributes.append(f"label={_dot_text(edge.label)}")
        if edge.dashed:
            attributes.append('style=dashed, color="#c62828", fontcolor="#c62828"')
        elif edge.faint:
            attributes.append('style=dotted, arrowhead=none, color="#888888"')
        if edge.taken:
            attributes.append(f'color="{_PATH}", penwidth=2.5')
        suffix = f" [{', '.join(attributes)}]" if attributes else ""
        lines.append(f"    {edge.source} -> {edge.target}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_node(node: _Node, run: Trace | None) -> str:
    if node.kind == "start":
        return f'{node.id} [label="", shape=circle, width=0.2, style=filled, fillcolor="#333333"];'
    if node.kind == "end":
        return f'{node.id} [label="", shape=doublecircle, width=0.15, style=filled, fillcolor="#333333"];'
    attributes = [f"label={_dot_text(_label(node, run))}"]
    shape = _SHAPES.get(node.kind)
    if shape:
        attributes.append(f"shape={shape}")
    if node.kind in ("Parallel", "Map"):
        attributes.append("peripheries=2")
    status = _status(node, run)
    if status == "visited":
        attributes.append(f'fillcolor="{_VISITED}", color="{_PATH}", penwidth=2')
    elif status == "failed":
        attributes.append(f'fillcolor="{_FAILED}", color="#c62828", penwidth=3')
    return f"{node.id} [{', '.join(attributes)}];"


def _dot_text(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
