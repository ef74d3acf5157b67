"""JSONPath data flow through whole executions: Pass fields, the processing order, path failures
with AWS's exact causes, the context object, and variables (`Assign`)."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

import asl
from helpers import GUARD, machine

pytestmark = pytest.mark.anyio


PREFIX = "An error occurred while executing the state '{state}' (entered at the event id #{id}). "


def one(state: dict[str, Any]) -> asl.StateMachine:
    return machine({"S": {**state, "End": True}})


async def output(mach: asl.StateMachine, value: Any = None, **options: Any) -> Any:
    with anyio.fail_after(GUARD):
        execution = await asl.execute(mach, value, clock=asl.VirtualClock(), **options)
    assert execution.status is asl.Status.SUCCEEDED, (execution.error, execution.cause)
    return execution.output


async def failure(mach: asl.StateMachine, value: Any = None, **options: Any) -> tuple[str | None, str | None]:
    with anyio.fail_after(GUARD):
        execution = await asl.execute(mach, value, clock=asl.VirtualClock(), **options)
    assert execution.status is asl.Status.FAILED
    return execution.error, execution.cause


# -- Pass ---------------------------------------------------------------------------------------


async def test_pass_without_fields_passes_its_input_through() -> None:
    assert await output(one({"Type": "Pass"}), {"a": [1, 2]}) == {"a": [1, 2]}


async def test_pass_result_replaces_the_input() -> None:
    assert await output(one({"Type": "Pass", "Result": {"x": 1}}), {"a": 1}) == {"x": 1}


async def test_pass_result_is_never_evaluated() -> None:
    state = {"Type": "Pass", "Result": {"v.$": "$.a", "w": "States.Format('x')"}}
    assert await output(one(state), {"a": 1}) == {"v.$": "$.a", "w": "States.Format('x')"}


async def test_pass_parameters_evaluate_dollar_keys_and_keep_literals() -> None:
    state = {"Type": "Pass", "Parameters": {"b.$": "$.a", "lit": "$.a", "n": {"deep.$": "$.a"}}}
    assert await output(one(state), {"a": 1}) == {"b": 1, "lit": "$.a", "n": {"deep": 1}}


async def test_pass_parameters_may_call_intrinsics() -> None:
    state = {"Type": "Pass", "Parameters": {"s.$": "States.Format('{}-{}', $.a, $.b)"}}
    assert await output(one(state), {"a": 1, "b": "x"}) == {"s": "1-x"}


async def test_pass_parameters_apply_after_input_path() -> None:
    state = {"Type": "Pass", "InputPath": "$.inner", "Parameters": {"v.$": "$.v"}}
    assert await output(one(state), {"inner": {"v": 5}, "v": 9}) == {"v": 5}


async def test_result_path_places_the_result_into_the_raw_input() -> None:
    state = {"Type": "Pass", "Result": "r", "ResultPath": "$.out"}
    assert await output(one(state), {"a": 1}) == {"a": 1, "out": "r"}


async def test_result_path_creates_missing_intermediate_objects() -> None:
    state = {"Type": "Pass", "Result": 7, "ResultPath": "$.a.b.c"}
    assert await output(one(state), {"x": 1}) == {"x": 1, "a": {"b": {"c": 7}}}


async def test_result_path_overwrites_an_existing_node() -> None:
    state = {"Type": "Pass", "Result": {"new": True}, "ResultPath": "$.a"}
    assert await output(one(state), {"a": {"old": 1}, "b": 2}) == {"a": {"new": True}, "b": 2}


async def test_result_path_into_an_array_element() -> None:
    state = {"Type": "Pass", "Result": "z", "ResultPath": "$.a[1]"}
    assert await output(one(state), {"a": ["x", "y"]}) == {"a": ["x", "z"]}


async def test_result_path_dollar_replaces_everything() -> None:
    state = {"Type": "Pass", "Result": [1], "ResultPath": "$"}
    assert await output(one(state), {"a": 1}) == [1]


async def test_result_path_null_discards_the_result() -> None:
    state = {"Type": "Pass", "Result": "ignored", "ResultPath": None}
    assert await output(one(state), {"a": 1}) == {"a": 1}


async def test_result_path_null_outputs_the_raw_input_not_the_input_path_value() -> None:
    state = {"Type": "Pass", "InputPath": "$.a", "ResultPath": None}
    assert await output(one(state), {"a": {"v": 1}, "b": 2}) == {"a": {"v": 1}, "b": 2}


async def test_result_path_keeps_fields_that_input_path_dropped() -> None:
    state = {"Type": "Pass", "InputPath": "$.a", "ResultPath": "$.r"}
    assert await output(one(state), {"a": {"v": 1}, "b": 2}) == {"a": {"v": 1}, "b": 2, "r": {"v": 1}}


async def test_input_path_null_gives_an_empty_object() -> None:
    assert await output(one({"Type": "Pass", "InputPath": None}), {"a": 1}) == {}


async def test_output_path_null_gives_an_empty_object() -> None:
    assert await output(one({"Type": "Pass", "OutputPath": None}), {"a": 1}) == {}


async def test_output_path_selects_from_the_result_path_merge() -> None:
    state = {"Type": "Pass", "Result": {"v": 3}, "ResultPath": "$.r", "OutputPath": "$.r.v"}
    assert await output(one(state), {"a": 1}) == 3


async def test_result_path_that_cannot_be_applied_fails_the_execution() -> None:
    state = {"Type": "Pass", "Result": 1, "ResultPath": "$.r"}
    error, cause = await failure(one(state), "text")
    assert error == "States.ResultPathMatchFailure"
    assert cause == PREFIX.format(state="S", id=2) + 'Unable to apply ReferencePath $.r to input "text"'


async def test_execution_input_defaults_to_an_empty_object() -> None:
    assert await output(one({"Type": "Pass"})) == {}


# -- paths ----------------------------------------------------------------------------------------


async def test_definite_index_path_yields_the_element_itself() -> None:
    state = {"Type": "Pass", "Parameters": {"v.$": "$.a[0]"}}
    assert await output(one(state), {"a": [{"x": 1}, {"x": 2}]}) == {"v": {"x": 1}}


async def test_wildcard_input_path_gathers_matches_into_an_array() -> None:
    state = {"Type": "Pass", "InputPath": "$.a[*].x"}
    assert await output(one(state), {"a": [{"x": 1}, {"x": 2}]}) == [1, 2]


async def test_indefinite_path_matching_nothing_yields_an_empty_array() -> None:
    state = {"Type": "Pass", "Parameters": {"v.$": "$.a[*].nope"}}
    assert await output(one(state), {"a": [{"x": 1}]}) == {"v": []}


async def test_filter_expression_selects_matching_items() -> None:
    state = {"Type": "Pass", "InputPath": "$.a[?(@.x > 1)].x"}
    assert await output(one(state), {"a": [{"x": 1}, {"x": 2}, {"x": 3}]}) == [2, 3]


async def test_slice_selects_a_range() -> None:
    state = {"Type": "Pass", "InputPath": "$.a[1:3]"}
    assert await output(one(state), {"a": [0, 1, 2, 3]}) == [1, 2]


async def test_bracket_notation_reaches_keys_with_special_characters() -> None:
    state = {"Type": "Pass", "Parameters": {"v.$": "$['a b']", "w.$": "$['x.y']"}}
    assert await output(one(state), {"a b": 1, "x.y": 2}) == {"v": 1, "w": 2}


async def test_string_that_looks_like_a_path_is_literal_without_dollar_suffix() -> None:
    state = {"Type": "Pass", "Parameters": {"p": "$.a", "v": "$x", "f": "States.UUID()"}}
    assert await output(one(state), {"a": 1}) == {"p": "$.a", "v": "$x", "f": "States.UUID()"}


# -- path failures: States.Runtime with AWS's cause ---------------------------------------------


async def test_input_path_matching_nothing_fails_with_aws_cause() -> None:
    error, cause = await failure(one({"Type": "Pass", "InputPath": "$.nope"}), {"a": 1})
    assert error == "States.Runtime"
    assert cause == PREFIX.format(state="S", id=2) + "Invalid path '$.nope' : No results for path: $['nope']"


async def test_output_path_matching_nothing_fails_with_aws_cause() -> None:
    error, cause = await failure(one({"Type": "Pass", "OutputPath": "$.nope"}), {"a": 1})
    assert error == "States.Runtime"
    assert cause == PREFIX.format(state="S", id=2) + "Invalid path '$.nope' : No results for path: $['nope']"


async def test_missing_intermediate_property_names_the_missing_prefix() -> None:
    error, cause = await failure(one({"Type": "Pass", "InputPath": "$.no.such.path"}), {"a": 1})
    assert error == "States.Runtime"
    assert cause == PREFIX.format(state="S", id=2) + "Invalid path '$.no.such.path' : Missing property in path $['no']"


async def test_parameters_path_matching_nothing_fails_with_aws_cause() -> None:
    state = {"Type": "Pass", "Parameters": {"value.$": "$.missing"}}
    error, cause = await failure(one(state), {"a": 1})
    assert error == "States.Runtime"
    assert cause == PREFIX.format(state="S", id=2) + (
        "The JSONPath '$.missing' specified for the field 'value.$' could not be found in the input '{\"a\":1}'"
    )


async def test_path_failure_cause_names_the_entered_event_of_a_later_state() -> None:
    mach = machine(
        {"First": {"Type": "Pass", "Next": "Second"}, "Second": {"Type": "Pass", "InputPath": "$.x", "End": True}}
    )
    error, cause = await failure(mach, {})
    assert error == "States.Runtime"
    assert cause is not None and cause.startswith(PREFIX.format(state="Second", id=4))


async def test_path_failure_records_no_exited_event() -> None:
    with anyio.fail_after(GUARD):
        execution = await asl.execute(one({"Type": "Pass", "OutputPath": "$.nope"}), {}, clock=asl.VirtualClock())
    assert [event.type for event in execution.history] == ["ExecutionStarted", "PassStateEntered", "ExecutionFailed"]


# -- the context object ---------------------------------------------------------------------------


async def test_context_state_name_is_readable_in_parameters() -> None:
    state = {"Type": "Pass", "Parameters": {"name.$": "$$.State.Name"}}
    assert await output(one(state), {}) == {"name": "S"}


async def test_context_execution_input_is_the_original_input() -> None:
    mach = machine(
        {
            "A": {"Type": "Pass", "Result": "changed", "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"original.$": "$$.Execution.Input"}, "End": True},
        }
    )
    assert await output(mach, {"k": 1}) == {"original": {"k": 1}}


async def test_input_path_dollar_dollar_yields_the_whole_context() -> None:
    result = await output(one({"Type": "Pass", "InputPath": "$$"}), {"k": 1}, name="my-run")
    assert result["Execution"]["Name"] == "my-run"
    assert result["Execution"]["Input"] == {"k": 1}
    assert result["State"]["Name"] == "S"
    assert set(result) >= {"Execution", "State", "StateMachine"}


async def test_context_execution_id_is_an_execution_arn_with_the_name() -> None:
    result = await output(one({"Type": "Pass", "Parameters": {"id.$": "$$.Execution.Id"}}), {}, name="run-7")
    assert result["id"].startswith("arn:aws:states:")
    assert result["id"].endswith(":execution:StateMachine:run-7")


async def test_pass_context_has_no_retry_count() -> None:
    result = await output(one({"Type": "Pass", "InputPath": "$$.State"}), {})
    assert "RetryCount" not in result


async def test_context_entered_time_follows_the_virtual_clock() -> None:
    mach = machine(
        {
            "W": {"Type": "Wait", "Seconds": 60, "Next": "P"},
            "P": {"Type": "Pass", "Parameters": {"t.$": "$$.State.EnteredTime"}, "End": True},
        }
    )
    with anyio.fail_after(GUARD):
        execution = await asl.execute(mach, {}, clock=asl.VirtualClock(0))
    assert execution.output == {"t": "1970-01-01T00:01:00.000Z"}


# -- variables ------------------------------------------------------------------------------------


async def test_assigned_variable_is_readable_in_the_next_state() -> None:
    mach = machine(
        {
            "A": {"Type": "Pass", "Assign": {"x": 42, "s.$": "$.name"}, "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"x.$": "$x", "s.$": "$s"}, "End": True},
        }
    )
    assert await output(mach, {"name": "Ann"}) == {"x": 42, "s": "Ann"}


async def test_assign_evaluates_every_value_against_entry_values() -> None:
    mach = machine(
        {
            "Init": {"Type": "Pass", "Assign": {"x": 3, "a": 6}, "Next": "Swap"},
            "Swap": {"Type": "Pass", "Assign": {"x.$": "$a", "nextX.$": "$x"}, "Next": "Show"},
            "Show": {"Type": "Pass", "Parameters": {"x.$": "$x", "nextX.$": "$nextX"}, "End": True},
        }
    )
    assert await output(mach, {}) == {"x": 6, "nextX": 3}


async def test_same_state_output_path_sees_the_old_variable_value() -> None:
    mach = machine(
        {
            "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
            "B": {"Type": "Pass", "Assign": {"x": 2}, "OutputPath": "$x", "End": True},
        }
    )
    assert await output(mach, {}) == 1


async def test_pass_assign_sees_the_result_field() -> None:
    mach = machine(
        {
            "A": {"Type": "Pass", "Result": {"r": "from-result"}, "Assign": {"v.$": "$.r"}, "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"v.$": "$v"}, "End": True},
        }
    )
    assert await output(mach, {"r": "from-input"}) == {"v": "from-result"}


async def test_task_assign_sees_the_raw_result_not_the_result_selector_output() -> None:
    mach = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": "work",
                "ResultSelector": {"picked.$": "$.a"},
                "Assign": {"raw.$": "$"},
                "Next": "B",
            },
            "B": {"Type": "Pass", "Parameters": {"raw.$": "$raw", "out.$": "$"}, "End": True},
        }
    )
    result = await output(mach, {}, resources={"work": lambda _: {"a": 1, "b": 2}})
    assert result == {"raw": {"a": 1, "b": 2}, "out": {"picked": 1}}


async def test_assign_may_read_the_context_object() -> None:
    mach = machine(
        {
            "A": {"Type": "Pass", "Assign": {"n.$": "$$.State.Name"}, "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"n.$": "$n"}, "End": True},
        }
    )
    assert await output(mach, {}) == {"n": "A"}


async def test_variable_path_reads_into_a_variable() -> None:
    mach = machine(
        {
            "A": {"Type": "Pass", "Assign": {"cfg": {"limits": [10, 20]}}, "Next": "B"},
            "B": {"Type": "Pass", "InputPath": "$cfg.limits[1]", "End": True},
        }
    )
    assert await output(mach, {}) == 20


async def test_choice_rule_assign_applies_when_that_rule_matches() -> None:
    mach = machine(
        {
            "C": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.n", "NumericGreaterThan": 0, "Assign": {"sign": "positive"}, "Next": "Out"}
                ],
                "Default": "Out",
                "Assign": {"sign": "other"},
            },
            "Out": {"Type": "Pass", "Parameters": {"sign.$": "$sign"}, "End": True},
        }
    )
    assert await output(mach, {"n": 5}) == {"sign": "positive"}


async def test_choice_top_level_assign_applies_only_when_falling_to_default() -> None:
    mach = machine(
        {
            "C": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.n", "NumericGreaterThan": 0, "Assign": {"sign": "positive"}, "Next": "Out"}
                ],
                "Default": "Out",
                "Assign": {"sign": "other"},
            },
            "Out": {"Type": "Pass", "Parameters": {"sign.$": "$sign"}, "End": True},
        }
    )
    assert await output(mach, {"n": -5}) == {"sign": "other"}


async def test_parallel_branch_reads_outer_variables() -> None:
    mach = machine(
        {
            "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "P"},
            "P": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "B", "States": {"B": {"Type": "Pass", "Parameters": {"x.$": "$x"}, "End": True}}}
                ],
                "End": True,
            },
        }
    )
    assert await output(mach, {}) == [{"x": 1}]


async def test_parallel_branch_assignment_does_not_change_the_outer_variable() -> None:
    branch = {"StartAt": "B", "States": {"B": {"Type": "Pass", "Assign": {"x": 2}, "End": True}}}
    mach = machine(
        {
            "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "P"},
            "P": {"Type": "Parallel", "Branches": [branch], "Next": "Out"},
            "Out": {"Type": "Pass", "Parameters": {"x.$": "$x"}, "End": True},
        }
    )
    assert await output(mach, {}) == {"x": 1}


async def test_map_iteration_assignment_does_not_change_the_outer_variable() -> None:
    processor = {"StartAt": "B", "States": {"B": {"Type": "Pass", "Assign": {"x.$": "$"}, "End": True}}}
    mach = machine(
        {
            "A": {"Type": "Pass", "Assign": {"x": "outer"}, "Next": "M"},
            "M": {"Type": "Map", "ItemProcessor": processor, "ResultPath": None, "Next": "Out"},
            "Out": {"Type": "Pass", "Parameters": {"x.$": "$x"}, "End": True},
        }
    )
    assert await output(mach, [1, 2, 3]) == {"x": "outer"}


async def test_map_iterations_do_not_see_each_others_variables() -> None:
    processor = {
        "StartAt": "Set",
        "States": {
            "Set": {"Type": "Pass", "Assign": {"mine.$": "$"}, "Next": "Read"},
            "Read": {"Type": "Pass", "Parameters": {"mine.$": "$mine"}, "End": True},
        },
    }
    mach = machine({"M": {"Type": "Map", "ItemProcessor": processor, "MaxConcurrency": 0, "End": True}})
    assert await output(mach, ["a", "b", "c"]) == [{"mine": "a"}, {"mine": "b"}, {"mine": "c"}]


async def test_variables_assigned_inside_a_branch_vanish_after_it() -> None:
    branch = {"StartAt": "B", "States": {"B": {"Type": "Pass", "Assign": {"inner": 1}, "End": True}}}
    mach = machine(
        {
            "P": {"Type": "Parallel", "Branches": [branch], "Next": "Out"},
            "Out": {"Type": "Pass", "Parameters": {"v.$": "$inner"}, "End": True},
        }
    )
    error, _ = await failure(mach, {})
    assert error == "States.Runtime"


async def test_choice_rule_assign_sees_the_effective_input() -> None:
    mach = machine(
        {
            "C": {
                "Type": "Choice",
                "InputPath": "$.a",
                "Choices": [{"Variable": "$.v", "IsPresent": True, "Assign": {"seen.$": "$"}, "Next": "Out"}],
            },
            "Out": {"Type": "Pass", "Parameters": {"seen.$": "$seen"}, "End": True},
        }
    )
    assert await output(mach, {"a": {"v": 1}, "b": 2}) == {"seen": {"v": 1}}


async def test_variables_feed_intrinsics_and_choice_rules() -> None:
    mach = machine(
        {
            "Init": {"Type": "Pass", "Assign": {"n": 0}, "Next": "Count"},
            "Count": {"Type": "Pass", "Assign": {"n.$": "States.MathAdd($n, 1)"}, "Next": "Check"},
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$n", "NumericLessThan": 3, "Next": "Count"}],
                "Default": "Out",
            },
            "Out": {"Type": "Pass", "Parameters": {"n.$": "$n"}, "End": True},
        }
    )
    assert await output(mach, {}) == {"n": 3}


async def test_map_items_path_may_name_a_variable() -> None:
    processor = {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "End": True}}}
    mach = machine(
        {
            "A": {"Type": "Pass", "Assign": {"xs": [1, 2]}, "Next": "M"},
            "M": {
                "Type": "Map",
                "ItemsPath": "$xs",
                "ItemSelector": {"v.$": "$$.Map.Item.Value"},
                "ItemProcessor": processor,
                "End": True,
            },
        }
    )
    assert await output(mach, {}) == [{"v": 1}, {"v": 2}]
