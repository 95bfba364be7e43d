"""When an operator says when: now, a duration from now, or an ISO 8601 time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ocpp_cable.channels.domain.timeutil import is_duration, parse_when

AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("now", AT),
        (" NOW ", AT),
        ("90s", AT + timedelta(seconds=90)),
        ("30m", AT + timedelta(minutes=30)),
        ("2h", AT + timedelta(hours=2)),
        ("1d", AT + timedelta(days=1)),
        ("2026-12-31T23:00:00Z", datetime(2026, 12, 31, 23, tzinfo=UTC)),
        ("2026-12-31T23:00:00", datetime(2026, 12, 31, 23, tzinfo=UTC)),  # no zone: UTC
        ("2026-12-31T23:00:00+01:00", datetime(2026, 12, 31, 22, tzinfo=UTC)),
    ],
)
def test_when_is_now_a_duration_or_a_time(text, meant):
    assert parse_when(text, AT) == meant


@pytest.mark.parametrize("text", ["", "soon", "2 h", "-1h", "1w", "12/31/2026"])
def test_anything_else_is_refused(text):
    assert not is_duration(text)
    with pytest.raises(ValueError):
        parse_when(text, AT)


def test_a_duration_is_told_from_a_time():
    assert is_duration("30m") and is_duration("1D")
    assert not is_duration("now") and not is_duration("2026-12-31T23:00:00Z")
