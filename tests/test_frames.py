"""The OCPP-J frame codec, without sockets."""

import orjson
import pytest

from gateway.protocol import errors, frames
from gateway.protocol.frames import Call, CallError, CallResult, FrameError


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
        ('[2,"","Heartbeat",{}]', errors.PROTOCOL_ERROR, None),
        (f'[2,"{"x" * 37}","Heartbeat",{{}}]', errors.PROTOCOL_ERROR, None),
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
