"""`ocpp-cable`: run the gateway and rpc_app, inspect settings, operate the reference system.

The composition root: the one place that knows every part. It imports each part only
for the command that uses it: `ocpp-cable gateway` loads no database, web framework or
application, and the operator's commands load the reference system's code only when
one of them is run.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
from pathlib import Path
from typing import Any

from ocpp_cable.foundation import logs
from ocpp_cable.foundation.redact import mask_secrets
from ocpp_cable.foundation.settings import (
    SettingsError,
    SettingsGroup,
    anycable_env_names,
    anycable_flags,
    env_name,
    flag_name,
    load_settings,
)
from ocpp_cable.usage import SuggestingParser

# The reference system's operator commands, by the settings they read. Named here, apart
# from their code: routing a word to its command imports nothing of the database layer.
TOKEN_COMMANDS = frozenset({"tokens", "viewers"})
ADMIN_COMMANDS = (
    frozenset({"stations", "tags", "tariffs", "transactions", "meter-values"}) | TOKEN_COMMANDS
)
OPERATION_COMMANDS = frozenset(
    {"local-list", "reserve", "reservations", "rotate-password"}
    | {"reset", "availability", "clear-cache", "trigger", "unlock", "network-profile"}
    | {"remote-start", "remote-stop", "transaction-status", "configuration"}
)
FILE_COMMANDS = frozenset({"firmware", "diagnostics"})
DEVICE_MODEL_COMMANDS = frozenset(
    {"variables", "report", "monitoring", "customer-information", "display-messages"}
)
CHARGING_COMMANDS = frozenset({"charging-profiles", "composite-schedule"})

# The settings each command reads: its --help lists their flags, it loads only them.
# Named, not imported: the reference system's tiers load only for its commands.
FRAMEWORK = "ocpp_cable.foundation.settings"
REFERENCE = "ocpp_cable.channels.settings"
TIER_NAMES: dict[str, tuple[str, str]] = {
    "up": (REFERENCE, "Settings"),
    "gateway": (FRAMEWORK, "GatewaySettings"),
    "rpc": (REFERENCE, "CentralSystemRPCSettings"),
    "api": (REFERENCE, "OperatorAPIServerSettings"),
    "config": (REFERENCE, "Settings"),
    "migrate": (REFERENCE, "DatabaseSettings"),
    "broadcast": (FRAMEWORK, "PublisherSettings"),
    "send": (REFERENCE, "SendSettings"),
    **dict.fromkeys(
        sorted(ADMIN_COMMANDS - TOKEN_COMMANDS - {"stations"}), (REFERENCE, "AdminSettings")
    ),
    # Accepting a connected station asks it to boot again: `stations` publishes too.
    "stations": (REFERENCE, "StationAdminSettings"),
    # Tokens also publish: a token revoked or replaced has its /cable connections closed.
    **dict.fromkeys(sorted(TOKEN_COMMANDS), (REFERENCE, "TokenSettings")),
    # Commands to stations, built from our records: sent as `send` sends.
    **dict.fromkeys(sorted(OPERATION_COMMANDS), (REFERENCE, "SendSettings")),
    # A 2.x station's device model: requests composed and split as its limits allow.
    **dict.fromkeys(sorted(DEVICE_MODEL_COMMANDS), (REFERENCE, "SendSettings")),
    # Smart charging: profiles and schedules composed in the station's version.
    **dict.fromkeys(sorted(CHARGING_COMMANDS), (REFERENCE, "SendSettings")),
    # UpdateFirmware and GetDiagnostics, with the URL the station fetches from or uploads to.
    **dict.fromkeys(sorted(FILE_COMMANDS), (REFERENCE, "StationFilesCommandSettings")),
}


def tier_of(command: str) -> type[SettingsGroup]:
    """The settings class `command` reads (imported now)."""
    module, name = TIER_NAMES[command]
    return getattr(importlib.import_module(module), name)


def __getattr__(name: str) -> Any:
    # TIERS, every command's tier, for tests and `make docs`: it loads every tier.
    if name == "TIERS":
        return {command: tier_of(command) for command in TIER_NAMES}
    raise AttributeError(f"module 'ocpp_cable.cli' has no attribute {name!r}")


# Where the parsed arguments record the settings given by an AnyCable-Go flag: {field: flag}.
ANYCABLE_GIVEN = "anycable_given"


class _SettingFlag(argparse.Action):
    """Stores a setting's value, and remembers whether it came by its AnyCable-Go flag."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, values)
        given = dict(getattr(namespace, ANYCABLE_GIVEN, None) or {})
        if option_string in anycable_flags(self.dest):
            given[self.dest] = option_string
        else:  # our flag, given last, wins
            given.pop(self.dest, None)
        setattr(namespace, ANYCABLE_GIVEN, given)


