"""One browser connection: the asyncio shell around its `CableSession`.

Commands run one at a time, in the order the browser sent them (as anycable-go
does). What goes to the browser is written at once while its connection's write
buffer is below websockets' write limit (a broadcast to thousands of browsers is
then one frame written to each, no task switch per browser); past that limit it
waits in a bounded outbox that one writer task drains as the buffer drains, and a
browser whose outbox fills up is dropped as too slow, so it never holds up a
broadcast or a charger.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from dataclasses import dataclass

import structlog
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from ocpp_cable.gateway.cable.session import (
    CLOSE_GOING_AWAY,
    CableSession,
    Close,
    Effect,
    Outgoing,
    RPCCommand,
    Send,
    outgoing,
)
from ocpp_cable.gateway.contexts import BrowserContext
from ocpp_cable.gateway.rpc import Env, RPCError, Status
from ocpp_cable.gateway.tasks import Finished

CLOSE_TRY_AGAIN_LATER = 1013


@dataclass(slots=True)
class BrowserAdmission:
    """What Connect decided for one browser: served (`accepted`) or told why not."""

    sid: str
    accepted: bool
    identifiers: str
    env: Env
    transmissions: list[str]


class CableSubscription:
    """One confirmed subscription as the stream hub sees it: a listener that wraps each
    broadcast with its identifier."""

    __slots__ = ("identifier", "socket")

    def __init__(self, socket: CableSocket, identifier: str) -> None:
        self.socket = socket
        self.identifier = identifier

    def deliver(self, data: str) -> None:
        self.socket.push(self.socket.context.frames.frame(self.identifier, data))


class CableSocket:
    """The asyncio shell around one browser's WebSocket and its Action Cable session."""

    def __init__(self, ws: ServerConnection, admission: BrowserAdmission, context: BrowserContext):
        self.ws = ws
        self.context = context
        self.sid = admission.sid
        self.identifiers = admission.identifiers
        self.env = admission.env
        self.log = structlog.get_logger("gateway.cable").bind(sid=self.sid)
        self.session = CableSession(context.cable_config, self.log)
        self._welcome = admission.transmissions
        self._listeners: dict[str, CableSubscription] = {}
        self._istates: dict[str, dict[str, str]] = {}
        self._outbox: deque[str | Outgoing] = deque()
        self._limit = context.send_queue
        # Bytes the connection may hold unsent before frames wait in the outbox instead;
        # None: every frame goes through websockets' send (a connection with extensions,
        # whose frames are its own, or no transport at all).
        transport = ws.transport
        plain = transport is not None and not ws.protocol.extensions
        self._write_limit = transport.get_write_buffer_limits()[1] if plain else None
        self._wake = asyncio.Event()
        self._drained = asyncio.Event()
        self._drained.set()
        self._writer: asyncio.Task[None] | None = None
        self.finished = Finished()

    # --- life ------------------------------------------------------------------

    async def run(self) -> None:
        self._writer = asyncio.create_task(self._write(), name=f"cable-writer-{self.sid}")
        try:
            await self.execute(self.session.opened(self._welcome))
            self.log.info("browser connected")
            async for message in self.ws:
                await self.execute(self.session.receive(message))
        except ConnectionClosed:
            pass
        finally:
            await self._teardown()

    async def _teardown(self) -> None:
        hub = self.context.hub
        for listener in self._listeners.values():
            hub.remove(listener)
        self._writer.cancel()
        await asyncio.wait([self._writer])
        if not self._writer.cancelled() and self._writer.exception() is not None:
            self.log.error("browser writer failed", exc_info=self._writer.exception())
        subscriptions = sorted(self.session.subscriptions)
        await self.context.disconnects.deliver(self._disconnect(subscriptions), self.log)
        self.context.forget(self)
        self.log.info("browser disconnected", code=self.ws.close_code)
        self.finished.set()

    def _disconnect(self, subscriptions: list[str]):
        async def deliver(within: float | None) -> None:
            result = await self.context.rpc.disconnect(
                self.sid, self.identifiers, subscriptions, self.env, within, self._istates
            )
            if result.status is not Status.SUCCESS:
                self.log.error("disconnect failed", error=result.error)

        return deliver

    async def close(self, reason: str, reconnect: bool) -> None:
        """Say goodbye the Action Cable way (`disconnect` with `reason`), then close: the
        node is going away."""
        await self.execute(self.session.disconnect(reason, reconnect, CLOSE_GOING_AWAY))
        await self.finished.wait()

    async def end(self, reason: str, reconnect: bool) -> None:
        """Say goodbye (`disconnect` with `reason`) and close, as asked from afar."""
        if not self.session.ended:
            await self.execute(self.session.disconnect(reason, reconnect))

    # --- what goes out ------------------------------------------------------------

    def push(self, frame: str | Outgoing) -> None:
        """Send a text message to the browser, at once or after those waiting; a browser
        too slow to take its frames is dropped."""
        if self._writer is not None and self._writer.done():
            return  # the connection is over: nothing goes out any more
        if not self._outbox and self._write_now(frame):
            return
        if len(self._outbox) >= self._limit:
            if self.ws.transport is not None and not self.ws.transport.is_closing():
                self.log.warning("browser too slow: dropped", queued=len(self._outbox))
                self.context.metrics.browsers_dropped.inc()
                self._outbox.clear()
                self.ws.transport.abort()
            return
        self._outbox.append(frame)
        self._drained.clear()
        self._wake.set()

    def _write_now(self, frame: str | Outgoing) -> bool:
        """Write `frame`'s WebSocket frame to the connection now, unless its buffer is past
        the write limit: then False, and the frame waits for the writer, whose `send`
        waits for the buffer to drain. A whole frame is written at a time, in the loop's
        thread, as websockets writes its own (pings, the close frame): frames never
        interleave, and once the close is under way nothing more goes out."""
        limit, transport = self._write_limit, self.ws.transport
        if limit is None or transport.get_write_buffer_size() > limit:
            return False
        # Aborted (dropped as too slow) before websockets saw it go: uvloop would raise.
        if self.ws.state is State.OPEN and not transport.is_closing():
            transport.write((frame if isinstance(frame, Outgoing) else outgoing(frame)).wire)
        return True

    async def _write(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._outbox:
                try:
                    frame = self._outbox.popleft()
                    payload = frame.payload if isinstance(frame, Outgoing) else frame
                    await self.ws.send(payload, text=True)
                except ConnectionClosed:
                    self._outbox.clear()
                    self._drained.set()
                    return
            self._drained.set()

    async def _flush(self, within: float = 1.0) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self._drained.wait()

    # --- effects ------------------------------------------------------------------

    async def execute(self, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, Send):
                self.push(effect.text)
            elif isinstance(effect, RPCCommand):
                await self._command(effect)
            elif isinstance(effect, Close):
                await self._flush()  # the goodbye goes out before the close frame
                with contextlib.suppress(ConnectionClosed):
                    await self.ws.close(effect.code, effect.reason)

    async def _command(self, command: RPCCommand) -> None:
        identifier = command.identifier
        istate = self._istates.setdefault(identifier, {})
        try:
            result = await self.context.rpc.command(
                self.sid,
                command.command,
                identifier,
                self.identifiers,
                self.env,
                command.data,
                istate=istate,
            )
        except RPCError as exc:
            self.log.error("cable command failed", command=command.command, error=str(exc))
            await self.execute(self.session.command_finished(command, None))
            self._forget_unless_subscribed(identifier)
            return
        succeeded = result.status is Status.SUCCESS
        if not succeeded:
            self.log.info(
                "cable command not successful",
                command=command.command,
                status=result.status.value,
                error=result.error,
            )
        effects = self.session.command_finished(command, succeeded, result.transmissions)
        if identifier in self.session.subscriptions:
            listener = self._listeners.get(identifier)
            if listener is None:
                listener = self._listeners[identifier] = CableSubscription(self, identifier)
            self.context.hub.follow(
                listener, result.stop_streams, result.stopped_streams, result.streams
            )
        self._forget_unless_subscribed(identifier)
        await self.execute(effects)
        if result.disconnect:
            self.log.info("application asked to disconnect")
            await self.execute(self.session.disconnect("remote", reconnect=False))

    def _forget_unless_subscribed(self, identifier: str) -> None:
        """A subscription that is no more (or never was) leaves no listener or state."""
        if identifier in self.session.subscriptions:
            return
        listener = self._listeners.pop(identifier, None)
        if listener is not None:
            self.context.hub.remove(listener)
        self._istates.pop(identifier, None)
