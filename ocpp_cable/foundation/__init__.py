"""What every tier builds on: settings, logging, secret masking, metric label bounds.

It imports nothing of ocpp-cable; the gateway, rpc_app, the application and the
CLI all may import it.
"""
