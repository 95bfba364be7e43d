"""A simulated 2.x charger's display messages (OCPP 2.0.1 block O): the messages the
central system sets, asks for and clears. It has no screen, but keeps each message as a
display does: in the formats and states it supports, no more than it has room for, until
its end time, or the end of the transaction it was set for.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ocpp_cable.simulator.device_model2 import (
    ACCEPTED,
    DISPLAY_FORMATS,
    DISPLAY_ROOM,
    display_states,
    parts,
    status,
)
from ocpp_cable.simulator.dialects import Answer, Message, Payload, Station, unix_time

FORMATS = frozenset(DISPLAY_FORMATS.split(","))
MESSAGE_PART = 4  # messages in one NotifyDisplayMessages


def held(station: Station) -> dict[int, Payload]:
    """The messages it holds, by id: those past their end time are gone."""
    messages, now = station.state.display_messages, time.time()
    for message_id, message in list(messages.items()):
        if "endDateTime" in message and unix_time(message["endDateTime"]) <= now:
            del messages[message_id]
    return messages


def _refusal(message: Payload, station: Station) -> str | None:
    """Why a message is not taken (O01, O02), or None."""
    contents = [message["message"], *message.get("messageExtra", ())]  # 2.1: more languages
    if any(content["format"] not in FORMATS for content in contents):
        return "NotSupportedMessageFormat"
    state, transaction = message.get("state"), message.get("transactionId")
    if state is not None and state not in display_states(station.ocpp_version):
        return "NotSupportedState"
    session = station.session
    if transaction is not None and (session is None or session.transaction_id != transaction):
        return "UnknownTransaction"  # shown only during a transaction that runs
    if message["id"] not in held(station) and len(held(station)) >= DISPLAY_ROOM:
        return "Rejected"  # no room for another
    return None


def _set_message(payload: Payload, station: Station) -> Answer:
    message = payload["message"]
    refused = _refusal(message, station)
    if refused is not None:
        return Answer(status(refused))
    held(station)[message["id"]] = message  # the same id replaces it
    return Answer(ACCEPTED)


def _get_messages(payload: Payload, station: Station) -> Answer:
    """The messages matching every filter given (O04): Accepted, then
    NotifyDisplayMessages parts; Unknown when none does."""
    ids, priority, state = payload.get("id"), payload.get("priority"), payload.get("state")
    found = [
        message
        for message_id, message in sorted(held(station).items())
        if (ids is None or message_id in ids)
        and (priority is None or message["priority"] == priority)
        and (state is None or message.get("state") == state)
    ]
    if not found:
        return Answer(status("Unknown"))
    chunks = parts(found, MESSAGE_PART)
    reports: list[Message] = [
        ("NotifyDisplayMessages",
         {"requestId": payload["requestId"], "tbc": n < len(chunks) - 1, "messageInfo": chunk})
        for n, chunk in enumerate(chunks)
    ]  # fmt: skip
    return Answer(ACCEPTED, then=("send", reports))


def _clear_message(payload: Payload, station: Station) -> Answer:
    gone = held(station).pop(payload["id"], None)
    return Answer(status("Unknown") if gone is None else ACCEPTED)


HANDLERS: dict[str, Callable[[Payload, Station], Answer]] = {
    "SetDisplayMessage": _set_message,
    "GetDisplayMessages": _get_messages,
    "ClearDisplayMessage": _clear_message,
}
