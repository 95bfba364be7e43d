"""`ocpp-cable firmware update|publish|unpublish|list` and `ocpp-cable diagnostics
request|list`.

UpdateFirmware (SignedUpdateFirmware, PublishFirmware: firmware_requests composes the
request the station's version takes) and GetDiagnostics (or GetLog: log_retrieval
chooses per version) name a URL the station fetches from or uploads to, on the HTTP
API's server (`--files-url`). The update or request is recorded first, so the URL works
as soon as the station has it (its id is the requestId); the command then goes through
`publish_recorded` as `send`'s do (recorded, refused for a station that is offline).
The HTTP API sends them through the same functions.
"""

from __future__ import annotations

import argparse
import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update

from ocpp_cable.channels.domain import diagnostics, firmware, firmware_requests, log_retrieval
from ocpp_cable.channels.domain.firmware_requests import Signing
from ocpp_cable.channels.domain.station_requests import Request, RequestProblem
from ocpp_cable.channels.domain.timeutil import now, parse_time, parse_when
from ocpp_cable.channels.domain.viewers import masked
from ocpp_cable.channels.operators.admin import command_records, parsers
from ocpp_cable.channels.operators.admin.cli import _print_rows
from ocpp_cable.channels.operators.admin.outcomes import exit_status
from ocpp_cable.channels.operators.admin.publishing import (
    CommandFailed,
    CommandLineError,
    build_call,
)
from ocpp_cable.channels.operators.admin.station_commands import RequestRefused, send_request
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


def _composed(station_id: str, version: str, compose: Callable[[], Request]) -> Request:
    """The request `compose` makes for the station's version; refused (exit 2, 422) when
    what was asked cannot be said to it."""
    try:
        return compose()
    except RequestProblem as exc:
        raise RequestRefused(f"{station_id} (OCPP {version}): {exc}") from None


def _masked(action: str, payload: dict[str, Any], token: str) -> dict[str, Any]:
    """The payload with the token in its location masked (see `_send_recorded`)."""
    if action == "GetLog":
        log = payload["log"]
        return {**payload, "log": {**log, "remoteLocation": masked(log["remoteLocation"], token)}}
    if "firmware" in payload:  # 2.x UpdateFirmware, SignedUpdateFirmware
        inner = payload["firmware"]
        return {**payload, "firmware": {**inner, "location": masked(inner["location"], token)}}
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
    *,
    install_date: datetime | None = None,
    signed: Signing | None = None,
) -> dict[str, Any]:
    """Serve `file_name` of --firmware-dir to the station and send it the update its
    version takes: 1.6 UpdateFirmware (SignedUpdateFirmware when `signed`), 2.x
    UpdateFirmware with the update's id as its requestId (signed when `signed`).

    Raises:
        firmware.FirmwareFileError: no such file to serve.
        RequestRefused: what was asked cannot be said to this station (an install time
            to a 1.6 UpdateFirmware, say).
        CommandFailed: not sent (unknown or offline station, --files-url unset, ...).
        BroadcastError: the broker did not take it.
    """
    base = _files_url(settings)
    firmware.firmware_file(settings.firmware_dir, file_name)
    version = _station_version(settings, station_id)
    token, retrieve_date = _new_token(), retrieve_date or now()
    where = firmware.location(base, token, file_name)

    def compose(request_id: int) -> Request:
        return firmware_requests.update(
            version, where, request_id, retrieve_date, install_date, retries, retry_interval,
            signed,
        )  # fmt: skip

    action = _composed(station_id, version, lambda: compose(0)).action
    update_id = _send_recorded(
        settings,
        station_id,
        version,
        FirmwareUpdate,
        lambda session, command_id: firmware.record_update(
            session,
            station_id,
            command_id,
            file_name,
            token,
            retrieve_date,
            action=action,
            signed=signed is not None,
            install_date=install_date,
        ),
        lambda record_id: _parts(compose(record_id)),
        broadcaster,
        token,
    )
    with db.session_scope(settings.database_url) as session:
        return firmware.row(session.get(FirmwareUpdate, update_id))


