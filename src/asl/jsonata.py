"""JSONata as Step Functions runs it: `{% ... %}` strings compiled once, evaluated many times.

The engine is jsonata-python (a pure-Python port that tracks jsonata-js 2.x, the library AWS runs).
This module adapts it to AWS: `$states` and the workflow variables are bound as `$name`, the AWS
functions (`$partition`, `$range`, `$hash`, `$random`, `$uuid`, `$parse`) are added and `$eval` is
removed, failures become `States.QueryEvaluationError` with AWS's cause texts and jsonata-js's
error messages, and results are converted to plain JSON with numbers as JavaScript prints them.

Evaluation is synchronous and not thread-safe for one expression: jsonata-python keeps its
current frame on the parsed expression while it runs.
"""

from __future__ import annotations

import hashlib
import json
import math
import random as _random
import re
import threading
import time
import uuid as _uuidlib
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Final

# jsonata-python (an absolute import: not this module); it ships no type information.
import jsonata as _jsonata  # type: ignore[import-untyped]
from jsonata import functions as _functions
from jsonata import jexception as _jexception
from jsonata import signature as _signature
from jsonata import utils as _utils

from .context import JSON, Env
from .errors import ExpressionError, QueryEvaluationError
from .paths import dumps

__all__ = ["Expression", "Template", "compile", "compile_template", "expect", "is_expression"]

_Engine = _jsonata.Jsonata
_NULL: Final[Any] = _utils.Utils.NULL_VALUE  # jsonata-python's JSON null; Python None is `undefined`
_MAX_SAFE: Final = 2**53
_RANGE_LIMIT: Final = 10_000_000  # the array a `[a..b]` range may allocate is capped (D2014) likewise


def is_expression(value: object) -> bool:
    """Whether a definition value is a JSONata string: exactly `{%` first and `%}` last."""
    return isinstance(value, str) and len(value) >= 4 and value.startswith("{%") and value.endswith("%}")


# ---------------------------------------------------------------------------------------------
# Expressions


@dataclass(frozen=True, slots=True)
class Expression:
    """A compiled JSONata string; `source` is its text between the delimiters, as AWS quotes it."""

    source: str
    engine: Any = field(repr=False, compare=False)
    # Names used as `$name` in the text: only these variables are bound at each evaluation.
    names: frozenset[str] = field(repr=False, compare=False)

    def evaluate(self, states: Mapping[str, JSON], env: Env, field: str) -> JSON:
        """The expression's value, as plain JSON; raises QueryEvaluationError as AWS does."""
        return self._evaluate(_Scope(states, env), field)

    def _evaluate(self, scope: _Scope, field: str) -> JSON:
        raw = _run(self, scope, field)
        if raw is None:
            raise QueryEvaluationError(
                f"The JSONata expression '{self.source}' specified for the field '{field}' "
                "returned nothing (undefined)."
            )
        try:
            return _to_json(raw)
        except _Unsupported:
            raise QueryEvaluationError(
                f"The JSONata expression '{self.source}' specified for the field '{field}' "
                "returned an unsupported result type."
            ) from None


def compile(text: str) -> Expression:
    """Compile a whole `{% ... %}` string; raises ExpressionError when it is not valid JSONata."""
    if not is_expression(text):
        raise ExpressionError(f"not a JSONata expression (it must start with '{{%' and end with '%}}'): {text!r}", text)
    source = text[2:-2].strip()
    engine, names = _parse(source)
    return Expression(source, engine, names)


@lru_cache(maxsize=4096)
def _parse(source: str) -> tuple[Any, frozenset[str]]:
    # jsonata-python's parser is slow (milliseconds): each distinct text is parsed once per process.
    if not source:
        raise ExpressionError("the JSONata expression is empty", source, 0)
    try:
        engine = _Engine(source)
    except _jexception.JException as error:
        position = error.location if isinstance(error.location, int) and error.location >= 0 else None
        raise ExpressionError(
            f"the JSONata expression '{source}' is invalid: {_describe(error)}", source, position
        ) from None
    except (RecursionError, Exception) as error:  # the parser fails on some inputs with plain errors
        raise ExpressionError(f"the JSONata expression '{source}' is invalid: {error}", source) from None
    if engine.errors:
        raise ExpressionError(f"the JSONata expression '{source}' is invalid", source)
    engine.set_validate_input(False)  # inputs are JSON already; validating would walk them each time
    engine.set_output_convert_nulls(False)  # keep null (NULL_VALUE) apart from undefined (None)
    engine.environment.parent = _AWS_FRAME
    return engine, frozenset(_variable_names(engine.ast))


