"""Every definition of the conformance suite was accepted by AWS: validation must accept it too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asl import validation

# ../shared next to the repository root: tests/ -> repo -> its parent.
CASES = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "cases"
FILES = sorted(CASES.glob("*.json")) if CASES.is_dir() else []


@pytest.mark.skipif(not FILES, reason=f"no conformance cases at {CASES}")
@pytest.mark.parametrize("case", FILES, ids=[path.stem for path in FILES])
def test_aws_accepted_definition_has_no_problem(case: Path) -> None:
    definition = json.loads(case.read_text(encoding="utf-8"))["definition"]
    assert validation.validate(definition) == ()
