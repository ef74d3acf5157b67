"""Task resources for the ETL example: plain functions, deterministic.

Those that run side by side (in a Parallel branch or a Map iteration) are async: sync
ones run in worker threads, whose finishing order is up to the threads, and async ones
keep the same order every run, so a seeded run under virtual time repeats event for event.

Run: python -m asl run examples/etl_batch/machine.asl.json --input examples/etl_batch/input.json \
         --resources examples.etl_batch.resources:RESOURCES --virtual-time --seed 7
"""

from __future__ import annotations

from typing import Any

from asl import TaskFailed

# What the extract step "downloads": eight sales records, one of them broken.
SALES = [
    {"id": "S-1", "sku": "BOOK-42", "quantity": 2, "unitPrice": 12.5},
    {"id": "S-2", "sku": "MUG-7", "quantity": 1, "unitPrice": 8.0},
    {"id": "S-3", "sku": "LAMP-1", "quantity": 1, "unitPrice": 49.99},
    {"id": "S-4", "sku": "BOOK-42", "quantity": -3, "unitPrice": 12.5},
    {"id": "S-5", "sku": "PEN-3", "quantity": 10, "unitPrice": 1.2},
    {"id": "S-6", "sku": "MUG-7", "quantity": 4, "unitPrice": 8.0},
    {"id": "S-7", "sku": "DESK-9", "quantity": 1, "unitPrice": 230.0},
    {"id": "S-8", "sku": "PEN-3", "quantity": 5, "unitPrice": 1.2},
]
RATES = {"EUR": 1.0, "USD": 1.08}


def extract_batch(event: dict[str, Any]) -> dict[str, Any]:
    return {"batchId": f"{event['date']}-{event['source'].rsplit('/', 1)[-1]}", "records": SALES}


async def validate_record(item: dict[str, Any]) -> dict[str, Any]:
    record = item["record"]
    if record["quantity"] <= 0:
        raise TaskFailed("InvalidRecord", f"Record {record['id']} has quantity {record['quantity']}.")
    return item


async def transform_record(event: dict[str, Any]) -> dict[str, Any]:
    """The warehouse throttles the first write of every third record; Retry absorbs it."""
    record = event["record"]
    if event["attempt"] == 0 and int(record["id"].split("-")[1]) % 3 == 0:
        raise TaskFailed("WarehouseThrottled", "Rate exceeded.")
    amount = round(record["quantity"] * record["unitPrice"] * RATES[event["currency"]], 2)
    return {"id": record["id"], "sku": record["sku"], "amount": amount, "currency": event["currency"]}


def load_warehouse(event: dict[str, Any]) -> dict[str, Any]:
    """Rows that failed arrive as {"Error", "Cause"}: they are counted, not loaded."""
    good = [row for row in event["rows"] if "Error" not in row]
    return {
        "loaded": len(good),
        "rejected": len(event["rows"]) - len(good),
        "revenue": round(sum(row["amount"] for row in good), 2),
    }


RESOURCES = {
    "ExtractBatch": extract_batch,
    "ValidateRecord": validate_record,
    "TransformRecord": transform_record,
    "LoadWarehouse": load_warehouse,
}
