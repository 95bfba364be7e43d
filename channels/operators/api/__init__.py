"""The operators' HTTP API (`/api/v1`): the reference central system's data and commands.

`create_app(settings)` builds the ASGI app (FastAPI): the API, its OpenAPI
document and interactive docs, and the dashboard. `serve` runs it with Hypercorn
inside the caller's event loop (`ocpp-cable api`, and `up` beside the gateway).
"""

from ocpp_cable.channels.operators.api.app import create_app
from ocpp_cable.channels.operators.api.server import APIServer, serve

__all__ = ["APIServer", "create_app", "serve"]
