"""OCA 2.0.1 CSMS cases, block C (Authorization); the Plug & Charge ones (C_50-52) apart."""

from __future__ import annotations

import datetime as dt

from ocpp.v201 import call

from ocpp_cable.channels.storage.models import Transaction, TransactionEvent
from tests.support.central import command_line
from tests.support.conformance import csms
from tests.support.conformance_flows import Transaction2, operate, token

GROUP = {"id_token": "GROUP-1", "type": "Central"}
MASTER_GROUP = {"id_token": "MASTERPASS", "type": "Central"}


async def authorize(cp, value: str) -> dict:
    return (await cp.call(call.Authorize(id_token=token(value)))).id_token_info


async def grouped(system, *tags: str, parent: str = "GROUP-1") -> None:
    """idTags of one group, added as an operator adds them."""
    for tag in tags:
        code, out, err = await command_line(
            system.capsys, "tags", "add", tag, "--parent", parent, "--database-url", system.url
        )
        assert code == 0, (out, err)


async def test_tc_c_02_csms(tmp_path, capsys):
    """Local start, authorization Invalid/Unknown: an Authorize of a token the CSMS does not
    know is answered Invalid or Unknown."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await cp.boot()
            assert (await authorize(cp, "NOT-KNOWN"))["status"] in ("Invalid", "Unknown")


async def test_tc_c_06_csms(tmp_path, capsys):
    """Local start, authorization Blocked: an Authorize of a blocked token is answered
    Blocked (or Invalid)."""
    async with csms(tmp_path, capsys) as system:
        system.seed(tags=(("TAG-B", "Blocked", None),))
        async with system.station() as cp:
            await cp.boot()
            assert (await authorize(cp, "TAG-B"))["status"] in ("Blocked", "Invalid")


async def test_tc_c_07_csms(tmp_path, capsys):
    """Local start, authorization Expired: an Authorize of a token whose validity ran out
    is answered Expired (or Invalid)."""
    past = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    async with csms(tmp_path, capsys) as system:
        system.seed(tags=(("TAG-E", "Accepted", past),))
        async with system.station() as cp:
            await cp.boot()
            assert (await authorize(cp, "TAG-E"))["status"] in ("Expired", "Invalid")


async def test_tc_c_08_csms(tmp_path, capsys):
    """Authorization through the station's cache, Accepted: with the EV connected (the
    transaction begun at parking bay occupancy), the station names a cached token in an
    Authorized TransactionEvent without asking first; the CSMS checks the token and answers
    Accepted, and the transaction holds it."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await cp.boot()
            tx = Transaction2(cp)
            await tx.ev_connected_pre_session()
            answer = await tx.event("Updated", "Authorized", token("TAG-1"))
            assert answer.id_token_info["status"] == "Accepted"
        [stored] = system.rows(Transaction)
        assert (stored.id_tag, stored.charging_state) == ("TAG-1", "EVConnected")
        triggers = [e.trigger_reason for e in system.rows(TransactionEvent)]
        assert sorted(triggers) == ["Authorized", "CablePluggedIn", "EVDetected"]


async def test_tc_c_20_csms(tmp_path, capsys):
    """Authorization through the station's cache, Invalid: a token the station's cache holds
    but the CSMS does not know, named in an Authorized TransactionEvent, is answered
    Invalid or Unknown; the event is stored all the same."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station() as cp:
            await cp.boot()
            tx = Transaction2(cp)
            await tx.ev_connected_pre_session()
            answer = await tx.event("Updated", "Authorized", token("NOT-KNOWN"))
            assert answer.id_token_info["status"] in ("Invalid", "Unknown")
        authorized = TransactionEvent.trigger_reason == "Authorized"
        assert len(system.rows(TransactionEvent, authorized)) == 1


async def test_tc_c_37_csms(tmp_path, capsys):
    """Clear the authorization cache, Accepted: the operator has the CSMS send ClearCache,
    the station accepts, and the command's record keeps the answer."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"ClearCache": {"status": "Accepted"}}) as cp:
            await cp.boot()
            code, out, record = await operate(system, "clear-cache", "CP-1")
            assert await cp.request("ClearCache") == {}
            assert code == 0, out
            assert (record.status, record.response) == ("accepted", {"status": "Accepted"})