def _variable_names(node: Any) -> set[str]:
    names: set[str] = set()
    seen: set[int] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif hasattr(item, "__dict__") and type(item).__module__.startswith("jsonata"):
            if getattr(item, "type", None) == "variable" and isinstance(getattr(item, "value", None), str):
                names.add(item.value)
            stack.extend(v for k, v in vars(item).items() if not k.startswith("_"))
    return names


class _Scope:
    """One evaluation's bindings, converted once and shared by every expression of a template."""

    __slots__ = ("states", "env", "_memo", "_states", "_variables")

    def __init__(self, states: Mapping[str, JSON], env: Env) -> None:
        self.states, self.env = states, env
        self._memo: dict[int, Any] = {}
        self._states: Any = _utils.Utils.NONE
        self._variables: dict[str, Any] = {}

    def bindings(self, names: frozenset[str]) -> dict[str, Any]:
        bound: dict[str, Any] = {}
        variables = self.env.variables
        for name in names:
            if name == "states":
                if self._states is _utils.Utils.NONE:
                    self._states = {k: _converted(v, self._memo) for k, v in self.states.items()}
                bound[name] = self._states
            elif name in variables:
                if name not in self._variables:
                    self._variables[name] = _converted(variables[name], self._memo)
                bound[name] = self._variables[name]
        return bound


class _Current(threading.local):
    scope: _Scope | None = None


_CURRENT: Final = _Current()


def _run(expression: Expression, scope: _Scope, field: str) -> Any:
    engine = expression.engine
    outer = _CURRENT.scope
    _CURRENT.scope = scope
    # jsonata-python finds the running expression (for $now, and lambdas passed to $map, $sort ...)
    # through this thread-local, which only its constructor sets.
    _engine_current = _Engine.CURRENT
    previous = getattr(_engine_current, "jsonata", None)
    _engine_current.jsonata = engine
    try:
        # The root context is undefined: AWS allows no bare field names or `$` at the top level.
        # `:=` binds in the fresh frame evaluate() makes for these bindings, never in `variables`.
        return engine.evaluate(None, scope.bindings(expression.names))
    except _jexception.JException as error:
        raise _failure(expression, field, _describe(error)) from None
    except QueryEvaluationError:
        raise
    except ZeroDivisionError:
        # jsonata-js divides as doubles; a non-finite number reaching JSON is out of range (unverified).
        raise _failure(expression, field, "D1001: Number out of range: null") from None
    except RecursionError:
        raise _failure(expression, field, f"D1011: {_MESSAGES['D1011']}") from None
    except Exception as error:  # a defect of the engine: still a query failure, never a traceback
        raise _failure(expression, field, f"{type(error).__name__}: {error}") from None
    finally:
        _engine_current.jsonata = previous
        _CURRENT.scope = outer


def _failure(expression: Expression, field: str, detail: str) -> QueryEvaluationError:
    return QueryEvaluationError(
        f"The JSONata expression '{expression.source}' specified for the field '{field}' "
        f"threw an error during evaluation. {detail}"
    )


# ---------------------------------------------------------------------------------------------
# Templates


@dataclass(frozen=True, slots=True)
class _Object:
    items: tuple[tuple[str, _Node], ...]


@dataclass(frozen=True, slots=True)
class _Array:
    items: tuple[_Node, ...]


@dataclass(frozen=True, slots=True)
class _Field:
    expression: Expression
    field: str


@dataclass(frozen=True, slots=True)
class _Literal:
    value: JSON


_Node = _Object | _Array | _Field | _Literal


@dataclass(frozen=True, slots=True)
class Template:
    """A JSON value whose JSONata strings (at any depth) are evaluated; keys are never evaluated."""

    value: JSON
    node: _Node = field(repr=False, compare=False)

    @property
    def constant(self) -> bool:
        """True when there is no expression inside: `evaluate` returns `value` itself."""
        return isinstance(self.node, _Literal)

    def evaluate(self, states: Mapping[str, JSON], env: Env) -> JSON:
        """The value with every expression replaced by its result; raises QueryEvaluationError."""
        node = self.node
        if isinstance(node, _Literal):
            return node.value
        return _fill(node, _Scope(states, env))


def compile_template(value: JSON, field: str) -> Template:
    """Compile every JSONata string inside `value`; `field` is its AWS location (`Output`, `Assign`)."""
    return Template(value, _build(value, field))