def _add_setting_flags(
    parser: argparse.ArgumentParser, tier: type[SettingsGroup] | None = None, default: object = None
) -> None:
    tier = tier or tier_of("up")  # every setting
    group = parser.add_argument_group("settings (each also from its environment variable)")
    for name, field in tier.model_fields.items():
        # A bool flag given bare means true (AnyCable-Go's `--ocpp_granular_actions`).
        bare = {"nargs": "?", "const": "true"} if field.annotation is bool else {}
        variables = " or ".join([env_name(name), *anycable_env_names(name)])
        group.add_argument(
            flag_name(name),
            *anycable_flags(name),
            dest=name,
            default=default,  # SUPPRESS on a subcommand: a flag given before it stays
            action=_SettingFlag,
            metavar=name.upper(),
            help=f"{field.description} [{variables}, default {field.default!r}]",
            **bare,
        )


# The commands whose parsers need none of the reference system's operator tools.
SERVER_COMMANDS = frozenset({"up", "gateway", "rpc", "api", "config", "migrate", "simulate"})
# The commands that make the data directory when it is not there yet: the system's own.
MAKES_DATA_DIR = frozenset({"up", "gateway", "rpc", "api", "migrate"})
DATA_DIR_VARIABLE = "OCPP_CABLE_DATA_DIR"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ocpp-cable")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; given the `command` about to be parsed, only its settings'
    flags (and the operator commands only for one of them): parsing `gateway` then
    imports nothing of the reference system."""

    def flags(parser: argparse.ArgumentParser, name: str) -> None:
        if command in (None, name):
            _add_setting_flags(parser, tier_of(name))

    parser = SuggestingParser(
        prog="ocpp-cable", description="OCPP-J chargers served by Python channel classes."
    )
    parser.add_argument("--version", action="version", version=f"ocpp-cable {_version()}")
    parser.add_argument(
        "-C",
        "--data-dir",
        metavar="DIR",
        help="run in DIR, where the system's files are (the SQLite database, the broadcast "
        "key, firmware, uploads, token files), as `git -C` does; default: "
        f"${DATA_DIR_VARIABLE}, else the current directory",
    )
    # Every setting of the tier parsed (of all, without `command`) is in the parsed
    # arguments (None: not given), so the overrides of a tier can be read from them.
    if command != "simulate":  # a client of any central system: no settings
        every = tier_of(command) if command in TIER_NAMES else tier_of("up")
        parser.set_defaults(**dict.fromkeys(every.model_fields))
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text in (
        ("up", "run gateway, rpc_app and the HTTP API together on embedded defaults"),
        ("gateway", "run the gateway alone (chargers' WebSockets, HTTP broadcast)"),
        ("rpc", "run rpc_app alone (the gRPC server with the channel classes)"),
        ("api", "run the HTTP API and dashboard alone (/api/v1, /)"),
        ("config", "print the effective settings, secrets masked"),
        ("migrate", "bring the central system's database schema up to date"),
    ):
        flags(commands.add_parser(name, help=help_text, description=help_text), name)
    broadcast = commands.add_parser(
        "broadcast",
        help="send a transmission to a stream",
        description="Publish {stream, data} through the configured --broadcaster.",
    )
    broadcast.add_argument("stream", help="stream name, e.g. ocpp:CP-1")
    broadcast.add_argument("data", help='JSON transmission, e.g. \'{"command": "Reset", ...}\'')
    flags(broadcast, "broadcast")
    send = commands.add_parser(
        "send",
        help="send an OCPP command to a station",
        description="Build a CALL for the station's stream (--station-stream) and publish it.",
    )
    send.add_argument("station_id")
    send.add_argument("action", help="OCPP 1.6 action, e.g. Reset")
    send.add_argument("payload", nargs="?", default="{}", help="JSON payload (default {})")
    send.add_argument(
        "--wait", action="store_true", help="wait for the station's answer and print it"
    )
    send.add_argument(
        "--no-record",
        dest="record",
        action="store_false",
        help="do not record the command in the central system's database",
    )
    flags(send, "send")
    if command is None or command not in SERVER_COMMANDS:
        _add_operator_commands(commands)
    _add_simulate_command(commands)
    return parser


def _add_operator_commands(commands) -> None:
    from ocpp_cable.channels.operators.admin.charging_commands import add_charging_commands
    from ocpp_cable.channels.operators.admin.cli import add_admin_commands
    from ocpp_cable.channels.operators.admin.device_model_cli import add_device_model_commands
    from ocpp_cable.channels.operators.admin.display_messages import add_display_message_commands
    from ocpp_cable.channels.operators.admin.file_commands import add_file_commands
    from ocpp_cable.channels.operators.admin.operations import add_operation_commands
    from ocpp_cable.channels.settings import (
        AdminSettings,
        SendSettings,
        StationAdminSettings,
        StationFilesCommandSettings,
        TokenSettings,
    )

    add_admin_commands(
        commands,
        lambda leaf: _add_setting_flags(leaf, AdminSettings),
        lambda leaf: _add_setting_flags(leaf, TokenSettings),
        lambda leaf: _add_setting_flags(leaf, StationAdminSettings),
    )
    add_operation_commands(commands, lambda leaf: _add_setting_flags(leaf, SendSettings))
    add_device_model_commands(commands, lambda leaf: _add_setting_flags(leaf, SendSettings))
    add_display_message_commands(commands, lambda leaf: _add_setting_flags(leaf, SendSettings))
    add_charging_commands(commands, lambda leaf: _add_setting_flags(leaf, SendSettings))
    add_file_commands(
        commands,
        lambda parser, leaf: _add_setting_flags(
            parser, StationFilesCommandSettings, argparse.SUPPRESS if leaf else None
        ),
    )


def _add_simulate_command(commands) -> None:
    simulate = commands.add_parser(
        "simulate",
        help="run simulated OCPP chargers (1.6, 2.0.1 or 2.1) against a central system",
        description="N chargers: boot, status, then charging sessions (authorize, start, "
        "meter values with the power an EV draws, stop; a refused idTag charges nothing) "
        "with --idle seconds between them, until --duration ends (0 or 'forever': until "
        "Ctrl-C). They stay connected (reconnecting when the connection drops) and answer "
        "the central system's commands as a charger does. Prints live progress and a "
        "summary table. A named station next to `ocpp-cable up`: "
        "ocpp-cable simulate ws://127.0.0.1:9000/ocpp --id CP-1 --id-tag TAG-1 --duration 0",
    )
    # Only the simulator's own options: it uses none of the server's settings.
    simulate.add_argument("url", help="e.g. ws://127.0.0.1:9000/ocpp (the id is appended)")
    simulate.add_argument("--count", type=int, default=10, help="chargers (default: %(default)s)")
    simulate.add_argument(
        "--ramp-up",
        type=float,
        default=1.0,
        help="seconds to start them all (default: %(default)s)",
    )
    simulate.add_argument(
        "--meter-interval",
        type=float,
        default=5.0,
        help="seconds between MeterValues (default: %(default)s)",
    )
    simulate.add_argument(
        "--samples", type=int, default=6, help="MeterValues per session (default: %(default)s)"
    )
    simulate.add_argument(
        "--duration",
        type=_duration,
        default=60.0,
        help="seconds to run; chargers stop at once when it ends; 0 or 'forever': until "
        "Ctrl-C (default: %(default)s)",
    )
    simulate.add_argument(
        "--idle",
        type=float,
        default=30.0,
        help="seconds between a charger's sessions, give or take half (default: %(default)s)",
    )
    simulate.add_argument(
        "--password", help="HTTP Basic password (username: station id; default: none)"
    )
    simulate.add_argument(
        "--id-prefix",
        default="SIM-",
        help="station ids: <prefix>00000... (default: %(default)s)",
    )
    simulate.add_argument(
        "--id",
        action="append",
        dest="ids",
        metavar="STATION_ID",
        help="a station id, exactly (repeatable; replaces --count and --id-prefix)",
    )
    tags = simulate.add_mutually_exclusive_group()
    tags.add_argument(
        "--id-tag",
        help="the one idTag every charger presents (default: each its own, TAG-00000...)",
    )
    tags.add_argument(
        "--id-tags",
        type=_tag_list,
        help="idTags to present, comma-separated: charger n presents the n-th (cycled)",
    )
    simulate.add_argument(
        "--ocpp-version",
        choices=("1.6", "2.0.1", "2.1"),
        default="1.6",
        help="the OCPP version the chargers speak (default: %(default)s)",
    )


def print_config(settings: SettingsGroup) -> None:
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if hasattr(value, "get_secret_value"):
            value = "********"
        elif value == "":
            value = '""'  # unset, and still a value on the line
        print(f"{name:28} {mask_secrets(str(value))}")


def _simulate(args: argparse.Namespace) -> int:
    from ocpp_cable import simulator

    return simulator.run_cli(
        simulator.SimulationOptions(
            url=args.url,
            count=args.count,
            ramp_up=args.ramp_up,
            meter_interval=args.meter_interval,
            samples=args.samples,
            duration=args.duration,
            password=args.password,
            id_prefix=args.id_prefix,
            id_tag=args.id_tag,
            id_tags=args.id_tags or [],
            ids=args.ids or [],
            idle=args.idle,
            ocpp_version=args.ocpp_version,
        )
    )


def _duration(text: str) -> float:
    """--duration: seconds, or 0 / 'forever' to run until Ctrl-C."""
    if text.strip().lower() == "forever":
        return 0.0
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of seconds (or 'forever')"
        ) from None
    if seconds < 0 or seconds != seconds or seconds == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: seconds are 0 (forever) or more")
    return seconds


def _tag_list(text: str) -> list[str]:
    tags = [tag.strip() for tag in text.split(",") if tag.strip()]
    if not tags:
        raise argparse.ArgumentTypeError("name at least one idTag")
    return tags


def _command_word(argv: list[str]) -> str | None:
    """The command named on the line (the first word that is not an option or the
    data directory)."""
    words = iter(argv)
    for word in words:
        if word in ("-C", "--data-dir"):
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _note_new_database(url: str) -> None:
    """An admin command about to make a database where none is: most likely typed away
    from the running system's, whose records it would not see. Say where it looks."""
    from ocpp_cable.channels.storage.db import missing_sqlite_file

    path = missing_sqlite_file(url)
    if path is not None:
        print(
            f"ocpp-cable: note: no database at {path}: a new, empty one is made there. The "
            "running system's is where `ocpp-cable up` runs: give that directory with "
            f"-C DIR or {DATA_DIR_VARIABLE}, or --database-url",
            file=sys.stderr,
        )


