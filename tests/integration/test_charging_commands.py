"""Smart charging composed by the central system (`ocpp-cable charging-profiles`,
`composite-schedule` and their HTTP API routes), over real sockets: a 1.6 and a 2.0.1
station get profiles in their own version's words, refusals send nothing, and what a 2.x
station accepts, reports and answers is kept and shown as a 1.6 station's is."""

from __future__ import annotations

import json

from ocpp.v201 import call

from ocpp_cable.channels.operators.admin.charging_commands import NAMES
from ocpp_cable.channels.storage.models import ChargingProfile, Command
from ocpp_cable.cli import CHARGING_COMMANDS
from tests.support.admin import run_admin_line
from tests.support.conformance import csms
from tests.support.conformance_flows import Transaction2, now, snake, token

ACCEPTED = {"status": "Accepted"}
PROFILES = "/api/v1/stations/{}/charging-profiles"


def test_every_charging_command_is_run_by_the_cli():
    assert set(NAMES) == CHARGING_COMMANDS


def composite_2(evse_id, duration, **_):
    """A 2.x station's composite schedule: 16 A, then 8 A on one phase after 300 s."""
    return {"status": "Accepted", "schedule": {
        "evse_id": evse_id, "duration": duration, "schedule_start": "2026-12-01T10:00:00Z",
        "charging_rate_unit": "A", "charging_schedule_period": [
            {"start_period": 0, "limit": 16.0}, {"start_period": 300, "limit": 8.0,
                                                 "number_phases": 1}]}}  # fmt: skip


