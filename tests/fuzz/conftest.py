"""Hypothesis profiles for the fuzz suite: `ci` (default) and `long` (ASL_FUZZ_PROFILE=long)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

from asl import jsonata

from . import PROFILE

# The JSONata engine raises the recursion limit (to 10,000) the first time it is used; Hypothesis
# warns when that happens during a test, so let it happen now.
jsonata.compile("{% 1 %}")

_SLOW_DATA = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

# No deadline in either: a machine run under a loaded CI worker may take a while, and a slow
# example is not a wrong one. The long profile keeps no example database: it is a sweep.
settings.register_profile("ci", deadline=None, suppress_health_check=_SLOW_DATA, print_blob=True)
settings.register_profile("long", deadline=None, suppress_health_check=_SLOW_DATA, database=None, print_blob=True)
settings.load_profile("long" if PROFILE == "long" else "ci")
