"""What a station's registration makes of its boot, its connection and our commands."""

from __future__ import annotations

import pytest

from ocpp_cable.channels.domain import registration

NOW = "2026-12-01T10:00:00Z"


def test_an_accepted_boot_gets_the_heartbeat_interval():
    assert registration.boot_answer("accepted", NOW, 300, 60) == {
        "status": "Accepted",
        "currentTime": NOW,
        "interval": 300,
    }


@pytest.mark.parametrize(("kept", "status"), [("pending", "Pending"), ("rejected", "Rejected")])
def test_a_boot_not_accepted_gets_the_retry_interval(kept, status):
    assert registration.boot_answer(kept, NOW, 300, 60) == {
        "status": status,
        "currentTime": NOW,
        "interval": 60,
    }


def test_an_unknown_registration_is_refused():
    with pytest.raises(ValueError, match="unknown registration 'maybe'"):
        registration.boot_status("maybe")


def test_connect_names_only_a_station_that_is_not_accepted():
    assert registration.connect_boot_state("accepted") is None
    assert registration.connect_boot_state("pending") == "Pending"
    assert registration.connect_boot_state("rejected") == "Rejected"


def test_only_a_rejected_station_is_sent_nothing():
    assert registration.command_refusal("accepted") is None
    assert registration.command_refusal("pending") is None  # provisioned while Pending
    assert "rejected" in registration.command_refusal("rejected")


@pytest.mark.parametrize(
    ("before", "after", "connected", "boots"),
    [
        ("pending", "accepted", True, True),
        ("rejected", "accepted", True, True),
        ("pending", "accepted", False, False),  # it boots when it comes
        ("accepted", "accepted", True, False),  # nothing changed
        ("accepted", "pending", True, False),  # at its next boot or connection
        ("accepted", "rejected", True, False),
        ("pending", "rejected", True, False),
    ],
)
def test_only_an_acceptance_asks_a_connected_station_to_boot_again(before, after, connected, boots):
    assert registration.boot_again(before, after, connected) is boots