async def test_the_api_composes_profiles_in_the_stations_version(tmp_path, capsys):
    answers16 = {"SetChargingProfile": ACCEPTED}
    answers2 = {"SetChargingProfile": ACCEPTED, "ClearChargingProfile": ACCEPTED,
                "GetChargingProfiles": ACCEPTED,
                "GetCompositeSchedule": lambda asked: composite_2(**asked)}  # fmt: skip
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed("CP-1")
        system.seed("CP-2", tags=())
        system.seed("CP-OFF", tags=())
        async with (
            system.station("CP-1", "1.6", answers16) as cp16,
            system.station("CP-2", "2.0.1", answers2) as cp2,
        ):
            await cp2.boot()

            async def post(station_id, path, body):
                return await system.http("POST", f"{PROFILES.format(station_id)}{path}?wait=5",
                                         json=body)  # fmt: skip

            maximum = await post("CP-1", "", {
                "purpose": "max", "valid_to": "2026-12-02T10:00:00",
                "periods": [{"start": 0, "limit": 32}, {"start": 600, "limit": 16, "phases": 1}],
            })  # fmt: skip
            default = await post("CP-2", "", {"evse": 1, "purpose": "tx-default", "limit": 16,
                                              "stack_level": 1})  # fmt: skip
            periods = [{"startPeriod": 0, "limit": 22000}]
            written = {"stackLevel": 0, "chargingProfilePurpose": "ChargingStationMaxProfile",
                       "chargingProfileKind": "Absolute", "chargingSchedule": [
                           {"id": 1, "startSchedule": now(), "chargingRateUnit": "W",
                            "chargingSchedulePeriod": periods}]}  # fmt: skip
            whole = await post("CP-2", "", {"profile": written})
            # What the spec or the version does not allow: refused, nothing recorded or sent.
            refused = [
                (await post("CP-2", "", {"evse": 1, "purpose": "max", "limit": 8}),
                 "goes on evseId 0"),
                (await post("CP-2", "", {"evse": 1, "purpose": "tx", "limit": 8}),
                 "none is open on EVSE 1"),
                (await post("CP-1", "", {"evse": 1, "purpose": "tx-default", "limit": 8}),
                 "use --connector"),
                (await post("CP-2", "", {"purpose": "max"}), "give one limit"),
                (await post("CP-2", "", {"profile": written, "limit": 3}),
                 "no `limit` too"),
                (await post("CP-1", "/report", {}), "no GetChargingProfiles"),
                (await post("CP-2", "/clear", {"id": 1, "evse": 1}), "not both"),
            ]  # fmt: skip
            extra = await post("CP-2", "", {"purpose": "max", "limit": 8, "colour": "red"})
            unknown = await post("CP-9", "", {"purpose": "max", "limit": 8})
            offline = await post("CP-OFF", "", {"purpose": "max", "limit": 8})

            asked = await post("CP-2", "/report", {"evse": 1, "purpose": "tx-default",
                                                   "sources": ["CSO"]})  # fmt: skip
            request = await cp2.request("GetChargingProfiles")
            reported = {**snake(written), "id": 7}
            await cp2.call(call.ReportChargingProfiles(
                request_id=request["request_id"], charging_limit_source="CSO", evse_id=0,
                charging_profile=[reported],
            ))  # fmt: skip
            schedule = await system.http("POST", "/api/v1/stations/CP-2/composite-schedule?wait=5",
                                         json={"evse": 1, "duration": 600})  # fmt: skip
            cleared = await post("CP-2", "/clear", {"id": 1})

            # A TxProfile lives as long as its transaction.
            tx = Transaction2(cp2, "tx-7")
            await tx.authorized(token("TAG-1"))
            during = await post("CP-2", "", {"evse": 1, "purpose": "tx", "limit": 10,
                                             "kind": "Relative"})  # fmt: skip
            await tx.ev_disconnected()

            max16 = await cp16.request("SetChargingProfile")
            sent2 = [await cp2.request("SetChargingProfile", n) for n in (1, 2, 3)]
            assert cp16.asked("SetChargingProfile") == 1 and cp2.asked("SetChargingProfile") == 3
            assert cp2.asked("ClearChargingProfile") == 1

    for answer in (maximum, default, whole, asked, schedule, cleared, during):
        assert answer.status_code == 201, answer.text
        assert answer.headers["Location"] == f"/api/v1/commands/{answer.json()['id']}"
        assert answer.json()["status"] == "accepted", answer.text
    assert max16 == {"connector_id": 0, "cs_charging_profiles": {
        "charging_profile_id": 1, "stack_level": 0,
        "charging_profile_purpose": "ChargePointMaxProfile", "charging_profile_kind": "Absolute",
        "valid_to": "2026-12-02T10:00:00Z", "charging_schedule": {
            "start_schedule": max16["cs_charging_profiles"]["charging_schedule"]["start_schedule"],
            "charging_rate_unit": "A", "charging_schedule_period": [
                {"start_period": 0, "limit": 32},
                {"start_period": 600, "limit": 16, "number_phases": 1}]}}}  # fmt: skip
    first, second, third = sent2
    assert (first["evse_id"], first["charging_profile"]["id"]) == (1, 1)
    assert first["charging_profile"]["charging_schedule"][0]["id"] == 1
    assert first["charging_profile"]["stack_level"] == 1
    assert (second["evse_id"], second["charging_profile"]["id"]) == (0, 2)  # the next free
    assert second["charging_profile"] == {**snake(written), "id": 2}
    assert third["charging_profile"]["transaction_id"] == "tx-7"
    assert request == {
        "request_id": request["request_id"],
        "evse_id": 1,
        "charging_profile": {
            "charging_profile_purpose": "TxDefaultProfile",
            "charging_limit_source": ["CSO"],
        },
    }
    for answer, said in refused:
        assert answer.status_code == 422, answer.text
        assert answer.json()["type"] == "urn:ocpp-cable:problem:command-refused", answer.text
        assert said in answer.json()["detail"], answer.text
    assert extra.status_code == 422 and "errors" in extra.json()
    assert (unknown.status_code, offline.status_code) == (404, 409)
    assert len(system.rows(Command)) == 7  # the refused ones left no record

    # What the 2.x station accepted, reported and answered, as the views show it.
    profiles = profile_rows(system)
    assert profiles == [
        ("CP-1", 1, 0, "ChargePointMaxProfile", "installed"),
        ("CP-2", 1, 1, "TxDefaultProfile", "cleared"),
        ("CP-2", 2, 0, "ChargingStationMaxProfile", "replaced"),  # by the report of 7
        ("CP-2", 7, 0, "ChargingStationMaxProfile", "installed"),
        ("CP-2", 8, 1, "TxProfile", "ended"),
    ]
    code, out, _ = run_admin_line(system.url, "stations", "profiles", "CP-2")
    assert code == 0 and "0s 22000W" in out and out.count("\n") == 2
    code, out, _ = run_admin_line(system.url, "stations", "schedule", "CP-2", "--json")
    [kept] = json.loads(out)
    assert (kept["connector_id"], kept["duration"], kept["status"]) == (1, 600, "Accepted")
    code, out, _ = run_admin_line(system.url, "stations", "schedule", "CP-2")
    assert "0s 16A, 300s 8A/1ph" in out and "2026-12-01T10:00:00Z" in out


