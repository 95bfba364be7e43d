"""OCA 2.0.1 CSMS cases, block P (Data transfer): a DataTransfer for a vendor the central
system does not know, and messages carrying customData."""

from __future__ import annotations

from ocpp.v201 import call

from ocpp_cable.channels.storage.models import MessageLog
from tests.support.conformance import csms
from tests.support.conformance_states import (
    Tx,
    at,
    booted,
    connector_status,
    sent,
    stored_transaction,
)


def logged(system, action: str) -> list[tuple[str, str, dict]]:
    """The message log's entries of `action`: (direction, message type, payload), in order."""
    rows = sorted(system.rows(MessageLog, MessageLog.action == action), key=lambda row: row.id)
    return [(row.direction, row.message_type, row.payload) for row in rows]


async def test_tc_p_02_csms(tmp_path, capsys):
    """DataTransfer from the station for a vendor and message the CSMS does not know
    (P02.FR.06, .07): answered, not failed: the tool takes UnknownVendorId, UnknownMessageId
    or Rejected, and an unknown vendor is UnknownVendorId (P02.FR.06); the request and the
    answer are kept in the message log as sent."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            request = call.DataTransfer(vendor_id="com.example.unknown", message_id="Hello",
                                        data="{\"x\": 1}")  # fmt: skip
            answer = await sent(cp, request)
        assert answer.status in ("UnknownVendorId", "UnknownMessageId", "Rejected")
        assert answer.status == "UnknownVendorId"
        assert logged(system, "DataTransfer") == [
            ("in", "CALL", {"vendorId": "com.example.unknown", "messageId": "Hello",
                            "data": "{\"x\": 1}"}),
            ("out", "CALLRESULT", {"status": answer.status}),
        ]  # fmt: skip


CUSTOM = {"vendor_id": "com.example.octt", "custom_key": "custom_value"}
CUSTOM_AS_SENT = {"vendorId": "com.example.octt", "customKey": "custom_value"}


async def test_tc_p_03_csms(tmp_path, capsys):
    """Messages carrying customData (no requirement of their own): a StatusNotification and
    a TransactionEvent with customData, the event's transactionInfo with some too, are
    answered as any other and stored; the message log keeps the customData as sent."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await booted(cp)
            await sent(cp, call.StatusNotification(
                timestamp=at(1), connector_status="Occupied", evse_id=1, connector_id=1,
                custom_data=CUSTOM,
            ))  # fmt: skip
            tx = Tx(cp, minute=1)
            await tx.event(
                "Started", "Authorized", with_evse=True, custom_data=CUSTOM,
                info={"charging_state": "EVConnected", "custom_data": CUSTOM},
            )  # fmt: skip
        assert connector_status(system) == "Occupied"
        row = stored_transaction(system, tx)
        assert (row.charging_state, row.evse_id) == ("EVConnected", 1)
        status_in = [p for d, _, p in logged(system, "StatusNotification") if d == "in"]
        assert status_in[-1]["customData"] == CUSTOM_AS_SENT
        [(_, _, event)] = [e for e in logged(system, "TransactionEvent") if e[0] == "in"]
        assert event["customData"] == CUSTOM_AS_SENT
        assert event["transactionInfo"]["customData"] == CUSTOM_AS_SENT
