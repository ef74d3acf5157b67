"""Task resources for the order example: plain functions, deterministic (no clock, no randomness).

Run: python -m asl run examples/order/machine.asl.json --input examples/order/input.json \
         --resources examples.order.resources:RESOURCES --virtual-time
"""

from __future__ import annotations

from typing import Any

from asl import TaskFailed

STOCK = {"BOOK-42": 10, "MUG-7": 3, "LAMP-1": 0}


def verify_order(order: dict[str, Any]) -> dict[str, Any]:
    """Check every item is known and in stock; the result's total is what ChargeCard charges."""
    items = order.get("items") or []
    if not items:
        raise TaskFailed("OrderInvalid", "The order has no items.")
    for item in items:
        if item["sku"] not in STOCK:
            raise TaskFailed("OrderInvalid", f"Unknown product {item['sku']}.")
        if STOCK[item["sku"]] < item["quantity"]:
            raise TaskFailed("OrderInvalid", f"Only {STOCK[item['sku']]} of {item['sku']} in stock.")
    total = round(sum(item["quantity"] * item["price"] for item in items), 2)
    return {"valid": True, "total": total, "itemCount": sum(item["quantity"] for item in items)}


def charge_card(event: dict[str, Any]) -> dict[str, Any]:
    """The payment gateway times out on the first attempt (Retry absorbs it); cards ending 0000 are declined."""
    if event["attempt"] == 0:
        raise TaskFailed("PaymentGatewayTimeout", "The payment gateway did not answer in time.")
    if event["card"].endswith("0000"):
        raise TaskFailed("PaymentDeclined", "The card issuer declined the charge.")
    return {"chargeId": f"ch_{event['orderId'].lower()}", "amount": event["amount"]}


def ship_order(event: dict[str, Any]) -> dict[str, Any]:
    """Book a parcel; addresses without a street number cannot be delivered."""
    if not any(character.isdigit() for character in event["address"]):
        raise TaskFailed("AddressUndeliverable", f"No street number in {event['address']!r}.")
    parcels = sum(item["quantity"] for item in event["items"])
    return {"carrier": "ParcelCo", "trackingNumber": f"PC-{event['orderId'][-4:]}-{parcels:03d}"}


def record_order(event: dict[str, Any]) -> dict[str, Any]:
    return {"recordId": f"rec-{event['orderId']}", "stored": True}


def refund_charge(event: dict[str, Any]) -> dict[str, Any]:
    return {"refunded": event["chargeId"], "reason": event["reason"]}


RESOURCES = {
    "VerifyOrder": verify_order,
    "ChargeCard": charge_card,
    "ShipOrder": ship_order,
    "RecordOrder": record_order,
    "RefundCharge": refund_charge,
}
