"""/api/v1/stations/{id}/variables/get|set, /report, /monitoring/*, /customer-information:
a 2.x station's device model, each request composed by the central system and split as the
station's reported limits allow, as `ocpp-cable variables|report|monitoring|
customer-information` do (channels/operators/admin/device_model.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import structlog
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from ocpp_cable.channels.domain.device_requests import (
    NotationProblem,
    parse_component,
    parse_variable,
)
from ocpp_cable.channels.operators.admin import device_model as operations
from ocpp_cable.channels.operators.api import device_model_schemas as bodies
from ocpp_cable.channels.operators.api.auth import Writer
from ocpp_cable.channels.operators.api.database import settings_of
from ocpp_cable.channels.operators.api.problems import Problem, responses
from ocpp_cable.channels.operators.api.routes.commands import Wait, followed
from ocpp_cable.channels.operators.api.sending import sending
from ocpp_cable.rpc_app import broadcasting

router = APIRouter(prefix="/stations/{station_id}", tags=["device model (2.x)"])
log = structlog.get_logger("channels.api")
PROBLEMS = ((operations.DeviceModelRefused, 422, "command-refused"),)
ROUTE = {
    "status_code": 202,
    "response_model": bodies.DeviceModelCommands,
    "responses": responses(401, 403, 404, 409, 422, 502),
}


def _parsed(parse: Callable[[str], Any], texts: list[str]) -> list[Any]:
    try:
        return [parse(text) for text in texts]
    except NotationProblem as exc:
        raise Problem(422, "invalid-variable", str(exc)) from None


async def sent_and_followed(
    request: Request,
    station_id: str,
    who: Any,
    wait: float,
    operation: Callable[..., operations.Sent],
    *args: Any,
) -> dict[str, Any]:
    """Send what `operation` composes; its commands' records, each followed to its answer
    for what is left of `wait`."""
    with sending(*PROBLEMS):
        sent = await run_in_threadpool(
            operation, settings_of(request), station_id, *args, broadcasting.current()
        )
    log.info("device model command sent", station_id=station_id, action=sent.action,
             requests=len(sent.command_ids), by=who.name)  # fmt: skip
    deadline = time.monotonic() + wait
    records = []
    for command_id in sent.command_ids:
        left = max(0.0, deadline - time.monotonic())
        records.append(await followed(request, command_id, left))
    return {"station_id": station_id, "commands": records}


@router.post("/variables/get", **ROUTE)
async def get_variables(
    request: Request, station_id: str, body: bodies.VariablesToGet, who: Writer, wait: Wait = 0
):
    """Read variables (GetVariables), in as many requests as the station's
    DeviceDataCtrlr ItemsPerMessage and BytesPerMessage [GetVariables] allow; the values it
    answers are kept with its variables (GET .../variables)."""
    refs = _parsed(parse_variable, body.variables)
    return await sent_and_followed(request, station_id, who, wait, operations.get_variables, refs)


@router.post("/variables/set", **ROUTE)
async def set_variables(
    request: Request, station_id: str, body: bodies.VariablesToSet, who: Writer, wait: Wait = 0
):
    """Write variables (SetVariables), split as [SetVariables] allows; the values the
    station accepts are kept as its variables' values. Its password is not set here (the
    password rotation is)."""
    refs = _parsed(parse_variable, [v.variable for v in body.values])
    values = [(ref, v.value) for ref, v in zip(refs, body.values, strict=True)]
    return await sent_and_followed(request, station_id, who, wait, operations.set_variables, values)


@router.post("/report", **ROUTE)
async def report(
    request: Request, station_id: str, body: bodies.ReportRequest, who: Writer, wait: Wait = 0
):
    """Ask for a report: a base report (GetBaseReport), or the components matching criteria
    and/or named (GetReport, split as [GetReport] allows). The NotifyReport parts that
    follow are kept with the station's variables; the answer here is the station's
    Accepted, Rejected, NotSupported or EmptyResultSet."""
    if body.base is not None:
        if body.criteria or body.components:
            raise Problem(422, "command-refused", "a base report goes alone: no filter")
        return await sent_and_followed(
            request, station_id, who, wait, operations.base_report, body.base
        )
    components = _parsed(parse_component, body.components)
    return await sent_and_followed(
        request, station_id, who, wait, operations.custom_report, body.criteria, components
    )


@router.post("/monitoring/set", **ROUTE)
async def set_monitors(
    request: Request, station_id: str, body: bodies.MonitorsToSet, who: Writer, wait: Wait = 0
):
    """Set monitors (SetVariableMonitoring), split as MonitoringCtrlr's ItemsPerMessage and
    BytesPerMessage [SetVariableMonitoring] allow; each monitor's result (its id, or why
    not) is in its command's answer."""
    refs = _parsed(parse_variable, [m.variable for m in body.monitors])
    monitors = [
        operations.Monitor(ref, m.type, m.value, m.severity, m.transaction, m.id)
        for ref, m in zip(refs, body.monitors, strict=True)
    ]
    return await sent_and_followed(
        request, station_id, who, wait, operations.set_monitors, monitors
    )


