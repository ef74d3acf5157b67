"""ASL timestamps: the RFC 3339 profile that Choice rules and the Wait state accept.

A timestamp is `YYYY-MM-DDThh:mm:ss[.fraction](Z|+hh:mm|-hh:mm)`: an uppercase `T`, seconds,
and a zone (uppercase `Z` or a numeric offset) are required; the fraction may have any number of
digits. Dates and times that do not exist (month 13, hour 25, February 30) are rejected, as AWS
rejects them. `parse` gives a `datetime` (to the microsecond) for waiting; `instant` gives an exact sort key,
so that Choice rules compare nanosecond (or longer) fractions without rounding them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Final, TypeAlias

__all__ = ["Instant", "instant", "is_timestamp", "parse"]

Instant: TypeAlias = tuple[int, str]
"""Whole seconds since 1970-01-01T00:00:00Z, then the fraction's digits without trailing zeros.

Tuples compare in time order: digit strings stripped of trailing zeros order as the fractions do,
and no fraction, however long, is ever turned into a number (Python caps int() at 4300 digits).
"""

# [0-9], not \d: a Unicode digit such as "٣" is not part of an ISO 8601 timestamp.
_TIMESTAMP: Final = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]+))?"
    r"(?:Z|(?P<sign>[+-])(?P<offset_hours>[0-9]{2}):(?P<offset_minutes>[0-9]{2}))"
)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def _split(text: object) -> tuple[datetime, str] | None:
    """The timestamp to the whole second, with its zone, and the digits of its fraction."""
    if not isinstance(text, str):
        return None
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return None
    part = match.group
    zone = UTC
    if part("sign"):
        hours, minutes = int(part("offset_hours")), int(part("offset_minutes"))
        if hours > 23 or minutes > 59:
            return None
        offset = timedelta(hours=hours, minutes=minutes)
        zone = timezone(-offset if part("sign") == "-" else offset)
    try:  # datetime() rejects impossible dates and times (and year 0, second 60)
        moment = datetime(
            int(part("year")),
            int(part("month")),
            int(part("day")),
            int(part("hour")),
            int(part("minute")),
            int(part("second")),
            tzinfo=zone,
        )
    except ValueError:
        return None
    return moment, part("fraction") or ""


def parse(text: str) -> datetime | None:
    """The offset-aware datetime `text` names (fraction cut to microseconds), or None if it is not one."""
    split = _split(text)
    if split is None:
        return None
    moment, fraction = split
    return moment.replace(microsecond=int(fraction[:6].ljust(6, "0")))


def instant(text: str) -> Instant | None:
    """An exact, comparable key for the moment `text` names, or None if it is no ASL timestamp."""
    split = _split(text)
    if split is None:
        return None
    moment, fraction = split
    whole = moment - _EPOCH  # aware arithmetic: never overflows at year 1 or 9999
    return whole.days * 86_400 + whole.seconds, fraction.rstrip("0")


def is_timestamp(text: object) -> bool:
    """Whether `text` is an ASL timestamp (what the validator asks of literal operands and Wait's Timestamp)."""
    return _split(text) is not None
