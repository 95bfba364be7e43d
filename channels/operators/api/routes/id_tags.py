"""/api/v1/id-tags: who may charge. A tag may hold any character but `/` and
control characters in a URL: those are percent-encoded in the path."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy import select

from ocpp_cable.channels.domain.authorization import MAX_TAG_LENGTH, block_id_tag, put_id_tag
from ocpp_cable.channels.operators import records
from ocpp_cable.channels.operators.api import schemas
from ocpp_cable.channels.operators.api.auth import Reader, Writer
from ocpp_cable.channels.operators.api.database import page, row_or_404, session_for
from ocpp_cable.channels.operators.api.problems import Problem, responses
from ocpp_cable.channels.storage.models import IdTag

router = APIRouter(prefix="/id-tags", tags=["idTags"])
log = structlog.get_logger("channels.api")

Tag = Annotated[str, Path(min_length=1, max_length=MAX_TAG_LENGTH)]


def _get(session, tag: str) -> IdTag:
    return row_or_404(session, IdTag, tag, "unknown-id-tag", "idTag")


@router.get("", response_model=schemas.Page[schemas.IdTag], responses=responses(401))
def list_tags(
    request: Request,
    _: Reader,
    status: schemas.TagStatus | None = None,
    q: Annotated[
        str | None, Query(max_length=MAX_TAG_LENGTH, description="Part of the tag")
    ] = None,
    limit: schemas.Limit = 50,
    offset: schemas.Offset = 0,
):
    query = select(IdTag).order_by(IdTag.tag)
    if status is not None:
        query = query.where(IdTag.status == status)
    if q:
        query = query.where(IdTag.tag.contains(q, autoescape=True))
    with session_for(request) as session:
        return page(session, query, limit, offset, records.id_tag_row)


@router.get("/{tag}", response_model=schemas.IdTag, responses=responses(401, 404))
def show_tag(request: Request, tag: Tag, _: Reader):
    with session_for(request) as session:
        return records.id_tag_row(_get(session, tag))


@router.put(
    "/{tag}",
    response_model=schemas.IdTag,
    responses={201: {"model": schemas.IdTag, "description": "Added"}, **responses(401, 403)},
)
def put_tag(request: Request, tag: Tag, body: schemas.IdTagValues, who: Writer, response: Response):
    """Add the idTag, or set an existing one to exactly these values (201 when added)."""
    with session_for(request) as session:
        if put_id_tag(session, tag, body.status, body.expiry_date, body.parent_id_tag):
            response.status_code = 201
        row = records.id_tag_row(_get(session, tag))
    # The tag itself is a credential: the log names who changed one, not which.
    log.info("id tag set", status=body.status, by=who.name)
    return row


@router.post("/{tag}/block", response_model=schemas.IdTag, responses=responses(401, 403, 404))
def block_tag(request: Request, tag: Tag, who: Writer):
    """Set the idTag's status to Blocked: its next Authorize or StartTransaction is refused."""
    with session_for(request) as session:
        if not block_id_tag(session, tag):
            raise Problem(404, "unknown-id-tag", f"no idTag {tag}")
        row = records.id_tag_row(_get(session, tag))
    log.info("id tag blocked", by=who.name)
    return row


@router.delete("/{tag}", status_code=204, responses=responses(401, 403, 404))
def delete_tag(request: Request, tag: Tag, who: Writer) -> Response:
    """Remove the idTag: it is then unknown (Invalid). Its transactions stay."""
    with session_for(request) as session:
        session.delete(_get(session, tag))
    log.info("id tag removed", by=who.name)
    return Response(status_code=204)
