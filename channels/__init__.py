"""The application: channel classes served by rpc_app.

rpc_app finds every Channel subclass in this package (and at most one
Connection subclass); `--channels-module` points it at another package.
"""

from channels.ocpp_channel import OCPPChannel

__all__ = ["OCPPChannel"]
