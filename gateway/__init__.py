"""The gateway: chargers' WebSockets in, AnyCable RPC out.

`gateway.protocol` is the sans-I/O OCPP-J core; the rest are thin asyncio shells.
"""
