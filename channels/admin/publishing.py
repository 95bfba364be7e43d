"""`ocpp-cable broadcast` and `ocpp-cable send`: remote commands from a shell."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from ocpp_cable.channels import password_fields
from ocpp_cable.channels.admin.outcomes import exit_status
from ocpp_cable.rpc_app.broadcasting import from_settings, message

from ocpp_cable.contract import transmissions
from ocpp_cable.foundation.settings import PublisherSettings, SendSettings
from ocpp_cable.ocppj import versions
from ocpp_cable.ocppj.schemas import SchemaViolation


class CommandLineError(Exception):
    """Bad input on the command line (exit 2)."""

    exit_code = 2


class CommandFailed(Exception):
    """The command could not be sent (exit 1, or the subclass's `exit_code`)."""

    exit_code = 1


def parse_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise CommandLineError(f"{what} is not valid JSON: {exc.msg}") from None
    if not isinstance(value, dict):
        raise CommandLineError(f"{what} must be a JSON object")
    return value


def build_call(
    action: str,
    payload: dict[str, Any],
    unique_id: str | None = None,
    version: str | None = "1.6",
) -> dict:
    """A CALL transmission for a station speaking `version`, checked as the gateway will
    check it. `version` None (the station's is not known): valid in some version will do."""
    targets = [versions.named(version)] if version else list(versions.VERSIONS)
    known = [v for v in targets if action in v.central_actions]
    if not known:
        spoken = f"OCPP {version}" if version else "OCPP"
        choices = versions.ALL_CENTRAL_ACTIONS if version is None else targets[0].central_actions
        raise CommandLineError(
            f"{action!r} is not an {spoken} action a central system sends; one of: "
            + ", ".join(sorted(choices))
        )
    problems = []
    for target in known:
        try:
            target.schemas.validate_request(action, payload)
            break
        except SchemaViolation as exc:
            problems.append(f"{exc.description} ({exc.code}, OCPP {target.name})")
    else:
        raise CommandLineError(f"invalid {action} payload: {problems[0]}")
    return transmissions.call(action, unique_id or uuid.uuid4().hex, payload)


def publish(settings: PublisherSettings, stream: str, transmission: dict[str, Any]) -> None:
    from_settings(settings).publish([message(stream, transmission)])


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
            from ocpp_cable.channels import db
            from ocpp_cable.channels.admin import command_records

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
    from ocpp_cable.channels.admin import command_records

    return command_records.wait_and_print(settings, transmission["id"])
