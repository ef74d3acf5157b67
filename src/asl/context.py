"""What an expression can see besides its input: the context object `$$`, variables, randomness."""

from __future__ import annotations

import random as _random
from collections.abc import Callable, Mapping
from typing import TypeAlias

__all__ = ["JSON", "Env"]

JSON: TypeAlias = None | bool | int | float | str | list["JSON"] | dict[str, "JSON"]


class Env:
    """The surroundings of one evaluation: `$$` (context), `$name` (variables) and a seeded random source.

    `context` may be given as a function that builds it: most states never read `$$`, so the
    executor builds it only on first use.
    """

    __slots__ = ("_context", "variables", "random")

    def __init__(
        self,
        context: JSON | Callable[[], JSON] = None,
        variables: Mapping[str, JSON] | None = None,
        random: _random.Random | None = None,
    ) -> None:
        self._context: JSON | Callable[[], JSON] = {} if context is None else context
        self.variables: Mapping[str, JSON] = {} if variables is None else variables
        self.random: _random.Random = random or _random.Random()

    @property
    def context(self) -> JSON:
        """The context object `$$`."""
        context = self._context
        if callable(context):
            context = self._context = context()
        return context
