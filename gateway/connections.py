"""websockets' server connection, with a deadline of its own for the handshake's request.

A handshake may wait long for its Connect (the handshake queue in a reconnect storm:
--handshake-timeout), but a client that opens a connection and sends nothing gets no
more time than websockets gave every handshake before: idle sockets must not be
cheaper to hold open because storms are tolerated.
"""

from __future__ import annotations

import asyncio

from websockets.asyncio.server import ServerConnection

# Seconds from the connection (after TLS) to its handshake request: websockets' own
# open_timeout, which bounded the whole handshake before --handshake-timeout.
REQUEST_TIMEOUT = 10.0


class ChargerConnection(ServerConnection):
    """A server connection dropped when its handshake request is late."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.loop.call_later(REQUEST_TIMEOUT, self._request_late)

    def _request_late(self) -> None:
        if not self.request_rcvd.done():
            self.transport.abort()
