"""Everyday commands composed by the central system (`ocpp-cable reset|availability|
clear-cache|trigger|unlock|network-profile` and their HTTP API routes), over real sockets:
a 1.6 and a 2.0.1 station get them in their own version's words."""

from __future__ import annotations

from ocpp_cable.channels.operators.admin.station_commands import NAMES
from ocpp_cable.channels.storage.models import Command
from ocpp_cable.cli import OPERATION_COMMANDS
from tests.support.conformance import csms


def test_every_station_command_is_run_by_the_cli():
    assert set(NAMES) <= OPERATION_COMMANDS


async def test_the_api_composes_in_the_stations_version(tmp_path, capsys):
    answers16 = {"ChangeAvailability": {"status": "Accepted"}, "UnlockConnector":
                 {"status": "Unlocked"}, "TriggerMessage": {"status": "Accepted"}}  # fmt: skip
    answers2 = {"ChangeAvailability": {"status": "Scheduled"}, "ClearCache":
                {"status": "Accepted"}}  # fmt: skip
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed("CP-1")
        system.seed("CP-2", tags=())
        system.seed("CP-OFF", tags=())
        async with (
            system.station("CP-1", "1.6", answers16) as cp16,
            system.station("CP-2", "2.0.1", answers2) as cp2,
        ):
            post = system.http
            off16 = await post("POST", "/api/v1/stations/CP-1/availability?wait=5",
                               json={"operative": False, "connector": 2})  # fmt: skip
            off2 = await post("POST", "/api/v1/stations/CP-2/availability?wait=5",
                              json={"operative": False, "evse": 1, "connector": 2})  # fmt: skip
            unlock = await post("POST", "/api/v1/stations/CP-1/unlock?wait=5",
                                json={"connector": 1})  # fmt: skip
            status = {"message": "StatusNotification", "connector": 1}
            trigger = await post("POST", "/api/v1/stations/CP-1/trigger?wait=5", json=status)
            cache = await post("POST", "/api/v1/stations/CP-2/clear-cache?wait=5")
            # What a version cannot say, and stations that are not there.
            no_profiles = await post("POST", "/api/v1/stations/CP-1/network-profile",
                                     json={"slot": 1, "url": "ws://x/ocpp",
                                           "security_profile": 1})  # fmt: skip
            no_evse = await post("POST", "/api/v1/stations/CP-1/reset", json={"evse": 1})
            unknown = await post("POST", "/api/v1/stations/CP-9/reset", json={})
            offline = await post("POST", "/api/v1/stations/CP-OFF/reset", json={})
            assert await cp16.request("ChangeAvailability") == {
                "connector_id": 2, "type": "Inoperative",
            }  # fmt: skip
            assert await cp2.request("ChangeAvailability") == {
                "operational_status": "Inoperative", "evse": {"id": 1, "connector_id": 2},
            }  # fmt: skip
            assert await cp16.request("UnlockConnector") == {"connector_id": 1}
            assert await cp16.request("TriggerMessage") == {
                "requested_message": "StatusNotification", "connector_id": 1,
            }  # fmt: skip
            assert await cp2.request("ClearCache") == {}
    for answer, response in [(off16, {"status": "Accepted"}), (off2, {"status": "Scheduled"}),
                             (unlock, {"status": "Unlocked"}), (cache, {"status": "Accepted"}),
                             (trigger, {"status": "Accepted"})]:  # fmt: skip
        assert answer.status_code == 201, answer.text
        assert answer.headers["Location"] == f"/api/v1/commands/{answer.json()['id']}"
        assert answer.json()["response"] == response
    assert (no_profiles.status_code, no_profiles.json()["type"]) == (
        422, "urn:ocpp-cable:problem:command-refused",
    )  # fmt: skip
    assert "no network profiles" in no_profiles.json()["detail"]
    assert no_evse.status_code == 422 and "resets as a whole" in no_evse.json()["detail"]
    assert (unknown.status_code, offline.status_code) == (404, 409)
    assert len(system.rows(Command)) == 5  # the refused ones left no record
