"""The gateway: chargers' WebSockets in, AnyCable RPC out.

`gateway.ocpp` is the sans-I/O session core (on `ocppj`); the rest are thin asyncio shells.
"""

import os

# gRPC core logs its reconnect chatter at INFO; keep stderr for what matters.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
