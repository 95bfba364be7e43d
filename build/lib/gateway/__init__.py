"""The gateway: chargers' WebSockets in, AnyCable RPC out.

`gateway.protocol` is the sans-I/O OCPP-J core; the rest are thin asyncio shells.
"""

import os

# gRPC core logs its reconnect chatter at INFO; keep stderr for what matters.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
