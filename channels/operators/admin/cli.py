"""`ocpp-cable stations|tags|tariffs|transactions|meter-values`: the reference central
system's data.

Tables are for people, `--json` is for scripts. Results go to stdout, problems to stderr
prefixed `ocpp-cable:`; exit 1 means "not found / already there", exit 2 means bad input.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ocpp_cable.channels.domain import (
    offline,
    presence,
    registration,
    security_profiles,
    smart_charging,
    tariffs,
    transactions,
    viewers,
)
from ocpp_cable.channels.domain.authorization import (
    MAX_TAG_LENGTH,
    TAG_STATUSES,
    block_id_tag,
    put_id_tag,
)
from ocpp_cable.channels.domain.configuration import rows as configuration_rows
from ocpp_cable.channels.domain.stations import (
    add_station,
    remove_station,
    set_tolerated_rules,
    station_id_problem,
)
from ocpp_cable.channels.domain.timeutil import parse_time
from ocpp_cable.channels.handlers.ocpp2 import variables
from ocpp_cable.channels.operators import records
from ocpp_cable.channels.operators.admin.outcomes import exit_status
from ocpp_cable.channels.operators.admin.parsers import leaf
from ocpp_cable.channels.settings import AdminSettings, StationAdminSettings, TokenSettings
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import (
    ChargePoint,
    Connector,
    IdTag,
    Transaction,
    ViewerToken,
)
from ocpp_cable.channels.storage.store import dispose
from ocpp_cable.ocppj import leniency
from ocpp_cable.rpc_app.broadcasting import BroadcastError, from_settings

# `viewers` is the name `tokens` had before tokens opened the HTTP API too.

SHOWN_TRANSACTIONS = 5
NONE = "—"

Row = dict[str, Any]


class AdminError(Exception):
    """Ends the command with a message on stderr and `code` as exit status."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = self.exit_code = code


# --- the parsers ------------------------------------------------------------------------------


