"""The Local Authorization List requests of a 2.x station, without I/O: our idTags as
2.x AuthorizationData, what turns the list a station holds into ours, the SendLocalList
that carries it (split as the station's LocalAuthListCtrlr allows), and
GetLocalListVersion (the same request in every version).

An entry is keyed by its idToken's type and value (`token_key`): the list a station
holds is {token key: AuthorizationData}. Our idTag table names no token type, so a list
is sent with one type for all its entries (ISO14443, an RFID card, unless the operator
names another); a tag longer than the version's idToken (36 characters in 2.0.1, 255
in 2.1) cannot be in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from ocpp_cable.channels.domain.authorization import GROUP_TOKEN_TYPE
from ocpp_cable.channels.domain.device_requests import BYTES, ITEMS, Limits, message_size
from ocpp_cable.channels.domain.station_requests import Request, RequestProblem
from ocpp_cable.channels.storage.models import IdTag
from ocpp_cable.contract.timestamps import utc_text

FULL, DIFFERENTIAL = "Full", "Differential"
ACTION = "SendLocalList"
CONTROLLER = "LocalAuthListCtrlr"
DEFAULT_TOKEN_TYPE = "ISO14443"
# The idToken types a list entry may have (NoAuthorization needs no list).
TOKEN_TYPES = ("Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress")
ID_TOKEN_LENGTH = {"2.0.1": 36, "2.1": 255}


def token_key(id_token: Mapping[str, Any]) -> str:
    """Where a 2.x list keeps a token's entry: its type and value, as one exact key."""
    return orjson.dumps([id_token["type"], id_token["idToken"]]).decode()


def id_token_length(version: str) -> int:
    """The longest idToken (and groupIdToken) a station of this 2.x version takes."""
    return ID_TOKEN_LENGTH.get(version, ID_TOKEN_LENGTH["2.0.1"])


def check_token_type(token_type: str) -> str:
    if token_type not in TOKEN_TYPES:
        raise RequestProblem(f"idToken type {token_type!r}: one of {', '.join(TOKEN_TYPES)}")
    return token_type


def entry(tag: IdTag, at: datetime, token_type: str, version: str) -> dict[str, Any]:
    """The tag as a list entry (AuthorizationData): its idToken, and the idTokenInfo an
    Authorize would give it without a transaction (Accepted past its expiry is Expired;
    the expiry as cacheExpiryDateTime; the parent as groupIdToken when it fits)."""
    info: dict[str, Any] = {"status": tag.status}
    if tag.status == "Accepted" and tag.expiry_date is not None and tag.expiry_date <= at:
        info["status"] = "Expired"
    if tag.expiry_date is not None:
        info["cacheExpiryDateTime"] = utc_text(tag.expiry_date, timespec="auto")
    if tag.parent_id_tag and len(tag.parent_id_tag) <= id_token_length(version):
        info["groupIdToken"] = {"idToken": tag.parent_id_tag, "type": GROUP_TOKEN_TYPE}
    return {"idToken": {"idToken": tag.tag, "type": token_type}, "idTokenInfo": info}


def differential(held: Mapping[str, dict], target: Mapping[str, dict]) -> list[dict[str, Any]]:
    """What turns `held` into `target`: the entries added or changed, and an entry without
    idTokenInfo (which deletes it) for each token `target` lacks; in key order."""
    changed = [(key, item) for key, item in target.items() if held.get(key) != item]
    removed = [(key, {"idToken": held[key]["idToken"]}) for key in held if key not in target]
    return [item for _, item in sorted(changed + removed, key=lambda pair: pair[0])]


def full(target: Mapping[str, dict]) -> list[dict[str, Any]]:
    return [target[key] for key in sorted(target)]


def applied(held: Mapping[str, dict], update_type: str, entries: list[dict]) -> dict[str, dict]:
    """What the station holds once it applied the update: an entry without idTokenInfo
    deletes its token."""
    result = {} if update_type == FULL else dict(held)
    for item in entries:
        key = token_key(item["idToken"])
        if "idTokenInfo" in item:
            result[key] = item
        else:
            result.pop(key, None)
    return result


def payload(version_number: int, update_type: str, entries: list[dict]) -> dict[str, Any]:
    """A SendLocalList: an empty list is left out (a Full one without entries empties the
    station's list; the schema takes no empty array)."""
    found: dict[str, Any] = {"versionNumber": version_number, "updateType": update_type}
    if entries:
        found["localAuthorizationList"] = entries
    return found


def first_part(
    version_number: int, update_type: str, entries: list[dict], limits: Limits
) -> tuple[dict[str, Any], bool]:
    """The SendLocalList to send now, and whether more must follow: a list larger than
    one message takes (ItemsPerMessage, BytesPerMessage of LocalAuthListCtrlr) goes as
    its first part now; the rest follows as Differential updates, each once the one
    before is accepted.

    Raises:
        RequestProblem: one entry alone is larger than a message may be.
    """
    if not entries:
        return payload(version_number, update_type, []), False
    # The message's size grows by each further entry's JSON and its comma (orjson's
    # compact form, as the gateway sends it).
    size = message_size(ACTION, payload(version_number, update_type, entries[:1]))
    if limits.bytes is not None and size > limits.bytes:
        raise RequestProblem(
            f"SendLocalList with one entry is {size} bytes, and the station takes at most "
            f"{limits.bytes} ({CONTROLLER}.{BYTES})"
        )
    taken = 1
    while taken < len(entries) and (limits.items is None or taken < limits.items):
        size += len(orjson.dumps(entries[taken])) + 1
        if limits.bytes is not None and size > limits.bytes:
            break
        taken += 1
    return payload(version_number, update_type, entries[:taken]), taken < len(entries)


def limits_of(reported: Mapping[tuple[str, str, str | None], str | None]) -> Limits:
    """The station's limits on one SendLocalList, among its reported values: its
    LocalAuthListCtrlr's ItemsPerMessage and BytesPerMessage (as 2.0.1 names them;
    also as some stations do, ItemsPerMessageSendLocalList, or with the instance
    SendLocalList). A value that is no positive integer is as if unsaid."""

    def number(variable: str) -> int | None:
        for key in (
            (CONTROLLER, variable, None),
            (CONTROLLER, variable + ACTION, None),
            (CONTROLLER, variable, ACTION),
        ):
            text = reported.get(key)
            if text is not None and text.strip().isdigit() and int(text) > 0:
                return int(text)
        return None

    return Limits(number(ITEMS), number(BYTES))


def refusal(reported: Mapping[tuple[str, str, str | None], str | None]) -> str | None:
    """Why the station takes no list, as its reported LocalAuthListCtrlr says: not
    Available (it has none), or not Enabled; None when it said neither."""
    if _false(reported.get((CONTROLLER, "Available", None))):
        return f"it has no Local Authorization List ({CONTROLLER}.Available is false)"
    if _false(reported.get((CONTROLLER, "Enabled", None))):
        return (
            f"its Local Authorization List is disabled ({CONTROLLER}.Enabled is false): "
            f"enable it first (ocpp-cable variables set <station> {CONTROLLER}.Enabled=true)"
        )
    return None


def get_version() -> Request:
    """Ask the station which list version it holds (both versions: an empty request)."""
    return Request("GetLocalListVersion", {})


def _false(text: str | None) -> bool:
    return text is not None and text.strip().lower() == "false"