def enter_data_dir(named: str | None, command: str) -> None:
    """Run in the data directory: relative paths of every setting (the SQLite file, the key
    file, firmware, uploads) and the token files are then the running system's, wherever
    the command was typed. A server makes it; any other command finds it or stops."""
    directory = named or os.environ.get(DATA_DIR_VARIABLE) or None
    if directory is None:
        return
    path = Path(directory).expanduser().absolute()
    if command in MAKES_DATA_DIR:
        path.mkdir(parents=True, exist_ok=True)
    elif not path.is_dir():
        raise SettingsError(
            f"data directory {path} does not exist (--data-dir / {DATA_DIR_VARIABLE})"
        )
    # `--channels-module` names a module where the command was typed.
    sys.path.insert(0, os.getcwd())
    os.chdir(path)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(_command_word(argv))
    parser.words = argv  # a mistyped flag is answered with its command's usage
    args = parser.parse_args(argv)
    if args.command == "simulate":  # a client of any central system: no server settings
        return _simulate(args)
    try:
        enter_data_dir(args.data_dir, args.command)
    except SettingsError as exc:
        print(f"ocpp-cable: {exc}", file=sys.stderr)
        return 2
    tier = tier_of(args.command)
    overrides = {name: getattr(args, name) for name in tier.model_fields}
    try:
        settings = load_settings(tier, getattr(args, ANYCABLE_GIVEN, None), **overrides)
    except SettingsError as exc:
        print(f"ocpp-cable: {exc}", file=sys.stderr)
        return 2
    if args.command == "config":
        print_config(settings)
        return 0
    if args.command not in MAKES_DATA_DIR and "database_url" in tier.model_fields:
        _note_new_database(settings.database_url)
    if args.command == "migrate":
        from ocpp_cable.channels.storage import db

        db.upgrade(settings.database_url)
        print(f"database at {db.safe_url(settings.database_url)} is up to date")
        return 0
    if args.command in ADMIN_COMMANDS:
        from ocpp_cable.channels.operators.admin.cli import run_admin

        return run_admin(args, settings)
    if args.command in OPERATION_COMMANDS:
        from ocpp_cable.channels.operators.admin.operations import run_operation

        return run_operation(args, settings)
    if args.command in DEVICE_MODEL_COMMANDS:
        from ocpp_cable.channels.operators.admin.device_model_cli import run_device_model

        return run_device_model(args, settings)
    if args.command in CHARGING_COMMANDS:
        from ocpp_cable.channels.operators.admin.charging_commands import run_charging_command

        return run_charging_command(args, settings)
    if args.command in FILE_COMMANDS:
        from ocpp_cable.channels.operators.admin.file_commands import run_file_command

        return run_file_command(args, settings)
    if args.command in ("broadcast", "send"):
        from ocpp_cable.channels.operators.admin import publish_commands

        if args.command == "broadcast":
            return publish_commands.broadcast_command(settings, args.stream, args.data)
        return publish_commands.send_command(
            settings, args.station_id, args.action, args.payload, args.wait, args.record
        )
    logs.configure(settings.log_level, settings.log_format)
    from ocpp_cable import runner  # deferred: `config` needs none of the servers

    run = {
        "up": runner.run_up,
        "gateway": runner.run_gateway,
        "rpc": runner.run_rpc,
        "api": runner.run_api,
    }
    try:
        with asyncio.Runner(loop_factory=runner.loop_factory(settings)) as loop_runner:
            loop_runner.run(run[args.command](settings))
    except SettingsError as exc:
        print(f"ocpp-cable: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # start-up failures: say what, not a traceback
        from ocpp_cable.rpc_app.application import ApplicationError

        if isinstance(exc, (ApplicationError, OSError, RuntimeError)):
            print(f"ocpp-cable: {mask_secrets(str(exc))}", file=sys.stderr)
            return 1
        raise
    return 0


def entry() -> None:
    """Console script: like main(), and quiet when the reader of our output goes away."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # `ocpp-cable stations list | head`: stop quietly, as shell tools do.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 1
    sys.exit(code)


if __name__ == "__main__":
    entry()
