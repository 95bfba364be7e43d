"""`ocpp-cable broadcast` and `ocpp-cable send`: a transmission or a CALL published to a
stream from the command line; `send` records the command and can wait for its answer."""

from __future__ import annotations

from typing import Any

from ocpp_cable.channels.domain import password_fields
from ocpp_cable.channels.operators.admin import command_records
from ocpp_cable.channels.operators.admin.outcomes import exit_status
from ocpp_cable.channels.operators.admin.publishing import (
    CommandLineError,
    build_call,
    parse_object,
    publish,
)
from ocpp_cable.channels.settings import SendSettings
from ocpp_cable.channels.storage import db
from ocpp_cable.foundation.settings import PublisherSettings


def run(publish_one) -> int:
    def published() -> int:
        publish_one()
        return 0

    return exit_status(published)


def broadcast_command(settings: PublisherSettings, stream: str, data: str) -> int:
    def publish_one() -> None:
        transmission = parse_object(data, "the transmission")
        publish(settings, stream, transmission)
        print(f"broadcast to {stream} via {settings.broadcaster}")

    return run(publish_one)


def send_command(
    settings: SendSettings,
    station_id: str,
    action: str,
    payload: str,
    wait: bool = False,
    record: bool = True,
) -> int:
    """Publish a CALL for the station; with `record`, keep it in the central system's database."""
    transmission: dict[str, Any] = {}

    def publish_one() -> None:
        body = parse_object(payload, "the payload")
        refused = password_fields.refusal(action, body, station_id)
        if refused is not None:  # recorded or not: the rotation is the way
            raise CommandLineError(refused)
        stream = settings.stream_for_station(station_id)
        if record:
            if settings.auto_migrate:
                db.upgrade(settings.database_url)
            # Checked against the version the station speaks (unknown station: 1.6, and
            # publish_recorded says it is unknown).
            version = command_records.station_version(settings, station_id) or "1.6"
            transmission.update(build_call(action, body, version=version))
            command_records.publish_recorded(settings, station_id, transmission, stream)
        else:
            # Without the database the station's version is not known.
            transmission.update(build_call(action, body, version=None))
            publish(settings, stream, transmission)
        print(f"{action} {transmission['id']} sent to {station_id} (stream {stream})")

    code = run(publish_one)
    if code != 0 or not wait:
        return code
    return command_records.wait_and_print(settings, transmission["id"])
