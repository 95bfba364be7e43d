"""Broadcast messages and remote disconnects: what parses, what is refused and why, and how
deliveries are counted."""

from __future__ import annotations

import pytest

from ocpp_cable.gateway.broadcasts import (
    Broadcasts,
    MalformedBroadcast,
    RemoteDisconnect,
    parse_broadcasts,
)
from ocpp_cable.gateway.hub import StreamHub
from ocpp_cable.gateway.metrics import PREFIX, GatewayMetrics
from tests.support import docs

NOT_AN_OBJECT = "a broadcast is a JSON object"
NO_STREAM = "a broadcast needs a non-empty string 'stream'"
BAD_DATA = "'data' is the JSON text of a transmission"
NOT_JSON_DATA = "'data' is not JSON text"


class Listener:
    def __init__(self) -> None:
        self.got: list[str] = []

    def deliver(self, data: str) -> None:
        self.got.append(data)


@pytest.mark.parametrize(
    ("body", "parsed"),
    [
        (b'{"stream":"s","data":"{\\"a\\":1}"}', [("s", '{"a":1}')]),
        (b'[{"stream":"s","data":"1"},{"stream":"t","data":"2"}]', [("s", "1"), ("t", "2")]),
        (b"[]", []),
        (
            b'{"stream":"s","data":{"a":1,"b":[1,"x"],"c":null}}',
            [("s", '{"a":1,"b":[1,"x"],"c":null}')],
        ),
        (b'{"stream":"s","data":"1","extra":1}', [("s", "1")]),
    ],
    ids=["one", "array", "empty-array", "data-object", "extra-key"],
)
def test_parse_takes_one_broadcast_or_an_array_in_order(body, parsed):
    """One object or an array of them, in order; `data` as an object is re-encoded as JSON text."""
    assert parse_broadcasts(body) == parsed


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"data":"1"}', NO_STREAM),
        (b'{"stream":"","data":"1"}', NO_STREAM),
        (b'{"stream":5,"data":"1"}', NO_STREAM),
        (b'{"stream":null,"data":"1"}', NO_STREAM),
        (b'{"stream":["s"],"data":"1"}', NO_STREAM),
        (b'{"stream":"s"}', BAD_DATA),
        (b'{"stream":"s","data":null}', BAD_DATA),
        (b'{"stream":"s","data":5}', BAD_DATA),
        (b'{"stream":"s","data":true}', BAD_DATA),
        (b'{"stream":"s","data":[1,2]}', BAD_DATA),
        (b'{"stream":"s","data":""}', NOT_JSON_DATA),
        (b'{"stream":"s","data":"plain text"}', NOT_JSON_DATA),
        (b'"text"', NOT_AN_OBJECT),
        (b"5", NOT_AN_OBJECT),
        (b"null", NOT_AN_OBJECT),
        (b'[{"stream":"s","data":"1"},5]', NOT_AN_OBJECT),
        (b'[[{"stream":"s","data":"1"}]]', NOT_AN_OBJECT),
    ],
)
def test_parse_refuses_a_malformed_broadcast_with_a_clear_message(body, message):
    """Missing/empty/non-string stream, data neither text nor object, non-object items."""
    with pytest.raises(MalformedBroadcast) as refused:
        parse_broadcasts(body)
    assert str(refused.value) == message


@pytest.mark.parametrize("body", [b"", b"{", b'{"stream":"s",}', b"\xff\xfe", b"nope"])
def test_parse_refuses_invalid_json(body):
    """Not JSON (or not UTF-8): MalformedBroadcast saying so, never orjson's own error."""
    with pytest.raises(MalformedBroadcast) as refused:
        parse_broadcasts(body)
    assert str(refused.value).startswith("invalid JSON: ")
    assert isinstance(refused.value, ValueError)


def counted(metrics: GatewayMetrics, what: str) -> float | None:
    return metrics.registry.get_sample_value(f"{PREFIX}_broadcasts_{what}_total")


def node() -> tuple[StreamHub, GatewayMetrics, Broadcasts]:
    hub, metrics = StreamHub(), GatewayMetrics()
    return hub, metrics, Broadcasts(hub, metrics)


def test_deliver_counts_received_delivered_and_dropped():
    """Each broadcast is received once; delivered counts listeners; no local holder is a drop."""
    hub, metrics, broadcasts = node()
    a, b = Listener(), Listener()
    hub.subscribe(a, ["s"])
    hub.subscribe(b, ["s"])
    assert broadcasts.dropped == 0
    assert broadcasts.deliver("s", "x") == 2
    assert (a.got, b.got) == (["x"], ["x"])
    assert broadcasts.deliver("elsewhere", "y") == 0
    assert broadcasts.deliver("elsewhere", "z") == 0
    assert counted(metrics, "received") == 3
    assert counted(metrics, "delivered") == 2
    assert counted(metrics, "dropped") == 2
    assert broadcasts.dropped == 2


