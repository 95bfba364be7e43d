"""OCA 2.0.1 CSMS cases, block E (Transactions)."""

from __future__ import annotations

from ocpp.v201 import call

from ocpp_cable.channels.storage.models import Transaction, TransactionEvent
from tests.support.conformance import T0, csms

TOKEN = {"id_token": "TAG-1", "type": "ISO14443"}


def event(event_type, seq_no, trigger, at=T0, **fields):
    info = {"transaction_id": "tx-e", **fields.pop("info", {})}
    return call.TransactionEvent(
        event_type=event_type, timestamp=at, trigger_reason=trigger, seq_no=seq_no,
        transaction_info=info, **fields,
    )  # fmt: skip


async def test_tc_e_31_csms(tmp_path, capsys):
    """Check Transaction status, a transaction that ended with messages still queued (E14):
    the CSMS asks GetTransactionStatus for the ended transaction, the station says it has
    messages in queue, then delivers them (offline events, older seqNo, after the Ended):
    each gets a TransactionEventResponse, none an error, and each is stored."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        status = {"messages_in_queue": True, "ongoing_indicator": False}
        async with system.station(answers={"GetTransactionStatus": status}) as cp:
            await cp.boot()
            await cp.call(event("Started", 0, "Authorized", id_token=TOKEN,
                                evse={"id": 1, "connector_id": 1}))  # fmt: skip
            await cp.call(event("Ended", 3, "StopAuthorized", at="2026-12-01T11:00:00Z",
                                info={"stopped_reason": "Local"}))  # fmt: skip
            code, out, err = await system.operator(
                "send", "CP-1", "GetTransactionStatus", '{"transactionId": "tx-e"}', "--wait"
            )
            assert code == 0, (out, err)
            request = await cp.request("GetTransactionStatus")
            assert request == {"transaction_id": "tx-e"}
            assert '{"messagesInQueue":true,"ongoingIndicator":false}' in out
            # The queued events: sent while offline, before the Ended the CSMS already has.
            suspended = {"charging_state": "SuspendedEV"}
            late = [
                event("Updated", 1, "MeterValuePeriodic", at="2026-12-01T10:15:00Z", offline=True),
                event("Updated", 2, "ChargingStateChanged", "2026-12-01T10:30:00Z", offline=True,
                      info=suspended),
            ]  # fmt: skip
            for queued in late:
                assert await cp.call(queued) is not None  # a CALLERROR raises here
        stored = system.rows(TransactionEvent)
        assert sorted(e.seq_no for e in stored) == [0, 1, 2, 3]
        [tx] = system.rows(Transaction)
        # The Ended stays the transaction's last word: its state is the highest seqNo's.
        assert tx.stop_reason == "Local" and tx.seq_no == 3