def add_admin_commands(
    commands: argparse._SubParsersAction,
    add_setting_flags: Callable[[argparse.ArgumentParser], None],
    add_token_flags: Callable[[argparse.ArgumentParser], None] | None = None,
    add_station_flags: Callable[[argparse.ArgumentParser], None] | None = None,
) -> None:
    """Add `stations`, `tags`, `transactions`, `meter-values` and `tokens` to the top-level
    subparsers; `tokens`' leaves take `add_token_flags` (they also publish), `stations`'
    `add_station_flags` (accepting a station publishes), the others `add_setting_flags`."""

    def finish(*parsers: argparse.ArgumentParser, flags=add_setting_flags) -> None:
        # Last, so a leaf's own arguments come before the long settings list in --help.
        for parser in parsers:
            flags(parser)

    stations = commands.add_parser(
        "stations", help="register and inspect charge points", description="Charge points."
    )
    station_commands = stations.add_subparsers(
        dest="stations_command", required=True, metavar="SUBCOMMAND"
    )
    station_add = leaf(station_commands, "add", _stations_add, "register a station")
    station_add.add_argument("station_id", help="the id the charger connects with")
    auth = station_add.add_mutually_exclusive_group()
    auth.add_argument(
        "--password",
        help="HTTP Basic password the station must present (stored as a salted hash)",
    )
    auth.add_argument(
        "--no-auth",
        action="store_true",
        help="the station may connect without credentials (the default without --password)",
    )
    station_add.add_argument(
        "--registration",
        choices=registration.STATUSES,
        help="what its BootNotification is answered (default: the --default-registration "
        "setting, accepted unless set to pending)",
    )
    registration_leaves = [
        leaf(station_commands, name, _stations_registration(status), help_text)
        for name, status, help_text in (
            ("accept", registration.ACCEPTED, "answer its boots Accepted; a connected station "
             "that was not accepted is asked to boot again now (TriggerMessage)"),
            ("pending", registration.PENDING, "answer its boots Pending: it sends nothing but "
             "what we ask of it, and may be sent commands (provisioning)"),
            ("reject", registration.REJECTED, "answer its boots Rejected: it sends nothing "
             "but its boot, and is sent nothing"),
        )
    ]  # fmt: skip
    for parser in registration_leaves:
        parser.add_argument("station_id")
    station_list = leaf(station_commands, "list", _stations_list, "list stations", json_flag=True)
    station_show = leaf(
        station_commands,
        "show",
        _stations_show,
        "a station's details, connectors and last transactions",
        json_flag=True,
    )
    station_show.add_argument("station_id")
    station_variables = leaf(
        station_commands,
        "variables",
        _stations_variables,
        "an OCPP 2.x station's variables as last reported (GetBaseReport, GetVariables)",
        json_flag=True,
    )
    station_variables.add_argument("station_id")
    station_variables.add_argument("--component", help="only this component's")
    station_config = leaf(
        station_commands,
        "config",
        _stations_config,
        "a 1.6 station's configuration keys as last reported (GetConfiguration) or changed",
        json_flag=True,
    )
    station_config.add_argument("station_id")
    station_flags = add_station_flags or add_setting_flags
    finish(station_config, flags=station_flags)
    station_profiles = leaf(
        station_commands,
        "profiles",
        _stations_profiles,
        "a 1.6 station's charging profiles: installed, and pending for a remote start",
        json_flag=True,
    )
    station_profiles.add_argument("station_id")
    station_profiles.add_argument(
        "--all", action="store_true", help="also those replaced, cleared, ended or expired"
    )
    station_schedule = leaf(
        station_commands,
        "schedule",
        _stations_schedule,
        "a 1.6 station's last composite schedule per connector (GetCompositeSchedule)",
        json_flag=True,
    )
    station_schedule.add_argument("station_id")
    finish(station_profiles, station_schedule, flags=station_flags)
    station_lenient = leaf(
        station_commands,
        "lenient",
        _stations_lenient,
        "the schema violations the gateway forgives a station (from its next connection)",
    )
    station_lenient.add_argument("station_id")
    leniency_choice = station_lenient.add_mutually_exclusive_group(required=True)
    leniency_choice.add_argument(
        "--tolerate",
        metavar="RULES",
        help=f"comma-separated, of: {', '.join(leniency.RULES)}",
    )
    leniency_choice.add_argument(
        "--strict", action="store_true", help="forgive nothing (the default for every station)"
    )
    station_profile = leaf(
        station_commands,
        "security-profile",
        _stations_security_profile,
        "the lowest OCPP security profile a station may connect with (it rises by itself "
        "once the station connected on a profile it was moved to)",
    )
    station_profile.add_argument("station_id")
    floor_choice = station_profile.add_mutually_exclusive_group(required=True)
    floor_choice.add_argument("--floor", type=int, choices=security_profiles.PROFILES)
    floor_choice.add_argument(
        "--any", action="store_true", help="no floor: any profile (the default for every station)"
    )
    station_remove = leaf(
        station_commands,
        "remove",
        _stations_remove,
        "delete a station with its connectors, transactions and meter values",
    )
    station_remove.add_argument("station_id")

    tags = commands.add_parser(
        "tags", help="manage idTags (authorization)", description="idTags that may charge."
    )
    tag_commands = tags.add_subparsers(dest="tags_command", required=True, metavar="SUBCOMMAND")
    tag_add = leaf(
        tag_commands,
        "add",
        _tags_add,
        "add an idTag, or set an existing one to exactly the values given",
    )
    tag_add.add_argument("tag", help=f"1 to {MAX_TAG_LENGTH} characters")
    tag_add.add_argument("--status", choices=TAG_STATUSES, default="Accepted")
    tag_add.add_argument("--expiry", help="ISO 8601, e.g. 2030-01-01T00:00:00Z (UTC if no zone)")
    tag_add.add_argument("--parent", help="parent idTag (groups tags)")
    tag_list = leaf(tag_commands, "list", _tags_list, "list idTags", json_flag=True)
    tag_block = leaf(tag_commands, "block", _tags_block, "set an idTag's status to Blocked")
    tag_block.add_argument("tag")

    tariff_leaves = _add_tariff_commands(commands)

    transactions = commands.add_parser(
        "transactions", help="inspect charging sessions", description="Charging sessions."
    )
    transaction_commands = transactions.add_subparsers(
        dest="transactions_command", required=True, metavar="SUBCOMMAND"
    )
    transaction_list = leaf(
        transaction_commands,
        "list",
        _transactions_list,
        "list transactions, newest first",
        json_flag=True,
    )
    transaction_list.add_argument("--station", metavar="ID", help="only this station's")
    transaction_stale = leaf(
        transaction_commands,
        "stale",
        _transactions_stale,
        "open transactions whose stop never came (a later start on the connector, the "
        "station booted, the connector went Available), with why",
        json_flag=True,
    )
    transaction_stale.add_argument("--station", metavar="ID", help="only this station's")
    transaction_close = leaf(
        transaction_commands,
        "close",
        _transactions_close,
        "close a transaction whose stop never came (nothing is sent to the station; its "
        "own StopTransaction, if it comes after all, replaces these values)",
    )
    transaction_close.add_argument("transaction_id", type=int)
    transaction_close.add_argument(
        "--meter-stop",
        type=int,
        metavar="WH",
        help="the meter at the stop (default: the last energy reading stored, else the start)",
    )
    transaction_close.add_argument(
        "--reason",
        choices=offline.STOP_REASONS,
        default="Other",
        metavar="REASON",
        help="the stop reason recorded, an OCPP 1.6 Reason: "
        f"{', '.join(offline.STOP_REASONS)} (default: %(default)s)",
    )
    finish(transaction_stale, transaction_close)

    meter_values = leaf(
        commands,
        "meter-values",
        _meter_values,
        "every meter value of a transaction, by time",
        json_flag=True,
    )
    meter_values.add_argument("transaction_id", type=int)
    meter_values.add_argument(
        "--kept-apart",
        action="store_true",
        help="the readings that named the transaction but are not counted into it: "
        "another station sent them, or it did not exist yet",
    )

    tokens = commands.add_parser(
        "tokens",
        aliases=["viewers"],
        help="who may watch the network live at /cable and use the HTTP API",
        description="People's tokens: read (watch at /cable, GET the API), write "
        "(also change data and send commands through the API) or admin (also make, list "
        "and revoke tokens through the API and the dashboard).",
    )
    token_commands = tokens.add_subparsers(
        dest="tokens_command", required=True, metavar="SUBCOMMAND"
    )
    token_add = leaf(
        token_commands,
        "add",
        _tokens_add,
        "make a token (a new one replaces the old); it is written to a file, "
        "readable by you only, and never printed",
    )
    token_add.add_argument("name", help=f"1 to {viewers.MAX_NAME_LENGTH} characters")
    token_add.add_argument(
        "--scope",
        choices=viewers.SCOPES,
        default=viewers.READ,
        help="read: watch and read; write: also change data and command stations; admin: "
        "also manage tokens through the API and the dashboard (default: %(default)s)",
    )
    token_add.add_argument(
        "--token-file", help="where the token goes (default: token-<name>.token)"
    )
    token_list = leaf(token_commands, "list", _tokens_list, "list tokens", json_flag=True)
    token_revoke = leaf(token_commands, "revoke", _tokens_revoke, "revoke a token")
    token_revoke.add_argument("name")

    finish(token_add, token_list, token_revoke, flags=add_token_flags or add_setting_flags)
    finish(
        station_add,
        *registration_leaves,
        station_list,
        station_show,
        station_variables,
        station_lenient,
        station_profile,
        station_remove,
        flags=station_flags,
    )
    finish(
        tag_add,
        tag_list,
        tag_block,
        transaction_list,
        meter_values,
        *tariff_leaves,
    )


