"""Registration: boots answered Pending or Rejected as an operator decided, what such a
station may send (what we asked it for), what it may be sent, and the operator's ways to
decide (CLI, HTTP API), over real sockets."""

from __future__ import annotations

import pytest
from ocpp.exceptions import SecurityError
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from ocpp_cable.channels.storage.models import ChargePoint, Command, Connector, StationVariable
from tests.support.conformance import T0, csms

RETRY = {"registration_retry_interval": 3600}


def status16(connector_id: int = 1) -> call16.StatusNotification:
    return call16.StatusNotification(
        connector_id=connector_id, error_code="NoError", status="Available", timestamp=T0
    )


BOOT16 = call16.BootNotification(charge_point_vendor="V", charge_point_model="M")


async def test_a_pending_16_station_sends_only_what_we_trigger_until_it_is_accepted(
    tmp_path, capsys
):
    """1.6 4.2.1: a Pending charge point sends nothing unless asked by TriggerMessage; the
    Central System may send it commands meanwhile. Accepting it makes it boot again."""
    async with csms(tmp_path, capsys, **RETRY) as system:
        system.seed()
        await system.operator("stations", "pending", "CP-1")
        answers = {"TriggerMessage": {"status": "Accepted"}}
        async with system.station(version="1.6", answers=answers) as cp:
            answer = await cp.call(BOOT16, suppress=False)
            assert (answer.status, answer.interval) == ("Pending", 3600)
            for refused in (status16(), call16.Heartbeat(), call16.Authorize(id_tag="TAG-1")):
                with pytest.raises(SecurityError):
                    await cp.call(refused, suppress=False)
            # Provisioning: the operator asks for the connector's status, and gets it.
            code, out, err = await system.operator(
                "send", "CP-1", "TriggerMessage",
                '{"requestedMessage": "StatusNotification", "connectorId": 1}', "--wait",
            )  # fmt: skip
            assert code == 0, (out, err)
            assert await cp.call(status16(), suppress=False) is not None
            [connector] = system.rows(Connector)
            assert connector.status == "Available"
            with pytest.raises(SecurityError):  # still only what was asked for
                await cp.call(call16.Authorize(id_tag="TAG-1"), suppress=False)
            code, out, err = await system.operator("stations", "accept", "CP-1")
            assert code == 0, (out, err)
            assert "TriggerMessage" in out
            assert await cp.request("TriggerMessage", nth=2) == {
                "requested_message": "BootNotification"
            }
            assert (await cp.call(BOOT16, suppress=False)).status == "Accepted"
            answer = await cp.call(call16.Authorize(id_tag="TAG-1"), suppress=False)
            assert answer.id_tag_info["status"] == "Accepted"


async def test_a_rejected_16_station_sends_nothing_and_is_sent_nothing(tmp_path, capsys):
    async with csms(tmp_path, capsys, **RETRY) as system:
        system.seed()
        await system.operator("stations", "reject", "CP-1")
        async with system.station(version="1.6") as cp:
            answer = await cp.call(BOOT16, suppress=False)
            assert (answer.status, answer.interval) == ("Rejected", 3600)
            with pytest.raises(SecurityError):
                await cp.call(call16.Heartbeat(), suppress=False)
            code, _, err = await system.operator("send", "CP-1", "Reset", '{"type": "Soft"}')
            assert code == 2
            assert "rejected" in err
            assert system.rows(Command) == []
            assert cp.requests == []