async def test_tc_c_38_csms(tmp_path, capsys):
    """Clear the authorization cache, Rejected: the station refuses ClearCache (its cache is
    off); the CSMS records the refusal and tells the operator."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(answers={"ClearCache": {"status": "Rejected"}}) as cp:
            await cp.boot()
            code, out, record = await operate(system, "clear-cache", "CP-1")
            assert await cp.request("ClearCache") == {}
            assert code == 1 and "rejected" in out
            assert (record.status, record.response) == ("rejected", {"status": "Rejected"})


async def test_tc_c_39_csms(tmp_path, capsys):
    """Authorization by GroupId: two tokens of one group; the CSMS answers each with the
    group's token, so the second token stops the transaction the first one authorized
    (Authorize and the StopAuthorized event Accepted); the transaction keeps who started
    and who stopped it."""
    async with csms(tmp_path, capsys) as system:
        system.seed(tags=())
        await grouped(system, "TAG-1", "TAG-2")
        async with system.station() as cp:
            await cp.boot()
            tx = Transaction2(cp)
            await tx.ev_connected_pre_session()
            first = await authorize(cp, "TAG-2")
            assert (first["status"], first["group_id_token"]) == ("Accepted", GROUP)
            started = await tx.event("Updated", "Authorized", token("TAG-1"))
            assert started.id_token_info == {"status": "Accepted", "group_id_token": GROUP}
            await tx.energy_transfer_started()
            again = await authorize(cp, "TAG-2")
            assert (again["status"], again["group_id_token"]) == ("Accepted", GROUP)
            stop = await tx.event("Updated", "StopAuthorized", token("TAG-2"))
            assert stop.id_token_info == {"status": "Accepted", "group_id_token": GROUP}
            await tx.ev_disconnected()
        [stored] = system.rows(Transaction)
        assert (stored.id_tag, stored.stop_id_tag) == ("TAG-1", "TAG-2")
        assert stored.stop_reason == "EVDisconnected" and stored.stop_time is not None


async def test_tc_c_40_csms(tmp_path, capsys):
    """Authorization by GroupId with the Local Authorization List: both tokens of the group
    are in the station's list (the CSMS sent it: `local-list sync`, each entry with the
    group's token), so the station asks nothing before it names them; the CSMS answers the
    Authorized and the StopAuthorized event Accepted with the group's token."""
    async with csms(tmp_path, capsys) as system:
        system.seed(tags=())
        await grouped(system, "TAG-1", "TAG-2")
        async with system.station(answers={"SendLocalList": {"status": "Accepted"}}) as cp:
            await cp.boot()
            code, out, err = await system.operator("local-list", "sync", "CP-1")
            assert code == 0, (out, err)
            listed = await cp.request("SendLocalList")
            assert listed["local_authorization_list"] == [
                {"id_token": token(tag), "id_token_info": {"status": "Accepted",
                                                           "group_id_token": GROUP}}
                for tag in ("TAG-1", "TAG-2")
            ]  # fmt: skip
            tx = Transaction2(cp)
            await tx.ev_connected_pre_session()
            started = await tx.event("Updated", "Authorized", token("TAG-1"))
            assert started.id_token_info == {"status": "Accepted", "group_id_token": GROUP}
            await tx.energy_transfer_started()
            stop = await tx.event("Updated", "StopAuthorized", token("TAG-2"))
            assert stop.id_token_info == {"status": "Accepted", "group_id_token": GROUP}
            await tx.ev_disconnected()
        [stored] = system.rows(Transaction)
        assert (stored.id_tag, stored.stop_id_tag) == ("TAG-1", "TAG-2")


async def test_tc_c_43_csms(tmp_path, capsys):
    """Authorization by GroupId, the station's list entry not valid: the station asks online
    for the second token of the group; the CSMS answers Accepted with the group's token, and
    that token's StopAuthorized event is Accepted likewise."""
    async with csms(tmp_path, capsys) as system:
        system.seed(tags=())
        await grouped(system, "TAG-1", "TAG-2")
        async with system.station() as cp:
            await cp.boot()
            tx = Transaction2(cp)
            await tx.ev_connected_pre_session()
            started = await tx.event("Updated", "Authorized", token("TAG-1"))
            assert started.id_token_info == {"status": "Accepted", "group_id_token": GROUP}
            await tx.energy_transfer_started()
            second = await authorize(cp, "TAG-2")
            assert (second["status"], second["group_id_token"]) == ("Accepted", GROUP)
            stop = await tx.event("Updated", "StopAuthorized", token("TAG-2"))
            assert stop.id_token_info == {"status": "Accepted", "group_id_token": GROUP}
            await tx.ev_disconnected()
        [stored] = system.rows(Transaction)
        assert (stored.id_tag, stored.stop_id_tag) == ("TAG-1", "TAG-2")