def _add_tariff_commands(commands: argparse._SubParsersAction) -> list[argparse.ArgumentParser]:
    """`tariffs add|list|assign|unassign|remove`; returns the leaves (for their settings)."""
    group = commands.add_parser(
        "tariffs",
        help="what charging costs: tariffs and the stations they price",
        description="Tariffs: a price per kWh, per hour and per session, in one currency, "
        "taxes included. A station's sessions are priced by the tariff assigned to it, else "
        "by the default tariff; a session keeps the tariff it started under.",
    )
    leaves = group.add_subparsers(dest="tariffs_command", required=True, metavar="SUBCOMMAND")
    add = leaf(leaves, "add", _tariffs_add, "add a tariff, or set one to exactly the values given")
    add.add_argument("name", help=tariffs.NAME_RULE)
    add.add_argument("--currency", required=True, help="ISO 4217 code, e.g. EUR")
    add.add_argument("--per-kwh", default="0", metavar="PRICE", help="per kWh (default: 0)")
    add.add_argument("--per-hour", default="0", metavar="PRICE", help="per hour (default: 0)")
    add.add_argument("--session-fee", default="0", metavar="PRICE", help="per session (default: 0)")
    add.add_argument("--default", action="store_true", help="price stations assigned no tariff")
    listed = leaf(leaves, "list", _tariffs_list, "list tariffs and their stations", json_flag=True)
    assign = leaf(leaves, "assign", _tariffs_assign, "price these stations' sessions by a tariff")
    assign.add_argument("name")
    assign.add_argument("station_ids", nargs="*", metavar="STATION", help="one or more")
    assign.add_argument("--default", action="store_true", help="make it the default tariff")
    unassign = leaf(
        leaves, "unassign", _tariffs_unassign, "price these stations by the default tariff again"
    )
    unassign.add_argument("station_ids", nargs="*", metavar="STATION", help="one or more")
    unassign.add_argument("--default", action="store_true", help="have no default tariff")
    remove = leaf(leaves, "remove", _tariffs_remove, "remove a tariff no station is assigned")
    remove.add_argument("name")
    return [add, listed, assign, unassign, remove]


def run_admin(args: argparse.Namespace, settings: AdminSettings) -> int:
    """Run the admin command in `args`; the exit status."""
    try:
        return exit_status(lambda: args.admin_handler(args, settings))
    finally:
        # One command per process: leave no pooled connection (or SQLite WAL) behind.
        dispose(settings.database_url)


@contextmanager
def _session(settings: AdminSettings) -> Iterator[Session]:
    # Input is checked before this, so a typo never creates or migrates a database.
    if settings.auto_migrate:
        db.upgrade(settings.database_url)
    with db.session_scope(settings.database_url) as session:
        yield session


