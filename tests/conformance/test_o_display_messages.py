"""OCA 2.0.1 CSMS cases, block O (DisplayMessage): messages for drivers set, asked for and
cleared, each request composed by the CSMS from what the operator gives
(`ocpp-cable display-messages`, the API's routes)."""

from __future__ import annotations

from ocpp.v201 import call

from ocpp_cable.channels.storage.models import Command, StationNotification
from tests.support.conformance import T0, csms

TOKEN = {"id_token": "TAG-1", "type": "ISO14443"}
START, END = "2026-12-01T12:00:00Z", "2026-12-01T18:00:00Z"


def sent(system, action):
    found = [c for c in system.rows(Command) if c.action == action]
    return sorted(found, key=lambda c: c.created_at)


async def _set(tmp_path, capsys, options, status="Accepted", transaction=False):
    """Set Display Message as the operator asks (`options`); the station answers `status`.
    The CSMS's request is returned with its record, which holds the station's answer and
    ends `accepted` only on Accepted. With `transaction`, a transaction (tx-o) is
    started first and ended after (EVDisconnected)."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"SetDisplayMessage": {"status": status}}) as cp:
            await cp.boot()
            info = {"transaction_id": "tx-o"}
            if transaction:
                await cp.call(call.TransactionEvent(
                    event_type="Started", timestamp=T0, trigger_reason="Authorized", seq_no=0,
                    transaction_info=info, id_token=TOKEN, evse={"id": 1, "connector_id": 1},
                ))  # fmt: skip
            code, out, err = await system.operator(
                "display-messages", "set", "CP-1", "Welcome", *options, "--wait"
            )
            assert code == (0 if status == "Accepted" else 1), (out, err)
            request = (await cp.request("SetDisplayMessage"))["message"]
            if transaction:
                await cp.call(call.TransactionEvent(
                    event_type="Ended", timestamp=T0, trigger_reason="EVCommunicationLost",
                    seq_no=1, transaction_info={**info, "stopped_reason": "EVDisconnected"},
                ))  # fmt: skip
        [command] = sent(system, "SetDisplayMessage")
        assert command.response == {"status": status}
        assert command.status == ("accepted" if status == "Accepted" else "rejected")
        assert request["id"] >= 0 and f"message id {request['id']}" in out
        assert request["message"] == {"format": "UTF8", "content": "Welcome"}
        return request


async def test_tc_o_01_csms(tmp_path, capsys):
    """Set Display Message, success: a generated id, the configured priority, format and
    state; the station's Accepted recorded."""
    request = await _set(tmp_path, capsys, ["--priority", "InFront", "--state", "Charging"])
    assert (request["priority"], request["state"]) == ("InFront", "Charging")


async def test_tc_o_06_csms(tmp_path, capsys):
    """Set Display Message for a transaction: the message names the transactionId the
    station gave; accepted; the transaction then ends (EV disconnected)."""
    request = await _set(tmp_path, capsys, ["--transaction", "tx-o"], transaction=True)
    assert (request["transaction_id"], request["priority"]) == ("tx-o", "NormalCycle")


async def test_tc_o_10_csms(tmp_path, capsys):
    """Set Display Message for an unknown transaction: the station's UnknownTransaction is
    recorded as a refusal, the operator told (exit 1)."""
    request = await _set(tmp_path, capsys, ["--transaction", "tx-gone"], "UnknownTransaction")
    assert request["transaction_id"] == "tx-gone"


async def test_tc_o_12_csms(tmp_path, capsys):
    """Set Display Message replacing one: the configured id is sent again, with its priority."""
    request = await _set(tmp_path, capsys, ["--id", "42", "--priority", "AlwaysFront"])
    assert (request["id"], request["priority"]) == (42, "AlwaysFront")


async def test_tc_o_13_csms(tmp_path, capsys):
    """Set Display Message shown from a start time: startDateTime as configured."""
    request = await _set(tmp_path, capsys, ["--start", START])
    assert request["start_date_time"] == START and "end_date_time" not in request


async def test_tc_o_14_csms(tmp_path, capsys):
    """Set Display Message removed at an end time: endDateTime as configured."""
    request = await _set(tmp_path, capsys, ["--end", END])
    assert request["end_date_time"] == END and "start_date_time" not in request


async def test_tc_o_17_csms(tmp_path, capsys):
    """Set Display Message, NotSupportedPriority: recorded as the station's refusal."""
    request = await _set(tmp_path, capsys, ["--priority", "AlwaysFront"], "NotSupportedPriority")
    assert request["priority"] == "AlwaysFront"


async def test_tc_o_18_csms(tmp_path, capsys):
    """Set Display Message, NotSupportedState: recorded as the station's refusal."""
    request = await _set(tmp_path, capsys, ["--state", "Faulted"], "NotSupportedState")
    assert request["state"] == "Faulted"


async def test_tc_o_19_csms(tmp_path, capsys):
    """Set Display Message, NotSupportedMessageFormat: recorded as the station's refusal."""
    await _set(tmp_path, capsys, [], "NotSupportedMessageFormat")


