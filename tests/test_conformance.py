"""Every shared conformance case (AWS-recorded executions) run through asl.parse / asl.run.

The cases live next to the repository, in ../shared/conformance; without them this test is
skipped. Deselect it with `-m "not conformance"`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

import asl

pytestmark = pytest.mark.conformance

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "conformance"
FILES = sorted((SHARED / "cases").glob("*.json")) if (SHARED / "cases").is_dir() else []
CASES: list[dict[str, Any]] = [json.loads(path.read_text(encoding="utf-8")) for path in FILES]


def _helpers() -> tuple[Any, Any]:
    """`lambda_handler` and `compare` from the shared runner, importable once its folder is on sys.path."""
    if str(SHARED) not in sys.path:
        sys.path.insert(0, str(SHARED))
    from compare import compare  # type: ignore[import-not-found]
    from run import lambda_handler  # type: ignore[import-not-found]

    return lambda_handler, compare


# A case that starts a child state machine needs `machines=` (nested executions, issue 18): the
# shared runner counts it as unsupported until asl.run takes that keyword, and so does this test.
NEEDS_MACHINES = pytest.mark.skip(reason="starts a child state machine: needs asl.run(machines=...)")


@pytest.mark.skipif(not CASES, reason=f"no conformance cases at {SHARED / 'cases'}")
@pytest.mark.parametrize(
    "case",
    [pytest.param(case, marks=NEEDS_MACHINES) if "machines" in case else case for case in CASES],
    ids=[case["name"] for case in CASES],
)
def test_conformance_case_matches_aws(case: dict[str, Any]) -> None:
    lambda_handler, compare = _helpers()
    resources = {name: lambda_handler(behaviour) for name, behaviour in (case.get("resources") or {}).items()}
    machine = asl.parse(case["definition"])
    execution = asl.run(machine, case["input"], resources=resources, clock=asl.VirtualClock())
    ok, reason = compare(case, execution.status.value, execution.output, execution.error, execution.cause)
    assert ok, f"{reason} (status {execution.status.value}, error {execution.error!r}, cause {execution.cause!r})"
