"""rpc_app: the channel framework served over AnyCable's RPC contract."""

import os

# gRPC core logs its reconnect chatter at INFO; keep stderr for what matters.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
from ocpp_cable.rpc_app.broadcasting import abroadcast, broadcast
from ocpp_cable.rpc_app.channel import Channel
from ocpp_cable.rpc_app.connection import Connection
from ocpp_cable.rpc_app.env import RequestEnv
from ocpp_cable.rpc_app.errors import Rejected

__all__ = ["Channel", "Connection", "Rejected", "RequestEnv", "abroadcast", "broadcast"]