async def test_tc_o_25_csms(tmp_path, capsys):
    """Set Display Message for a station state: the configured id and state."""
    request = await _set(tmp_path, capsys, ["--id", "7", "--state", "Idle"])
    assert (request["id"], request["state"]) == (7, "Idle")


async def test_tc_o_26_csms(tmp_path, capsys):
    """Set Display Message, rejected: a NormalCycle message the station rejects."""
    request = await _set(tmp_path, capsys, ["--priority", "NormalCycle"], "Rejected")
    assert request["priority"] == "NormalCycle"


async def test_tc_o_27_csms(tmp_path, capsys):
    """Set Display Message for a transaction from a start time: transactionId and
    startDateTime, no state and no endDateTime."""
    request = await _set(
        tmp_path, capsys, ["--transaction", "tx-o", "--start", START], transaction=True
    )
    assert (request["transaction_id"], request["start_date_time"]) == ("tx-o", START)
    assert "state" not in request and "end_date_time" not in request


async def test_tc_o_28_csms(tmp_path, capsys):
    """Set Display Message for a transaction until an end time: transactionId and
    endDateTime."""
    request = await _set(
        tmp_path, capsys, ["--transaction", "tx-o", "--end", END], transaction=True
    )
    assert (request["transaction_id"], request["end_date_time"]) == ("tx-o", END)


async def _get(tmp_path, capsys, body, status="Accepted"):
    """Get Display Messages through the API with `body`'s filters: the request holds a
    requestId and exactly those filters; on Accepted the station's NotifyDisplayMessages
    is answered and kept under that requestId."""
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed()
        async with system.station(answers={"GetDisplayMessages": {"status": status}}) as cp:
            await cp.boot()
            response = await system.http(
                "POST", "/api/v1/stations/CP-1/display-messages/get?wait=5", json=body
            )
            assert response.status_code == 202, response.text
            [command] = response.json()["commands"]
            assert command["response"] == {"status": status}
            request = await cp.request("GetDisplayMessages")
            request_id = request.pop("request_id")
            assert request_id >= 0
            if status == "Accepted":
                shown = {"id": 42, "priority": "NormalCycle",
                         "message": {"format": "UTF8", "content": "Welcome"}}  # fmt: skip
                notify = call.NotifyDisplayMessages(
                    request_id=request_id, message_info=[shown], tbc=False
                )
                assert await cp.call(notify) is not None
        kept = [n.payload for n in system.rows(StationNotification)
                if n.action == "NotifyDisplayMessages"]  # fmt: skip
        assert [k["requestId"] for k in kept] == ([request_id] if status == "Accepted" else [])
        return request


async def test_tc_o_02_csms(tmp_path, capsys):
    """Get all Display Messages: a requestId, no id, priority or state; the report kept."""
    assert await _get(tmp_path, capsys, {}) == {}


async def test_tc_o_03_csms(tmp_path, capsys):
    """Get all Display Messages, none configured: the station's Unknown is taken."""
    assert await _get(tmp_path, capsys, {}, "Unknown") == {}


async def test_tc_o_07_csms(tmp_path, capsys):
    """Get a Display Message by id: the configured id only."""
    assert await _get(tmp_path, capsys, {"ids": [42]}) == {"id": [42]}


async def test_tc_o_08_csms(tmp_path, capsys):
    """Get Display Messages by priority: the configured priority only."""
    assert await _get(tmp_path, capsys, {"priority": "InFront"}) == {"priority": "InFront"}


async def test_tc_o_09_csms(tmp_path, capsys):
    """Get Display Messages by state: the configured state only."""
    assert await _get(tmp_path, capsys, {"state": "Charging"}) == {"state": "Charging"}


async def test_tc_o_11_csms(tmp_path, capsys):
    """Get a Display Message by an id the station does not know: Unknown is taken."""
    assert await _get(tmp_path, capsys, {"ids": [4242]}, "Unknown") == {"id": [4242]}


async def _clear(tmp_path, capsys, status):
    """Clear Display Message 42; the station's answer (`status`) recorded."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"ClearDisplayMessage": {"status": status}}) as cp:
            await cp.boot()
            code, out, err = await system.operator(
                "display-messages", "clear", "CP-1", "42", "--wait"
            )
            assert code == 0, (out, err)
            assert await cp.request("ClearDisplayMessage") == {"id": 42}
            assert f'{{"status":"{status}"}}' in out
        [command] = sent(system, "ClearDisplayMessage")
        assert command.response == {"status": status}


async def test_tc_o_04_csms(tmp_path, capsys):
    """Clear Display Message, success: the id set before; Accepted recorded."""
    await _clear(tmp_path, capsys, "Accepted")


async def test_tc_o_05_csms(tmp_path, capsys):
    """Clear Display Message, unknown id: the station's Unknown recorded and shown."""
    await _clear(tmp_path, capsys, "Unknown")
