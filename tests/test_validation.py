"""validation: every problem at once, each with a stable code and the JSON Pointer of its node."""

from __future__ import annotations

import contextlib
import json
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import asl
from asl import validation, validation_schema
from asl.errors import DefinitionError, Problem
from strategies import json_values, texts

INVALID = Path(__file__).parent / "invalid"
FIXTURES = sorted(INVALID.glob("*.json"))

ARN = "arn:aws:lambda:us-east-1:123456789012:function:work"
PROCESSOR = {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}}

# The JSONata engine raises the recursion limit the first time it runs; Hypothesis warns when that
# happens inside a test, so let it happen here, before any.
validation.validate(
    {
        "QueryLanguage": "JSONata",
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Output": "{% 1 %}", "End": True}},
    }
)


def codes(definition: Any) -> set[tuple[str, str]]:
    return {(problem.code, problem.path) for problem in validation.validate(definition)}


# -- one defect per fixture ----------------------------------------------------------------------


def test_there_are_enough_invalid_fixtures() -> None:
    assert len(FIXTURES) >= 60


@pytest.mark.parametrize("fixture", FIXTURES, ids=[path.stem for path in FIXTURES])
def test_invalid_definition_is_reported_at_its_pointer(fixture: Path) -> None:
    case = json.loads(fixture.read_text(encoding="utf-8"))
    problems = validation.validate(case["definition"])
    assert problems, "the definition was accepted"
    assert (case["code"], case["pointer"]) in {(p.code, p.path) for p in problems}, problems


# -- load ----------------------------------------------------------------------------------------


def test_load_returns_a_dict_unchanged() -> None:
    definition = {"StartAt": "A", "States": {}}
    assert validation.load(definition) is definition


def test_load_reads_text_bytes_and_paths(tmp_path: Path) -> None:
    text = '\n  {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}'
    file = tmp_path / "machine.json"
    file.write_text(text, encoding="utf-8")
    expected = json.loads(text)
    assert validation.load(text) == expected
    assert validation.load(text.encode()) == expected
    assert validation.load(file) == expected
    assert validation.load(str(file)) == expected


def test_load_reports_bad_json_with_line_and_column() -> None:
    with pytest.raises(DefinitionError) as caught:
        validation.load('{"StartAt": "A",\n  "States": {,}}')
    (problem,) = caught.value.problems
    assert problem.code == "INVALID_JSON"
    assert "line 2, column 14" in problem.message


@pytest.mark.parametrize("text", ['{"a": NaN}', '{"a": Infinity}', b'{"a": "\xff"}'])
def test_load_refuses_what_is_not_strict_json(text: str | bytes) -> None:
    with pytest.raises(DefinitionError) as caught:
        validation.load(text)
    assert [p.code for p in caught.value.problems] == ["INVALID_JSON"]


def test_load_reports_every_duplicate_key_with_its_pointer() -> None:
    text = '{"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "A": {"Type": "Fail", "Error": "x", "Error": "y"}}}'
    with pytest.raises(DefinitionError) as caught:
        validation.load(text)
    assert {(p.code, p.path) for p in caught.value.problems} == {
        ("DUPLICATE_KEY", "/States/A"),
        ("DUPLICATE_KEY", "/States/A/Error"),
    }


def test_load_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError) as caught:
        validation.load(tmp_path / "absent.json")
    (problem,) = caught.value.problems
    assert problem.code == "FILE_NOT_FOUND"
    assert "absent.json" in problem.message


def test_validate_turns_unloadable_input_into_problems(tmp_path: Path) -> None:
    assert [p.code for p in validation.validate("{oops")] == ["INVALID_JSON"]
    assert [p.code for p in validation.validate(tmp_path)] == ["FILE_NOT_FOUND"]
    assert [p.code for p in validation.validate("[" * 100_000)] == ["FILE_NOT_FOUND"]  # not `{`: a path
    assert [p.code for p in validation.validate("{" + "[" * 100_000)] == ["INVALID_JSON"]


# -- accepted definitions ------------------------------------------------------------------------


