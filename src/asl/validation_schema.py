"""Validation, stage two: the JSON Schema of the language (`schemas/asl.schema.json`, shipped as
`asl/asl.schema.json`): state types, closed field sets per query language, value types, ranges.

python-jsonschema judges and describes; but it spends ~250 microseconds per state, so the schema is
also compiled here into plain closures that only answer "valid or not", and jsonschema runs only
on the parts they reject. Measured on the 719 conformance definitions (2-core machine, median of
5): the closures take 41.5 ms, jsonschema's `is_valid` 464.8 ms (11x); `validate()` end to end,
semantic pass included, 48.5 ms. The closures are checked against jsonschema on fixtures and on
generated documents (tests/test_validation.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from .choice import OPERATORS
from .context import JSON
from .errors import Problem
from .errors import pointer as json_pointer

__all__ = ["BATCHER_EXCLUSIVE", "EXCLUSIVE", "kind", "schema", "schema_problems"]

Check = Callable[[Any], bool]

# Pairs AWS refuses together (a literal and the path that would supply it).
EXCLUSIVE: Final = (
    ("TimeoutSeconds", "TimeoutSecondsPath"),
    ("HeartbeatSeconds", "HeartbeatSecondsPath"),
    ("Error", "ErrorPath"),
    ("Cause", "CausePath"),
    ("MaxConcurrency", "MaxConcurrencyPath"),
    ("ToleratedFailureCount", "ToleratedFailureCountPath"),
    ("ToleratedFailurePercentage", "ToleratedFailurePercentagePath"),
)
BATCHER_EXCLUSIVE: Final = (
    ("MaxItemsPerBatch", "MaxItemsPerBatchPath"),
    ("MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath"),
)
# Fields named in messages about a field of the other query language.
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
    | {field for pair in EXCLUSIVE + BATCHER_EXCLUSIVE for field in pair if field.endswith("Path")}
    | {"And", "Or", "Not", "MaxItemsPath"}
    | OPERATORS
)
_JSONATA_ONLY: Final = frozenset({"Arguments", "Output", "Condition", "Items"})


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


def schema_problems(document: JSON) -> list[Problem]:
    """Every place where `document` breaks the schema, described for people."""
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
        pointer = json_pointer(*location)
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
                    problems.append(Problem(pointer + json_pointer(key), "SCHEMA_VALIDATION_FAILED", message))
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
        return f"The field '{field}' must be {_expected(error.schema, compiled)}, not {kind(instance)}"
    bounds = {
        "minimum": "at least",
        "maximum": "at most",
        "minItems": "an array of at least",
        "minLength": "a string of at least",
        "maxLength": "a string of at most",
    }
    if validator in bounds:
        unit = {"minItems": " items", "minLength": " characters", "maxLength": " characters"}.get(validator, "")
        return f"The field '{field}' must be {bounds[validator]} {value}{unit}, not {kind(instance)}"
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


def kind(value: object) -> str:
    """A value as a message shows it: a short string in quotes, or what kind of value it is."""
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


def _always(value: object) -> bool:
    return True


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
        return _always
    if node is False:
        return _never
    parts: list[Check] = []
    for key, argument in node.items():
        if key in _ANNOTATIONS:
            continue
        build = _KEYWORDS.get(key)
        if build is None:
            raise _Unsupported(key)
        parts.append(build(_Keyword(argument, node, checks)))
    if len(parts) == 1:
        return parts[0]
    return lambda value: all(part(value) for part in parts)


class _Keyword:
    """One keyword of a schema node being compiled: its argument, the node, the named checks."""

    __slots__ = ("argument", "node", "checks")

    def __init__(self, argument: Any, node: dict[str, Any], checks: Mapping[str, Check]) -> None:
        self.argument, self.node, self.checks = argument, node, checks

    def sub(self, schema: Any) -> Check:
        return _compile_check(schema, self.checks)


def _ref(k: _Keyword) -> Check:
    if not k.argument.startswith("#/$defs/"):
        raise _Unsupported(k.argument)
    name, checks = k.argument.removeprefix("#/$defs/"), k.checks
    return lambda value: checks[name](value)


def _type(k: _Keyword) -> Check:
    kinds = [k.argument] if isinstance(k.argument, str) else list(k.argument)
    return lambda value: any(_is_type(value, kind) for kind in kinds)


def _enum(k: _Keyword) -> Check:
    options = k.argument
    if all(isinstance(option, str) for option in options):
        names = frozenset(options)
        return lambda value: isinstance(value, str) and value in names
    return lambda value: any(_same(value, option) for option in options)


def _const(k: _Keyword) -> Check:
    expected = k.argument
    if isinstance(expected, str):
        return lambda value: isinstance(value, str) and value == expected
    return lambda value: _same(value, expected)


def _properties(k: _Keyword) -> Check:
    fields = {name: k.sub(schema) for name, schema in k.argument.items()}
    return lambda value: (
        not isinstance(value, dict) or all(fields[name](item) for name, item in value.items() if name in fields)
    )


def _additional_properties(k: _Keyword) -> Check:
    if k.node.get("patternProperties"):
        raise _Unsupported("patternProperties")
    known = frozenset(k.node.get("properties", ()))
    if k.argument is False:
        return lambda value: not isinstance(value, dict) or known.issuperset(value)
    extra = k.sub(k.argument)
    return lambda value: (
        not isinstance(value, dict) or all(extra(item) for name, item in value.items() if name not in known)
    )


def _required(k: _Keyword) -> Check:
    names = k.argument
    return lambda value: not isinstance(value, dict) or all(name in value for name in names)


def _property_names(k: _Keyword) -> Check:
    names = k.sub(k.argument)
    return lambda value: not isinstance(value, dict) or all(names(name) for name in value)


def _items(k: _Keyword) -> Check:
    each = k.sub(k.argument)
    return lambda value: not isinstance(value, list) or all(each(item) for item in value)


def _length(container: type[list[Any]] | type[str], at_least: bool) -> Callable[[_Keyword], Check]:
    def build(k: _Keyword) -> Check:
        bound = k.argument
        if at_least:
            return lambda value: not isinstance(value, container) or len(value) >= bound
        return lambda value: not isinstance(value, container) or len(value) <= bound

    return build


def _bound(at_least: bool) -> Callable[[_Keyword], Check]:
    def build(k: _Keyword) -> Check:
        bound = float(k.argument)
        if at_least:
            return lambda value: not _is_type(value, "number") or value >= bound
        return lambda value: not _is_type(value, "number") or value <= bound

    return build


def _pattern(k: _Keyword) -> Check:
    regex = re.compile(k.argument)
    return lambda value: not isinstance(value, str) or regex.search(value) is not None


def _all_of(k: _Keyword) -> Check:
    table = _dispatch(k.argument, k.checks)
    if table is None:
        branches = [k.sub(schema) for schema in k.argument]
        return lambda value: all(branch(value) for branch in branches)
    field, cases = table

    # An allOf of `if {field: const} then ...` (the Type switch): one dict lookup, not eight ifs.
    def switch(value: Any) -> bool:
        tag = value.get(field) if isinstance(value, dict) else None
        case = cases.get(tag) if isinstance(tag, str) else None
        return case is None or case(value)

    return switch


def _any_of(k: _Keyword) -> Check:
    branches = [k.sub(schema) for schema in k.argument]
    return lambda value: any(branch(value) for branch in branches)


def _not(k: _Keyword) -> Check:
    negated = k.sub(k.argument)
    return lambda value: not negated(value)


def _if(k: _Keyword) -> Check:
    then, otherwise = k.sub(k.node.get("then", True)), k.sub(k.node.get("else", True))
    if tag := _discriminator(k.argument):
        field, expected = tag
        return lambda value: (
            then(value) if isinstance(value, dict) and value.get(field) == expected else otherwise(value)
        )
    condition = k.sub(k.argument)
    return lambda value: then(value) if condition(value) else otherwise(value)


_KEYWORDS: Final[Mapping[str, Callable[[_Keyword], Check]]] = {
    "$ref": _ref,
    "type": _type,
    "enum": _enum,
    "const": _const,
    "properties": _properties,
    "additionalProperties": _additional_properties,
    "required": _required,
    "propertyNames": _property_names,
    "items": _items,
    "minItems": _length(list, at_least=True),
    "minLength": _length(str, at_least=True),
    "maxLength": _length(str, at_least=False),
    "minimum": _bound(at_least=True),
    "maximum": _bound(at_least=False),
    "pattern": _pattern,
    "allOf": _all_of,
    "anyOf": _any_of,
    "not": _not,
    "if": _if,
}


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