# --- stations ---------------------------------------------------------------------------------


def _check_station_id(station_id: str, settings: AdminSettings) -> None:
    problem = station_id_problem(station_id, settings.path_prefix)
    if problem is not None:
        raise AdminError(f"invalid station id {station_id!r}: {problem}", 2)


def _stations_add(args: argparse.Namespace, settings: StationAdminSettings) -> int:
    _check_station_id(args.station_id, settings)
    if args.password is not None and not args.password:
        # add_station would take "" for "no password" and open the station to anyone.
        raise AdminError("--password must not be empty (use --no-auth for none)", 2)
    kept = args.registration or settings.default_registration
    try:
        with _session(settings) as session:
            if session.get(ChargePoint, args.station_id) is not None:
                raise AdminError(f"station {args.station_id} already exists")
            add_station(
                session,
                args.station_id,
                password=args.password,
                auth_required=True,
                registration=kept,
            )
    except IntegrityError:  # registered meanwhile, by another admin or an auto-registration
        raise AdminError(f"station {args.station_id} already exists") from None
    auth = "password" if args.password else "none, connects without credentials"
    print(f"added station {args.station_id} (auth: {auth}; registration: {kept})")
    return 0


def _stations_registration(status: str) -> Callable[[argparse.Namespace, Any], int]:
    """`stations accept|pending|reject ID`."""

    def change(args: argparse.Namespace, settings: StationAdminSettings) -> int:
        # Here, not at the top: it brings the OCPP schemas, which the other admin
        # commands do without.
        from ocpp_cable.channels.operators.admin.registration import change_registration

        if settings.auto_migrate:
            db.upgrade(settings.database_url)
        result = change_registration(settings, args.station_id, status)
        print(f"{args.station_id} {status} (was {result['previous']}): {result['note']}")
        if result["boot_requested"] is not None:
            print(f"TriggerMessage {result['boot_requested']} sent to {args.station_id}")
        return 0

    return change


def _stations_list(args: argparse.Namespace, settings: AdminSettings) -> int:
    with _session(settings) as session:
        stations = session.scalars(select(ChargePoint).order_by(ChargePoint.id)).all()
        present = presence.presence(session, stations)
        rows = [records.station_summary(s, present[s.id]) for s in stations]
    _print_rows(
        args,
        rows,
        "no stations",
        [
            ("ID", "id"),
            ("CONNECTED", "connected"),
            ("REGISTRATION", "registration"),
            ("BOOT", "boot_status"),
            ("VENDOR", "vendor"),
            ("MODEL", "model"),
            ("FIRMWARE", "firmware_version"),
            ("LAST SEEN", "last_seen"),
            ("AUTH", "auth"),
            ("OCPP", "ocpp_version"),
        ],
    )
    return 0


CONNECTOR_COLUMNS = [
    ("EVSE", "evse_id"),
    ("CONNECTOR", "connector_id"),
    ("STATUS", "status"),
    ("ERROR", "error_code"),
    ("INFO", "info"),
    ("UPDATED", "updated_at"),
]
TRANSACTION_COLUMNS = [
    ("ID", "id"),
    ("STATION", "station_id"),
    ("CONN", "connector_id"),
    ("IDTAG", "id_tag"),
    ("START", "start_time"),
    ("STOP", "stop_time"),
    ("METER START", "meter_start"),
    ("METER STOP", "meter_stop"),
    ("WH", "energy_wh"),
    ("KWH", "energy_kwh"),
    ("REASON", "stop_reason"),
    ("COST", "cost"),
    ("CUR", "currency"),
    ("EVSE", "evse_id"),
    ("TXID", "station_transaction_id"),  # a 2.x station's own transactionId
]


