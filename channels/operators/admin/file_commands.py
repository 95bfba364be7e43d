"""`ocpp-cable firmware update|list` and `ocpp-cable diagnostics request|list`.

UpdateFirmware and GetDiagnostics (or GetLog: log_retrieval chooses per version) name a
URL the station fetches from or uploads to, on the HTTP API's server (`--files-url`).
The update or request is recorded first, so the URL works as soon as the station has it;
the command then goes through `publish_recorded` as `send`'s do (recorded, refused for
a station that is offline). The HTTP API sends them through the same functions.
"""

from __future__ import annotations

import argparse
import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update

from ocpp_cable.channels.domain import diagnostics, firmware, log_retrieval
from ocpp_cable.channels.domain.timeutil import now, parse_time
from ocpp_cable.channels.domain.viewers import masked
from ocpp_cable.channels.operators.admin import command_records, parsers
from ocpp_cable.channels.operators.admin.cli import _print_rows
from ocpp_cable.channels.operators.admin.outcomes import exit_status
from ocpp_cable.channels.operators.admin.publishing import (
    CommandFailed,
    CommandLineError,
    build_call,
)
from ocpp_cable.channels.settings import StationFilesCommandSettings
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import DiagnosticsRequest, FirmwareUpdate
from ocpp_cable.channels.storage.store import dispose
from ocpp_cable.contract.timestamps import utc_text
from ocpp_cable.rpc_app.broadcasting import Broadcaster, BroadcastError

INT32 = 2**31 - 1


class FilesNotServed(CommandFailed):
    """--files-url is not set: there is no URL to give the station (bad settings, exit 2)."""

    exit_code = 2


def _files_url(settings: Any) -> str:
    if not settings.files_url:
        raise FilesNotServed(
            "--files-url (OCPP_CABLE_FILES_URL) is not set: the base URL stations reach the "
            "HTTP API's server at, e.g. http://203.0.113.5:9080"
        )
    return settings.files_url


def _station_version(settings: Any, station_id: str) -> str:
    version = command_records.station_version(settings, station_id)
    if version is None:
        raise command_records.UnknownStation(
            f"no station {station_id} (ocpp-cable stations add {station_id})"
        )
    return version


def _station_16(settings: Any, station_id: str, action: str) -> None:
    version = _station_version(settings, station_id)
    if version != "1.6":
        raise command_records.CommandRefused(
            f"{action} not sent to {station_id}: it speaks OCPP {version}, and this is "
            "OCPP 1.6's command"
        )


def _masked(action: str, payload: dict[str, Any], token: str) -> dict[str, Any]:
    """The payload with the token in its location masked (see `_send_recorded`)."""
    if action == "GetLog":
        log = payload["log"]
        return {**payload, "log": {**log, "remoteLocation": masked(log["remoteLocation"], token)}}
    return {**payload, "location": masked(payload["location"], token)}


def _send_recorded(
    settings: Any,
    station_id: str,
    version: str,
    model: type[FirmwareUpdate] | type[DiagnosticsRequest],
    record: Callable[[Any, str], Any],
    message: Callable[[int], tuple[str, dict[str, Any]]],
    broadcaster: Broadcaster | None,
    token: str,
) -> int:
    """Record the update or request (`record(session, command_id)`), then the command
    `message(record_id)` gives; the record goes again if the command is refused before it
    is recorded. Its id. The command's record and the message log keep the location with
    `token` masked: whoever reads them cannot download or upload with it."""
    command_id = uuid.uuid4().hex
    with db.session_scope(settings.database_url) as session:
        record_id = record(session, command_id).id
    try:
        action, payload = message(record_id)
        transmission = build_call(action, payload, command_id, version)
        command_records.publish_recorded(
            settings,
            station_id,
            transmission,
            settings.stream_for_station(station_id),
            broadcaster,
            recorded_payload=_masked(action, payload, token),
        )
    except BroadcastError:
        # The command is recorded as failed (BroadcastFailed); so is what it was for.
        with db.session_scope(settings.database_url) as session:
            session.execute(
                update(model).where(model.id == record_id).values(status="CommandFailed")
            )
        raise
    except (CommandFailed, CommandLineError):
        with db.session_scope(settings.database_url) as session:
            session.execute(delete(model).where(model.id == record_id))
        raise
    return record_id


