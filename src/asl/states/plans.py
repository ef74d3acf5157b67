"""The work of the common Pass and Choice states as one function each, composed at compile time.

A JSONPath Pass or Choice without InputPath, OutputPath or Assign (most of them) needs only a
few of the input/output stages; its `work` calls just those, instead of walking every stage of
`dataflow` on each transition. States these functions do not cover get no `work` and run the
general way (`states.basic.run_basic`), which gives the same results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..context import JSON, Env
from ..errors import NoChoiceMatched
from ..history import Decision
from ..model import ChoiceBranch, Scope

__all__ = ["Outcome", "Work", "choice_work", "pass_work"]

Outcome = tuple[JSON, str | None, dict[str, JSON] | None]
Work = Callable[[JSON, Env, list[Decision]], Outcome]

_new_decision = tuple.__new__  # Decision's own __new__ is a Python function: slower

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
    common: dict[str, Any], branches: tuple[ChoiceBranch, ...], default: str | None, tests: list[Any] | None = None
) -> Work | None:
    """The first rule that holds decides; the input passes through unchanged.

    `tests` are the rules' evaluators of (value, env), where the compiler has them.
    """
    if not _plain(common) or any(branch.assign is not None or branch.output is not None for branch in branches):
        return None
    name = common["name"]
    tests = tests or [None] * len(branches)
    rules = tuple(
        (test if test is not None else _scoped(branch.condition), branch.next)
        for test, branch in zip(tests, branches, strict=True)
    )

    def work(raw: JSON, env: Env, decisions: list[Decision]) -> Outcome:
        for index, (test, next_name) in enumerate(rules):
            if test(raw, env):
                decisions.append(_new_decision(Decision, ("choice", name, index)))
                return raw, next_name, None
        if default is None:
            raise NoChoiceMatched("No Matches!")
        decisions.append(_new_decision(Decision, ("choice", name, -1)))
        return raw, default, None

    return work


def _scoped(condition: Callable[[Scope], bool]) -> Callable[[JSON, Env], bool]:
    return lambda value, env: condition(Scope(value, env))
