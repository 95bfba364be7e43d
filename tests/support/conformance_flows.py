"""What the OCA 2.0.1 cases of blocks C, D, K, L and M repeat: a transaction as the
station plays the reusable states (EVConnectedPreSession, Authorized,
EnergyTransferStarted, StopAuthorized, EVConnectedPostSession, EVDisconnected), and an
operator's command sent with `ocpp-cable send --wait`, read back from its record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from ocpp.v201 import call

from ocpp_cable.channels.storage.models import Command
from tests.support.conformance import CSMS


def now(seconds: float = 0) -> str:
    """The current time (plus `seconds`) as a station writes it."""
    at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


def snake(data: Any) -> Any:
    """A payload written as OCPP spells it (camelCase) as the `ocpp` package takes it, for
    a station's answer or request (snake_case keys)."""
    if isinstance(data, list):
        return [snake(item) for item in data]
    if not isinstance(data, dict):
        return data
    return {"".join("_" + c.lower() if c.isupper() else c for c in key): snake(value)
            for key, value in data.items()}  # fmt: skip


def token(value: str, type_: str = "ISO14443") -> dict[str, str]:
    """An idToken as the `ocpp` package takes it."""
    return {"id_token": value, "type": type_}


class Transaction2:
    """One 2.0.1 transaction as the station plays the reusable states: its events
    numbered (seqNo) in order, each answer returned as the `ocpp` package gives it
    (snake_case)."""

    def __init__(self, cp: Any, transaction_id: str = "tx-1", evse_id: int = 1) -> None:
        self.cp, self.id, self.evse_id = cp, transaction_id, evse_id
        self.seq_no = 0
        self.started = self.plugged = False

    async def event(
        self, event_type: str, trigger: str, id_token: dict | None = None, **info: Any
    ) -> Any:
        """A TransactionEvent of this transaction; `info` adds to its transactionInfo."""
        fields = {"id_token": id_token} if id_token is not None else {}
        request = call.TransactionEvent(
            event_type=event_type,
            timestamp=now(),
            trigger_reason=trigger,
            seq_no=self.seq_no,
            transaction_info={"transaction_id": self.id, **info},
            evse={"id": self.evse_id, "connector_id": 1},
            **fields,
        )
        self.seq_no += 1
        self.started = True
        return await self.cp.call(request)

    async def _connector(self, status: str) -> None:
        # The connector's state, as StatusNotification and as the AvailabilityState event.
        await self.cp.status(status, evse_id=self.evse_id)
        event = {"event_id": self.evse_id, "timestamp": now(), "trigger": "Delta",
                 "actual_value": status, "event_notification_type": "CustomMonitor",
                 "component": {"name": "Connector", "evse": {"id": self.evse_id}},
                 "variable": {"name": "AvailabilityState"}}  # fmt: skip
        await self.cp.call(call.NotifyEvent(generated_at=now(), seq_no=0, event_data=[event]))

    async def ev_connected_pre_session(self) -> None:
        """EVConnectedPreSession, TxStartPoint ParkingBayOccupancy: the EV detected starts
        the transaction, then the cable is plugged in."""
        await self.event("Started", "EVDetected")
        await self._plug()

    async def _plug(self) -> None:
        await self._connector("Occupied")
        await self.event("Updated", "CablePluggedIn", charging_state="EVConnected")
        self.plugged = True

    async def authorized(self, id_token: dict) -> tuple[Any, Any]:
        """Authorized: the token authorized online, then named in the transaction (Updated
        when it began already, else Started). Both answers."""
        authorize = await self.cp.call(call.Authorize(id_token=id_token))
        event_type = "Updated" if self.started else "Started"
        return authorize, await self.event(event_type, "Authorized", id_token)

    async def energy_transfer_started(self) -> None:
        """EnergyTransferStarted: plugged in (unless it was) and charging."""
        if not self.plugged:
            await self._plug()
        await self.event("Updated", "ChargingStateChanged", charging_state="Charging")

    async def ev_disconnected(self) -> Any:
        """EVConnectedPostSession then EVDisconnected: charging stops, the cable is
        unplugged and the transaction ends. The Ended event's answer."""
        await self.event("Updated", "ChargingStateChanged", charging_state="EVConnected")
        await self._connector("Available")
        return await self.event(
            "Ended", "EVCommunicationLost", charging_state="Idle", stopped_reason="EVDisconnected"
        )


async def send(
    system: CSMS, action: str, payload: dict[str, Any], station_id: str = "CP-1"
) -> tuple[int, str, Command]:
    """The operator's generic `ocpp-cable send <station> <action> '<json>' --wait` (for what
    has no command of its own): as `operate`."""
    return await operate(system, "send", station_id, action, orjson.dumps(payload).decode())


async def operate(system: CSMS, *argv: str) -> tuple[int, str, Command]:
    """`ocpp-cable <argv> --wait`, a command the central system composes (clear-cache,
    remote-start, ...): exit status, output, and the command's stored record."""
    code, out, err = await system.operator(*argv, "--wait")
    assert " sent to " in out, (code, out, err)
    command_id = out.split(" sent to ", 1)[0].split()[-1]
    [record] = system.rows(Command, Command.id == command_id)
    return code, out, record
