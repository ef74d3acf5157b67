"""A distributed Map's items from S3 (ItemReader) and its results to S3 (ResultWriter), as AWS does.

Readers parse what `s3:getObject` returns (JSON, JSONL, CSV with its header on the first row
or given, an S3 inventory MANIFEST) or list a prefix (`s3:listObjectsV2`). JSONL, CSV and
manifests are read line by line from the object's stream, never whole; `MaxItems` stops the
read early. The writer puts AWS's `manifest.json` and `SUCCEEDED_n.json` / `FAILED_n.json` /
`PENDING_n.json` files and returns AWS's output.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any, Final

from .context import JSON
from .errors import ExecutionError, TaskFailed

__all__ = ["read_items", "result_files", "write_results"]

# How many results AWS writes to one SUCCEEDED_n.json / FAILED_n.json / PENDING_n.json file
# is not documented as a count but as a size (5 GB); results are split by size here too.
RESULT_FILE_BYTES: Final = 5 * 1024**3
_DELIMITERS: Final = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}


def reader_failed(cause: str) -> ExecutionError:
    """The error a Map's ItemReader fails with."""
    return ExecutionError(cause, error="States.ItemReaderFailed")


def read_items(services: Any, resource: str, arguments: JSON, config: JSON, max_items: int | None) -> list[JSON]:
    """Every item an S3 ItemReader gives (at most `max_items`); runs in a worker thread."""
    from .services import sdk_error, sdk_prefix

    args = arguments if isinstance(arguments, dict) else {}
    settings = config if isinstance(config, dict) else {}
    client = services.client("s3")
    model = client.meta.service_model
    prefix = sdk_prefix(model)

    def call(operation: str, **params: Any) -> Any:
        try:
            return getattr(client, operation)(**params)
        except Exception as error:  # named as Step Functions names an S3 failure
            failed = sdk_error(prefix, model, error)
            raise reader_failed(failed.cause) from None

    items: Iterable[JSON]
    if resource.endswith(":listObjectsV2"):
        items = _listed(call, args)
    else:
        params = {key: value for key, value in args.items() if key in ("Bucket", "Key", "VersionId")}
        body = call("get_object", **params)["Body"]
        try:
            items = _parsed(call, body, settings)
            return _take(items, max_items)
        finally:
            body.close()
    return _take(items, max_items)


def _take(items: Iterable[JSON], limit: int | None) -> list[JSON]:
    taken: list[JSON] = []
    for item in items:
        if limit is not None and len(taken) >= limit:
            break
        taken.append(item)
    return taken


