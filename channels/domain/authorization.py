"""idTag authorization: the IdTag table decides (OCPP 1.6 AuthorizationStatus)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.orm import Session

from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.storage.db import core, dialect_insert
from ocpp_cable.channels.storage.models import IdTag, Transaction
from ocpp_cable.contract.timestamps import utc_text

TAG_STATUSES = ("Accepted", "Blocked", "Expired", "Invalid")  # what an operator may set
# The longest idTag any version's station can present: OCPP 2.1's IdToken (1.6 has 20
# characters, 2.0.1 36).
MAX_TAG_LENGTH = 255
# A 1.6 idTagInfo's parentIdTag is a CiString20 too.
PARENT_LENGTH_16 = 20
# The type a 2.x group token gets (an idTag's parent): our idTag table holds it, not a card.
GROUP_TOKEN_TYPE = "Central"


def id_tag_info(
    session: Session,
    tag: str,
    ignore_transaction: int | None = None,
    unknown: str = "Invalid",
    parent_length: int = PARENT_LENGTH_16,
) -> dict[str, Any]:
    """The idTagInfo for `tag`; status `unknown` when there is no such tag (2.x says Unknown).

    ConcurrentTx when the tag already holds a transaction that is not over
    (`ignore_transaction`: the one being started, when a retry finds it again). A parent
    longer than `parent_length` (what the station's answer can hold) is left out: the
    answer would break its schema and reach the station as an InternalError.
    """
    # Transaction ids start at 1: 0 ignores none.
    params = {"tag": tag, "ignore": ignore_transaction if ignore_transaction is not None else 0}
    record = core(session).execute(_TAG, params).first()
    if record is None:
        return {"status": unknown}
    info: dict[str, Any] = {}
    if record.expiry_date is not None:
        info["expiryDate"] = utc_text(record.expiry_date, timespec="auto")
    if record.parent_id_tag and len(record.parent_id_tag) <= parent_length:
        info["parentIdTag"] = record.parent_id_tag
    if record.status != "Accepted":
        status = record.status
    elif record.expiry_date is not None and record.expiry_date <= now():
        status = "Expired"
    elif record.busy:
        status = "ConcurrentTx"
    else:
        status = "Accepted"
    return {"status": status, **info}


# Built once (see db.core): every Authorize, StartTransaction and StopTransaction runs it.
# The tag and whether it holds a transaction come in one round trip.
TAGS, TRANSACTIONS = IdTag.__table__, Transaction.__table__
_ONGOING = exists().where(
    TRANSACTIONS.c.id_tag == TAGS.c.tag,
    TRANSACTIONS.c.stop_time.is_(None),
    TRANSACTIONS.c.id != bindparam("ignore"),
)
_TAG = select(
    TAGS.c.status, TAGS.c.expiry_date, TAGS.c.parent_id_tag, _ONGOING.label("busy")
).where(TAGS.c.tag == bindparam("tag"))


def put_id_tag(
    session: Session,
    tag: str,
    status: str,
    expiry_date: datetime | None = None,
    parent_id_tag: str | None = None,
) -> bool:
    """Add the idTag, or set an existing one to exactly these values; True when added.
    Two at once (two operators, two requests) cannot both add it."""
    values = {"status": status, "expiry_date": expiry_date, "parent_id_tag": parent_id_tag}
    connection = core(session)
    added = connection.execute(
        dialect_insert(connection.dialect.name)(IdTag.__table__)
        .values(tag=tag, created_at=now(), **values)
        .on_conflict_do_nothing(index_elements=["tag"])
        .returning(IdTag.__table__.c.tag)
    ).first()
    if added is None:
        connection.execute(
            update(IdTag.__table__).where(IdTag.__table__.c.tag == tag).values(values)
        )
    return added is not None


def block_id_tag(session: Session, tag: str) -> bool:
    """Set the idTag's status to Blocked; False when there is no such tag."""
    table = IdTag.__table__
    result = core(session).execute(update(table).where(table.c.tag == tag).values(status="Blocked"))
    return bool(result.rowcount)
