"""Fuzzing: arbitrary and near-valid input into every entry point; only AslError may come out.

Two hypothesis profiles (registered in conftest.py): `ci`, the default, quick enough for every
run of the suite; `long` (`ASL_FUZZ_PROFILE=long`), run by hand, for hundreds of thousands of
examples per test. Each test names its example count for both with `examples(ci=..., long=...)`.
"""

from __future__ import annotations

import os

from hypothesis import settings

__all__ = ["PROFILE", "examples"]

PROFILE = os.environ.get("ASL_FUZZ_PROFILE", "ci")


def examples(*, ci: int, long: int) -> settings:
    """The settings of one fuzz test: its example count under the active profile."""
    return settings(max_examples=long if PROFILE == "long" else ci)