def _lines(body: Any) -> Iterator[str]:
    """The object's text, line by line, decoded as it streams."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    pending = ""
    for chunk in iter(lambda: body.read(65536), b""):
        pending += decoder.decode(chunk)
        *complete, pending = pending.split("\n")
        for line in complete:
            yield line.removesuffix("\r")
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending.removesuffix("\r")


def _parsed(call: Any, body: Any, settings: dict[str, JSON]) -> Iterable[JSON]:
    kind = settings.get("InputType", "JSON")
    if kind == "JSON":
        try:
            value = json.loads(body.read())
        except ValueError:
            raise reader_failed("The object is not valid JSON.") from None
        if not isinstance(value, list):
            raise reader_failed("Attempting to map over non-iterable node.")
        return value
    if kind == "JSONL":
        return (_json_line(line) for line in _lines(body) if line.strip())
    if kind == "CSV":
        return _csv_rows(_lines(body), settings)
    if kind == "MANIFEST":
        return _manifest(call, body)
    raise reader_failed(f"Unsupported InputType: {kind}")


def _json_line(line: str) -> JSON:
    try:
        return json.loads(line)  # type: ignore[no-any-return]
    except ValueError:
        raise reader_failed(f"The line is not valid JSON: {line[:100]}") from None


def _csv_rows(lines: Iterator[str], settings: dict[str, JSON]) -> Iterator[JSON]:
    delimiter = _DELIMITERS.get(str(settings.get("CSVDelimiter", "COMMA")), ",")
    rows = csv.reader((line for line in lines if line != ""), delimiter=delimiter)
    if settings.get("CSVHeaderLocation") == "GIVEN":
        given = settings.get("CSVHeaders")
        headers = [str(h) for h in given] if isinstance(given, list) else []
    else:
        headers = next(rows, [])
    for row in rows:
        # AWS drops fields beyond the header and fills missing ones with "".
        yield {header: row[index] if index < len(row) else "" for index, header in enumerate(headers)}


def _manifest(call: Any, body: Any) -> Iterator[JSON]:
    """An S3 inventory manifest: the rows of every CSV file it lists, as objects named by its schema."""
    try:
        manifest = json.loads(body.read())
    except ValueError:
        raise reader_failed("The manifest is not valid JSON.") from None
    fields = [name.strip() for name in str(manifest.get("fileSchema", "Bucket, Key")).split(",")]
    if manifest.get("fileFormat", "CSV") != "CSV":
        raise reader_failed(f"Unsupported inventory file format: {manifest.get('fileFormat')}")
    bucket = str(manifest.get("destinationBucket", "")).rsplit(":", 1)[-1]
    for entry in manifest.get("files", []):
        data = call("get_object", Bucket=bucket, Key=entry["key"])["Body"]
        try:
            raw = data.read()
        finally:
            data.close()
        if entry["key"].endswith(".gz"):
            raw = gzip.decompress(raw)
        for row in csv.reader(io.StringIO(raw.decode())):
            yield dict(zip(fields, row, strict=False))


def _listed(call: Any, args: dict[str, JSON]) -> Iterator[JSON]:
    params = {key: value for key, value in args.items() if value is not None}
    while True:
        page = call("list_objects_v2", **params)
        for entry in page.get("Contents", []):
            yield {
                "Etag": entry.get("ETag"),
                "Key": entry.get("Key"),
                "LastModified": int(entry["LastModified"].timestamp()) if entry.get("LastModified") else None,
                "Size": entry.get("Size"),
                "StorageClass": entry.get("StorageClass"),
            }
        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated") or not token:
            return
        params["ContinuationToken"] = token


# -- ResultWriter --------------------------------------------------------------------------


def result_files(records: dict[str, list[JSON]], config: JSON) -> dict[str, list[bytes]]:
    """Each status's results as the files AWS writes (JSON arrays, or JSON lines), split by size."""
    settings = config if isinstance(config, dict) else {}
    lines = settings.get("OutputType") == "JSONL"
    files: dict[str, list[bytes]] = {}
    for status, entries in records.items():
        chunks: list[bytes] = []
        current: list[bytes] = []
        size = 0
        for entry in entries:
            text = json.dumps(entry, separators=(",", ":"), ensure_ascii=False).encode()
            if current and size + len(text) > RESULT_FILE_BYTES:
                chunks.append(_joined(current, lines))
                current, size = [], 0
            current.append(text)
            size += len(text) + 1
        if current:
            chunks.append(_joined(current, lines))
        files[status] = chunks
    return files


def _joined(texts: list[bytes], lines: bool) -> bytes:
    if lines:
        return b"\n".join(texts) + b"\n"
    return b"[" + b",".join(texts) + b"]"


def write_results(
    services: Any, arguments: JSON, config: JSON, map_run_arn: str, records: dict[str, list[JSON]]
) -> JSON:
    """Put the result files and manifest.json under Bucket/Prefix/<map run id>/; AWS's Map output."""
    from .services import sdk_error, sdk_prefix

    args = arguments if isinstance(arguments, dict) else {}
    bucket = str(args.get("Bucket", ""))
    prefix = str(args.get("Prefix", "")).strip("/")
    run_id = map_run_arn.rsplit(":", 1)[-1]
    folder = f"{prefix}/{run_id}" if prefix else run_id
    client = services.client("s3")
    model = client.meta.service_model
    settings = config if isinstance(config, dict) else {}
    extension = "jsonl" if settings.get("OutputType") == "JSONL" else "json"

    def put(key: str, body: bytes) -> None:
        try:
            client.put_object(Bucket=bucket, Key=key, Body=body)
        except Exception as error:  # named as Step Functions names an S3 failure
            failed: TaskFailed = sdk_error(sdk_prefix(model), model, error)
            raise ExecutionError(failed.cause, error="States.ResultWriterFailed") from None

    listed: dict[str, JSON] = {}
    for status, chunks in result_files(records, config).items():
        entries: list[JSON] = []
        for index, body in enumerate(chunks):
            key = f"{folder}/{status}_{index}.{extension}"
            put(key, body)
            entries.append({"Key": key, "Size": len(body)})
        listed[status] = entries
    manifest = {"DestinationBucket": bucket, "MapRunArn": map_run_arn, "ResultFiles": listed}
    manifest_key = f"{folder}/manifest.json"
    put(manifest_key, json.dumps(manifest, separators=(",", ":")).encode())
    return writer_output(map_run_arn, bucket, manifest_key)


def writer_output(map_run_arn: str, bucket: str, manifest_key: str) -> JSON:
    """What a Map with a ResultWriter outputs: where its manifest is."""
    return {"MapRunArn": map_run_arn, "ResultWriterDetails": {"Bucket": bucket, "Key": manifest_key}}
