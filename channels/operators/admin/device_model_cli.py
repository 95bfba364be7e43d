"""`ocpp-cable variables|report|monitoring|customer-information`: a 2.x station's device model
operated from the command line (the operations are in device_model.py).

Each prints the commands it sent, one per request the station's limits allow; with
`--wait`, what the station answered (per variable or monitor where it answers per item),
exit 0 only when every answer is accepted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import orjson

from ocpp_cable.channels.domain.device_requests import (
    NOTATION_HELP,
    NotationProblem,
    parse_component,
    parse_setting,
    parse_variable,
    ref_of,
)
from ocpp_cable.channels.operators.admin import command_records, parsers
from ocpp_cable.channels.operators.admin import device_model as operations
from ocpp_cable.channels.operators.admin.cli import _print_json, _print_table
from ocpp_cable.channels.operators.admin.outcomes import exit_status
from ocpp_cable.channels.settings import SendSettings
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import Command

HANDLER = "device_model_handler"
COMMANDS = ("variables", "report", "monitoring", "customer-information")


def add_device_model_commands(
    commands: argparse._SubParsersAction,
    add_setting_flags: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Add `variables`, `report`, `monitoring` and `customer-information` to the top-level
    subparsers."""
    leaves: list[argparse.ArgumentParser] = []

    def leaf(group, name: str, handler, help_text: str) -> argparse.ArgumentParser:
        parser = parsers.leaf(group, name, handler, help_text, True, handler_key=HANDLER)
        parser.add_argument("station_id")
        leaves.append(parser)
        return parser

    def group(name: str, help_text: str) -> argparse._SubParsersAction:
        parser = commands.add_parser(name, help=help_text, description=help_text)
        dest = f"{name.replace('-', '_')}_command"
        return parser.add_subparsers(dest=dest, required=True, metavar="SUBCOMMAND")

    variables = group("variables", "read and write a 2.x station's variables")
    get = leaf(variables, "get", _variables_get, "read variables (GetVariables)")
    get.add_argument("variables", nargs="+", metavar="VARIABLE", help=NOTATION_HELP)
    put = leaf(variables, "set", _variables_set, "write variables (SetVariables)")
    put.add_argument("values", nargs="+", metavar="VARIABLE=VALUE", help=NOTATION_HELP)

    report = leaf(
        commands,
        "report",
        _report,
        "ask a 2.x station for a report of its device model (GetBaseReport, GetReport): "
        "its NotifyReport parts are stored with its variables",
    )
    report.add_argument(
        "--base", choices=operations.REPORT_BASES, help="a base report (GetBaseReport)"
    )
    report.add_argument(
        "--criteria",
        action="append",
        choices=operations.COMPONENT_CRITERIA,
        help="components in this state (repeatable; GetReport)",
    )
    report.add_argument(
        "--component",
        action="append",
        metavar="COMPONENT[.VARIABLE]",
        help="these components or variables (repeatable; GetReport, with --criteria: "
        "those among them in that state)",
    )

    monitoring = group("monitoring", "a 2.x station's variable monitoring")
    put = leaf(monitoring, "set", _monitoring_set, "set monitors (SetVariableMonitoring)")
    put.add_argument("variables", nargs="+", metavar="VARIABLE", help=NOTATION_HELP)
    put.add_argument("--type", required=True, choices=operations.MONITOR_TYPES)
    put.add_argument(
        "--value", required=True, type=float, help="threshold, delta or interval (seconds)"
    )
    put.add_argument(
        "--severity", required=True, type=int, help="0 (Danger) to 9 (Debug) of its events"
    )
    put.add_argument(
        "--transaction", action="store_true", help="only while a transaction is going on"
    )
    put.add_argument("--id", type=int, help="replace this monitor (one variable only)")
    clear = leaf(monitoring, "clear", _monitoring_clear, "clear monitors (ClearVariableMonitoring)")
    clear.add_argument("ids", nargs="+", type=int, metavar="ID")
    base = leaf(monitoring, "base", _monitoring_base, "the monitors kept (SetMonitoringBase)")
    base.add_argument("base", choices=operations.MONITORING_BASES)
    level = leaf(
        monitoring, "level", _monitoring_level, "the gravest severity reported (SetMonitoringLevel)"
    )
    level.add_argument("severity", type=int, help="0 (Danger) to 9 (Debug)")
    listing = leaf(
        monitoring,
        "report",
        _monitoring_report,
        "ask for a report of monitors (GetMonitoringReport; neither option: all)",
    )
    listing.add_argument(
        "--criteria", action="append", choices=operations.MONITORING_CRITERIA, help="repeatable"
    )
    listing.add_argument(
        "--component", action="append", metavar="COMPONENT[.VARIABLE]", help="repeatable"
    )

    customer = leaf(
        commands,
        "customer-information",
        _customer_information,
        "report or clear what a 2.x station keeps of a customer (CustomerInformation)",
    )
    customer.add_argument("--report", action="store_true", help="have the station report it")
    customer.add_argument("--clear", action="store_true", help="have the station delete it")
    who = customer.add_mutually_exclusive_group(required=True)
    who.add_argument("--id-token", metavar="VALUE", help="the customer's idToken")
    who.add_argument("--customer-identifier", metavar="ID")
    who.add_argument(
        "--customer-certificate",
        metavar="ALGORITHM:NAME_HASH:KEY_HASH:SERIAL",
        help="hashAlgorithm (SHA256, SHA384, SHA512), issuerNameHash, issuerKeyHash, serialNumber",
    )
    customer.add_argument(
        "--id-token-type", default="Central", help="the idToken's type (default: %(default)s)"
    )
    for parser in leaves:
        parser.add_argument(
            "--wait", action="store_true", help="wait for the station's answers and print them"
        )
        add_setting_flags(parser)  # last, so a leaf's own arguments come first in --help