def _stations_show(args: argparse.Namespace, settings: AdminSettings) -> int:
    with _session(settings) as session:
        station = session.get(ChargePoint, args.station_id)
        if station is None:
            raise AdminError(f"no station {args.station_id}")
        detail = records.station_detail(session, station, presence.is_present(session, station))
        connectors = session.scalars(
            select(Connector)
            .where(Connector.station_id == station.id)
            .order_by(Connector.evse_id, Connector.connector_id)
        ).all()
        detail["connectors"] = [records.connector_row(c) for c in connectors]
        transactions = session.scalars(
            select(Transaction)
            .where(Transaction.station_id == station.id)
            .order_by(Transaction.start_time.desc(), Transaction.id.desc())
            .limit(SHOWN_TRANSACTIONS)
        ).all()
        detail["transactions"] = [records.transaction_row(t, session) for t in transactions]
    if args.json:
        _print_json(detail)
        return 0
    scalars = [(k, v) for k, v in detail.items() if k not in ("connectors", "transactions")]
    rotation = detail["password_rotation"]
    if rotation is not None:  # one line, as people read it
        said = f"{rotation['status']} (command {rotation['command_id']}, since "
        said += f"{_cell(rotation['started_at'])})"
        if rotation["status"] == "unanswered":  # ended without the station's word
            said += f", ended {rotation['error_code'] or 'unanswered'}: both passwords are "
            said += "admitted until the station's next login settles it"
        scalars = [(k, said if k == "password_rotation" else v) for k, v in scalars]
    width = max(len(k) for k, _ in scalars)
    for key, value in scalars:
        print(f"{key.ljust(width)}  {_cell(value)}")
    print()
    print("connectors:")
    if detail["connectors"]:
        _print_table(detail["connectors"], CONNECTOR_COLUMNS, indent="  ")
    else:
        print("  no connectors")
    print()
    print(f"last {SHOWN_TRANSACTIONS} transactions:")
    if detail["transactions"]:
        _print_table(
            detail["transactions"],
            [c for c in TRANSACTION_COLUMNS if c[1] != "station_id"],
            indent="  ",
        )
    else:
        print("  no transactions")
    return 0


def _stations_security_profile(args: argparse.Namespace, settings: AdminSettings) -> int:
    floor = None if args.any else args.floor
    with _session(settings) as session:
        if not security_profiles.set_floor(session, args.station_id, floor):
            raise AdminError(f"no station {args.station_id}")
    if floor is None:
        print(f"{args.station_id} may connect on any security profile")
    else:
        print(f"{args.station_id} may connect on security profile {floor} or higher")
    return 0


def _stations_lenient(args: argparse.Namespace, settings: AdminSettings) -> int:
    rules = [] if args.strict else [r.strip() for r in args.tolerate.split(",") if r.strip()]
    unknown = [rule for rule in rules if rule not in leniency.RULES]
    if unknown or not (rules or args.strict):
        raise AdminError(
            f"unknown rule {unknown[0]!r}; rules: {', '.join(leniency.RULES)}"
            if unknown
            else "name at least one rule, or --strict",
            2,
        )
    with _session(settings) as session:
        if not set_tolerated_rules(session, args.station_id, rules):
            raise AdminError(f"no station {args.station_id}")
    if rules:
        print(f"{args.station_id} may break, from its next connection:")
        for rule in sorted(set(rules)):
            print(f"  {rule}: {leniency.RULES[rule]}")
    else:
        print(f"{args.station_id} is strict from its next connection")
    return 0


def _stations_variables(args: argparse.Namespace, settings: AdminSettings) -> int:
    query = variables.reported(args.station_id, args.component)
    with _session(settings) as session:
        if session.get(ChargePoint, args.station_id) is None:
            raise AdminError(f"no station {args.station_id}")
        rows = [records.variable_row(v) for v in session.scalars(query)]
    _print_rows(
        args,
        rows,
        f"no variables reported by {args.station_id}",
        [
            ("COMPONENT", "component"),
            ("INSTANCE", "component_instance"),
            ("EVSE", "evse_id"),
            ("CONNECTOR", "connector_id"),
            ("VARIABLE", "variable"),
            ("VAR INSTANCE", "variable_instance"),
            ("TYPE", "attribute_type"),
            ("VALUE", "value"),
            ("MUTABILITY", "mutability"),
        ],
    )
    return 0


def _stations_config(args: argparse.Namespace, settings: AdminSettings) -> int:
    with _session(settings) as session:
        if session.get(ChargePoint, args.station_id) is None:
            raise AdminError(f"no station {args.station_id}")
        rows = configuration_rows(session, args.station_id)
    _print_rows(
        args,
        rows,
        f"no configuration reported by {args.station_id} (send it GetConfiguration)",
        [
            ("KEY", "key"),
            ("VALUE", "value"),
            ("READONLY", "readonly"),
            ("REBOOT REQUIRED", "reboot_required"),
            ("UPDATED", "updated_at"),
        ],
    )
    return 0


def _stations_remove(args: argparse.Namespace, settings: AdminSettings) -> int:
    with _session(settings) as session:
        removed = remove_station(session, args.station_id)
        if removed is None:
            raise AdminError(f"no station {args.station_id}")
    print(
        f"removed station {args.station_id} "
        f"(with {removed.transactions} transactions and {removed.meter_values} meter values)"
    )
    if removed.was_connected:
        print(
            f"note: {args.station_id} was connected; it stays connected until it reconnects, "
            "then it is refused unless --auto-register is on"
        )
    return 0


# --- tags -------------------------------------------------------------------------------------


def _check_tag(tag: str, what: str) -> None:
    if not 0 < len(tag) <= MAX_TAG_LENGTH:
        raise AdminError(
            f"invalid {what} {tag!r}: an idTag has 1 to {MAX_TAG_LENGTH} characters", 2
        )


