"""Create what the S3 ETL example reads and writes: a bucket holding the sales CSV, and a DynamoDB table.

Uses boto3's own configuration, so point it at a local endpoint first, e.g. moto's server:

    python -m moto.server -p 5000 &
    export AWS_ENDPOINT_URL=http://127.0.0.1:5000 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
        AWS_DEFAULT_REGION=us-east-1
    python -m examples.etl_s3.setup
    python -m asl run examples/etl_s3/etl.asl.json --input examples/etl_s3/input.json --aws --virtual-time
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    """Make the bucket, upload sales.csv, make the table (each only if it is missing)."""
    import boto3

    settings = json.loads((HERE / "input.json").read_text())
    s3, dynamodb = boto3.client("s3"), boto3.client("dynamodb")
    if settings["bucket"] not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=settings["bucket"])
    s3.put_object(Bucket=settings["bucket"], Key=settings["key"], Body=(HERE / "sales.csv").read_bytes())
    if settings["table"] not in dynamodb.list_tables()["TableNames"]:
        dynamodb.create_table(
            TableName=settings["table"],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.get_waiter("table_exists").wait(TableName=settings["table"])


if __name__ == "__main__":
    main()
