"""OCA OCPP 1.6 Central System cases, the Core profile: charging sessions, remote control,
reset, unlocking, configuration, authorization, offline transactions and DataTransfer.

(The cold boot and the boots answered Pending or Rejected are in test_ocpp16_core.py.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ocpp.v16 import call

from ocpp_cable.channels.storage.models import (
    ChargePoint,
    Command,
    Connector,
    StationConfiguration,
    Transaction,
)
from tests.support.conformance import csms
from tests.support.conformance_16 import (
    authorized,
    booted,
    charging,
    operate,
    stamp,
    start,
    status,
    stop,
)

PAST = datetime(2026, 1, 1, tzinfo=UTC)  # an expiry long gone


def connector(system, connector_id: int = 1) -> Connector:
    [found] = system.rows(Connector, Connector.connector_id == connector_id)
    return found


def transaction(system, transaction_id: int) -> Transaction:
    [found] = system.rows(Transaction, Transaction.id == transaction_id)
    return found


def recorded(system, action: str) -> Command:
    """The one command of `action` the central system recorded."""
    [found] = system.rows(Command, Command.action == action)
    return found


# --- charging sessions started at the charge point ------------------------------------


async def test_tc_003_csms(tmp_path, capsys):
    """Plug in first: Preparing, then the driver's idTag is authorized (Accepted), the
    transaction starts (Accepted) and the connector reports Charging; the transaction is
    stored with its idTag, connector and meterStart, the connector as Charging."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(version="1.6") as cp:
            await booted(cp)
            await status(cp, "Preparing")
            await authorized(cp)
            started = await start(cp, meter_start=1200)
            assert started.id_tag_info["status"] == "Accepted"
            await status(cp, "Charging")
        tx = transaction(system, started.transaction_id)
        assert (tx.station_id, tx.connector_id, tx.id_tag, tx.meter_start) == (
            "CP-1", 1, "TAG-1", 1200,
        )  # fmt: skip
        assert tx.stop_time is None
        assert connector(system).status == "Charging"


async def test_tc_004_1_csms(tmp_path, capsys):
    """Identification first: Authorize (Accepted), then Preparing, StartTransaction
    (Accepted) and Charging; the transaction is stored, open."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(version="1.6") as cp:
            await booted(cp)
            await authorized(cp)
            transaction_id = await charging(cp)
        tx = transaction(system, transaction_id)
        assert (tx.id_tag, tx.connector_id, tx.stop_time) == ("TAG-1", 1, None)
        assert connector(system).status == "Charging"


async def test_tc_004_2_csms(tmp_path, capsys):
    """Identification first, no cable within ConnectionTimeOut: after Authorize (Accepted)
    the connector reports Preparing, then Available again; both are acknowledged, the
    connector is stored Available and no transaction exists."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(version="1.6") as cp:
            await booted(cp)
            await authorized(cp)
            await status(cp, "Preparing")
            assert connector(system).status == "Preparing"
            await status(cp, "Available")
        assert connector(system).status == "Available"
        assert system.rows(Transaction) == []


async def test_tc_005_1_csms(tmp_path, capsys):
    """The cable pulled on the EV side while charging (StopTransactionOnEVSideDisconnect,
    UnlockConnectorOnEVSideDisconnect true): SuspendedEV, StopTransaction with reason
    EVDisconnected, Finishing, then Available once unplugged. The transaction is stored
    closed with that reason, its meterStop and energy."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(version="1.6") as cp:
            await booted(cp)
            await authorized(cp)
            transaction_id = await charging(cp, meter_start=1000)
            await status(cp, "SuspendedEV")
            stopped = await stop(cp, transaction_id, "EVDisconnected", meter_stop=4500)
            assert stopped is not None
            await status(cp, "Finishing")
            await status(cp, "Available")
        tx = transaction(system, transaction_id)
        assert (tx.stop_reason, tx.meter_stop, tx.energy_wh) == ("EVDisconnected", 4500, 3500)
        assert tx.stop_time is not None
        assert connector(system).status == "Available"


async def test_tc_007_csms(tmp_path, capsys):
    """The idTag is in the charge point's authorization cache, so no Authorize: Preparing,
    StartTransaction answered Accepted, Charging; the transaction is stored."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(version="1.6") as cp:
            await booted(cp)
            transaction_id = await charging(cp)
        assert transaction(system, transaction_id).id_tag == "TAG-1"


# --- remote start and stop ----------------------------------------------------------------


