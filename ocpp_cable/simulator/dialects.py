"""What a simulated charger says differs by OCPP version; what it does does not.

`chargers.py` drives every charger through the same steps (boot, status, a
session, answering a CALL) and asks its version's dialect, `ocpp16.py` or
`ocpp2.py`, for the message of each step. A dialect only builds payloads:
it sends nothing and holds no state but the `Session` it is handed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

Payload = dict[str, Any]
Message = tuple[str, Payload]  # a CALL's action and payload
# Why a session ended; 1.6's Reason and 2.x's ReasonEnumType spell these alike.
StopReason = Literal["EVDisconnected", "Local", "Remote"]


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class Session:
    """One charging session on the charger's only connector."""

    id_tag: str
    remote: bool = False  # the central system started it (no Authorize first)
    remote_start_id: int | None = None  # 2.x: RequestStartTransaction's id, echoed back
    transaction_id: int | str | None = None  # 1.6: the central system's; 2.x: the charger's
    seq_no: int = 0  # 2.x: the next TransactionEvent's sequence number


@dataclass(frozen=True)
class Answer:
    """A CALLRESULT to send, and what the charger does once it is sent."""

    payload: Payload
    start: Session | None = None  # start this session now
    stop: bool = False  # stop the running session (reason Remote)


class Station(Protocol):
    """What a dialect may read of the charger to answer a CALL."""

    heartbeat_interval: int
    session: Session | None


class Dialect(Protocol):
    """One OCPP version's messages; `ocpp16` and `ocpp2` are modules of these functions."""

    def boot(self, station_id: str) -> Message: ...

    def status(self, occupied: bool) -> Message: ...

    def authorize(self, id_tag: str) -> Message: ...

    def start(self, session: Session, meter_wh: int) -> Message: ...

    def started(self, session: Session, reply: Payload) -> None:
        """Take what the central system's answer to `start` tells the session."""

    def meter(self, session: Session, meter_wh: int) -> Message: ...

    def stop(self, session: Session, meter_wh: int, reason: StopReason) -> Message: ...

    def answer(self, action: str, payload: Payload, station: Station) -> Answer | None:
        """The answer to the central system's CALL; None for an action not simulated.

        May raise KeyError or TypeError on a payload without what the action needs.
        """
