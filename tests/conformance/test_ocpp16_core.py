"""OCA 1.6 Central System cases, Core profile."""

from __future__ import annotations

from ocpp.v16 import call

from ocpp_cable.channels.storage.models import ChargePoint, Connector, MessageLog
from tests.support.conformance import T0, csms

HEARTBEAT_INTERVAL = 300


def status(connector_id: int) -> call.StatusNotification:
    return call.StatusNotification(
        connector_id=connector_id, error_code="NoError", status="Available", timestamp=T0
    )


async def test_tc_001_csms(tmp_path, capsys):
    """Cold Boot Charge Point: a registered charge point's BootNotification is answered
    Accepted with the heartbeat interval; the StatusNotification of each connector (0
    for the charge point) and a Heartbeat are answered; the boot and statuses are kept."""
    async with csms(tmp_path, capsys, heartbeat_interval=HEARTBEAT_INTERVAL) as system:
        system.seed()
        async with system.station(version="1.6") as cp:
            boot = call.BootNotification(charge_point_vendor="OCTT", charge_point_model="Virtual")
            answer = await cp.call(boot, suppress=False)
            assert (answer.status, answer.interval) == ("Accepted", HEARTBEAT_INTERVAL)
            assert answer.current_time
            for connector_id in (0, 1, 2):
                assert await cp.call(status(connector_id), suppress=False) is not None
            beat = await cp.call(call.Heartbeat(), suppress=False)
            assert beat.current_time
        [station] = system.rows(ChargePoint)
        assert (station.boot_status, station.vendor, station.model) == (
            "Accepted",
            "OCTT",
            "Virtual",
        )
        connectors = sorted((c.connector_id, c.status) for c in system.rows(Connector))
        assert connectors == [(0, "Available"), (1, "Available"), (2, "Available")]
        sent = system.rows(MessageLog, MessageLog.direction == "out")
        assert [m.payload["status"] for m in sent if m.action == "BootNotification"] == ["Accepted"]