def send_firmware_update(
    settings: Any,
    station_id: str,
    file_name: str,
    retrieve_date: datetime | None = None,
    retries: int | None = None,
    retry_interval: int | None = None,
    broadcaster: Broadcaster | None = None,
) -> dict[str, Any]:
    """Serve `file_name` of --firmware-dir to the station and send it UpdateFirmware.

    Raises:
        firmware.FirmwareFileError: no such file to serve.
        CommandFailed: not sent (unknown or offline station, --files-url unset, ...).
        BroadcastError: the broker did not take it.
    """
    base = _files_url(settings)
    firmware.firmware_file(settings.firmware_dir, file_name)
    _station_16(settings, station_id, "UpdateFirmware")
    token, retrieve_date = _new_token(), retrieve_date or now()
    payload: dict[str, Any] = {
        "location": firmware.location(base, token, file_name),
        "retrieveDate": _utc(retrieve_date),
    }
    if retries is not None:
        payload["retries"] = retries
    if retry_interval is not None:
        payload["retryInterval"] = retry_interval
    update_id = _send_recorded(
        settings,
        station_id,
        "1.6",
        FirmwareUpdate,
        lambda session, command_id: firmware.record_update(
            session, station_id, command_id, file_name, token, retrieve_date
        ),
        lambda _: ("UpdateFirmware", payload),
        broadcaster,
        token,
    )
    with db.session_scope(settings.database_url) as session:
        return firmware.row(session.get(FirmwareUpdate, update_id))


def request_diagnostics(
    settings: Any,
    station_id: str,
    start_time: datetime | None = None,
    stop_time: datetime | None = None,
    retries: int | None = None,
    retry_interval: int | None = None,
    broadcaster: Broadcaster | None = None,
    log_type: str | None = None,
) -> dict[str, Any]:
    """Ask the station for its log with a fresh upload URL: GetDiagnostics (1.6, no
    `log_type`) or GetLog (`log_type` DiagnosticsLog or SecurityLog; 2.x: the
    diagnostics log unless told), whose requestId is the request's id.

    Raises:
        CommandLineError: the stop time is before the start.
        CommandFailed: not sent (unknown or offline station, --files-url unset, ...).
        BroadcastError: the broker did not take it.
    """
    base = _files_url(settings)
    if start_time is not None and stop_time is not None and stop_time < start_time:
        raise CommandLineError("the stop time is before the start time")
    version = _station_version(settings, station_id)
    if version != "1.6" and log_type is None:
        log_type = log_retrieval.LOG_TYPES["diagnostics"]
    token = _new_token()
    location = diagnostics.location(base, token)
    request_id = _send_recorded(
        settings,
        station_id,
        version,
        DiagnosticsRequest,
        lambda session, command_id: diagnostics.record_request(
            session, station_id, command_id, token, start_time, stop_time, log_type
        ),
        lambda record_id: log_retrieval.request_for(
            version, location, record_id, log_type, start_time, stop_time, retries, retry_interval
        ),
        broadcaster,
        token,
    )
    with db.session_scope(settings.database_url) as session:
        return diagnostics.row(session.get(DiagnosticsRequest, request_id))


def _utc(at: datetime) -> str:
    return utc_text(at.astimezone(UTC))


def _new_token() -> str:
    """The secret in a URL for one station's download or upload (kept as its SHA-256)."""
    return secrets.token_urlsafe(32)


# --- the command line ---------------------------------------------------------------------


def _time(text: str) -> datetime:
    try:
        return parse_time(text)[0]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time") from None


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= INT32:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 0 to {INT32}")
    return value


