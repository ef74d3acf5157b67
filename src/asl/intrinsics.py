"""Intrinsic functions (`States.Format(...)` and the seventeen others): parsed once, evaluated many times.

`compile` turns the text of a `.$` value into a frozen call tree; `Call.evaluate` runs it against the
state's input and an `Env`. Every implementation sits in one table, `INTRINSICS`.

`compile` checks the shape of a call (syntax, function names, argument counts) and raises
ExpressionError; argument types and values are checked only when the call runs, as on AWS, where even
a literal of the wrong type (`States.ArrayLength('x')`) fails the execution, not the definition:

- arguments a function cannot use fail with `States.Runtime` and the cause
  `Invalid arguments in States.<Name>`, the error and text AWS gives (not `States.IntrinsicFailure`);
- a path argument that selects nothing raises `paths.PathNotFound`, for the caller to word.

Where AWS wants an integer and gets a fraction it drops the fraction (ArrayRange, ArrayPartition,
ArrayGetItem, MathRandom); only MathAdd rounds, as Java's `Math.round` does.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import random as _random
import re
import uuid
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Final, NoReturn, TypeAlias

from . import paths
from .context import JSON, Env
from .errors import ExpressionError, RuntimeFailure

__all__ = ["INTRINSICS", "Call", "Intrinsic", "Literal", "PathArgument", "compile", "is_call"]

MAX_NESTING: Final = 10  # AWS: up to 10 intrinsic functions nested within one field
MAX_TEXT: Final = 10_000  # AWS: input limit of Base64Encode, Base64Decode and Hash
MAX_RANGE: Final = 1000  # AWS: the most elements ArrayRange may produce
# The two above as the run in progress has them (asl.Limits may raise them): (text, range).
QUOTAS: ContextVar[tuple[int, int]] = ContextVar("asl_intrinsic_quotas", default=(MAX_TEXT, MAX_RANGE))
INT32_MIN: Final = -(2**31)
INT32_MAX: Final = 2**31 - 1
HASH_ALGORITHMS: Final = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
_KEYWORDS: Final[dict[str, JSON]] = {"true": True, "false": False, "null": None}
_LOOKS_LIKE_CALL = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\(")
_LITERAL_ESCAPES = frozenset("'{}\\")


# --------------------------------------------------------------------------------------- call tree


@dataclass(frozen=True, slots=True)
class Literal:
    """A literal argument: a quoted string, a number, true, false or null; `raw` is a string as written."""

    value: JSON
    raw: str | None = None

    def evaluate(self, value: JSON, env: Env) -> JSON:
        return self.value


@dataclass(frozen=True, slots=True)
class PathArgument:
    """A path argument (`$.x`, `$$.x`, `$var.x`), compiled once."""

    path: paths.Path

    def evaluate(self, value: JSON, env: Env) -> JSON:
        return self.path.get(value, env)


@dataclass(frozen=True, slots=True)
class _Template:
    """A States.Format template split at its `{}` placeholders; `valid` is False for a stray brace."""

    pieces: tuple[str, ...]
    valid: bool = True


Argument: TypeAlias = "Literal | PathArgument | Call"


@dataclass(frozen=True, slots=True)
class Call:
    """One intrinsic function call with its arguments (literals, paths or nested calls); immutable."""

    name: str
    args: tuple[Argument, ...]
    text: str = field(default="", compare=False)
    # States.Format with a literal template: split at compile time, where escapes are still known.
    template: _Template | None = field(default=None, compare=False)

    # `run(value, env)`: the call as one function, composed once from the implementation and a
    # reader per argument (a path's own getter, a nested call's `run`).
    run: Callable[[JSON, Env], JSON] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        readers = tuple(
            arg.path.get if isinstance(arg, PathArgument) else arg.run if isinstance(arg, Call) else arg.evaluate
            for arg in self.args
        )
        function = INTRINSICS[self.name].function
        if len(self.args) == 2 and self.template is None and isinstance(self.args[1], Literal):
            run = _with_literal(function, readers[0], self.args[1].value)  # `MathAdd($.i, 1)` and the like
        else:
            run = _compose(function, readers, self.template)
        object.__setattr__(self, "run", run)

    def evaluate(self, value: JSON, env: Env) -> JSON:
        """The result for input `value` (the template's `$`); raises RuntimeFailure (States.Runtime)."""
        return self.run(value, env)


def _with_literal(
    function: Callable[[Sequence[object], Env], JSON], first: Callable[[JSON, Env], object], second: JSON
) -> Callable[[JSON, Env], JSON]:
    """A call of two arguments whose second is a literal, passed as it is."""

    def two(value: JSON, env: Env) -> JSON:
        try:
            return function((first(value, env), second), env)
        except RecursionError:
            raise RuntimeFailure.too_deep() from None

    return two


def _compose(
    function: Callable[[Sequence[object], Env], JSON],
    readers: tuple[Callable[[JSON, Env], object], ...],
    template: _Template | None,
) -> Callable[[JSON, Env], JSON]:
    """A call as one function; one or two arguments (most calls) are read without a loop."""
    if template is None and len(readers) == 1:
        (first,) = readers

        def one(value: JSON, env: Env) -> JSON:
            try:
                return function((first(value, env),), env)
            except RecursionError:  # StringToJson, JsonToString... on a value too deep to walk
                raise RuntimeFailure.too_deep() from None

        return one
    if template is None and len(readers) == 2:
        first, second = readers

        def two(value: JSON, env: Env) -> JSON:
            try:
                return function((first(value, env), second(value, env)), env)
            except RecursionError:
                raise RuntimeFailure.too_deep() from None

        return two

    if template is not None and template.valid and len(template.pieces) == len(readers):
        return _format(template, readers[1:])

    def many(value: JSON, env: Env) -> JSON:
        values: list[object] = [read(value, env) for read in readers]
        if template is not None:
            values[0] = template
        try:
            return function(values, env)
        except RecursionError:
            raise RuntimeFailure.too_deep() from None

    return many


def _format(template: _Template, readers: tuple[Callable[[JSON, Env], object], ...]) -> Callable[[JSON, Env], JSON]:
    """States.Format with a literal template that fits its arguments: `format_` composed."""
    head, pieces = template.pieces[0], template.pieces[1:]

    def format_call(value: JSON, env: Env) -> JSON:
        out = head
        try:
            for read, piece in zip(readers, pieces, strict=True):  # as many: checked when composed
                found = read(value, env)
                out += (found if type(found) is str else _java_text(found)) + piece
        except RecursionError:
            raise RuntimeFailure.too_deep() from None
        return out

    return format_call


# ------------------------------------------------------------------------------------------ parser


@lru_cache(maxsize=4096)
def compile(text: str) -> Call:  # noqa: A001 - the module's verb, as re.compile
    """Parse a call such as `States.Format('{}', $.x)`; raises ExpressionError when it is not one."""
    if not isinstance(text, str):
        raise ExpressionError("an intrinsic function call must be a string", str(text), 0)
    parser = _Parser(text)
    parser.skip_space()
    call = parser.call(1)
    parser.skip_space()
    if parser.pos != len(text):
        parser.fail("unexpected text after the intrinsic function call")
    return call


def is_call(text: str) -> bool:
    """Whether `text` looks like an intrinsic call (`Name(...)`) rather than a path; it does not parse it."""
    return bool(_LOOKS_LIKE_CALL.match(text)) and text.rstrip().endswith(")")


class _Parser:
    """Recursive descent over the text; `pos` is the index of the next unread character."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, message: str, position: int | None = None) -> NoReturn:
        where = self.pos if position is None else position
        raise ExpressionError(f"{message} (at position {where} of {self.text!r})", self.text, where)

    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def call(self, depth: int) -> Call:
        start = self.pos
        match = _NAME.match(self.text, self.pos)
        if match is None:
            self.fail("expected an intrinsic function name such as States.Format")
        name = match.group()
        self.pos = match.end()
        if self.peek() != "(":
            self.fail(f"expected '(' after {name!r}")
        intrinsic = INTRINSICS.get(name)
        if intrinsic is None:
            self.fail(f"unknown intrinsic function {name!r}", start)
        if depth > MAX_NESTING:
            self.fail(f"intrinsic functions may be nested at most {MAX_NESTING} deep", start)
        self.pos += 1
        args = self.arguments(depth)
        if not intrinsic.accepts(len(args)):
            self.fail(f"{name} takes {intrinsic.arity_text()}, got {len(args)}", start)
        template = None
        if name == "States.Format" and isinstance(args[0], Literal) and args[0].raw is not None:
            template = _split_template(args[0].raw)
        return Call(name, tuple(args), self.text[start : self.pos], template)

    def arguments(self, depth: int) -> list[Argument]:
        args: list[Argument] = []
        self.skip_space()
        if self.peek() == ")":
            self.pos += 1
            return args
        while True:
            self.skip_space()
            args.append(self.argument(depth))
            self.skip_space()
            char = self.peek()
            self.pos += 1
            if char == ")":
                return args
            if char != ",":
                self.fail("expected ',' or ')' after an argument", self.pos - 1)

    def argument(self, depth: int) -> Argument:
        char = self.peek()
        if char == "'":
            return self.string()
        if char == "$":
            return self.path()
        if char == "-" or char.isdigit():
            return self.number()
        match = _NAME.match(self.text, self.pos)
        if match is None:
            self.fail("expected an argument: a 'string', a number, true, false, null, a path or a call")
        word = match.group()
        if word in _KEYWORDS and self.text[match.end() : match.end() + 1] != "(":
            self.pos = match.end()
            return Literal(_KEYWORDS[word])
        return self.call(depth + 1)

    def string(self) -> Literal:
        start = self.pos
        self.pos += 1
        chars: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "'":
                self.pos += 1
                return Literal("".join(chars), self.text[start + 1 : self.pos - 1])
            if char == "\\":
                escaped = self.text[self.pos + 1 : self.pos + 2]
                if escaped not in _LITERAL_ESCAPES or not escaped:
                    self.fail("invalid escape in a string literal (only \\' \\{ \\} \\\\ are allowed)")
                chars.append(escaped)
                self.pos += 2
                continue
            chars.append(char)
            self.pos += 1
        self.fail("unterminated string literal", start)

    def number(self) -> Literal:
        match = _NUMBER.match(self.text, self.pos)
        if match is None:
            self.fail("invalid number")
        self.pos = match.end()
        text = match.group()
        if match.group(1) is None and match.group(2) is None:
            return Literal(int(text))
        number = float(text)
        if not math.isfinite(number):
            self.fail("number out of range", match.start())
        return Literal(number)

    def path(self) -> PathArgument:
        start = self.pos
        depth = 0
        quote = ""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if quote:
                if char == "\\":
                    self.pos += 1
                elif char == quote:
                    quote = ""
            elif depth and char in "'\"":
                quote = char
            elif char in "[(":
                depth += 1
            elif char in "])":
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and (char == "," or char.isspace()):
                break
            self.pos += 1
        if quote or depth:
            self.fail("unterminated path argument", start)
        text = self.text[start : self.pos]
        try:
            return PathArgument(paths.compile(text))
        except ExpressionError as error:
            self.fail(f"invalid path argument {text!r}: {error}", start)


def _split_template(raw: str) -> _Template:
    """Split a Format template at `{}`; `\\{`, `\\}`, `\\'` and `\\\\` stand for the character itself."""
    pieces: list[str] = []
    current: list[str] = []
    index = 0
    valid = True
    while index < len(raw):
        char = raw[index]
        if char == "\\" and raw[index + 1 : index + 2] in _LITERAL_ESCAPES and index + 1 < len(raw):
            current.append(raw[index + 1])
            index += 2
            continue
        if char == "{" and raw[index + 1 : index + 2] == "}":
            pieces.append("".join(current))
            current = []
            index += 2
            continue
        if char in "{}":
            valid = False  # AWS rejects a brace that is neither escaped nor part of `{}`
        current.append(char)
        index += 1
    pieces.append("".join(current))
    return _Template(tuple(pieces), valid)


# -------------------------------------------------------------------------------- the function table

Implementation: TypeAlias = Callable[[Sequence[object], Env], JSON]


@dataclass(frozen=True, slots=True)
class Intrinsic:
    """One intrinsic function: its implementation and its argument count, exact or `(least, most or None)`."""

    function: Implementation
    arity: int | tuple[int, int | None]

    def accepts(self, count: int) -> bool:
        least, most = (self.arity, self.arity) if isinstance(self.arity, int) else self.arity
        return count >= least and (most is None or count <= most)

    def arity_text(self) -> str:
        if isinstance(self.arity, int):
            return f"{self.arity} argument{'s' * (self.arity != 1)}"
        least, most = self.arity
        if most is None:
            return f"at least {least} argument{'s' * (least != 1)}"
        return f"{least} to {most} arguments"


def _invalid(name: str) -> NoReturn:
    raise RuntimeFailure(f"Invalid arguments in {name}")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _integer(value: object, name: str) -> int:
    """An integer argument; AWS drops the fraction of a non-integer number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _invalid(name)
    if isinstance(value, float):
        if not math.isfinite(value):
            _invalid(name)
        return int(value)
    return value


def _string(value: object, name: str, limit: int | None = None) -> str:
    if not isinstance(value, str) or (limit is not None and len(value) > limit):
        _invalid(name)
    return value


def _array(value: object, name: str) -> list[JSON]:
    if not isinstance(value, list):
        _invalid(name)
    return value


def java_round(number: int | float) -> int:
    """Java's `Math.round`: the nearest integer, halves toward positive infinity (-2.5 -> -2, 2.5 -> 3)."""
    if isinstance(number, int):
        return number
    return math.floor(Fraction(number) + Fraction(1, 2))


def format_(args: Sequence[object], env: Env) -> JSON:
    name = "States.Format"
    template = args[0]
    if isinstance(template, str):
        template = _split_template(template)
    if not isinstance(template, _Template) or not template.valid or len(template.pieces) != len(args):
        _invalid(name)
    out = [template.pieces[0]]
    for piece, value in zip(template.pieces[1:], args[1:], strict=True):
        out.append(_java_text(value))
        out.append(piece)
    return "".join(out)


def string_to_json(args: Sequence[object], env: Env) -> JSON:
    text = _string(args[0], "States.StringToJson")
    if not text.strip():
        return None  # AWS: an empty or blank string parses to null
    try:
        parsed: JSON = json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        _invalid("States.StringToJson")
    return parsed


def _reject_constant(token: str) -> NoReturn:
    raise ValueError(f"{token} is not JSON")


def json_to_string(args: Sequence[object], env: Env) -> JSON:
    return json_text(args[0])  # type: ignore[arg-type]


def array(args: Sequence[object], env: Env) -> JSON:
    return list(args)  # type: ignore[arg-type]


def array_partition(args: Sequence[object], env: Env) -> JSON:
    name = "States.ArrayPartition"
    items = _array(args[0], name)
    size = _integer(args[1], name)
    if size <= 0:
        _invalid(name)
    return [items[start : start + size] for start in range(0, len(items), size)]


def array_contains(args: Sequence[object], env: Env) -> JSON:
    items = _array(args[0], "States.ArrayContains")
    wanted = _identity(args[1])  # type: ignore[arg-type]
    return any(_identity(item) == wanted for item in items)


def array_range(args: Sequence[object], env: Env) -> JSON:
    name = "States.ArrayRange"
    first, last, step = (_integer(arg, name) for arg in args)
    if step == 0:
        _invalid(name)
    count = max(0, (last - first) // step + 1)
    if count > QUOTAS.get()[1]:
        _invalid(name)
    return [first + step * index for index in range(count)]


def array_get_item(args: Sequence[object], env: Env) -> JSON:
    name = "States.ArrayGetItem"
    items = _array(args[0], name)
    index = _integer(args[1], name)
    if not items:
        return None  # observed on AWS: any index into an empty array gives null
    if not 0 <= index < len(items):
        _invalid(name)
    return items[index]


def array_length(args: Sequence[object], env: Env) -> JSON:
    return len(_array(args[0], "States.ArrayLength"))


def array_unique(args: Sequence[object], env: Env) -> JSON:
    seen: set[object] = set()
    unique: list[JSON] = []
    for item in _array(args[0], "States.ArrayUnique"):
        key = _identity(item)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def base64_encode(args: Sequence[object], env: Env) -> JSON:
    text = _string(args[0], "States.Base64Encode", QUOTAS.get()[0])
    return base64.b64encode(text.encode("utf-8", "surrogatepass")).decode("ascii")


def base64_decode(args: Sequence[object], env: Env) -> JSON:
    name = "States.Base64Decode"
    text = _string(args[0], name, QUOTAS.get()[0])
    if len(text) % 4 == 1:
        _invalid(name)
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        _invalid(name)
    return data.decode("utf-8", "replace")


def hash_(args: Sequence[object], env: Env) -> JSON:
    name = "States.Hash"
    data, algorithm = args
    # AWS hashes a non-string argument as its JSON text.
    text = data if isinstance(data, str) else json_text(data)  # type: ignore[arg-type]
    if len(text) > QUOTAS.get()[0] or not isinstance(algorithm, str) or algorithm not in HASH_ALGORITHMS:
        _invalid(name)
    digest = hashlib.new(HASH_ALGORITHMS[algorithm], text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def json_merge(args: Sequence[object], env: Env) -> JSON:
    name = "States.JsonMerge"
    first, second, deep = args
    # AWS supports only the shallow merge: the third argument must be false.
    if not isinstance(first, dict) or not isinstance(second, dict) or deep is not False:
        _invalid(name)
    return {**first, **second}


def math_random(args: Sequence[object], env: Env) -> JSON:
    name = "States.MathRandom"
    start, end = _integer(args[0], name), _integer(args[1], name)
    if start >= end:
        _invalid(name)  # the end is exclusive, so the range must hold at least one integer
    source = env.random if len(args) < 3 else _random.Random(_integer(args[2], name))
    return source.randrange(start, end)


def math_add(args: Sequence[object], env: Env) -> JSON:
    first, second = args
    if type(first) is int and type(second) is int and INT32_MIN <= first <= INT32_MAX >= second >= INT32_MIN:
        return first + second  # the common case: two 32-bit integers
    name = "States.MathAdd"
    if not all(_is_number(arg) for arg in args):
        _invalid(name)
    try:
        first, second = (java_round(arg) for arg in args)  # type: ignore[arg-type]
    except (OverflowError, ValueError):
        _invalid(name)
    if not (INT32_MIN <= first <= INT32_MAX and INT32_MIN <= second <= INT32_MAX):
        _invalid(name)  # AWS accepts only 32-bit integers here
    return first + second


def string_split(args: Sequence[object], env: Env) -> JSON:
    name = "States.StringSplit"
    text, delimiters = _string(args[0], name), _string(args[1], name)
    if not delimiters:
        return [text] if text else []
    # Every character of the second argument separates; empty pieces are dropped.
    pattern = "[" + "".join(re.escape(char) for char in delimiters) + "]"
    return [piece for piece in re.split(pattern, text) if piece]


def uuid_(args: Sequence[object], env: Env) -> JSON:
    # Drawn from env.random, so a seeded run repeats its UUIDs.
    return str(uuid.UUID(int=env.random.getrandbits(128), version=4))


INTRINSICS: Final[dict[str, Intrinsic]] = {
    "States.Format": Intrinsic(format_, arity=(1, None)),
    "States.StringToJson": Intrinsic(string_to_json, arity=1),
    "States.JsonToString": Intrinsic(json_to_string, arity=1),
    "States.Array": Intrinsic(array, arity=(0, None)),
    "States.ArrayPartition": Intrinsic(array_partition, arity=2),
    "States.ArrayContains": Intrinsic(array_contains, arity=2),
    "States.ArrayRange": Intrinsic(array_range, arity=3),
    "States.ArrayGetItem": Intrinsic(array_get_item, arity=2),
    "States.ArrayLength": Intrinsic(array_length, arity=1),
    "States.ArrayUnique": Intrinsic(array_unique, arity=1),
    "States.Base64Encode": Intrinsic(base64_encode, arity=1),
    "States.Base64Decode": Intrinsic(base64_decode, arity=1),
    "States.Hash": Intrinsic(hash_, arity=2),
    "States.JsonMerge": Intrinsic(json_merge, arity=3),
    "States.MathRandom": Intrinsic(math_random, arity=(2, 3)),
    "States.MathAdd": Intrinsic(math_add, arity=2),
    "States.StringSplit": Intrinsic(string_split, arity=2),
    "States.UUID": Intrinsic(uuid_, arity=0),
}


# ------------------------------------------------------------------------------- values as AWS prints


def _identity(value: JSON) -> object:
    """A hashable key equal for equal JSON values; true is not 1 and 1 is not 1.0, as in AWS's JSON model."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, float):
        return ("float", value)
    if isinstance(value, list):
        return ("list", tuple(_identity(item) for item in value))
    return ("object", frozenset((key, _identity(item)) for key, item in value.items()))


def double_text(number: float) -> str:
    """A float as Java's `Double.toString` writes it: `1.5`, `100.0`, `1.0E7`, `1.0E-4`."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "-0.0" if math.copysign(1.0, number) < 0 else "0.0"
    if 1e-3 <= abs(number) < 1e7:
        return repr(number)  # Python's shortest form has no exponent in this range
    sign, digits, exponent = Decimal(repr(number)).as_tuple()
    assert isinstance(exponent, int)
    while len(digits) > 1 and digits[-1] == 0:
        digits, exponent = digits[:-1], exponent + 1
    text = "".join(map(str, digits))
    scientific = len(digits) - 1 + exponent
    return f"{'-' * sign}{text[0]}.{text[1:] or '0'}E{scientific}"


def json_text(value: JSON) -> str:
    """Compact JSON text, as AWS writes it (no spaces; doubles as Java prints them)."""
    if isinstance(value, float):
        return double_text(value)
    if isinstance(value, list):
        return "[" + ",".join(json_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{_quote(key)}:{json_text(item)}" for key, item in value.items()) + "}"
    if isinstance(value, str):
        return _quote(value)
    return json.dumps(value)


def _quote(text: str) -> str:
    return '"' + text.translate(_JSON_ESCAPES) + '"'


# As Java's JSON writer escapes: short forms where JSON has them, upper-case hex for other controls.
_JSON_ESCAPES: Final[dict[int, str]] = {code: f"\\u{code:04X}" for code in range(0x20)} | {
    ord('"'): '\\"',
    ord("\\"): "\\\\",
    ord("\b"): "\\b",
    ord("\f"): "\\f",
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    ord("\t"): "\\t",
}


def _java_text(value: object) -> str:
    """A Format argument as AWS inserts it: strings raw, numbers as JSON, objects `{k=v, k2=[1, 2]}`."""
    if type(value) is int:  # the common case (not a bool: its type is bool)
        return str(value)
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return double_text(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_java_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={_java_text(item)}" for key, item in value.items()) + "}"
    raise TypeError(f"not a JSON value: {value!r}")
