"""rpc_app: the channel framework served over AnyCable's RPC contract."""

import os

# gRPC core logs its reconnect chatter at INFO; keep stderr for what matters.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
from rpc_app.broadcasting import abroadcast, broadcast
from rpc_app.channel import Channel
from rpc_app.connection import Connection
from rpc_app.env import RequestEnv
from rpc_app.errors import Rejected

__all__ = ["Channel", "Connection", "Rejected", "RequestEnv", "abroadcast", "broadcast"]
