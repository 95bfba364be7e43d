"""/api/v1/status: the system at a glance."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import func, select

from ocpp_cable.channels.domain import commands, presence
from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.operators.api import schemas
from ocpp_cable.channels.operators.api.auth import Reader
from ocpp_cable.channels.operators.api.database import session_for
from ocpp_cable.channels.operators.api.problems import responses
from ocpp_cable.channels.operators.api.version import package_version
from ocpp_cable.channels.storage.models import ChargePoint, Command, GatewayNode, Transaction

router = APIRouter(tags=["status"])


@router.get("/status", response_model=schemas.Status, responses=responses(401))
def status(request: Request, _: Reader):
    """Stations (connected now), open transactions and commands, and the gateway nodes
    with their leases."""
    count = select(func.count())
    with session_for(request) as session:
        stations = session.scalar(count.select_from(ChargePoint))
        connected = session.scalar(count.where(presence.present_clause()))
        open_transactions = session.scalar(count.where(Transaction.stop_time.is_(None)))
        open_commands = session.scalar(count.where(Command.status.in_(commands.OPEN)))
        at = now()
        nodes = [
            {
                "id": node.id,
                "stations": node.stations,
                "renewed_at": node.renewed_at,
                "alive": node.expires_at > at,
            }
            for node in session.scalars(select(GatewayNode).order_by(GatewayNode.id))
        ]
    return {
        "version": package_version(),
        "database": "ok",
        "stations": {"total": stations, "connected": connected},
        "transactions": {"open": open_transactions},
        "commands": {"open": open_commands},
        "gateway_nodes": nodes,
    }
