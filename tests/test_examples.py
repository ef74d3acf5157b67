"""Every example under examples/ runs through `asl run` (in-process) to its documented output."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from asl import cli

ROOT = Path(__file__).resolve().parents[1]

EXPECTED: dict[str, Any] = {
    "approval": {"purchase": "laptop for the new hire", "status": "ORDERED", "orderId": "PO-001450"},
    "order": {
        "orderId": "ORD-1001",
        "status": "FULFILLED",
        "total": 33.0,
        "chargeId": "ch_ord-1001",
        "trackingNumber": "PC-1001-003",
        "recordId": "rec-ORD-1001",
    },
    "bank_account": {
        "accountNumber": "GB-08995984",
        "product": "CURRENT_ACCOUNT",
        "status": "OPEN",
        "reviewedBy": "reviewer-on-duty",
        "welcomeMessageId": "welcome-GB-08995984",
    },
    "etl_batch": {"batchId": "2024-03-01-eu-west", "extracted": 8, "loaded": 7, "rejected": 1, "revenue": 362.99},
    "support_case": {
        "id": "CASE-3203",
        "customer": "C-4211",
        "status": "closed",
        "history": ["open", "assigned", "pending", "pending", "resolved", "closed"],
        "agent": "first-line",
        "rounds": 3,
    },
    "security_incident": {
        "incidentId": "INC-GD-5521",
        "status": "CLOSED",
        "action": "remediated",
        "approvedBy": "security-lead",
        "snapshotId": "snap-0abc123d",
        "rebuiltHost": "i-0abc123def4567890-rebuilt",
    },
}


# What a person types when `asl run` asks for the answer to a task token (the approval step).
ANSWERS = {"approval": 'success {"approved": true}\n'}


@pytest.fixture(autouse=True)
def repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the documented command lines run from the repository root
    monkeypatch.syspath_prepend(str(ROOT))  # and tests import the examples' modules directly


def run_example(
    name: str, *extra: str, input_file: str | None = None, answers: str | None = None
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    stdin = io.StringIO(ANSWERS.get(name, "") if answers is None else answers)
    argv = [
        "run", f"examples/{name}/machine.asl.json",
        "--input", input_file or f"examples/{name}/input.json",
        "--resources", f"examples.{name}.resources:RESOURCES",
        "--virtual-time", *extra,
    ]  # fmt: skip
    status = cli.main(argv, stdout=out, stderr=err, stdin=stdin)
    return status, out.getvalue(), err.getvalue()


def test_every_example_folder_is_covered() -> None:
    folders = {path.parent.name for path in (ROOT / "examples").glob("*/machine.asl.json")}
    assert folders == set(EXPECTED)
    for name in folders:
        assert (ROOT / "examples" / name / "input.json").is_file()
        assert (ROOT / "examples" / name / "resources.py").is_file()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs_to_its_output(name: str) -> None:
    status, out, err = run_example(name)
    assert status == 0
    if name in ANSWERS:  # the question asked on stderr
        assert "asl: state 'RequestApproval' waits for task token " in err
    else:
        assert err == ""
    assert json.loads(out) == EXPECTED[name]


def test_approval_without_an_answer_expires_after_a_day_of_virtual_time() -> None:
    status, out, err = run_example("approval", answers="")
    assert (status, json.loads(out)["status"]) == (0, "EXPIRED")
    assert "asl: standard input ended; the task token stays unanswered" in err


def test_approval_refused_by_the_approver() -> None:
    status, out, _ = run_example("approval", answers="failure Refused over budget\n")
    assert (status, json.loads(out)["status"]) == (0, "REJECTED")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_is_deterministic(name: str, tmp_path: Path) -> None:
    histories = []
    for attempt in range(2):
        path = tmp_path / f"history{attempt}.json"
        assert run_example(name, "--seed", "11", "--name", "example", "--history", str(path))[0] == 0
        events = json.loads(path.read_text())["events"]
        histories.append([{k: v for k, v in event.items() if k != "timestamp"} for event in events])
    assert histories[0] == histories[1]


def test_order_retries_the_gateway_then_succeeds(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    run_example("order", "--history", str(path))
    types = [event["type"] for event in json.loads(path.read_text())["events"]]
    assert types.count("TaskFailed") == 1 and types.count("TaskScheduled") == 2  # ChargeCard via lambda:invoke


def test_order_with_a_declined_card_is_rejected(tmp_path: Path) -> None:
    order = json.loads((ROOT / "examples/order/input.json").read_text())
    order["payment"]["card"] = "4000-0000-0000-0000"
    declined = tmp_path / "declined.json"
    declined.write_text(json.dumps(order))
    assert run_example("order", input_file=str(declined)) == (
        1,
        "",
        "asl: execution FAILED: OrderRejected: The card issuer declined the charge.\n",
    )


def test_order_with_an_undeliverable_address_is_refunded(tmp_path: Path) -> None:
    order = json.loads((ROOT / "examples/order/input.json").read_text())
    order["shipping"]["address"] = "Nowhere Lane"
    path, history = tmp_path / "order.json", tmp_path / "history.json"
    path.write_text(json.dumps(order))
    status, _, err = run_example("order", "--history", str(history), input_file=str(path))
    assert (status, err) == (
        1,
        "asl: execution FAILED: ShippingFailed: The order could not be shipped; the charge was refunded.\n",
    )
    entered = [
        e["stateEnteredEventDetails"]["name"]
        for e in json.loads(history.read_text())["events"]
        if e["type"].endswith("StateEntered")
    ]
    assert entered[-2:] == ["RefundCharge", "ShippingFailed"]


def test_bank_account_without_flags_skips_review(tmp_path: Path) -> None:
    application = json.loads((ROOT / "examples/bank_account/input.json").read_text())
    application["applicant"]["address"] = "1 Harbour Street, Arlington"
    path = tmp_path / "clean.json"
    path.write_text(json.dumps(application))
    status, out, _ = run_example("bank_account", input_file=str(path))
    assert status == 0 and json.loads(out)["reviewedBy"] == "nobody"


def test_bank_account_with_an_unwaivable_flag_is_rejected(tmp_path: Path) -> None:
    application = json.loads((ROOT / "examples/bank_account/input.json").read_text())
    application["applicant"]["name"] = "R2D2"
    path = tmp_path / "robot.json"
    path.write_text(json.dumps(application))
    assert run_example("bank_account", input_file=str(path)) == (
        1,
        "",
        "asl: execution FAILED: ApplicationRejected: Cannot waive NAME_FORMAT, PO_BOX.\n",
    )


def test_etl_batch_with_too_many_bad_records_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from examples.etl_batch import resources

    broken = [{**record, "quantity": -1} for record in resources.SALES[:3]] + resources.SALES[3:]
    monkeypatch.setattr(resources, "SALES", broken)
    status, _, err = run_example("etl_batch")
    assert status == 1
    assert err == "asl: execution FAILED: BatchRejected: The specified tolerated failure threshold was exceeded\n"


def test_low_severity_alert_is_logged_and_closed(tmp_path: Path) -> None:
    alert = json.loads((ROOT / "examples/security_incident/input.json").read_text())
    alert["alert"]["findings"] = 2
    path = tmp_path / "low.json"
    path.write_text(json.dumps(alert))
    status, out, _ = run_example("security_incident", input_file=str(path))
    assert status == 0 and json.loads(out) == {"incidentId": "INC-GD-5521", "status": "CLOSED", "action": "logged"}