def test_a_definition_using_every_feature_is_valid() -> None:
    definition = {
        "Comment": "everything at once",
        "Version": "1.0",
        "TimeoutSeconds": 600,
        "StartAt": "Prepare",
        "States": {
            "Prepare": {
                "Type": "Pass",
                "Parameters": {"list.$": "States.Array(1, 2, 3)", "nested": [{"id.$": "$$.Execution.Id"}]},
                "ResultPath": "$.prepared",
                "Assign": {"count.$": "States.ArrayLength($.prepared.list)", "nested": {"x.$": "$.a"}},
                "Next": "Call",
            },
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": ARN, "Payload.$": "$"},
                "ResultSelector": {"body.$": "$.Payload"},
                "ResultPath": "$.called",
                "TimeoutSecondsPath": "$.timeout",
                "HeartbeatSeconds": 10,
                "Credentials": {"RoleArn.$": "$.role"},
                "Retry": [
                    {"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 2, "MaxAttempts": 0},
                    {
                        "ErrorEquals": ["States.ALL"],
                        "BackoffRate": 1.5,
                        "MaxDelaySeconds": 30,
                        "JitterStrategy": "FULL",
                    },
                ],
                "Catch": [
                    {"ErrorEquals": ["Custom"], "ResultPath": "$.error", "Next": "Recover"},
                    {"ErrorEquals": ["States.ALL"], "Assign": {"failed": True}, "Next": "Recover"},
                ],
                "Next": "Decide",
            },
            "Recover": {
                "Type": "Pass",
                "Result": {"key.$": "not a path: Result is never evaluated"},
                "Next": "Decide",
            },
            "Decide": {
                "Type": "Choice",
                "Choices": [
                    {
                        "And": [
                            {"Variable": "$.a", "IsPresent": True},
                            {"Not": {"Variable": "$count", "NumericLessThanPath": "$.limit"}},
                        ],
                        "Assign": {"chosen": "and"},
                        "Next": "Sleep",
                    },
                    {
                        "Variable": "$.when",
                        "TimestampGreaterThan": "2024-01-01T00:00:00.5+02:00",
                        "Next": "Fan",
                    },
                ],
                "Default": "Modern",
            },
            "Sleep": {"Type": "Wait", "Timestamp": "2024-12-31T23:59:59Z", "Next": "Fan"},
            "Fan": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "B1",
                        "States": {"B1": {"Type": "Wait", "SecondsPath": "$.delay", "End": True}},
                    },
                    {
                        "StartAt": "B2",
                        "States": {"B2": {"Type": "Fail", "ErrorPath": "States.Format('E{}', $.n)"}},
                    },
                ],
                "ResultSelector": {"first.$": "$[0]"},
                "Next": "Each",
            },
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemSelector": {"value.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"},
                "MaxConcurrencyPath": "$.concurrency",
                "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, **PROCESSOR},
                "Next": "Distributed",
            },
            "Distributed": {
                "Type": "Map",
                "Label": "Batches",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "MaxItems": 10},
                    "Parameters": {"Bucket": "b", "Key.$": "$.key"},
                },
                "ItemBatcher": {"MaxItemsPerBatch": 5, "BatchInput": {"run.$": "$$.Execution.Name"}},
                "ResultWriter": {
                    "Resource": "arn:aws:states:::s3:putObject",
                    "Parameters": {"Bucket": "out", "Prefix": "runs"},
                    "WriterConfig": {"OutputType": "JSONL", "Transformation": "COMPACT"},
                },
                "ToleratedFailurePercentage": 12.5,
                "ToleratedFailureCountPath": "$.tolerated",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                    "StartAt": "Row",
                    "States": {"Row": {"Type": "Pass", "End": True}},
                },
                "ResultPath": None,
                "Next": "Modern",
            },
            "Modern": {
                "Type": "Task",
                "QueryLanguage": "JSONata",
                "Resource": ARN,
                "Arguments": {"n": "{% $count + 1 %}", "plain": " {% not JSONata: leading space %}"},
                "TimeoutSeconds": "{% 30 %}",
                "Credentials": {"RoleArn": "{% $states.input.role %}"},
                "Output": "{% $states.result %}",
                "Assign": {"last": "{% $states.result.n %}"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% $states.errorOutput %}", "Next": "Pick"}],
                "Next": "Pick",
            },
            "Pick": {
                "Type": "Choice",
                "QueryLanguage": "JSONata",
                "Choices": [{"Condition": "{% $last > 1 %}", "Output": {"big": True}, "Next": "Loop"}],
                "Default": "Done",
            },
            "Loop": {
                "Type": "Map",
                "QueryLanguage": "JSONata",
                "Items": "{% [1, 2, 3] %}",
                "ItemSelector": {"item": "{% $states.context.Map.Item.Value %}"},
                "MaxConcurrency": 2,
                "ToleratedFailureCount": "{% 1 %}",
                # Nested states speak the top-level language (JSONPath), not the Map's.
                "ItemProcessor": {
                    "StartAt": "Inner",
                    "States": {"Inner": {"Type": "Pass", "InputPath": "$.item", "End": True}},
                },
                "Next": "Done",
            },
            "Done": {"Type": "Succeed", "OutputPath": "$.called"},
        },
    }
    assert validation.validate(definition) == ()
    assert validation.validate(json.dumps(definition)) == ()


