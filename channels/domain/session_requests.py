"""The requests an operator's remote session commands become, in the OCPP version the
station speaks: start a session for an idTag (1.6 RemoteStartTransaction, 2.x
RequestStartTransaction), stop one (RemoteStopTransaction, RequestStopTransaction), and
ask a 2.x station about a transaction (GetTransactionStatus). Pure functions: what to
send, or a RequestProblem saying why not.

The operator names a session once: by our transaction id, as `transactions list` shows
it, or by the station's own transactionId (2.x). `resolve_transaction` picks the id the
station knows from what we stored; the station stays the authority on what it runs, so
an id we do not know is still asked about (it may have started offline).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ocpp_cable.channels.domain.station_requests import Request, RequestProblem, positive
from ocpp_cable.channels.storage.models import Transaction

V16 = "1.6"
# IdTokenEnumType (2.x): Central is an id the central system made up (an operator's or
# an app's start); a card's type is the one the station reads it as.
TOKEN_TYPES = (
    "Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress", "NoAuthorization",
)  # fmt: skip
DEFAULT_TOKEN_TYPE = "Central"
ID_TAG_LENGTH_16 = 20  # CiString20Type
ID_TOKEN_LENGTH_2X = 36  # IdTokenType.idToken
TRANSACTION_ID_LENGTH_2X = 36
MAX_INT = 2**31 - 1  # a JSON schema integer the station must hold (remoteStartId)


def remote_start(
    version: str,
    id_tag: str,
    remote_start_id: int,
    *,
    token_type: str | None = None,
    connector: int | None = None,
    evse: int | None = None,
    group_id_token: str | None = None,
    charging_profile: dict[str, Any] | None = None,
) -> Request:
    """Start a session for `id_tag` (on a connector or, 2.x, an EVSE, else where the
    station chooses). `remote_start_id` (2.x) is the central system's own number, which
    the station's TransactionEvents carry back."""
    if not id_tag:
        raise RequestProblem("an idTag to start the session for")
    if version == V16:
        if evse is not None:
            raise RequestProblem("a 1.6 station has connectors, not EVSEs: use --connector")
        if token_type is not None or group_id_token is not None:
            raise RequestProblem("a 1.6 idTag has no type or group token: leave them out")
        _at_most(id_tag, ID_TAG_LENGTH_16, "a 1.6 idTag")
        payload: dict[str, Any] = {"idTag": id_tag}
        if connector is not None:
            payload["connectorId"] = positive(connector, "connector")
        if charging_profile is not None:
            payload["chargingProfile"] = charging_profile
        return Request("RemoteStartTransaction", payload)
    if connector is not None:
        raise RequestProblem("a 2.x station starts on an EVSE: use --evse")
    kind = token_type or DEFAULT_TOKEN_TYPE
    if kind not in TOKEN_TYPES:
        raise RequestProblem(f"token type {kind!r}: one of {', '.join(TOKEN_TYPES)}")
    _at_most(id_tag, ID_TOKEN_LENGTH_2X, "an idToken")
    if not 1 <= remote_start_id <= MAX_INT:
        raise RequestProblem(f"remoteStartId {remote_start_id}: 1 to {MAX_INT}")
    payload = {"idToken": {"idToken": id_tag, "type": kind}, "remoteStartId": remote_start_id}
    if evse is not None:
        payload["evseId"] = positive(evse, "EVSE")
    if group_id_token is not None:
        _at_most(group_id_token, ID_TOKEN_LENGTH_2X, "a group idToken")
        # The group is a token of ours: the central system's own type.
        payload["groupIdToken"] = {"idToken": group_id_token, "type": DEFAULT_TOKEN_TYPE}
    if charging_profile is not None:
        payload["chargingProfile"] = charging_profile
    return Request("RequestStartTransaction", payload)


def remote_stop(version: str, transaction_id: str) -> Request:
    """Stop the session the station knows as `transaction_id` (1.6: ours, a number)."""
    if version == V16:
        return Request("RemoteStopTransaction", {"transactionId": _number_16(transaction_id)})
    _at_most(transaction_id, TRANSACTION_ID_LENGTH_2X, "a 2.x transactionId")
    return Request("RequestStopTransaction", {"transactionId": transaction_id})


def transaction_status(version: str, transaction_id: str | None = None) -> Request:
    """Ask a 2.x station whether a transaction goes on and whether it still holds messages
    of it (or, with none named, any messages at all)."""
    if version == V16:
        raise RequestProblem("GetTransactionStatus is OCPP 2.x: a 1.6 station has no such request")
    if transaction_id is None:
        return Request("GetTransactionStatus", {})
    _at_most(transaction_id, TRANSACTION_ID_LENGTH_2X, "a 2.x transactionId")
    return Request("GetTransactionStatus", {"transactionId": transaction_id})


def resolve_transaction(session: Session, station_id: str, version: str, named: str) -> str:
    """The id the station knows for the session the operator `named`.

    A 2.x station's own transactionId wins (it is what `transactions list` shows beside
    ours); else our id, of a transaction of this station. A 1.6 station's transactionId is
    ours. An id we do not hold for the station is passed on as given."""
    if version == V16:
        return named
    own = session.scalar(
        select(Transaction.station_transaction_id).where(
            Transaction.station_id == station_id, Transaction.station_transaction_id == named
        )
    )
    if own is not None:
        return own
    if named.isdigit():
        row = session.get(Transaction, int(named))
        if row is not None and row.station_id == station_id and row.station_transaction_id:
            return row.station_transaction_id
    return named


def _number_16(named: str) -> int:
    try:
        number = int(named)
    except ValueError:
        raise RequestProblem(f"{named!r}: a 1.6 transactionId is a number") from None
    if not 0 <= number <= MAX_INT:
        raise RequestProblem(f"transaction {number}: 0 to {MAX_INT}")
    return number


def _at_most(text: str, length: int, what: str) -> None:
    if len(text) > length:
        raise RequestProblem(f"{what} is at most {length} characters ({len(text)} given)")
