"""A command's state only moves forward: queued -> sent -> an answer, whoever writes when."""

from __future__ import annotations

import pytest

from channels import commands, db, stations
from channels.models import Command


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
            commands.record_reply(rpc_app, "c1", {"status": "Accepted"})
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
        "reply": lambda s: commands.record_reply(s, "c1", {"status": "Accepted"}),
        "failure": lambda s: commands.record_failure(s, "c1", "BroadcastFailed", {}),
        "timeout": lambda s: commands.record_failure(s, "c1", "Timeout", {}),
        "sent": lambda s: commands.mark_sent(s, "c1"),
    }
    for step in (first, then):
        with db.session_scope(database_url) as session:
            steps[step](session)
    assert status(database_url) == final
