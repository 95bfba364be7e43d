"""OCPP-J 1.6 as plain, synchronously testable code: no sockets, no asyncio."""