def _build(value: JSON, where: str) -> _Node:
    if isinstance(value, str) and is_expression(value):
        return _Field(compile(value), where)
    if isinstance(value, dict):
        items = tuple((key, _build(item, f"{where}/{key}")) for key, item in value.items())
        if all(isinstance(node, _Literal) for _, node in items):
            return _Literal(value)
        return _Object(items)
    if isinstance(value, list):
        # AWS names array members by the enclosing field only (unverified: no recorded cause).
        nodes = tuple(_build(item, where) for item in value)
        if all(isinstance(node, _Literal) for node in nodes):
            return _Literal(value)
        return _Array(nodes)
    return _Literal(value)


def _fill(node: _Node, scope: _Scope) -> JSON:
    if isinstance(node, _Field):
        return node.expression._evaluate(scope, node.field)
    if isinstance(node, _Object):
        return {key: _fill(item, scope) for key, item in node.items}
    if isinstance(node, _Array):
        return [_fill(item, scope) for item in node.items]
    return node.value


# ---------------------------------------------------------------------------------------------
# Result types

_KINDS: Final[dict[str, Callable[[JSON], bool]]] = {
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
}


def type_name(value: JSON) -> str:
    """The JSON type AWS names in causes: null, boolean, number, string, array or object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def expect(value: JSON, kind: str, expression: Expression | None, field: str) -> JSON:
    """`value` when it is of `kind` (array, integer, number, boolean, string or object).

    Raises QueryEvaluationError with AWS's "returned an unexpected result type" cause otherwise.
    """
    if _KINDS[kind](value):
        return value
    found = f"Expected '{kind}', but was '{type_name(value)}' for value: {dumps(value)}"
    if expression is None:  # a literal of the wrong type (unverified wording: AWS rejects most at validation)
        raise QueryEvaluationError(f"The value specified for the field '{field}' has an unexpected type. {found}")
    raise QueryEvaluationError(
        f"The JSONata expression '{expression.source}' specified for the field '{field}' "
        f"returned an unexpected result type. {found}"
    )


# ---------------------------------------------------------------------------------------------
# Conversions between JSON and the engine's values


def _to_engine(value: Any, memo: dict[int, Any]) -> Any:
    """JSON as jsonata-js sees it: null as NULL_VALUE, integral doubles as ints; copies only what changes."""
    if value is None:
        return _NULL
    if isinstance(value, float):
        # jsonata-js parsed 1.0 as the double 1, which $string prints as "1".
        return _number(value) if math.isfinite(value) else value
    if not isinstance(value, (dict, list)):
        return value
    key = id(value)
    if key in memo:
        return memo[key]
    result: Any = value
    if isinstance(value, dict):
        for name, item in value.items():
            converted = _to_engine(item, memo)
            if converted is not item:
                if result is value:
                    result = dict(value)
                result[name] = converted
    else:
        for index, item in enumerate(value):
            converted = _to_engine(item, memo)
            if converted is not item:
                if result is value:
                    result = list(value)
                result[index] = converted
    memo[key] = result
    return result


# The engine's copies of recent inputs and variables, by identity. The JSON values of a run are
# never changed in place (every step makes new ones), and the same input or variable is usually
# read by several fields and states, so each is walked once instead of at every evaluation.
_CONVERTED: Final[OrderedDict[int, tuple[Any, Any]]] = OrderedDict()
_CONVERTED_SIZE: Final = 256


def _converted(value: Any, memo: dict[int, Any]) -> Any:
    if not isinstance(value, (dict, list)):
        return _to_engine(value, memo)
    key = id(value)
    entry = _CONVERTED.get(key)
    if entry is not None and entry[0] is value:
        _CONVERTED.move_to_end(key)
        return entry[1]
    result = _to_engine(value, memo)
    _CONVERTED[key] = (value, result)  # holding `value` keeps its id from being reused
    if len(_CONVERTED) > _CONVERTED_SIZE:
        _CONVERTED.popitem(last=False)
    return result


class _Unsupported(Exception):
    """A function, regex or other non-JSON value in a result."""


def _to_json(value: Any) -> JSON:
    """Plain JSON as AWS returns it: jsonata-js numbers are doubles and JSON.stringify prints them."""
    if value is _NULL:
        return None
    if isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        return value if -_MAX_SAFE <= value <= _MAX_SAFE else _number(float(value))
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, dict):
        # JSON.stringify leaves out members whose value is undefined.
        return {str(key): _to_json(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [None if item is None else _to_json(item) for item in value]
    raise _Unsupported


def _number(value: float) -> int | float | None:
    # JavaScript prints an integral double below 1e21 without a fraction ("2", never "2.0"), and
    # -0 as "0"; NaN and the infinities become null.
    if not math.isfinite(value):
        return None
    if value.is_integer() and abs(value) < 1e21:
        return int(value)
    return value


def _js_number(value: float | int) -> str:
    """A number as JavaScript's String() prints it (used inside error messages)."""
    number = _number(float(value)) if not isinstance(value, int) or abs(value) > _MAX_SAFE else value
    if number is None:
        return "null"
    if isinstance(number, int):
        return str(number)
    text = repr(number)
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        text = f"{mantissa}e{sign}{exponent.lstrip('+-').lstrip('0') or '0'}"
    return text


