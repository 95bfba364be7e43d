"""/api/v1/stations/{id}/display-messages/set|get|clear: the messages a 2.x station shows
its drivers, as `ocpp-cable display-messages` sends them
(channels/operators/admin/display_messages.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ocpp_cable.channels.operators.admin import display_messages as operations
from ocpp_cable.channels.operators.api import device_model_schemas as bodies
from ocpp_cable.channels.operators.api.auth import Writer
from ocpp_cable.channels.operators.api.routes.commands import Wait
from ocpp_cable.channels.operators.api.routes.device_model import ROUTE, sent_and_followed

router = APIRouter(
    prefix="/stations/{station_id}/display-messages", tags=["display messages (2.x)"]
)


@router.post("/set", **ROUTE)
async def set_message(
    request: Request,
    station_id: str,
    body: bodies.DisplayMessageRequest,
    who: Writer,
    wait: Wait = 0,
):
    """Show a message (SetDisplayMessage); one with the id of a message shown replaces it.
    The station's answer: Accepted, Rejected, NotSupportedMessageFormat,
    NotSupportedPriority, NotSupportedState or UnknownTransaction (all but Accepted end
    the command `rejected`)."""
    message = operations.DisplayMessage(
        content=body.content, priority=body.priority, format=body.format, id=body.id,
        language=body.language, state=body.state, start=body.start, end=body.end,
        transaction_id=body.transaction_id,
    )  # fmt: skip
    return await sent_and_followed(request, station_id, who, wait, operations.set_message, message)


@router.post("/get", **ROUTE)
async def get_messages(
    request: Request,
    station_id: str,
    body: bodies.DisplayMessagesQuery,
    who: Writer,
    wait: Wait = 0,
):
    """Ask for the messages matching every filter given, none: all (GetDisplayMessages);
    the NotifyDisplayMessages parts are kept as the station sent them."""
    return await sent_and_followed(
        request, station_id, who, wait, operations.get_messages,
        body.ids, body.priority, body.state,
    )  # fmt: skip


@router.post("/clear", **ROUTE)
async def clear_message(
    request: Request,
    station_id: str,
    body: bodies.DisplayMessageClear,
    who: Writer,
    wait: Wait = 0,
):
    """Stop showing a message (ClearDisplayMessage): Accepted, or Unknown."""
    return await sent_and_followed(
        request, station_id, who, wait, operations.clear_message, body.id
    )
