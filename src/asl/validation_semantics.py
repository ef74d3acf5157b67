"""Validation, stage three: what a schema cannot check, over a document of any shape.

Transitions and reachability, state names unique across the whole machine, paths, `"key.$"`
values, JSONata text, Choice rules, exclusive fields, Map labels. Each check reads only the
fields it needs and skips values of the wrong type: the schema stage reports those.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any, Final, TypeGuard

from . import paths, timestamps
from .choice import OPERATORS
from .context import JSON
from .errors import ExpressionError, Problem
from .errors import pointer as json_pointer
from .validation_schema import BATCHER_EXCLUSIVE, EXCLUSIVE, kind

__all__ = ["STATE_TYPES", "semantic_problems"]

STATE_TYPES: Final = ("Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map")
_TRANSITIONING: Final = frozenset({"Task", "Wait", "Pass", "Parallel", "Map"})
_TERMINAL_TYPES: Final = frozenset({"Succeed", "Fail"})
_TIMESTAMP_OPERATORS: Final = frozenset(c for c in OPERATORS if c.startswith("Timestamp") and "Path" not in c)
_MAP_EXCLUSIVE: Final = (("ItemProcessor", "Iterator"), ("ItemSelector", "Parameters"))
# Fields whose value is a reference path in JSONPath states (ResultPath has stricter rules).
_REFERENCE_FIELDS: Final = (
    "ItemsPath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "SecondsPath",
    "TimestampPath",
    "MaxConcurrencyPath",
    "ToleratedFailureCountPath",
    "ToleratedFailurePercentagePath",
)
# JSONPath payload templates: the only places where a "key.$" is evaluated (never Pass `Result`).
_TEMPLATE_FIELDS: Final = ("Parameters", "ResultSelector", "ItemSelector", "Assign", "Credentials")
# Fields of a JSONata state whose strings may be JSONata (never Type, Resource, Next, Comment, ...).
_JSONATA_FIELDS: Final = (
    "Arguments",
    "Output",
    "Assign",
    "Items",
    "ItemSelector",
    "TimeoutSeconds",
    "HeartbeatSeconds",
    "Seconds",
    "Timestamp",
    "MaxConcurrency",
    "ToleratedFailureCount",
    "ToleratedFailurePercentage",
    "Error",
    "Cause",
    "Credentials",
)
_JSONATA_SUBFIELDS: Final = {
    "ItemReader": ("Arguments", "ReaderConfig"),
    "ItemBatcher": ("MaxItemsPerBatch", "MaxInputBytesPerBatch", "BatchInput"),
    "ResultWriter": ("Arguments",),
}
# Payload templates inside a Map's parts: (owner, field).
_NESTED_TEMPLATES: Final = (("ItemReader", "Parameters"), ("ResultWriter", "Parameters"), ("ItemBatcher", "BatchInput"))
_LABEL_FORBIDDEN: Final = re.compile(r"[\s?*<>{}\[\]:;,\\|^~$#%&`\"\x00-\x1f\x7f-\x9f]")


def semantic_problems(document: JSON) -> list[Problem]:
    """Every problem of `document` that its schema cannot express."""
    return _Semantics(document).run()


def _compile_intrinsic(text: str) -> None:
    try:
        from . import intrinsics
    except ImportError:  # the intrinsic parser is optional here: without it, calls are not checked
        return
    intrinsics.compile(text)


def _compile_jsonata(text: str) -> None:
    try:
        from . import jsonata
    except ImportError:  # likewise optional: without it, JSONata text is not parsed
        return
    jsonata.compile(text)


def _expression_problem(compile: Callable[[str], None], text: str) -> str | None:
    """The reason `text` does not compile, or None. Any exception counts: validation never raises."""
    try:
        compile(text)
    except ExpressionError as error:
        return str(error)
    except RecursionError:
        return "it is nested too deeply"
    except Exception as error:  # noqa: BLE001 - a parser bug must still not escape validate()
        return f"{type(error).__name__}: {error}"
    return None


class _Semantics:
    """The checks a schema cannot express, over a document whose shape may be anything."""

    def __init__(self, document: JSON) -> None:
        self.document = document
        self.problems: list[Problem] = []
        top = document.get("QueryLanguage") if isinstance(document, dict) else None
        self.top_language = "JSONata" if top == "JSONata" else "JSONPath"
        self.names: dict[str, str] = {}
        self.labels: dict[str, str] = {}

    def add(self, pointer: str, code: str, message: str) -> None:
        self.problems.append(Problem(pointer, code, message))

    def run(self) -> list[Problem]:
        if isinstance(self.document, dict):
            self.scope(self.document, "")
        return self.problems

    # -- scopes and transitions -------------------------------------------------------------

    def scope(self, machine: dict[str, Any], pointer: str) -> None:
        states = machine.get("States")
        if not isinstance(states, dict):
            return
        edges: dict[str, list[tuple[str, str, str]]] = {}
        for name, state in states.items():
            at = pointer + json_pointer("States", name)
            self.name(name, at)
            if isinstance(state, dict):
                edges[name] = list(self.transitions(state, at))
                self.state(state, at)
            else:
                edges[name] = []
        dangling = False
        for targets in edges.values():
            for field, target, at in targets:
                if target not in states:
                    dangling = True
                    self.add(at, "MISSING_TRANSITION_TARGET", f"Missing '{field}' target: {target}")
        start = machine.get("StartAt")
        if not isinstance(start, str):
            return
        if start not in states:
            self.add(f"{pointer}/StartAt", "MISSING_TRANSITION_TARGET", f"Missing 'StartAt' target: {start}")
            return
        reached = {start}
        queue = [start]
        while queue:
            for _, target, _ in edges[queue.pop()]:
                if target in states and target not in reached:
                    reached.add(target)
                    queue.append(target)
        for name in states:
            if name not in reached:
                self.add(
                    pointer + json_pointer("States", name),
                    "MISSING_TRANSITION_TARGET",
                    f'State "{name}" is not reachable.',
                )
        if not dangling and not any(_ends(states[name]) for name in reached):
            self.add(
                f"{pointer}/StartAt",
                "NO_TERMINAL_STATE",
                'No state reachable from StartAt ends the execution (Succeed, Fail or "End": true): '
                "it can never finish.",
            )

    def name(self, name: str, pointer: str) -> None:
        if not 1 <= len(name) <= 80:
            self.add(
                pointer,
                "INVALID_STATE_NAME",
                f"State names must be 1 to 80 characters long, not {len(name)}.",
            )
        if name in self.names:
            self.add(
                pointer,
                "DUPLICATE_STATE_NAME",
                f"Duplicate state name '{name}' (also at {self.names[name]}); "
                "names must be unique in the whole state machine, including branches and item processors.",
            )
        else:
            self.names[name] = pointer

    @staticmethod
    def transitions(state: dict[str, Any], pointer: str) -> Iterator[tuple[str, str, str]]:
        if isinstance(state.get("Next"), str):
            yield "Next", state["Next"], f"{pointer}/Next"
        if isinstance(state.get("Default"), str):
            yield "Default", state["Default"], f"{pointer}/Default"
        for field in ("Choices", "Catch"):
            for index, entry in _entries(state, field):
                if isinstance(entry.get("Next"), str):
                    yield "Next", entry["Next"], f"{pointer}/{field}/{index}/Next"

    # -- one state --------------------------------------------------------------------------

    def state(self, state: dict[str, Any], pointer: str) -> None:
        kind = state.get("Type") if isinstance(state.get("Type"), str) else None
        own = state.get("QueryLanguage")
        language = own if own in ("JSONPath", "JSONata") else self.top_language
        if kind in _TRANSITIONING:
            self.next_or_end(state, pointer, kind)
        for first, second in EXCLUSIVE:
            if first in state and second in state:
                self.exclusive(pointer, first, second)
        self.error_handlers(state, pointer)
        if language == "JSONPath":
            self.jsonpath_paths(state, pointer)
            self.jsonpath_templates(state, pointer)
        else:
            self.jsonata_fields(state, pointer)
        for at, assign in self.assignments(state, pointer):
            self.variables(assign, at, language)
        if kind == "Task":
            self.task(state, pointer)
        elif kind == "Wait":
            self.wait(state, pointer, language)
        elif kind == "Choice" and language == "JSONPath":
            for index, rule in _entries(state, "Choices"):
                self.rule(rule, f"{pointer}/Choices/{index}")
        elif kind == "Parallel":
            for index, branch in _entries(state, "Branches"):
                self.scope(branch, f"{pointer}/Branches/{index}")
        elif kind == "Map":
            self.map(state, pointer)

    def next_or_end(self, state: dict[str, Any], pointer: str, kind: str) -> None:
        has_next, end = "Next" in state, state.get("End")
        if has_next and end is True:
            self.add(f"{pointer}/End", "NEXT_AND_END", "A state cannot have both 'Next' and \"End\": true.")
        elif not has_next and ("End" not in state or end is False):  # a non-boolean End is a schema problem
            self.add(pointer, "MISSING_NEXT_OR_END", f"A {kind} state needs either 'Next' or \"End\": true.")

    def exclusive(self, pointer: str, first: str, second: str) -> None:
        message = f"'{first}' and '{second}' are mutually exclusive: use only one."
        self.add(f"{pointer}/{second}", "MUTUALLY_EXCLUSIVE_FIELDS", message)

    def error_handlers(self, state: dict[str, Any], pointer: str) -> None:
        for field in ("Retry", "Catch"):
            handlers = state.get(field)
            if not isinstance(handlers, list):
                continue
            noun = "retrier" if field == "Retry" else "catcher"
            for index, handler in enumerate(handlers):
                errors = handler.get("ErrorEquals") if isinstance(handler, dict) else None
                if not isinstance(errors, list) or "States.ALL" not in errors:
                    continue
                at = f"{pointer}/{field}/{index}/ErrorEquals"
                if len(errors) > 1:
                    self.add(
                        at,
                        "STATES_ALL_NOT_ALONE",
                        f"'States.ALL' must be the only error name in its {noun}'s ErrorEquals.",
                    )
                if index != len(handlers) - 1:
                    self.add(at, "STATES_ALL_NOT_LAST", f"A {noun} matching 'States.ALL' must be the last {noun}.")

    @staticmethod
    def assignments(state: dict[str, Any], pointer: str) -> Iterator[tuple[str, Any]]:
        if "Assign" in state:
            yield f"{pointer}/Assign", state["Assign"]
        for field in ("Choices", "Catch"):
            for index, entry in _entries(state, field):
                if "Assign" in entry:
                    yield f"{pointer}/{field}/{index}/Assign", entry["Assign"]

    def variables(self, assign: Any, pointer: str, language: str) -> None:
        if not isinstance(assign, dict):
            return
        for key in assign:
            name = key[:-2] if language == "JSONPath" and key.endswith(".$") else key
            if not name.isidentifier():
                reason = "a variable name must be an identifier (a letter or _, then letters, digits or _)"
                if re.fullmatch(r"\w+(?:\.|\[).*", name):
                    reason = "only whole variables can be assigned, not a part of one"
            elif len(name) > 80:
                reason = "a variable name has at most 80 characters"
            elif name == "states":
                reason = "'states' is reserved for $states"
            else:
                continue
            self.add(
                pointer + json_pointer(key),
                "INVALID_VARIABLE_NAME",
                f"Invalid variable name '{name}': {reason}.",
            )

    # -- JSONPath ---------------------------------------------------------------------------

    def jsonpath_paths(self, state: dict[str, Any], pointer: str) -> None:
        for field in ("InputPath", "OutputPath"):
            if isinstance(state.get(field), str):
                self.path(state[field], f"{pointer}/{field}", field)
        if "ResultPath" in state:
            self.result_path(state["ResultPath"], f"{pointer}/ResultPath")
        for field in _REFERENCE_FIELDS:
            if isinstance(state.get(field), str):
                self.reference(state[field], f"{pointer}/{field}", field)
        for field in ("ErrorPath", "CausePath"):
            text = state.get(field)
            if isinstance(text, str) and text.startswith("States."):
                self.intrinsic(text, f"{pointer}/{field}", field)
            elif isinstance(text, str):
                self.reference(text, f"{pointer}/{field}", field)
        for index, catcher in _entries(state, "Catch"):
            if "ResultPath" in catcher:
                self.result_path(catcher["ResultPath"], f"{pointer}/Catch/{index}/ResultPath")
        if state.get("Type") != "Map":  # only a Map has these parts (the schema refuses them elsewhere)
            return
        for owner, field in (
            ("ItemReader/ReaderConfig", "MaxItemsPath"),
            ("ItemBatcher", "MaxItemsPerBatchPath"),
            ("ItemBatcher", "MaxInputBytesPerBatchPath"),
        ):
            part = _part(state, owner)
            if part is not None and isinstance(part.get(field), str):
                self.reference(part[field], f"{pointer}/{owner}/{field}", field)

    def jsonpath_templates(self, state: dict[str, Any], pointer: str) -> None:
        for field in _TEMPLATE_FIELDS:
            if field in state:
                self.template(state[field], f"{pointer}/{field}")
        for owner in ("Catch", "Choices"):
            for index, entry in _entries(state, owner):
                if "Assign" in entry:
                    self.template(entry["Assign"], f"{pointer}/{owner}/{index}/Assign")
        if state.get("Type") != "Map":  # only a Map has these parts (the schema refuses them elsewhere)
            return
        for owner, field in _NESTED_TEMPLATES:
            part = _part(state, owner)
            if part is not None and field in part:
                self.template(part[field], f"{pointer}/{owner}/{field}")

    def path(self, text: str, pointer: str, field: str) -> None:
        if not text.startswith("$"):
            return  # the schema already says a path starts with '$'
        try:
            paths.compile(text)
        except ExpressionError as error:
            self.add(
                pointer,
                "INVALID_PATH",
                f"The value for the field '{field}' must be a valid JSONPath: {error}",
            )

    def reference(self, text: str, pointer: str, field: str) -> bool:
        if not text.startswith("$") and field not in ("ErrorPath", "CausePath"):
            return False  # the schema already says a path starts with '$'
        try:
            paths.compile_reference(text)
        except ExpressionError as error:
            self.add(
                pointer,
                "INVALID_REFERENCE_PATH",
                f"The value for the field '{field}' must be a valid reference path: {error}",
            )
            return False
        return True

    def result_path(self, value: Any, pointer: str) -> None:
        if not isinstance(value, str):
            return
        if not self.reference(value, pointer, "ResultPath"):
            return
        root = paths.compile(value).root
        if root == "context":
            self.add(pointer, "INVALID_REFERENCE_PATH", "ResultPath cannot write into the context object ($$).")
        elif root == "variable":
            self.add(pointer, "INVALID_REFERENCE_PATH", "ResultPath cannot write into a variable; use Assign.")

    def intrinsic(self, text: str, pointer: str, field: str) -> None:
        reason = _expression_problem(_compile_intrinsic, text)
        if reason is not None:
            self.add(
                pointer,
                "INVALID_INTRINSIC",
                f"The value for the field '{field}' is not a valid intrinsic function call: {reason}",
            )

    def template(self, node: Any, pointer: str) -> None:
        if isinstance(node, list):
            for index, item in enumerate(node):
                self.template(item, f"{pointer}/{index}")
            return
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            at = pointer + json_pointer(key)
            if not key.endswith(".$"):
                self.template(value, at)
                continue
            message = f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic function call"
            if not isinstance(value, str):
                self.add(at, "INVALID_PAYLOAD_TEMPLATE", f"{message}, not {kind(value)}.")
                continue
            if value.startswith("$"):
                try:
                    paths.compile(value)
                except ExpressionError as error:
                    self.add(at, "INVALID_PAYLOAD_TEMPLATE", f"{message}: {error}")
            elif value.startswith("States."):
                reason = _expression_problem(_compile_intrinsic, value)
                if reason is not None:
                    self.add(at, "INVALID_PAYLOAD_TEMPLATE", f"{message}: {reason}")
            else:
                self.add(at, "INVALID_PAYLOAD_TEMPLATE", f"{message}; {json.dumps(value)} is neither.")

    def rule(self, rule: Any, pointer: str) -> None:
        if not isinstance(rule, dict) or "Condition" in rule:
            return  # not an object, or a JSONata rule in a JSONPath state: the schema reports both
        combinators = [key for key in ("And", "Or", "Not") if key in rule]
        comparators = [key for key in rule if key in OPERATORS]
        if combinators:
            self.combination(rule, pointer, combinators, comparators)
        else:
            self.data_test(rule, pointer, comparators)

    def combination(self, rule: dict[str, Any], pointer: str, combinators: list[str], comparators: list[str]) -> None:
        if len(combinators) > 1 or comparators or "Variable" in rule:
            fields = ", ".join(combinators + comparators + ["Variable"] * ("Variable" in rule))
            self.add(
                pointer,
                "INVALID_CHOICE_RULE",
                "A choice rule is either one of And/Or/Not or a data test (Variable and one comparison), "
                f"not both: {fields}.",
            )
        for key in ("And", "Or"):
            for index, nested in enumerate(rule[key] if isinstance(rule.get(key), list) else ()):
                self.rule(nested, f"{pointer}/{key}/{index}")
        if "Not" in rule:
            self.rule(rule["Not"], f"{pointer}/Not")

    def data_test(self, rule: dict[str, Any], pointer: str, comparators: list[str]) -> None:
        if "Variable" not in rule:
            self.add(
                pointer,
                "INVALID_CHOICE_RULE",
                "A choice rule needs a 'Variable' and one comparison operator, or And/Or/Not.",
            )
        elif isinstance(rule["Variable"], str):
            self.reference(rule["Variable"], f"{pointer}/Variable", "Variable")
        if not comparators and "Variable" in rule:
            self.add(
                pointer,
                "INVALID_CHOICE_RULE",
                "This choice rule has no comparison operator (such as StringEquals or IsPresent).",
            )
        elif len(comparators) > 1:
            self.add(
                pointer,
                "INVALID_CHOICE_RULE",
                f"A choice rule has exactly one comparison operator, not {len(comparators)}: {', '.join(comparators)}.",
            )
        for key in comparators:
            operand = rule[key]
            if key.endswith("Path") and isinstance(operand, str):
                self.reference(operand, f"{pointer}/{key}", key)
            elif key in _TIMESTAMP_OPERATORS and isinstance(operand, str) and not timestamps.is_timestamp(operand):
                self.add(
                    f"{pointer}/{key}",
                    "INVALID_TIMESTAMP",
                    f"The value for the field '{key}' must be an RFC 3339 timestamp "
                    f"such as 2024-01-31T12:00:00Z, not {json.dumps(operand)}.",
                )

    # -- JSONata ----------------------------------------------------------------------------

    def jsonata_fields(self, state: dict[str, Any], pointer: str) -> None:
        for field in _JSONATA_FIELDS:
            if field in state:
                self.jsonata(state[field], f"{pointer}/{field}")
        for owner, fields in _JSONATA_SUBFIELDS.items():
            part = state.get(owner)
            if isinstance(part, dict):
                for field in fields:
                    if field in part:
                        self.jsonata(part[field], f"{pointer}/{owner}/{field}")
        for owner, fields in (
            ("Catch", ("Output", "Assign")),
            ("Choices", ("Condition", "Output", "Assign")),
        ):
            for index, entry in _entries(state, owner):
                for field in fields:
                    if field in entry:
                        self.jsonata(entry[field], f"{pointer}/{owner}/{index}/{field}")

    def jsonata(self, node: Any, pointer: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                self.jsonata(value, pointer + json_pointer(key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                self.jsonata(value, f"{pointer}/{index}")
        elif isinstance(node, str) and node.startswith("{%"):
            if len(node) < 4 or not node.endswith("%}"):
                self.add(
                    pointer,
                    "INVALID_JSONATA",
                    "A JSONata expression must end with '%}' (it starts with '{%').",
                )
                return
            reason = _expression_problem(_compile_jsonata, node)
            if reason is not None:
                self.add(pointer, "INVALID_JSONATA", f"Invalid JSONata expression: {reason}")

    # -- type-specific ----------------------------------------------------------------------

    def task(self, state: dict[str, Any], pointer: str) -> None:
        heartbeat, timeout = state.get("HeartbeatSeconds"), state.get("TimeoutSeconds")
        if _is_integer(heartbeat) and _is_integer(timeout) and heartbeat >= timeout:
            self.add(
                f"{pointer}/HeartbeatSeconds",
                "HEARTBEAT_NOT_BELOW_TIMEOUT",
                f"HeartbeatSeconds ({heartbeat}) must be smaller than TimeoutSeconds ({timeout}).",
            )

    def wait(self, state: dict[str, Any], pointer: str, language: str) -> None:
        fields = (
            ("Seconds", "Timestamp")
            if language == "JSONata"
            else ("Seconds", "SecondsPath", "Timestamp", "TimestampPath")
        )
        present = [field for field in fields if field in state]
        if not present and "SecondsPath" not in state and "TimestampPath" not in state:
            self.add(pointer, "MISSING_WAIT_DURATION", f"A Wait state needs exactly one of {', '.join(fields)}.")
        for field in present[1:]:
            self.exclusive(pointer, present[0], field)
        stamp = state.get("Timestamp")
        if (
            isinstance(stamp, str)
            and not (language == "JSONata" and stamp.startswith("{%"))
            and not timestamps.is_timestamp(stamp)
        ):
            self.add(
                f"{pointer}/Timestamp",
                "INVALID_TIMESTAMP",
                f"String does not match RFC3339 timestamp: {json.dumps(stamp)} (expected e.g. 2024-01-31T12:00:00Z).",
            )

    def map(self, state: dict[str, Any], pointer: str) -> None:
        for first, second in _MAP_EXCLUSIVE:
            if first in state and second in state:
                self.exclusive(pointer, first, second)
        for field in ("ItemProcessor", "Iterator"):
            processor = state.get(field)
            if isinstance(processor, dict):
                self.scope(processor, f"{pointer}/{field}")
        if isinstance(state.get("Label"), str):
            self.label(state["Label"], f"{pointer}/Label")
        config = _part(state, "ItemReader/ReaderConfig")
        if config is not None and "MaxItems" in config and "MaxItemsPath" in config:
            self.exclusive(f"{pointer}/ItemReader/ReaderConfig", "MaxItems", "MaxItemsPath")
        batcher = _part(state, "ItemBatcher")
        if batcher is not None:
            self.batcher(batcher, f"{pointer}/ItemBatcher")

    def label(self, label: str, pointer: str) -> None:
        if bad := sorted(set(_LABEL_FORBIDDEN.findall(label))):
            shown = ", ".join(repr(char) for char in bad)
            self.add(
                pointer,
                "INVALID_LABEL",
                "A Map Label cannot contain white space, control characters or any of "
                f'?*<>{{}}[]:;,\\|^~$#%&`": found {shown}.',
            )
        if label in self.labels:
            self.add(pointer, "DUPLICATE_LABEL", f"Duplicate Map Label '{label}' (also at {self.labels[label]}).")
        else:
            self.labels[label] = pointer

    def batcher(self, batcher: dict[str, Any], pointer: str) -> None:
        for first, second in BATCHER_EXCLUSIVE:
            if first in batcher and second in batcher:
                self.exclusive(pointer, first, second)
        if not any(field in batcher for pair in BATCHER_EXCLUSIVE for field in pair):
            self.add(
                pointer,
                "MISSING_BATCH_LIMIT",
                "ItemBatcher needs MaxItemsPerBatch or MaxInputBytesPerBatch (or their Path forms).",
            )


def _ends(state: Any) -> bool:
    """Whether a state may end its scope; malformed states count, as they are reported elsewhere."""
    if not isinstance(state, dict):
        return True
    kind = state.get("Type") if isinstance(state.get("Type"), str) else None
    if kind in _TERMINAL_TYPES or state.get("End") is True or kind not in STATE_TYPES:
        return True
    return kind in _TRANSITIONING and "Next" not in state


def _is_integer(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _entries(state: dict[str, Any], field: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, entry) for each object in the array `state[field]`; nothing when it is not an array."""
    entries = state.get(field)
    if isinstance(entries, list):
        for index, entry in enumerate(entries):
            if isinstance(entry, dict):
                yield index, entry


def _part(state: dict[str, Any], path: str) -> dict[str, Any] | None:
    """The object at `path` (`"ItemReader/ReaderConfig"`) inside `state`, or None."""
    node: Any = state
    for key in path.split("/"):
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None
