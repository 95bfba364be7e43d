"""A command's state only moves forward: queued -> sent -> an answer, whoever writes when,
and a command nobody will answer any more ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from ocpp_cable.channels.domain import commands, stations
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import ChargePoint, Command


def new_command(url: str, command_id: str = "c1") -> None:
    with db.session_scope(url) as session:
        stations.add_station(session, "CP-1")
        commands.record_command(session, command_id, "CP-1", "ClearCache", {})


def status(url: str, command_id: str = "c1") -> str:
    with db.session_scope(url) as session:
        return session.get(Command, command_id).status


def test_mark_sent_never_overwrites_an_answer_recorded_meanwhile(database_url):
    new_command(database_url)
    with db.session_scope(database_url) as sender:
        read = sender.get(Command, "c1")  # the CLI read the command: queued
        assert read.status == "queued"
        # The station answered before the CLI wrote "sent" (rpc_app is faster).
        with db.session_scope(database_url) as rpc_app:
            commands.record_reply(rpc_app, "CP-1", "c1", {"status": "Accepted"})
        commands.mark_sent(sender, "c1")
    assert status(database_url) == "accepted"
    with db.session_scope(database_url) as session:
        command = session.get(Command, "c1")
        # An answer proves it went out: sent by the answer's time at the latest.
        assert command.sent_at is not None and command.sent_at <= command.answered_at


@pytest.mark.parametrize(
    ("first", "then", "final"),
    [
        ("reply", "failure", "accepted"),
        ("failure", "reply", "error"),
        ("timeout", "reply", "timeout"),
        ("reply", "sent", "accepted"),
    ],
)
def test_answers_are_final(database_url, first, then, final):
    new_command(database_url)
    steps = {
        "reply": lambda s: commands.record_reply(s, "CP-1", "c1", {"status": "Accepted"}),
        "failure": lambda s: commands.record_failure(s, "CP-1", "c1", "BroadcastFailed", {}),
        "timeout": lambda s: commands.record_failure(s, "CP-1", "c1", "Timeout", {}),
        "sent": lambda s: commands.mark_sent(s, "c1"),
    }
    for step in (first, then):
        with db.session_scope(database_url) as session:
            steps[step](session)
    assert status(database_url) == final


@pytest.mark.parametrize(
    ("answer", "final"),
    [
        ({"status": "Unlocked"}, "accepted"),
        ({"status": "UnlockFailed"}, "rejected"),  # the OCA's TC_030_CSMS
        ({"status": "Occupied"}, "rejected"),  # ReserveNow: TC_048_2_CSMS
        ({"status": "Unavailable"}, "rejected"),
        ({"status": "VersionMismatch"}, "rejected"),  # SendLocalList
        ({"status": "NotImplemented"}, "rejected"),  # TriggerMessage
        ({"status": "Unknown"}, "accepted"),  # ClearChargingProfile: nothing matched
        ({"status": "RebootRequired"}, "accepted"),  # ChangeConfiguration: it took the value
        ({"status": "Scheduled"}, "accepted"),  # ChangeAvailability, after its transaction
        ({"listVersion": 3}, "accepted"),  # no status at all
    ],
)
def test_a_status_that_says_the_station_did_not_do_it_is_a_refusal(database_url, answer, final):
    new_command(database_url)
    with db.session_scope(database_url) as session:
        commands.record_reply(session, "CP-1", "c1", answer)
    assert status(database_url) == final


def test_a_station_answers_only_what_was_sent_to_it(database_url):
    """An answer or a failure is recorded for the command's own station only: another
    station's reply with the same message id moves nothing (and runs no hook)."""
    new_command(database_url)
    with db.session_scope(database_url) as session:
        stations.add_station(session, "CP-2")
    with db.session_scope(database_url) as session:
        assert not commands.record_reply(session, "CP-2", "c1", {"status": "Rejected"})
        assert not commands.record_failure(session, "CP-2", "c1", "Timeout", {})
    assert status(database_url) == "queued"
    with db.session_scope(database_url) as session:
        assert commands.record_reply(session, "CP-1", "c1", {"status": "Accepted"})
    assert status(database_url) == "accepted"


