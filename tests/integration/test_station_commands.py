"""Everyday commands composed by the central system (`ocpp-cable reset|availability|
clear-cache|trigger|unlock|network-profile|remote-start|remote-stop|transaction-status|
configuration` and their HTTP API routes), over real sockets: a 1.6 and a 2.0.1 station get
them in their own version's words."""

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


async def test_sessions_and_configuration_in_each_version(tmp_path, capsys):
    answers16 = {"RemoteStartTransaction": {"status": "Accepted"},
                 "RemoteStopTransaction": {"status": "Rejected"},
                 "GetConfiguration": {"configuration_key": [
                     {"key": "HeartbeatInterval", "readonly": False, "value": "60"}]},
                 "ChangeConfiguration": {"status": "Accepted"}}  # fmt: skip
    answers2 = {"RequestStartTransaction": {"status": "Accepted"},
                "RequestStopTransaction": {"status": "Accepted"},
                "GetTransactionStatus": {"messages_in_queue": False}}  # fmt: skip
    async with csms(tmp_path, capsys, api=True) as system:
        system.seed("CP-1")
        system.seed("CP-2", tags=())
        async with (
            system.station("CP-1", "1.6", answers16) as cp16,
            system.station("CP-2", "2.0.1", answers2) as cp2,
        ):
            post = system.http
            start16 = await post("POST", "/api/v1/stations/CP-1/remote-start?wait=5",
                                 json={"id_tag": "TAG-1", "connector": 1})  # fmt: skip
            start2 = await post("POST", "/api/v1/stations/CP-2/remote-start?wait=5",
                                json={"id_tag": "TAG-1", "evse": 2})  # fmt: skip
            stop2 = await post("POST", "/api/v1/stations/CP-2/remote-stop?wait=5",
                               json={"transaction": "tx-unknown-to-us"})  # fmt: skip
            status2 = await post("POST", "/api/v1/stations/CP-2/transaction-status?wait=5",
                                 json={})  # fmt: skip
            code, out, err = await system.operator("remote-stop", "CP-1", "7", "--wait")
            assert code == 1 and "rejected" in out, (out, err)  # the station's Rejected
            code, out, err = await system.operator("configuration", "get", "CP-1", "--wait")
            assert code == 0, (out, err)
            code, out, err = await system.operator(
                "configuration", "set", "CP-1", "HeartbeatInterval=300", "--wait"
            )
            assert code == 0, (out, err)
            # What a version cannot say: refused before anything is sent or recorded.
            refusals = [
                await system.operator("transaction-status", "CP-1"),
                await system.operator("configuration", "get", "CP-2"),
                await system.operator("configuration", "set", "CP-1", "AuthorizationKey=x"),
                await system.operator("remote-stop", "CP-1", "tx-1"),
                await system.operator("remote-start", "CP-2", "TAG-1", "--connector", "1"),
            ]
            no_status16 = await post("POST", "/api/v1/stations/CP-1/transaction-status",
                                     json={"transaction": "1"})  # fmt: skip
            keys = await post("POST", "/api/v1/stations/CP-1/configuration/get?wait=5",
                              json={"keys": ["HeartbeatInterval"]})  # fmt: skip
            no_keys2 = await post("POST", "/api/v1/stations/CP-2/configuration/set",
                                  json={"key": "HeartbeatInterval", "value": "1"})  # fmt: skip
            assert await cp16.request("RemoteStartTransaction") == {
                "id_tag": "TAG-1", "connector_id": 1,
            }  # fmt: skip
            sent2 = await cp2.request("RequestStartTransaction")
            assert sent2["id_token"] == {"id_token": "TAG-1", "type": "Central"}
            assert sent2["evse_id"] == 2 and sent2["remote_start_id"] >= 1
            assert await cp2.request("RequestStopTransaction") == {
                "transaction_id": "tx-unknown-to-us"
            }
            assert await cp2.request("GetTransactionStatus") == {}
            assert await cp16.request("RemoteStopTransaction") == {"transaction_id": 7}
            assert await cp16.request("GetConfiguration") == {}
            assert await cp16.request("GetConfiguration", nth=2) == {"key": ["HeartbeatInterval"]}
            assert await cp16.request("ChangeConfiguration") == {
                "key": "HeartbeatInterval", "value": "300",
            }  # fmt: skip
    for answer in (start16, start2, stop2, status2, keys):
        assert answer.status_code == 201, answer.text
        assert answer.json()["status"] == "accepted"
    for code, out, err in refusals:
        assert code == 2 and not out, (out, err)
    said = [err for _, _, err in refusals]
    assert "GetTransactionStatus is OCPP 2.x" in said[0]
    assert "ocpp-cable variables get" in said[1]
    assert "ocpp-cable rotate-password" in said[2]
    assert "is a number" in said[3]
    assert "use --evse" in said[4]
    assert no_status16.status_code == 422 and no_keys2.status_code == 422
    actions = sorted(row.action for row in system.rows(Command))
    assert actions == [
        "ChangeConfiguration", "GetConfiguration", "GetConfiguration", "GetTransactionStatus",
        "RemoteStartTransaction", "RemoteStopTransaction", "RequestStartTransaction",
        "RequestStopTransaction",
    ]  # fmt: skip