def _tags_add(args: argparse.Namespace, settings: AdminSettings) -> int:
    _check_tag(args.tag, "idTag")
    if args.parent is not None:
        _check_tag(args.parent, "--parent")
    expiry = None
    if args.expiry is not None:
        try:
            expiry, _ = parse_time(args.expiry)
        except ValueError:
            raise AdminError(f"invalid --expiry {args.expiry!r}: not an ISO 8601 time", 2) from None
    with _session(settings) as session:
        # Declarative: after `tags add`, the tag is exactly as the command line says.
        created = put_id_tag(session, args.tag, args.status, expiry, args.parent)
    print(f"{'added' if created else 'updated'} tag {args.tag} ({args.status})")
    return 0


def _tags_list(args: argparse.Namespace, settings: AdminSettings) -> int:
    with _session(settings) as session:
        tags = session.scalars(select(IdTag).order_by(IdTag.tag)).all()
        rows = [records.id_tag_row(t) for t in tags]
    _print_rows(
        args,
        rows,
        "no tags",
        [
            ("TAG", "tag"),
            ("STATUS", "status"),
            ("EXPIRY", "expiry_date"),
            ("PARENT", "parent_id_tag"),
            ("CREATED", "created_at"),
        ],
    )
    return 0


def _tags_block(args: argparse.Namespace, settings: AdminSettings) -> int:
    with _session(settings) as session:
        if not block_id_tag(session, args.tag):
            raise AdminError(f"no tag {args.tag}")
    print(f"blocked tag {args.tag}")
    return 0


# --- tariffs ---------------------------------------------------------------------------------

# A tariff's problem -> the exit status: bad input 2, anything else (unknown, in use) 1.
_TARIFF_EXIT = {"invalid": 2}


@contextmanager
def _tariff_errors() -> Iterator[None]:
    try:
        yield
    except tariffs.TariffError as exc:
        raise AdminError(str(exc), _TARIFF_EXIT.get(exc.kind, 1)) from None


def _tariffs_add(args: argparse.Namespace, settings: AdminSettings) -> int:
    with _tariff_errors():
        tariffs.check_name(args.name)
        prices = tariffs.priced(args.currency, args.per_kwh, args.per_hour, args.session_fee)
        with _session(settings) as session:
            created = tariffs.put(session, args.name, prices, default=args.default)
    values = prices.values()
    print(
        f"{'added' if created else 'updated'} tariff {args.name}: {values['energy_price']} per "
        f"kWh, {values['time_price']} per hour, {values['session_fee']} per session "
        f"({prices.currency}){', the default' if args.default else ''}"
    )
    return 0


def _tariffs_list(args: argparse.Namespace, settings: AdminSettings) -> int:
    with _session(settings) as session:
        rows = [tariffs.row(session, t) for t in tariffs.all_tariffs(session)]
    if not args.json:
        for row in rows:
            row["stations"] = ", ".join(row["stations"]) or None
    _print_rows(
        args,
        rows,
        "no tariffs",
        [
            ("NAME", "name"),
            ("CURRENCY", "currency"),
            ("PER KWH", "energy_price"),
            ("PER HOUR", "time_price"),
            ("SESSION FEE", "session_fee"),
            ("DEFAULT", "default"),
            ("STATIONS", "stations"),
        ],
    )
    return 0


def _tariffs_assign(args: argparse.Namespace, settings: AdminSettings) -> int:
    if not (args.station_ids or args.default):
        raise AdminError("name at least one station, or --default", 2)
    with _tariff_errors(), _session(settings) as session:
        tariffs.assign(session, args.name, args.station_ids)
        if args.default:
            tariffs.make_default(session, args.name)
    if args.station_ids:
        print(f"{', '.join(args.station_ids)}: priced by tariff {args.name} from the next session")
    if args.default:
        print(f"tariff {args.name} is the default")
    return 0


def _tariffs_unassign(args: argparse.Namespace, settings: AdminSettings) -> int:
    if not (args.station_ids or args.default):
        raise AdminError("name at least one station, or --default", 2)
    with _tariff_errors(), _session(settings) as session:
        tariffs.unassign(session, args.station_ids)
        if args.default:
            tariffs.make_default(session, None)
    if args.station_ids:
        print(f"{', '.join(args.station_ids)}: priced by the default tariff from the next session")
    if args.default:
        print("no default tariff: stations assigned none are not priced")
    return 0


def _tariffs_remove(args: argparse.Namespace, settings: AdminSettings) -> int:
    with _tariff_errors(), _session(settings) as session:
        tariffs.remove(session, args.name)
    print(f"removed tariff {args.name} (sessions it priced keep their cost)")
    return 0


# --- tokens ----------------------------------------------------------------------------------


