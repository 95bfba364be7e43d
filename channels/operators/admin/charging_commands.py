"""`ocpp-cable charging-profiles set|clear|get` and `ocpp-cable composite-schedule`: smart
charging composed by the central system in the version the station speaks
(channels/domain/charging_requests.py), from what the operator names and what the central
system knows (the next chargingProfileId free on the station, the transaction open on the
connector or EVSE), then sent as `ocpp-cable send` sends a command: checked, recorded,
followed to the station's answer with `--wait`.

The operations serve the HTTP API (routes/charging_profiles.py) as well.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ocpp_cable.channels.domain import charging_requests, smart_charging
from ocpp_cable.channels.domain.charging_requests import Known, ProfileIntent
from ocpp_cable.channels.domain.station_requests import Request, RequestProblem
from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.operators.admin import command_records, parsers
from ocpp_cable.channels.operators.admin.device_model import new_request_id
from ocpp_cable.channels.operators.admin.outcomes import exit_status
from ocpp_cable.channels.operators.admin.publishing import parse_object
from ocpp_cable.channels.operators.admin.station_commands import RequestRefused, send_request
from ocpp_cable.channels.settings import SendSettings
from ocpp_cable.channels.storage import db
from ocpp_cable.rpc_app.broadcasting import Broadcaster

NAMES = ("charging-profiles", "composite-schedule")
HANDLER = "charging_handler"
WHEN_HELP = "now, a duration from now (30m, 2h, 1d) or an ISO 8601 time (UTC if no zone)"
PERIODS_HELP = "start_seconds:limit[:phases],... e.g. 0:32,3600:16 (in --unit)"


def _known(
    settings: SendSettings, station_id: str, version: str, connector: int | None, evse: int | None
) -> Known:
    """What the central system knows that the profile needs: the next free
    chargingProfileId, the transaction open where it goes."""
    where = charging_requests.location(version, connector, evse)
    with db.session_scope(settings.database_url) as session:
        next_id = smart_charging.next_profile_id(session, station_id)
        opened: int | str | None = None
        if where > 0 and version == charging_requests.V16:
            opened = smart_charging.open_transaction(session, station_id, where)
        elif where > 0:
            opened = smart_charging.open_transaction_2(session, station_id, where)
    return Known(next_id, opened)


def profile_intent(
    purpose: str | None,
    limit: float | None = None,
    periods: Sequence[charging_requests.Period] | None = None,
    **fields: Any,
) -> ProfileIntent:
    """The profile an operator describes: a purpose, one limit or its periods, and the
    fields given (None: the default)."""
    if purpose is None:
        raise RequestRefused("name the profile's purpose: max, tx-default or tx")
    if (limit is None) == (periods is None):
        raise RequestRefused("give one limit, or the periods of the schedule: one of them")
    if limit is not None:
        periods = (charging_requests.Period(0, limit),)
    given = {name: value for name, value in fields.items() if value is not None}
    return ProfileIntent(purpose, tuple(periods or ()), **given)


def set_profile(
    settings: SendSettings,
    station_id: str,
    intent: ProfileIntent | None = None,
    profile: dict[str, Any] | None = None,
    connector: int | None = None,
    evse: int | None = None,
    broadcaster: Broadcaster | None = None,
) -> tuple[str, Request]:
    """SetChargingProfile of the profile described (`intent`) or written whole (`profile`):
    the command's id, and what was sent."""

    def compose(version: str) -> Request:
        known = _known(settings, station_id, version, connector, evse)
        if profile is not None:
            return charging_requests.profile_from_file(version, profile, known, connector, evse)
        assert intent is not None
        return charging_requests.set_profile(version, intent, now(), known, connector, evse)

    return send_request(settings, station_id, compose, broadcaster)


def clear_profiles(
    settings: SendSettings,
    station_id: str,
    profile_id: int | None = None,
    connector: int | None = None,
    evse: int | None = None,
    purpose: str | None = None,
    stack_level: int | None = None,
    broadcaster: Broadcaster | None = None,
) -> tuple[str, Request]:
    """ClearChargingProfile: one profile by its id, or those matching the criteria given."""

    def compose(version: str) -> Request:
        return charging_requests.clear_profile(
            version, profile_id, connector, evse, purpose, stack_level
        )

    return send_request(settings, station_id, compose, broadcaster)