def publish_firmware(
    settings: Any,
    station_id: str,
    file_name: str,
    retries: int | None = None,
    retry_interval: int | None = None,
    broadcaster: Broadcaster | None = None,
) -> dict[str, Any]:
    """Have a 2.x local controller fetch `file_name` of --firmware-dir from us and publish
    it (PublishFirmware, with the file's MD5 as its checksum and the publication's id as
    its requestId).

    Raises: as send_firmware_update (RequestRefused: a 1.6 station).
    """
    base = _files_url(settings)
    path = firmware.firmware_file(settings.firmware_dir, file_name)
    version = _station_version(settings, station_id)
    token, at = _new_token(), now()
    where = firmware.location(base, token, file_name)
    _composed(station_id, version, lambda: firmware_requests.publish(version, where, "0" * 32, 0))
    checksum = firmware.md5_of(path)

    def compose(request_id: int) -> Request:
        return firmware_requests.publish(
            version, where, checksum, request_id, retries, retry_interval
        )

    publication_id = _send_recorded(
        settings,
        station_id,
        version,
        FirmwareUpdate,
        lambda session, command_id: firmware.record_update(
            session,
            station_id,
            command_id,
            file_name,
            token,
            at,
            action=firmware.PUBLISH,
            checksum=checksum,
        ),
        lambda record_id: _parts(compose(record_id)),
        broadcaster,
        token,
    )
    with db.session_scope(settings.database_url) as session:
        return firmware.row(session.get(FirmwareUpdate, publication_id))


def unpublish_firmware(
    settings: Any,
    station_id: str,
    checksum: str | None = None,
    file_name: str | None = None,
    broadcaster: Broadcaster | None = None,
) -> tuple[str, Request]:
    """Have a 2.x local controller stop publishing the firmware with `checksum` (or the
    MD5 of `file_name` in --firmware-dir): UnpublishFirmware. The command's id, and what
    was sent.

    Raises:
        CommandLineError: neither or both of checksum and file name.
        firmware.FirmwareFileError, RequestRefused, CommandFailed, BroadcastError.
    """
    if (checksum is None) == (file_name is None):
        raise CommandLineError("name the firmware by its checksum or by its file, not both")
    if file_name is not None:
        checksum = firmware.md5_of(firmware.firmware_file(settings.firmware_dir, file_name))
    return send_request(
        settings,
        station_id,
        lambda version: firmware_requests.unpublish(version, checksum),
        broadcaster,
    )


def _parts(request: Request) -> tuple[str, dict[str, Any]]:
    return request.action, request.payload


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


def _when(text: str) -> datetime:
    try:
        return parse_when(text, now())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not now, a duration from now (30m, 2h, 1d) or an ISO 8601 time"
        ) from None


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
        "send UpdateFirmware (1.6, 2.x; 1.6 signed: SignedUpdateFirmware): the station "
        "downloads the file from <--files-url>/files/firmware/",
    )
    fw_update.add_argument("station_id")
    fw_update.add_argument("file_name", help="a file in --firmware-dir")
    fw_update.add_argument(
        "--retrieve-date",
        type=_when,
        help="when to download: a duration from now (30m, 2h, 1d) or an ISO 8601 time "
        "(default: now)",
    )
    fw_update.add_argument(
        "--install-date",
        type=_when,
        help="when to install (2.x, or --signed): a duration from now or an ISO 8601 time",
    )
    fw_update.add_argument(
        "--signed",
        action="store_true",
        help="signed firmware: with --signing-certificate and --signature or --signature-file",
    )
    fw_update.add_argument(
        "--signing-certificate", metavar="PEM_FILE", help="the certificate it was signed with"
    )
    signature = fw_update.add_mutually_exclusive_group()
    signature.add_argument("--signature", metavar="BASE64", help="the firmware's signature")
    signature.add_argument(
        "--signature-file", metavar="FILE", help="the signature (raw bytes or base64)"
    )
    fw_publish = leaf(
        firmware_commands,
        "publish",
        _firmware_publish,
        "send a 2.x local controller PublishFirmware (the file's MD5 as checksum): it "
        "downloads the file from <--files-url>/files/firmware/ and publishes it",
    )
    fw_publish.add_argument("station_id")
    fw_publish.add_argument("file_name", help="a file in --firmware-dir")
    fw_unpublish = leaf(
        firmware_commands,
        "unpublish",
        _firmware_unpublish,
        "send a 2.x local controller UnpublishFirmware: it stops publishing the firmware",
    )
    fw_unpublish.add_argument("station_id")
    named = fw_unpublish.add_mutually_exclusive_group(required=True)
    named.add_argument("--checksum", metavar="MD5", help="the firmware's MD5 (32 hex digits)")
    named.add_argument("--file", dest="file_name", help="a file in --firmware-dir (its MD5)")
    fw_list = leaf(
        firmware_commands, "list", _firmware_list, "firmware updates and publications, newest first"
    )

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

    for sender in (fw_update, fw_publish, dg_request):
        sender.add_argument("--retries", type=_count, help=retry_help[0])
        sender.add_argument("--retry-interval", type=_count, metavar="S", help=retry_help[1])
    for waiter in (fw_update, fw_publish, fw_unpublish):
        waiter.add_argument("--wait", action="store_true", help="wait for the station's answer")
    for lister in (fw_list, dg_list):
        lister.add_argument("--station", metavar="ID", help="only this station's")
        lister.add_argument("--json", action="store_true", help="print JSON for scripts")
    for parser in (fw_update, fw_publish, fw_unpublish, fw_list, dg_request, dg_list):
        add_setting_flags(parser, True)