def test_a_jsonata_machine_with_nested_jsonata_states_is_valid() -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Parallel",
                "Arguments": "{% $states.input %}",
                "Branches": [
                    {
                        "StartAt": "Wait",
                        "States": {"Wait": {"Type": "Wait", "Seconds": "{% 1 %}", "Output": "{% 1 %}", "End": True}},
                    }
                ],
                "Next": "Fail",
            },
            "Fail": {"Type": "Fail", "Error": "{% 'E' & $string(1) %}", "Cause": "plain"},
        },
    }
    assert validation.validate(definition) == ()


def test_every_problem_is_reported_at_once() -> None:
    definition = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Next": "Nowhere", "Bogus": 1},
            "B": {"Type": "Wait", "End": True},
            "C": {"Type": "Task", "Resource": ARN, "Parameters": {"x.$": "oops"}, "End": True},
        },
    }
    assert codes(definition) >= {
        ("SCHEMA_VALIDATION_FAILED", "/States/A/Bogus"),
        ("MISSING_TRANSITION_TARGET", "/States/A/Next"),
        ("MISSING_WAIT_DURATION", "/States/B"),
        ("MISSING_TRANSITION_TARGET", "/States/B"),
        ("MISSING_TRANSITION_TARGET", "/States/C"),
        ("INVALID_PAYLOAD_TEMPLATE", "/States/C/Parameters/x.$"),
    }


def test_missing_fields_are_reported_together_as_aws_does() -> None:
    (problem,) = validation.validate({})
    assert problem == Problem("", "SCHEMA_VALIDATION_FAILED", "These fields are required: [StartAt, States]")


def test_pointers_escape_slash_and_tilde() -> None:
    definition = {"StartAt": "a/b~c", "States": {"a/b~c": {"Type": "Pass"}}}
    assert ("MISSING_NEXT_OR_END", "/States/a~1b~0c") in codes(definition)


def test_a_jsonpath_field_in_a_jsonata_state_is_explained() -> None:
    definition = {
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "QueryLanguage": "JSONata", "Parameters": {}, "End": True}},
    }
    (problem,) = validation.validate(definition)
    assert problem.path == "/States/A/Parameters"
    assert "JSONPath field" in problem.message


def test_a_definition_over_one_mebibyte_is_refused() -> None:
    big = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "x" * 1_100_000, "End": True}}}
    assert [p.code for p in validation.validate(big)] == ["DEFINITION_TOO_LARGE"]


def test_a_pass_state_with_an_array_of_parameters_is_valid_and_runs() -> None:
    # Issue 15: a published AWS sample that the service deploys and runs.
    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Parameters": [{"Item.$": "$.Item"}, 3], "End": True}},
    }
    assert validation.validate(definition) == ()
    assert asl.run(asl.parse(definition), {"Item": "x"}).output == [{"Item": "x"}, 3]


