"""idTag authorization: the IdTag table decides (OCPP 1.6 AuthorizationStatus)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.models import IdTag, Transaction
from channels.timeutil import now


def id_tag_info(
    session: Session, tag: str, ignore_transaction: int | None = None
) -> dict[str, Any]:
    """The idTagInfo for `tag`.

    ConcurrentTx when the tag already holds a transaction that is not over
    (`ignore_transaction`: the one being started, when a retry finds it again).
    """
    record = session.get(IdTag, tag)
    if record is None:
        return {"status": "Invalid"}
    info: dict[str, Any] = {}
    if record.expiry_date is not None:
        info["expiryDate"] = record.expiry_date.isoformat().replace("+00:00", "Z")
    if record.parent_id_tag:
        info["parentIdTag"] = record.parent_id_tag
    if record.status != "Accepted":
        status = record.status
    elif record.expiry_date is not None and record.expiry_date <= now():
        status = "Expired"
    elif _in_transaction(session, tag, ignore_transaction):
        status = "ConcurrentTx"
    else:
        status = "Accepted"
    return {"status": status, **info}


def _in_transaction(session: Session, tag: str, ignore: int | None) -> bool:
    ongoing = select(Transaction.id).where(
        Transaction.id_tag == tag, Transaction.stop_time.is_(None)
    )
    if ignore is not None:
        ongoing = ongoing.where(Transaction.id != ignore)
    return session.execute(ongoing.limit(1)).first() is not None
