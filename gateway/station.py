"""One connected station: the asyncio shell around its `StationSession`.

It reads frames, carries out the session's effects and makes the RPC calls.
Performs run one at a time per station, in arrival order, so the channel sees
a station's messages in the order the station sent them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable

import orjson
import structlog
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from ocpp_cable.contract import performs
from ocpp_cable.contract.state import BOOT_STATE_KEY, TOLERATE_KEY
from ocpp_cable.foundation.throttle import LogThrottle
from ocpp_cable.gateway import replies
from ocpp_cable.gateway.admission import Admission
from ocpp_cable.gateway.contexts import StationContext
from ocpp_cable.gateway.ocpp.session import (
    ArmCallTimer,
    BootState,
    Close,
    DisarmCallTimer,
    Effect,
    Perform,
    Resubscribe,
    Send,
    StationSession,
    Tolerated,
)
from ocpp_cable.gateway.rpc import CommandResult, RPCError, Status
from ocpp_cable.gateway.tasks import Finished, TaskSet
from ocpp_cable.gateway.turns import Turns
from ocpp_cable.ocppj import leniency
from ocpp_cable.ocppj.frames import clip

CLOSE_POLICY = 1008
CLOSE_INTERNAL = 1011


class StationSocket:
    """The asyncio shell around one station's WebSocket and its protocol core.

    It feeds the core (`StationSession`) what arrives (frames, RPC answers,
    broadcasts, timer events) and carries out the effects it returns: frames
    sent, performs made over RPC one at a time in arrival order, the call timer,
    the close. It holds the station's request env and state between calls.
    """

    def __init__(self, ws: ServerConnection, admission: Admission, context: StationContext) -> None:
        self.ws = ws
        self.context = context
        self.station_id = admission.station_id
        self.sid = admission.sid
        self.identifiers = admission.identifiers
        # The request env of every call: url, headers, and the connection's and the
        # channel's state, merged into it as the application changes them. One env
        # for all of it: nothing rebuilt per call, and less memory per idle station.
        self.env = admission.env
        # Wall-clock time: nodes compare it when a station is connected to two of them.
        self.connected_at = time.time()
        self.version = admission.version
        self.subscribed = False
        # Set once the connection is over: a lease renewal no longer names the station.
        self.leaving = False
        self.closing = False  # we sent a close frame: what the peer sends now is ignored
        self.log = structlog.get_logger("gateway").bind(station_id=self.station_id, sid=self.sid)
        self.session = StationSession(
            self.station_id, context.session_config, self.log, self.version
        )
        self.identifier = self._identifier(self.session.sn)
        # AnyCable compatibility: the serial number it is subscribed by, when not its id.
        self.claimed_sn: str | None = None
        self.session.tolerated_rules = self._tolerated_rules()
        self.session.boot_state = self._boot_state()
        self._welcome = admission.transmissions
        # Performs one at a time; the station's own messages before reports about ours.
        self._turns = Turns()
        self._reports_waiting = 0  # droppable reports waiting for their turn
        # Replies to our CALLs being performed or waiting to be (queue_limit at most), each
        # offered for --reply-retry-time; `_replies_stalled`: rpc_app is not taking them
        # (said once in the log).
        self._replies_waiting = 0
        self._replies_stalled = False
        self._replies_in_order = asyncio.Lock()  # its waiters are served first come
        # Lines a burst could repeat (refusals, replies held): made at the first.
        self._throttle: LogThrottle | None = None
        self._leniency_log: LogThrottle | None = None  # made at the first violation forgiven
        self._tasks = TaskSet(self.log)
        self._timer: asyncio.TimerHandle | None = None
        self.finished = Finished()

    def _identifier(self, sn: str) -> str:
        """The subscription's identifier (JSON); with AnyCable compatibility it also names
        the station by its serial number `sn`, as AnyCable-Go Pro's OCPP mode does."""
        settings = self.context.settings
        identifier = {
            "channel": settings.channel_for(self.version.name),
            "station_id": self.station_id,
            # One channel class can serve every version, telling them apart by this.
            "ocpp_version": self.version.name,
        }
        if settings.anycable_compat:
            identifier["sn"] = sn
        return orjson.dumps(identifier).decode()

    def _tolerated_rules(self) -> frozenset[str]:
        """The schema rules the application lets this station break (its Connect set
        them in the connection state); unknown names are ignored."""
        text = self.env.cstate.get(TOLERATE_KEY)
        if not text:
            return frozenset()
        try:
            named = orjson.loads(text)
        except orjson.JSONDecodeError:
            named = None
        rules = leniency.known_rules(named if isinstance(named, list) else ())
        if rules:
            self.log.info("lenient station", tolerated=sorted(rules))
        return rules

    def _boot_state(self) -> BootState:
        """As the application's Connect named the station's registration: Pending or
        Rejected, served as if its boot had been answered so until it boots again;
        otherwise (or anything else) not known, served as before."""
        text = self.env.cstate.get(BOOT_STATE_KEY)
        try:
            named = orjson.loads(text) if text else None
        except orjson.JSONDecodeError:
            named = None
        if named in (BootState.PENDING, BootState.REJECTED):
            self.log.info("station connects with its boot not accepted", boot_state=named)
            return BootState(named)
        return BootState.UNKNOWN

    # --- life ------------------------------------------------------------------

    async def run(self) -> None:
        try:
            if await self._subscribe(admitting=True) is Status.SUCCESS:
                await self.execute(self.session.apply_transmissions(self._welcome))
                frame_received = self.context.metrics.frame_received
                async for message in self.ws:
                    if self.closing:
                        continue  # read on, so the peer's closing handshake is read too
                    effects = self.session.receive(message)
                    frame_received(*self.session.last_in)
                    await self.execute(effects)
        except ConnectionClosed:
            pass
        finally:
            await self._teardown()

    async def _subscribe(
        self, event: str = "station connected", refusable: bool = False, admitting: bool = False
    ) -> Status:
        """Subscribe to the channel and log `event`. Failed, or refused unless `refusable`,
        the connection is closed. `admitting`: the first, which finishes the station's
        admission: it takes a handshake's RPC slot, queued as long as a handshake may be."""
        admitting_until = None
        if admitting:
            loop = asyncio.get_running_loop()
            admitting_until = loop.time() + self.context.settings.handshake_timeout
        try:
            result = await self.context.rpc.command(
                self.sid,
                "subscribe",
                self.identifier,
                self.identifiers,
                self.env,
                admitting_until=admitting_until,
            )
        except RPCError as exc:
            self.log.error("subscribe failed", error=str(exc))
            await self.ws.close(CLOSE_INTERNAL, "application unavailable")
            return Status.ERROR
        if result.status is not Status.SUCCESS:
            if refusable and result.status is Status.FAILURE:
                return result.status
            self.log.warning("subscription rejected", error=result.error)
            code = CLOSE_POLICY if result.status is Status.FAILURE else CLOSE_INTERNAL
            await self.ws.close(code, "subscription rejected")
            return result.status
        self.subscribed = True
        self.log.info(event)
        await self._apply_command_result(result)
        return Status.SUCCESS

    async def _resubscribe(self, sn: str) -> None:
        """AnyCable compatibility: the boot named a new serial number. Subscribe by it
        instead, in the station's turn: the boot's perform comes after.

        `sn` is only what the station claims. One that is another station's id would
        share that station's stream (its id is its `sn` until it boots): refused here
        when this node holds that station, and by the application when it rejects the
        subscription (it knows every station). Either way the station is served by its
        own id, as a station whose boot names no serial number is.
        """
        await self._turns.acquire(first=True)
        try:
            if sn != self.station_id and sn in self.context.stations:
                self.log.warning(
                    "serial number refused: it is another station's id", sn=clip(sn), by="gateway"
                )
                return
            await self._go_by(sn)
        finally:
            self._turns.release()

    async def give_back_claim(self) -> None:
        """The station whose id this one goes by as `sn` connected to this node: go by
        our own id again."""
        await self._turns.acquire(first=True)
        try:
            if self.claimed_sn is not None and self.ws.state is State.OPEN:
                self.log.warning(
                    "serial number given up: its station connected", sn=clip(self.claimed_sn)
                )
                await self._go_by(self.station_id)
        finally:
            self._turns.release()

    async def _go_by(self, sn: str) -> None:
        """Unsubscribe, then subscribe by serial number `sn` (its own id, or one claimed);
        a claim the application refuses leaves it subscribed by its own id."""
        if self.subscribed:
            try:
                result = await self.context.rpc.command(
                    self.sid, "unsubscribe", self.identifier, self.identifiers, self.env
                )
                if result.status is not Status.SUCCESS:
                    self.log.error("unsubscribe failed", error=result.error)
                await self._apply_command_result(result)
            except RPCError as exc:
                self.log.error("unsubscribe failed", error=str(exc))
            self.subscribed = False
        self.env.istate.clear()  # a new subscription starts with no channel state
        self.identifier = self._identifier(sn)
        self.context.hub.follow(self, True, (), ())  # its streams go with the old one
        self.log.info("serial number changed", sn=clip(sn))
        claimed = sn != self.station_id
        status = await self._subscribe("resubscribed", refusable=claimed)
        if status is Status.SUCCESS:
            self.context.stations.claim(self, sn if claimed else None)
        elif claimed and status is Status.FAILURE:
            self.log.warning("serial number refused by the application", sn=clip(sn))
            self.context.stations.claim(self, None)
            self.identifier = self._identifier(self.station_id)
            await self._subscribe("resubscribed")

    async def _teardown(self) -> None:
        self.leaving = True
        self._disarm()
        # Let performs already under way finish, then end our CALLs still open.
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=self.context.settings.rpc_timeout * 2)
        if self.subscribed:
            for effect in self.session.connection_lost():
                if isinstance(effect, Perform):
                    await self._perform(effect)
        self.context.hub.remove(self)
        await self.context.disconnects.deliver(self._disconnect, self.log)
        self.context.stations.forget(self)
        self.log.info("station disconnected", code=self.ws.close_code)
        self.finished.set()

    async def _disconnect(self, within: float | None) -> None:
        """One Disconnect call (the node's queue makes it, and retries an RPCError)."""
        subscriptions = [self.identifier] if self.subscribed else []
        result = await self.context.rpc.disconnect(
            self.sid, self.identifiers, subscriptions, self.env, within
        )
        if result.status is not Status.SUCCESS:
            self.log.error("disconnect failed", error=result.error)

    async def close(self, code: int, reason: str, grace: float | None = None) -> None:
        """Close the connection and wait until its Disconnect was delivered.

        With `grace`, a peer that has not finished the closing handshake by then is
        dropped: a connection replaced by a newer one owes us none, and the newer one
        must not wait for the close timeout of a half-dead peer.
        """
        try:
            async with asyncio.timeout(grace):
                with contextlib.suppress(ConnectionClosed):
                    await self.ws.close(code, reason)
        except TimeoutError:
            self.log.info("dropped without a closing handshake", reason=reason)
            self.ws.transport.abort()
        await self.finished.wait()

    # --- effects -------------------------------------------------------------------

    async def execute(self, effects: list[Effect]) -> None:
        for effect in effects:
            kind = type(effect)
            if kind is Send:
                if self.ws.state is not State.OPEN:
                    # Closing: nothing more goes out. (websockets' send would wait for
                    # the close to finish, and the read loop must not wait on that.)
                    return
                try:
                    await self.ws.send(effect.text)
                except ConnectionClosed:
                    return
                self.context.metrics.frame_sent(effect.kind, effect.action)
            elif kind is Perform:
                if effect.droppable:
                    self._report(effect)
                else:
                    self._tasks.spawn(self._perform(effect))
            elif kind is Tolerated:
                self._tolerated(effect)
            elif kind is Resubscribe:
                self._tasks.spawn(self._resubscribe(effect.sn))
            elif kind is ArmCallTimer:
                self._disarm()
                loop = asyncio.get_running_loop()
                self._timer = loop.call_later(
                    self.session.config.call_timeout, self._timed_out, effect.unique_id
                )
            elif kind is DisarmCallTimer:
                self._disarm()
            elif kind is Close:
                self.log.warning("closing", code=effect.code, reason=effect.reason)
                # Not awaited here: the read loop must go on consuming what the peer
                # still sends, or its close frame would never be read.
                self.closing = True
                self._tasks.spawn(self.ws.close(effect.code, effect.reason))

    def _report(self, effect: Perform) -> None:
        """A refusal report: performed while few wait, else dropped and counted."""
        held_back = self._throttled("queue full")
        if held_back is not None:
            self.log.error(
                "calls refused: queue full",
                limit=self.session.config.queue_limit,
                since_last=held_back,
            )
        if self._reports_waiting >= self.session.config.queue_limit:
            self.context.metrics.calls_unreported.inc()
            return
        self._reports_waiting += 1
        self._tasks.spawn(self._perform(effect))

    def _tolerated(self, effect: Tolerated) -> None:
        """Count what the station's leniency forgave; log it, a line per burst."""
        repairs = effect.tolerance.repairs
        for repair in repairs:
            self.context.metrics.violations_tolerated.labels(repair.split(" ", 1)[0]).inc()
        if self._leniency_log is None:
            self._leniency_log = LogThrottle(interval=60.0)
        held_back = self._leniency_log.allow("tolerated")
        if held_back is not None:
            self.log.warning(
                "violations tolerated",
                action=effect.action,
                repairs=[clip(r, 100) for r in repairs[:5]],
                since_last=held_back,
            )

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _timed_out(self, unique_id: str) -> None:
        self._timer = None
        effects = self.session.call_timed_out(unique_id)
        if effects:
            self.context.metrics.call_timeouts.inc()
            self._tasks.spawn(self.execute(effects))

    def deliver(self, data: str) -> None:
        """A broadcast for one of our streams (called by the hub)."""
        effects = self.session.apply_transmissions((data,))
        if effects:
            self._tasks.spawn(self.execute(effects))

    # --- RPC -----------------------------------------------------------------------

    async def _perform(self, effect: Perform) -> None:
        data = performs.encode_perform(effect.data)
        # A reply to our CALL is offered to rpc_app until this long after it arrived
        # (None: any other perform, tried once).
        reply_until = None
        if effect.reply and not effect.droppable:
            if not self._hold_reply(effect):
                return
            reply_until = asyncio.get_running_loop().time() + self.context.settings.reply_retry_time
        try:
            try:
                if reply_until is None:
                    result = await self._once(data, effect)
                else:
                    result = await self._offer(data, effect, reply_until)
            except RPCError as exc:
                # No turn is held here: each try gave its turn back when it failed.
                self.log.error(
                    "perform failed",
                    action=effect.data.get("action"),
                    error=str(exc),
                    message_id=effect.data.get("id"),
                )
                if reply_until is not None:
                    self.context.metrics.replies_lost.inc()
                if effect.call_id is not None:
                    await self._turns.acquire(first=True)
                    try:
                        await self.execute(self.session.perform_finished(effect.call_id, False))
                    finally:
                        self._turns.release()
                return
            try:  # the turn is ours: the result applies in order
                succeeded = result.status is Status.SUCCESS
                if not succeeded:
                    self.log.error(
                        "perform not successful",
                        action=effect.data.get("action"),
                        status=result.status.value,
                        error=result.error,
                        message_id=effect.data.get("id"),
                    )
                if effect.call_id is not None:
                    effects = self.session.perform_finished(
                        effect.call_id, succeeded, result.transmissions
                    )
                else:
                    effects = self.session.apply_transmissions(result.transmissions)
                await self._apply_command_result(result, effects)
            finally:
                self._turns.release()
        finally:
            if reply_until is not None:
                self._replies_waiting -= 1

    async def _turn_and_call(
        self, data: str, first: bool, counted_out: bool = False
    ) -> CommandResult:
        """The RPC in the station's turn; on success the turn is still ours, on failure
        it is given back. `counted_out`: a report leaves the waiting count with its turn."""
        await self._turns.acquire(first=first)
        if counted_out:
            self._reports_waiting -= 1
        try:
            return await self.context.rpc.command(
                self.sid, "message", self.identifier, self.identifiers, self.env, data
            )
        except BaseException:
            self._turns.release()
            raise

    async def _once(self, data: str, effect: Perform) -> CommandResult:
        """A perform tried once (the station's CALL: a failure is its CALLERROR)."""
        return await self._turn_and_call(data, not effect.reply, effect.droppable)

    def _hold_reply(self, effect: Perform) -> bool:
        """Count a reply in; False (dropped, counted) when queue_limit of this station's
        already wait (rpc_app is not taking them): its command is then given up by the
        application, and the gateway holds no more than that."""
        if self._replies_waiting >= self.session.config.queue_limit:
            self.context.metrics.replies_lost.inc()
            self._log_replies("reply dropped: too many wait for the application", effect)
            return False
        self._replies_waiting += 1
        return True

    async def _offer(self, data: str, reply: Perform, until: float) -> CommandResult:
        """A reply's RPC, tried again while rpc_app cannot take it, until `until` or the
        end of the node's drain (gateway/replies.py). Between tries the turn is given
        back, so the station's own CALLs are answered meanwhile (a CALLERROR while
        rpc_app is away); the replies go one after another, in the order they came.
        Returns holding the turn."""

        def attempt() -> Awaitable[CommandResult]:
            return self._turn_and_call(data, first=False)

        def deadline() -> float:
            drain = self.context.drain_deadline()
            return until if drain is None else min(until, drain)

        def retrying(exc: RPCError) -> None:
            if not self._replies_stalled:
                self._replies_stalled = True
                self._log_replies("reply held: the application cannot take it", reply, exc)

        async with self._replies_in_order:
            try:
                return await replies.offer(attempt, deadline, retrying)
            finally:
                self._replies_stalled = False

    def _throttled(self, kind: str) -> int | None:
        if self._throttle is None:
            self._throttle = LogThrottle(interval=10.0)
        return self._throttle.allow(kind)

    def _log_replies(self, event: str, effect: Perform, exc: RPCError | None = None) -> None:
        held_back = self._throttled(event)
        if held_back is not None:
            self.log.warning(
                event,
                action=effect.data.get("action"),
                message_id=effect.data.get("id"),
                error=None if exc is None else str(exc),
                waiting=self._replies_waiting,
                since_last=held_back,
            )

    async def _apply_command_result(
        self, result: CommandResult, effects: list[Effect] | None = None
    ) -> None:
        self.context.hub.follow(self, result.stop_streams, result.stopped_streams, result.streams)
        if effects is None:
            effects = self.session.apply_transmissions(result.transmissions)
        await self.execute(effects)
        if result.disconnect:
            self.log.info("application asked to disconnect")
            await self.ws.close(1000, "disconnected by the application")