async def test_tc_010_csms(tmp_path, capsys):
    """Cable plugged in first (Preparing), then the operator starts the session remotely:
    RemoteStartTransaction with the idTag (Accepted); the charge point's Authorize and
    StartTransaction for that idTag are Accepted and it charges."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"RemoteStartTransaction": {"status": "Accepted"}}
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            await status(cp, "Preparing")
            state, answer = await operate(
                system, "remote-start", "CP-1", "TAG-1", "--connector", "1"
            )
            assert (state, answer) == ("accepted", {"status": "Accepted"})
            sent = await cp.request("RemoteStartTransaction")
            assert (sent["id_tag"], sent["connector_id"]) == ("TAG-1", 1)
            await authorized(cp, sent["id_tag"])
            started = await start(cp, sent["id_tag"])
            assert started.id_tag_info["status"] == "Accepted"
            await status(cp, "Charging")
        assert transaction(system, started.transaction_id).id_tag == "TAG-1"
        assert recorded(system, "RemoteStartTransaction").status == "accepted"


async def test_tc_011_1_csms(tmp_path, capsys):
    """Remote start first: RemoteStartTransaction (Accepted), Authorize of its idTag
    (Accepted), Preparing, then once the cable is in StartTransaction (Accepted) and
    Charging."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"RemoteStartTransaction": {"status": "Accepted"}}
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            state, _ = await operate(system, "remote-start", "CP-1", "TAG-1")
            assert state == "accepted"
            id_tag = (await cp.request("RemoteStartTransaction"))["id_tag"]
            assert id_tag == "TAG-1"
            await authorized(cp, id_tag)
            transaction_id = await charging(cp, id_tag)
        tx = transaction(system, transaction_id)
        assert (tx.id_tag, tx.stop_time) == ("TAG-1", None)


async def test_tc_011_2_csms(tmp_path, capsys):
    """Remote start, and no cable within ConnectionTimeOut: RemoteStartTransaction
    (Accepted), Authorize (Accepted), Preparing, then Available: acknowledged, stored,
    and no transaction."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"RemoteStartTransaction": {"status": "Accepted"}}
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            state, _ = await operate(system, "remote-start", "CP-1", "TAG-1")
            assert state == "accepted"
            await authorized(cp, (await cp.request("RemoteStartTransaction"))["id_tag"])
            await status(cp, "Preparing")
            await status(cp, "Available")
        assert connector(system).status == "Available"
        assert system.rows(Transaction) == []


async def test_tc_012_csms(tmp_path, capsys):
    """Remote stop of a running transaction: RemoteStopTransaction names its
    transactionId (Accepted); the StopTransaction (reason Remote) is acknowledged and
    closes it; Finishing and Available follow."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"RemoteStopTransaction": {"status": "Accepted"}}
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            await authorized(cp)
            transaction_id = await charging(cp)
            state, _ = await operate(system, "remote-stop", "CP-1", str(transaction_id))
            assert state == "accepted"
            assert await cp.request("RemoteStopTransaction") == {"transaction_id": transaction_id}
            assert await stop(cp, transaction_id, "Remote") is not None
            await status(cp, "Finishing")
            await status(cp, "Available")
        tx = transaction(system, transaction_id)
        assert (tx.stop_reason, tx.meter_stop) == ("Remote", 5000)
        assert connector(system).status == "Available"


async def test_tc_026_csms(tmp_path, capsys):
    """RemoteStartTransaction answered Rejected: the command is recorded as rejected with
    the station's answer, and no transaction comes of it."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"RemoteStartTransaction": {"status": "Rejected"}}
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            state, answer = await operate(system, "remote-start", "CP-1", "TAG-1")
            assert (state, answer) == ("rejected", {"status": "Rejected"})
        assert recorded(system, "RemoteStartTransaction").response == {"status": "Rejected"}
        assert system.rows(Transaction) == []


async def test_tc_028_csms(tmp_path, capsys):
    """RemoteStopTransaction for a transactionId the charge point does not know, while
    charging: it answers Rejected, the command is recorded rejected, and the running
    transaction stays open."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"RemoteStopTransaction": {"status": "Rejected"}}
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            await authorized(cp)
            transaction_id = await charging(cp)
            unknown = transaction_id + 1000
            state, answer = await operate(system, "remote-stop", "CP-1", str(unknown))
            assert (state, answer) == ("rejected", {"status": "Rejected"})
            assert await cp.request("RemoteStopTransaction") == {"transaction_id": unknown}
        assert transaction(system, transaction_id).stop_time is None


# --- reset ------------------------------------------------------------------------------


