"""JSONPath Choice rules: compiled once into a frozen tree, evaluated against a state's input.

A rule is a data test (`Variable` plus one comparison operator) or a boolean combination of rules
(`And`, `Or`, `Not`). What AWS does, as recorded:

- a value of the wrong type for the operator makes the test false, never an error (booleans are
  not numbers; 1 and 1.0 are equal numbers; timestamps are strings in the ASL format);
- a `Variable` that selects nothing fails the state with States.Runtime, except under `IsPresent`;
- `Is...: false` is the negation of `Is...: true`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from . import paths, timestamps
from .context import JSON, Env
from .errors import ExpressionError, RuntimeFailure

__all__ = [
    "COMPARISONS",
    "OPERATORS",
    "RELATIONS",
    "TYPE_TESTS",
    "And",
    "Comparison",
    "Not",
    "Or",
    "Presence",
    "Rule",
    "TypeTest",
    "Wildcard",
    "compile_rule",
]

Key = Callable[[JSON], object]  # a value's comparable form for an operator family, or None: no match
Relation = Callable[[Any, Any], bool]  # applied to two keys of one family only

# The cause AWS reports (after its "An error occurred while executing the state ..." prefix) when a
# path of a data test selects nothing. For an operand path (`...Path`) the wording is not in AWS's
# recordings we have; other emulators' AWS-checked suites report the same sentence naming that path.
MISSING_PATH: Final = "Invalid path '{path}': The choice state's condition path references an invalid value."

_TOP_LEVEL_ONLY: Final = frozenset({"Next", "Assign"})
_IGNORED: Final = frozenset({"Comment"})


@dataclass(frozen=True, slots=True)
class Rule:
    """A compiled Choice rule; `evaluate` tells whether it holds for a state's effective input."""

    def evaluate(self, value: JSON, env: Env) -> bool:
        """Whether the rule holds; raises RuntimeFailure when a path of a data test selects nothing."""
        raise NotImplementedError

    @property
    def holds(self) -> Callable[[JSON, Env], bool]:
        """`evaluate` as a plain function of (value, env): what a Choice state calls."""
        return self.evaluate


@dataclass(frozen=True, slots=True)
class And(Rule):
    """True when every nested rule is; stops at the first false one."""

    rules: tuple[Rule, ...]

    def evaluate(self, value: JSON, env: Env) -> bool:
        return all(rule.evaluate(value, env) for rule in self.rules)


@dataclass(frozen=True, slots=True)
class Or(Rule):
    """True when any nested rule is; stops at the first true one."""

    rules: tuple[Rule, ...]

    def evaluate(self, value: JSON, env: Env) -> bool:
        return any(rule.evaluate(value, env) for rule in self.rules)


@dataclass(frozen=True, slots=True)
class Not(Rule):
    """True when the nested rule is false."""

    rule: Rule

    def evaluate(self, value: JSON, env: Env) -> bool:
        return not self.rule.evaluate(value, env)


@dataclass(frozen=True, slots=True)
class Presence(Rule):
    """`IsPresent`: whether `variable` selects something (a null value counts); it never fails."""

    variable: paths.Path
    expected: bool

    def evaluate(self, value: JSON, env: Env) -> bool:
        return self.variable.exists(value, env) == self.expected


@dataclass(frozen=True, slots=True)
class TypeTest(Rule):
    """`IsNull`, `IsNumeric`, `IsString`, `IsBoolean`, `IsTimestamp`; `expected` false negates the test."""

    variable: paths.Path
    operator: str
    expected: bool
    test: Callable[[JSON], bool] = field(repr=False, compare=False)

    def evaluate(self, value: JSON, env: Env) -> bool:
        return self.test(_select(self.variable, value, env)) == self.expected


@dataclass(frozen=True, slots=True)
class Comparison(Rule):
    """A comparison of `variable` with a literal `operand` or, for `...Path` operators, `operand_path`."""

    variable: paths.Path
    operator: str
    operand: JSON
    operand_path: paths.Path | None
    key: Key = field(repr=False, compare=False)
    relation: Relation = field(repr=False, compare=False)
    # The literal operand's key, computed once; None for `...Path` operators.
    operand_key: object = field(default=None, repr=False, compare=False)
    # `holds(value, env)`: `evaluate` as one function, composed once (every Choice transition runs it).
    holds: Callable[[JSON, Env], bool] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "holds", _comparison(self))

    def evaluate(self, value: JSON, env: Env) -> bool:
        return self.holds(value, env)