async def two_charging(system, cp) -> tuple[Transaction2, Transaction2]:
    """EnergyTransferStarted on EVSE 1 (TAG-1) and EVSE 2 (TAG-2)."""
    sessions = Transaction2(cp, "tx-1", evse_id=1), Transaction2(cp, "tx-2", evse_id=2)
    for tx, tag in zip(sessions, ("TAG-1", "TAG-2"), strict=True):
        authorize_answer, event_answer = await tx.authorized(token(tag))
        assert authorize_answer.id_token_info["status"] == "Accepted"
        assert event_answer.id_token_info["status"] == "Accepted"
        await tx.energy_transfer_started()
    return sessions


async def master_pass(system) -> None:
    system.seed(tags=(("TAG-1", "Accepted", None), ("TAG-2", "Accepted", None)))
    await grouped(system, "MASTER-1", parent="MASTERPASS")


async def test_tc_c_47_csms(tmp_path, capsys):
    """Master Pass, station with a UI, all transactions: the Master Pass token is authorized
    (Accepted, its group the Master Pass group) and the station ends both transactions with
    it (stoppedReason MasterPass); each Ended is answered and stored with the token that
    stopped it."""
    async with csms(tmp_path, capsys) as system:
        await master_pass(system)
        async with system.station() as cp:
            await cp.boot()
            sessions = await two_charging(system, cp)
            master = await authorize(cp, "MASTER-1")
            assert (master["status"], master["group_id_token"]) == ("Accepted", MASTER_GROUP)
            for tx in sessions:
                ended = await tx.event("Ended", "StopAuthorized", token("MASTER-1"),
                                       stopped_reason="MasterPass")  # fmt: skip
                assert ended.id_token_info["status"] == "Accepted"
        stored = system.rows(Transaction)
        assert {(t.evse_id, t.stop_reason, t.stop_id_tag) for t in stored} == {
            (1, "MasterPass", "MASTER-1"), (2, "MasterPass", "MASTER-1")
        }  # fmt: skip
        assert all(t.stop_time is not None for t in stored)


async def test_tc_c_48_csms(tmp_path, capsys):
    """Master Pass, station with a UI, one chosen transaction: the Master Pass token is
    Accepted with the Master Pass group; the user ends one of the two transactions with it,
    the Ended is answered Accepted with that group, and only that transaction ends."""
    async with csms(tmp_path, capsys) as system:
        await master_pass(system)
        async with system.station() as cp:
            await cp.boot()
            first, _ = await two_charging(system, cp)
            master = await authorize(cp, "MASTER-1")
            assert (master["status"], master["group_id_token"]) == ("Accepted", MASTER_GROUP)
            ended = await first.event("Ended", "StopAuthorized", token("MASTER-1"),
                                      stopped_reason="MasterPass")  # fmt: skip
            assert ended.id_token_info == {"status": "Accepted", "group_id_token": MASTER_GROUP}
        stored = {t.evse_id: t for t in system.rows(Transaction)}
        assert (stored[1].stop_reason, stored[1].stop_id_tag) == ("MasterPass", "MASTER-1")
        assert stored[1].stop_time is not None and stored[2].stop_time is None


async def test_tc_c_49_csms(tmp_path, capsys):
    """Master Pass, station without a UI: the Master Pass token is authorized and the
    station ends every transaction, each Ended naming the token that started it
    (stoppedReason MasterPass); each is answered and stored as ended for that reason."""
    async with csms(tmp_path, capsys) as system:
        await master_pass(system)
        async with system.station() as cp:
            await cp.boot()
            sessions = await two_charging(system, cp)
            master = await authorize(cp, "MASTER-1")
            assert (master["status"], master["group_id_token"]) == ("Accepted", MASTER_GROUP)
            for tx, tag in zip(sessions, ("TAG-1", "TAG-2"), strict=True):
                ended = await tx.event("Ended", "StopAuthorized", token(tag),
                                       stopped_reason="MasterPass")  # fmt: skip
                assert ended.id_token_info["status"] == "Accepted"
        stored = system.rows(Transaction)
        assert {(t.id_tag, t.stop_reason) for t in stored} == {
            ("TAG-1", "MasterPass"), ("TAG-2", "MasterPass")
        }  # fmt: skip
        assert all(t.stop_time is not None and t.stop_id_tag is None for t in stored)
