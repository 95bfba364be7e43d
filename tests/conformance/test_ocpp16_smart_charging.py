"""OCA OCPP 1.6 Central System cases, the Smart Charging profile: charging profiles set,
sent with a remote start, cleared, and the composite schedule asked for. The Central System
composes each request itself from what the operator asks (`ocpp-cable charging-profiles
set|clear`, `ocpp-cable composite-schedule`): the profile in 1.6's words, a TxProfile's
transactionId (the transaction open on the connector); the remote start goes with `ocpp-cable
send`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from ocpp_cable.channels.storage.models import ChargingProfile, Command, CompositeSchedule
from tests.support.conformance import csms
from tests.support.conformance_16 import authorized, booted, charging, operate, stamp
from tests.support.conformance_flows import snake
from tests.support.servers import eventually

ACCEPTED = {"status": "Accepted"}
# An absolute 6 A schedule an hour long from now, valid for a day from now.
FOR_A_DAY = ["--limit", "6", "--duration", "3600", "--valid-from", "now", "--valid-to", "1d"]


def profile(profile_id: int, purpose: str, stack_level: int = 1, **more) -> dict:
    """A csChargingProfiles: an absolute 6 A schedule, valid for a day from now."""
    begin = datetime.now(UTC).replace(microsecond=0)
    return {
        "chargingProfileId": profile_id,
        "stackLevel": stack_level,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Absolute",
        "validFrom": stamp(begin),
        "validTo": stamp(begin + timedelta(days=1)),
        "chargingSchedule": {
            "startSchedule": stamp(begin),
            "duration": 3600,
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 6.0}],
        },
        **more,
    }


def sent(system, action: str) -> list[dict]:
    """What the Central System sent of `action`, as its records keep it, in order."""
    found = sorted(system.rows(Command, Command.action == action), key=lambda c: c.created_at)
    return [c.payload for c in found]


def installed(system) -> dict[int, ChargingProfile]:
    return {
        row.charging_profile_id: row
        for row in system.rows(ChargingProfile, ChargingProfile.status == "installed")
    }


async def test_tc_056_csms(tmp_path, capsys):
    """SetChargingProfile with an absolute TxDefaultProfile for connector 1 (validFrom,
    validTo, startSchedule, rate unit, duration; no transactionId, no recurrencyKind),
    Accepted: installed for that connector, the whole profile kept as sent."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"SetChargingProfile": ACCEPTED}
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            asked = ["--connector", "1", "--purpose", "tx-default", "--stack-level", "1",
                     "--id", "1", *FOR_A_DAY]  # fmt: skip
            state, _ = await operate(system, "charging-profiles", "set", "CP-1", *asked)
            assert state == "accepted"
            request = await cp.request("SetChargingProfile")
            got = request["cs_charging_profiles"]
            assert got["charging_profile_purpose"] == "TxDefaultProfile"
            assert "transaction_id" not in got and "recurrency_kind" not in got
            assert got["charging_schedule"]["start_schedule"] and got["valid_to"]
            assert got["valid_from"] and got["charging_schedule"]["duration"] == 3600
            assert got["charging_schedule"]["charging_rate_unit"] == "A"
        [payload] = sent(system, "SetChargingProfile")
        assert snake(payload) == request
        row = installed(system)[1]
        assert (row.connector_id, row.purpose, row.kind, row.stack_level) == (
            1, "TxDefaultProfile", "Absolute", 1,
        )  # fmt: skip
        assert row.profile == payload["csChargingProfiles"] and row.valid_to is not None


async def test_tc_057_csms(tmp_path, capsys):
    """During a transaction, SetChargingProfile with a relative TxProfile naming its
    transactionId (the Central System finds it open on the connector; no startSchedule),
    Accepted: installed, bound to that transaction."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"SetChargingProfile": ACCEPTED}
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            await authorized(cp)
            transaction_id = await charging(cp)
            asked = ["--connector", "1", "--purpose", "tx", "--kind", "Relative",
                     "--limit", "6000", "--unit", "W"]  # fmt: skip
            state, _ = await operate(system, "charging-profiles", "set", "CP-1", *asked)
            assert state == "accepted"
            got = (await cp.request("SetChargingProfile"))["cs_charging_profiles"]
            assert got["transaction_id"] == transaction_id
            assert (got["stack_level"], got["charging_profile_kind"]) == (0, "Relative")
            assert got["charging_schedule"]["charging_rate_unit"] == "W"
            assert got["charging_schedule"]["charging_schedule_period"] == [
                {"start_period": 0, "limit": 6000}
            ]
            assert "start_schedule" not in got["charging_schedule"]
        row = installed(system)[got["charging_profile_id"]]
        assert (row.purpose, row.kind, row.transaction_id) == (
            "TxProfile",
            "Relative",
            transaction_id,
        )


async def test_tc_059_csms(tmp_path, capsys):
    """RemoteStartTransaction with a TxProfile (no transactionId, first period at 0),
    Accepted; Authorize, Preparing, StartTransaction (Accepted), Charging: the profile
    is installed as the started transaction's."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"RemoteStartTransaction": ACCEPTED}
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            sent = profile(3, "TxProfile", stack_level=0)
            profile_file = tmp_path / "tx-profile.json"
            profile_file.write_text(json.dumps(sent))
            state, _ = await operate(
                system, "remote-start", "CP-1", "TAG-1", "--connector", "1",
                "--charging-profile", str(profile_file),
            )  # fmt: skip
            assert state == "accepted"
            got = await cp.request("RemoteStartTransaction")
            assert got["charging_profile"]["charging_profile_purpose"] == "TxProfile"
            assert "transaction_id" not in got["charging_profile"]
            first = got["charging_profile"]["charging_schedule"]["charging_schedule_period"][0]
            assert first["start_period"] == 0
            await authorized(cp, got["id_tag"])
            transaction_id = await charging(cp, got["id_tag"], connector_id=got["connector_id"])
        row = await eventually(lambda: installed(system).get(3))
        assert (row.purpose, row.connector_id, row.transaction_id) == (
            "TxProfile",
            1,
            transaction_id,
        )


