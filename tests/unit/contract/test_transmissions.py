"""ocpp_cable/contract/transmissions.py: what rpc_app sends, read as the gateway reads it."""

from __future__ import annotations

import orjson
import pytest

from ocpp_cable.contract import transmissions as t


def test_a_channels_data_travels_wrapped_with_its_identifier_and_reads_back():
    wrapped = t.encode_transmission(
        t.message('{"channel":"C"}', t.ack_for_station("m1", {"status": "Accepted"}))
    )
    assert orjson.loads(wrapped) == {
        "identifier": '{"channel":"C"}',
        "message": {"command": "Ack", "id": "m1", "payload": {"status": "Accepted"}},
    }
    assert t.decode_transmission(wrapped) == t.Ack("m1", {"status": "Accepted"})


def test_bare_data_still_reads_as_before():
    """Broadcasts carry the data alone."""
    assert t.decode_transmission(
        t.encode_transmission(t.call_for_station("Reset", "r1", {"type": "Soft"}))
    ) == t.Call("Reset", "r1", {"type": "Soft"})
    assert t.decode_transmission(
        t.encode_transmission(t.error_for_station("m1", "NotSupported", "no"))
    ) == t.Error("m1", "NotSupported", "no", {})


@pytest.mark.parametrize(
    ("built", "kind"),
    [
        (t.welcome(), "welcome"),
        (t.disconnect("unauthorized", reconnect=False), "disconnect"),
        (t.confirmation('{"channel":"C"}'), "confirm_subscription"),
        (t.rejection('{"channel":"C"}'), "reject_subscription"),
    ],
)
def test_the_protocols_own_messages_read_as_control(built, kind):
    assert t.decode_transmission(t.encode_transmission(built)) == t.Control(kind)


def test_disconnect_says_why_and_whether_to_come_back():
    assert t.disconnect("unauthorized", reconnect=False) == {
        "type": "disconnect",
        "reason": "unauthorized",
        "reconnect": False,
    }


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("nope", "not JSON"),
        ("[1]", "not an object"),
        ('{"type": 3}', "type is not a string"),
        ('{"identifier": "x", "message": [1]}', "message of a transmission is not an object"),
    ],
)
def test_malformed_transmissions_say_what_is_wrong(raw, why):
    with pytest.raises(t.Malformed, match=why):
        t.decode_transmission(raw)
