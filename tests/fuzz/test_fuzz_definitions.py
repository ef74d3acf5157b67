"""Arbitrary JSON and near-valid definitions (mutations of generated machines and of the
conformance suite's definitions) into validate and parse: validate never raises, parse gives a
StateMachine exactly when validate finds no problem, and what parses also runs cleanly."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

import asl
from asl.context import JSON
from asl.errors import AslError, DefinitionError
from strategies import json_values

from . import examples
from .machines import Outcomes, inputs, machines, mutated, outcomes
from .test_fuzz_executions import check_ended_well

CASES = Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "cases"
DEFINITIONS = (
    [json.loads(path.read_text(encoding="utf-8"))["definition"] for path in sorted(CASES.glob("*.json"))]
    if CASES.is_dir()
    else []
)
LIMITS = asl.Limits(transitions=300, history_events=3_000)


def check_definition(document: Any) -> asl.StateMachine | None:
    """validate and parse agree; returns the machine when the definition is valid."""
    problems = asl.validate(document)
    assert isinstance(problems, tuple)
    assert all(isinstance(problem, asl.Problem) and str(problem) for problem in problems)
    try:
        machine = asl.parse(document)
    except DefinitionError as error:
        assert error.problems, "a DefinitionError names at least one problem"
        assert problems, f"parse refused what validate accepted: {error}"
        return None
    assert not problems, f"parse accepted what validate refused: {problems}"
    return machine


def run_guarded(machine: asl.StateMachine, value: JSON, script: list[Any]) -> None:
    """Run with scripted Tasks that never hang; a run still going after 10 s of real time is a
    hang of ours (a bug): the definition may have no TimeoutSeconds."""
    answers = Outcomes([step if step.kind != "hang" else replace(step, kind="return") for step in script])

    async def main() -> asl.Execution:
        async with asl.start(
            machine, value, clock=asl.VirtualClock(0), limits=LIMITS, task_override=answers
        ) as execution:
            answers.execution = execution
            with anyio.move_on_after(10):
                await execution.wait()
            assert execution.done, "the execution did not end within 10 s of real time"
        return execution

    execution: asl.Execution | None = None
    try:
        execution = anyio.run(main)
    except* AslError:  # refused before the start (asl.start raises it inside an ExceptionGroup)
        pass
    if execution is not None:
        check_ended_well(execution)


@examples(ci=200, long=100_000)
@given(json_values)
def test_arbitrary_json_is_a_definition_or_a_list_of_problems(document: JSON) -> None:
    check_definition(document)


@examples(ci=200, long=500_000)
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(lambda text: "{" + text)))
def test_arbitrary_text_is_a_definition_or_a_list_of_problems(text: str | bytes) -> None:
    check_definition(text)


@examples(ci=150, long=20_000)
@given(machines().flatmap(lambda definition: st.tuples(st.just(definition), mutated(definition))), inputs, outcomes)
def test_mutated_machines_validate_and_run_cleanly(pair: tuple[Any, Any], value: JSON, script: list[Any]) -> None:
    original, document = pair
    assert check_definition(original) is not None
    machine = check_definition(document)
    if machine is not None:
        run_guarded(machine, value, script)


@examples(ci=100, long=20_000)
@given(machines().map(json.dumps), st.data())
def test_mutated_definition_text_validates_cleanly(text: str, data: st.DataObject) -> None:
    """Byte-level damage to JSON text: cut, duplicated, or a character replaced."""
    where = data.draw(st.integers(0, len(text)))
    edit = data.draw(st.sampled_from(["cut", "dup", "replace"]))
    if edit == "cut":
        damaged = text[:where]
    elif edit == "dup":
        damaged = text[:where] + text[where // 2 :]
    else:
        damaged = (
            text[:where]
            + data.draw(st.sampled_from(['"', "{", "}", "[", ",", ":", "\\", "\x00", "é", "1"]))
            + text[where + 1 :]
        )
    check_definition(damaged.encode())


@pytest.mark.skipif(not DEFINITIONS, reason=f"no conformance cases at {CASES}")
@examples(ci=150, long=5_000)
@given(st.data(), inputs, outcomes)
def test_mutated_conformance_definitions_validate_and_run_cleanly(
    data: st.DataObject, value: JSON, script: list[Any]
) -> None:
    original = data.draw(st.sampled_from(DEFINITIONS), label="definition")
    document = data.draw(st.one_of(st.just(original), mutated(original)), label="mutated")
    machine = check_definition(document)
    if machine is not None:
        run_guarded(machine, value, script)