@pytest.mark.parametrize(
    ("answer", "final"),
    [("Accepted", "accepted"), ("AcceptedCanceled", "accepted"), ("Rejected", "rejected"),
     ("RevokedCertificate", "rejected"), ("InvalidCertificate", "rejected")],
)  # fmt: skip
def test_a_firmware_update_refused_for_its_certificate_is_rejected(database_url, answer, final):
    """2.x's UpdateFirmware answers: the signing certificate refused counts as a refusal (the
    operator's `send` exits 1), a running update cancelled for this one does not."""
    with db.session_scope(database_url) as session:
        stations.add_station(session, "CP-1")
        commands.record_command(session, "c1", "CP-1", "UpdateFirmware", {"requestId": 1})
    with db.session_scope(database_url) as session:
        assert commands.record_reply(session, "CP-1", "c1", {"status": answer})
    assert status(database_url) == final


def test_an_answer_offered_twice_is_applied_once(database_url):
    """The gateway offers a reply again when rpc_app died before it heard the first was
    taken: the second changes nothing (here: no second full list sent after a mismatch)."""
    from ocpp_cable.channels.handlers.ocpp2.actions import reply_work
    from ocpp_cable.channels.storage.models import LocalList
    from ocpp_cable.channels.storage.store import Unit

    new_command(database_url, "list-1")
    with db.session_scope(database_url) as session:
        command = session.get(Command, "list-1")
        command.action = "SendLocalList"
        command.payload = {"listVersion": 3, "updateType": "Differential"}
        commands.mark_sent(session, "list-1")
    answer = {"id": "list-1", "command": "SendLocalList", "payload": {"status": "VersionMismatch"}}
    follow_ups = []
    for _ in range(2):
        with db.session_scope(database_url) as session:
            follow_ups.append(reply_work("CP-1", answer)(Unit(session)))
    assert [len(f) for f in follow_ups] == [1, 0]
    with db.session_scope(database_url) as session:
        sent = session.scalars(select(Command).where(Command.action == "SendLocalList")).all()
        assert len(sent) == 2  # the command and one full list, not two
        assert session.get(LocalList, "CP-1").resends == 1


# --- the sweep: commands nobody will answer any more end ---------------------------------

PATIENCE = commands.Patience(per_call=30, grace=20)
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def left(url, command_id, station_id="CP-1", created=0.0, sent=None, answered=None):
    """A command as a process left it: recorded at `created`, sent at `sent` (seconds
    after T0; None: never marked sent), answered at `answered`."""
    with db.session_scope(url) as session:
        if session.get(ChargePoint, station_id) is None:
            stations.add_station(session, station_id)
        command = commands.record_command(session, command_id, station_id, "ClearCache", {})
        command.created_at = at(created)
        if sent is not None:
            command.status, command.sent_at = "sent", at(sent)
        if answered is not None:
            command.status, command.answered_at = "accepted", at(answered)


def outcome(url, command_id):
    with db.session_scope(url) as session:
        command = session.get(Command, command_id)
        return command.status, command.error_code


def sweep(url, seconds):
    with db.session_scope(url) as session:
        return [e.id for e in commands.settle_overdue(session, PATIENCE, at(seconds))]


def test_a_command_its_sender_never_marked_sent_ends_not_sent_once_overdue(database_url):
    left(database_url, "queued-1")  # the API died between recording and marking it sent
    assert sweep(database_url, 49) == []  # the station's 30 s and 20 s more: not yet
    assert outcome(database_url, "queued-1") == ("queued", None)
    assert sweep(database_url, 50) == ["queued-1"]
    assert outcome(database_url, "queued-1") == ("error", "NotSent")
    assert sweep(database_url, 500) == []  # ended once


def test_a_sent_command_whose_answer_never_came_ends_no_answer(database_url):
    left(database_url, "sent-1", created=0, sent=2)
    left(database_url, "answered-1", created=0, sent=2, answered=5)
    assert sweep(database_url, 51) == []
    assert sweep(database_url, 52) == ["sent-1"]
    assert outcome(database_url, "sent-1") == ("error", "NoAnswer")
    assert outcome(database_url, "answered-1") == ("accepted", None)


def test_a_command_waits_its_turn_behind_the_station_s_earlier_commands(database_url):
    """The gateway sends a station one CALL at a time: a command sent behind two still
    open gets their time too; one of another station does not wait for them."""
    left(database_url, "first", created=0, sent=0)
    left(database_url, "second", created=1, sent=1, answered=40)  # answered after "third" went
    left(database_url, "third", created=2, sent=2)
    left(database_url, "elsewhere", station_id="CP-2", created=2, sent=2)
    assert sorted(sweep(database_url, 52)) == ["elsewhere", "first"]
    assert sweep(database_url, 111) == []  # 2 s + 3 x 30 s + 20 s
    assert sweep(database_url, 112) == ["third"]
