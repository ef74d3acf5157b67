"""Is a definition valid ASL, as AWS judges it? Every problem at once, each with a JSON Pointer.

Two passes. The JSON Schema (`schemas/asl.schema.json`, shipped as `asl/asl.schema.json`) checks
shape: state types, closed field sets per query language, value types and ranges. The semantic pass
checks what a schema cannot: transitions and reachability, names unique across the whole machine,
paths, `"key.$"` values, JSONata text, Choice rules, exclusive fields.

jsonschema spends ~250 microseconds per state, so the schema is also compiled here into plain
closures that only answer "valid or not"; jsonschema runs only on the parts they reject, to
describe what is wrong.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Final, TypeGuard

from . import paths
from .context import JSON
from .errors import DefinitionError, ExpressionError, Problem

__all__ = ["load", "schema", "validate"]

Check = Callable[[Any], bool]

MAX_DEFINITION_BYTES: Final = 1024 * 1024
STATE_TYPES: Final = ("Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map")
_TRANSITIONING: Final = frozenset({"Task", "Wait", "Pass", "Parallel", "Map"})
_TERMINAL_TYPES: Final = frozenset({"Succeed", "Fail"})

_COMPARATORS: Final = frozenset(
    [
        f"{kind}{test}{suffix}"
        for kind in ("String", "Numeric", "Timestamp")
        for test in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
        for suffix in ("", "Path")
    ]
    + ["BooleanEquals", "BooleanEqualsPath", "StringMatches"]
    + ["IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"]
)
_TIMESTAMP_COMPARATORS: Final = frozenset(c for c in _COMPARATORS if c.startswith("Timestamp") and "Path" not in c)

# Pairs AWS refuses together (a literal and the path that would supply it).
_EXCLUSIVE: Final = (
    ("TimeoutSeconds", "TimeoutSecondsPath"),
    ("HeartbeatSeconds", "HeartbeatSecondsPath"),
    ("Error", "ErrorPath"),
    ("Cause", "CausePath"),
    ("MaxConcurrency", "MaxConcurrencyPath"),
    ("ToleratedFailureCount", "ToleratedFailureCountPath"),
    ("ToleratedFailurePercentage", "ToleratedFailurePercentagePath"),
)
_MAP_EXCLUSIVE: Final = (("ItemProcessor", "Iterator"), ("ItemSelector", "Parameters"))
_BATCHER_EXCLUSIVE: Final = (
    ("MaxItemsPerBatch", "MaxItemsPerBatchPath"),
    ("MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath"),
)
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
_JSONPATH_ONLY: Final = frozenset(
    {
        "InputPath",
        "OutputPath",
        "Parameters",
        "ResultSelector",
        "ResultPath",
        "Result",
        "Variable",
        "ItemsPath",
    }
    | {field for pair in _EXCLUSIVE + _BATCHER_EXCLUSIVE for field in pair if field.endswith("Path")}
    | {"And", "Or", "Not", "MaxItemsPath"}
    | _COMPARATORS
)
_JSONATA_ONLY: Final = frozenset({"Arguments", "Output", "Condition", "Items"})

_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]+)?(Z|[+-]([0-9]{2}):([0-9]{2}))"
)
_LABEL_FORBIDDEN = re.compile(r"[\s?*<>{}\[\]:;,\\|^~$#%&`\"\x00-\x1f\x7f-\x9f]")
_JSON_START = re.compile(r"\s*\{")


# ---------------------------------------------------------------------------------------------
# Loading


def _is_text(source: object) -> bool:
    return isinstance(source, bytes | bytearray) or (isinstance(source, str) and bool(_JSON_START.match(source)))


def load(source: JSON | str | bytes | os.PathLike[str]) -> JSON:
    """Parsed definition from a dict, JSON text, bytes or a file path; raises DefinitionError if unreadable.

    A str is JSON text when it starts (after white space) with `{`, otherwise a file path.
    Duplicate keys in one JSON object are refused: a parser that keeps the last one would hide them.
    """
    if isinstance(source, bytes | bytearray):
        return _parse(source)
    if isinstance(source, str):
        return _parse(source if _JSON_START.match(source) else _read(Path(source)))
    if isinstance(source, os.PathLike):
        return _parse(_read(Path(source)))
    return source


def _read(path: Path) -> bytes:
    try:
        if not path.is_file():
            if path.exists():
                raise _problem("", "FILE_NOT_FOUND", f"{path} is not a file")
            raise _problem("", "FILE_NOT_FOUND", f"No such file: {path}")
        return path.read_bytes()
    except OSError as error:
        raise _problem("", "FILE_NOT_FOUND", f"Cannot read {path}: {error.strerror or error}") from None


def _problem(pointer: str, code: str, message: str) -> DefinitionError:
    return DefinitionError([Problem(pointer, code, message)])


def _parse(text: str | bytes | bytearray) -> JSON:
    if not isinstance(text, str):
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise _problem("", "INVALID_JSON", f"The definition is not UTF-8 text: {error.reason}") from None
    duplicates: list[tuple[dict[str, Any], list[str]]] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(items)
        if len(result) != len(items):
            counts = Counter(key for key, _ in items)
            duplicates.append((result, [key for key, count in counts.items() if count > 1]))
        return result

    def constant(name: str) -> None:
        raise ValueError(f"{name} is not valid JSON")

    try:
        value = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except json.JSONDecodeError as error:
        message = f"Invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        raise _problem("", "INVALID_JSON", message) from None
    except ValueError as error:
        raise _problem("", "INVALID_JSON", f"Invalid JSON: {error}") from None
    except RecursionError:
        raise _problem("", "INVALID_JSON", "Invalid JSON: nested too deeply") from None
    if duplicates:
        owners = {id(obj): keys for obj, keys in duplicates}
        problems = [
            Problem(f"{pointer}/{_escape(key)}", "DUPLICATE_KEY", f"Duplicate key '{key}': JSON keeps only one.")
            for pointer, node in _objects(value, "")
            for key in owners.get(id(node), ())
        ]
        raise DefinitionError(problems)
    return value  # type: ignore[no-any-return]


def _objects(node: Any, pointer: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield pointer, node
        for key, child in node.items():
            yield from _objects(child, f"{pointer}/{_escape(key)}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _objects(child, f"{pointer}/{index}")


def _escape(token: object) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


# ---------------------------------------------------------------------------------------------
# Entry point


def validate(definition: JSON | str | bytes | os.PathLike[str]) -> tuple[Problem, ...]:
    """Every problem of a definition (dict, JSON text, bytes or path); empty when AWS would accept it.

    Never raises: input that cannot be read or parsed is reported as a problem too.
    """
    try:
        document = load(definition)
    except DefinitionError as error:
        return error.problems
    try:
        found = [*_size_problems(definition, document), *_schema_problems(document)]
        found += _Semantics(document).run()
    except RecursionError:
        found = [Problem("", "SCHEMA_VALIDATION_FAILED", "The definition is nested too deeply.")]
    return tuple(dict.fromkeys(found))


def _size_problems(source: object, document: JSON) -> list[Problem]:
    if isinstance(source, str | bytes | bytearray) and _is_text(source):
        size = len(source.encode() if isinstance(source, str) else source)
    else:  # a dict, or a file whose text was parsed: measure it as compact JSON
        try:
            size = len(json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode())
        except (TypeError, ValueError):
            return []
    if size <= MAX_DEFINITION_BYTES:
        return []
    return [Problem("", "DEFINITION_TOO_LARGE", f"The definition is {size} bytes; AWS accepts at most 1 MiB.")]


# ---------------------------------------------------------------------------------------------
# Schema


class _Compiled:
    """The schema, its jsonschema validators and the fast checkers, built once."""

    def __init__(self) -> None:
        from jsonschema import Draft202012Validator  # type: ignore[import-untyped,unused-ignore]

        self.schema: dict[str, Any] = schema()
        defs: dict[str, Any] = self.schema["$defs"]
        self.titles = {id(node): node.get("title", "") for node in defs.values()}
        self.root = Draft202012Validator(self.schema)
        self.states = {
            language: Draft202012Validator({"$ref": f"#/$defs/scopedState.{language}", "$defs": defs})
            for language in ("jsonpath", "jsonata")
        }
        checks: dict[str, Check] = {}
        try:
            for name, node in defs.items():
                checks[name] = _compile_check(node, checks)
            self.fast_root: Check = _compile_check(self.schema, checks)
            self.fast_states = {language: checks[f"scopedState.{language}"] for language in self.states}
        except _Unsupported:  # a keyword the fast path does not know: let jsonschema judge everything
            self.fast_root = _never
            self.fast_states = {language: _never for language in self.states}


_compiled: _Compiled | None = None


def _cache() -> _Compiled:
    global _compiled
    if _compiled is None:
        _compiled = _Compiled()
    return _compiled


def schema() -> dict[str, Any]:
    """The JSON Schema of the language (draft 2020-12), as shipped with the package."""
    from importlib.resources import files

    try:
        text = (files("asl") / "asl.schema.json").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):  # editable install: the schema lives in the repository
        text = (Path(__file__).parents[2] / "schemas" / "asl.schema.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def _schema_problems(document: JSON) -> list[Problem]:
    compiled = _cache()
    if compiled.fast_root(document):
        return []
    errors: list[tuple[tuple[object, ...], Any]] = []
    states = document.get("States") if isinstance(document, dict) else None
    if not isinstance(document, dict) or not isinstance(states, dict):
        errors += [((), error) for error in compiled.root.iter_errors(document)]
    else:
        # Judge the frame without its states, then only the states the fast path rejects.
        errors += [((), error) for error in compiled.root.iter_errors({**document, "States": {}})]
        language = "jsonata" if document.get("QueryLanguage") == "JSONata" else "jsonpath"
        fast, slow = compiled.fast_states[language], compiled.states[language]
        for name, state in states.items():
            if not fast(state):
                errors += [(("States", name), error) for error in slow.iter_errors(state)]
    return _describe(errors, compiled)


def _describe(errors: list[tuple[tuple[object, ...], Any]], compiled: _Compiled) -> list[Problem]:
    problems: list[Problem] = []
    missing: dict[str, list[str]] = {}
    for prefix, error in errors:
        location = (*prefix, *error.absolute_path)
        if "propertyNames" in error.absolute_schema_path:
            continue  # state names are checked by the semantic pass, with their own code
        pointer = "".join(f"/{_escape(part)}" for part in location)
        if error.validator == "required":
            names = missing.setdefault(pointer, [])
            if not names:
                problems.append(Problem(pointer, "", ""))  # placeholder, keeps the order
            names += [key for key in error.validator_value if key not in error.instance and key not in names]
        elif error.validator == "additionalProperties":
            title = compiled.titles.get(id(error.schema), "")
            known = error.schema.get("properties", {})
            for key in error.instance:
                if key not in known:
                    message = _unsupported(key, title)
                    problems.append(Problem(f"{pointer}/{_escape(key)}", "SCHEMA_VALIDATION_FAILED", message))
        else:
            problems.append(Problem(pointer, "SCHEMA_VALIDATION_FAILED", _message(error, location, compiled)))
    for index, problem in enumerate(problems):
        if not problem.code:
            names = missing[problem.path]
            if len(names) == 1:
                message = f"The field '{names[0]}' is required but was missing"
            else:
                message = f"These fields are required: [{', '.join(names)}]"
            problems[index] = Problem(problem.path, "SCHEMA_VALIDATION_FAILED", message)
    return problems


def _unsupported(key: str, title: str) -> str:
    where = f" in a {title}" if title else ""
    if "(JSONata)" in title and key in _JSONPATH_ONLY:
        return f"Field '{key}' is not supported{where}: it is a JSONPath field"
    if "(JSONPath)" in title and key in _JSONATA_ONLY:
        return f'Field \'{key}\' is not supported{where}: it is a JSONata field (set "QueryLanguage": "JSONata")'
    return f"Field '{key}' is not supported{where}"


def _field(location: tuple[object, ...]) -> str:
    if not location:
        return ""
    *parent, last = location
    if isinstance(last, int):
        return f"{_field(tuple(parent)) or 'value'}[{last}]"
    return str(last)


def _message(error: Any, location: tuple[object, ...], compiled: _Compiled) -> str:
    field, validator, value, instance = (
        _field(location),
        error.validator,
        error.validator_value,
        error.instance,
    )
    if validator == "type" and not location:
        return "Definition must be a valid JSON object"
    if validator == "enum":
        return f"The field '{field}' should have one of these values: [{', '.join(map(str, value))}]"
    if validator == "const":
        if field == "QueryLanguage" and value == "JSONata" and instance == "JSONPath":
            return "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine"
        return f"The field '{field}' must be {json.dumps(value)}"
    if validator in ("minItems", "minLength") and value == 1:
        return f"Value cannot be empty at '{field}'"
    if validator in ("type", "anyOf", "pattern"):
        return f"The field '{field}' must be {_expected(error.schema, compiled)}, not {_kind(instance)}"
    bounds = {
        "minimum": "at least",
        "maximum": "at most",
        "minItems": "an array of at least",
        "minLength": "a string of at least",
        "maxLength": "a string of at most",
    }
    if validator in bounds:
        unit = {"minItems": " items", "minLength": " characters", "maxLength": " characters"}.get(validator, "")
        return f"The field '{field}' must be {bounds[validator]} {value}{unit}, not {_kind(instance)}"
    return f"The field '{field}' is invalid: {error.message}"


_ARTICLES: Final = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "null": "null",
}


def _expected(node: Any, compiled: _Compiled) -> str:
    if not isinstance(node, dict):
        return "valid"
    if "$ref" in node:
        target = compiled.schema["$defs"].get(node["$ref"].rsplit("/", 1)[-1], {})
        return f"a {target['title']}" if "title" in target else _expected(target, compiled)
    if "anyOf" in node:
        return " or ".join(_expected(branch, compiled) for branch in node["anyOf"])
    if "pattern" in node and "title" in node:
        return f"a {node['title']}"
    kinds = node.get("type", [])
    text = " or ".join(_ARTICLES.get(kind, kind) for kind in ([kinds] if isinstance(kinds, str) else kinds))
    if "minimum" in node and "maximum" in node:
        text += f" from {node['minimum']} to {node['maximum']}"
    elif "minimum" in node:
        text += f" of at least {node['minimum']}"
    return text or "valid"


def _kind(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value if len(value) <= 60 else value[:57] + "...", ensure_ascii=False)
    for kind, types in (("a boolean", bool), ("an object", dict), ("an array", list)):
        if isinstance(value, types):
            return kind
    return "null" if value is None else json.dumps(value, default=repr)


# -- the fast path: the schema as closures that answer valid or not --------------------------


class _Unsupported(Exception):
    pass


def _never(value: object) -> bool:
    return False


_ANNOTATIONS: Final = frozenset({"title", "description", "$schema", "$id", "$defs", "$comment", "then", "else"})


def _is_type(value: object, kind: str) -> bool:
    if kind == "object":
        return isinstance(value, dict)
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, list)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "null":
        return value is None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return kind == "number" or isinstance(value, int) or value.is_integer()


def _same(a: object, b: object) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def _compile_check(node: Any, checks: Mapping[str, Check]) -> Check:
    """A predicate equal to jsonschema's `is_valid` for the keywords this schema uses."""
    if node is True or node == {}:
        return lambda value: True
    if node is False:
        return _never
    parts: list[Check] = []
    for key, argument in node.items():
        if key in _ANNOTATIONS:
            continue
        parts.append(_keyword(key, argument, node, checks))
    if len(parts) == 1:
        return parts[0]
    return lambda value: all(part(value) for part in parts)