@pytest.mark.parametrize("value", [[1, {"a.$": "$.a"}], "text", 7, True, None])
@pytest.mark.parametrize(
    ("state", "field"),
    [
        ({"Type": "Pass", "End": True}, "Parameters"),
        ({"Type": "Task", "Resource": ARN, "End": True}, "Parameters"),
        ({"Type": "Task", "Resource": ARN, "End": True}, "ResultSelector"),
        ({"Type": "Parallel", "Branches": [PROCESSOR], "End": True}, "ResultSelector"),
        ({"Type": "Map", "ItemProcessor": PROCESSOR, "End": True}, "ItemSelector"),
    ],
)
def test_state_templates_accept_any_json_value(state: dict[str, Any], field: str, value: Any) -> None:
    definition = {"StartAt": "S", "States": {"S": {**state, field: value}}}
    assert validation.validate(definition) == ()


@pytest.mark.parametrize("field", ["Assign", "Credentials"])
def test_assign_and_credentials_stay_objects(field: str) -> None:
    state = {"Type": "Task", "Resource": ARN, "End": True, field: [{"a": 1}]}
    assert ("SCHEMA_VALIDATION_FAILED", f"/States/S/{field}") in codes({"StartAt": "S", "States": {"S": state}})


def test_a_filter_right_after_dollar_dot_is_valid_and_runs() -> None:
    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "InputPath": "$.[?(@.OU > 0)]", "End": True}},
    }
    assert validation.validate(definition) == ()
    assert asl.run(asl.parse(definition), [{"OU": 0}, {"OU": 1}]).output == [{"OU": 1}]


def test_a_path_with_trailing_white_space_is_valid_and_runs() -> None:
    definition = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Parameters": {"name.$": "$$.Execution.Name "}, "End": True}},
    }
    assert validation.validate(definition) == ()
    assert asl.run(asl.parse(definition), {}, name="run-7").output == {"name": "run-7"}


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("2024-01-31T12:00:00Z", True),
        ("2024-01-31T12:00:00.123456789Z", True),
        ("2024-01-31T12:00:00-07:30", True),
        ("2024-01-31t12:00:00Z", False),
        ("2024-01-31T12:00:00", False),
        ("2024-01-31 12:00:00Z", False),
        ("2024-02-30T12:00:00Z", False),
        ("2024-01-31T24:00:00Z", False),
        ("2024-01-31T12:00Z", False),
        ("2024-01-31T12:00:00+24:00", False),
        ("٢٠٢٤-01-31T12:00:00Z", False),
    ],
)
def test_timestamps_are_rfc3339_as_aws_reads_them(text: str, valid: bool) -> None:
    assert validation.is_timestamp(text) is valid


# -- the schema ----------------------------------------------------------------------------------


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    from jsonschema import Draft202012Validator

    schema = validation.schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] and schema["title"] and schema["description"]


def test_the_fast_checker_agrees_with_jsonschema_on_the_fixtures() -> None:
    compiled = validation_schema._cache()
    for path in FIXTURES:
        definition = json.loads(path.read_text(encoding="utf-8"))["definition"]
        assert compiled.fast_root(definition) == compiled.root.is_valid(definition), path.stem