def _js_stringify(value: Any) -> str:
    """JSON.stringify of an engine value, as jsonata-js puts values into its messages."""
    if value is None:
        return "undefined"
    if value is _NULL:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _js_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join("null" if v is None else _js_stringify(v) for v in value) + "]"
    if isinstance(value, dict):
        members = (f"{json.dumps(str(k), ensure_ascii=False)}:{_js_stringify(v)}" for k, v in value.items())
        return "{" + ",".join(m for m, v in zip(members, value.values(), strict=True) if v is not None) + "}"
    return "undefined"  # functions and regexes vanish in JSON.stringify


# ---------------------------------------------------------------------------------------------
# Error messages as jsonata-js words them

# jsonata-python keeps jsonata-js's catalogue but its Java ancestry renamed "function" to "Object".
_MESSAGES: Final[dict[str, str]] = {
    code: text.replace("Object", "function") for code, text in _jexception.JException.error_codes.items()
}
# Codes jsonata-python raises under their message text instead of the code.
_MESSAGE_CODES: Final = {
    "Second argument of replace function cannot be an empty string": "D3010",
    "Fourth argument of replace function must evaluate to a positive number": "D3011",
}
_ARRAY_TYPES: Final = {
    "a": "arrays",
    "b": "booleans",
    "f": "functions",
    "n": "numbers",
    "o": "objects",
    "s": "strings",
}


def _inserts(error: Any) -> dict[str, Any]:
    """The named inserts of a jsonata-js message, from jsonata-python's positional arguments."""
    code, first, second, third = error.error, error.current, error.expected, error.extra
    if code in ("T2001", "T2002", "T2010"):
        return {"token": first, "value": second}
    if code == "T0410":
        return {"index": first, "token": second}
    if code == "T0411":
        return {"value": first, "index": second}
    if code == "T0412":
        return {"index": first, "token": second, "type": _ARRAY_TYPES.get(third, third)}
    if code == "D1002":
        return {"token": first, "value": second}
    if code in ("T2007", "T2009"):
        return {"value": first, "value2": second, "token": third}
    if code == "D3061":
        return {"value": first, "exp": second}
    if code in ("D3100", "D3138"):  # raised with the value where the position belongs
        return {"value": error.location}
    if code in ("D3137", "D3141"):
        return {"message": first}
    return {"token": first, "value": first}


def _describe(error: Any) -> str:
    """`<code>: <message>` as jsonata-js (and so AWS) writes it."""
    if isinstance(error, _Raise):
        return f"{error.error}: {error.detail}"
    code = _MESSAGE_CODES.get(error.error, error.error)
    template = _MESSAGES.get(code)
    if template is None:
        return f"{code}: {error}"
    inserts = _inserts(error)
    text = re.sub(r"\{\{\{(\w+)\}\}\}", lambda m: _js_text(inserts.get(m.group(1))), template)
    text = re.sub(r"\{\{(\w+)\}\}", lambda m: _js_stringify(inserts.get(m.group(1))), text)
    return f"{code}: {text}"


def _js_text(value: Any) -> str:
    if value is None:
        return "undefined"
    return value if isinstance(value, str) else _js_stringify(value)


