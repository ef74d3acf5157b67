"""`asl serve`: the AWS Step Functions API on localhost, for boto3, the AWS CLI and every AWS SDK.

app = asl.server.create_app(asl.server.Service(resources={...}))   # an ASGI (Starlette) app
asl.server.serve(service, host="127.0.0.1", port=8083)             # runs it on uvicorn until stopped

Requests speak AWS's JSON 1.0 protocol (`POST /`, `X-Amz-Target: AWSStepFunctions.Action`) and
are checked against the service model botocore ships. Starlette and uvicorn come with the
`serve` extra.
"""

from __future__ import annotations

import contextlib
import gc
import ipaddress
import json
import signal
import socket
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import IO, Any, Final

import anyio

from .actions import Service
from .protocol import CONTENT_TYPES, TARGET_PREFIX, ApiError, validate_request
from .registry import MemoryRegistry, Registry

__all__ = ["MemoryRegistry", "Registry", "Service", "create_app", "serve"]

MAX_BODY: Final = 2 * 1024 * 1024  # a definition may be 1 MiB of characters; JSON escapes add some
BODY_SECONDS: Final = 30.0  # a client that has not sent its whole body by then is cut off


def create_app(
    service: Service,
    *,
    routes: Sequence[Any] = (),
    max_body: int = MAX_BODY,
    body_seconds: float = BODY_SECONDS,
) -> Any:
    """The ASGI application answering the Step Functions API with `service`.

    `routes` (Starlette routes) come before the API's: a GET page at `/` can live beside the
    API, which is POST. Routes reach the service as `request.app.state.service`.
    """
    from starlette.applications import Starlette
    from starlette.requests import ClientDisconnect, Request
    from starlette.responses import Response
    from starlette.routing import Route

    def answer(body: dict[str, Any], status: int = 200, *, close: bool = False) -> Response:
        headers = {"x-amzn-RequestId": str(uuid.uuid4())}
        if close:
            headers["Connection"] = "close"
        text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
        return Response(text, status, headers, media_type="application/x-amz-json-1.0")

    async def read(request: Request) -> bytes:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > max_body):
            raise ApiError("RequestEntityTooLarge", f"The request body is over {max_body} bytes.", 413)
        chunks, size = [], 0
        with anyio.move_on_after(body_seconds) as scope:
            async for chunk in request.stream():
                size += len(chunk)
                if size > max_body:
                    raise ApiError("RequestEntityTooLarge", f"The request body is over {max_body} bytes.", 413)
                chunks.append(chunk)
        if scope.cancelled_caught:
            raise ApiError("RequestTimeout", f"The request body did not arrive within {body_seconds:g} seconds.", 408)
        return b"".join(chunks)

    async def endpoint(request: Request) -> Response:
        try:
            if request.method != "POST":
                raise ApiError("UnknownOperationException", "Step Functions answers POST requests only.", 404)
            target = request.headers.get("x-amz-target", "")
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type not in CONTENT_TYPES:
                raise ApiError("UnknownOperationException", f"Unsupported content type: {content_type!r}", 404)
            if not target.startswith(TARGET_PREFIX):
                raise ApiError("UnknownOperationException", f"Unknown operation: {target!r}", 404)
            action = target[len(TARGET_PREFIX) :]
            raw = await read(request)
            try:
                body = json.loads(raw) if raw.strip() else {}
            except (ValueError, UnicodeDecodeError):
                raise ApiError("SerializationException", "The request body is not valid JSON.") from None
            checked = validate_request(action, body)
            return answer(await service.handle(action, checked))
        except ApiError as error:
            if error.name == "UnknownOperationException":
                error.status = 404
            return answer(error.body(), error.status, close=error.status in (408, 413))
        except ClientDisconnect:
            return Response(status_code=400)
        except Exception as error:  # a bug of ours: one AWS-shaped 500, never a traceback to the client
            print(f"asl serve: internal error: {type(error).__name__}: {error}", file=sys.stderr)
            return answer({"__type": "InternalFailure", "message": f"{type(error).__name__}: {error}"}, 500)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        async with service.running_in():
            yield

    from .console import routes as console_routes  # the web console (GET /, /console/...), issue 22

    # The API answers every path and method that no route before it takes: POST / as AWS's
    # JSON protocol, anything else with AWS's UnknownOperationException.
    api = Route("/{path:path}", endpoint, methods=["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"])
    app = Starlette(routes=[*routes, *console_routes(service), api], lifespan=lifespan)
    app.state.service = service
    return app


def is_loopback(host: str) -> bool:
    """Whether `host` is a loopback address or name (the only safe place for this server)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    service: Service,
    *,
    host: str = "127.0.0.1",
    port: int = 8083,
    stderr: IO[str] | None = None,
    ready: Callable[[str, int], None] | None = None,
    routes: Sequence[Any] = (),
) -> None:
    """Serve the API until Ctrl-C or SIGTERM; prints `listening on http://HOST:PORT` on stderr
    once it accepts requests (port 0 picks a free port). Raises OSError when it cannot bind."""
    import uvicorn

    err = stderr or sys.stderr
    if not is_loopback(host):
        err.write(
            f"asl serve: warning: binding {host}, not loopback: anyone who can reach this address can start "
            "executions, which run the code --resources gave\n"
        )
        err.flush()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and
    # without it each response waits ~40 ms for the client's delayed ACK between its two writes.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    bound = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(service, routes=routes),
        log_level="warning",
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
        timeout_keep_alive=30,
    )
    server = uvicorn.Server(config)

    # A server keeps every execution it ran: with the collector's default thresholds, its full
    # collections walk all of them ever more often, and are most of StartExecution's p99 latency
    # under load (measured: p99 45-83 ms, 17-21 ms with these). What was loaded at start is
    # frozen out of the collections altogether.
    gc.set_threshold(20_000, 50, 1_000)

    async def main() -> None:
        async def announce() -> None:
            while not server.started:
                await anyio.sleep(0.01)
            gc.freeze()
            shown = f"[{host}]" if ":" in host else host
            err.write(f"listening on http://{shown}:{bound}\n")
            err.flush()
            if ready is not None:
                ready(host, bound)

        async with anyio.create_task_group() as tg:
            tg.start_soon(announce)
            await server.serve(sockets=[sock])
            tg.cancel_scope.cancel()

    # uvicorn stops gracefully on SIGINT and SIGTERM, then raises the signal again with the
    # handlers it found: these no-ops make that a clean return instead of a KeyboardInterrupt.
    main_thread = threading.current_thread() is threading.main_thread()
    numbers = (signal.SIGINT, signal.SIGTERM) if main_thread else ()
    previous = {number: signal.signal(number, _ignore) for number in numbers}
    try:
        anyio.run(main)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        sock.close()
    err.write("asl serve: stopped\n")
    err.flush()


def _ignore(_number: int, _frame: Any) -> None:
    pass