def run_device_model(args: argparse.Namespace, settings: SendSettings) -> int:
    """Run the command in `args`; the exit status."""

    def run() -> int:
        if settings.auto_migrate:
            db.upgrade(settings.database_url)
        sent = args.device_model_handler(args, settings)
        return _followed(args, settings, sent)

    return exit_status(run)


def _parsed(parse: Callable[[str], Any], texts: list[str] | None) -> list[Any]:
    try:
        return [parse(text) for text in texts or ()]
    except NotationProblem as exc:
        raise operations.DeviceModelRefused(str(exc)) from None


def _variables_get(args, settings) -> operations.Sent:
    refs = _parsed(parse_variable, args.variables)
    return operations.get_variables(settings, args.station_id, refs)


def _variables_set(args, settings) -> operations.Sent:
    values = _parsed(parse_setting, args.values)
    return operations.set_variables(settings, args.station_id, values)


def _report(args, settings) -> operations.Sent:
    if args.base is not None:
        if args.criteria or args.component:
            raise operations.DeviceModelRefused("--base goes alone: a base report has no filter")
        return operations.base_report(settings, args.station_id, args.base)
    components = _parsed(parse_component, args.component)
    return operations.custom_report(settings, args.station_id, args.criteria or [], components)


def _monitoring_set(args, settings) -> operations.Sent:
    refs = _parsed(parse_variable, args.variables)
    if args.id is not None and len(refs) != 1:
        raise operations.DeviceModelRefused("--id replaces one monitor: name one variable")
    if any(ref.attribute_type is not None for ref in refs):
        raise operations.DeviceModelRefused("a monitor watches a variable's Actual value")
    if args.severity not in operations.SEVERITIES:
        raise operations.DeviceModelRefused(f"--severity {args.severity}: 0 to 9")
    monitors = [
        operations.Monitor(ref, args.type, args.value, args.severity, args.transaction, args.id)
        for ref in refs
    ]
    return operations.set_monitors(settings, args.station_id, monitors)


def _monitoring_clear(args, settings) -> operations.Sent:
    return operations.clear_monitors(settings, args.station_id, args.ids)


def _monitoring_base(args, settings) -> operations.Sent:
    return operations.monitoring_base(settings, args.station_id, args.base)


def _monitoring_level(args, settings) -> operations.Sent:
    return operations.monitoring_level(settings, args.station_id, args.severity)


def _monitoring_report(args, settings) -> operations.Sent:
    components = _parsed(parse_component, args.component)
    return operations.monitoring_report(settings, args.station_id, args.criteria or [], components)