def _comparison(rule: Comparison) -> Callable[[JSON, Env], bool]:
    """A comparison's test: the variable's key (and the operand path's), then the relation.
    A number is its own key, so for the Numeric operators numbers skip the key function."""
    get, text, key, relation = rule.variable.get, rule.variable.text, rule.key, rule.relation
    numeric = key is _number
    if rule.operand_path is None:
        right = rule.operand_key

        def with_literal(value: JSON, env: Env) -> bool:
            try:
                found = get(value, env)
            except RuntimeFailure:
                raise RuntimeFailure(MISSING_PATH.format(path=text)) from None
            left = found if numeric and (type(found) is int or type(found) is float) else key(found)
            return left is not None and right is not None and relation(left, right)

        return with_literal
    other, other_text = rule.operand_path.get, rule.operand_path.text

    def with_path(value: JSON, env: Env) -> bool:
        try:
            found = get(value, env)
        except RuntimeFailure:
            raise RuntimeFailure(MISSING_PATH.format(path=text)) from None
        try:
            operand = other(value, env)
        except RuntimeFailure:
            raise RuntimeFailure(MISSING_PATH.format(path=other_text)) from None
        left = found if numeric and (type(found) is int or type(found) is float) else key(found)
        right = operand if numeric and (type(operand) is int or type(operand) is float) else key(operand)
        return left is not None and right is not None and relation(left, right)

    return with_path


def _select(path: paths.Path, value: JSON, env: Env) -> JSON:
    try:
        return path.get(value, env)
    except RuntimeFailure:
        raise RuntimeFailure(MISSING_PATH.format(path=path.text)) from None


# -- value keys: a JSON value's comparable form for an operator family, None when of another type


def _string(value: JSON) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: JSON) -> int | float | None:
    # bool is a subclass of int in Python; in JSON (and on AWS) true is no number.
    if type(value) is int or type(value) is float:
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return None


def _boolean(value: JSON) -> bool | None:
    return value if isinstance(value, bool) else None


def _timestamp(value: JSON) -> timestamps.Instant | None:
    return timestamps.instant(value) if isinstance(value, str) else None


# The one table of Choice operators; validation and diagrams read it from here.
FAMILIES: Final[Mapping[str, Key]] = {"String": _string, "Numeric": _number, "Timestamp": _timestamp}
# Each relation: how it compares two keys, and how a diagram writes it.
RELATIONS: Final[Mapping[str, tuple[Relation, str]]] = {
    "Equals": (operator.eq, "=="),
    "LessThan": (operator.lt, "<"),
    "GreaterThan": (operator.gt, ">"),
    "LessThanEquals": (operator.le, "<="),
    "GreaterThanEquals": (operator.ge, ">="),
}
TYPE_TESTS: Final[Mapping[str, Callable[[JSON], bool]]] = {
    "IsNull": lambda value: value is None,
    "IsNumeric": lambda value: _number(value) is not None,
    "IsString": lambda value: isinstance(value, str),
    "IsBoolean": lambda value: isinstance(value, bool),
    "IsTimestamp": lambda value: _timestamp(value) is not None,
}
# Every comparison operator without its `Path` suffix: (key, relation).
COMPARISONS: Final[Mapping[str, tuple[Key, Relation]]] = {
    **{
        family + name: (key, relation)
        for family, key in FAMILIES.items()
        for name, (relation, _symbol) in RELATIONS.items()
    },
    "BooleanEquals": (_boolean, operator.eq),
}
_KINDS: Final[Mapping[Key, str]] = {
    _string: "a string",
    _number: "a number",
    _timestamp: "a timestamp string such as 2016-03-14T01:59:00Z",
    _boolean: "true or false",
}
# Every operator of a data test (a rule with a `Variable`).
OPERATORS: Final = frozenset(
    {*COMPARISONS, *(name + "Path" for name in COMPARISONS), *TYPE_TESTS, "IsPresent", "StringMatches"}
)
_COMBINATORS: Final = ("And", "Or", "Not")


def compile_rule(raw: dict[str, JSON]) -> Rule:
    """Compile one JSONPath Choice rule (`Next`, `Assign`, `Comment` are ignored); raises ExpressionError."""
    return _compile(raw, top_level=True)