state_fields = st.sampled_from(
    ["Type", "Next", "End", "Resource", "Parameters", "Output", "Arguments", "Choices", "Default", "Seconds"]
    + ["Branches", "ItemProcessor", "Retry", "Catch", "QueryLanguage", "ResultPath", "Assign", "Condition"]
)
state_values = st.one_of(
    json_values,
    st.sampled_from(["Pass", "Task", "Choice", "Map", "Parallel", "Wait", "Succeed", "Fail", "JSONata", "JSONPath"]),
    st.sampled_from(["$", "$.a", "$$.x", "$x", "{% 1 %}", "{% (", "States.Array(1)", "A"]),
    st.just([{"ErrorEquals": ["States.ALL"], "Next": "A"}]),
    st.just([{"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}]),
)
states = st.dictionaries(state_fields, state_values, max_size=6)
machines = st.fixed_dictionaries(
    {"StartAt": st.sampled_from(["A", "B", 1]), "States": st.dictionaries(st.sampled_from("ABC"), states)},
    optional={"QueryLanguage": st.sampled_from(["JSONata", "JSONPath", 3])},
)


@settings(deadline=None)
@given(st.one_of(json_values, machines))
def test_the_fast_checker_agrees_with_jsonschema(document: Any) -> None:
    compiled = validation_schema._cache()
    assert compiled.fast_root(document) == compiled.root.is_valid(document)


# -- properties ----------------------------------------------------------------------------------


@settings(deadline=None)
@given(st.one_of(json_values, machines, texts))
def test_any_input_gives_problems_and_never_raises(document: Any) -> None:
    problems = validation.validate(document)
    assert isinstance(problems, tuple)
    assert all(isinstance(problem, Problem) and problem.code and problem.message for problem in problems)


@st.composite
def valid_machines(draw: st.DrawFn) -> dict[str, Any]:
    """A chain of Pass/Wait/Choice states ending in Succeed, Fail or an End state; Choices jump forward."""
    jsonata = draw(st.booleans())
    count = draw(st.integers(1, 8))
    names = draw(
        st.lists(st.text(string.printable, min_size=1, max_size=80), min_size=count, max_size=count, unique=True)
    )
    states: dict[str, Any] = {}
    for index, name in enumerate(names[:-1]):
        following = names[index + 1]
        kind = draw(st.sampled_from(["Pass", "Wait", "Choice"]))
        if kind == "Pass":
            state: dict[str, Any] = {"Type": "Pass", "Next": following}
            if jsonata:
                state["Output"] = draw(st.sampled_from(["{% $states.input %}", {"a": "{% 1 + 1 %}"}, 5]))
            else:
                state["Result"] = draw(json_values)
                state["ResultPath"] = draw(st.sampled_from(["$", "$.r", "$.a.b[0]", None]))
        elif kind == "Wait":
            state = {"Type": "Wait", "Next": following}
            if draw(st.booleans()):
                state["Seconds"] = draw(st.integers(0, 10_000))
            else:
                moment = draw(st.datetimes())
                state["Timestamp"] = moment.isoformat(timespec="seconds") + draw(
                    st.sampled_from(["Z", ".5Z", "+01:00"])
                )
        else:
            targets = draw(st.lists(st.sampled_from(names[index + 1 :]), min_size=1, max_size=3))
            if jsonata:
                rules = [
                    {"Condition": "{% $states.input.x = " + str(i) + " %}", "Next": t} for i, t in enumerate(targets)
                ]
            else:
                rules = [{"Variable": "$.x", "NumericEquals": i, "Next": t} for i, t in enumerate(targets)]
            state = {"Type": "Choice", "Choices": rules, "Default": following}
        states[name] = state
    states[names[-1]] = draw(
        st.sampled_from([{"Type": "Succeed"}, {"Type": "Fail", "Error": "E"}, {"Type": "Pass", "End": True}])
    )
    machine: dict[str, Any] = {"StartAt": names[0], "States": states}
    if jsonata:
        machine["QueryLanguage"] = "JSONata"
    return machine


@settings(deadline=None)
@given(valid_machines())
def test_generated_valid_machines_have_no_problem(machine: dict[str, Any]) -> None:
    assert validation.validate(machine) == ()


@settings(deadline=None)
@given(valid_machines())
def test_a_parsed_machine_gives_back_its_definition_and_parses_again_to_itself(machine: dict[str, Any]) -> None:
    compiled = asl.parse(machine)
    assert compiled.to_dict() == machine
    assert asl.parse(compiled.to_dict()) == compiled
    assert asl.parse(json.dumps(machine)) == compiled


@pytest.mark.parametrize("enabled", [True, False])
@pytest.mark.parametrize("definition", [{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, {"x": 1}])
def test_parse_leaves_the_garbage_collector_as_it_found_it(enabled: bool, definition: dict[str, Any]) -> None:
    import gc

    (gc.enable if enabled else gc.disable)()
    try:
        with contextlib.suppress(DefinitionError):
            asl.parse(definition)
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