def run_file_command(args: argparse.Namespace, settings: StationFilesCommandSettings) -> int:
    try:
        return exit_status(lambda: args.file_handler(args, settings))
    finally:
        dispose(settings.database_url)


def _migrated(settings: StationFilesCommandSettings) -> None:
    if settings.auto_migrate:
        db.upgrade(settings.database_url)


def _signing(args: argparse.Namespace) -> Signing | None:
    """The signing certificate and signature given with --signed, read from their files."""
    given = (args.signing_certificate, args.signature, args.signature_file)
    if not args.signed:
        if any(value is not None for value in given):
            raise CommandLineError("--signing-certificate and --signature(-file) go with --signed")
        return None
    if args.signing_certificate is None or (args.signature is None and args.signature_file is None):
        raise CommandLineError(
            "--signed takes --signing-certificate and --signature or --signature-file"
        )
    certificate = _read(args.signing_certificate, "signing certificate").decode(errors="replace")
    signature = args.signature
    if signature is None:
        signature = firmware_requests.signature_text(_read(args.signature_file, "signature"))
    try:
        return firmware_requests.signing(certificate, signature)
    except RequestProblem as exc:
        raise CommandLineError(str(exc)) from None


def _read(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read(firmware_requests.MAX_CERTIFICATE * 2)
    except OSError as exc:
        raise CommandLineError(f"the {what} {path!r} cannot be read: {exc.strerror}") from None


def _sent(args: argparse.Namespace, settings: Any, command_id: str, said: str) -> int:
    print(f"{said} {command_id} sent to {args.station_id}")
    return command_records.wait_and_print(settings, command_id) if args.wait else 0


def _firmware_update(args: argparse.Namespace, settings: StationFilesCommandSettings) -> int:
    signed = _signing(args)
    _migrated(settings)
    found = send_firmware_update(
        settings, args.station_id, args.file_name, args.retrieve_date, args.retries,
        args.retry_interval, install_date=args.install_date, signed=signed,
    )  # fmt: skip
    return _sent(
        args, settings, found["command_id"],
        f"{found['action']}: firmware update {found['id']} ({found['file_name']}),",
    )  # fmt: skip


def _firmware_publish(args: argparse.Namespace, settings: StationFilesCommandSettings) -> int:
    _migrated(settings)
    found = publish_firmware(
        settings, args.station_id, args.file_name, args.retries, args.retry_interval
    )
    return _sent(
        args, settings, found["command_id"],
        f"PublishFirmware: publication {found['id']} ({found['file_name']}, MD5 "
        f"{found['checksum']}),",
    )  # fmt: skip


def _firmware_unpublish(args: argparse.Namespace, settings: StationFilesCommandSettings) -> int:
    _migrated(settings)
    command_id, request = unpublish_firmware(
        settings, args.station_id, args.checksum, args.file_name
    )
    return _sent(
        args, settings, command_id, f"UnpublishFirmware (MD5 {request.payload['checksum']})"
    )


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
            ("ACTION", "action"),
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
