"""The operators' dashboard and the public station pages, served beside the HTTP API.

`router` holds every route; the app includes it (`app.include_router(dashboard.router)`):

- `GET /`: the dashboard, one page; its views and the login run in the browser
  (static/dashboard/), against /api/v1 and the live streams of /cable;
- `GET /dashboard/config.json`: where the page finds the API and /cable;
- `GET /static/...`: its scripts and styles, and the vendored libraries (static/vendor/);
- `GET /s/{station_id}`: a station's public page, for the QR code on the charger.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from ocpp_cable.channels.operators.dashboard import landing

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
INDEX = HERE / "index.html"
API = "/api/v1"

router = APIRouter(include_in_schema=False)
# StaticFiles as a plain responder: a route is carried by include_router, a Mount is not.
_static = StaticFiles(directory=STATIC)

# The page runs only its own scripts (no inline code), so text a station sent can never
# become script; the API and /cable are the only places it talks to.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def cable_url(request: Request) -> str:
    """The URL of /cable the browser connects to: the setting, else the gateway's port on
    the host the page came from."""
    settings = request.app.state.settings
    if settings.cable_url:
        return settings.cable_url
    host = request.url.hostname or "127.0.0.1"
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    scheme = "wss" if request.url.scheme == "https" else "ws"
    port = getattr(settings, "port", 9000)  # `up` knows the gateway's port; `api` alone does not
    return f"{scheme}://{host}:{port}{settings.cable_path}"


def _origin(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{rest.split('/', 1)[0]}"


@router.get("/")
def dashboard(request: Request) -> Response:
    policy = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; object-src 'none'; "
        f"base-uri 'none'; frame-ancestors 'none'; connect-src 'self' {_origin(cable_url(request))}"
    )
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": policy, "Cache-Control": "no-cache"}
    return HTMLResponse(INDEX.read_text(), headers=headers)


@router.get("/dashboard/config.json")
def config(request: Request) -> JSONResponse:
    return JSONResponse(
        {"cable_url": cable_url(request), "api": API}, headers={"Cache-Control": "no-cache"}
    )


@router.get("/static/{path:path}")
async def static(path: str, request: Request) -> Response:
    response = await _static.get_response(path, request.scope)
    response.headers.update(SECURITY_HEADERS)
    return response


@router.get("/s/{station_id}")
def station_page(station_id: str, request: Request) -> Response:
    """Public: no login. Runs in a worker thread (the database read blocks)."""
    settings = request.app.state.settings
    if settings.public_url:
        url = f"{settings.public_url}/s/{landing.quote_id(station_id)}"
    else:
        url = str(request.url.replace(query="", fragment=""))
    status, body = landing.render(settings.database_url, station_id, url)
    # no-store: without --public-url the QR code holds the Host this request named, which
    # a shared cache must not hand to others.
    headers = {
        **SECURITY_HEADERS,
        "Content-Security-Policy": landing.POLICY,
        "Cache-Control": "no-store",
    }
    return HTMLResponse(body, status_code=status, headers=headers)
