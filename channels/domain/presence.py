"""Which stations are connected: Disconnects, and the gateway nodes' leases.

A station is connected while the node holding its connection holds its lease.
Each renewal names the stations the node holds, and the node's rows are brought
in line with it (a Disconnect that was lost, a sweep during an outage of ours);
a lease that lapsed (its node was killed) takes its stations with it at the next
renewal of any node; and readers check the lease themselves, so they are right
even with no node left to renew. A node not heard of yet (its first renewal is on
its way) counts as present; a lapsed lease stays on record for an hour, then goes.
Commands still open for a station that is gone end as `error` NotConnected.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, exists, or_, select, update
from sqlalchemy.orm import Session

from ocpp_cable.channels.domain import commands
from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.storage.models import ChargePoint, GatewayNode

NOT_CONNECTED = "NotConnected"
KEPT = timedelta(hours=1)  # how long a lapsed lease stays on record


def renew(session: Session, node: str, ttl: float, held: Collection[str]) -> None:
    """A node renewed its lease for `ttl` seconds (0: it is leaving), holding `held`."""
    at = now()
    lease = session.get(GatewayNode, node) or GatewayNode(id=node)
    lease.expires_at = at + timedelta(seconds=max(ttl, 0))
    lease.stations = len(held)
    lease.renewed_at = at
    session.add(lease)
    if ttl > 0:
        # A station that connected after the node counted (its last_seen is fresh) is
        # left alone: it is in the next renewal.
        _reconcile(session, node, set(held), quiet_since=at - timedelta(seconds=ttl))
    session.flush()
    _sweep(session, at)


def is_present(session: Session, station: ChargePoint) -> bool:
    """Connected, and its node (if it keeps a lease) still holds it."""
    if not station.connected:
        return False
    if station.node_id is None:
        return True  # behind a gateway without leases: Disconnect alone decides
    lease = session.get(GatewayNode, station.node_id)
    return lease is None or lease.expires_at > now()


def present_clause() -> ColumnElement[bool]:
    """is_present as SQL, for filtering and paging lists of stations in the database."""
    lease = select(GatewayNode.id).where(GatewayNode.id == ChargePoint.node_id)
    return and_(
        ChargePoint.connected.is_(True),
        or_(
            ChargePoint.node_id.is_(None),
            ~exists(lease),
            exists(lease.where(GatewayNode.expires_at > now())),
        ),
    )


def presence(session: Session, stations: Collection[ChargePoint]) -> dict[str, bool]:
    """is_present for many stations, with one query for the leases."""
    nodes = {s.node_id for s in stations if s.connected and s.node_id}
    live = (
        set(
            session.scalars(
                select(GatewayNode.id).where(
                    GatewayNode.id.in_(nodes), GatewayNode.expires_at > now()
                )
            )
        )
        if nodes
        else set()
    )
    return {s.id: bool(s.connected) and (s.node_id is None or s.node_id in live) for s in stations}


def station_gone(session: Session, station_id: str) -> None:
    """The station's current connection ended: its open commands end too."""
    commands.fail_open(session, [station_id], NOT_CONNECTED, "the station disconnected")


def _connected_on(session: Session, node: str) -> list[str]:
    return list(
        session.scalars(
            select(ChargePoint.id).where(ChargePoint.node_id == node, ChargePoint.connected)
        )
    )


def _reconcile(session: Session, node: str, held: set[str], quiet_since: datetime) -> None:
    # Only the rows that may change are read: the node's connected ones (its idle history
    # of thousands of stations that came and went is left alone at every renewal).
    connected = session.execute(
        select(ChargePoint.id, ChargePoint.last_seen).where(
            ChargePoint.node_id == node, ChargePoint.connected
        )
    ).all()
    gone = [
        sid for sid, seen in connected if sid not in held and (seen is None or seen < quiet_since)
    ]
    back = held.difference(sid for sid, _ in connected)  # most renewals: none
    if back:
        session.execute(
            update(ChargePoint)
            .where(ChargePoint.id.in_(back), ChargePoint.node_id == node, ~ChargePoint.connected)
            .values(connected=True)
            .execution_options(synchronize_session=False)
        )
    if gone:
        _disconnect(session, gone, "the station's gateway node no longer holds it")


def _sweep(session: Session, at: datetime) -> None:
    lapsed = select(GatewayNode.id).where(GatewayNode.expires_at <= at)
    left = list(
        session.scalars(
            select(ChargePoint.id).where(ChargePoint.node_id.in_(lapsed), ChargePoint.connected)
        )
    )
    _disconnect(session, left, "the station's gateway node is gone")
    session.execute(delete(GatewayNode).where(GatewayNode.expires_at <= at - KEPT))


def _disconnect(session: Session, station_ids: list[str], why: str) -> None:
    if not station_ids:
        return
    session.execute(
        update(ChargePoint)
        .where(ChargePoint.id.in_(station_ids))
        .values(connected=False)
        .execution_options(synchronize_session=False)
    )
    commands.fail_open(session, station_ids, NOT_CONNECTED, why)
