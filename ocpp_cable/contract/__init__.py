"""What crosses the wire between the gateway and rpc_app.

Both sides import this package and nothing of each other: the generated RPC
code (`pb`), the env header names, the state maps, the transmissions an
application sends and the performs the gateway makes of a station's frames,
action naming and the OCPP time format. It imports nothing of ocpp-cable.
"""
