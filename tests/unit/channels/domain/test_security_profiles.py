"""channels/domain/security_profiles.py: a station's security profile floor, as pure rules."""

from __future__ import annotations

import pytest

from ocpp_cable.channels.domain.security_profiles import connection_profile, raised, refusal


@pytest.mark.parametrize(
    ("tls", "certificate", "profile"),
    [(False, False, 1), (True, False, 2), (True, True, 3)],
)
def test_a_connections_profile_is_what_its_handshake_proved(tls, certificate, profile):
    assert connection_profile(tls, certificate) == profile


def test_below_the_floor_is_refused_at_or_above_it_admitted():
    assert refusal(None, 1) is None
    assert refusal(2, 2) is None and refusal(2, 3) is None
    assert refusal(2, 1) == "security profile 2 or higher required (this connection: 1)"


def test_the_floor_rises_only_when_a_connection_completes_a_move():
    assert raised(None, None, 3) is None  # no move under way: nothing rises by itself
    assert raised(None, 2, 1) is None  # moved, but still on the old profile
    assert raised(None, 2, 2) == 2
    assert raised(None, 2, 3) == 2  # the floor is where it was moved, not above
    assert raised(3, 2, 3) == 3  # never down
