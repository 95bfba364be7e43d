"""Building and publishing a command to a station: a CALL checked against the schemas of
the OCPP version the station speaks, published to its stream (CLI, API, dashboard)."""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from ocpp_cable.contract import transmissions
from ocpp_cable.foundation.settings import PublisherSettings
from ocpp_cable.ocppj import versions
from ocpp_cable.ocppj.schemas import SchemaViolation
from ocpp_cable.rpc_app.broadcasting import from_settings, message


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
    return transmissions.call_for_station(action, unique_id or uuid.uuid4().hex, payload)


def publish(settings: PublisherSettings, stream: str, transmission: dict[str, Any]) -> None:
    from_settings(settings).publish([message(stream, transmission)])
