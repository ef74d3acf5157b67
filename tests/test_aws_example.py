"""The S3 ETL example (examples/etl_s3) runs end to end against moto's server, from the command line."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from asl import cli
from aws_server import aws, moto_url  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("moto_url")
EXAMPLE = "examples/etl_s3"


def test_etl_from_s3_to_dynamodb_with_results_in_s3(aws: Any) -> None:
    from examples.etl_s3 import setup

    setup.main()
    out, err = io.StringIO(), io.StringIO()
    argv = ["run", f"{EXAMPLE}/etl.asl.json", "--input", f"{EXAMPLE}/input.json", "--aws", "--virtual-time"]
    status = cli.main(argv, stdout=out, stderr=err)
    assert (status, err.getvalue()) == (0, "")
    report = json.loads(out.getvalue())
    assert report["source"] == "s3://sales-exports/eu-west/2024-03-01.csv"
    stored = aws("dynamodb").scan(TableName="Sales")["Items"]
    assert sorted(item["id"]["S"] for item in stored) == ["S-1", "S-2", "S-3", "S-5", "S-6", "S-7", "S-8"]
    s3 = aws("s3")
    manifest = json.loads(s3.get_object(Bucket=report["resultsBucket"], Key=report["manifest"])["Body"].read())
    files = manifest["ResultFiles"]
    succeeded = json.loads(s3.get_object(Bucket="sales-exports", Key=files["SUCCEEDED"][0]["Key"])["Body"].read())
    failed = json.loads(s3.get_object(Bucket="sales-exports", Key=files["FAILED"][0]["Key"])["Body"].read())
    assert sorted(json.loads(record["Output"]) for record in succeeded) == sorted(
        ["S-1", "S-2", "S-3", "S-5", "S-6", "S-7", "S-8"]
    )
    assert [record["Error"] for record in failed] == ["DynamoDB.AmazonDynamoDBException"]