async def reset(tmp_path, capsys, kind: str) -> None:
    """Reset of `kind` (Accepted), then the charge point reboots: it connects again, boots
    (Accepted) and reports Available for connector 0 and 1; the new boot is stored."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(version="1.6", answers={"Reset": {"status": "Accepted"}}) as cp:
            await booted(cp)
            [first] = system.rows(ChargePoint)
            state, _ = await operate(
                system, "reset", "CP-1", *(["--immediate"] if kind == "Hard" else [])
            )
            assert state == "accepted"
            assert await cp.request("Reset") == {"type": kind}
        async with system.station(version="1.6") as cp:  # rebooted
            await booted(cp)
        [after] = system.rows(ChargePoint)
        assert after.booted_at > first.booted_at and after.boot_status == "Accepted"
        assert {c.connector_id: c.status for c in system.rows(Connector)} == {
            0: "Available", 1: "Available",
        }  # fmt: skip


async def test_tc_013_csms(tmp_path, capsys):
    """Hard reset: Reset type Hard (Accepted), then the reboot's BootNotification
    (Accepted) and StatusNotifications (Available) are handled."""
    await reset(tmp_path, capsys, "Hard")


async def test_tc_014_csms(tmp_path, capsys):
    """Soft reset: Reset type Soft (Accepted), then the reboot's BootNotification
    (Accepted) and StatusNotifications (Available) are handled."""
    await reset(tmp_path, capsys, "Soft")


# --- unlock connector -------------------------------------------------------------------


async def unlock(system, answer: str, connector_id: int = 1) -> str:
    """UnlockConnector for `connector_id`, answered `answer`: the command's state."""
    async with system.station(version="1.6", answers={"UnlockConnector": {"status": answer}}) as cp:
        await booted(cp)
        state, said = await operate(system, "unlock", "CP-1", "--connector", str(connector_id))
        assert said == {"status": answer}
        assert await cp.request("UnlockConnector") == {"connector_id": connector_id}
    assert recorded(system, "UnlockConnector").response == {"status": answer}
    return state


async def test_tc_017_1_csms(tmp_path, capsys):
    """UnlockConnector for an idle socket connector: answered Unlocked, recorded accepted."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        assert await unlock(system, "Unlocked") == "accepted"


async def test_tc_017_2_csms(tmp_path, capsys):
    """UnlockConnector to a charge point with a fixed cable: answered NotSupported,
    recorded as refused."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        assert await unlock(system, "NotSupported") == "rejected"


async def test_tc_030_csms(tmp_path, capsys):
    """UnlockConnector answered UnlockFailed: recorded as a refusal, not as done."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        assert await unlock(system, "UnlockFailed") == "rejected"


async def test_tc_031_csms(tmp_path, capsys):
    """UnlockConnector for a connector id the charge point does not have: answered
    NotSupported, recorded as refused."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        assert await unlock(system, "NotSupported", connector_id=9) == "rejected"


async def test_tc_018_1_csms(tmp_path, capsys):
    """UnlockConnector during a transaction (socket connector): Unlocked; the charge point
    stops the transaction: Finishing, StopTransaction with reason UnlockCommand
    (acknowledged, stored), then Available once the cable is out."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"UnlockConnector": {"status": "Unlocked"}}
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            await authorized(cp)
            transaction_id = await charging(cp)
            state, _ = await operate(system, "unlock", "CP-1", "--connector", "1")
            assert state == "accepted"
            await status(cp, "Finishing")
            assert await stop(cp, transaction_id, "UnlockCommand") is not None
            await status(cp, "Available")
        tx = transaction(system, transaction_id)
        assert tx.stop_reason == "UnlockCommand" and tx.stop_time is not None
        assert connector(system).status == "Available"


# --- configuration --------------------------------------------------------------------------

# What a charge point reports of itself (a few keys of each profile it supports).
KEYS = [
    {"key": "SupportedFeatureProfiles", "readonly": True,
     "value": "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,"
              "RemoteTrigger"},
    {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
    {"key": "MeterValueSampleInterval", "readonly": False, "value": "30"},
    {"key": "LocalAuthListEnabled", "readonly": False, "value": "true"},
    {"key": "ChargeProfileMaxStackLevel", "readonly": True, "value": "8"},
]  # fmt: skip


def configuration(system) -> dict[str, tuple[str | None, bool | None]]:
    return {row.key: (row.value, row.readonly) for row in system.rows(StationConfiguration)}


def get_configuration(request):
    wanted = request.get("key") or [k["key"] for k in KEYS]
    known = [k for k in KEYS if k["key"] in wanted]
    unknown = [name for name in wanted if name not in {k["key"] for k in KEYS}]
    return {"configuration_key": known, "unknown_key": unknown}


async def test_tc_019_1_csms(tmp_path, capsys):
    """GetConfiguration with no key list: the charge point reports all its keys; the
    answer is stored whole, each key with its value and readonly flag."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"GetConfiguration": get_configuration}
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            state, _ = await operate(system, "configuration", "get", "CP-1")
            assert state == "accepted"
            assert not (await cp.request("GetConfiguration")).get("key")
        assert configuration(system) == {k["key"]: (k["value"], k["readonly"]) for k in KEYS}