def _tokens_add(args: argparse.Namespace, settings: TokenSettings) -> int:
    name = args.name
    problem = viewers.name_problem(name)
    if problem is not None:
        raise AdminError(problem, 2)
    path = args.token_file or f"token-{name}.token"
    with _session(settings) as session:
        replaced = viewers.in_force(session, name)
        token = viewers.add_viewer(session, name, args.scope)
        try:
            # Readable by the owner only; a file of an earlier token is overwritten.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                file.write(token + "\n")
        except OSError as exc:
            raise AdminError(f"cannot write the token to {path}: {exc.strerror}") from None
    print(f"token {name} ({args.scope}): written to {path} (mode 0600)")
    # The token it replaced opens nothing now, live connections included.
    return _end_connections(settings, name) if replaced else 0


def _tokens_list(args: argparse.Namespace, settings: AdminSettings) -> int:
    with _session(settings) as session:
        found = session.scalars(select(ViewerToken).order_by(ViewerToken.name))
        rows = [records.token_row(v) for v in found]
    _print_rows(
        args,
        rows,
        "no tokens",
        [
            ("NAME", "name"),
            ("SCOPE", "scope"),
            ("CREATED", "created_at"),
            ("REVOKED", "revoked_at"),
        ],
    )
    return 0


def _tokens_revoke(args: argparse.Namespace, settings: TokenSettings) -> int:
    """Revoke the token, then have every gateway node close its /cable connections. Run
    again for a token revoked already, it tells the nodes again."""
    name = args.name
    try:
        with _session(settings) as session:
            revoked = viewers.revoke(session, name)
    except viewers.UnknownToken as exc:
        raise AdminError(str(exc)) from None
    print(f"revoked token {name}" if revoked else f"token {name} was revoked already")
    return _end_connections(settings, name, f"; `tokens revoke {name}` again tells them")


def _end_connections(settings: TokenSettings, name: str, again: str = "") -> int:
    """Tell every gateway node to close `name`'s /cable connections; exit 1 if they could
    not be told (the token is revoked all the same)."""
    try:
        viewers.end_connections(from_settings(settings), name)
    except BroadcastError as exc:
        raise AdminError(
            f"{name}'s open /cable connections were not told to close ({exc}): each is "
            f"refused and closed at its next subscribe{again}"
        ) from None
    return 0


# --- transactions and meter values ------------------------------------------------------------


def _transactions_list(args: argparse.Namespace, settings: AdminSettings) -> int:
    query = select(Transaction).order_by(Transaction.start_time.desc(), Transaction.id.desc())
    if args.station is not None:
        query = query.where(Transaction.station_id == args.station)
    with _session(settings) as session:
        rows = [records.transaction_row(t, session) for t in session.scalars(query)]
    _print_rows(
        args,
        rows,
        "no transactions" + (f" for station {args.station}" if args.station else ""),
        TRANSACTION_COLUMNS,
    )
    return 0


def _meter_values(args: argparse.Namespace, settings: AdminSettings) -> int:
    with _session(settings) as session:
        query = transactions.readings_query(args.transaction_id, args.kept_apart)
        values = session.scalars(query).all()
        # Readings kept apart may name an id no transaction has.
        if not args.kept_apart and session.get(Transaction, args.transaction_id) is None:
            raise AdminError(f"no transaction {args.transaction_id}")
        rows = [records.meter_value_row(v) for v in values]
    kept = "kept apart from" if args.kept_apart else "for"
    _print_rows(
        args,
        rows,
        f"no meter values {kept} transaction {args.transaction_id}",
        [
            ("STATION", "station_id"),
            ("TIMESTAMP", "timestamp"),
            ("MEASURAND", "measurand"),
            ("PHASE", "phase"),
            ("VALUE", "value"),
            ("UNIT", "unit"),
            ("CONTEXT", "context"),
            ("LOCATION", "location"),
        ],
    )
    return 0


# --- smart charging and stale transactions ----------------------------------------------------

PROFILE_COLUMNS = [
    ("CONN", "connector_id"),
    ("PURPOSE", "purpose"),
    ("STACK", "stack_level"),
    ("PROFILE", "charging_profile_id"),
    ("KIND", "kind"),
    ("TX", "transaction_id"),
    ("STATUS", "status"),
    ("SINCE", "status_at"),
    ("VALID TO", "valid_to"),
    ("PERIODS", "periods"),
]
SCHEDULE_COLUMNS = [
    ("CONN", "connector_id"),
    ("STATUS", "status"),
    ("ASKED", "asked"),
    ("START", "schedule_start"),
    ("PERIODS", "periods"),
    ("RECEIVED", "received_at"),
]


def _known_station(session: Session, station_id: str) -> None:
    if session.get(ChargePoint, station_id) is None:
        raise AdminError(f"no station {station_id}")


