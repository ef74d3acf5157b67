"""The work of the common Pass and Choice states as one function each, composed at compile time.

A JSONPath Pass or Choice without InputPath, OutputPath or Assign (most of them) needs only a
few of the input/output stages; its `work` calls just those, instead of walking every stage of
`dataflow` on each transition. States these functions do not cover get no `work` and run the
general way (`states.basic.run_basic`), which gives the same results.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Final

from . import intrinsics, paths
from .context import JSON, Env
from .errors import NoChoiceMatched
from .history import Decision
from .model import ChoiceBranch, Scope

__all__ = ["Outcome", "Work", "choice_work", "pass_growth", "pass_work"]

Outcome = tuple[JSON, str | None, dict[str, JSON] | None]
Work = Callable[[JSON, Env, list[Decision]], Outcome]

_STAGES = ("jsonata", "input_path", "input_null", "output_path", "output_null", "assign", "result_selector")


def _plain(common: dict[str, Any]) -> bool:
    """Whether a state has none of the stages these functions leave out."""
    return not any(common.get(key) for key in _STAGES)


def pass_work(
    common: dict[str, Any], result: JSON, has_result: bool, build: Callable[[JSON, Env], JSON] | None = None
) -> Work | None:
    """Parameters or Result, then ResultPath: the whole of a plain JSONPath Pass.

    `build` is the Parameters template's evaluator of (value, env), when the compiler has it.
    """
    if not _plain(common):
        return None
    parameters, next_name = common.get("parameters"), common.get("next")
    result_path, result_null = common.get("result_path"), common.get("result_null")

    def work(raw: JSON, env: Env, decisions: list[Decision]) -> Outcome:
        if has_result:
            made = result
        elif build is not None:
            made = build(raw, env)
        elif parameters is not None:
            made = parameters(Scope(raw, env))
        else:
            made = raw
        if result_null:
            return raw, next_name, None
        if result_path is None:
            return made, next_name, None
        return result_path.put(raw, made), next_name, None

    return work


def choice_work(
    common: dict[str, Any], branches: tuple[ChoiceBranch, ...], default: str | None, tests: list[Any]
) -> Work | None:
    """The first rule that holds decides; the input passes through unchanged.

    `tests` are the rules' evaluators of (value, env), where the compiler has them (None where not).
    """
    if not _plain(common) or any(branch.assign is not None or branch.output is not None for branch in branches):
        return None
    name = common["name"]
    rules = tuple(
        (test if test is not None else _scoped(branch.condition), branch.next, Decision("choice", name, index))
        for index, (test, branch) in enumerate(zip(tests, branches, strict=True))
    )
    otherwise = Decision("choice", name, -1)  # records are immutable: made once, shared by every run

    def work(raw: JSON, env: Env, decisions: list[Decision]) -> Outcome:
        for test, next_name, decision in rules:
            if test(raw, env):
                decisions.append(decision)
                return raw, next_name, None
        if default is None:
            raise NoChoiceMatched("No Matches!")
        decisions.append(otherwise)
        return raw, default, None

    return work


def _scoped(condition: Callable[[Scope], bool]) -> Callable[[JSON, Env], bool]:
    return lambda value, env: condition(Scope(value, env))


# -- how large a plain Pass's output can be -------------------------------------------------------

# The most bytes (as compact JSON) some intrinsics can return, whatever their arguments.
_CALL_SIZES: Final = {
    "States.MathAdd": 11,  # two 32-bit integers: -4294967296 at most
    "States.ArrayLength": 20,
    "States.ArrayContains": 5,
    "States.UUID": 38,
    "States.Hash": 130,  # SHA-512: 128 hexadecimal digits, quoted
}

Growth = tuple[int, int]  # (bytes, copies): output size <= bytes + copies * input size


def pass_growth(raw: Mapping[str, Any], name: str) -> Growth | None:
    """For a plain JSONPath Pass (one with `work`): how large its output can be, as
    (bytes, copies): at most `bytes + copies * size(input)` (compact JSON, UTF-8). None when
    that cannot be known before it runs (a context or variable path, a query that may select
    more than the input, an intrinsic that may return anything); the output is measured then.

    A plain path selects one node of its input, whose text is part of the input's text; so a
    template that copies k values is at most its literal text plus k times the input.
    """
    if "Result" in raw:
        made: Growth | None = (_size(raw["Result"]), 0)
    elif "Parameters" in raw:
        made = _template_growth(raw["Parameters"], name)
    else:
        made = (0, 1)
    if made is None or "ResultPath" not in raw or raw["ResultPath"] is None:
        return made  # (ResultPath null: the output is the input itself, never measured)
    path = paths.compile(raw["ResultPath"])
    if not path.segments:
        return made
    # Placed into the input: at most the input, the value, and for each key on the way a new
    # object holding it (`{"key":...}` and a comma).
    overhead = sum(_size(segment) + 4 for segment in path.segments if isinstance(segment, str))
    return made[0] + overhead, made[1] + 1


def _template_growth(template: JSON, name: str) -> Growth | None:
    if isinstance(template, list):
        parts = [_template_growth(item, name) for item in template]
        fixed = 2 + max(len(template) - 1, 0)
    elif isinstance(template, dict):
        parts = []
        fixed = 2 + max(len(template) - 1, 0)
        for key, value in template.items():
            fixed += _size(key[:-2] if key.endswith(".$") else key) + 1
            parts.append(_value_growth(value, name) if key.endswith(".$") else _template_growth(value, name))
    else:
        return _size(template), 0
    copies = 0
    for part in parts:
        if part is None:
            return None
        fixed, copies = fixed + part[0], copies + part[1]
    return fixed, copies


def _value_growth(text: JSON, name: str) -> Growth | None:
    if not isinstance(text, str):
        return None
    if text.startswith("$"):
        path = paths.compile(text)
        if path.root == "context" and path.segments == ("State", "Name"):
            return _size(name), 0  # the executor sets `$$.State`: this state's own name
        if path.root == "context" and path.segments == ("State", "EnteredTime"):
            return len('"2026-12-02T15:09:00.000Z"'), 0
        return (0, 1) if path.root == "data" and path.definite else None
    bound = _CALL_SIZES.get(intrinsics.compile(text).name)
    return None if bound is None else (bound, 0)


def _size(value: JSON) -> int:
    """The size of a literal as compact JSON, UTF-8; keys and short names are counted directly."""
    if type(value) is str and value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return len(value) + 2
    if type(value) is int:
        return len(str(value))
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
