"""rpc_app: the channel framework served over AnyCable's RPC contract."""

from rpc_app.broadcasting import abroadcast, broadcast
from rpc_app.channel import Channel
from rpc_app.connection import Connection
from rpc_app.env import RequestEnv
from rpc_app.errors import Rejected

__all__ = ["Channel", "Connection", "Rejected", "RequestEnv", "abroadcast", "broadcast"]
