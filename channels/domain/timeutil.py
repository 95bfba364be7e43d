"""OCPP timestamps to aware UTC datetimes, for every time RFC 3339 allows.

The protocol line lets through what RFC 3339 permits; Python's datetime takes less:
lower-case `t`/`z`, a leap second (`23:59:60Z`), more than six fractional digits,
and instants before year 1 or after year 9999 once the offset is applied. Such a
time is stored as the nearest instant the column can hold, and `parse_time` hands
back the text as sent, to keep beside it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

FIRST = datetime.min.replace(tzinfo=UTC)
LAST = datetime.max.replace(tzinfo=UTC)

_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d+))?"
    r"(?:[Zz]|(?P<sign>[+-])(\d\d):?(\d\d))\Z"
)
_FRACTION = re.compile(r"\.(\d+)")


class TimeFormatError(ValueError):
    """Not a date-time at all (the protocol line lets none of these through)."""


def parse_time(text: str) -> tuple[datetime, str | None]:
    """(the instant in UTC, `text` when that instant is not exactly what was sent, else None)."""
    try:
        value = datetime.fromisoformat(text)  # the common case, in C
    except ValueError:
        return _parse_rfc3339(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        return (FIRST if value.year == 1 else LAST), text
    fraction = _FRACTION.search(text) if "." in text else None
    return utc, (text if fraction and len(fraction.group(1)) > 6 else None)


def _parse_rfc3339(text: str) -> tuple[datetime, str | None]:
    match = _RFC3339.match(text)
    if match is None:
        raise TimeFormatError(f"not an RFC 3339 date-time: {text[:40]!r}")
    year, month, day, hour, minute, second, fraction = match.groups()[:7]
    digits = (fraction or "")[:6].ljust(6, "0")
    leap = second == "60"
    try:
        local = datetime(
            int(year), int(month), int(day), int(hour), int(minute),
            59 if leap else int(second), 999999 if leap else int(digits),
        )  # fmt: skip
    except ValueError as exc:
        raise TimeFormatError(f"not a date-time: {text[:40]!r} ({exc})") from None
    offset = timedelta()
    if match.group("sign"):
        offset = timedelta(hours=int(match.group(9)), minutes=int(match.group(10)))
        offset = -offset if match.group("sign") == "-" else offset
    clamped = False
    try:
        utc = (local - offset).replace(tzinfo=UTC)
    except OverflowError:
        utc, clamped = (FIRST if offset > timedelta() else LAST), True
    exact = not (leap or clamped or len(fraction or "") > 6)
    return utc, (None if exact else text)


def now() -> datetime:
    return datetime.now(UTC)


_DURATION = re.compile(r"(\d+)([smhd])\Z")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def is_duration(text: str) -> bool:
    """Is `text` a duration as operators write one (90s, 30m, 2h, 1d)?"""
    return _DURATION.match(text.strip().lower()) is not None


def parse_when(text: str, at: datetime) -> datetime:
    """`now`, a duration from `at` (90s, 30m, 2h, 1d), or an ISO 8601 time (UTC when it
    names no zone). ValueError for anything else."""
    word = text.strip().lower()
    if word == "now":
        return at
    match = _DURATION.match(word)
    if match:
        return at + timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    return parse_time(text.strip())[0]