def test_on_message_delivers_each_broadcast_of_an_array():
    """A broker message with several broadcasts delivers each, in order, counted one by one."""
    hub, metrics, broadcasts = node()
    a = Listener()
    hub.subscribe(a, ["s"])
    broadcasts.on_message(
        b'[{"stream":"s","data":"1"},{"stream":"t","data":"2"},{"stream":"s","data":{"k":1}}]'
    )
    assert a.got == ["1", '{"k":1}']
    assert counted(metrics, "received") == 3
    assert counted(metrics, "delivered") == 2
    assert broadcasts.dropped == 1


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff",
        b'{"data":"1"}',
        b'{"stream":"s","data":5}',
        b'[{"stream":"s","data":"1"},7]',
    ],
)
def test_on_message_drops_a_malformed_message_whole_and_does_not_raise(body):
    """A malformed broker message is logged and dropped, all of it: nothing delivered or counted."""
    hub, metrics, broadcasts = node()
    a = Listener()
    hub.subscribe(a, ["s"])
    broadcasts.on_message(body)
    assert a.got == []
    assert counted(metrics, "received") == 0
    assert counted(metrics, "delivered") == 0
    assert broadcasts.dropped == 0
    broadcasts.on_message(b'{"stream":"s","data":"[1]"}')  # the next one still gets through
    assert a.got == ["[1]"]


VIEWER = '{"viewer":"ada"}'


@pytest.mark.parametrize(
    ("body", "parsed"),
    [
        (  # AnyCable's, as anycable-go reads it (common.RemoteDisconnectMessage)
            b'{"command":"disconnect","payload":{"identifier":"{\\"viewer\\":\\"ada\\"}",'
            b'"reconnect":false}}',
            RemoteDisconnect(VIEWER, False, "remote"),
        ),
        (
            b'{"command":"disconnect","payload":{"identifier":"x","reconnect":true,'
            b'"reason":"unauthorized"}}',
            RemoteDisconnect("x", True, "unauthorized"),
        ),
        (b'{"command":"disconnect","payload":{"identifier":"x"}}', RemoteDisconnect("x")),
    ],
    ids=["anycable", "reason", "reconnect-defaults-false"],
)
def test_a_remote_disconnect_parses_beside_broadcasts(body, parsed):
    assert parse_broadcasts(body) == [parsed]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"command":"kick","payload":{}}', "the remote command we know is 'disconnect'"),
        (b'{"command":"disconnect"}', "a remote disconnect's 'payload' is a JSON object"),
        (
            b'{"command":"disconnect","payload":{"identifier":""}}',
            "a remote disconnect names the connection identifiers",
        ),
        (
            b'{"command":"disconnect","payload":{"identifier":{"viewer":"ada"}}}',
            "a remote disconnect names the connection identifiers",
        ),
        (
            b'{"command":"disconnect","payload":{"identifier":"x","reconnect":"no"}}',
            "a remote disconnect's 'reconnect' is true or false",
        ),
        (
            b'{"command":"disconnect","payload":{"identifier":"x","reason":"Bye now"}}',
            "a remote disconnect's 'reason' is a word of a-z and _",
        ),
        (
            b'{"command":"disconnect","payload":{"identifier":"x","reason":"' + b"a" * 33 + b'"}}',
            "a remote disconnect's 'reason' is a word of a-z and _",
        ),
    ],
)
def test_a_malformed_remote_command_is_refused_with_a_clear_message(body, message):
    with pytest.raises(MalformedBroadcast) as refused:
        parse_broadcasts(body)
    assert str(refused.value) == message


def test_on_message_hands_a_remote_disconnect_to_the_node_and_counts_no_broadcast():
    hub, metrics = StreamHub(), GatewayMetrics()
    asked: list[RemoteDisconnect] = []
    broadcasts = Broadcasts(hub, metrics, lambda command: asked.append(command) or 1)
    broadcasts.on_message(b'{"command":"disconnect","payload":{"identifier":"x"}}')
    assert asked == [RemoteDisconnect("x")]
    assert counted(metrics, "received") == 0


def test_the_docs_remote_disconnect_is_what_the_gateway_takes():
    (example,) = docs.blocks("json")
    assert parse_broadcasts(example.encode()) == [RemoteDisconnect(VIEWER, False, "unauthorized")]
