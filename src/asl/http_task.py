"""The HTTP Task (`arn:aws:states:::http:invoke`) through httpx, with Step Functions' request and response.

The request: `ApiEndpoint` with `QueryParameters`, `Method`, `Headers`, `RequestBody` (JSON,
or form-encoded by `Transform`), and what the EventBridge connection named in
`Authentication.ConnectionArn` adds (its authorization and invocation parameters, read from
EventBridge and Secrets Manager through boto3). The result: `Headers`, `ResponseBody`,
`StatusCode`, `StatusText`. A status outside 2xx fails the Task with
`States.Http.StatusCode.NNN`; an unreachable server with `States.Http.Socket`.
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import quote

from .context import JSON
from .errors import TaskFailed

__all__ = ["HttpInvoke", "form_encode"]

RESOURCE: Final = "arn:aws:states:::http:invoke"
METHODS: Final = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"})
# Step Functions waits 60 seconds for an HTTP answer.
TIMEOUT_SECONDS: Final = 60.0
# Step Functions asks for no more than the payload quota of the response body.
RANGE: Final = "bytes=0-262144"


def _text(value: JSON) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, separators=(",", ":"))


def form_encode(body: JSON, array_format: str = "INDICES") -> str:
    """A request body URL-encoded as Step Functions encodes it (`ArrayFormat`: BRACKETS, COMMAS, INDICES, REPEAT)."""
    pairs: list[tuple[str, str]] = []

    def add(key: str, value: JSON) -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                add(f"{key}[{name}]", item)
        elif isinstance(value, list):
            if array_format == "COMMAS":
                pairs.append((key, ",".join(_text(item) for item in value)))
            for index, item in enumerate(value):
                if array_format == "BRACKETS":
                    add(f"{key}[]", item)
                elif array_format == "REPEAT":
                    add(key, item)
                elif array_format != "COMMAS":
                    add(f"{key}[{index}]", item)
        elif value is not None:
            pairs.append((key, _text(value)))

    if isinstance(body, dict):
        for key, value in body.items():
            add(key, value)
    return "&".join(f"{quote(key, safe='[]')}={quote(value, safe='')}" for key, value in pairs)


_CLIENT: Any = None
_CLIENT_LOCK = threading.Lock()


def _client() -> Any:
    """One httpx client for every HTTP Task: connections are pooled and kept alive."""
    global _CLIENT
    with _CLIENT_LOCK:
        if _CLIENT is None:
            try:
                import httpx
            except ImportError:  # pragma: no cover - the extra is missing
                raise TaskFailed(
                    "States.Runtime",
                    "the HTTP Task needs httpx: install the 'http' extra (pip install 'asl-local[http]')",
                ) from None
            _CLIENT = httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)
        return _CLIENT


class HttpInvoke:
    """`arn:aws:states:::http:invoke`: one HTTP request, its answer in Step Functions' shape."""

    __name__ = "http:invoke"

    def __init__(self, services: Any) -> None:
        self.services = services

    def __call__(self, payload: JSON) -> JSON:
        parameters = payload if isinstance(payload, dict) else {}
        endpoint = parameters.get("ApiEndpoint")
        method = str(parameters.get("Method", "")).upper()
        if not isinstance(endpoint, str) or not endpoint:
            raise TaskFailed("States.Runtime", "The HTTP Task needs an ApiEndpoint.")
        if method not in METHODS:
            raise TaskFailed("States.Runtime", f"The HTTP Task's Method must be one of {', '.join(sorted(METHODS))}.")
        headers: dict[str, str] = {}
        query: dict[str, str] = {}
        body_fields: dict[str, JSON] = {}
        authentication = parameters.get("Authentication")
        if isinstance(authentication, dict) and isinstance(authentication.get("ConnectionArn"), str):
            self._connection(str(authentication["ConnectionArn"]), headers, query, body_fields)
        given = parameters.get("Headers")
        if isinstance(given, dict):
            headers.update({str(k): _text(v) for k, v in given.items()})
        given_query = parameters.get("QueryParameters")
        if isinstance(given_query, dict):
            query.update({str(k): _text(v) for k, v in given_query.items()})
        headers.setdefault("Range", RANGE)
        headers["User-Agent"] = f"Amazon|StepFunctions|HttpInvoke|{self.services.region}"
        content: bytes | None = None
        if "RequestBody" in parameters or body_fields:
            body = parameters.get("RequestBody")
            if body_fields and isinstance(body, dict | type(None)):
                body = {**body_fields, **(body or {})}  # the connection's body parameters come first
            transform = parameters.get("Transform")
            encoding = transform.get("RequestBodyEncoding", "NONE") if isinstance(transform, dict) else "NONE"
            if encoding == "URL_ENCODED":
                options = transform.get("RequestEncodingOptions") if isinstance(transform, dict) else None
                array_format = options.get("ArrayFormat", "INDICES") if isinstance(options, dict) else "INDICES"
                content = form_encode(body, str(array_format)).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                content = _text(body).encode()
                if not any(key.lower() == "content-type" for key in headers):
                    headers["Content-Type"] = "application/json"
        return self._send(method, endpoint, headers, query, content)

    def _send(
        self, method: str, url: str, headers: dict[str, str], query: dict[str, str], content: bytes | None
    ) -> JSON:
        import httpx

        try:
            response = _client().request(method, url, headers=headers, params=query or None, content=content)
        except httpx.TimeoutException as error:
            raise TaskFailed("States.Http.Socket", f"The HTTP request timed out: {error}") from None
        except httpx.HTTPError as error:
            raise TaskFailed("States.Http.Socket", f"The HTTP request could not be sent: {error}") from None
        result = _result(response)
        if not 200 <= response.status_code < 300:
            raise TaskFailed(
                f"States.Http.StatusCode.{response.status_code}", json.dumps(result, separators=(",", ":"))
            )
        return result

    def _connection(self, arn: str, headers: dict[str, str], query: dict[str, str], body: dict[str, JSON]) -> None:
        """Apply an EventBridge connection: its authorization, then its invocation parameters."""
        import base64

        def call(service: str, operation: str, **params: Any) -> Any:  # failures named as aws-sdk names them
            return self.services.call(service, operation, params, self.services.sdk_errors(service))

        name = arn.split(":connection/", 1)[-1].split("/", 1)[0]
        described = call("events", "DescribeConnection", Name=name)
        secret = json.loads(call("secretsmanager", "GetSecretValue", SecretId=described["SecretArn"])["SecretString"])
        kind = described.get("AuthorizationType")
        if kind == "BASIC":
            token = base64.b64encode(f"{secret.get('username', '')}:{secret.get('password', '')}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        elif kind == "API_KEY":
            headers[str(secret.get("api_key_name", ""))] = str(secret.get("api_key_value", ""))
        elif kind == "OAUTH_CLIENT_CREDENTIALS":
            headers["Authorization"] = f"Bearer {self._oauth_token(secret)}"
        parameters = secret.get("invocation_http_parameters") or {}
        for entry in parameters.get("header_parameters", []):
            headers[entry["key"]] = entry["value"]
        for entry in parameters.get("query_string_parameters", []):
            query[entry["key"]] = entry["value"]
        for entry in parameters.get("body_parameters", []):
            body[entry["key"]] = entry["value"]

    def _oauth_token(self, secret: dict[str, Any]) -> str:
        """An OAuth client-credentials token from the connection's authorization endpoint."""
        endpoint = secret.get("authorization_endpoint", "")
        method = str(secret.get("http_method", "POST"))
        client = secret.get("client_parameters") or {}
        form = {
            "grant_type": "client_credentials",
            "client_id": client.get("client_id", ""),
            "client_secret": client.get("client_secret", ""),
        }
        response = _client().request(method, endpoint, data=form)
        if not 200 <= response.status_code < 300:
            raise TaskFailed(f"States.Http.StatusCode.{response.status_code}", response.text)
        return str(response.json().get("access_token", ""))


def _result(response: Any) -> JSON:
    headers: dict[str, JSON] = {}
    for key, value in response.headers.multi_items():
        listed = headers.setdefault(key, [])
        assert isinstance(listed, list)
        listed.append(value)
    text = response.text
    body: JSON = text
    if text:
        try:
            body = json.loads(text)
        except ValueError:
            body = text
    try:
        status_text = HTTPStatus(response.status_code).phrase
    except ValueError:
        status_text = response.reason_phrase
    return {"Headers": headers, "ResponseBody": body, "StatusCode": response.status_code, "StatusText": status_text}