@router.post("/monitoring/clear", **ROUTE)
async def clear_monitors(
    request: Request, station_id: str, body: bodies.MonitorsToClear, who: Writer, wait: Wait = 0
):
    """Clear monitors by id (ClearVariableMonitoring), split as [ClearVariableMonitoring]
    allows."""
    return await sent_and_followed(
        request, station_id, who, wait, operations.clear_monitors, body.ids
    )


@router.post("/monitoring/base", **ROUTE)
async def monitoring_base(
    request: Request,
    station_id: str,
    body: bodies.MonitoringBaseRequest,
    who: Writer,
    wait: Wait = 0,
):
    """The monitors the station keeps active (SetMonitoringBase)."""
    return await sent_and_followed(
        request, station_id, who, wait, operations.monitoring_base, body.base
    )


@router.post("/monitoring/level", **ROUTE)
async def monitoring_level(
    request: Request,
    station_id: str,
    body: bodies.MonitoringLevelRequest,
    who: Writer,
    wait: Wait = 0,
):
    """The gravest severity the station reports events of (SetMonitoringLevel)."""
    return await sent_and_followed(
        request, station_id, who, wait, operations.monitoring_level, body.severity
    )


@router.post("/monitoring/report", **ROUTE)
async def monitoring_report(
    request: Request,
    station_id: str,
    body: bodies.MonitoringReportRequest,
    who: Writer,
    wait: Wait = 0,
):
    """Ask for a report of monitors (GetMonitoringReport): those matching the criteria on
    the components named; neither, every monitor. The NotifyMonitoringReport parts are
    kept as the station sent them."""
    components = _parsed(parse_component, body.components)
    return await sent_and_followed(
        request, station_id, who, wait, operations.monitoring_report, body.criteria, components
    )


@router.post("/customer-information", **ROUTE)
async def customer_information(
    request: Request,
    station_id: str,
    body: bodies.CustomerInformationRequest,
    who: Writer,
    wait: Wait = 0,
):
    """Report or clear what the station keeps of one customer (CustomerInformation), named
    by exactly one of an idToken, an identifier, a certificate. When the data of a token in
    the station's Local Authorization List is cleared, the list is updated once its
    NotifyCustomerInformation report ends (a Differential SendLocalList)."""
    token = certificate = None
    if body.id_token is not None:
        token = {"idToken": body.id_token.id_token, "type": body.id_token.type}
    if body.customer_certificate is not None:
        given = body.customer_certificate
        certificate = {"hashAlgorithm": given.hash_algorithm,
                       "issuerNameHash": given.issuer_name_hash,
                       "issuerKeyHash": given.issuer_key_hash,
                       "serialNumber": given.serial_number}  # fmt: skip
    return await sent_and_followed(
        request, station_id, who, wait, operations.customer_information,
        body.report, body.clear, token, body.customer_identifier, certificate,
    )  # fmt: skip
