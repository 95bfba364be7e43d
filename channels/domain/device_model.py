"""A 2.x station's device model as the central system uses it: the message limits it
reported (what a GetVariables, SetVariables, GetReport, SetVariableMonitoring or
ClearVariableMonitoring may hold), the values a SetVariables answer accepted, and the
customer data a CustomerInformation cleared (its token leaves the station's list).

The requests themselves are built without I/O in device_requests.py.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ocpp_cable.channels.domain import commands, local_lists
from ocpp_cable.channels.domain.device_requests import LIMITED, Limits, limits_of
from ocpp_cable.channels.domain.follow_ups import FollowUp
from ocpp_cable.channels.handlers.ocpp2 import variables
from ocpp_cable.channels.storage.models import Command

# The CustomerInformation commands looked at for a NotifyCustomerInformation's requestId:
# the station's latest; an older one's report came long ago.
RECENT_REQUESTS = 20


def reported_limits(session: Session, station_id: str, action: str) -> Limits:
    """What one `action` request to the station may hold, as its stored device model says
    (none known: no limit, one request)."""
    component, _ = LIMITED[action]
    return limits_of(action, variables.reported_values(session, station_id, [component]))


def on_variables_set(
    session: Session, station_id: str, payload: dict[str, Any], answer: dict[str, Any]
) -> None:
    """The values the station accepted are its variables' values now."""
    variables.store_written(session, station_id, payload, answer)


def on_customer_reported(
    session: Session, station_id: str, report: dict[str, Any]
) -> list[FollowUp]:
    """A NotifyCustomerInformation's last part: if it answers a CustomerInformation that
    cleared an idToken's data, and that token is in the station's Local Authorization List
    as we know it, the update that removes it (N10.FR.02), recorded as sent: the caller
    sends it once committed."""
    if report.get("tbc"):
        return []
    found = session.scalars(
        select(Command)
        .where(
            Command.station_id == station_id,
            Command.action == "CustomerInformation",
            Command.status.in_((*commands.OPEN, "accepted")),
        )
        .order_by(Command.created_at.desc())
        .limit(RECENT_REQUESTS)
    )
    asked = next((c for c in found if c.payload.get("requestId") == report["requestId"]), None)
    if asked is None or not asked.payload.get("clear") or "idToken" not in asked.payload:
        return []
    follow_ups = local_lists.forget_token(session, station_id, asked.payload["idToken"])
    for follow_up in follow_ups:
        commands.record_command(
            session, follow_up.id, station_id, follow_up.action, follow_up.payload
        )
        commands.mark_sent(session, follow_up.id)
    return follow_ups
