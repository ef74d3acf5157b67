"""asl.http_task: the HTTP Task against an HTTP server the tests start on loopback (and moto for connections)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

import asl
from asl.http_task import form_encode
from aws_server import aws, free_port, moto_url  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("moto_url")
RESOURCE = "arn:aws:states:::http:invoke"


class Recorder(BaseHTTPRequestHandler):
    """Answers every request with what it received; /missing answers 404."""

    seen: list[dict[str, Any]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        url = urlsplit(self.path)
        record = {
            "method": self.command,
            "path": url.path,
            "query": parse_qs(url.query),
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body,
        }
        Recorder.seen.append(record)
        status = 404 if url.path == "/missing" else 200
        if url.path == "/text":
            payload, kind = b"plain words", "text/plain"
        else:
            payload, kind = json.dumps({"path": url.path, "ok": status == 200}).encode(), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        return None


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


@pytest.fixture(autouse=True)
def fresh() -> None:
    Recorder.seen.clear()


def run(parameters: dict[str, Any], **fields: Any) -> asl.Execution:
    state = {"Type": "Task", "Resource": RESOURCE, "Parameters": parameters, "End": True, **fields}
    definition = {"StartAt": "Call", "States": {"Call": state}}
    return asl.run(asl.parse(definition), {}, aws=True, clock=asl.VirtualClock(0))


def test_get_with_query_and_headers(server: str) -> None:
    execution = run(
        {"ApiEndpoint": f"{server}/items", "Method": "GET", "QueryParameters": {"q": "a b"}, "Headers": {"X-Id": 7}}
    )
    assert execution.status == "SUCCEEDED", execution.cause
    output = execution.output
    assert output["StatusCode"] == 200 and output["StatusText"] == "OK"
    assert output["ResponseBody"] == {"path": "/items", "ok": True}
    assert output["Headers"]["content-type"] == ["application/json"]
    (request,) = Recorder.seen
    assert request["query"] == {"q": ["a b"]}
    assert request["headers"]["x-id"] == "7"
    assert request["headers"]["user-agent"] == "Amazon|StepFunctions|HttpInvoke|us-east-1"
    assert request["headers"]["range"] == "bytes=0-262144"


def test_a_text_answer_is_a_string(server: str) -> None:
    assert run({"ApiEndpoint": f"{server}/text", "Method": "GET"}).output["ResponseBody"] == "plain words"


def test_post_sends_the_body_as_json(server: str) -> None:
    run({"ApiEndpoint": f"{server}/orders", "Method": "POST", "RequestBody": {"id": 1, "tags": ["a"]}})
    (request,) = Recorder.seen
    assert json.loads(request["body"]) == {"id": 1, "tags": ["a"]}
    assert request["headers"]["content-type"] == "application/json"


def test_url_encoded_body(server: str) -> None:
    run(
        {
            "ApiEndpoint": f"{server}/form",
            "Method": "POST",
            "RequestBody": {"name": "a b", "list": ["x", "y"]},
            "Transform": {"RequestBodyEncoding": "URL_ENCODED", "RequestEncodingOptions": {"ArrayFormat": "BRACKETS"}},
        }
    )
    (request,) = Recorder.seen
    assert request["body"] == "name=a%20b&list[]=x&list[]=y"
    assert request["headers"]["content-type"] == "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("array_format", "expected"),
    [
        ("BRACKETS", "a[]=1&a[]=2"),
        ("COMMAS", "a=1%2C2"),
        ("INDICES", "a[0]=1&a[1]=2"),
        ("REPEAT", "a=1&a=2"),
    ],
)
def test_array_formats(array_format: str, expected: str) -> None:
    assert form_encode({"a": [1, 2]}, array_format) == expected


def test_a_status_outside_2xx_is_an_http_error(server: str) -> None:
    execution = run(
        {"ApiEndpoint": f"{server}/missing", "Method": "GET"},
        Retry=[{"ErrorEquals": ["States.Http.StatusCode.404"], "MaxAttempts": 1}],
    )
    assert execution.error == "States.Http.StatusCode.404"
    assert json.loads(execution.cause)["StatusText"] == "Not Found"
    assert len(Recorder.seen) == 2  # retried once


def test_an_unreachable_server_is_a_socket_error() -> None:
    execution = run({"ApiEndpoint": f"http://127.0.0.1:{free_port()}/", "Method": "GET"})
    assert execution.error == "States.Http.Socket"


def test_an_eventbridge_connection_authorizes_the_request(server: str, aws: Any) -> None:
    arn = aws("events").create_connection(
        Name="api",
        AuthorizationType="BASIC",
        AuthParameters={
            "BasicAuthParameters": {"Username": "user", "Password": "pass"},
            "InvocationHttpParameters": {"HeaderParameters": [{"Key": "X-Tenant", "Value": "t1"}]},
        },
    )["ConnectionArn"]
    run({"ApiEndpoint": f"{server}/secure", "Method": "GET", "Authentication": {"ConnectionArn": arn}})
    (request,) = Recorder.seen
    assert request["headers"]["authorization"] == "Basic dXNlcjpwYXNz"
    assert request["headers"]["x-tenant"] == "t1"
