"""gateway/cable/session.py: the Action Cable protocol core, without sockets."""

from __future__ import annotations

import orjson
import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from ocpp_cable.gateway.cable.session import (
    BroadcastFrames,
    CableConfig,
    CableSession,
    Close,
    RPCCommand,
    Send,
    broadcast_frame,
    outgoing,
    ping_frame,
)

ROOM = '{"channel":"ChatChannel","room":"lobby"}'


def frame(**message) -> str:
    return orjson.dumps(message).decode()


def subscribed(session: CableSession, identifier: str = ROOM) -> None:
    (command,) = session.receive(frame(command="subscribe", identifier=identifier))
    session.command_finished(command, True, [])


def test_opened_sends_what_connect_transmitted():
    assert CableSession(CableConfig()).opened(['{"type":"welcome"}']) == [
        Send('{"type":"welcome"}')
    ]


def test_subscribe_becomes_a_command_and_counts_once_confirmed():
    s = CableSession(CableConfig())
    (command,) = s.receive(frame(command="subscribe", identifier=ROOM))
    assert command == RPCCommand("subscribe", ROOM)
    assert s.subscriptions == set()
    assert s.receive(frame(command="subscribe", identifier=ROOM)) == []  # under way
    confirmation = f'{{"identifier":{orjson.dumps(ROOM).decode()},"type":"confirm_subscription"}}'
    assert s.command_finished(command, True, [confirmation]) == [Send(confirmation)]
    assert s.subscriptions == {ROOM}
    assert s.receive(frame(command="subscribe", identifier=ROOM)) == []  # already


def test_a_refused_or_unanswered_subscribe_does_not_count():
    s = CableSession(CableConfig())
    (command,) = s.receive(frame(command="subscribe", identifier=ROOM))
    assert s.command_finished(command, False, ["r"]) == [Send("r")]
    (again,) = s.receive(frame(command="subscribe", identifier=ROOM))
    (told,) = s.command_finished(again, None)
    assert orjson.loads(told.text) == {"identifier": ROOM, "type": "reject_subscription"}
    assert s.subscriptions == set()


def test_messages_only_for_confirmed_subscriptions_and_data_as_text():
    s = CableSession(CableConfig())
    speak = frame(command="message", identifier=ROOM, data='{"action":"speak"}')
    assert s.receive(speak) == []
    subscribed(s)
    assert s.receive(speak) == [RPCCommand("message", ROOM, '{"action":"speak"}')]
    assert s.receive(frame(command="message", identifier=ROOM, data={"action": "x"})) == []


def test_unsubscribe_ends_the_subscription_once_answered():
    s = CableSession(CableConfig())
    assert s.receive(frame(command="unsubscribe", identifier=ROOM)) == []
    subscribed(s)
    (command,) = s.receive(frame(command="unsubscribe", identifier=ROOM))
    assert command == RPCCommand("unsubscribe", ROOM)
    s.command_finished(command, True)
    assert s.subscriptions == set()


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[1, 2]",
        frame(command="subscribe"),
        frame(command="subscribe", identifier=""),
        frame(command="subscribe", identifier=7),
        frame(command="dance", identifier=ROOM),
        frame(command="pong"),
        frame(command="message", identifier="x" * 2000, data="{}"),
        frame(command="unsubscribe", identifier="x" * 2000),
    ],
)
def test_what_the_protocol_does_not_allow_is_ignored(raw):
    assert CableSession(CableConfig()).receive(raw) == []


def test_an_over_long_identifier_is_rejected_naming_its_head_only():
    s = CableSession(CableConfig(max_identifier_length=16))
    (refused,) = s.receive(frame(command="subscribe", identifier="x" * 17))
    assert orjson.loads(refused.text) == {"identifier": "x" * 16, "type": "reject_subscription"}
    assert s.subscriptions == set()


def test_after_the_goodbye_nothing_more_is_done():
    s = CableSession(CableConfig())
    subscribed(s)
    s.disconnect("unauthorized", False)
    assert s.receive(frame(command="subscribe", identifier='{"channel":"B"}')) == []
    assert s.receive(frame(command="message", identifier=ROOM, data="{}")) == []


def test_subscriptions_are_bounded_per_connection():
    s = CableSession(CableConfig(max_subscriptions=1))
    s.receive(frame(command="subscribe", identifier=ROOM))  # pending counts too
    (refused,) = s.receive(frame(command="subscribe", identifier='{"channel":"B"}'))
    assert orjson.loads(refused.text) == {
        "identifier": '{"channel":"B"}',
        "type": "reject_subscription",
    }


def test_broadcast_frame_wraps_the_data_without_parsing_it_again():
    text = broadcast_frame(ROOM, '{"n":1}')
    assert orjson.loads(text) == {"identifier": ROOM, "message": {"n": 1}}


def test_broadcast_frames_encodes_a_broadcast_once_per_identifier():
    """Thousands of subscribers of one identifier share one encoded frame; another
    identifier, or the next broadcast, gets a frame of its own."""
    frames, other = BroadcastFrames(), '{"channel":"B"}'
    data = '{"n":1}'
    first = frames.frame(ROOM, data)
    assert orjson.loads(first.payload) == {"identifier": ROOM, "message": {"n": 1}}
    assert frames.frame(ROOM, data) is first
    assert frames.frame("".join(['{"channel":"ChatChannel",', '"room":"lobby"}']), data) is first
    assert orjson.loads(frames.frame(other, data).payload) == {
        "identifier": other,
        "message": {"n": 1},
    }
    assert frames.frame(ROOM, data) is first
    following = frames.frame(ROOM, "".join(["{", '"n":2}']))
    assert orjson.loads(following.payload) == {"identifier": ROOM, "message": {"n": 2}}
    # Equal data sent again is a new broadcast: its frame is built afresh, equal.
    again = frames.frame(ROOM, "".join(["{", '"n":1}']))
    assert again == first and again is not first


@pytest.mark.parametrize("size", [0, 125, 126, 65_535, 65_536, 200_000])
def test_an_outgoing_frame_is_what_a_websocket_client_reads(size):
    """The wire frame is one final, unmasked text frame of the payload, at each of the
    three length encodings (RFC 6455 5.2), as websockets' own parser reads it."""
    text = "é" * (size // 2) + "x" * (size % 2)
    message = outgoing(text)
    assert message.payload == text.encode()
    reader = StreamReader()
    reader.feed_data(message.wire)
    parse = Frame.parse(reader.read_exact, mask=False)
    with pytest.raises(StopIteration) as parsed:
        next(parse)
    frame = parsed.value.value
    assert (frame.opcode, frame.fin, frame.data) == (Opcode.TEXT, True, message.payload)


def test_ping_and_disconnect_frames():
    assert orjson.loads(ping_frame(1700000000.7)) == {"type": "ping", "message": 1700000000}
    goodbye, close = CableSession(CableConfig()).disconnect("server_restart", True, 1001)
    assert orjson.loads(goodbye.text) == {
        "type": "disconnect",
        "reason": "server_restart",
        "reconnect": True,
    }
    assert close == Close(1001, "server_restart")
