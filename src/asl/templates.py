"""JSONPath payload templates (Parameters, ResultSelector, ItemSelector, Assign...), compiled to closures.

A key ending in `.$` loses the suffix and its string value is evaluated: a path (`$...`,
`$$...`, `$name...`) or an intrinsic function call. Every other value is a literal, even when
it looks like a path. A template with nothing to evaluate compiles to its literal value.
"""

from __future__ import annotations

from collections.abc import Callable

from . import paths
from .context import JSON, Env
from .errors import ExpressionError, RuntimeFailure

__all__ = ["Template", "compile", "compile_value"]

Evaluator = Callable[[JSON, Env], JSON]


class Template:
    """A compiled payload template: `evaluate(value, env)` builds the payload from `$` = value."""

    __slots__ = ("raw", "evaluate", "constant")

    def __init__(self, raw: JSON, evaluate: Evaluator, constant: bool) -> None:
        self.raw, self.evaluate, self.constant = raw, evaluate, constant

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Template) and other.raw == self.raw

    def __hash__(self) -> int:
        return hash(paths.dumps(self.raw))

    def __repr__(self) -> str:
        return f"Template({paths.dumps(self.raw)})"


def compile(raw: JSON) -> Template:  # noqa: A001 - the module's verb
    """Compile a payload template; raises ExpressionError for a `.$` value that is not a path or call."""
    evaluate, constant = _compile(raw)
    return Template(raw, evaluate, constant)


def compile_value(text: str, field: str) -> Evaluator:
    """Compile the string value of one `field.$` key: a path or an intrinsic function call."""
    if not isinstance(text, str):
        raise ExpressionError(f"the value of '{field}' must be a string holding a path or intrinsic call")
    if text.startswith("$"):
        path = paths.compile(text)
        if not path.definite:
            return path.get

        def get(value: JSON, env: Env) -> JSON:
            try:
                return path.get(value, env)
            except paths.PathNotFound:
                source = env.context if path.root == "context" else value
                raise RuntimeFailure(
                    f"The JSONPath '{text}' specified for the field '{field}' could not be found "
                    f"in the input '{paths.dumps(source)}'"
                ) from None

        key = path.key
        if key is not None:

            def get_key(value: JSON, env: Env) -> JSON:  # `$.name`, the most common value: one lookup
                try:
                    return value[key]  # type: ignore[index,call-overload]
                except (KeyError, TypeError):
                    return get(value, env)

            return get_key
        return get
    from . import intrinsics

    return intrinsics.compile(text).run


def _constant(value: JSON) -> Evaluator:
    return lambda _value, _env: value


def _compile(raw: JSON) -> tuple[Evaluator, bool]:
    if isinstance(raw, dict):
        parts: list[tuple[str, str | None, Evaluator]] = []
        constant = True
        for key, value in raw.items():
            if key.endswith(".$"):
                evaluate = compile_value(value, key)  # type: ignore[arg-type]
                parts.append((key[:-2], _direct_key(value), evaluate))
                constant = False
            else:
                evaluate, is_constant = _compile(value)
                constant = constant and is_constant
                parts.append((key, None, evaluate))
        if constant:
            return _constant(raw), True
        frozen = tuple(parts)

        def build_object(value: JSON, env: Env) -> JSON:
            built = {}  # a loop, not a comprehension: no frame of its own (Python 3.11)
            for key, direct, evaluate in frozen:
                if direct is not None:  # `$.name`: looked up here; the evaluator names what is missing
                    try:
                        built[key] = value[direct]  # type: ignore[index,call-overload]
                        continue
                    except (KeyError, TypeError):
                        pass
                built[key] = evaluate(value, env)
            return built

        return build_object, False
    if isinstance(raw, list):
        items = [_compile(item) for item in raw]
        if all(is_constant for _, is_constant in items):
            return _constant(raw), True
        evaluators = tuple(evaluate for evaluate, _ in items)

        def build_array(value: JSON, env: Env) -> JSON:
            return [evaluate(value, env) for evaluate in evaluators]

        return build_array, False
    return _constant(raw), True


def _direct_key(text: JSON) -> str | None:
    """The key of a `$.name` value (one plain key of the input), else None."""
    return paths.compile(text).key if isinstance(text, str) and text.startswith("$.") else None