def add_file_commands(
    commands: argparse._SubParsersAction,
    add_setting_flags: Callable[[argparse.ArgumentParser, bool], None],
) -> None:
    """`firmware` and `diagnostics`; `add_setting_flags(parser, leaf)` adds the settings'
    flags to a command and each of its subcommands (so they go before or after it)."""

    def group(name: str, help_text: str) -> argparse._SubParsersAction:
        parser = commands.add_parser(name, help=help_text, description=help_text)
        add_setting_flags(parser, False)
        return parser.add_subparsers(dest=f"{name}_command", required=True, metavar="SUBCOMMAND")

    def leaf(parent: argparse._SubParsersAction, name: str, handler, help_text: str):
        return parsers.leaf(parent, name, handler, help_text, handler_key="file_handler")

    retry_help = "how often the station retries (OCPP retries)", "seconds between retries"
    firmware_commands = group("firmware", "update stations' firmware from --firmware-dir")
    fw_update = leaf(
        firmware_commands,
        "update",
        _firmware_update,
        "send UpdateFirmware: the station downloads the file from <--files-url>/files/firmware/",
    )
    fw_update.add_argument("station_id")
    fw_update.add_argument("file_name", help="a file in --firmware-dir")
    fw_update.add_argument(
        "--retrieve-date", type=_time, help="ISO 8601; when to download (default: now)"
    )
    fw_list = leaf(firmware_commands, "list", _firmware_list, "firmware updates, newest first")

    diagnostics_commands = group("diagnostics", "diagnostics and log files uploaded by stations")
    dg_request = leaf(
        diagnostics_commands,
        "request",
        _diagnostics_request,
        "send GetDiagnostics (1.6) or GetLog (2.x, or --log): the station uploads to "
        "<--files-url>/files/diagnostics/",
    )
    dg_request.add_argument("station_id")
    dg_request.add_argument(
        "--log",
        choices=sorted(log_retrieval.LOG_TYPES),
        help="the log to ask for with GetLog (default: 1.6 GetDiagnostics; 2.x diagnostics)",
    )
    dg_request.add_argument("--start", type=_time, help="ISO 8601; the oldest logging wanted")
    dg_request.add_argument("--stop", type=_time, help="ISO 8601; the latest logging wanted")
    dg_list = leaf(diagnostics_commands, "list", _diagnostics_list, "requests, newest first")

    for sender in (fw_update, dg_request):
        sender.add_argument("--retries", type=_count, help=retry_help[0])
        sender.add_argument("--retry-interval", type=_count, metavar="S", help=retry_help[1])
    for lister in (fw_list, dg_list):
        lister.add_argument("--station", metavar="ID", help="only this station's")
        lister.add_argument("--json", action="store_true", help="print JSON for scripts")
    for parser in (fw_update, fw_list, dg_request, dg_list):
        add_setting_flags(parser, True)


def run_file_command(args: argparse.Namespace, settings: StationFilesCommandSettings) -> int:
    try:
        return exit_status(lambda: args.file_handler(args, settings))
    finally:
        dispose(settings.database_url)


def _migrated(settings: StationFilesCommandSettings) -> None:
    if settings.auto_migrate:
        db.upgrade(settings.database_url)


def _firmware_update(args: argparse.Namespace, settings: StationFilesCommandSettings) -> int:
    _migrated(settings)
    found = send_firmware_update(
        settings, args.station_id, args.file_name, args.retrieve_date, args.retries,
        args.retry_interval,
    )  # fmt: skip
    print(
        f"UpdateFirmware {found['command_id']} sent to {args.station_id}: "
        f"firmware update {found['id']} ({found['file_name']})"
    )
    return 0


def _diagnostics_request(args: argparse.Namespace, settings: StationFilesCommandSettings) -> int:
    _migrated(settings)
    log_type = log_retrieval.LOG_TYPES[args.log] if args.log else None
    found = request_diagnostics(
        settings, args.station_id, args.start, args.stop, args.retries, args.retry_interval,
        log_type=log_type,
    )  # fmt: skip
    action = f"GetLog ({found['log_type']})" if found["log_type"] else "GetDiagnostics"
    print(
        f"{action} {found['command_id']} sent to {args.station_id}: "
        f"diagnostics request {found['id']}"
    )
    return 0


def _listed(args: argparse.Namespace, settings: Any, model: Any, row: Callable) -> list[dict]:
    _migrated(settings)
    query = select(model).order_by(model.id.desc())
    if args.station is not None:
        query = query.where(model.station_id == args.station)
    with db.session_scope(settings.database_url) as session:
        return [row(found) for found in session.scalars(query)]


def _firmware_list(args: argparse.Namespace, settings: StationFilesCommandSettings) -> int:
    rows = _listed(args, settings, FirmwareUpdate, firmware.row)
    _print_rows(
        args,
        rows,
        "no firmware updates" + (f" for station {args.station}" if args.station else ""),
        [
            ("ID", "id"),
            ("STATION", "station_id"),
            ("FILE", "file_name"),
            ("STATUS", "status"),
            ("STATE", "state"),
            ("RETRIEVE", "retrieve_date"),
            ("DOWNLOADED", "downloaded_at"),
            ("UPDATED", "updated_at"),
        ],
    )
    return 0


def _diagnostics_list(args: argparse.Namespace, settings: StationFilesCommandSettings) -> int:
    rows = _listed(args, settings, DiagnosticsRequest, diagnostics.row)
    for found in rows:
        path = diagnostics.stored_file(settings.uploads_dir, found["id"])
        found["path"] = str(path) if found["received_at"] else None
    _print_rows(
        args,
        rows,
        "no diagnostics requests" + (f" for station {args.station}" if args.station else ""),
        [
            ("ID", "id"),
            ("STATION", "station_id"),
            ("LOG", "log_type"),
            ("STATUS", "status"),
            ("STATE", "state"),
            ("FILE", "file_name"),
            ("BYTES", "size"),
            ("RECEIVED", "received_at"),
            ("PATH", "path"),
        ],
    )
    return 0
