"""A station's public page (`/s/<station_id>`): is it online, which connectors are free.

Drivers reach it through the QR code on the charger, without logging in, so it shows
only what the charger itself shows: no idTags, no transactions. Everything the
station sent (vendor, model, error codes) is escaped: it may be hostile.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import quote

import segno
from sqlalchemy import select

from ocpp_cable.channels.domain import presence
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import ChargePoint, Connector
from ocpp_cable.contract.timestamps import utc_text

# The page is markup and one stylesheet: no script may run on it.
POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
REFRESH_SECONDS = 30  # a driver standing at the charger sees a connector come free
# OCPP 1.6 ChargePointStatus values, as CSS classes; anything else gets none.
STATUSES = {
    "Available", "Preparing", "Charging", "SuspendedEVSE", "SuspendedEV", "Finishing",
    "Reserved", "Unavailable", "Faulted",
}  # fmt: skip


@dataclass(frozen=True)
class ConnectorView:
    evse_id: int
    connector_id: int
    status: str
    error_code: str | None  # none from 2.x stations


@dataclass(frozen=True)
class StationView:
    station_id: str
    online: bool
    vendor: str | None
    model: str | None
    connectors: list[ConnectorView]


def quote_id(station_id: str) -> str:
    return quote(station_id, safe="")


def read(database_url: str, station_id: str) -> StationView | None:
    with db.session_scope(database_url) as session:
        station = session.get(ChargePoint, station_id)
        if station is None:
            return None
        rows = session.scalars(
            select(Connector)
            .where(Connector.station_id == station_id)
            .order_by(Connector.evse_id, Connector.connector_id)
        )
        connectors = [
            ConnectorView(c.evse_id, c.connector_id, c.status, c.error_code) for c in rows
        ]
        online = presence.is_present(session, station)
        return StationView(station.id, online, station.vendor, station.model, connectors)


def render(database_url: str, station_id: str, url: str) -> tuple[int, str]:
    """The page's HTTP status and HTML."""
    station = read(database_url, station_id)
    if station is None:
        body = (
            f"<h1>Unknown station</h1><p>There is no charging station "
            f"<strong>{escape(station_id)}</strong> here.</p>"
        )
        return 404, _page("Unknown station", body, refresh=False)
    return 200, _page(f"Charging station {station.station_id}", _station(station, url))


def _station(station: StationView, url: str) -> str:
    state = "online" if station.online else "offline"
    maker = " ".join(part for part in (station.vendor, station.model) if part)
    rows = "".join(_connector_row(c) for c in station.connectors)
    table = (
        '<table class="connectors"><thead><tr><th>Connector</th><th>Status</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
        if rows
        else '<p class="none">The station has not reported its connectors yet.</p>'
    )
    qr = segno.make(url, error="m").svg_inline(scale=5, dark="#111", light="#fff")
    return (
        f'<h1>Charging station <span class="id">{escape(station.station_id)}</span></h1>'
        f'<p class="state {state}">{state.capitalize()}</p>'
        + (f'<p class="maker">{escape(maker)}</p>' if maker else "")
        + table
        + f'<figure class="qr" aria-label="QR code of this page">{qr}'
        f"<figcaption>{escape(url)}</figcaption></figure>"
        f'<p class="updated">As of {utc_text(timespec="seconds")}</p>'
    )


def _connector_row(connector: ConnectorView) -> str:
    name = "Station" if connector.connector_id == 0 else str(connector.connector_id)
    if connector.evse_id not in (0, connector.connector_id):  # a 2.x EVSE's connector
        name = f"{connector.evse_id}/{connector.connector_id}"
    css = connector.status if connector.status in STATUSES else "other"
    status = escape(connector.status)
    if connector.error_code and connector.error_code != "NoError":
        status += f' <span class="error">({escape(connector.error_code)})</span>'
    return f'<tr><td>{name}</td><td class="status {css}">{status}</td></tr>'


def _page(title: str, body: str, refresh: bool = True) -> str:
    meta = f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">' if refresh else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'{meta}<title>{escape(title)}</title><link rel="icon" href="data:,">'
        '<link rel="stylesheet" href="/static/dashboard/landing.css"></head>'
        f'<body><main class="landing">{body}</main></body></html>\n'
    )
