"""The console's picture of a state machine: a layered layout, drawn as SVG on the server.

    svg = layout.svg(definition, progress)   # definition: the machine's JSON; progress optional

Why on the server, not in the page: the layout is then one piece of Python, tested with the
rest of asl, and it needs no JavaScript graph library (which the page would have to ship, since
it must never reach a CDN). The page receives finished SVG; live updates change only each
state's class and status text, never positions, so nothing is laid out twice. `graph.dot` would
lay out better, but Graphviz is an external program a `pip install` does not bring.

Each scope (the machine, a Parallel branch, a Map's item processor) is laid out alone: states
in layers by their distance from StartAt (loops go back up, drawn at the side), each layer
centred. A Parallel or Map is a box holding its branches side by side, so nesting is drawn as
nesting. Every state is a focusable `<g class="state" data-state=NAME>` holding its name, its
type and its status in words, so the status never rests on colour alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any, Final

from ..diagram import transitions
from .progress import ICONS, STATUS_TEXT, Progress

__all__ = ["svg"]

WIDTH: Final = 180  # a simple state's box
HEIGHT: Final = 58
GAP_Y: Final = 46  # between layers
GAP_X: Final = 26  # between states of a layer, and between branches
PAD: Final = 14  # inside a Parallel's or Map's box
HEADER: Final = 58  # a Parallel's or Map's own name, type and status
MARGIN: Final = 24


@dataclass(slots=True)
class _Box:
    """A state (or a whole scope) placed at (x, y) inside its parent, with its size."""

    name: str
    kind: str
    width: float
    height: float
    x: float = 0.0
    y: float = 0.0
    layer: int = 0
    scopes: list[_Scope] = field(default_factory=list)  # a Parallel's branches, a Map's processor


@dataclass(slots=True)
class _Edge:
    source: str
    target: str
    label: str = ""
    catch: bool = False


@dataclass(slots=True)
class _Scope:
    label: str
    boxes: dict[str, _Box]
    edges: list[_Edge]
    start_at: str
    ends: list[str]
    width: float = 0.0
    height: float = 0.0
    x: float = 0.0
    y: float = 0.0


def svg(definition: Mapping[str, Any], progress: Progress | None = None) -> str:
    """The machine as an SVG drawing; with `progress`, each state shows its status."""
    scope = _scope(definition, "")
    width, height = scope.width + 2 * MARGIN, scope.height + 2 * MARGIN
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="group" aria-label="state machine graph">',
        "<defs>"
        '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>',
    ]
    parts.extend(_draw(scope, MARGIN, MARGIN, progress))
    parts.append("</svg>")
    return "".join(parts)


# -- layout -----------------------------------------------------------------------------------


def _scope(definition: Mapping[str, Any], label: str) -> _Scope:
    states = definition.get("States")
    states = states if isinstance(states, Mapping) else {}
    boxes: dict[str, _Box] = {}
    edges: list[_Edge] = []
    ends: list[str] = []
    for name, state in states.items():
        state = state if isinstance(state, Mapping) else {}
        kind = str(state.get("Type", "?"))
        boxes[name] = _state_box(str(name), kind, state)
        for target, text in transitions(state):
            if target in states:
                edges.append(_Edge(str(name), target, text))
        for catcher in state.get("Catch") or ():
            if isinstance(catcher, Mapping) and catcher.get("Next") in states:
                errors = ", ".join(str(e) for e in catcher.get("ErrorEquals") or ())
                edges.append(_Edge(str(name), str(catcher["Next"]), errors, catch=True))
        if state.get("End") is True or kind in ("Succeed", "Fail"):
            ends.append(str(name))
    start_at = str(definition.get("StartAt", ""))
    scope = _Scope(label, boxes, edges, start_at, ends)
    _place(scope)
    return scope


def _state_box(name: str, kind: str, state: Mapping[str, Any]) -> _Box:
    scopes: list[_Scope] = []
    if kind == "Parallel":
        for index, branch in enumerate(state.get("Branches") or (), start=1):
            if isinstance(branch, Mapping):
                scopes.append(_scope(branch, f"branch {index}"))
    elif kind == "Map":
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if isinstance(processor, Mapping):
            mode = (processor.get("ProcessorConfig") or {}).get("Mode", "INLINE")
            scopes.append(_scope(processor, f"each item ({str(mode).lower()})"))
    if not scopes:
        return _Box(name, kind, WIDTH, HEIGHT)
    inner_width = sum(s.width for s in scopes) + GAP_X * (len(scopes) - 1)
    width = max(WIDTH, inner_width + 2 * PAD)
    x = (width - inner_width) / 2
    for inner in scopes:
        inner.x, inner.y = x, HEADER + 18
        x += inner.width + GAP_X
    height = HEADER + 18 + max(s.height for s in scopes) + PAD
    return _Box(name, kind, width, height, scopes=scopes)


def _place(scope: _Scope) -> None:
    """Layers by breadth-first distance from StartAt; unreachable states go last."""
    successors: dict[str, list[str]] = {name: [] for name in scope.boxes}
    for edge in scope.edges:
        successors[edge.source].append(edge.target)
    layer: dict[str, int] = {}
    queue = [scope.start_at] if scope.start_at in scope.boxes else []
    if queue:
        layer[scope.start_at] = 0
    for name in queue:
        for target in successors[name]:
            if target not in layer:
                layer[target] = layer[name] + 1
                queue.append(target)
    last = max(layer.values(), default=-1)
    for name in scope.boxes:
        if name not in layer:
            last += 1
            layer[name] = last
    rows: dict[int, list[_Box]] = {}
    for name, box in scope.boxes.items():
        box.layer = layer[name]
        rows.setdefault(box.layer, []).append(box)
    widths = {index: sum(b.width for b in row) + GAP_X * (len(row) - 1) for index, row in rows.items()}
    scope.width = max([WIDTH, *widths.values()]) + 2 * GAP_X  # room for loops drawn at the side
    y = 30.0 if scope.label else 26.0  # the start marker (and a branch's label) above
    for index in sorted(rows):
        row = rows[index]
        x = (scope.width - widths[index]) / 2
        for box in row:
            box.x, box.y = x, y
            x += box.width + GAP_X
        y += max(b.height for b in row) + GAP_Y
    scope.height = y - GAP_Y + (34 if scope.ends else 8)


# -- drawing ----------------------------------------------------------------------------------


def _draw(scope: _Scope, ox: float, oy: float, progress: Progress | None) -> Iterator[str]:
    if scope.label:
        yield (
            f'<rect class="scope" x="{ox:.0f}" y="{oy:.0f}" width="{scope.width:.0f}" height="{scope.height:.0f}" '
            'rx="6"/>'
        )
        yield f'<text class="scope-label" x="{ox + 8:.0f}" y="{oy + 15:.0f}">{escape(scope.label)}</text>'
    centre = ox + scope.width / 2
    first = scope.boxes.get(scope.start_at)
    if first is not None:
        yield f'<circle class="marker" cx="{centre:.0f}" cy="{oy + 10:.0f}" r="5"><title>start</title></circle>'
        yield _line(centre, oy + 15, ox + first.x + first.width / 2, oy + first.y)
    for edge in scope.edges:
        yield from _edge(scope, edge, ox, oy)
    if scope.ends:
        end_y = oy + scope.height - 12
        yield f'<circle class="marker end" cx="{centre:.0f}" cy="{end_y:.0f}" r="6"><title>end</title></circle>'
        for name in scope.ends:
            box = scope.boxes[name]
            yield _line(ox + box.x + box.width / 2, oy + box.y + box.height, centre, end_y - 7)
    for box in scope.boxes.values():
        yield from _node(box, ox + box.x, oy + box.y, progress)


def _edge(scope: _Scope, edge: _Edge, ox: float, oy: float) -> Iterator[str]:
    source, target = scope.boxes[edge.source], scope.boxes[edge.target]
    dashed = " catch" if edge.catch else ""
    if target.layer > source.layer:
        x1, y1 = ox + source.x + source.width / 2, oy + source.y + source.height
        x2, y2 = ox + target.x + target.width / 2, oy + target.y
        yield _line(x1, y1, x2, y2, dashed)
        label_x, label_y = (x1 + x2) / 2, (y1 + y2) / 2
    else:  # a loop (or a jump within a layer): around the right side of the scope
        x1, y1 = ox + source.x + source.width, oy + source.y + source.height / 2
        x2, y2 = ox + target.x + target.width, oy + target.y + target.height / 2
        side = ox + scope.width - 6
        yield (
            f'<path class="edge{dashed}" d="M{x1:.0f},{y1:.0f} C{side:.0f},{y1:.0f} {side:.0f},{y2:.0f} '
            f'{x2:.0f},{y2:.0f}" marker-end="url(#arrow)"/>'
        )
        label_x, label_y = side - 4, (y1 + y2) / 2
    if edge.label:
        short = edge.label if len(edge.label) <= 28 else edge.label[:27] + "…"
        yield (
            f'<text class="edge-label" x="{label_x:.0f}" y="{label_y:.0f}">{escape(short)}'
            f"<title>{escape(edge.label)}</title></text>"
        )


def _line(x1: float, y1: float, x2: float, y2: float, extra: str = "") -> str:
    return f'<path class="edge{extra}" d="M{x1:.0f},{y1:.0f} L{x2:.0f},{y2:.0f}" marker-end="url(#arrow)"/>'


def _node(box: _Box, x: float, y: float, progress: Progress | None) -> Iterator[str]:
    state = progress.states.get(box.name) if progress is not None else None
    status = state.status if state is not None else "not-entered"
    text = state.text if state is not None else STATUS_TEXT["not-entered"]
    name = escape(box.name)
    shown = name if len(box.name) <= 24 else escape(box.name[:23]) + "…"
    label = escape(f"{box.name}, {box.kind}: {text}")
    yield (
        f'<g class="state {status}" data-state="{name}" data-type="{escape(box.kind)}" tabindex="0" '
        f'role="button" aria-label="{label}">'
        f'<rect class="box {escape(box.kind.lower())}" x="{x:.0f}" y="{y:.0f}" width="{box.width:.0f}" '
        f'height="{box.height:.0f}" rx="{_corner(box.kind)}"/>'
        f'<text class="name" x="{x + 10:.0f}" y="{y + 18:.0f}">{shown}<title>{name}</title></text>'
        f'<text class="type" x="{x + box.width - 8:.0f}" y="{y + 18:.0f}">{escape(box.kind)}</text>'
        f'<text class="status" x="{x + 10:.0f}" y="{y + 42:.0f}"><tspan class="icon">{ICONS[status]}</tspan> '
        f'<tspan class="words">{escape(text)}</tspan></text></g>'
    )
    # Branches are drawn after the box is closed, so no state's group holds another's.
    for inner in box.scopes:
        yield from _draw(inner, x + inner.x, y + inner.y, progress)


def _corner(kind: str) -> int:
    return {"Choice": 2, "Succeed": 24, "Fail": 24, "Wait": 14}.get(kind, 6)
