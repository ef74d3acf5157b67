"""asl.s3 and the Map's ItemReader, ItemBatcher and ResultWriter: S3 through moto's server, or callables."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest

import asl
from aws_server import aws, moto_url  # noqa: F401 - fixtures

READER = "arn:aws:states:::s3:getObject"
WRITER = "arn:aws:states:::s3:putObject"


def map_machine(reader: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "Type": "Map",
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Echo",
            "States": {"Echo": {"Type": "Pass", "End": True}},
        },
        "End": True,
        **fields,
    }
    if reader is not None:
        state["ItemReader"] = reader
    return {"StartAt": "Each", "States": {"Each": state}}


def csv_reader(**config: Any) -> dict[str, Any]:
    return {
        "Resource": READER,
        "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", **config},
        "Parameters": {"Bucket.$": "$.bucket", "Key.$": "$.key"},
    }


def run(definition: dict[str, Any], value: Any = None, **options: Any) -> asl.Execution:
    options.setdefault("aws", True)
    return asl.run(asl.parse(definition), value or {}, clock=asl.VirtualClock(0), seed=1, **options)


def put(aws: Any, key: str, body: bytes | str) -> None:
    s3 = aws("s3")
    if not s3.list_buckets()["Buckets"]:
        s3.create_bucket(Bucket="data")
    s3.put_object(Bucket="data", Key=key, Body=body)


WHERE = {"bucket": "data", "key": "file"}


# -- ItemReader ----------------------------------------------------------------------------


@pytest.mark.usefixtures("moto_url")
def test_csv_with_header_row_fills_and_drops_fields(aws: Any) -> None:
    put(aws, "file", "a,b\n1,2\n3\n4,5,6\n")
    execution = run(map_machine(csv_reader()), WHERE)
    assert execution.output == [{"a": "1", "b": "2"}, {"a": "3", "b": ""}, {"a": "4", "b": "5"}]


@pytest.mark.usefixtures("moto_url")
def test_csv_with_given_headers_reads_the_first_row_as_data(aws: Any) -> None:
    put(aws, "file", "1,2\n3,4\n")
    reader = csv_reader(CSVHeaderLocation="GIVEN", CSVHeaders=["x", "y"])
    assert run(map_machine(reader), WHERE).output == [{"x": "1", "y": "2"}, {"x": "3", "y": "4"}]


@pytest.mark.usefixtures("moto_url")
def test_max_items_stops_the_read(aws: Any) -> None:
    put(aws, "file", "a\n1\n2\n3\n")
    assert run(map_machine(csv_reader(MaxItems=2)), WHERE).output == [{"a": "1"}, {"a": "2"}]


@pytest.mark.usefixtures("moto_url")
def test_a_negative_max_items_fails_the_reader(aws: Any) -> None:
    put(aws, "file", "a\n1\n")
    execution = run(map_machine(csv_reader(MaxItemsPath="$.n")), {**WHERE, "n": -1})
    assert (execution.error, execution.cause) == ("States.ItemReaderFailed", "field MaxItems must be positive")


@pytest.mark.usefixtures("moto_url")
def test_jsonl_items(aws: Any) -> None:
    put(aws, "file", '{"n": 1}\n\n{"n": 2}\n')
    reader = {
        "Resource": READER,
        "ReaderConfig": {"InputType": "JSONL"},
        "Parameters": {"Bucket": "data", "Key": "file"},
    }
    assert run(map_machine(reader)).output == [{"n": 1}, {"n": 2}]


@pytest.mark.usefixtures("moto_url")
def test_json_that_is_not_an_array_fails(aws: Any) -> None:
    put(aws, "file", '{"n": 1}')
    reader = {
        "Resource": READER,
        "ReaderConfig": {"InputType": "JSON"},
        "Parameters": {"Bucket": "data", "Key": "file"},
    }
    execution = run(map_machine(reader))
    assert (execution.error, execution.cause) == (
        "States.ItemReaderFailed",
        "Attempting to map over non-iterable node.",
    )


@pytest.mark.usefixtures("moto_url")
def test_a_missing_object_fails_the_reader_with_s3s_error(aws: Any) -> None:
    put(aws, "other", "[]")
    reader = {"Resource": READER, "ReaderConfig": {"InputType": "JSON"}, "Parameters": {"Bucket": "data", "Key": "no"}}
    execution = run(map_machine(reader))
    assert execution.error == "States.ItemReaderFailed"
    assert execution.cause.startswith("The specified key does not exist. (Service: S3, Status Code: 404")


@pytest.mark.usefixtures("moto_url")
def test_list_objects_v2_lists_a_prefix(aws: Any) -> None:
    for key in ("in/a.txt", "in/b.txt", "out/c.txt"):
        put(aws, key, "x")
    reader = {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "data", "Prefix": "in/"}}
    items = run(map_machine(reader)).output
    assert [item["Key"] for item in items] == ["in/a.txt", "in/b.txt"]
    assert set(items[0]) == {"Etag", "Key", "LastModified", "Size", "StorageClass"}
    assert items[0]["Size"] == 1


@pytest.mark.usefixtures("moto_url")
def test_manifest_reads_the_inventory_files(aws: Any) -> None:
    put(aws, "inv/data.csv.gz", gzip.compress(b'"data","a.txt"\n"data","b.txt"\n'))
    manifest = {
        "sourceBucket": "data",
        "destinationBucket": "arn:aws:s3:::data",
        "fileFormat": "CSV",
        "fileSchema": "Bucket, Key",
        "files": [{"key": "inv/data.csv.gz"}],
    }
    put(aws, "inv/manifest.json", json.dumps(manifest))
    reader = {
        "Resource": READER,
        "ReaderConfig": {"InputType": "MANIFEST"},
        "Parameters": {"Bucket": "data", "Key": "inv/manifest.json"},
    }
    assert run(map_machine(reader)).output == [{"Bucket": "data", "Key": "a.txt"}, {"Bucket": "data", "Key": "b.txt"}]


# -- ItemBatcher ---------------------------------------------------------------------------


@pytest.mark.usefixtures("moto_url")
def test_batches_are_bounded_by_count_and_bytes(aws: Any) -> None:
    put(aws, "file", "a\n" + "".join(f"{n}\n" for n in range(5)))
    batcher = {"MaxItemsPerBatch": 3, "MaxInputBytesPerBatch": 55, "BatchInput": {"run": 1}}
    output = run(map_machine(csv_reader(), ItemBatcher=batcher), WHERE).output
    assert [len(batch["Items"]) for batch in output] == [2, 2, 1]  # 55 bytes hold two items
    assert all(len(json.dumps(batch, separators=(",", ":"))) <= 55 for batch in output)
    assert output[0]["BatchInput"] == {"run": 1}


def test_teststate_shows_batches_bounded_by_bytes_only() -> None:
    from asl.teststate import test_state

    processor = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}
    state = {"Type": "Map", "ItemProcessor": processor, "ItemBatcher": {"MaxInputBytesPerBatch": 60}, "End": True}
    result = test_state(state, input=["a" * 10] * 3, mock=[], inspection_level="DEBUG")
    assert [len(batch["Items"]) for batch in result.inspection_data["afterItemBatcher"]] == [2, 1]


# -- ResultWriter --------------------------------------------------------------------------


@pytest.mark.usefixtures("moto_url")
def test_result_writer_puts_manifest_and_results(aws: Any) -> None:
    put(aws, "file", "a\n1\n2\n")
    writer = {"Resource": WRITER, "Parameters": {"Bucket": "data", "Prefix": "out"}}
    output = run(map_machine(csv_reader(), ResultWriter=writer), WHERE).output
    assert set(output) == {"MapRunArn", "ResultWriterDetails"}
    details = output["ResultWriterDetails"]
    run_id = output["MapRunArn"].rsplit(":", 1)[-1]
    assert details == {"Bucket": "data", "Key": f"out/{run_id}/manifest.json"}
    s3 = aws("s3")
    manifest = json.loads(s3.get_object(Bucket="data", Key=details["Key"])["Body"].read())
    assert manifest["DestinationBucket"] == "data"
    assert manifest["MapRunArn"] == output["MapRunArn"]
    (succeeded,) = manifest["ResultFiles"]["SUCCEEDED"]
    assert succeeded["Key"] == f"out/{run_id}/SUCCEEDED_0.json"
    assert manifest["ResultFiles"]["FAILED"] == [] and manifest["ResultFiles"]["PENDING"] == []
    records = json.loads(s3.get_object(Bucket="data", Key=succeeded["Key"])["Body"].read())
    assert [json.loads(record["Output"]) for record in records] == [{"a": "1"}, {"a": "2"}]
    assert records[0]["Status"] == "SUCCEEDED" and records[0]["Input"] == '{"a":"1"}'


@pytest.mark.usefixtures("moto_url")
def test_result_writer_compact_jsonl_with_failures(aws: Any) -> None:
    put(aws, "file", "a\n1\n2\n")
    definition = map_machine(
        csv_reader(),
        ResultWriter={
            "Resource": WRITER,
            "Parameters": {"Bucket": "data", "Prefix": "out"},
            "WriterConfig": {"OutputType": "JSONL", "Transformation": "COMPACT"},
        },
        ToleratedFailurePercentage=100,
    )
    processor = definition["States"]["Each"]["ItemProcessor"]
    processor["States"] = {
        "Echo": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.a", "StringEquals": "2", "Next": "Bad"}],
            "Default": "Ok",
        },
        "Bad": {"Type": "Fail", "Error": "Two", "Cause": "no twos"},
        "Ok": {"Type": "Pass", "End": True},
    }
    processor["StartAt"] = "Echo"
    output = run(definition, WHERE).output
    run_id = output["MapRunArn"].rsplit(":", 1)[-1]
    s3 = aws("s3")
    failed = s3.get_object(Bucket="data", Key=f"out/{run_id}/FAILED_0.jsonl")["Body"].read().decode()
    assert [json.loads(line) for line in failed.splitlines()] == [{"Error": "Two", "Cause": "no twos"}]


# -- callables (aws off): issue 15 items 4 and 5 -------------------------------------------


def test_reader_parameters_are_evaluated_before_the_callable_gets_them() -> None:
    seen: list[Any] = []

    def reader(parameters: Any) -> list[int]:
        seen.append(parameters)
        return [1, 2]

    definition = map_machine({"Resource": READER, "Parameters": {"Bucket.$": "$.bucket", "Key": "k"}})
    execution = run(definition, {"bucket": "mine"}, aws=None, resources={READER: reader})
    assert execution.output == [1, 2]
    assert seen == [{"Bucket": "mine", "Key": "k"}]


def test_reader_arguments_are_evaluated_in_jsonata() -> None:
    seen: list[Any] = []
    definition = map_machine({"Resource": READER, "Arguments": {"Bucket": "{% $states.input.bucket %}"}})
    definition["QueryLanguage"] = "JSONata"
    execution = run(definition, {"bucket": "mine"}, aws=None, resources={READER: lambda p: seen.append(p) or [1]})
    assert execution.output == [1]
    assert seen == [{"Bucket": "mine"}]


def test_a_missing_reader_path_is_a_runtime_error() -> None:
    definition = map_machine({"Resource": READER, "Parameters": {"Bucket.$": "$.nope"}})
    execution = run(definition, {}, aws=None, resources={READER: lambda p: [1]})
    assert execution.error == "States.Runtime"
    assert "$.nope" in execution.cause


def test_result_writer_callable_gets_the_results_and_the_map_gives_aws_output() -> None:
    written: list[Any] = []
    definition = map_machine(
        {"Resource": READER, "Parameters": {}},
        ResultWriter={"Resource": WRITER, "Parameters": {"Bucket": "out-bucket", "Prefix.$": "$.prefix"}},
    )
    execution = run(
        definition,
        {"prefix": "runs"},
        aws=None,
        resources={READER: lambda p: [{"n": 1}], WRITER: lambda p: written.append(p)},
    )
    assert execution.status == "SUCCEEDED", execution.cause
    run_id = execution.output["MapRunArn"].rsplit(":", 1)[-1]
    assert execution.output["ResultWriterDetails"] == {"Bucket": "out-bucket", "Key": f"runs/{run_id}/manifest.json"}
    (payload,) = written
    assert payload["Bucket"] == "out-bucket" and payload["Prefix"] == "runs"
    assert [json.loads(r["Output"]) for r in payload["ResultFiles"]["SUCCEEDED"]] == [{"n": 1}]
