"""`ocpp-cable broadcast` and `ocpp-cable send`: remote commands from a shell."""

from __future__ import annotations

import sys
import uuid
from typing import Any

import orjson

from contract import transmissions
from foundation.settings import PublisherSettings, SendSettings
from ocppj import schemas
from rpc_app.broadcasting import BroadcastError, from_settings, message


class CommandLineError(Exception):
    """Bad input on the command line (exit 2)."""


class CommandFailed(Exception):
    """The command could not be sent (exit 1)."""


def parse_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise CommandLineError(f"{what} is not valid JSON: {exc.msg}") from None
    if not isinstance(value, dict):
        raise CommandLineError(f"{what} must be a JSON object")
    return value


def build_call(action: str, payload: dict[str, Any], unique_id: str | None = None) -> dict:
    """A CALL transmission for a station, checked as the gateway will check it."""
    if action not in schemas.CENTRAL_ACTIONS:
        raise CommandLineError(
            f"{action!r} is not an OCPP 1.6 action a central system sends; one of: "
            + ", ".join(sorted(schemas.CENTRAL_ACTIONS))
        )
    try:
        schemas.validate_request(action, payload)
    except schemas.SchemaViolation as exc:
        raise CommandLineError(
            f"invalid {action} payload: {exc.description} ({exc.code})"
        ) from None
    return transmissions.call(action, unique_id or uuid.uuid4().hex, payload)


def publish(settings: PublisherSettings, stream: str, transmission: dict[str, Any]) -> None:
    from_settings(settings).publish([message(stream, transmission)])


def run(publish_one) -> int:
    try:
        publish_one()
    except CommandLineError as exc:
        print(f"ocpp-cable: {exc}", file=sys.stderr)
        return 2
    except BroadcastError as exc:
        print(f"ocpp-cable: broadcast failed: {exc}", file=sys.stderr)
        return 1
    except CommandFailed as exc:
        print(f"ocpp-cable: {exc}", file=sys.stderr)
        return 1
    return 0


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
        transmission.update(build_call(action, parse_object(payload, "the payload")))
        stream = settings.stream_for_station(station_id)
        if record:
            from channels import db
            from channels.admin import command_records

            if settings.auto_migrate:
                db.upgrade(settings.database_url)
            command_records.publish_recorded(settings, station_id, transmission, stream)
        else:
            publish(settings, stream, transmission)
        print(f"{action} {transmission['id']} sent to {station_id} (stream {stream})")

    code = run(publish_one)
    if code != 0 or not wait:
        return code
    from channels.admin import command_records

    return command_records.wait_and_print(settings, transmission["id"])
