"""ocpp-cable: OCPP-J chargers served by Python channel classes over AnyCable RPC."""

__version__ = "0.1.0"
