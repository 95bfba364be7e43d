"""The variables a 2.x station reports: NotifyReport (a GetBaseReport's answer, in
parts) and the results of GetVariables. One row per variable attribute, the last
value reported kept."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ocpp_cable.channels.domain import password_fields
from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.storage.db import core, dialect_insert
from ocpp_cable.channels.storage.models import StationVariable

VARIABLES = StationVariable.__table__
REPORTED = ("value", "mutability", "characteristics", "request_id", "reported_at")
# A GetVariables result tells the value only: what a report said of the rest stays.
READ = ("value", "reported_at")


@functools.cache
def _upsert(dialect_name: str, updated: tuple[str, ...]) -> Any:
    insert_ = dialect_insert(dialect_name)(VARIABLES)
    return insert_.on_conflict_do_update(
        index_elements=[VARIABLES.c.station_id, VARIABLES.c.variable_key],
        set_={name: insert_.excluded[name] for name in updated},
    )


def _row(
    station_id: str,
    component: dict[str, Any],
    variable: dict[str, Any],
    attribute_type: str,
    **values: Any,
) -> dict[str, Any]:
    evse = component.get("evse") or {}
    names = {
        "component": component["name"],
        "component_instance": component.get("instance"),
        "evse_id": evse.get("id"),
        "connector_id": evse.get("connectorId"),
        "variable": variable["name"],
        "variable_instance": variable.get("instance"),
        "attribute_type": attribute_type,
    }
    key = hashlib.sha1(repr(tuple(names.values())).encode()).hexdigest()
    return {"station_id": station_id, "variable_key": key, **names, **values}


def _write(session: Session, rows: Iterable[dict[str, Any]], updated: tuple[str, ...]) -> int:
    # One row per key: PostgreSQL updates no row twice in one statement.
    last = {row["variable_key"]: row for row in rows}
    if last:
        connection = core(session)
        connection.execute(_upsert(connection.dialect.name, updated), list(last.values()))
    return len(last)


def store_report(session: Session, station_id: str, payload: dict[str, Any]) -> int:
    """A NotifyReport part's variables; how many attributes it held (a station's password
    among them is masked)."""
    payload = password_fields.masked("NotifyReport", payload)
    at, request_id = now(), payload["requestId"]
    rows = (
        _row(
            station_id,
            report["component"],
            report["variable"],
            attribute.get("type", "Actual"),
            value=attribute.get("value"),
            mutability=attribute.get("mutability"),
            characteristics=report.get("variableCharacteristics"),
            request_id=request_id,
            reported_at=at,
        )
        for report in payload.get("reportData", [])
        for attribute in report["variableAttribute"]
    )
    return _write(session, rows, REPORTED)


def store_results(session: Session, station_id: str, payload: dict[str, Any]) -> int:
    """The values a GetVariables answer gave (the attributes it accepted; a station's
    password among them is masked)."""
    payload = password_fields.masked("GetVariables", payload)
    at = now()
    rows = (
        _row(
            station_id,
            result["component"],
            result["variable"],
            result.get("attributeType", "Actual"),
            value=result.get("attributeValue"),
            reported_at=at,
        )
        for result in payload.get("getVariableResult", [])
        if result.get("attributeStatus") == "Accepted"
    )
    return _write(session, rows, READ)


def reported(station_id: str, component: str | None = None) -> Select:
    """The query of a station's variables (of one component), in the order people read
    them: by component, EVSE and connector, variable, attribute."""
    query = (
        select(StationVariable)
        .where(StationVariable.station_id == station_id)
        .order_by(
            StationVariable.component,
            StationVariable.component_instance,
            StationVariable.evse_id,
            StationVariable.connector_id,
            StationVariable.variable,
            StationVariable.variable_instance,
            StationVariable.attribute_type,
        )
    )
    if component is not None:
        query = query.where(StationVariable.component == component)
    return query


def store_written(
    session: Session, station_id: str, payload: dict[str, Any], answer: dict[str, Any]
) -> int:
    """The values a SetVariables answer accepted, as the request gave them (a station's
    password among them is masked); how many."""
    payload = password_fields.masked("SetVariables", payload)
    given = {
        _names(data, data.get("attributeType", "Actual")): data["attributeValue"]
        for data in payload.get("setVariableData", [])
    }
    at = now()
    rows = []
    for result in answer.get("setVariableResult", []):
        if not isinstance(result, dict) or result.get("attributeStatus") != "Accepted":
            continue
        attribute_type = result.get("attributeType", "Actual")
        key = _names(result, attribute_type)
        if key in given:
            rows.append(
                _row(
                    station_id,
                    result["component"],
                    result["variable"],
                    attribute_type,
                    value=given[key],
                    reported_at=at,
                )
            )
    return _write(session, rows, READ)


def _names(entry: dict[str, Any], attribute_type: str) -> str:
    # Matches a result to the data it answers: OCPP's names compare case-insensitively.
    component, variable = entry["component"], entry["variable"]
    evse = component.get("evse") or {}
    return repr(
        (
            component["name"].lower(),
            (component.get("instance") or "").lower(),
            evse.get("id"),
            evse.get("connectorId"),
            variable["name"].lower(),
            (variable.get("instance") or "").lower(),
            attribute_type,
        )
    )


def reported_values(
    session: Session, station_id: str, components: Iterable[str]
) -> dict[tuple[str, str, str | None], str | None]:
    """The Actual values of these components' station-wide variables, by (component,
    variable, variable instance): where a station's limits are read."""
    found = session.execute(
        select(StationVariable.component, StationVariable.variable,
               StationVariable.variable_instance, StationVariable.value)
        .where(
            StationVariable.station_id == station_id,
            StationVariable.component.in_(list(components)),
            StationVariable.component_instance.is_(None),
            StationVariable.evse_id.is_(None),
            StationVariable.attribute_type == "Actual",
        )
    )  # fmt: skip
    return {(c, v, i): value for c, v, i, value in found}