async def test_tc_066_csms(tmp_path, capsys):
    """GetCompositeSchedule for connector 1 over an hour in A: the charge point's
    schedule is stored with what was asked."""
    schedule = {
        "status": "Accepted", "connector_id": 1, "schedule_start": stamp(),
        "charging_schedule": {"duration": 3600, "charging_rate_unit": "A",
                              "charging_schedule_period": [{"start_period": 0, "limit": 16.0}]},
    }  # fmt: skip
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station(version="1.6", answers={"GetCompositeSchedule": schedule}) as cp:
            await booted(cp)
            asked = ["--connector", "1", "--duration", "3600", "--unit", "A"]
            state, answer = await operate(system, "composite-schedule", "CP-1", *asked)
            assert state == "accepted" and answer["chargingSchedule"]["duration"] == 3600
            assert await cp.request("GetCompositeSchedule") == {
                "connector_id": 1, "duration": 3600, "charging_rate_unit": "A",
            }  # fmt: skip
        [stored] = system.rows(CompositeSchedule)
        assert (stored.connector_id, stored.duration, stored.charging_rate_unit, stored.status) == (
            1, 3600, "A", "Accepted",
        )  # fmt: skip
        assert stored.response["chargingSchedule"]["chargingSchedulePeriod"] == [
            {"startPeriod": 0, "limit": 16.0}
        ]


async def test_tc_067_csms(tmp_path, capsys):
    """During a transaction three profiles are set (a ChargePointMaxProfile on connector 0,
    a TxDefaultProfile and a TxProfile on connector 1), then cleared: the first by its id,
    the second by connector, purpose and stackLevel, the last with no criteria. Each
    ClearChargingProfile is Accepted and clears exactly what it names."""
    async with csms(tmp_path, capsys) as system:
        system.seed()
        answers = {"SetChargingProfile": ACCEPTED, "ClearChargingProfile": ACCEPTED}
        async with system.station(version="1.6", answers=answers) as cp:
            await booted(cp)
            await authorized(cp)
            transaction_id = await charging(cp)
            for asked in (
                ["--connector", "0", "--purpose", "max", "--id", "11", "--stack-level", "1"],
                ["--connector", "1", "--purpose", "tx-default", "--id", "12", "--stack-level", "2"],
                ["--connector", "1", "--purpose", "tx", "--id", "13", "--stack-level", "1"],
            ):
                set_ = ("charging-profiles", "set", "CP-1", *asked, *FOR_A_DAY)
                assert (await operate(system, *set_))[0] == "accepted"
            assert set(installed(system)) == {11, 12, 13}
            assert installed(system)[13].transaction_id == transaction_id
            assert [p["connectorId"] for p in sent(system, "SetChargingProfile")] == [0, 1, 1]
            clear = ("charging-profiles", "clear", "CP-1")
            assert await operate(system, *clear, "--id", "11") == ("accepted", ACCEPTED)
            assert set(installed(system)) == {12, 13}
            criteria = ["--connector", "1", "--purpose", "tx-default", "--stack-level", "2"]
            assert (await operate(system, *clear, *criteria))[0] == "accepted"
            assert set(installed(system)) == {13}
            assert (await operate(system, *clear))[0] == "accepted"
            assert installed(system) == {}
            assert await cp.request("ClearChargingProfile", nth=1) == {"id": 11}
            assert await cp.request("ClearChargingProfile", nth=2) == {
                "connector_id": 1, "charging_profile_purpose": "TxDefaultProfile", "stack_level": 2,
            }  # fmt: skip
            assert await cp.request("ClearChargingProfile", nth=3) == {}
        cleared = system.rows(ChargingProfile, ChargingProfile.status == "cleared")
        assert sorted(row.charging_profile_id for row in cleared) == [11, 12, 13]