async def test_tc_019_2_csms(tmp_path, capsys):
    """GetConfiguration for SupportedFeatureProfiles alone: the answer has that key and
    no unknown key; it is stored."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"GetConfiguration": get_configuration}
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            state, answer = await operate(
                system, "configuration", "get", "CP-1", "SupportedFeatureProfiles"
            )
            assert state == "accepted" and answer.get("unknownKey", []) == []
            assert (await cp.request("GetConfiguration"))["key"] == ["SupportedFeatureProfiles"]
        assert configuration(system) == {"SupportedFeatureProfiles": (KEYS[0]["value"], True)}


async def change(system, key: str, value: str, answer: str) -> str:
    """ChangeConfiguration of `key` to `value`, after the charge point reported its keys,
    answered `answer`: the command's state."""
    answers = {"GetConfiguration": get_configuration,
               "ChangeConfiguration": {"status": answer}}  # fmt: skip
    async with system.station(version="1.6", answers=answers) as cp:
        await booted(cp)
        assert (await operate(system, "configuration", "get", "CP-1"))[0] == "accepted"
        state, said = await operate(system, "configuration", "set", "CP-1", f"{key}={value}")
        assert said == {"status": answer}
        assert await cp.request("ChangeConfiguration") == {"key": key, "value": value}
    return state


async def test_tc_021_csms(tmp_path, capsys):
    """ChangeConfiguration MeterValueSampleInterval = 60, Accepted: the key's value is
    stored as 60."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        assert await change(system, "MeterValueSampleInterval", "60", "Accepted") == "accepted"
        assert configuration(system)["MeterValueSampleInterval"] == ("60", False)


async def test_tc_040_1_csms(tmp_path, capsys):
    """ChangeConfiguration of a key the charge point does not have: NotSupported, recorded
    as refused, and no such key is stored."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        assert await change(system, "NoSuchKey", "1", "NotSupported") == "rejected"
        assert "NoSuchKey" not in configuration(system)


async def test_tc_040_2_csms(tmp_path, capsys):
    """ChangeConfiguration MeterValueSampleInterval to an invalid value: Rejected, recorded
    as refused, and the stored value stays what the charge point reported."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        assert await change(system, "MeterValueSampleInterval", "-5", "Rejected") == "rejected"
        assert configuration(system)["MeterValueSampleInterval"] == ("30", False)


async def test_tc_061_csms(tmp_path, capsys):
    """ClearCache, answered Accepted: recorded accepted with the answer."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(
            version="1.6", answers={"ClearCache": {"status": "Accepted"}}
        ) as cp:
            await booted(cp)
            said = await operate(system, "clear-cache", "CP-1")
            assert said == ("accepted", {"status": "Accepted"})
            assert await cp.request("ClearCache") == {}
        assert recorded(system, "ClearCache").response == {"status": "Accepted"}


# --- authorization --------------------------------------------------------------------------


async def authorize(system, id_tag: str) -> str:
    async with system.station(version="1.6") as cp:
        await booted(cp)
        answer = await cp.call(call.Authorize(id_tag=id_tag))
    return answer.id_tag_info["status"]


async def test_tc_023_1_csms(tmp_path, capsys):
    """Authorize of an idTag the central system does not know: Invalid."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        assert await authorize(system, "UNKNOWN-TAG") == "Invalid"


async def test_tc_023_2_csms(tmp_path, capsys):
    """Authorize of an idTag whose expiry has passed: Expired."""
    async with csms(tmp_path, capsys) as system:
        system.seed(tags=(("TAG-OLD", "Accepted", PAST),))
        assert await authorize(system, "TAG-OLD") == "Expired"


async def test_tc_023_3_csms(tmp_path, capsys):
    """Authorize of a blocked idTag: Blocked."""
    async with csms(tmp_path, capsys) as system:
        system.seed(tags=(("TAG-BLOCKED", "Blocked", None),))
        assert await authorize(system, "TAG-BLOCKED") == "Blocked"


async def test_tc_024_csms(tmp_path, capsys):
    """The connector fails to lock the cable after authorization: Preparing, then Faulted
    with errorCode ConnectorLockFailure, acknowledged and stored with its error code."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(version="1.6") as cp:
            await booted(cp)
            await authorized(cp)
            await status(cp, "Preparing")
            await status(cp, "Faulted", error_code="ConnectorLockFailure")
        stored = connector(system)
        assert (stored.status, stored.error_code) == ("Faulted", "ConnectorLockFailure")


