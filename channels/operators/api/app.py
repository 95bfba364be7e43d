"""The ASGI app: /api/v1 with its OpenAPI document and docs, and the dashboard."""

from __future__ import annotations

import asyncio

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from ocpp_cable.channels.operators import dashboard
from ocpp_cable.channels.operators.api import problems
from ocpp_cable.channels.operators.api.database import no_nul_in_url
from ocpp_cable.channels.operators.api.routes import (
    charging_profiles,
    commands,
    configuration,
    device_model,
    display_messages,
    files,
    firmware_diagnostics,
    id_tags,
    local_lists,
    messages,
    password_rotation,
    reports,
    reservations,
    station_commands,
    stations,
    status,
    tariffs,
    tokens,
    transactions,
)
from ocpp_cable.channels.operators.api.version import package_version
from ocpp_cable.channels.settings import OperatorAPIServerSettings

PREFIX = "/api/v1"
DOCS = "/api/docs"

DESCRIPTION = """\
The reference central system's stations, idTags, transactions, meter values, message
log and commands, for the people who run the network and their scripts.

Authenticate with `Authorization: Bearer <token>`; make a token with
`ocpp-cable tokens add NAME --scope read|write|admin` (read: GET; write: everything but
tokens; admin: everything, tokens too: /tokens, or the dashboard's Tokens view).
Errors are RFC 9457 problem details (`application/problem+json`).
"""


def create_app(settings: OperatorAPIServerSettings) -> FastAPI:
    app = FastAPI(
        title="ocpp-cable",
        version=package_version(),
        description=DESCRIPTION,
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=None,  # served below, from local assets: no CDN
        redoc_url=None,
        dependencies=[Depends(no_nul_in_url)],
        # Every route may refuse a URL holding NUL (no_nul_in_url).
        responses=problems.responses(400),
    )
    app.state.settings = settings
    app.state.stopping = asyncio.Event()  # set by APIServer.stop: waits end at once
    app.state.waiting = 0  # command requests waiting for their answer (routes/commands.py)
    problems.install(app)
    for module in (status, stations, id_tags, transactions, messages, commands, reports):
        app.include_router(module.router, prefix=PREFIX)
    app.include_router(station_commands.router, prefix=PREFIX)  # composed by us, any version
    app.include_router(tariffs.router, prefix=PREFIX)  # what sessions cost
    app.include_router(password_rotation.router, prefix=PREFIX)  # security profiles 1 and 2
    app.include_router(charging_profiles.router, prefix=PREFIX)  # 1.6's Smart Charging
    app.include_router(device_model.router, prefix=PREFIX)  # 2.x's device model
    app.include_router(display_messages.router, prefix=PREFIX)  # 2.x's display messages
    for module in (local_lists, reservations):  # 1.6's Local Auth List and Reservation
        app.include_router(module.router, prefix=PREFIX)
    for module in (configuration, firmware_diagnostics):  # 1.6's Core and Firmware Management
        app.include_router(module.router, prefix=PREFIX)
    app.include_router(tokens.router, prefix=PREFIX)  # who is asking; an admin's tokens
    app.include_router(files.router)  # what stations download and upload, at /files
    app.mount(f"{DOCS}/assets", StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get(DOCS, include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=f"{PREFIX}/openapi.json",
            title="ocpp-cable API",
            swagger_js_url=f"{DOCS}/assets/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS}/assets/swagger-ui.css",
            swagger_favicon_url=f"{DOCS}/assets/favicon-32x32.png",
        )

    app.include_router(dashboard.router)
    app.add_middleware(files.BodyLimitBesideUploads)
    return app