def get_profiles(
    settings: SendSettings,
    station_id: str,
    evse: int | None = None,
    purpose: str | None = None,
    stack_level: int | None = None,
    sources: Sequence[str] = (),
    ids: Sequence[int] = (),
    broadcaster: Broadcaster | None = None,
) -> tuple[str, Request]:
    """GetChargingProfiles (2.x), with a requestId of the central system's: the station's
    ReportChargingProfiles name it."""

    def compose(version: str) -> Request:
        return charging_requests.get_profiles(
            version, new_request_id(), evse, purpose, stack_level, sources, ids
        )

    return send_request(settings, station_id, compose, broadcaster)


def composite_schedule(
    settings: SendSettings,
    station_id: str,
    duration: int,
    connector: int | None = None,
    evse: int | None = None,
    unit: str | None = None,
    broadcaster: Broadcaster | None = None,
) -> tuple[str, Request]:
    """GetCompositeSchedule of a connector (2.x: an EVSE) or the whole station."""

    def compose(version: str) -> Request:
        return charging_requests.composite_schedule(version, duration, connector, evse, unit)

    return send_request(settings, station_id, compose, broadcaster)


# --- the command line --------------------------------------------------------------------------


def add_charging_commands(
    commands: argparse._SubParsersAction,
    add_setting_flags: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Add `charging-profiles` and `composite-schedule` to the top-level subparsers."""
    help_text = "set, clear and read a station's charging profiles (smart charging)"
    group = commands.add_parser("charging-profiles", help=help_text, description=help_text)
    leaves = group.add_subparsers(dest="charging_command", required=True, metavar="SUBCOMMAND")

    def leaf(parent, name: str, handler, text: str) -> argparse.ArgumentParser:
        parser = parsers.leaf(parent, name, handler, text, handler_key=HANDLER)
        parser.add_argument("station_id")
        return parser

    def where(parser: argparse.ArgumentParser, evse_only: bool = False) -> None:
        if not evse_only:
            parser.add_argument(
                "--connector", type=int, metavar="N",
                help="1.6: the connector (0, the default: the whole station)",
            )  # fmt: skip
        parser.add_argument(
            "--evse",
            type=int,
            metavar="N",
            help="2.x: the EVSE (0, the default: the whole station)",
        )

    put = leaf(leaves, "set", _set, "set a charging profile (SetChargingProfile)")
    where(put)
    put.add_argument(
        "--purpose", help="max (the station's maximum), tx-default (sessions') or tx (this one's)"
    )
    given = put.add_mutually_exclusive_group(required=True)
    given.add_argument("--limit", type=float, help="one limit from the start, in --unit")
    given.add_argument("--periods", help=PERIODS_HELP)
    given.add_argument(
        "--file", type=Path, help="a whole chargingProfile (1.6: csChargingProfiles) as JSON"
    )
    put.add_argument("--unit", choices=charging_requests.UNITS, help="A (default) or W")
    put.add_argument("--phases", type=int, choices=(1, 2, 3), help="numberPhases of each period")
    put.add_argument("--stack-level", type=int, metavar="N", help="default 0")
    put.add_argument("--kind", choices=charging_requests.KINDS, help="default Absolute")
    put.add_argument("--recurrency", choices=charging_requests.RECURRENCIES, help="Recurring's")
    put.add_argument(
        "--start", metavar="WHEN", help=f"the schedule's start (default now): {WHEN_HELP}"
    )
    put.add_argument("--duration", type=int, metavar="SECONDS", help="the schedule's length")
    put.add_argument("--valid-from", metavar="WHEN", help=WHEN_HELP)
    put.add_argument("--valid-to", metavar="WHEN", help=WHEN_HELP)
    put.add_argument(
        "--id", type=int, metavar="N",
        help="chargingProfileId (default: the next free on the station)",
    )  # fmt: skip
    put.add_argument(
        "--transaction",
        metavar="TXID",
        help="a TxProfile's (default: the one open on the connector or EVSE)",
    )
    clear = leaf(
        leaves, "clear", _clear, "clear a profile by --id, or those matching (ClearChargingProfile)"
    )
    clear.add_argument("--id", type=int, metavar="N", help="the chargingProfileId (alone)")
    where(clear)
    clear.add_argument("--purpose", help="max, tx-default or tx")
    clear.add_argument("--stack-level", type=int, metavar="N")
    get = leaf(leaves, "get", _get, "ask a 2.x station for its profiles (GetChargingProfiles)")
    where(get, evse_only=True)
    get.add_argument("--purpose", help="max, tx-default, tx or external")
    get.add_argument("--stack-level", type=int, metavar="N")
    get.add_argument(
        "--source", action="append", choices=charging_requests.SOURCES, help="repeatable"
    )
    get.add_argument(
        "--id", type=int, action="append", metavar="N", help="a chargingProfileId; repeatable"
    )
    composite_help = "what a station will allow over the next seconds (GetCompositeSchedule)"
    composite = commands.add_parser(
        "composite-schedule", help=composite_help, description=composite_help
    )
    composite.set_defaults(**{HANDLER: _composite})
    composite.add_argument("station_id")
    where(composite)
    composite.add_argument("--duration", type=int, required=True, metavar="SECONDS")
    composite.add_argument("--unit", choices=charging_requests.UNITS, help="the schedule's unit")
    for parser in (put, clear, get, composite):
        parser.add_argument("--wait", action="store_true", help="wait for the station's answer")
        add_setting_flags(parser)


def run_charging_command(args: argparse.Namespace, settings: SendSettings) -> int:
    """Run the command in `args`; the exit status."""

    def run() -> int:
        if settings.auto_migrate:
            db.upgrade(settings.database_url)
        command_id, request = args.charging_handler(args, settings)
        print(f"{request.action} {command_id} sent to {args.station_id}: {request.payload}")
        return command_records.wait_and_print(settings, command_id) if args.wait else 0

    return exit_status(run)


def _refused(parse: Callable[[], Any]) -> Any:
    """What `parse` reads of the operator's input; what it cannot read, refused (exit 2)."""
    try:
        return parse()
    except RequestProblem as exc:
        raise RequestRefused(str(exc)) from None


def _when(text: str | None, what: str) -> Any:
    if text is None:
        return None
    return _refused(lambda: charging_requests.parse_when(text, now(), what))


_INTENT_OPTIONS = (
    "purpose", "unit", "phases", "stack_level", "kind", "recurrency", "start", "duration",
    "valid_from", "valid_to", "id", "transaction",
)  # fmt: skip


def _set(args: argparse.Namespace, settings: SendSettings) -> tuple[str, Request]:
    if args.file is not None:
        named = [name for name in _INTENT_OPTIONS if getattr(args, name) is not None]
        if named:
            flag = "--" + named[0].replace("_", "-")
            raise RequestRefused(f"--file gives the whole profile: no {flag} beside it")
        try:
            text = args.file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RequestRefused(f"cannot read {args.file}: {exc}") from None
        profile = parse_object(text, str(args.file))
        return set_profile(
            settings, args.station_id, profile=profile, connector=args.connector, evse=args.evse
        )
    periods = None
    if args.periods is not None:
        periods = _refused(lambda: charging_requests.parse_periods(args.periods))
    intent = profile_intent(
        args.purpose, args.limit, periods, unit=args.unit, phases=args.phases,
        stack_level=args.stack_level, kind=args.kind, recurrency=args.recurrency,
        start=_when(args.start, "--start"), duration=args.duration,
        valid_from=_when(args.valid_from, "--valid-from"),
        valid_to=_when(args.valid_to, "--valid-to"), id=args.id, transaction=args.transaction,
    )  # fmt: skip
    return set_profile(settings, args.station_id, intent, None, args.connector, args.evse)


def _clear(args: argparse.Namespace, settings: SendSettings) -> tuple[str, Request]:
    return clear_profiles(
        settings, args.station_id, args.id, args.connector, args.evse, args.purpose,
        args.stack_level,
    )  # fmt: skip


def _get(args: argparse.Namespace, settings: SendSettings) -> tuple[str, Request]:
    return get_profiles(
        settings, args.station_id, args.evse, args.purpose, args.stack_level,
        args.source or (), args.id or (),
    )  # fmt: skip


def _composite(args: argparse.Namespace, settings: SendSettings) -> tuple[str, Request]:
    return composite_schedule(
        settings, args.station_id, args.duration, args.connector, args.evse, args.unit
    )
