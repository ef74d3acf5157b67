"""Task resources for the security incident example: plain functions, deterministic.

Those that run side by side (in a Parallel branch or a Map iteration) are async: sync
ones run in worker threads, whose finishing order is up to the threads, and async ones
keep the same order every run, so a seeded run under virtual time repeats event for event.

Run: python -m asl run examples/security_incident/machine.asl.json \
         --input examples/security_incident/input.json \
         --resources examples.security_incident.resources:RESOURCES --virtual-time
"""

from __future__ import annotations

from typing import Any

from asl import TaskFailed


def triage_alert(event: dict[str, Any]) -> dict[str, Any]:
    alert = event["alert"]
    score = min(10, alert["findings"] // 2)
    severity = "low" if score < 3 else "high" if score >= 7 else "medium"
    return {"incidentId": f"INC-{alert['id']}", "score": score, "severity": severity}


def investigate(event: dict[str, Any]) -> dict[str, Any]:
    return {"confirmed": True, "notes": f"{event['alert']['type']} on {event['alert']['host']}"}


async def isolate_host(event: dict[str, Any]) -> dict[str, Any]:
    if not event["host"].startswith("i-"):
        raise TaskFailed("HostNotFound", f"No instance {event['host']}.")
    return {"isolated": True, "securityGroup": "sg-quarantine"}


async def revoke_credentials(event: dict[str, Any]) -> dict[str, Any]:
    return {"revokedKeys": [f"{event['principal']}-key-1", f"{event['principal']}-key-2"]}


async def snapshot_disk(event: dict[str, Any]) -> dict[str, Any]:
    return {"snapshotId": f"snap-{event['host'][2:10]}"}


def approve_remediation(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Policy stands in for the approver, who answers the task token: contained incidents below
    critical are approved."""
    contained = event["containment"]["isolated"] and bool(event["containment"]["snapshotId"])
    approved = contained and event["severity"] != "critical"
    context.send_task_success({"approved": approved, "approver": "security-lead" if approved else None})
    return {"notified": event["taskToken"] == context.task_token}


def remediate(event: dict[str, Any]) -> dict[str, Any]:
    return {"host": f"{event['host']}-rebuilt", "fromSnapshot": event["snapshotId"]}


RESOURCES = {
    "TriageAlert": triage_alert,
    "Investigate": investigate,
    "IsolateHost": isolate_host,
    "RevokeCredentials": revoke_credentials,
    "SnapshotDisk": snapshot_disk,
    "ApproveRemediation": approve_remediation,
    "Remediate": remediate,
}