async def test_a_pending_201_station_reports_what_get_base_report_asked_for(tmp_path, capsys):
    """B02.FR.01, B02.FR.09: the CSMS may retrieve a Pending station's variables; the
    NotifyReport it sends for our GetBaseReport is answered and kept."""
    async with csms(tmp_path, capsys, **RETRY) as system:
        system.seed()
        await system.operator("stations", "pending", "CP-1")
        async with system.station(answers={"GetBaseReport": {"status": "Accepted"}}) as cp:
            assert (await cp.boot()).status == "Pending"
            code, out, err = await system.operator(
                "send", "CP-1", "GetBaseReport", '{"requestId": 7, "reportBase": "FullInventory"}',
                "--wait",
            )  # fmt: skip
            assert code == 0, (out, err)
            report = call201.NotifyReport(
                request_id=7, generated_at=T0, seq_no=0, tbc=False,
                report_data=[{
                    "component": {"name": "SecurityCtrlr"},
                    "variable": {"name": "Identity"},
                    "variable_attribute": [{"type": "Actual", "value": "CP-1"}],
                }],
            )  # fmt: skip
            assert await cp.call(report, suppress=False) is not None
            [variable] = system.rows(StationVariable)
            assert (variable.component, variable.variable, variable.value) == (
                "SecurityCtrlr",
                "Identity",
                "CP-1",
            )


async def test_a_pending_station_that_reconnects_without_booting_is_refused(tmp_path, capsys):
    """A station that reconnects sends no BootNotification: its registration, named at
    Connect, holds until it boots, Heartbeat included (the gateway answers those)."""
    async with csms(tmp_path, capsys, **RETRY) as system:
        system.seed()
        await system.operator("stations", "pending", "CP-1")
        async with system.station() as cp:
            with pytest.raises(SecurityError):
                await cp.call(call201.Heartbeat(), suppress=False)
            assert (await cp.boot()).status == "Pending"


async def test_a_station_first_heard_of_is_pending_when_the_setting_says_so(tmp_path, capsys):
    settings = {**RETRY, "auto_register": True, "default_registration": "pending"}
    async with csms(tmp_path, capsys, **settings) as system:
        async with system.station("CP-NEW", password=None) as cp:
            assert (await cp.boot()).status == "Pending"
        [station] = system.rows(ChargePoint)
        assert (station.id, station.registration, station.boot_status) == (
            "CP-NEW",
            "pending",
            "Pending",
        )


async def test_the_api_sets_a_registration_and_shows_it(tmp_path, capsys):
    async with csms(tmp_path, capsys, api=True, **RETRY) as system:
        added = await system.http(
            "POST", "/api/v1/stations", json={"id": "CP-1", "registration": "pending"}
        )
        assert added.status_code == 201, added.text
        assert added.json()["registration"] == "pending"
        answers = {"TriggerMessage": {"status": "Accepted"}}
        async with system.station(password=None, answers=answers) as cp:
            assert (await cp.boot()).status == "Pending"
            changed = await system.http(
                "PUT", "/api/v1/stations/CP-1/registration", json={"registration": "accepted"}
            )
            assert changed.status_code == 200, changed.text
            outcome = changed.json()
            assert (outcome["registration"], outcome["previous"]) == ("accepted", "pending")
            assert outcome["boot_requested"]
            assert await cp.request("TriggerMessage") == {"requested_message": "BootNotification"}
            assert (await cp.boot("Triggered")).status == "Accepted"
        listed = await system.http("GET", "/api/v1/stations")
        assert [s["registration"] for s in listed.json()["items"]] == ["accepted"]
        changed = await system.http(
            "PUT", "/api/v1/stations/CP-1/registration", json={"registration": "rejected"}
        )
        assert changed.json()["boot_requested"] is None
        shown = await system.http("GET", "/api/v1/stations/CP-1")
        assert shown.json()["registration"] == "rejected"
        unknown = await system.http(
            "PUT", "/api/v1/stations/CP-9/registration", json={"registration": "accepted"}
        )
        assert unknown.status_code == 404
        wrong = await system.http(
            "PUT", "/api/v1/stations/CP-1/registration", json={"registration": "maybe"}
        )
        assert wrong.status_code == 422


async def test_a_station_accepted_while_away_boots_accepted_when_it_comes(tmp_path, capsys):
    async with csms(tmp_path, capsys, **RETRY) as system:
        system.seed()
        await system.operator("stations", "pending", "CP-1")
        code, out, _ = await system.operator("stations", "accept", "CP-1")
        assert code == 0
        assert "not connected" in out
        async with system.station() as cp:
            assert (await cp.boot()).status == "Accepted"
        assert system.rows(Command) == []  # nothing to trigger