def _compile(raw: object, *, top_level: bool) -> Rule:
    if not isinstance(raw, dict):
        raise ExpressionError(f"a choice rule must be an object, got {_show(raw)}")
    allowed = _IGNORED | (_TOP_LEVEL_ONLY if top_level else frozenset())
    keys = [key for key in raw if key not in allowed]
    if misplaced := sorted(_TOP_LEVEL_ONLY & raw.keys() - allowed):
        raise ExpressionError(f"a nested choice rule cannot have {', '.join(misplaced)}")
    combinators = [key for key in keys if key in _COMBINATORS]
    if combinators:
        if len(keys) != 1:
            raise ExpressionError(f"a choice rule with {combinators[0]} can have no other test: {sorted(keys)}")
        return _combine(combinators[0], raw[combinators[0]])
    if "Variable" not in raw:
        raise ExpressionError(f"a choice rule needs a Variable or one of And, Or, Not; got {sorted(keys)}")
    operators = [key for key in keys if key != "Variable"]
    if len(operators) != 1 or operators[0] not in OPERATORS:
        unknown = [key for key in operators if key not in OPERATORS]
        reason = f"unknown field {unknown[0]!r}" if unknown else f"{len(operators)} operators"
        raise ExpressionError(f"a choice rule needs exactly one comparison operator, got {reason}")
    return _data_test(_path(raw["Variable"], "Variable"), operators[0], raw[operators[0]])


def _combine(name: str, operand: JSON) -> Rule:
    if name == "Not":
        return Not(_compile(operand, top_level=False))
    if not isinstance(operand, list) or not operand:
        raise ExpressionError(f"{name} must be a non-empty array of choice rules")
    rules = tuple(_compile(rule, top_level=False) for rule in operand)
    return And(rules) if name == "And" else Or(rules)


def _data_test(variable: paths.Path, name: str, operand: JSON) -> Rule:
    if name == "IsPresent" or name in TYPE_TESTS:
        if not isinstance(operand, bool):
            raise ExpressionError(f"{name} must be true or false, got {_show(operand)}")
        if name == "IsPresent":
            return Presence(variable, operand)
        return TypeTest(variable, name, operand, TYPE_TESTS[name])
    if name == "StringMatches":
        if not isinstance(operand, str):
            raise ExpressionError(f"StringMatches must be a string, got {_show(operand)}")
        pattern = _wildcard(operand)
        return Comparison(variable, name, operand, None, _string, _matcher, pattern)
    if name.endswith("Path"):
        key, relation = COMPARISONS[name.removesuffix("Path")]
        return Comparison(variable, name, operand, _path(operand, name), key, relation)
    key, relation = COMPARISONS[name]
    operand_key = key(operand)
    if operand_key is None:
        raise ExpressionError(f"{name} must be {_KINDS[key]}, got {_show(operand)}")
    return Comparison(variable, name, operand, None, key, relation, operand_key)


def _path(text: JSON, field_name: str) -> paths.Path:
    if not isinstance(text, str):  # paths.compile is cached: an unhashable argument must not reach it
        raise ExpressionError(f"{field_name} must be a path string, got {_show(text)}")
    return paths.compile_reference(text)


@dataclass(frozen=True, slots=True)
class Wildcard:
    """A compiled StringMatches pattern: the literal pieces between its `*` wildcards."""

    pieces: tuple[str, ...]  # one piece when there is no wildcard

    def matches(self, text: str) -> bool:
        """Whether `text` matches, in time linear in len(text) x len(pieces); no regex backtracking."""
        if len(self.pieces) == 1:
            return text == self.pieces[0]
        first, *middle, last = self.pieces
        if len(text) < len(first) + len(last) or not (text.startswith(first) and text.endswith(last)):
            return False
        # Between the fixed ends, taking each piece at its leftmost place never loses a match.
        position, stop = len(first), len(text) - len(last)
        for piece in middle:
            found = text.find(piece, position, stop)
            if found < 0:
                return False
            position = found + len(piece)
        return True


def _matcher(text: str, pattern: Wildcard) -> bool:
    return pattern.matches(text)


def _wildcard(pattern: str) -> Wildcard:
    """Compile a StringMatches pattern: `*` is any run of characters, `\\` makes the next one literal."""
    pieces: list[str] = []
    piece: list[str] = []
    characters = iter(pattern)
    for char in characters:
        if char == "*":
            pieces.append("".join(piece))
            piece = []
        elif char != "\\":
            piece.append(char)
        else:
            # `\*` is a literal star and `\\` a literal backslash; any other escaped character
            # stands for itself [?: AWS's handling of other escapes is not recorded].
            escaped = next(characters, None)
            if escaped is None:
                raise ExpressionError(
                    f"StringMatches pattern ends in a lone backslash: {pattern!r}",
                    pattern,
                    len(pattern) - 1,
                )
            piece.append(escaped)
    pieces.append("".join(piece))
    return Wildcard(tuple(pieces))


def _show(value: object) -> str:
    """A short JSON rendering of a faulty operand for a message (never fails, whatever it gets)."""
    try:
        text = paths.dumps(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):  # not JSON, or an int too long for str()
        text = f"a {type(value).__name__}"
    return text if len(text) <= 80 else text[:77] + "..."
