"""One station's OCPP-J session as a state machine: the sans-I/O heart of the gateway.

The asyncio shell feeds it events (a frame arrived, an RPC finished, a timer
fired, a broadcast came in) and carries out the effects it returns (send a
frame, perform an action on the channel, arm or disarm the call timer, close).
Nothing here touches a socket or awaits, so every rule is testable by calling
methods and looking at lists.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import structlog

from ocpp_cable.contract import performs, transmissions
from ocpp_cable.contract.timestamps import utc_text
from ocpp_cable.ocppj import errors, frames, leniency, triggers
from ocpp_cable.ocppj.frames import (
    Call,
    CallError,
    CallResult,
    CallResultError,
    FrameError,
    SendMessage,
    clip,
)
from ocpp_cable.ocppj.schemas import SchemaViolation
from ocpp_cable.ocppj.versions import OCPP16, Version

HEARTBEAT = "Heartbeat"
BOOT_NOTIFICATION = "BootNotification"

# AnyCable-Go Pro acks what a channel left unanswered with `{"status": "Accepted"}`. In
# its compatibility mode the gateway does so where that is a valid answer and no
# security decision: DataTransfer. (Elsewhere it breaks the schema, or accepts a
# certificate unchecked: those keep the answers of the default mode.)
COMPAT_ACCEPTED = frozenset({"DataTransfer"})
ACCEPTED = {"status": "Accepted"}

# WebSocket close codes the core asks for.
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_UNSUPPORTED_DATA = 1003


class BootState(StrEnum):
    UNKNOWN = "Unknown"  # connected without booting (a reconnect): served as before
    ACCEPTED = "Accepted"
    PENDING = "Pending"
    REJECTED = "Rejected"


@dataclass(slots=True, frozen=True)
class SessionConfig:
    """What a station's session needs from the settings: action routing, the Heartbeat
    interval of default BootNotification answers, whether Heartbeats reach the channel,
    the CALL timeout and queue bound, the malformed-frame budget, and the clock.
    """

    granular_actions: bool = True
    # AnyCable-Go Pro's OCPP mode, for channels written for it: the station's serial number
    # (`sn`) in the subscription, and its default acks.
    anycable_compat: bool = False
    heartbeat_interval: int = 300
    forward_heartbeat: bool = False
    call_timeout: float = 30.0
    queue_limit: int = 100
    malformed_budget: int = 10
    clock: Callable[[], str] = utc_text


# --- effects -----------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class Send:
    """Send this text frame to the charger (`kind` and `action` say what it is, for metrics)."""

    text: str
    kind: str = "CALL"
    action: str | None = None


def _result(unique_id: str, action: str | None, payload: Any) -> Send:
    return Send(frames.encode_result(unique_id, payload), "CALLRESULT", action)


def _error(
    unique_id: str, action: str | None, code: str, description: str, details: Any = None
) -> Send:
    return Send(frames.encode_error(unique_id, code, description, details), "CALLERROR", action)


@dataclass(slots=True, frozen=True)
class Perform:
    """Perform an action on the station's channel (RPC Command "message").

    `call_id` names the charger CALL waiting on this perform: the shell must
    report the RPC's outcome with `perform_finished(call_id, ...)`. Without it,
    only the transmissions matter (`apply_transmissions`).
    """

    data: dict[str, Any]
    call_id: str | None = None
    # The outcome of one of our CALLs (`ack`, `error`): the station's own messages go
    # before it, so they never wait behind reports about our commands.
    reply: bool = False
    # A report the application can do without (a CALL refused for a full queue): the
    # shell drops it, counted, when many such reports already wait.
    droppable: bool = False


@dataclass(slots=True, frozen=True)
class Tolerated:
    """Schema violations of the station's `action` message were forgiven (its leniency):
    the shell counts and logs them."""

    action: str
    tolerance: performs.Tolerance


@dataclass(slots=True, frozen=True)
class Resubscribe:
    """AnyCable compatibility: the station's serial number changed to `sn`. The shell
    unsubscribes and subscribes again with it before the performs that follow."""

    sn: str


@dataclass(slots=True, frozen=True)
class ArmCallTimer:
    """Start the call timeout for our outstanding CALL `unique_id`."""

    unique_id: str


@dataclass(slots=True, frozen=True)
class DisarmCallTimer:
    """The outstanding CALL was answered: stop its timeout."""


@dataclass(slots=True, frozen=True)
class Close:
    code: int
    reason: str


Effect = Send | Perform | Tolerated | Resubscribe | ArmCallTimer | DisarmCallTimer | Close


@dataclass(slots=True)
class OutgoingCall:
    unique_id: str
    action: str
    text: str
    payload: Any = None  # what a Pending station's answer may let it send (ocppj.triggers)


class StationSession:
    """Protocol state of one connected station, in the OCPP version it negotiated."""

    __slots__ = (
        "_malformed",
        "_outstanding",
        "_pending",
        "_queue",
        "_triggered",
        "boot_state",
        "config",
        "last_in",
        "log",
        "sn",
        "station_id",
        "tolerated_rules",
        "version",
    )

    def __init__(
        self,
        station_id: str,
        config: SessionConfig,
        log: Any = None,
        version: Version = OCPP16,
    ) -> None:
        self.station_id = station_id
        self.config = config
        self.version = version
        self.log = log or structlog.get_logger("gateway.session").bind(station_id=station_id)
        self.boot_state = BootState.UNKNOWN
        # AnyCable compatibility: the serial number the station goes by (`sn`), its id
        # until a BootNotification names its meter's.
        self.sn = station_id
        # The schema rules this station may break (ocppj.leniency), as the application
        # set them at Connect; none by default.
        self.tolerated_rules: frozenset[str] = frozenset()
        # Charger CALLs waiting for the application's answer: id -> action.
        self._pending: dict[str, str] = {}
        # Our CALLs: one outstanding at a time (OCPP-J 4.1.1), the rest queued.
        self._outstanding: OutgoingCall | None = None
        self._queue: deque[OutgoingCall] | None = None  # created on first need
        self._malformed = 0
        # What a Pending station may send because it accepted our command asking for it
        # (B02.FR.09): until its next boot is answered. Made at the first.
        self._triggered: set[str] | None = None
        # (type, action) of the last frame received, for the shell's metrics.
        self.last_in: tuple[str, str | None] = ("", None)

    @property
    def queued(self) -> int:
        """Our CALLs waiting behind the outstanding one."""
        return len(self._queue) if self._queue else 0

    # --- frames from the charger ------------------------------------------

    def receive(self, text: str | bytes) -> list[Effect]:
        """Take one WebSocket message from the station.

        Args:
            text: the message as received; bytes (a binary frame) close the connection.

        Returns:
            What the shell must do, in order: answer the station (`Send`), ask the
            channel (`Perform`), arm or disarm the call timer, or `Close`. Bad input
            never raises: it becomes a CALLERROR or, past the budget, a close.
        """
        if not isinstance(text, str):
            # RFC 6455 7.4.1: 1003 for a data type the endpoint cannot accept.
            self.last_in = ("BINARY", None)
            return [Close(CLOSE_UNSUPPORTED_DATA, "OCPP-J uses text frames only")]
        try:
            frame = frames.parse(text, self.version.codes, self.version.message_types)
        except FrameError as exc:
            self.last_in = ("MALFORMED", None)
            return self._malformed_frame(exc)
        if frame is None:
            self.last_in = ("UNKNOWN", None)
            return []  # unknown message type id: ignored (OCPP-J 4.1.3)
        self._malformed = 0
        kind = type(frame)
        if kind is Call:
            self.last_in = ("CALL", frame.action)
            return self._on_call(frame)
        if kind is SendMessage:
            self.last_in = ("SEND", frame.action)
            return self._on_send(frame)
        if kind is CallResultError:
            self.last_in = ("CALLRESULTERROR", None)
            # The station could not process one of our CALLRESULTs: nothing to redo.
            self.log.warning(
                "station refused a CALLRESULT",
                message_id=frame.unique_id,
                code=clip(frame.code),
                reason=clip(frame.description, 200),
            )
            return []
        action = self._outstanding.action if self._outstanding else None
        if kind is CallResult:
            self.last_in = ("CALLRESULT", action)
            return self._on_result(frame)
        self.last_in = ("CALLERROR", action)
        return self._on_error(frame)

    def _malformed_frame(self, exc: FrameError) -> list[Effect]:
        self._malformed += 1
        description = clip(exc.description, 200)
        self.log.warning(
            "malformed frame", code=exc.code, reason=description, message_id=clip(exc.unique_id)
        )
        effects: list[Effect] = []
        if exc.answered:
            # Only a CALL is answered; a broken frame of unknown type may have been one.
            unique_id = frames.UNKNOWN_ID if exc.unique_id is None else exc.unique_id
            effects.append(_error(unique_id, None, exc.code, description))
        elif self._is_outstanding(exc.unique_id):
            effects += self._finish_outstanding(
                performs.call_failed(
                    self._outstanding.unique_id, self._outstanding.action, exc.code, description
                )
            )
        if self._malformed > self.config.malformed_budget:
            effects.append(Close(CLOSE_PROTOCOL_ERROR, "too many malformed frames"))
        return effects

    def _on_call(self, call: Call) -> list[Effect]:
        action = call.action
        refusal = self._refusal(call)
        payload, tolerance = call.payload, None
        if refusal is None:
            try:
                payload, tolerance = self._valid(
                    self.version.schemas.validate_request, action, call.payload
                )
            except SchemaViolation as exc:
                refusal = exc.code, exc.description
        if refusal is not None:
            code, description = refusal
            description = clip(description, 200)
            self.log.info(
                "call refused",
                action=clip(action),
                message_id=call.unique_id,
                code=code,
                reason=description,
            )
            return [_error(call.unique_id, action, code, description)]
        effects: list[Effect] = [] if tolerance is None else [Tolerated(action, tolerance)]
        if action == HEARTBEAT:
            effects.append(_result(call.unique_id, action, {"currentTime": self.config.clock()}))
            if self.config.forward_heartbeat:
                effects.append(Perform(self._call_data(call.unique_id, action, payload, tolerance)))
            return effects
        data = self._call_data(call.unique_id, action, payload, tolerance)
        self._pending[call.unique_id] = action
        if action == BOOT_NOTIFICATION and self.config.anycable_compat:
            sn = self._serial_number(payload)
            if sn != self.sn:
                self.sn = sn
                effects.append(Resubscribe(sn))
        effects.append(Perform(data, call_id=call.unique_id))
        return effects

    def _call_data(
        self, unique_id: str, action: str, payload: Any, tolerance: performs.Tolerance | None
    ) -> dict[str, Any]:
        return performs.station_call(
            unique_id, action, payload, self.config.granular_actions, tolerance
        )

    def _valid(
        self, validate: Callable[[str, Any], None], action: str, payload: Any
    ) -> tuple[Any, performs.Tolerance | None]:
        """The payload, valid for `action`, repaired where the station's leniency forgives
        a violation (with what was forgiven); SchemaViolation otherwise."""
        if not self.tolerated_rules:  # a strict station, as most are: validation alone
            validate(action, payload)
            return payload, None
        valid, repairs = leniency.repaired(
            lambda p: validate(action, p), payload, self.tolerated_rules
        )
        if not repairs:
            return valid, None
        return valid, performs.Tolerance(payload, [str(r) for r in repairs])

    def _serial_number(self, payload: dict[str, Any]) -> str:
        """AnyCable-Go Pro's `sn`: the meterSerialNumber of a 1.6 boot (the only version it
        serves); the station id when there is none, so no station goes unaddressed."""
        sn = payload.get("meterSerialNumber") if self.version is OCPP16 else None
        return sn if isinstance(sn, str) and sn else self.station_id

    def _on_send(self, message: SendMessage) -> list[Effect]:
        """A SEND (OCPP-J 2.1): performed on the channel, never answered, even when refused."""
        action, version = message.action, self.version
        problem, payload, tolerance = None, message.payload, None
        if action not in version.send_actions:
            problem = f"{action} is not sent as a SEND by a charging station"
        elif self.boot_state in (BootState.PENDING, BootState.REJECTED):
            problem = f"BootNotification is {self.boot_state.value}"
        else:
            try:
                payload, tolerance = self._valid(version.schemas.validate_request, action, payload)
            except SchemaViolation as exc:
                problem = exc.description
        if problem is not None:
            self.log.info(
                "send dropped",
                action=clip(action),
                message_id=message.unique_id,
                reason=clip(problem, 200),
            )
            return []
        perform = Perform(self._call_data(message.unique_id, action, payload, tolerance))
        return [perform] if tolerance is None else [Tolerated(action, tolerance), perform]

    def _refusal(self, call: Call) -> tuple[str, str] | None:
        """The CALLERROR (code, description) a CALL gets before its schema is checked."""
        action, version = call.action, self.version
        if not version.is_known_action(action):
            return errors.NOT_IMPLEMENTED, f"unknown action {action!r}"
        if action in version.send_actions:
            return errors.NOT_SUPPORTED, f"{action} is sent as a SEND, not a CALL"
        if action not in version.charger_actions:
            return errors.NOT_SUPPORTED, f"{action} is not sent by a charging station"
        if call.unique_id in self._pending:
            return (
                version.codes.framework_error,
                "a CALL with this message id is already being processed",
            )
        if action != BOOT_NOTIFICATION and not self._admitted(action):
            # Errata 3.8, B02.FR.09, B03.FR.07: until a boot is Accepted, other CALLs get
            # SecurityError (Heartbeat too: answering it here would not make it allowed).
            return errors.SECURITY_ERROR, f"BootNotification is {self.boot_state.value}"
        return None  # the schema is checked next, with the station's leniency

    def _admitted(self, action: str) -> bool:
        """Whether the station may send `action` (not a BootNotification) as its boot was
        answered: anything once Accepted; while Pending, what it accepted our command
        asking for (TriggerMessage, GetBaseReport, GetReport); while Rejected, nothing."""
        state = self.boot_state
        if state is BootState.ACCEPTED or state is BootState.UNKNOWN:
            return True
        return state is BootState.PENDING and action in (self._triggered or ())

    def _boot_answered(self, status: str) -> None:
        self.boot_state = BootState(status)
        self._triggered = None  # a new boot: what an earlier one was asked for is done

    # --- the application's answers ----------------------------------------

    def perform_finished(
        self, call_id: str, succeeded: bool, sent: Iterable[str] = ()
    ) -> list[Effect]:
        """The RPC for charger CALL `call_id` finished (or failed: succeeded=False)."""
        effects = self.apply_transmissions(sent)
        action = self._pending.pop(call_id, None)
        if action is None:
            return effects  # answered by one of the transmissions
        if not succeeded:
            # Never a default ack: the charger keeps its message and retries.
            effects.append(
                _error(
                    call_id,
                    action,
                    errors.INTERNAL_ERROR,
                    f"the application could not process {action}",
                )
            )
            return effects
        effects.append(self._default_response(call_id, action))
        return effects

    def _default_response(self, call_id: str, action: str) -> Effect:
        if action == BOOT_NOTIFICATION:
            self._boot_answered(BootState.ACCEPTED)
            payload = {
                "status": "Accepted",
                "currentTime": self.config.clock(),
                "interval": self.config.heartbeat_interval,
            }
            return _result(call_id, action, payload)
        if self.config.anycable_compat and action in COMPAT_ACCEPTED:
            return _result(call_id, action, ACCEPTED)
        if self.version.schemas.empty_response_valid(action):
            return _result(call_id, action, {})
        self.log.error("no response from the application", action=action, message_id=call_id)
        return _error(
            call_id, action, errors.INTERNAL_ERROR, f"the application sent no response to {action}"
        )

    def apply_transmissions(self, sent: Iterable[str]) -> list[Effect]:
        """Turn transmissions (from an RPC response or a broadcast) into effects."""
        effects: list[Effect] = []
        for raw in sent:
            try:
                message = transmissions.decode_transmission(raw)
            except transmissions.Malformed as exc:
                self.log.error(str(exc), transmission=raw[:200])
                continue
            match message:
                case transmissions.Ack(unique_id, payload):
                    effects += self._answer_ack(unique_id, payload)
                case transmissions.Error():
                    effects += self._answer_error(message)
                case transmissions.Call(action, unique_id, payload):
                    effects += self._enqueue_call(action, unique_id, payload)
                case transmissions.Control():
                    pass  # Action Cable's own messages (welcome, confirmations): not OCPP
        return effects

    def _answer_ack(self, unique_id: Any, payload: Any) -> list[Effect]:
        action = self._pending.pop(unique_id, None) if isinstance(unique_id, str) else None
        if action is None:
            self.log.warning("ack for no pending call dropped", message_id=unique_id)
            return []
        payload = {} if payload is None else payload
        if action == BOOT_NOTIFICATION and isinstance(payload, dict):
            # As AnyCable does, a boot ack may leave time and interval to the gateway.
            payload = {
                "currentTime": self.config.clock(),
                "interval": self.config.heartbeat_interval,
                **payload,
            }
        try:
            self.version.schemas.validate_response(action, payload)
        except SchemaViolation as exc:
            self.log.error(
                "application response is invalid",
                action=action,
                message_id=unique_id,
                reason=exc.description,
            )
            return [
                _error(
                    unique_id,
                    action,
                    errors.INTERNAL_ERROR,
                    f"the application's {action} response is invalid",
                )
            ]
        if action == BOOT_NOTIFICATION:
            self._boot_answered(payload["status"])
        return [_result(unique_id, action, payload)]

    def _answer_error(self, message: transmissions.Error) -> list[Effect]:
        unique_id = message.id
        action = self._pending.pop(unique_id, None) if isinstance(unique_id, str) else None
        if action is None:
            self.log.warning("error for no pending call dropped", message_id=unique_id)
            return []
        code = self.version.codes.spelled(message.code)
        if code != message.code:
            self.log.warning("error code respelled", code=message.code, sent=code)
        description = message.message if isinstance(message.message, str) else ""
        return [_error(unique_id, action, code, description, message.details)]

    # --- our CALLs to the charger -----------------------------------------

    def _enqueue_call(self, action: Any, unique_id: Any, payload: Any) -> list[Effect]:
        if unique_id is None:
            unique_id = uuid.uuid4().hex
        if self._outstanding is not None and self.queued >= self.config.queue_limit:
            # Refused before any parsing: a flood of commands costs little. The shell
            # logs these, a burst at a time.
            report = performs.call_failed(
                unique_id,
                action,
                errors.QUEUE_FULL,
                f"{self.config.queue_limit} calls already wait for this station",
            )
            return [Perform(report, reply=True, droppable=True)]
        payload = {} if payload is None else payload
        problem = self._call_problem(action, unique_id, payload)
        if problem is not None:
            code, description = problem
            self.log.error(
                "call not sent",
                action=clip(action),
                message_id=clip(unique_id),
                reason=clip(description, 200),
            )
            return [Perform(performs.call_failed(unique_id, action, code, description), reply=True)]
        text = frames.encode_call(unique_id, action, payload)
        call = OutgoingCall(unique_id, action, text, payload)
        if self._outstanding is None:
            return self._start(call)
        if self._queue is None:
            self._queue = deque()
        self._queue.append(call)
        return []

    def _call_problem(self, action: Any, unique_id: Any, payload: Any) -> tuple[str, str] | None:
        version = self.version
        if not isinstance(action, str) or not version.is_known_action(action):
            return errors.NOT_IMPLEMENTED, f"unknown action {action!r} in OCPP {version.name}"
        if action not in version.central_actions:
            return errors.NOT_SUPPORTED, f"{action} is not sent by a central system"
        if not frames.valid_unique_id(unique_id):
            return (
                version.codes.framework_error,
                "the message id must be a string of 1 to 36 characters",
            )
        try:
            version.schemas.validate_request(action, payload)
        except SchemaViolation as exc:
            return exc.code, exc.description
        return None

    def _start(self, call: OutgoingCall) -> list[Effect]:
        self._outstanding = call
        return [Send(call.text, "CALL", call.action), ArmCallTimer(call.unique_id)]

    def _send_next(self) -> list[Effect]:
        if self._queue:
            return self._start(self._queue.popleft())
        return []

    def _is_outstanding(self, unique_id: str | None) -> bool:
        return self._outstanding is not None and self._outstanding.unique_id == unique_id

    def _finish_outstanding(self, data: dict[str, Any]) -> list[Effect]:
        self._outstanding = None
        return [DisarmCallTimer(), Perform(data, reply=True), *self._send_next()]

    def _on_result(self, result: CallResult) -> list[Effect]:
        call = self._outstanding
        if call is None or call.unique_id != result.unique_id:
            self.log.warning("unmatched CALLRESULT dropped", message_id=result.unique_id)
            return []
        try:
            payload, tolerance = self._valid(
                self.version.schemas.validate_response, call.action, result.payload
            )
        except SchemaViolation as exc:
            description = clip(exc.description, 200)
            self.log.warning("invalid CALLRESULT", action=call.action, reason=description)
            effects: list[Effect] = []
            if frames.CALLRESULTERROR in self.version.message_types:
                # OCPP-J 2.1 4.2.4: the station learns that its answer was not taken.
                text = frames.encode_error(
                    call.unique_id, exc.code, description, None, frames.CALLRESULTERROR
                )
                effects.append(Send(text, "CALLRESULTERROR", call.action))
            return effects + self._finish_outstanding(
                performs.call_failed(call.unique_id, call.action, exc.code, description)
            )
        if self.boot_state is not BootState.ACCEPTED:
            self._note_triggered(call, payload)
        done = self._finish_outstanding(
            performs.station_answer(call.unique_id, call.action, payload, tolerance)
        )
        return done if tolerance is None else [Tolerated(call.action, tolerance), *done]

    def _note_triggered(self, call: OutgoingCall, answer: Any) -> None:
        """The station accepted our `call`: what it asked for may come even while Pending
        (it answers first, then sends it: F06.FR.05)."""
        sent = triggers.triggered(call.action, call.payload, answer)
        if sent:
            if self._triggered is None:
                self._triggered = set()
            self._triggered |= sent

    def _on_error(self, error: CallError) -> list[Effect]:
        call = self._outstanding
        if call is None or call.unique_id != error.unique_id:
            self.log.warning("unmatched CALLERROR dropped", message_id=error.unique_id)
            return []
        return self._finish_outstanding(
            performs.call_failed(
                call.unique_id, call.action, error.code, error.description, error.details
            )
        )

    def call_timed_out(self, unique_id: str) -> list[Effect]:
        """The call timer armed for our CALL `unique_id` fired.

        Returns:
            The `error` perform (Timeout) for the channel and the next queued CALL;
            nothing if the station answered meanwhile.
        """
        call = self._outstanding
        if call is None or call.unique_id != unique_id:
            return []  # answered meanwhile
        self.log.warning("call timed out", action=call.action, message_id=unique_id)
        self._outstanding = None
        description = f"no answer within {self.config.call_timeout:g} s"
        data = performs.call_failed(call.unique_id, call.action, errors.TIMEOUT, description)
        return [Perform(data, reply=True), *self._send_next()]

    def connection_lost(self) -> list[Effect]:
        """The socket closed: every CALL of ours still open ends in `error` NotConnected."""
        calls = [self._outstanding] if self._outstanding else []
        calls += self._queue or ()
        self._outstanding, self._queue = None, None
        self._pending.clear()
        return [
            Perform(
                performs.call_failed(
                    c.unique_id, c.action, errors.NOT_CONNECTED, "the station disconnected"
                ),
                reply=True,
            )
            for c in calls
        ]
