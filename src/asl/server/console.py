"""The web console of `asl serve`: its state machines, executions drawn live, and the actions a
person takes (start, stop, redrive, approve or reject a waiting task).

    GET  /                                the state machines: graph, executions newest first, start
    GET  /console/execution?arn=ARN       one execution: graph coloured per state, history, actions
    GET  /console/api/execution?arn=ARN   the same as JSON (what the page starts from)
    GET  /console/api/stream?arn=ARN&after=N   server-sent events: each change after event N
    POST /console/api/{start,stop,redrive,approve,reject}   the API action, answered as JSON
    GET  /console/static/NAME             the page's script and style, shipped in the package

Every page works with no network but this server: no CDN, and a Content-Security-Policy that
allows nothing else. Actions go through the same Step Functions actions (and request checks) as
the API, and need an `X-Asl-Console` header, which a page of another site cannot send.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from html import escape
from importlib import resources as package_files
from typing import Any, Final
from urllib.parse import quote

from ..context import JSON
from ..history import HistoryEvent
from . import layout
from .actions import Service
from .progress import EXECUTION_BADGES, Progress
from .protocol import ApiError, validate_request

__all__ = ["routes", "snapshot"]

ACTIONS: Final = {
    "start": "StartExecution",
    "stop": "StopExecution",
    "redrive": "RedriveExecution",
    "approve": "SendTaskSuccess",
    "reject": "SendTaskFailure",
}
LISTED: Final = 200  # executions listed per machine on the first page
DETAILS_CHARS: Final = 240  # of an event's details shown in its row of the history table
MAX_ACTION_BODY: Final = 2 * 1024 * 1024
POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_TYPES: Final = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


def routes(service: Service) -> list[Any]:
    """The console's Starlette routes, to mount before the API's catch-all route."""
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
    from starlette.routing import Route

    def html(text: str, status: int = 200) -> Response:
        return HTMLResponse(text, status, headers={"Content-Security-Policy": POLICY, "Cache-Control": "no-store"})

    async def machines_page(_request: Request) -> Response:
        return html(_machines_page(service))

    async def execution_page(request: Request) -> Response:
        arn = request.query_params.get("arn", "")
        try:
            data = await snapshot(service, arn)
        except ApiError as error:
            return html(_page("Not found", f'<h1>Not found</h1><p role="alert">{escape(error.message)}</p>'), 404)
        return html(_execution_page(service, data))

    async def execution_json(request: Request) -> Response:
        try:
            return JSONResponse(await snapshot(service, request.query_params.get("arn", "")))
        except ApiError as error:
            return JSONResponse({"error": error.name, "message": error.message}, 404)

    async def stream(request: Request) -> Response:
        arn = request.query_params.get("arn", "")
        after = request.query_params.get("after", "0")
        if service.registry.execution(arn) is None:
            return JSONResponse({"error": "ExecutionDoesNotExist", "message": arn}, 404)
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        body = _follow(service, arn, int(after) if after.isdigit() else 0)
        return StreamingResponse(body, media_type="text/event-stream", headers=headers)

    async def act(request: Request) -> Response:
        action = ACTIONS.get(request.path_params["action"])
        if action is None:
            return JSONResponse({"error": "UnknownAction", "message": "No such console action."}, 404)
        if request.headers.get("x-asl-console") != "1":
            return JSONResponse({"error": "Forbidden", "message": "Console actions come from the console."}, 403)
        raw = await request.body()
        try:
            if len(raw) > MAX_ACTION_BODY:
                raise ApiError("RequestEntityTooLarge", f"The request body is over {MAX_ACTION_BODY} bytes.", 413)
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                raise ApiError("SerializationException", "The request body is not valid JSON.") from None
            answer = await service.handle(action, validate_request(action, body))
        except ApiError as error:
            return JSONResponse({"error": error.name, "message": error.message}, error.status)
        return JSONResponse(answer)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        text = _assets().get(name)
        if text is None:
            return Response("not found", 404)
        return Response(text, media_type=_TYPES[name[name.rfind(".") :]], headers={"Cache-Control": "no-cache"})

    return [
        Route("/", machines_page, methods=["GET", "HEAD"]),
        Route("/console/execution", execution_page, methods=["GET", "HEAD"]),
        Route("/console/api/execution", execution_json, methods=["GET"]),
        Route("/console/api/stream", stream, methods=["GET"]),
        Route("/console/api/{action}", act, methods=["POST"]),
        Route("/console/static/{name}", static, methods=["GET", "HEAD"]),
    ]


# -- what a page shows ------------------------------------------------------------------------


def _events(service: Service, arn: str) -> Sequence[HistoryEvent]:
    running = service.running.get(arn)
    if running is not None:
        return running.history
    record = service.registry.execution(arn)
    return record.events if record is not None else ()


async def snapshot(service: Service, arn: str) -> dict[str, Any]:
    """An execution as its page starts from: its description, every state's progress, the
    event history's rows, the failing state and the task tokens waiting for an answer.

    Raises ApiError (InvalidArn, ExecutionDoesNotExist) as DescribeExecution does.
    """
    execution = await service.handle("DescribeExecution", {"executionArn": arn})
    events = list(_events(service, arn))
    progress = Progress()
    progress.add_all(events)
    machine = service.registry.machine(execution["stateMachineArn"])
    record = service.registry.execution(arn)
    return {
        "execution": execution,
        "machineName": machine.name if machine is not None else execution["stateMachineArn"].split(":")[6],
        "definition": record.definition if record is not None else "{}",
        "states": {name: state.to_dict() for name, state in progress.states.items()},
        "failing": progress.failing,
        "events": [_row(event, progress) for event in events],
        "waiting": _waiting(service, arn, events, progress),
        "children": _children(service, progress),
    }


def _row(event: HistoryEvent, progress: Progress) -> dict[str, JSON]:
    details = json.dumps(event.details, ensure_ascii=False, separators=(",", ":")) if event.details else ""
    if len(details) > DETAILS_CHARS:
        details = details[: DETAILS_CHARS - 1] + "…"
    return {
        "id": event.id,
        "type": event.type,
        "state": progress.owner(event.id),
        "time": event.timestamp,
        "details": details,
    }


def _waiting(service: Service, arn: str, events: Sequence[HistoryEvent], progress: Progress) -> list[dict[str, JSON]]:
    """The task tokens the execution waits on, each with the state that handed it out (found in
    the parameters of its TaskScheduled event, where `$$.Task.Token` put it)."""
    running = service.running.get(arn)
    tokens = running.task_tokens if running is not None else ()
    found: list[dict[str, JSON]] = []
    for token in tokens:
        state = None
        for event in reversed(events):
            if event.type == "TaskScheduled" and event.details and token in json.dumps(event.details):
                state = progress.owner(event.id)
                break
        found.append({"token": token, "state": state})
    return found


def _children(service: Service, progress: Progress) -> dict[str, list[dict[str, str]]]:
    """The executions each state started that this server knows, to link to."""
    linked: dict[str, list[dict[str, str]]] = {}
    for name, state in progress.states.items():
        for arn in state.children:
            record = service.registry.execution(arn)
            if record is not None:
                linked.setdefault(name, []).append({"arn": arn, "name": record.name, "status": record.status})
    return linked


async def _follow(service: Service, arn: str, after: int) -> AsyncIterator[str]:
    """Server-sent events: one `change` message per burst of new events (never one per
    poll: the execution's own event stream wakes it), then `end` with the final description."""
    progress = Progress()
    running = service.running.get(arn)
    if running is not None:
        batch: list[HistoryEvent] = []
        async for event in running.events():
            batch.append(event)
            if len(running.history) > event.id:
                continue  # more events are already recorded: send them together
            message = _change(service, arn, progress, batch, after)
            batch = []
            if message is not None:
                yield message
        if batch:
            message = _change(service, arn, progress, batch, after)
            if message is not None:
                yield message
    else:
        message = _change(service, arn, progress, list(_events(service, arn)), after)
        if message is not None:
            yield message
    data = await snapshot(service, arn)
    final = {"execution": data["execution"], "failing": data["failing"], "waiting": [], "children": data["children"]}
    yield f"event: end\ndata: {_json(final)}\n\n"


def _change(service: Service, arn: str, progress: Progress, batch: list[HistoryEvent], after: int) -> str | None:
    old = [event for event in batch if event.id <= after]
    new = [event for event in batch if event.id > after]
    progress.add_all(old)
    if not new:
        return None
    changed = progress.add_all(new)
    events = _events(service, arn)
    message = {
        "events": [_row(event, progress) for event in new],
        "states": {name: progress.states[name].to_dict() for name in changed},
        "status": progress.status,
        "failing": progress.failing,
        "waiting": _waiting(service, arn, events, progress),
        "children": _children(service, progress),
        "sent": time.time(),
    }
    return f"event: change\nid: {new[-1].id}\ndata: {_json(message)}\n\n"


# -- pages ------------------------------------------------------------------------------------


def _page(title: str, main: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · asl console</title>"
        '<link rel="stylesheet" href="/console/static/console.css"></head><body>'
        '<a class="skip" href="#main">Skip to content</a>'
        '<header class="top"><a href="/" class="brand">asl console</a>'
        '<span class="where">Step Functions on this machine</span></header>'
        f'<main id="main" tabindex="-1">{main}</main>'
        '<script src="/console/static/console.js"></script></body></html>'
    )


def _machines_page(service: Service) -> str:
    machines = service.registry.machines()
    if not machines:
        body = (
            "<h1>State machines</h1><p>No state machines yet. Create one with any AWS client pointed at this "
            "server (<code>aws stepfunctions create-state-machine --endpoint-url ...</code>), or start "
            "<code>asl serve --machines DIR</code>.</p>"
        )
        return _page("State machines", body)
    parts = ["<h1>State machines</h1>", '<nav aria-label="State machines"><ul class="machine-index">']
    for machine in machines:
        parts.append(f'<li><a href="#m-{escape(quote(machine.name))}">{escape(machine.name)}</a></li>')
    parts.append("</ul></nav>")
    for machine in machines:
        parts.append(_machine_section(service, machine))
    return _page("State machines", "".join(parts))


def _machine_section(service: Service, machine: Any) -> str:
    name = escape(machine.name)
    try:
        definition = json.loads(machine.definition)
    except ValueError:
        definition = {}
    executions = [] if machine.type == "EXPRESS" else service.registry.executions(machine.arn)
    rows = []
    for record in executions[:LISTED]:
        link = f"/console/execution?arn={quote(record.arn, safe='')}"
        rows.append(
            f'<tr><td><a href="{escape(link)}">{escape(record.name)}</a></td>'
            f"<td>{_badge(record.status)}</td><td>{_time(record.started)}</td>"
            f"<td>{_duration(record.started, record.stopped)}</td></tr>"
        )
    more = len(executions) - LISTED
    table = (
        f'<table class="executions"><caption>Executions of {name}, newest first</caption>'
        '<thead><tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Started</th>'
        '<th scope="col">Duration</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        + (f"<p>and {more} older executions (ListExecutions lists them all).</p>" if more > 0 else "")
        if rows
        else "<p>No executions yet.</p>"
        if machine.type != "EXPRESS"
        else "<p>Express executions are not recorded (as on AWS, where only CloudWatch Logs has them).</p>"
    )
    form_id = f"start-{escape(quote(machine.name))}"
    start = (
        f'<form class="start" data-machine="{escape(machine.arn)}" aria-labelledby="{form_id}-h">'
        f'<h3 id="{form_id}-h">Start an execution</h3>'
        f'<label for="{form_id}-name">Name (optional)</label>'
        f'<input id="{form_id}-name" name="name" autocomplete="off">'
        f'<label for="{form_id}-input">Input (JSON)</label>'
        f'<textarea id="{form_id}-input" name="input" class="json" rows="5" spellcheck="false">{{}}</textarea>'
        '<p class="json-error" role="alert"></p>'
        '<button type="submit">Start execution</button></form>'
    )
    return (
        f'<section class="machine" id="m-{escape(quote(machine.name))}" aria-labelledby="h-{name}">'
        f'<h2 id="h-{name}">{name} <span class="kind">{escape(machine.type)}</span></h2>'
        f'<div class="machine-body"><div class="graph-wrap">{layout.svg(definition)}</div>'
        f"<div>{start}</div></div>{table}</section>"
    )


def _execution_page(service: Service, data: dict[str, Any]) -> str:
    execution = data["execution"]
    status = execution["status"]
    try:
        definition = json.loads(data["definition"])
    except ValueError:
        definition = {}
    progress = Progress()
    progress.add_all(_events(service, execution["executionArn"]))
    machine_link = f"/#m-{quote(data['machineName'])}"
    stopped = execution.get("stopDate")
    summary = (
        f'<h1>Execution <span class="name">{escape(execution["name"])}</span></h1>'
        f'<p>of <a href="{escape(machine_link)}">{escape(data["machineName"])}</a></p>'
        '<dl class="summary">'
        f'<div><dt>Status</dt><dd id="exec-status">{_badge(status)}</dd></div>'
        f"<div><dt>Started</dt><dd>{_time(execution['startDate'])}</dd></div>"
        f'<div><dt>Stopped</dt><dd id="exec-stopped">{_time(stopped) if stopped else "—"}</dd></div>'
        f'<div><dt>Duration</dt><dd id="exec-duration">{_duration(execution["startDate"], stopped)}</dd></div>'
        f'<div class="arn"><dt>ARN</dt><dd><code>{escape(execution["executionArn"])}</code></dd></div>'
        "</dl>"
        '<div class="actions"><button type="button" id="stop">Stop execution</button>'
        '<button type="button" id="redrive">Redrive</button>'
        '<p id="action-message" role="status" aria-live="polite"></p></div>'
    )
    waiting = (
        '<section id="waiting" aria-labelledby="waiting-h" hidden><h2 id="waiting-h">Waiting for an answer</h2>'
        '<div id="waiting-list"></div></section>'
    )
    graph = (
        '<div class="execution-body">'
        f'<div class="graph-wrap" id="graph">{layout.svg(definition, progress)}</div>'
        '<aside id="details" aria-labelledby="details-h" tabindex="-1">'
        '<h2 id="details-h">State</h2><p id="details-hint">Choose a state in the graph '
        "(Tab to it, then Enter) to see its input, output, variables and error.</p>"
        '<dl id="details-body" hidden></dl></aside></div>'
    )
    history = (
        '<section aria-labelledby="history-h"><h2 id="history-h">Event history</h2>'
        '<div class="filters"><label>State <select id="filter-state"><option value="">every state</option>'
        "</select></label>"
        '<label>Type <select id="filter-type"><option value="">every type</option></select></label>'
        '<label>Text <input id="filter-text" type="search" autocomplete="off"></label>'
        '<span id="history-count" role="status"></span></div>'
        '<table id="history"><thead><tr><th scope="col">ID</th><th scope="col">Type</th>'
        '<th scope="col">State</th><th scope="col">Time</th><th scope="col">Details</th></tr></thead>'
        "<tbody></tbody></table></section>"
    )
    embedded = f'<script type="application/json" id="snapshot">{_json(data)}</script>'
    return _page(f"Execution {execution['name']}", summary + waiting + graph + history + embedded)


def _badge(status: str) -> str:
    icon, words = EXECUTION_BADGES.get(status, ("?", status))
    return f'<span class="badge {escape(status.lower())}"><span aria-hidden="true">{icon}</span> {escape(words)}</span>'


def _time(epoch: float | None) -> str:
    if epoch is None:
        return "—"
    text = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch))
    return f'<time datetime="{text}Z">{text}.{int(epoch * 1000) % 1000:03d} UTC</time>'


def _duration(started: float, stopped: float | None) -> str:
    if stopped is None:
        return "running"
    seconds = max(0.0, stopped - started)
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"


def _json(value: Any) -> str:
    # `<` escaped so that no text inside can close the <script> element that carries it.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


_ASSETS: dict[str, str] = {}


def _assets() -> Mapping[str, str]:
    """The page's script and style, read once from the package (so a wheel carries them)."""
    if not _ASSETS:
        folder = package_files.files(__package__ or "asl.server").joinpath("static")
        for item in folder.iterdir():
            if item.name[item.name.rfind(".") :] in _TYPES:
                _ASSETS[item.name] = item.read_text(encoding="utf-8")
    return _ASSETS
