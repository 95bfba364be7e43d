"""Steps the OCA's OCPP 1.6 Central System cases share (tests/conformance/test_ocpp16_*.py):
the charge point's boot and status reports, the 1.6 test tool's reusable states
(Booted, Authorized, Charging), and a command the operator sends with `ocpp-cable send`.

The station is tests/support/conformance.py's Station16; each step checks what the
central system answered, as the test tool's validations do.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ocpp.v16 import call

from tests.support.conformance import CSMS, Station16


def stamp(at: datetime | None = None) -> str:
    """An RFC 3339 time as a station sends it (now, if not given), in whole seconds."""
    return (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


async def booted(cp: Station16, connectors: int = 1) -> None:
    """The reusable state Booted: BootNotification (Accepted, with an interval), then
    Available for connector 0 (the charge point) and each connector."""
    answer = await cp.call(
        call.BootNotification(charge_point_model="Virtual", charge_point_vendor="OCTT")
    )
    assert answer.status == "Accepted" and answer.interval > 0, answer
    for connector_id in range(connectors + 1):
        await status(cp, "Available", connector_id)


async def status(
    cp: Station16, state: str, connector_id: int = 1, error_code: str = "NoError"
) -> None:
    """A StatusNotification, answered with an empty StatusNotification.conf."""
    answer = await cp.call(
        call.StatusNotification(
            connector_id=connector_id, error_code=error_code, status=state, timestamp=stamp()
        )
    )
    assert answer is not None  # a CALLERROR raises in cp.call


async def authorized(cp: Station16, id_tag: str = "TAG-1") -> dict[str, Any]:
    """The reusable state Authorized: Authorize answered Accepted; the idTagInfo."""
    answer = await cp.call(call.Authorize(id_tag=id_tag))
    assert answer.id_tag_info["status"] == "Accepted", answer
    return answer.id_tag_info


async def start(
    cp: Station16,
    id_tag: str = "TAG-1",
    connector_id: int = 1,
    meter_start: int = 1000,
    at: str | None = None,
    **fields: Any,
) -> Any:
    """A StartTransaction (at `at`, else now); the central system's answer."""
    return await cp.call(
        call.StartTransaction(
            connector_id=connector_id, id_tag=id_tag, meter_start=meter_start,
            timestamp=at or stamp(), **fields,
        )
    )  # fmt: skip


async def charging(cp: Station16, id_tag: str = "TAG-1", connector_id: int = 1, **fields) -> int:
    """The reusable state Charging (after Authorized): Preparing, StartTransaction answered
    Accepted, Charging. The transactionId the central system gave."""
    await status(cp, "Preparing", connector_id)
    answer = await start(cp, id_tag, connector_id, **fields)
    assert answer.id_tag_info["status"] == "Accepted", answer
    await status(cp, "Charging", connector_id)
    return answer.transaction_id


async def stop(
    cp: Station16, transaction_id: int, reason: str, meter_stop: int = 5000, **fields: Any
) -> Any:
    """A StopTransaction with `reason`, now; the central system's answer."""
    return await cp.call(
        call.StopTransaction(
            transaction_id=transaction_id, meter_stop=meter_stop, timestamp=stamp(),
            reason=reason, **fields,
        )
    )  # fmt: skip


async def operate(system: CSMS, *argv: str) -> tuple[str, dict[str, Any]]:
    """`ocpp-cable <argv> --wait`: one of the commands the central system composes
    (remote-start, reset, configuration get, ...), as an operator runs it: (the command's
    final state as recorded, accepted or rejected; the station's answer as printed)."""
    return _answered(*await system.operator(*argv, "--wait"))


async def command(
    system: CSMS, action: str, payload: dict[str, Any] | None = None, station_id: str = "CP-1"
) -> tuple[str, dict[str, Any]]:
    """`ocpp-cable send <station> <action> <payload> --wait`, as an operator runs it where
    our CLI has no command of its own for the case (the certificate commands): as
    `operate`."""
    return _answered(
        *await system.operator("send", station_id, action, json.dumps(payload or {}), "--wait")
    )


def _answered(code: int, out: str, err: str) -> tuple[str, dict[str, Any]]:
    state, _, answer = out.strip().splitlines()[-1].partition(": ")
    assert code == (0 if state == "accepted" else 1), (out, err)
    return state, json.loads(answer)
