"""The OCPP-J frame codec, without sockets."""

import orjson
import pytest

from ocpp_cable.ocppj import errors, frames
from ocpp_cable.ocppj.frames import Call, CallError, CallResult, FrameError


def test_parses_the_three_message_types():
    assert frames.parse('[2,"1","Heartbeat",{}]') == Call("1", "Heartbeat", {})
    assert frames.parse('[3,"1",{"a":1}]') == CallResult("1", {"a": 1})
    assert frames.parse('[4,"1","GenericError","oops",{}]') == CallError(
        "1", "GenericError", "oops", {}
    )


def test_unknown_message_type_is_ignored():
    assert frames.parse('[5,"1","x"]') is None


@pytest.mark.parametrize(
    ("text", "code", "unique_id"),
    [
        ("not json", errors.PROTOCOL_ERROR, None),
        ('{"a":1}', errors.PROTOCOL_ERROR, None),
        ("[]", errors.PROTOCOL_ERROR, None),
        ('["2","1","Heartbeat",{}]', errors.PROTOCOL_ERROR, None),
        ('[2,1,"Heartbeat",{}]', errors.PROTOCOL_ERROR, None),
        # A readable id is echoed even when it breaks the rules, so the charger can match it.
        (f'[2,"{"x" * 37}","Heartbeat",{{}}]', errors.PROTOCOL_ERROR, "x" * 37),
        ('[2,"","Heartbeat",{}]', errors.PROTOCOL_ERROR, ""),
        ('[2,"1","Heartbeat"]', errors.PROTOCOL_ERROR, "1"),
        ('[2,"1",7,{}]', errors.PROTOCOL_ERROR, "1"),
        ('[2,"1","Heartbeat",[]]', errors.FORMATION_VIOLATION, "1"),
        ('[3,"1"]', errors.PROTOCOL_ERROR, "1"),
        ('[4,"1","GenericError"]', errors.PROTOCOL_ERROR, "1"),
    ],
)
def test_broken_frames_raise_with_code_and_readable_id(text, code, unique_id):
    with pytest.raises(FrameError) as raised:
        frames.parse(text)
    assert raised.value.code == code
    assert raised.value.unique_id == unique_id


def test_36_character_id_is_accepted():
    assert frames.parse(f'[2,"{"x" * 36}","Heartbeat",{{}}]').unique_id == "x" * 36


def test_encoders_write_ocpp_j_arrays():
    assert orjson.loads(frames.encode_call("1", "Reset", {"type": "Soft"})) == [
        2,
        "1",
        "Reset",
        {"type": "Soft"},
    ]
    assert orjson.loads(frames.encode_result("1", {})) == [3, "1", {}]
    # errorDetails is always an object
    assert orjson.loads(frames.encode_error("1", "InternalError", "x")) == [
        4,
        "1",
        "InternalError",
        "x",
        {},
    ]


@pytest.mark.parametrize(
    ("text", "code", "unique_id", "message_type"),
    [
        # Valid JSON that a double or a UTF-8 string cannot hold: the id is still read.
        ('[2,"m1","MeterValues",{"connectorId":1e400}]', errors.FORMATION_VIOLATION, "m1", 2),
        ('[2,"m2","Authorize",{"idTag":"\\ud800"}]', errors.FORMATION_VIOLATION, "m2", 2),
        # Broken JSON after a readable head: answered with the id it sent.
        ('[2,"m3","Heartbeat",{', errors.PROTOCOL_ERROR, "m3", 2),
        ('[2, "m\\"4" ,"Heartbeat",{', errors.PROTOCOL_ERROR, 'm"4', 2),
        ('[4,"r1","GenericError","x",{', errors.PROTOCOL_ERROR, "r1", 4),
        # Nothing readable.
        ("[2,", errors.PROTOCOL_ERROR, None, None),
        ('{"m": 1', errors.PROTOCOL_ERROR, None, None),
    ],
)
def test_unparseable_frames_keep_the_id_they_carry(text, code, unique_id, message_type):
    with pytest.raises(FrameError) as raised:
        frames.parse(text)
    assert (raised.value.code, raised.value.unique_id) == (code, unique_id)
    assert raised.value.message_type == message_type


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("kind", ["call", "callerror"])
def test_nesting_is_bounded_and_the_id_kept(kind):
    deep = nested(frames.MAX_DEPTH)
    text = (
        f'[2,"m1","DataTransfer",{{"vendorId":"v","x":{deep}}}]'
        if kind == "call"
        else f'[4,"r1","GenericError","x",{{"d":{deep}}}]'
    )
    with pytest.raises(FrameError) as raised:
        frames.parse(text)
    assert raised.value.code == errors.FORMATION_VIOLATION
    assert raised.value.unique_id == ("m1" if kind == "call" else "r1")
    assert "nest" in raised.value.description


def test_nesting_just_within_the_bound_parses():
    # The frame array and the payload object are two levels of the bound.
    inner = nested(frames.MAX_DEPTH - 3)
    frame = frames.parse(f'[2,"m1","DataTransfer",{{"vendorId":"v","x":[{inner}]}}]')
    assert frame.unique_id == "m1"


def test_brackets_inside_strings_do_not_count_as_nesting():
    text = '[2,"m1","DataTransfer",{"vendorId":"v","data":"' + "[{" * 500 + '"}]'
    assert frames.parse(text).payload["data"] == "[{" * 500
