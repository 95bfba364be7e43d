"""OCPP-J as plain, synchronously testable code: no sockets, no asyncio.

Framing (`frames`), error codes (`errors`), payload schemas (`schemas`) and the
handshake's identity rules (`handshake`). The gateway's session core, the
simulator and the central system's command tools all build on it.
"""