def _stations_profiles(args: argparse.Namespace, settings: AdminSettings) -> int:
    query = smart_charging.profiles_query(args.station_id, history=args.all)
    with _session(settings) as session:
        _known_station(session, args.station_id)
        rows = [smart_charging.profile_row(p) for p in session.scalars(query)]
    if not args.json:
        for row in rows:
            row["periods"] = smart_charging.profile_periods(row["profile"])
    _print_rows(args, rows, f"no charging profiles on {args.station_id}", PROFILE_COLUMNS)
    return 0


def _stations_schedule(args: argparse.Namespace, settings: AdminSettings) -> int:
    with _session(settings) as session:
        _known_station(session, args.station_id)
        found = session.scalars(smart_charging.schedules_query(args.station_id))
        rows = [smart_charging.schedule_row(s) for s in found]
    if not args.json:
        for row in rows:
            response = row["response"]
            row["asked"] = f"{row['duration']}s {row['charging_rate_unit'] or ''}".rstrip()
            row["schedule_start"], schedule = smart_charging.composite_parts(response)
            row["periods"] = smart_charging.periods_text(schedule)
    _print_rows(args, rows, f"no composite schedule from {args.station_id}", SCHEDULE_COLUMNS)
    return 0


def _transactions_stale(args: argparse.Namespace, settings: AdminSettings) -> int:
    with _session(settings) as session:
        rows = [
            {
                **records.transaction_row(transaction, session),
                "stale_reasons": [reason._asdict() for reason in reasons],
            }
            for transaction, reasons in offline.stale_transactions(session, args.station)
        ]
    if not args.json:
        for row in rows:
            row["why"] = "; ".join(reason["detail"] for reason in row["stale_reasons"])
    _print_rows(
        args,
        rows,
        "no stale transactions" + (f" for station {args.station}" if args.station else ""),
        [
            ("ID", "id"),
            ("STATION", "station_id"),
            ("CONN", "connector_id"),
            ("IDTAG", "id_tag"),
            ("START", "start_time"),
            ("METER START", "meter_start"),
            ("WHY", "why"),
        ],
    )
    return 0


def _transactions_close(args: argparse.Namespace, settings: AdminSettings) -> int:
    transaction_id, meter_stop = args.transaction_id, args.meter_stop
    if meter_stop is not None and not 0 <= meter_stop <= 2**62:
        raise AdminError(f"invalid --meter-stop {meter_stop}: Wh, 0 or more", 2)
    with _session(settings) as session:
        found = session.get(Transaction, transaction_id)
        if found is None:
            raise AdminError(f"no transaction {transaction_id}")
        if found.stop_time is not None:
            raise AdminError(f"transaction {transaction_id} is closed already")
        start = found.meter_start
        if meter_stop is not None and start is not None and meter_stop < start:
            raise AdminError(
                f"--meter-stop {meter_stop} is below the transaction's meter start {start}: "
                "a session gives no negative energy",
                2,
            )
        if not transactions.close_by_operator(session, found, meter_stop, args.reason):
            raise AdminError(f"transaction {transaction_id} is closed already")
        row = records.transaction_row(found, session)
    energy = NONE if row["energy_wh"] is None else f"{row['energy_wh']} Wh"
    print(
        f"closed transaction {transaction_id} of {row['station_id']} "
        f"(meter stop {_cell(row['meter_stop'])}, energy {energy}, reason {row['stop_reason']})"
    )
    return 0


# --- output -----------------------------------------------------------------------------------


def _iso(value: datetime, timespec: str = "auto") -> str:
    return value.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _print_rows(
    args: argparse.Namespace, rows: list[Row], empty: str, columns: Sequence[tuple[str, str]]
) -> None:
    """A list command's output: JSON with --json, else a table, or `empty` for no rows."""
    if args.json:
        _print_json(rows)
    elif not rows:
        print(empty)
    else:
        _print_table(rows, columns)


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=_json_default))


# C0, DEL and C1: a charger chooses its vendor name and status info, and must not get to
# send escape sequences to an administrator's terminal.
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cell(value: Any) -> str:
    if value is None:
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return _iso(value, "seconds")
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value).translate(_CONTROL)


def _print_table(rows: Sequence[Row], columns: Sequence[tuple[str, str]], indent: str = "") -> None:
    cells = [[_cell(row.get(key)) for _, key in columns] for row in rows]
    widths = [
        max([len(title), *(len(line[i]) for line in cells)]) for i, (title, _) in enumerate(columns)
    ]
    # Numbers line up on the right, like a spreadsheet; everything else on the left.
    right = []
    for _, key in columns:
        values = [row.get(key) for row in rows]
        present = [v for v in values if v is not None]
        right.append(bool(present) and all(_is_number(v) for v in present))

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)
        ]
        return (indent + "  ".join(parts)).rstrip()

    print(line([title for title, _ in columns]))
    for values in cells:
        print(line(values))
