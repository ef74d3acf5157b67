"""`asl graph` and asl.diagram: Mermaid and DOT text, rule labels, clusters, and an execution's path."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import asl
from asl import cli, diagram

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(path.parent for path in (ROOT / "examples").glob("*/machine.asl.json"))
CASES = ROOT.parent / "shared" / "conformance" / "cases"
DOT = shutil.which("dot")
needs_dot = pytest.mark.skipif(DOT is None, reason="Graphviz's dot is not installed")

MACHINE: dict[str, Any] = {
    "StartAt": "Route",
    "States": {
        "Route": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.x", "NumericGreaterThan": 5, "Next": "Fan"},
                {"Not": {"Variable": "$.name", "StringEquals": "a<b"}, "Next": "Each"},
            ],
            "Default": "Stop",
        },
        "Fan": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": True}}},
                {"StartAt": "Right", "States": {"Right": {"Type": "Wait", "Seconds": 1, "End": True}}},
            ],
            "Catch": [{"ErrorEquals": ["States.Timeout", "Boom"], "Next": "Stop"}],
            "Next": "Each",
        },
        "Each": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}},
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
        "Stop": {"Type": "Fail", "Error": "Stopped"},
    },
}


def history(machine: asl.StateMachine, value: Any) -> list[dict[str, Any]]:
    execution = asl.run(machine, value, clock=asl.VirtualClock(0))
    return [event.to_dict() for event in execution.history]


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        ({"Variable": "$.x", "NumericGreaterThan": 5}, "$.x > 5"),
        ({"Variable": "$.x", "NumericLessThanEqualsPath": "$.y"}, "$.x <= $.y"),
        ({"Variable": "$.s", "StringEquals": "ok"}, '$.s == "ok"'),
        ({"Variable": "$.s", "StringMatches": "log-*"}, '$.s matches "log-*"'),
        ({"Variable": "$.t", "TimestampGreaterThanEquals": "2024-01-01T00:00:00Z"}, '$.t >= "2024-01-01T00:00:00Z"'),
        ({"Variable": "$.v", "IsPresent": False}, "$.v is absent"),
        ({"Variable": "$.v", "IsNull": True}, "$.v is null"),
        ({"Not": {"Variable": "$.b", "BooleanEquals": True}}, "not ($.b == true)"),
        (
            {"And": [{"Variable": "$.a", "NumericEquals": 1}, {"Variable": "$.b", "IsString": True}]},
            "($.a == 1) and ($.b is string)",
        ),
        ({"Condition": "{% $states.input.total > 100 %}"}, "$states.input.total > 100"),
    ],
)
def test_choice_rules_read_as_expressions(rule: dict[str, Any], text: str) -> None:
    assert diagram.rule_text(rule) == text


def test_dot_has_every_state_rule_catch_and_cluster() -> None:
    text = diagram.dot(asl.parse(MACHINE))
    for label in ('"Route\\nChoice"', '"Fan\\nParallel"', '"Left\\nPass"', '"Right\\nWait"', '"Item\\nPass"'):
        assert f"label={label}" in text
    assert 'label="$.x > 5"' in text
    assert 'label="not ($.name == \\"a<b\\")"' in text
    assert 'label="Default"' in text
    assert 'label="States.Timeout, Boom", style=dashed' in text
    assert text.count("subgraph cluster") == 5  # Parallel, 2 branches, Map, its processor
    assert 'label="items (inline)"' in text
    assert text.count("shape=circle") == 4 and text.count("shape=doublecircle") == 4  # start/end markers


def test_mermaid_has_every_state_rule_catch_and_subgraph() -> None:
    text = diagram.mermaid(asl.parse(MACHINE))
    assert text.startswith("flowchart TD\n")
    assert '{"Route<br/>Choice"}' in text and '[["Fan<br/>Parallel"]]' in text
    assert '-->|"$.x #gt; 5"|' in text
    assert '-->|"not ($.name == #quot;a#lt;b#quot;)"|' in text
    assert '-.->|"States.Timeout, Boom"|' in text
    assert text.count("subgraph ") == 5 and text.count("\n    end\n") == 2
    assert "(((start)))" in text and "(((end)))" in text


def test_execution_colours_its_path_and_counts_entries() -> None:
    looping = asl.parse(
        {
            "StartAt": "Count",
            "States": {
                "Count": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Enough"},
                "Enough": {
                    "Type": "Choice",
                    "Choices": [
                        {"Variable": "$.n", "NumericGreaterThanEquals": 3, "Next": "Fail"},
                        {"Variable": "$.n", "NumericLessThan": 0, "Next": "Unused"},
                    ],
                    "Default": "Count",
                },
                "Fail": {"Type": "Fail", "Error": "Done"},
                "Unused": {"Type": "Succeed"},
            },
        }
    )
    run = diagram.trace(history(looping, {"n": 0}))
    assert run.entered == {"Count": 3, "Enough": 3, "Fail": 1}
    assert run.failed == {"Fail"} and run.status == "FAILED"
    assert ("Enough", "Count") in run.transitions and ("Count", "Enough") in run.transitions
    text = diagram.dot(looping, run)
    assert 'label="Count\\nPass ×3"' in text
    assert 'label="Fail\\nFail", shape=oval, fillcolor="#f8d7da"' in text
    assert 'label="Unused\\nSucceed", shape=oval];' in text  # never entered: not coloured
    assert text.count("penwidth=2.5") == 5  # start, Count->Enough, Enough->Count, Enough->Fail, Fail->end
    mermaid = diagram.mermaid(looping, run)
    assert "class s3,s4 visited" in mermaid and "class s5 failed" in mermaid
    assert "linkStyle 0,1,2,4,5 stroke:#2e7d32" in mermaid  # not 3: Enough -> Unused


def test_a_state_left_open_by_a_failure_is_marked_failed() -> None:
    machine = asl.parse(MACHINE)
    run = diagram.trace(history(machine, {"x": 9, "name": "z"}))  # the Map finds no $.items
    assert run.failed == {"Each"} and run.entered["Left"] == 1


def test_cli_graph_formats_and_execution(tmp_path: Path) -> None:
    machine = tmp_path / "m.json"
    machine.write_text(json.dumps(MACHINE))
    events = tmp_path / "h.json"
    events.write_text(json.dumps({"events": history(asl.parse(MACHINE), {"x": 1, "name": "a<b"})}))
    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["graph", str(machine)], stdout=out, stderr=err) == 0
    assert out.getvalue() == diagram.mermaid(asl.parse(MACHINE))
    out = io.StringIO()
    assert cli.main(["graph", str(machine), "--format", "dot", "--execution", str(events)], stdout=out) == 0
    assert 'label="Stop\\nFail", shape=oval, fillcolor="#f8d7da"' in out.getvalue()


def test_cli_graph_failures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    machine = tmp_path / "m.json"
    machine.write_text(json.dumps(MACHINE))
    not_history = tmp_path / "n.json"
    not_history.write_text('{"id": 1}')

    def run(*argv: str) -> tuple[int, str]:
        err = io.StringIO()
        return cli.main(list(argv), stdout=io.StringIO(), stderr=err), err.getvalue()

    assert run("graph", str(machine), "--execution", str(not_history)) == (
        3,
        f"asl: --execution {not_history}: not a history "
        '({"events": [...]} as `asl run --history` writes, or a JSON list of events)\n',
    )
    assert run("graph", str(tmp_path / "none.json"))[0] == 3
    assert run("graph", str(machine), "--format", "png")[0] == 2
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    status, err = run("graph", str(machine), "--format", "svg")
    assert status == 5 and err.startswith("asl: --format svg needs Graphviz")


@needs_dot
def test_cli_svg_runs_graphviz(tmp_path: Path) -> None:
    machine = tmp_path / "m.json"
    machine.write_text(json.dumps(MACHINE))
    out = io.StringIO()
    assert cli.main(["graph", str(machine), "--format", "svg"], stdout=out) == 0
    assert "<svg" in out.getvalue() and "Route" in out.getvalue()


def _conformance_definitions(count: int = 100) -> list[Path]:
    if not CASES.is_dir():
        return []
    return sorted(CASES.glob("*.json"))[:count]


def _dot_accepts(text: str) -> None:
    assert DOT is not None
    done = subprocess.run([DOT, "-Tsvg"], input=text, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "<svg" in done.stdout


@needs_dot
@pytest.mark.parametrize("folder", EXAMPLES, ids=lambda path: path.name)
def test_dot_accepts_every_example(folder: Path) -> None:
    machine = asl.parse(folder / "machine.asl.json")
    _dot_accepts(diagram.dot(machine))


@needs_dot
def test_dot_accepts_100_conformance_definitions() -> None:
    paths = _conformance_definitions()
    if not paths:
        pytest.skip("shared/conformance/cases is not beside the repository")
    # One dot process for all of them: each definition is one graph in the stream.
    texts = []
    for path in paths:
        definition = json.loads(path.read_text())["definition"]
        try:
            machine = asl.parse(definition)
        except asl.DefinitionError:
            continue
        texts.append(diagram.dot(machine))
        diagram.mermaid(machine)  # builds without error too
    assert len(texts) >= 90
    _dot_accepts("".join(texts))


def test_cli_graph_refuses_a_history_of_another_machine(tmp_path: Path) -> None:
    machine = tmp_path / "m.json"
    machine.write_text(json.dumps(MACHINE))
    other = {"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "Next": "Bye"}, "Bye": {"Type": "Succeed"}}}
    events = tmp_path / "other.json"
    events.write_text(json.dumps({"events": history(asl.parse(other), {})}))
    out, err = io.StringIO(), io.StringIO()
    status = cli.main(["graph", str(machine), "--execution", str(events)], stdout=out, stderr=err)
    assert (status, out.getvalue()) == (2, "")
    assert err.getvalue() == (
        f"asl: --execution {events}: this history is not of {machine}: it enters states the machine does not have "
        "('Bye', 'Hello')\n"
    )


def test_cli_graph_reads_a_bare_list_of_events_too(tmp_path: Path) -> None:
    machine = tmp_path / "m.json"
    machine.write_text(json.dumps(MACHINE))
    events = tmp_path / "h.json"
    listed = history(asl.parse(MACHINE), {"x": 1, "name": "a"})
    events.write_text(json.dumps(listed))
    out = io.StringIO()
    assert cli.main(["graph", str(machine), "--execution", str(events)], stdout=out, stderr=io.StringIO()) == 0
    assert out.getvalue() == diagram.mermaid(asl.parse(MACHINE), diagram.trace(listed))
