"""AWS service integrations through boto3: `aws-sdk:*`, the optimized integrations, their errors.

`Services` is made once per execution from `aws=True` (boto3's default session) or a
`boto3.Session`. It hands the resolver a callable for every Task resource it serves, so the
lookup order stays: the user's `resources=` and mocks first, then AWS. Clients are made once
per service, region and endpoint, and shared by every Task of every execution.

What Step Functions adds to a service's answer is built here, not copied from the server:
the `SdkHttpMetadata` envelope of the optimized integrations, error names
(`S3.NoSuchBucketException`, `DynamoDB.AmazonDynamoDBException`...) and their causes
(`... (Service: S3, Status Code: 404, Request ID: ...)`). Credentials are never read by this
module, only handed to boto3 by its session.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
import weakref
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any, Final, cast

from .context import JSON
from .errors import AslError, DefinitionError, Problem, TaskFailed

if TYPE_CHECKING:
    from .model import StateMachine

__all__ = ["Services", "connect", "instant_text"]

SERVICE_ARN: Final = re.compile(r"^arn:[\w-]+:states:::([\w-]+):([\w-]+?)(\.sync(?::2)?|\.waitForTaskToken)?$")
SDK_ARN: Final = re.compile(r"^arn:[\w-]+:states:::aws-sdk:([\w-]+):(\w+?)(\.waitForTaskToken)?$")
LAMBDA_ARN: Final = re.compile(r"^arn:[\w-]+:lambda:([\w-]+):(\d{12}):function:([^:]+)(?::([^:]+))?$")


# The optimized integrations served here: (family, action) -> (boto3 client, operation).
OPTIMIZED: Final[dict[tuple[str, str], tuple[str, str]]] = {
    ("dynamodb", "getItem"): ("dynamodb", "GetItem"),
    ("dynamodb", "putItem"): ("dynamodb", "PutItem"),
    ("dynamodb", "updateItem"): ("dynamodb", "UpdateItem"),
    ("dynamodb", "deleteItem"): ("dynamodb", "DeleteItem"),
    ("sqs", "sendMessage"): ("sqs", "SendMessage"),
    ("sns", "publish"): ("sns", "Publish"),
    ("events", "putEvents"): ("events", "PutEvents"),
    ("states", "startExecution"): ("stepfunctions", "StartExecution"),
    ("lambda", "invoke"): ("lambda", "Invoke"),
    ("glue", "startJobRun"): ("glue", "StartJobRun"),
}
# Which patterns each optimized integration supports on AWS.
PATTERNS: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    ("states", "startExecution"): ("", ".sync", ".sync:2", ".waitForTaskToken"),
    ("lambda", "invoke"): ("", ".waitForTaskToken"),
    ("sqs", "sendMessage"): ("", ".waitForTaskToken"),
    ("sns", "publish"): ("", ".waitForTaskToken"),
    ("events", "putEvents"): ("", ".waitForTaskToken"),
    ("glue", "startJobRun"): ("", ".sync"),
}

# How the optimized integrations (AWS SDK for Java v1 inside Step Functions) name a service:
# the error prefix, the `Service:` of a cause, and the generic exception of the service.
_V1: Final[dict[str, tuple[str, str, str]]] = {
    "dynamodb": ("DynamoDB", "AmazonDynamoDBv2", "AmazonDynamoDBException"),
    "sqs": ("SQS", "AmazonSQS", "AmazonSQSException"),
    "sns": ("SNS", "AmazonSNS", "AmazonSNSException"),
    "events": ("EventBridge", "AmazonEventBridge", "AmazonEventBridgeException"),
    "states": ("StepFunctions", "AWSStepFunctions", "AWSStepFunctionsException"),
    "lambda": ("Lambda", "AWSLambda", "AWSLambdaException"),
    "glue": ("Glue", "AWSGlue", "AWSGlueException"),
}

# aws-sdk service names that are not boto3's client names (the rest are found by serviceId).
_SDK_NAMES: Final = {"sfn": "stepfunctions"}

# Step Functions polls a `.sync` Glue job run; AWS's interval is not documented, a minute is
# what its console shows between GetJobRun calls.
GLUE_POLL_SECONDS: Final = 60.0
_GLUE_DONE: Final = {
    "SUCCEEDED": None,
    "FAILED": "FAILED",
    "STOPPED": "STOPPED",
    "TIMEOUT": "TIMEOUT",
    "ERROR": "ERROR",
}


class AwsUnavailable(AslError):
    """`aws=True` was asked for but boto3 is not installed."""


def connect(aws: object, clock: Any = None) -> Services:
    """Services for `aws=True` (boto3's default session) or a given `boto3.Session`.

    Raises AwsUnavailable when boto3 is not installed.
    """
    try:
        import boto3  # type: ignore[import-untyped]  # boto3 ships no type hints
    except ImportError:  # pragma: no cover - the extra is missing
        raise AwsUnavailable("aws=True needs boto3: install the 'aws' extra (pip install 'asl-local[aws]')") from None
    global _DEFAULT_SESSION
    if aws is True:
        with _CLIENTS_LOCK:
            if _DEFAULT_SESSION is None:  # one default session, so its clients serve every run
                _DEFAULT_SESSION = boto3.Session()
        session = _DEFAULT_SESSION
    else:
        session = aws
    if not isinstance(session, boto3.Session):
        raise AslError(f"aws must be True or a boto3.Session, not {type(aws).__name__}")
    return Services(session, clock)


def instant_text(moment: datetime) -> str:
    """A timestamp as Step Functions writes an SDK result's: ISO 8601 in UTC, `Z`, fraction only when not zero."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        millis, micros = divmod(moment.microsecond, 1000)
        text += f".{moment.microsecond:06d}" if micros else f".{millis:03d}"
    return text + "Z"


_DEFAULT_SESSION: Any = None
# Clients per session (dropped with it), then per service, region and endpoint.
_CLIENTS: weakref.WeakKeyDictionary[Any, dict[tuple[str, str, str | None], Any]] = weakref.WeakKeyDictionary()
_CLIENTS_LOCK = threading.Lock()


class Services:
    """The AWS side of one execution: clients, and a resource callable per served ARN."""

    def __init__(self, session: Any, clock: Any = None) -> None:
        self.session = session
        self.clock = clock
        self.region: str = session.region_name or "us-east-1"
        self._served: dict[str, Callable[..., Any] | None] = {}

    # -- clients -------------------------------------------------------------------------

    def client(self, service: str) -> Any:
        """A boto3 client for `service`, made once per service, region and endpoint."""
        key = (service, self.region, _endpoint(service))
        clients = _CLIENTS.get(self.session)
        client = clients.get(key) if clients is not None else None
        if client is None:
            with _CLIENTS_LOCK:
                clients = _CLIENTS.setdefault(self.session, {})
                client = clients.get(key)
                if client is None:
                    from botocore.config import Config  # type: ignore[import-untyped]

                    # Step Functions' own client asks for no response checksum, and leaves
                    # parameter checks to the service, which names the error.
                    config = Config(response_checksum_validation="when_required", parameter_validation=False)
                    client = self.session.client(service, region_name=self.region, config=config)
                    clients[key] = client
        return client

    # -- what is served ------------------------------------------------------------------

    def resource(self, name: str) -> Callable[..., Any] | None:
        """The callable serving a Task resource (or a Lambda function name), or None."""
        try:
            return self._served[name]
        except KeyError:
            served = self._served[name] = self._resource(name)
            return served

    def _resource(self, name: str) -> Callable[..., Any] | None:
        if name == "arn:aws:states:::http:invoke":
            from .http_task import HttpInvoke

            return HttpInvoke(self)
        sdk = SDK_ARN.match(name)
        if sdk:
            service = boto_service(sdk.group(1))
            if service is None:
                return None
            operation = _operation(self, service, sdk.group(2))
            if operation is None:
                return None
            prefix = sdk_prefix(self.client(service).meta.service_model)
            return _SdkCall(self, service, operation, prefix)
        match = SERVICE_ARN.match(name)
        if match:
            family, action, pattern = match.group(1), match.group(2), match.group(3) or ""
            if (family, action) in ITEM_IO:
                return ITEM_IO[(family, action)]
            if pattern not in PATTERNS.get((family, action), ("", ".waitForTaskToken")):
                return None
            if (family, action) not in OPTIMIZED or (family, action) == ("lambda", "invoke"):
                return None  # lambda:invoke is looked up by its FunctionName
            integration = _Optimized(self, family, action, pattern)
            return _SyncJob(integration) if pattern.startswith(".sync") else integration
        if name.startswith("arn:aws:states:"):
            return None
        return _Lambda(self, name)  # a function ARN or name (lambda:invoke's FunctionName)

    def problems(self, machine: StateMachine) -> list[Problem]:
        """Every Task resource this does not serve, each with its pointer."""
        found: list[Problem] = []
        for pointer, resource in _task_resources(machine, "/States"):
            if resource.startswith("arn:aws:states:::lambda:invoke"):
                continue
            if self.resource(resource) is not None:
                continue
            if LAMBDA_ARN.match(resource):
                continue
            sdk = SDK_ARN.match(resource)
            if sdk:
                service = boto_service(sdk.group(1))
                message = (
                    f"The AWS SDK has no service '{sdk.group(1)}'"
                    if service is None
                    else f"The service '{sdk.group(1)}' has no action '{sdk.group(2)}'"
                )
                found.append(Problem(pointer, "UNKNOWN_SDK_ACTION", f"{message}: {resource}"))
            elif resource.startswith("arn:aws:states:::"):
                found.append(
                    Problem(
                        pointer,
                        "UNSUPPORTED_INTEGRATION",
                        f"asl does not call the integration '{resource}' (served: aws-sdk:*, "
                        + ", ".join(f"{f}:{a}" for f, a in OPTIMIZED)
                        + ", http:invoke); give a callable for it in resources=",
                    )
                )
        return found

    def check(self, machine: StateMachine) -> None:
        """Raise DefinitionError listing every Task resource AWS cannot serve through this library."""
        if problems := self.problems(machine):
            raise DefinitionError(problems)

    # -- calls ---------------------------------------------------------------------------

    def call(
        self, service: str, operation: str, params: dict[str, Any], errors: Callable[[Exception], TaskFailed]
    ) -> Any:
        """One SDK call; a failure comes back as the TaskFailed `errors` names."""
        client = self.client(service)
        method = getattr(client, _snake(operation))
        try:
            return method(**params)
        except Exception as error:  # botocore's errors, named as Step Functions names them
            raise errors(error) from None

    def sdk_errors(self, service: str) -> Callable[[Exception], TaskFailed]:
        """How an aws-sdk call to `service` names its failures (for `call`)."""
        model = self.client(service).meta.service_model
        return partial(sdk_error, sdk_prefix(model), model)

    def http_date(self) -> str:
        now = datetime.fromtimestamp(self.clock.now(), UTC) if self.clock is not None else datetime.now(UTC)
        return format_datetime(now, usegmt=True)


def _endpoint(service: str) -> str | None:
    specific = os.environ.get(f"AWS_ENDPOINT_URL_{service.upper().replace('-', '_')}")
    return specific or os.environ.get("AWS_ENDPOINT_URL")


def _snake(operation: str) -> str:
    from botocore import xform_name  # type: ignore[import-untyped]  # botocore ships no type hints

    return str(xform_name(operation))


@lru_cache(maxsize=1)
def _botocore() -> Any:
    import botocore.session  # type: ignore[import-untyped]

    return botocore.session.get_session()


@lru_cache(maxsize=1)
def _available() -> frozenset[str]:
    return frozenset(_botocore().get_available_services())


@lru_cache(maxsize=1)
def _service_ids() -> dict[str, str]:
    """SDK v2 service names (serviceIds without spaces, lower case) -> boto3's names."""
    ids: dict[str, str] = {}
    loader = _botocore().get_component("data_loader")
    for service in sorted(_available()):
        try:
            model = loader.load_service_model(service, "service-2")
        except Exception:  # noqa: BLE001 - a model botocore cannot load is skipped
            continue
        service_id = str(model.get("metadata", {}).get("serviceId", ""))
        ids.setdefault(re.sub(r"[\s-]", "", service_id).lower(), service)
    return ids


@lru_cache(maxsize=512)
def boto_service(name: str) -> str | None:
    """boto3's client name for an aws-sdk service name (`sfn` -> `stepfunctions`), or None."""
    name = _SDK_NAMES.get(name, name)
    if name in _available():
        return name
    return _service_ids().get(name.lower())


def _operation(services: Services, service: str, action: str) -> Any:
    model = services.client(service).meta.service_model
    wanted = action[:1].upper() + action[1:]
    names = {name.lower(): name for name in model.operation_names}
    found = names.get(wanted.lower())
    return model.operation_model(found) if found else None


def sdk_prefix(model: Any) -> str:
    """The error prefix aws-sdk integrations use: the SDK v2 client name (`DynamoDb`, `Sfn`, `SecretsManager`)."""
    words = re.split(r"[\s-]+", str(model.metadata.get("serviceId") or model.service_name))
    parts: list[str] = []
    for word in words:
        for piece in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", word):
            parts.append(piece[:1].upper() + piece[1:].lower())
    return "".join(parts)


# -- requests and results ------------------------------------------------------------------


def _request(shape: Any, value: Any) -> Any:
    """A JSON value as boto3 takes it for `shape`: member names matched without case, nulls left out."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = {name.lower(): name for name in shape.members}
        out: dict[str, Any] = {}
        for key, item in value.items():
            if item is None:
                continue  # Step Functions' SDK sends no member for a null
            name = str(members.get(str(key).lower(), key))
            out[name] = _request(shape.members.get(name), item)
        return out
    if kind == "list" and isinstance(value, list):
        return [_request(shape.member, item) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: _request(shape.value, item) for key, item in value.items() if item is not None}
    if kind == "blob":
        if shape.serialization.get("streaming") or shape.metadata.get("streaming"):
            return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        if isinstance(value, str):
            try:
                return base64.b64decode(value, validate=True)
            except ValueError:
                return value.encode()
        return json.dumps(value, separators=(",", ":")).encode()
    return value


def _result(shape: Any, value: Any, pascal: bool) -> JSON:
    """A boto3 answer as Step Functions writes it: timestamps as text, blobs as text or base64."""
    if isinstance(value, datetime):
        return instant_text(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if hasattr(value, "read") and callable(value.read):  # a streaming body: its text
        data = value.read()
        try:
            return str(data.decode())
        except UnicodeDecodeError:
            return base64.b64encode(data).decode()
    kind = shape.type_name if shape is not None else None
    if isinstance(value, dict):
        if kind == "map":
            return {key: _result(shape.value, item, pascal) for key, item in value.items()}
        members = shape.members if kind == "structure" else {}
        out: dict[str, JSON] = {}
        for key, item in value.items():
            if key == "ResponseMetadata":
                continue
            name = key[:1].upper() + key[1:] if pascal else key
            out[name] = _result(members.get(key), item, pascal)
        return out
    if isinstance(value, list):
        member = shape.member if kind == "list" else None
        return [_result(member, item, pascal) for item in value]
    if isinstance(value, float) and value.is_integer() and kind in ("integer", "long"):
        return int(value)
    return value  # type: ignore[no-any-return]


# -- errors --------------------------------------------------------------------------------


def _error_shapes(model: Any) -> dict[str, str]:
    """Error code -> the exception class name the SDK gives it."""
    names: dict[str, str] = {}
    for shape in model.error_shapes:
        code = shape.metadata.get("error", {}).get("code", shape.name)
        names[str(code)] = shape.name
        names[shape.name] = shape.name
    return names


def _exception(name: str) -> str:
    return name if name.endswith("Exception") else name + "Exception"


def _client_side(prefix: str, error: Exception) -> TaskFailed | None:
    from botocore import exceptions

    if isinstance(error, exceptions.NoCredentialsError | exceptions.PartialCredentialsError):
        return TaskFailed(
            f"{prefix}.SdkClientException",
            "Unable to load credentials from any of the providers in the chain.",
        )
    if isinstance(error, exceptions.EndpointConnectionError | exceptions.ConnectionError | exceptions.HTTPClientError):
        return TaskFailed(f"{prefix}.SdkClientException", f"Unable to execute HTTP request: {error}")
    if isinstance(error, exceptions.BotoCoreError | exceptions.ParamValidationError):
        return TaskFailed(f"{prefix}.SdkClientException", str(error))
    return None


def sdk_error(prefix: str, model: Any, error: Exception) -> TaskFailed:
    """An aws-sdk failure: `S3.NoSuchBucketException`, cause `... (Service: S3, Status Code: 404, Request ID: ...)`."""
    failed = _client_side(prefix, error)
    if failed is not None:
        return failed
    response = getattr(error, "response", None) or {}
    details = response.get("Error", {})
    meta = response.get("ResponseMetadata", {})
    code = str(details.get("Code", ""))
    known = _error_shapes(model).get(code)
    name = _exception(known) if known else f"{prefix}Exception"
    message = details.get("Message") or ""
    trailer = (
        f"Service: {prefix}, Status Code: {meta.get('HTTPStatusCode', 500)}, Request ID: {meta.get('RequestId', '')}"
    )
    host = meta.get("HostId")
    if host:
        trailer += f", Extended Request ID: {host}"
    return TaskFailed(f"{prefix}.{name}", f"{message} ({trailer})")


def optimized_error(family: str, model: Any, error: Exception) -> TaskFailed:
    """An optimized integration's failure: `SQS.AmazonSQSException`, cause `... (Service: AmazonSQS; ...)`."""
    prefix, service, generic = _V1[family]
    failed = _client_side(prefix, error)
    if failed is not None:
        return failed
    response = getattr(error, "response", None) or {}
    details = response.get("Error", {})
    meta = response.get("ResponseMetadata", {})
    code = str(details.get("Code", ""))
    shapes = _error_shapes(model)  # the query-protocol name finds SQS's shapes (QueueDoesNotExist)
    known = shapes.get(code) or shapes.get(str(details.get("QueryErrorCode", "")))
    name = _exception(known) if known else generic
    message = details.get("Message") or ""
    cause = (
        f"{message} (Service: {service}; Status Code: {meta.get('HTTPStatusCode', 500)}; Error Code: {code}; "
        f"Request ID: {meta.get('RequestId', '')}; Proxy: null)"
    )
    return TaskFailed(f"{prefix}.{name}", cause)


# -- the callables -------------------------------------------------------------------------


class _SdkCall:
    """`arn:aws:states:::aws-sdk:SERVICE:ACTION`: the action's parameters in, its answer out."""

    def __init__(self, services: Services, service: str, operation: Any, prefix: str) -> None:
        self.services, self.service, self.operation, self.prefix = services, service, operation, prefix
        self.__name__ = f"aws-sdk:{service}:{operation.name}"

    def __call__(self, payload: JSON) -> JSON:
        params = _request(self.operation.input_shape, payload if isinstance(payload, dict) else {})
        model = self.operation.service_model
        response = self.services.call(
            self.service, self.operation.name, params, lambda error: sdk_error(self.prefix, model, error)
        )
        return _result(self.operation.output_shape, response, pascal=True)


def _json_text(value: JSON) -> str:
    """A message body: text as it is; any other JSON value as its JSON text, as Step Functions sends it."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _body_length(family: str, result: dict[str, JSON], request_id: str) -> int:
    """The length of the body AWS sends for this answer: compact JSON, or SNS's XML layout."""
    if family == "sns":
        lines = [
            '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">',
            "  <PublishResult>",
            *(f"    <{key}>{value}</{key}>" for key, value in result.items()),
            "  </PublishResult>",
            "  <ResponseMetadata>",
            f"    <RequestId>{request_id}</RequestId>",
            "  </ResponseMetadata>",
            "</PublishResponse>",
        ]
        return len("\n".join(lines).encode()) + 1
    return len(json.dumps(result, separators=(",", ":"), ensure_ascii=False).encode())


def http_envelope(family: str, result: dict[str, JSON], request_id: str, date: str) -> dict[str, JSON]:
    """`SdkHttpMetadata` and `SdkResponseMetadata` as the optimized integrations add them."""
    length = str(_body_length(family, result, request_id))
    if family == "sns":
        all_headers: dict[str, JSON] = {
            "x-amzn-RequestId": [request_id],
            "connection": ["keep-alive"],
            "Content-Length": [length],
            "Date": [date],
            "Content-Type": ["text/xml"],
        }
    elif family == "dynamodb":
        body = json.dumps(result, separators=(",", ":"), ensure_ascii=False).encode()
        all_headers = {
            "Server": ["Server"],
            "Connection": ["keep-alive"],
            "x-amzn-RequestId": [request_id],
            "x-amz-crc32": [str(zlib.crc32(body))],
            "Content-Length": [length],
            "Date": [date],
            "Content-Type": ["application/x-amz-json-1.0"],
        }
    else:
        all_headers = {
            "x-amzn-RequestId": [request_id],
            "connection": ["keep-alive"],
            "Content-Length": [length],
            "Date": [date],
            "Content-Type": ["application/x-amz-json-1.0"],
        }
    headers: dict[str, JSON] = {}
    for key, values in sorted(all_headers.items(), key=lambda kv: kv[0].lower()):
        assert isinstance(values, list)
        headers[key] = values[0]
    return {
        "SdkHttpMetadata": {"AllHttpHeaders": all_headers, "HttpHeaders": headers, "HttpStatusCode": 200},
        "SdkResponseMetadata": {"RequestId": request_id},
    }


class _Optimized:
    """An optimized integration (`arn:aws:states:::sqs:sendMessage`...), shaped as Step Functions shapes it."""

    def __init__(self, services: Services, family: str, action: str, pattern: str) -> None:
        self.services, self.family, self.action, self.pattern = services, family, action, pattern
        self.service, self.operation = OPTIMIZED[(family, action)]
        self.__name__ = f"{family}:{action}{pattern}"

    def _errors(self, error: Exception) -> TaskFailed:
        model = self.services.client(self.service).meta.service_model
        return optimized_error(self.family, model, error)

    def _call(self, params: dict[str, Any], operation: str = "") -> dict[str, Any]:
        operation = operation or self.operation
        response: dict[str, Any] = self.services.call(self.service, operation, params, self._errors)
        return response

    def __call__(self, payload: JSON) -> Any:
        params: dict[str, Any] = {
            k: v for k, v in (payload if isinstance(payload, dict) else {}).items() if v is not None
        }
        family = self.family
        if family == "sqs" and "MessageBody" in params:
            params["MessageBody"] = _json_text(params["MessageBody"])
        if family == "sns" and "Message" in params:
            params["Message"] = _json_text(params["Message"])
        if family == "events":
            params["Entries"] = [
                {**entry, "Detail": _json_text(entry["Detail"])}
                if isinstance(entry, dict) and "Detail" in entry
                else entry
                for entry in params.get("Entries", [])
            ]
        if family == "states":
            return self._start_execution(params)
        if family == "glue":
            return self._glue(params)
        model = self.services.client(self.service).meta.service_model
        output_shape = model.operation_model(self.operation).output_shape
        response = self._call(params)
        request_id = str(response.get("ResponseMetadata", {}).get("RequestId", ""))
        result = _result(output_shape, response, pascal=False)
        assert isinstance(result, dict)
        if family == "events":
            if result.get("FailedEntryCount"):
                raise TaskFailed("EventBridge.FailedEntry", json.dumps(result, separators=(",", ":")))
            return result
        return {**result, **http_envelope(family, result, request_id, self.services.http_date())}

    def _start_execution(self, params: dict[str, Any]) -> Any:
        lowered = {key[:1].lower() + key[1:]: value for key, value in params.items()}
        if "input" in lowered:
            lowered["input"] = _json_text(lowered["input"])
        response = self._call(lowered)
        result = {"ExecutionArn": response["executionArn"], "StartDate": _epoch_millis(response["startDate"])}
        if not self.pattern.startswith(".sync"):
            return result
        return _Poller(self, result["ExecutionArn"])

    def _glue(self, params: dict[str, Any]) -> Any:
        response = self._call(params)
        run_id = response["JobRunId"]
        if self.pattern != ".sync":
            return {"JobRunId": run_id}
        return _Poller(self, run_id, job=params.get("JobName"))


def _epoch_millis(moment: Any) -> JSON:
    if isinstance(moment, datetime):
        return int(moment.timestamp() * 1000)
    return moment  # type: ignore[no-any-return]


class _Poller:
    """A `.sync` job: what to ask the service until the job ends (the Task polls it on the run's clock)."""

    def __init__(self, integration: _Optimized, ident: str, job: Any = None) -> None:
        self.integration, self.ident, self.job = integration, ident, job

    def poll(self) -> tuple[bool, JSON]:
        """(done, result); raises TaskFailed for a job that ended badly."""
        integration = self.integration
        if integration.family == "glue":
            response = integration._call({"JobName": self.job, "RunId": self.ident}, "GetJobRun")
            run = _result(None, response["JobRun"], pascal=False)
            assert isinstance(run, dict)
            state = str(run.get("JobRunState", ""))
            if state not in _GLUE_DONE:
                return False, None
            if _GLUE_DONE[state] is not None:
                raise TaskFailed("States.TaskFailed", json.dumps(run, separators=(",", ":")))
            return True, run
        response = integration._call({"executionArn": self.ident}, "DescribeExecution")
        status = str(response.get("status", ""))
        if status == "RUNNING":
            return False, None
        described = _result(None, response, pascal=True)
        assert isinstance(described, dict)
        output = described.get("Output")
        if integration.pattern == ".sync:2" and isinstance(output, str):
            described["Output"] = json.loads(output)
        if status == "SUCCEEDED":
            return True, described
        error = "States.TaskFailed" if status == "FAILED" else f"States.{status.title()}"
        raise TaskFailed(error, json.dumps(described, separators=(",", ":"), default=str))


class _SyncJob:
    """A `.sync` Task: start the job, then ask about it on the run's clock until it ends."""

    def __init__(self, integration: _Optimized) -> None:
        self.integration = integration
        self.__name__ = integration.__name__

    async def __call__(self, payload: JSON) -> JSON:
        import anyio.to_thread

        clock = self.integration.services.clock
        clock.busy()  # polling works on the run's clock, unlike an async resource awaiting the world
        try:
            poller = await anyio.to_thread.run_sync(self.integration, payload)
            interval = GLUE_POLL_SECONDS if self.integration.family == "glue" else 1.0
            while True:
                done, result = await anyio.to_thread.run_sync(poller.poll)
                if done:
                    return cast(JSON, result)
                await clock.sleep(interval)
        finally:
            clock.idle()


def _item_io(payload: JSON) -> JSON:
    raise TaskFailed(
        "States.Runtime",
        "s3:getObject, s3:listObjectsV2 and s3:putObject serve a Map's ItemReader and ResultWriter, not a Task",
    )


# The S3 resources of a Map's ItemReader and ResultWriter: served by asl.s3, named here so
# that the resolver knows AWS serves them.
ITEM_IO: Final[dict[tuple[str, str], Callable[..., Any]]] = {
    ("s3", "getObject"): _item_io,
    ("s3", "listObjectsV2"): _item_io,
    ("s3", "putObject"): _item_io,
}


class _Lambda:
    """A Lambda function called for real: plain function ARNs and lambda:invoke's FunctionName."""

    def __init__(self, services: Services, name: str) -> None:
        self.services, self.name = services, name
        self.__name__ = name

    def __call__(self, event: JSON) -> JSON:
        model = self.services.client("lambda").meta.service_model
        response = self.services.call(
            "lambda",
            "Invoke",
            {"FunctionName": self.name, "Payload": json.dumps(event, separators=(",", ":")).encode()},
            lambda error: optimized_error("lambda", model, error),
        )
        body = response["Payload"].read()
        text = body.decode() if body else "null"
        if response.get("FunctionError"):
            try:
                details = json.loads(text)
            except ValueError:
                details = {}
            name = details.get("errorType", "Lambda.Unknown") if isinstance(details, dict) else "Lambda.Unknown"
            raise TaskFailed(str(name), text)
        try:
            result: JSON = json.loads(text)
        except ValueError:
            return text
        return result


def _task_resources(machine: Any, pointer: str) -> Iterator[tuple[str, str]]:
    for name, state in machine.states.items():
        here = f"{pointer}/{name}"
        if state.kind == "Task" and isinstance(state.resource, str):
            yield f"{here}/Resource", state.resource
        for index, branch in enumerate(getattr(state, "branches", ())):
            yield from _task_resources(branch, f"{here}/Branches/{index}/States")
        processor = getattr(state, "processor", None)
        if processor is not None:
            yield from _task_resources(processor, f"{here}/ItemProcessor/States")