def _customer_information(args, settings) -> operations.Sent:
    token = certificate = None
    if args.id_token is not None:
        token = {"idToken": args.id_token, "type": args.id_token_type}
    if args.customer_certificate is not None:
        parts = args.customer_certificate.split(":")
        if len(parts) != 4:
            raise operations.DeviceModelRefused(
                "--customer-certificate is ALGORITHM:NAME_HASH:KEY_HASH:SERIAL"
            )
        names = ("hashAlgorithm", "issuerNameHash", "issuerKeyHash", "serialNumber")
        certificate = dict(zip(names, parts, strict=True))
    return operations.customer_information(
        settings,
        args.station_id,
        args.report,
        args.clear,
        token,
        args.customer_identifier,
        certificate,
    )


# --- what was sent, and what came back ---------------------------------------------------------


def _records(settings: SendSettings, command_ids: list[str]) -> list[dict[str, Any]]:
    names = ("id", "station_id", "action", "status", "payload", "response", "error_code")
    with db.session_scope(settings.database_url) as session:
        found = [session.get(Command, command_id) for command_id in command_ids]
        return [{name: getattr(c, name) for name in names} for c in found if c is not None]


def _followed(args: argparse.Namespace, settings: SendSettings, sent: operations.Sent) -> int:
    unanswered = []
    if args.wait:
        for command_id in sent.command_ids:
            if command_records.wait_for_answer(settings, command_id) is None:
                unanswered.append(command_id)
    records = _records(settings, sent.command_ids)
    if args.json:
        _print_json(records)
    else:
        for record in records:
            _print_record(record, args.wait)
    for command_id in unanswered:
        print(command_records.no_answer(command_id), file=sys.stderr)
    if not args.wait:
        return 0
    return 0 if all(r["status"] == "accepted" for r in records) and not unanswered else 1


# Per action: the answer's list of results, and its columns (title, how a result shows).
Column = tuple[str, Callable[[dict[str, Any]], Any]]
_VARIABLE: Column = ("VARIABLE", lambda r: str(ref_of(r)))
_REASON: Column = ("REASON", lambda r: (r.get("statusInfo") or {}).get("reasonCode"))
RESULTS: dict[str, tuple[str, list[Column]]] = {
    "GetVariables": (
        "getVariableResult",
        [_VARIABLE, ("STATUS", lambda r: r.get("attributeStatus")),
         ("VALUE", lambda r: r.get("attributeValue")), _REASON],
    ),
    "SetVariables": (
        "setVariableResult",
        [_VARIABLE, ("STATUS", lambda r: r.get("attributeStatus")), _REASON],
    ),
    "SetVariableMonitoring": (
        "setMonitoringResult",
        [("ID", lambda r: r.get("id")), ("VARIABLE", lambda r: str(ref_of(r))),
         ("TYPE", lambda r: r.get("type")), ("SEVERITY", lambda r: r.get("severity")),
         ("STATUS", lambda r: r.get("status")), _REASON],
    ),
    "ClearVariableMonitoring": (
        "clearMonitoringResult",
        [("ID", lambda r: r.get("id")), ("STATUS", lambda r: r.get("status")), _REASON],
    ),
}  # fmt: skip
ITEMS = {
    "GetVariables": "getVariableData",
    "SetVariables": "setVariableData",
    "GetReport": "componentVariable",
    "SetVariableMonitoring": "setMonitoringData",
    "ClearVariableMonitoring": "id",
}


def _print_record(record: dict[str, Any], waited: bool) -> None:
    action, payload = record["action"], record["payload"]
    entries = payload.get(ITEMS.get(action, ""), None)
    what = ""
    if isinstance(entries, list):
        what = f" ({len(entries)} {'entry' if len(entries) == 1 else 'entries'})"
    request = f", requestId {payload['requestId']}" if "requestId" in payload else ""
    if isinstance(payload.get("message"), dict):  # SetDisplayMessage
        request = f", message id {payload['message'].get('id')}"
    print(f"{action} {record['id']} sent to {record['station_id']}{what}{request}")
    if not waited:
        return
    response = record["response"]
    results = RESULTS.get(action)
    if record["status"] == "accepted" and results is not None and isinstance(response, dict):
        key, columns = results
        rows = [
            {title: show(result) for title, show in columns}
            for result in response.get(key) or ()
            if isinstance(result, dict)
        ]
        _print_table(rows, [(title, title) for title, _ in columns], indent="  ")
        return
    print(f"  {record['status']}: {orjson.dumps(response).decode()}")
