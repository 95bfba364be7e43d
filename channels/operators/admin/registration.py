"""An operator's registration decision (`ocpp-cable stations accept|pending|reject`, the
HTTP API, the dashboard): what the station's boots are answered from now on, and the boot
a connected station is asked for when it is accepted."""

from __future__ import annotations

from typing import Any

from ocpp_cable.channels.domain import presence, registration
from ocpp_cable.channels.operators.admin import command_records
from ocpp_cable.channels.operators.admin.publishing import build_call
from ocpp_cable.channels.settings import StationAdminSettings
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import ChargePoint
from ocpp_cable.rpc_app.broadcasting import Broadcaster, BroadcastError

BOOT_NOW = {"requestedMessage": "BootNotification"}


def change_registration(
    settings: StationAdminSettings,
    station_id: str,
    status: str,
    broadcaster: Broadcaster | None = None,
) -> dict[str, Any]:
    """Set the station's registration (accepted, pending, rejected). A connected station
    accepted now is sent TriggerMessage(BootNotification), recorded as any command, so
    its boot is answered Accepted without waiting out its interval (B02, TC_B_31).

    Returns:
        station_id, registration, previous, boot_requested (the TriggerMessage's command
        id, or None) and note (what happens next, for people).

    Raises:
        command_records.UnknownStation: no such station.
    """
    registration.boot_status(status)  # a known one, before anything is changed
    with db.session_scope(settings.database_url) as session:
        station = session.get(ChargePoint, station_id)
        if station is None:
            raise command_records.UnknownStation(
                f"no station {station_id} (ocpp-cable stations add {station_id})"
            )
        previous = registration.set_registration(session, station, status)
        connected = presence.is_present(session, station)
        version = station.ocpp_version or "1.6"
    result = {"station_id": station_id, "registration": status, "previous": previous,
              "boot_requested": None, "note": _note(previous, status, connected)}  # fmt: skip
    if registration.boot_again(previous, status, connected):
        transmission = build_call("TriggerMessage", BOOT_NOW, version=version)
        stream = settings.stream_for_station(station_id)
        try:
            command_records.publish_recorded(
                settings, station_id, transmission, stream, broadcaster
            )
        except (command_records.StationOffline, BroadcastError) as exc:
            # The registration stands: the station's next boot is answered Accepted.
            result["note"] = f"TriggerMessage not sent ({exc}): its next boot is Accepted"
        else:
            result["boot_requested"] = transmission["id"]
            result["note"] = "asked to boot again now (TriggerMessage BootNotification)"
    return result


def _note(previous: str, status: str, connected: bool) -> str:
    if previous == status:
        return f"already {status}"
    if not connected:
        return f"not connected: its next boot is answered {registration.boot_status(status)}"
    if status == registration.ACCEPTED:
        return "asked to boot again now"
    return (
        f"connected: answered {registration.boot_status(status)} from its next boot or "
        "connection on"
    )