# --- power loss and offline transactions --------------------------------------------------


async def test_tc_032_1_csms(tmp_path, capsys):
    """Power failure during a transaction, the charge point set to stop it: after the
    reboot its BootNotification is Accepted, the transaction's connector reports
    Finishing and the others Available, and the StopTransaction (reason PowerLoss) closes
    the transaction."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(version="1.6") as cp:
            await booted(cp, connectors=2)
            await authorized(cp)
            transaction_id = await charging(cp)
        async with system.station(version="1.6") as cp:  # power back
            answer = await cp.call(
                call.BootNotification(charge_point_model="Virtual", charge_point_vendor="OCTT")
            )
            assert answer.status == "Accepted"
            await status(cp, "Finishing", 1)
            await status(cp, "Available", 0)
            await status(cp, "Available", 2)
            assert await stop(cp, transaction_id, "PowerLoss") is not None
        tx = transaction(system, transaction_id)
        assert tx.stop_reason == "PowerLoss" and tx.stop_time is not None
        assert {c.connector_id: c.status for c in system.rows(Connector)} == {
            0: "Available", 1: "Finishing", 2: "Available",
        }  # fmt: skip


async def test_tc_037_1_csms(tmp_path, capsys):
    """A transaction started offline with a valid idTag: once connected again, its
    StartTransaction (an hour old) is Accepted and stored at the station's time; the
    connector reports Charging."""
    offline = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(version="1.6") as cp:
            await booted(cp)
            started = await start(cp, at=stamp(offline))
            assert started.id_tag_info["status"] == "Accepted"
            await status(cp, "Charging")
        assert transaction(system, started.transaction_id).start_time == offline


async def test_tc_037_3_csms(tmp_path, capsys):
    """A transaction started offline with an invalid idTag (StopTransactionOnInvalidId):
    its StartTransaction gets Invalid (and a transactionId: the transaction is recorded),
    the charge point stops it with reason DeAuthorized, acknowledged and stored."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(version="1.6") as cp:
            await booted(cp)
            offline = stamp(datetime.now(UTC) - timedelta(hours=1))
            started = await start(cp, "UNKNOWN-TAG", at=offline)
            assert started.id_tag_info["status"] == "Invalid"
            await status(cp, "Charging")
            assert await stop(cp, started.transaction_id, "DeAuthorized") is not None
            await status(cp, "Finishing")
        tx = transaction(system, started.transaction_id)
        assert (tx.id_tag, tx.stop_reason) == ("UNKNOWN-TAG", "DeAuthorized")


async def test_tc_039_csms(tmp_path, capsys):
    """A transaction that began and ended offline: the queued StartTransaction (Accepted)
    and StopTransaction (reason Local) are acknowledged and stored at their own times."""
    began = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    ended = began + timedelta(minutes=40)
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(version="1.6") as cp:
            await booted(cp)
            started = await start(cp, at=stamp(began), meter_start=100)
            assert started.id_tag_info["status"] == "Accepted"
            stopped = await cp.call(
                call.StopTransaction(
                    transaction_id=started.transaction_id, meter_stop=7100,
                    timestamp=stamp(ended), reason="Local", id_tag="TAG-1",
                )
            )  # fmt: skip
            assert stopped.id_tag_info["status"] == "Accepted"
        tx = transaction(system, started.transaction_id)
        assert (tx.start_time, tx.stop_time, tx.stop_reason, tx.energy_wh) == (
            began, ended, "Local", 7000,
        )  # fmt: skip


# --- data transfer ------------------------------------------------------------------------


async def test_tc_064_csms(tmp_path, capsys):
    """A DataTransfer from a vendor the central system has no handler for: answered
    UnknownVendorId (not accepted, and not a CALLERROR)."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(version="1.6") as cp:
            await booted(cp)
            answer = await cp.call(
                call.DataTransfer(vendor_id="com.unsupported", message_id="x", data="y")
            )
        assert answer.status == "UnknownVendorId"
