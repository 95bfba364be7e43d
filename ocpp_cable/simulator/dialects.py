"""What a simulated charger says differs by OCPP version; what it does does not.

`chargers.py` drives every charger through the same steps (boot, status, a
session, answering a CALL) and asks its version's dialect, `ocpp16.py` or
`ocpp2.py`, for the message of each step. A dialect only builds payloads:
it sends nothing and holds no state but the `Session` it is handed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from ocpp_cable.simulator.state import StationState

Payload = dict[str, Any]
Message = tuple[str, Payload]  # a CALL's action and payload
# Why a session ended, in 1.6's Reason words; 2.x's dialect says them in its own.
StopReason = Literal[
    "EVDisconnected", "Local", "Remote", "DeAuthorized", "SoftReset", "HardReset", "UnlockCommand"
]
# The connector's state as 1.6's ChargePointStatus names it; 2.x reports fewer of them.
ConnectorState = Literal[
    "Available", "Preparing", "Charging", "Finishing", "Reserved", "Unavailable", "Faulted"
]


def utc_now() -> str:
    return utc_time(time.time())


def utc_time(seconds: float) -> str:
    """Unix seconds as OCPP writes a time."""
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def unix_time(text: str) -> float:
    """An OCPP time as Unix seconds (UTC when it names no zone)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


@dataclass
class Session:
    """One charging session on the charger's only connector."""

    id_tag: str
    remote: bool = False  # the central system started it (no Authorize first)
    remote_start_id: int | None = None  # 2.x: RequestStartTransaction's id, echoed back
    transaction_id: int | str | None = None  # 1.6: the central system's; 2.x: the charger's
    seq_no: int = 0  # 2.x: the next TransactionEvent's sequence number
    reservation_id: int | None = None  # the reservation this session uses
    group: str | None = None  # the idTag's group (parentIdTag, groupIdToken), when told
    started_at: float | None = None  # Unix seconds, once the central system accepted it


@dataclass(frozen=True)
class Update:
    """A firmware update the central system asked for: where the file is, the request's
    id (2.x, 1.6 signed), and when to download and to install it (Unix seconds)."""

    location: str
    request_id: int | None
    retrieve_at: float
    install_at: float | None = None


def firmware_update(payload: Payload) -> Update:
    """The update of a 2.x UpdateFirmware or a 1.6 SignedUpdateFirmware (one shape)."""
    firmware = payload["firmware"]
    install = firmware.get("installDateTime")
    return Update(
        firmware["location"],
        payload["requestId"],
        unix_time(firmware["retrieveDateTime"]),
        None if install is None else unix_time(install),
    )


@dataclass(frozen=True)
class Answer:
    """A CALLRESULT to send, and what the charger does once it is sent."""

    payload: Payload
    start: Session | None = None  # start this session now
    stop: StopReason | None = None  # stop the running session, for this reason
    # What the charger does next, by name, with what it needs: "reset" (a reason),
    # "status" (report the connector's state), "trigger" (a message to send),
    # "firmware" (a location), "diagnostics" (a location and file name), "password"
    # (connect again with this one), "reserved"
    # (report Reserved, then the reservation's end when it expires), "send" (these
    # messages); "status" may name messages to send after the state (else None).
    then: tuple[str, Any] | None = None


class Station(Protocol):
    """What a dialect may read of the charger to answer a CALL."""

    state: StationState
    session: Session | None
    max_power_w: float
    power_w: float  # what the EV draws now
    ocpp_version: str  # "1.6", "2.0.1", "2.1": 2.1's messages say a little more


class Dialect(Protocol):
    """One OCPP version's messages; `ocpp16` and `ocpp2` are modules of these functions."""

    def boot(self, station_id: str) -> Message: ...

    def status(self, state: ConnectorState) -> Message | None:
        """The StatusNotification of `state`; None when the version has no word for the
        change (2.x: Preparing, Charging and Finishing are all Occupied)."""

    def authorize(self, id_tag: str) -> Message: ...

    def authorized(self, reply: Payload) -> str:
        """The status of the idTag in Authorize's answer (Accepted, Invalid...)."""

    def start(self, session: Session, meter_wh: int) -> Message: ...

    def started(self, session: Session, reply: Payload) -> str:
        """Take what the central system's answer to `start` tells the session; the
        status of its idTag (Accepted when the answer has none)."""

    def meter(self, session: Session, meter_wh: int, power_w: float) -> Message: ...

    def reservation_update(self, reservation_id: int, status: str) -> Message | None:
        """What the charger says when a reservation ends by itself (Expired) or is
        removed; None when its version says nothing (1.6: the status says it)."""

    def stop(self, session: Session, meter_wh: int, reason: StopReason) -> Message: ...

    def answer(self, action: str, payload: Payload, station: Station) -> Answer | None:
        """The answer to the central system's CALL; None for an action not simulated.

        May raise KeyError or TypeError on a payload without what the action needs.
        """


# --- commands of one shape in 2.x and in 1.6's security extension (taken from 2.0.1) --------


def update_firmware(payload: Payload, station: Station) -> Answer:
    """A 2.x UpdateFirmware or a 1.6 SignedUpdateFirmware: accepted, then downloaded and
    installed when it says (the simulator trusts every signature)."""
    return Answer({"status": "Accepted"}, then=("firmware", firmware_update(payload)))


def get_log(payload: Payload, station: Station) -> Answer:
    """A GetLog: accepted with the file's name, then the log uploaded where it says."""
    name = f"{payload['logType'].lower()}-{int(time.time())}.txt"
    location = payload["log"]["remoteLocation"]
    return Answer(
        {"status": "Accepted", "filename": name},
        then=("diagnostics", (location, name, payload["requestId"])),
    )
