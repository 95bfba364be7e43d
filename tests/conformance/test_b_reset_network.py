"""OCA 2.0.1 CSMS cases, block B (Provisioning): Reset of the station or an EVSE, and
network connection profiles, each composed by the central system from an operator's
`ocpp-cable reset` / `network-profile`."""

from __future__ import annotations

from ocpp.v201 import call

from ocpp_cable.channels.storage.models import ChargePoint, Command, Transaction
from tests.support.conformance import T0, csms

TOKEN = {"id_token": "TAG-1", "type": "ISO14443"}
EVSE = {"id": 1, "connector_id": 1}
T1 = "2026-12-01T10:30:00Z"


def event(event_type, seq_no, trigger, at=T0, **fields):
    info = {"transaction_id": "tx-b", **fields.pop("info", {})}
    return call.TransactionEvent(
        event_type=event_type, timestamp=at, trigger_reason=trigger, seq_no=seq_no,
        transaction_info=info, **fields,
    )  # fmt: skip


async def charging(cp) -> None:
    """The station charges: a transaction started with TAG-1 on EVSE 1."""
    started = await cp.call(event("Started", 0, "Authorized", id_token=TOKEN, evse=EVSE,
                                  info={"charging_state": "Charging"}))  # fmt: skip
    assert started.id_token_info["status"] == "Accepted"


async def reset(system, *flags: str) -> str:
    code, out, err = await system.operator("reset", "CP-1", *flags, "--wait")
    assert code == 0, (out, err)
    return out


async def reboot(cp, reason: str) -> None:
    """The station comes back: boots (Accepted) and reports its connector."""
    assert (await cp.boot(reason)).status == "Accepted"
    assert await cp.status("Available") is not None


async def test_tc_b_20_csms(tmp_path, capsys):
    """Reset the station once idle, no transaction: ResetRequest OnIdle without evseId;
    the station reboots and is Accepted."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"Reset": {"status": "Accepted"}}) as cp:
            await cp.boot()
            await reset(system)
            assert await cp.request("Reset") == {"type": "OnIdle"}
            await reboot(cp, "RemoteReset")
        [command] = system.rows(Command)
        assert (command.action, command.status) == ("Reset", "accepted")


async def test_tc_b_21_csms(tmp_path, capsys):
    """Reset once idle during a transaction: Scheduled; the station ends the transaction
    (Updated StopAuthorized, then Ended), reboots with ScheduledReset and is Accepted."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"Reset": {"status": "Scheduled"}}) as cp:
            await cp.boot()
            await charging(cp)
            out = await reset(system)
            assert 'accepted: {"status":"Scheduled"}' in out
            assert await cp.request("Reset") == {"type": "OnIdle"}
            await cp.call(event("Updated", 1, "StopAuthorized", T1))
            await cp.call(event("Ended", 2, "EVCommunicationLost", T1,
                                info={"stopped_reason": "EVDisconnected"}))  # fmt: skip
            await reboot(cp, "ScheduledReset")
        [tx] = system.rows(Transaction)
        assert tx.stop_time is not None and tx.stop_reason == "EVDisconnected"


async def test_tc_b_22_csms(tmp_path, capsys):
    """Reset now during a transaction: Immediate without evseId; the station ends the
    transaction (ImmediateReset), reboots with RemoteReset and is Accepted."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"Reset": {"status": "Accepted"}}) as cp:
            await cp.boot()
            await charging(cp)
            await reset(system, "--immediate")
            assert await cp.request("Reset") == {"type": "Immediate"}
            await cp.call(event("Ended", 1, "ResetCommand", T1,
                                info={"stopped_reason": "ImmediateReset"}))  # fmt: skip
            await reboot(cp, "RemoteReset")
        [tx] = system.rows(Transaction)
        assert tx.stop_reason == "ImmediateReset"


async def test_tc_b_25_csms(tmp_path, capsys):
    """Reset one EVSE once idle, nothing charging: OnIdle with that evseId, Accepted."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"Reset": {"status": "Accepted"}}) as cp:
            await cp.boot()
            await reset(system, "--evse", "1")
            assert await cp.request("Reset") == {"type": "OnIdle", "evse_id": 1}


async def test_tc_b_26_csms(tmp_path, capsys):
    """Reset the charging EVSE once idle: Scheduled; its transaction then ends and each
    event is answered and stored."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"Reset": {"status": "Scheduled"}}) as cp:
            await cp.boot()
            await charging(cp)
            await reset(system, "--evse", "1")
            assert await cp.request("Reset") == {"type": "OnIdle", "evse_id": 1}
            await cp.call(event("Updated", 1, "StopAuthorized", T1))
            await cp.call(event("Ended", 2, "EVCommunicationLost", T1,
                                info={"stopped_reason": "EVDisconnected"}))  # fmt: skip
        [tx] = system.rows(Transaction)
        assert (tx.seq_no, tx.stop_reason) == (2, "EVDisconnected")


async def test_tc_b_27_csms(tmp_path, capsys):
    """Reset the charging EVSE now: Immediate with its evseId; the transaction ends with
    ImmediateReset."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"Reset": {"status": "Accepted"}}) as cp:
            await cp.boot()
            await charging(cp)
            await reset(system, "--evse", "1", "--immediate")
            assert await cp.request("Reset") == {"type": "Immediate", "evse_id": 1}
            await cp.call(event("Ended", 1, "ResetCommand", T1,
                                info={"stopped_reason": "ImmediateReset"}))  # fmt: skip
        [tx] = system.rows(Transaction)
        assert tx.stop_reason == "ImmediateReset"


async def network_profile(system, cp):
    code, out, err = await system.operator(
        "network-profile", "CP-1", "--slot", "2", "--url", "wss://csms.example.com/ocpp",
        "--security-profile", "2", "--interface", "Wireless0", "--message-timeout", "45",
        "--wait",
    )  # fmt: skip
    return code, out, err, await cp.request("SetNetworkProfile")


async def test_tc_b_42_csms(tmp_path, capsys):
    """The CSMS sets a new NetworkConnectionProfile in a slot with the configured URL,
    timeout, interface and security profile (OCPP20 over JSON); the station accepts."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"SetNetworkProfile": {"status": "Accepted"}}
        async with system.station(answers=answers) as cp:
            await cp.boot()
            code, out, err, request = await network_profile(system, cp)
        assert code == 0, (out, err)
        assert request == {
            "configuration_slot": 2,
            "connection_data": {
                "ocpp_version": "OCPP20", "ocpp_transport": "JSON",
                "ocpp_csms_url": "wss://csms.example.com/ocpp", "message_timeout": 45,
                "security_profile": 2, "ocpp_interface": "Wireless0",
            },
        }  # fmt: skip
        [command] = system.rows(Command)
        assert (command.action, command.status) == ("SetNetworkProfile", "accepted")


async def test_tc_b_44_csms(tmp_path, capsys):
    """The station answers Failed to a new NetworkConnectionProfile: the CSMS records the
    refusal and the station's security profile is not moved."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"SetNetworkProfile": {"status": "Failed"}}
        async with system.station(answers=answers) as cp:
            await cp.boot()
            code, out, err, _ = await network_profile(system, cp)
        assert code == 1 and 'rejected: {"status":"Failed"}' in out, (out, err)
        [station] = system.rows(ChargePoint)
        assert station.pending_security_profile is None