def _keyword(key: str, argument: Any, node: dict[str, Any], checks: Mapping[str, Check]) -> Check:  # noqa: C901
    def sub(schema: Any) -> Check:
        return _compile_check(schema, checks)

    if key == "$ref":
        if not argument.startswith("#/$defs/"):
            raise _Unsupported(argument)
        name = argument.removeprefix("#/$defs/")
        return lambda value: checks[name](value)
    if key == "type":
        kinds = [argument] if isinstance(argument, str) else list(argument)
        return lambda value: any(_is_type(value, kind) for kind in kinds)
    if key == "enum":
        if all(isinstance(option, str) for option in argument):
            options = frozenset(argument)
            return lambda value: isinstance(value, str) and value in options
        return lambda value: any(_same(value, option) for option in argument)
    if key == "const":
        if isinstance(argument, str):
            return lambda value: isinstance(value, str) and value == argument
        return lambda value: _same(value, argument)
    if key == "properties":
        fields = {name: sub(schema) for name, schema in argument.items()}
        return lambda value: (
            not isinstance(value, dict) or all(fields[name](item) for name, item in value.items() if name in fields)
        )
    if key == "additionalProperties":
        if node.get("patternProperties"):
            raise _Unsupported(key)
        known = frozenset(node.get("properties", ()))
        if argument is False:
            return lambda value: not isinstance(value, dict) or known.issuperset(value)
        extra = sub(argument)
        return lambda value: (
            not isinstance(value, dict) or all(extra(item) for name, item in value.items() if name not in known)
        )
    if key == "required":
        return lambda value: not isinstance(value, dict) or all(name in value for name in argument)
    if key == "propertyNames":
        names = sub(argument)
        return lambda value: not isinstance(value, dict) or all(names(name) for name in value)
    if key == "items":
        each = sub(argument)
        return lambda value: not isinstance(value, list) or all(each(item) for item in value)
    if key in ("minItems", "minLength", "maxLength"):
        kind = list if key == "minItems" else str
        if key == "maxLength":
            return lambda value: not isinstance(value, kind) or len(value) <= argument
        return lambda value: not isinstance(value, kind) or len(value) >= argument
    if key in ("minimum", "maximum"):
        bound = float(argument)
        if key == "minimum":
            return lambda value: not _is_type(value, "number") or value >= bound
        return lambda value: not _is_type(value, "number") or value <= bound
    if key == "pattern":
        regex = re.compile(argument)
        return lambda value: not isinstance(value, str) or regex.search(value) is not None
    if key == "allOf" and (table := _dispatch(argument, checks)):
        field, cases = table

        # An allOf of `if {field: const} then ...` (the Type switch): one dict lookup, not eight ifs.
        def switch(value: Any) -> bool:
            tag = value.get(field) if isinstance(value, dict) else None
            case = cases.get(tag) if isinstance(tag, str) else None
            return case is None or case(value)

        return switch
    if key in ("anyOf", "allOf"):
        branches = [sub(schema) for schema in argument]
        if key == "anyOf":
            return lambda value: any(branch(value) for branch in branches)
        return lambda value: all(branch(value) for branch in branches)
    if key == "not":
        negated = sub(argument)
        return lambda value: not negated(value)
    if key == "if":
        then, otherwise = sub(node.get("then", True)), sub(node.get("else", True))
        if tag := _discriminator(argument):
            field, expected = tag
            return lambda value: (
                then(value) if isinstance(value, dict) and value.get(field) == expected else otherwise(value)
            )
        condition = sub(argument)
        return lambda value: then(value) if condition(value) else otherwise(value)
    raise _Unsupported(key)


