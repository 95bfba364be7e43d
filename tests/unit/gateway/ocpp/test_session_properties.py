"""Property-based tests: random and mutated frames never break the protocol core."""

from __future__ import annotations

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ocpp_cable.gateway.ocpp.session import Close, Perform, Send, SessionConfig, StationSession
from ocpp_cable.ocppj import errors, frames

json_scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=40)
json_values = st.recursive(
    json_scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)

VALID_FRAMES = [
    [2, "1", "BootNotification", {"chargePointModel": "M", "chargePointVendor": "V"}],
    [2, "2", "Heartbeat", {}],
    [2, "3", "Authorize", {"idTag": "TAG"}],
    [
        2,
        "4",
        "StatusNotification",
        {"connectorId": 1, "errorCode": "NoError", "status": "Available"},
    ],
    [
        2,
        "5",
        "MeterValues",
        {
            "connectorId": 1,
            "transactionId": 7,
            "meterValue": [
                {
                    "timestamp": "2026-11-21T10:00:00Z",
                    "sampledValue": [{"value": "10", "measurand": "Energy.Active.Import.Register"}],
                }
            ],
        },
    ],
    [3, "c1", {"status": "Accepted"}],
    [4, "c1", "NotSupported", "no", {}],
]
ACTIONS = ["BootNotification", "Heartbeat", "Authorize", "MeterValues", "Reset", "Nope", ""]


@st.composite
def mutated_frames(draw) -> str:
    frame = list(draw(st.sampled_from(VALID_FRAMES)))
    mutation = draw(st.sampled_from(["replace", "drop", "append", "action", "payload", "id"]))
    if mutation == "replace" and frame:
        frame[draw(st.integers(0, len(frame) - 1))] = draw(json_values)
    elif mutation == "drop" and frame:
        del frame[draw(st.integers(0, len(frame) - 1))]
    elif mutation == "append":
        frame.append(draw(json_values))
    elif mutation == "action" and frame[0] == 2:
        frame[2] = draw(st.sampled_from(ACTIONS) | st.text(max_size=10))
    elif mutation == "payload":
        payload = frame[-1]
        if isinstance(payload, dict) and payload:
            key = draw(st.sampled_from(sorted(payload)))
            payload = {**payload, key: draw(json_values)}
        frame[-1] = payload
    elif mutation == "id":
        frame[1] = draw(json_values | st.text(min_size=30, max_size=40))
    return orjson.dumps(frame).decode()


raw_text = st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1"))
any_frame = mutated_frames() | raw_text | json_values.map(lambda v: orjson.dumps(v).decode())


def assert_valid_reply(text: str) -> None:
    """A reply we send to a station is a well-formed CALLRESULT or CALLERROR."""
    message = orjson.loads(text)
    assert isinstance(message, list)
    if message[0] == frames.CALLRESULT:
        assert frames.valid_unique_id(message[1])
        assert len(message) == 3 and isinstance(message[2], dict)
    else:
        # A CALLERROR echoes the charger's id whenever it was a string, else "-1".
        assert message[0] == frames.CALLERROR and len(message) == 5
        assert isinstance(message[1], str)
        assert message[2] in errors.OCPP16_ERROR_CODES
        assert isinstance(message[3], str) and isinstance(message[4], dict)


def run_frames(session: StationSession, texts: list[str]) -> None:
    for text in texts:
        effects = session.receive(text)
        replies = [e for e in effects if isinstance(e, Send)]
        assert len(replies) <= 1, "at most one answer per frame"
        for reply in replies:
            assert_valid_reply(reply.text)
        for effect in effects:
            assert isinstance(effect, Send | Perform | Close) or type(effect).__name__.endswith(
                "Timer"
            )
            if isinstance(effect, Perform) and effect.call_id is not None:
                # Whatever the application does, the charger gets one valid answer.
                for reply in session.perform_finished(effect.call_id, succeeded=False):
                    assert_valid_reply(reply.text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(any_frame, min_size=1, max_size=8))
def test_core_never_raises_and_answers_validly(texts):
    session = StationSession("CP-1", SessionConfig(malformed_budget=1000))
    # Give replies something to match: one of our CALLs is outstanding.
    session.apply_transmissions(['{"command":"ClearCache","id":"c1"}'])
    run_frames(session, texts)


@settings(max_examples=200, deadline=None)
@given(st.lists(json_values.map(lambda v: orjson.dumps(v).decode()), max_size=5))
def test_random_transmissions_never_raise(transmissions):
    session = StationSession("CP-1", SessionConfig())
    session.receive('[2,"a1","Authorize",{"idTag":"T"}]')
    for effect in session.apply_transmissions(transmissions):
        if isinstance(effect, Send):
            message = orjson.loads(effect.text)
            assert message[0] in (frames.CALL, frames.CALLRESULT, frames.CALLERROR)