def profile_rows(system) -> list[tuple]:
    rows = sorted(system.rows(ChargingProfile), key=lambda p: (p.station_id, p.id))
    return [(p.station_id, p.charging_profile_id, p.connector_id, p.purpose, p.status)
            for p in rows]  # fmt: skip


async def test_the_cli_sends_a_written_profile_and_refuses_what_it_cannot_read(tmp_path, capsys):
    written = tmp_path / "profile.json"
    written.write_text(json.dumps({
        "stackLevel": 3, "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Relative", "chargingSchedule": {
            "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10}]},
    }))  # fmt: skip
    (tmp_path / "list.json").write_text("[1, 2]")
    async with csms(tmp_path, capsys) as system:
        system.seed()
        async with system.station("CP-1", "1.6", {"SetChargingProfile": ACCEPTED}) as cp:
            base = ("charging-profiles", "set", "CP-1")
            code, out, err = await system.operator(*base, "--connector", "2", "--file",
                                                   str(written), "--wait")  # fmt: skip
            assert code == 0, err
            assert out.splitlines()[-1] == 'accepted: {"status":"Accepted"}'
            assert await cp.request("SetChargingProfile") == {
                "connector_id": 2, "cs_charging_profiles": {
                    "charging_profile_id": 1, "stack_level": 3,
                    "charging_profile_purpose": "TxDefaultProfile",
                    "charging_profile_kind": "Relative", "charging_schedule": {
                        "charging_rate_unit": "A", "charging_schedule_period": [
                            {"start_period": 0, "limit": 10}]}}}  # fmt: skip
            for argv, said in [
                (("--file", str(written), "--purpose", "max"), "no --purpose beside it"),
                (("--file", str(tmp_path / "none.json")), "cannot read"),
                (("--file", str(tmp_path / "list.json")), "must be a JSON object"),
                (("--periods", "0-32"), "start_seconds:limit"),
                (("--purpose", "max", "--limit", "8", "--valid-to", "soon"), "--valid-to 'soon'"),
                (("--limit", "8"), "name the profile's purpose"),
                (("--purpose", "max", "--limit", "7.25"), "multiple of 0.1"),
                (("--purpose", "max", "--limit", "8", "--connector", "1"),
                 "ChargePointMaxProfile goes on connectorId 0"),
            ]:  # fmt: skip
                code, _, err = await system.operator(*base, *argv)
                assert (code, said in err) == (2, True), (argv, err)
            code, _, err = await system.operator("charging-profiles", "get", "CP-1")
            assert code == 2 and "no GetChargingProfiles" in err
            code, _, err = await system.operator("composite-schedule", "CP-9", "--duration", "60")
            assert code == 1 and "no station CP-9" in err
            assert cp.asked("SetChargingProfile") == 1
    assert [c.action for c in system.rows(Command)] == ["SetChargingProfile"]
