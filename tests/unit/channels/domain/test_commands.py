"""channels/domain/commands.py's one measure of how long a command can still be answered: rpc_app's
sweep ends a command by it, and every wait for an answer (`send --wait`, `rotate-password
--wait`, `?wait=`, one SendLocalList at a time) waits as long."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ocpp_cable.channels.domain import commands
from ocpp_cable.channels.settings import OperatorAPIServerSettings, SendSettings
from ocpp_cable.foundation.settings import RPCAppSettings

SENT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("waiter", [SendSettings, OperatorAPIServerSettings])
def test_a_waiter_counts_a_command_s_time_as_the_sweep_does(waiter):
    timings = {"call_timeout": 10.0, "reply_retry_time": 20.0, "rpc_timeout": 2.0}
    assert commands.patience(waiter(**timings)) == commands.patience(RPCAppSettings(**timings))


def test_the_bound_is_the_readme_s():
    """`--call-timeout` + `--reply-retry-time` + 3 x `--rpc-timeout` + 10 s: 115 s with the
    defaults, one `--call-timeout` more per command of the station still open ahead."""
    patience = commands.patience(SendSettings())
    assert patience.due(SENT, 0) == SENT + timedelta(seconds=110)  # the sweep may end it
    assert patience.final_by(SENT, 0) == SENT + timedelta(seconds=115)  # it has
    assert patience.final_by(SENT, 2) == SENT + timedelta(seconds=175)
    # Far past what `send --wait` waited before (call timeout + 2 x RPC timeout + 5 s).
    assert patience.final_by(SENT, 0) - SENT > timedelta(seconds=30 + 2 * 5 + 5)


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("TriggerMessage", "NotImplemented"),  # 1.6 and 2.x: a message the station lacks
        ("TriggerMessage", "Rejected"),
        ("UnlockConnector", "UnlockFailed"),
        ("UnlockConnector", "UnknownConnector"),  # 2.x
        ("UnlockConnector", "OngoingAuthorizedTransaction"),  # 2.x
        ("UnlockConnector", "NotSupported"),  # 1.6
        ("ReserveNow", "Occupied"),
        ("ReserveNow", "Unavailable"),
        ("ReserveNow", "Faulted"),
        ("DataTransfer", "UnknownVendorId"),
        ("DataTransfer", "UnknownMessageId"),
        ("SendLocalList", "VersionMismatch"),
        ("SendLocalList", "Failed"),
    ],
)
def test_an_answer_saying_the_station_did_not_do_it_is_a_refusal(action, status):
    assert commands.refused(status)


@pytest.mark.parametrize(
    "status", ["Accepted", "Unlocked", "Scheduled", "RebootRequired", "AcceptedCanceled", None]
)
def test_an_answer_saying_it_did_or_will_is_not(status):
    assert not commands.refused(status)