class _Raise(_jexception.JException):  # type: ignore[misc]
    """An error of our functions, with its code and a finished message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__("D3137", -1, message)
        self.error, self.detail = code, message


# ---------------------------------------------------------------------------------------------
# AWS functions


def _floor(value: Any) -> int:
    return int(math.floor(value))


def _partition(array: Any, size: Any) -> Any:
    items = list(array) if isinstance(array, list) else [array]
    step = _floor(size)
    if step < 1:
        raise _Raise("D3137", "The size argument of $partition must be a positive integer")
    return _utils.Utils.JList(_utils.Utils.JList(items[i : i + step]) for i in range(0, len(items), step))


def _range(start: Any, end: Any, step: Any) -> Any:
    first, last, by = _floor(start), _floor(end), _floor(step)
    if by == 0:
        raise _Raise("D3137", "The step argument of $range must not be zero")
    values = range(first, last + (1 if by > 0 else -1), by)
    if len(values) > _RANGE_LIMIT:
        raise _Raise("D2014", _MESSAGES["D2014"].replace("{{value}}", str(len(values))))
    # A sequence, as jsonata's own ranges: one number comes out as that number (recorded on AWS).
    return _utils.Utils.create_sequence_from_iter(values)


_HASHES: Final = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


def _hash(value: Any, algorithm: Any) -> Any:
    name = _HASHES.get(algorithm)
    if name is None:
        raise _Raise("D3137", f"The algorithm argument of $hash must be one of {', '.join(_HASHES)}")
    return hashlib.new(name, value.encode("utf-8")).hexdigest()


def _scope() -> _Scope | None:
    return _CURRENT.scope


def _random_number(seed: Any = None) -> Any:
    if seed is not None:
        # Seeded draws repeat; AWS's generator is not documented, so the values differ from AWS's.
        return _random.Random(_floor(seed)).random()
    scope = _scope()
    return (scope.env.random if scope is not None else _random).random()


def _uuid() -> Any:
    scope = _scope()
    source = scope.env.random if scope is not None else _random.Random()
    return str(_uuidlib.UUID(int=source.getrandbits(128), version=4))


def _parse_json(text: Any) -> Any:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise _Raise("D3137", f"Unable to parse JSON: {error.msg}") from None
    return _to_engine(value, {})


def _number_of(arg: Any) -> Any:
    # jsonata-js's $number: jsonata-python lets float() decide, and fails with a ValueError.
    if arg is None:
        return None
    if isinstance(arg, bool):
        return 1 if arg else 0
    if isinstance(arg, (int, float)):
        return arg
    if isinstance(arg, str):
        if re.fullmatch(r"-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?", arg):
            number = float(arg)
            if math.isfinite(number):
                return number
        elif re.fullmatch(r"0[xX][0-9A-Fa-f]+|0[oO][0-7]+|0[bB][01]+", arg):
            return int(arg, 0)
    error = _jexception.JException("D3030", -1, arg)
    raise error


def _now_millis() -> int:
    # $now() and $millis() read the state's entry time from the context object, so a run on a
    # virtual clock repeats; AWS reads the wall clock a few milliseconds later.
    scope = _scope()
    if scope is not None:
        context = scope.states.get("context")
        for section, key in (("State", "EnteredTime"), ("Execution", "StartTime")):
            part = context.get(section) if isinstance(context, dict) else None
            stamp = part.get(key) if isinstance(part, dict) else None
            if isinstance(stamp, str):
                try:
                    return round(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000)
                except ValueError:
                    pass
    return time.time_ns() // 1_000_000


def _now(picture: Any = None, timezone: Any = None) -> Any:
    return _functions.Functions.datetime_from_millis(_now_millis(), picture, timezone)


class _Native(_jsonata.Jsonata.JFunctionCallable):  # type: ignore[misc]
    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function

    def call(self, input: Any, args: Sequence[Any] | None) -> Any:
        return self.function(*(args or ()))


def _aws_frame() -> Any:
    frame = _Engine.Frame(_Engine.static_frame)
    functions: dict[str, tuple[Callable[..., Any], str]] = {
        "partition": (_partition, "<an:a>"),
        "range": (_range, "<nnn:a>"),
        "hash": (_hash, "<ss:s>"),
        "random": (_random_number, "<n?:n>"),
        "uuid": (_uuid, "<:s>"),
        "parse": (_parse_json, "<s:x>"),
        "number": (_number_of, "<(nsb)-:n>"),
        "now": (_now, "<s?s?:s>"),
        "millis": (_now_millis, "<:n>"),
    }
    for name, (implementation, signature) in functions.items():
        frame.bind(name, _Engine.JFunction(_Native(implementation), signature))
    frame.bind("eval", None)  # AWS removes $eval: calling it invokes a non-function
    return frame


_AWS_FRAME: Final = _aws_frame()


def _throw_validation_error(self: Any, args: Any, supplied: str, function_name: str | None) -> Any:
    # jsonata-js finds the first bad argument by matching ever longer prefixes of the signature;
    # jsonata-python matches whole strings, so it blames argument 1 for an extra argument.
    pattern, good_to = "^", 0
    for param in self._params:
        pattern += param.regex
        match = re.match(pattern, supplied)
        if match is None:
            break
        good_to = match.end()
    raise _jexception.JException("T0410", -1, good_to + 1, function_name)


_signature.Signature.throw_validation_error = _throw_validation_error