def _discriminator(condition: Any) -> tuple[str, str] | None:
    """(field, value) when `condition` is `{"properties": {field: {"const": value}}, "required": [field]}`."""
    if not isinstance(condition, dict) or set(condition) != {"properties", "required"}:
        return None
    properties, required = condition["properties"], condition["required"]
    if len(properties) != 1 or list(properties) != required:
        return None
    ((field, test),) = properties.items()
    if set(test) == {"const"} and isinstance(test["const"], str):
        return field, test["const"]
    return None


def _dispatch(branches: list[Any], checks: Mapping[str, Check]) -> tuple[str, dict[str, Check]] | None:
    cases: dict[str, Check] = {}
    fields = set()
    for branch in branches:
        if not isinstance(branch, dict) or set(branch) != {"if", "then"}:
            return None
        tag = _discriminator(branch["if"])
        if tag is None or tag[1] in cases:
            return None
        fields.add(tag[0])
        cases[tag[1]] = _compile_check(branch["then"], checks)
    if len(fields) != 1:
        return None
    return fields.pop(), cases


# ---------------------------------------------------------------------------------------------
# Semantics


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


def is_timestamp(text: str) -> bool:
    """Whether `text` is an RFC 3339 date-time as AWS reads it: `T`, seconds, and `Z` or an offset."""
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(group) for group in match.groups()[:6])
    offset_hours, offset_minutes = match.group(8), match.group(9)
    if offset_hours is not None and (int(offset_hours) > 23 or int(offset_minutes) > 59):
        return False
    try:
        datetime(year, month, day, hour, minute, second)
    except ValueError:
        return False
    return True


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
            at = f"{pointer}/States/{_escape(name)}"
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
                    f"{pointer}/States/{_escape(name)}",
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
            entries = state.get(field)
            if isinstance(entries, list):
                for index, entry in enumerate(entries):
                    if isinstance(entry, dict) and isinstance(entry.get("Next"), str):
                        yield "Next", entry["Next"], f"{pointer}/{field}/{index}/Next"

    # -- one state --------------------------------------------------------------------------

    def state(self, state: dict[str, Any], pointer: str) -> None:
        kind = state.get("Type") if isinstance(state.get("Type"), str) else None
        own = state.get("QueryLanguage")
        language = own if own in ("JSONPath", "JSONata") else self.top_language
        if kind in _TRANSITIONING:
            has_next, end = "Next" in state, state.get("End")
            if has_next and end is True:
                self.add(f"{pointer}/End", "NEXT_AND_END", "A state cannot have both 'Next' and \"End\": true.")
            elif not has_next and ("End" not in state or end is False):  # a non-boolean End is a schema problem
                self.add(pointer, "MISSING_NEXT_OR_END", f"A {kind} state needs either 'Next' or \"End\": true.")
        for first, second in _EXCLUSIVE:
            if first in state and second in state:
                self.exclusive(pointer, first, second)
        self.error_handlers(state, pointer)
        if language == "JSONPath":
            self.jsonpath_fields(state, pointer)
        else:
            self.jsonata_fields(state, pointer)
        for at, assign in self.assignments(state, pointer):
            self.variables(assign, at, language)
        if kind == "Task":
            self.task(state, pointer)
        elif kind == "Wait":
            self.wait(state, pointer, language)
        elif kind == "Choice" and language == "JSONPath":
            choices = state.get("Choices")
            if isinstance(choices, list):
                for index, rule in enumerate(choices):
                    self.rule(rule, f"{pointer}/Choices/{index}")
        elif kind == "Parallel":
            branches = state.get("Branches")
            if isinstance(branches, list):
                for index, branch in enumerate(branches):
                    if isinstance(branch, dict):
                        self.scope(branch, f"{pointer}/Branches/{index}")
        elif kind == "Map":
            self.map(state, pointer)

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
            entries = state.get(field)
            if isinstance(entries, list):
                for index, entry in enumerate(entries):
                    if isinstance(entry, dict) and "Assign" in entry:
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
                f"{pointer}/{_escape(key)}",
                "INVALID_VARIABLE_NAME",
                f"Invalid variable name '{name}': {reason}.",
            )

    # -- JSONPath ---------------------------------------------------------------------------

    def jsonpath_fields(self, state: dict[str, Any], pointer: str) -> None:
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
            if isinstance(text, str):
                if text.startswith("States."):
                    self.intrinsic(text, f"{pointer}/{field}", field)
                else:
                    self.reference(text, f"{pointer}/{field}", field)
        for field in _TEMPLATE_FIELDS:
            if field in state:
                self.template(state[field], f"{pointer}/{field}")
        catchers = state.get("Catch")
        if isinstance(catchers, list):
            for index, catcher in enumerate(catchers):
                if isinstance(catcher, dict):
                    if "ResultPath" in catcher:
                        self.result_path(catcher["ResultPath"], f"{pointer}/Catch/{index}/ResultPath")
                    if "Assign" in catcher:
                        self.template(catcher["Assign"], f"{pointer}/Catch/{index}/Assign")
        choices = state.get("Choices")
        if isinstance(choices, list):
            for index, rule in enumerate(choices):
                if isinstance(rule, dict) and "Assign" in rule:
                    self.template(rule["Assign"], f"{pointer}/Choices/{index}/Assign")
        for owner, fields in (
            ("ItemReader", ("Parameters",)),
            ("ResultWriter", ("Parameters",)),
            ("ItemBatcher", ("BatchInput",)),
        ):
            part = state.get(owner)
            if isinstance(part, dict):
                for field in fields:
                    if field in part:
                        self.template(part[field], f"{pointer}/{owner}/{field}")
        config = state.get("ItemReader", {}).get("ReaderConfig") if isinstance(state.get("ItemReader"), dict) else None
        if isinstance(config, dict) and isinstance(config.get("MaxItemsPath"), str):
            self.reference(config["MaxItemsPath"], f"{pointer}/ItemReader/ReaderConfig/MaxItemsPath", "MaxItemsPath")
        batcher = state.get("ItemBatcher")
        if isinstance(batcher, dict):
            for field in ("MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath"):
                if isinstance(batcher.get(field), str):
                    self.reference(batcher[field], f"{pointer}/ItemBatcher/{field}", field)

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
            at = f"{pointer}/{_escape(key)}"
            if not key.endswith(".$"):
                self.template(value, at)
                continue
            message = f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic function call"
            if not isinstance(value, str):
                self.add(at, "INVALID_PAYLOAD_TEMPLATE", f"{message}, not {_kind(value)}.")
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
        if not isinstance(rule, dict):
            return
        combinators = [key for key in ("And", "Or", "Not") if key in rule]
        comparators = [key for key in rule if key in _COMPARATORS]
        if "Condition" in rule:
            return  # a JSONata rule in a JSONPath state: the schema reports it
        if combinators:
            if len(combinators) > 1 or comparators or "Variable" in rule:
                fields = ", ".join(combinators + comparators + ["Variable"] * ("Variable" in rule))
                self.add(
                    pointer,
                    "INVALID_CHOICE_RULE",
                    "A choice rule is either one of And/Or/Not or a data test (Variable and one comparison), "
                    f"not both: {fields}.",
                )
            for key in ("And", "Or"):
                if isinstance(rule.get(key), list):
                    for index, nested in enumerate(rule[key]):
                        self.rule(nested, f"{pointer}/{key}/{index}")
            if "Not" in rule:
                self.rule(rule["Not"], f"{pointer}/Not")
            return
        if "Variable" not in rule:
            self.add(
                pointer,
                "INVALID_CHOICE_RULE",
                "A choice rule needs a 'Variable' and one comparison operator, or And/Or/Not.",
            )
        elif isinstance(rule["Variable"], str):
            self.reference(rule["Variable"], f"{pointer}/Variable", "Variable")
        if not comparators:
            if "Variable" in rule:
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
            elif key in _TIMESTAMP_COMPARATORS and isinstance(operand, str) and not is_timestamp(operand):
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
            entries = state.get(owner)
            if isinstance(entries, list):
                for index, entry in enumerate(entries):
                    if isinstance(entry, dict):
                        for field in fields:
                            if field in entry:
                                self.jsonata(entry[field], f"{pointer}/{owner}/{index}/{field}")

    def jsonata(self, node: Any, pointer: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                self.jsonata(value, f"{pointer}/{_escape(key)}")
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
            and not is_timestamp(stamp)
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
        label = state.get("Label")
        if isinstance(label, str):
            if bad := sorted(set(_LABEL_FORBIDDEN.findall(label))):
                shown = ", ".join(repr(char) for char in bad)
                self.add(
                    f"{pointer}/Label",
                    "INVALID_LABEL",
                    "A Map Label cannot contain white space, control characters or any of "
                    f'?*<>{{}}[]:;,\\|^~$#%&`": found {shown}.',
                )
            if label in self.labels:
                self.add(
                    f"{pointer}/Label",
                    "DUPLICATE_LABEL",
                    f"Duplicate Map Label '{label}' (also at {self.labels[label]}).",
                )
            else:
                self.labels[label] = f"{pointer}/Label"
        reader = state.get("ItemReader")
        config = reader.get("ReaderConfig") if isinstance(reader, dict) else None
        if isinstance(config, dict) and "MaxItems" in config and "MaxItemsPath" in config:
            self.exclusive(f"{pointer}/ItemReader/ReaderConfig", "MaxItems", "MaxItemsPath")
        batcher = state.get("ItemBatcher")
        if isinstance(batcher, dict):
            for first, second in _BATCHER_EXCLUSIVE:
                if first in batcher and second in batcher:
                    self.exclusive(f"{pointer}/ItemBatcher", first, second)
            limits = [field for pair in _BATCHER_EXCLUSIVE for field in pair]
            if not any(field in batcher for field in limits):
                self.add(
                    f"{pointer}/ItemBatcher",
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
