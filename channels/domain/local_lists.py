"""The Local Authorization List of a station, kept in step with our idTag table (OCPP 1.6
Local Auth List Management; 2.x D. Local Authorization List Management).

The list a station should hold is our idTag table: every tag, with what an Authorize
would answer (channels/domain/authorization.py's rules, without ConcurrentTx: a list
entry outlives the transaction of the moment). Per station we keep the version it
acknowledged and the entries it holds as of that version (`LocalList`), so an update
sends only what changed (Differential), or everything (Full) when the station never
acknowledged a list or failed the last update.

A 1.6 station's entries are idTags with their idTagInfo ({idTag: idTagInfo}). The
station's answers (channels/domain/command_hooks.py): Accepted moves what it holds to
the update's version; Failed or VersionMismatch calls for the full list again, at most
MAX_RESENDS times in a row; NotSupported marks the station as not supporting lists.
A GetLocalListVersion answer that differs from our version calls for the full list.

A 2.x station's entries are AuthorizationData ({token key: entry}, local_list_requests.py
builds them), sent with one idToken type (kept as the list's `token_type`). Its
reported LocalAuthListCtrlr says whether it takes a list at all (Available, Enabled),
how many entries it holds (Entries' maxLimit) and what one SendLocalList may hold
(ItemsPerMessage, BytesPerMessage): a list larger than one message goes in parts, the
first (Full or Differential) at once and the rest as Differential updates, each once
the one before is accepted (`more_parts`). Its answers move it as a 1.6 station's do,
and so does its GetLocalListVersion. A list sent otherwise (`send`, the API's commands)
is followed as far as it was sent. When a customer's data is cleared (N10), the station
drops their token from its list, and the central system sends the Differential update
that says so under a new version (`forget_token`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ocpp_cable.channels.domain import commands, configuration, local_list_requests
from ocpp_cable.channels.domain.authorization import PARENT_LENGTH_16
from ocpp_cable.channels.domain.follow_ups import FollowUp
from ocpp_cable.channels.domain.local_list_requests import CONTROLLER, token_key
from ocpp_cable.channels.domain.station_requests import RequestProblem
from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.handlers.ocpp2 import variables
from ocpp_cable.channels.storage.models import (
    ChargePoint,
    Command,
    IdTag,
    LocalList,
    StationVariable,
)
from ocpp_cable.contract.timestamps import utc_text

FULL, DIFFERENTIAL = "Full", "Differential"
# A 1.6 idTag is a CiString20: a longer tag of ours (a 2.x token) cannot go in the list.
ID_TAG_LENGTH = 20
# Full lists sent in a row after the station failed one; then we stop and say why.
MAX_RESENDS = 3
# listVersion values of GetLocalListVersion.conf (1.6 edition 2).
NOT_SUPPORTED_VERSION, EMPTY_VERSION = -1, 0


class ListProblem(Exception):
    """The list cannot be sent as asked (too long, not supported, one in flight)."""


@dataclass(frozen=True, slots=True)
class Wanted:
    """The list a station should hold, and the tags left out of it."""

    entries: dict[str, dict[str, Any]]  # idTag -> idTagInfo (2.x: token key -> entry)
    too_long: int  # tags longer than the version's idTag (idToken)


def tag_info(tag: IdTag, at: datetime) -> dict[str, Any]:
    """The idTagInfo of a list entry: the tag's status (Accepted past its expiry is
    Expired), its expiry, and its parent when a 1.6 station can hold it."""
    info: dict[str, Any] = {"status": tag.status}
    if tag.status == "Accepted" and tag.expiry_date is not None and tag.expiry_date <= at:
        info["status"] = "Expired"
    if tag.expiry_date is not None:
        info["expiryDate"] = utc_text(tag.expiry_date, timespec="auto")
    if tag.parent_id_tag and len(tag.parent_id_tag) <= PARENT_LENGTH_16:
        info["parentIdTag"] = tag.parent_id_tag
    return info


def wanted(session: Session) -> Wanted:
    at, entries, too_long = now(), {}, 0
    for tag in session.scalars(select(IdTag).order_by(IdTag.tag)):
        if len(tag.tag) > ID_TAG_LENGTH:
            too_long += 1
        else:
            entries[tag.tag] = tag_info(tag, at)
    return Wanted(entries, too_long)


def wanted_2(session: Session, version: str, token_type: str) -> Wanted:
    """The list a 2.x station should hold: each tag as an entry of `token_type`."""
    at, entries, too_long = now(), {}, 0
    longest = local_list_requests.id_token_length(version)
    for tag in session.scalars(select(IdTag).order_by(IdTag.tag)):
        if len(tag.tag) > longest:
            too_long += 1
            continue
        found = local_list_requests.entry(tag, at, token_type, version)
        entries[token_key(found["idToken"])] = found
    return Wanted(entries, too_long)


def wanted_for(session: Session, station: ChargePoint, known: LocalList | None) -> Wanted:
    """The list this station should hold, in its version (a 2.x one with the idToken
    type its list was last sent with)."""
    version = station.ocpp_version or "1.6"
    if version == "1.6":
        return wanted(session)
    return wanted_2(session, version, _token_type(known))


def _token_type(known: LocalList | None) -> str:
    found = known.token_type if known is not None else None
    return found or local_list_requests.DEFAULT_TOKEN_TYPE


def differential(held: dict[str, dict], target: dict[str, dict]) -> list[dict[str, Any]]:
    """What turns `held` into `target`: added or changed tags with their idTagInfo,
    removed ones without (which deletes them, per 1.6's SendLocalList)."""
    changed = [
        {"idTag": tag, "idTagInfo": info} for tag, info in target.items() if held.get(tag) != info
    ]
    removed = [{"idTag": tag} for tag in held if tag not in target]
    return sorted(changed + removed, key=lambda entry: entry["idTag"])


def full(target: dict[str, dict]) -> list[dict[str, Any]]:
    return [{"idTag": tag, "idTagInfo": info} for tag, info in sorted(target.items())]


def applied(held: dict[str, dict], update_type: str, entries: list[dict]) -> dict[str, dict]:
    """What the station holds once it applied the update."""
    result = {} if update_type == FULL else dict(held)
    for entry in entries:
        if "idTagInfo" in entry:
            result[entry["idTag"]] = entry["idTagInfo"]
        else:
            result.pop(entry["idTag"], None)
    return result


def state(session: Session, station_id: str) -> LocalList:
    """The station's list as we know it (a new, never acknowledged one the first time)."""
    found = session.get(LocalList, station_id)
    if found is None:
        found = LocalList(
            station_id=station_id, version=None, entries={}, supported=True, resends=0
        )
        session.add(found)
    return found


def in_flight(session: Session, station_id: str, patience: commands.Patience) -> Command | None:
    """The SendLocalList sent and still unanswered, if any: one still open past the time
    it is final at the latest (`patience`; no rpc_app swept it) is not waited for."""
    found = session.get(LocalList, station_id)
    if found is None or found.pending_command_id is None:
        return None
    command = session.get(Command, found.pending_command_id)
    if command is None or command.status not in commands.OPEN:
        return None
    final = commands.final_by(session, command.id, patience)
    return command if final is not None and now() < final else None


def length_problem(session: Session, station_id: str, payload: dict[str, Any]) -> str | None:
    """What the station's configuration says against this update: more entries in one
    message than SendLocalListMaxLength, or a list longer than LocalAuthListMaxLength.
    Nothing is split: the operator decides what goes."""
    entries = payload.get("localAuthorizationList") or []
    per_message = _number(session, station_id, "SendLocalListMaxLength")
    if per_message is not None and len(entries) > per_message:
        return (
            f"the update holds {len(entries)} entries and the station takes at most "
            f"{per_message} in one SendLocalList (SendLocalListMaxLength); nothing is split"
        )
    most = _number(session, station_id, "LocalAuthListMaxLength")
    if most is None:
        return None
    found = session.get(LocalList, station_id)
    held = found.entries if found is not None else {}
    size = len(applied(held, payload.get("updateType", FULL), entries))
    if size > most:
        return (
            f"the list would hold {size} idTags and the station holds at most {most} "
            "(LocalAuthListMaxLength); nothing is split"
        )
    return None


def _number(session: Session, station_id: str, key: str) -> int | None:
    text = configuration.value(session, station_id, key)
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None  # not a number: as if the station had not said


def plan(session: Session, station: ChargePoint, force_full: bool) -> dict[str, Any] | None:
    """The SendLocalList payload that brings a 1.6 station up to date; None when it is
    in sync already (and no Full update was asked for).

    Raises:
        ListProblem: the station does not support lists, or the list is too long.
    """
    if (station.ocpp_version or "1.6") != "1.6":
        raise ListProblem(f"station {station.id} speaks OCPP {station.ocpp_version}: "
                          "its list is planned by plan_2")  # fmt: skip
    known = state(session, station.id)
    if not known.supported:
        raise ListProblem(
            f"station {station.id} does not support local lists ({known.problem}); "
            "send GetLocalListVersion to ask again"
        )
    target = wanted(session).entries
    version = (known.version or 0) + 1
    if force_full or known.version is None:
        payload = {
            "listVersion": version,
            "updateType": FULL,
            "localAuthorizationList": full(target),
        }
    else:
        changes = differential(known.entries, target)
        if not changes:
            return None
        payload = {"listVersion": version, "updateType": DIFFERENTIAL,
                   "localAuthorizationList": changes}  # fmt: skip
    found = length_problem(session, station.id, payload)
    if found is not None:
        raise ListProblem(found)
    return payload


def started(
    session: Session,
    station_id: str,
    command_id: str,
    more_parts: bool = False,
    token_type: str | None = None,
) -> None:
    """An operator sent an update: it is the one in flight, and resends count anew; a
    2.x list's idToken type is the one it was sent with, and its other parts follow."""
    known = state(session, station_id)
    known.pending_command_id, known.resends, known.problem = command_id, 0, None
    known.more_parts = more_parts
    if token_type is not None:
        known.token_type = token_type
    known.updated_at = now()


def in_sync(session: Session, known: LocalList, station: ChargePoint | None = None) -> bool:
    """Does the station hold what it should, as of the version it acknowledged?"""
    if known.version is None:
        return False
    if station is not None and (station.ocpp_version or "1.6") != "1.6":
        target = wanted_for(session, station, known).entries
        return not local_list_requests.differential(_held_2(known), target)
    return not differential(known.entries, wanted(session).entries)


def _full_again(session: Session, station_id: str, why: str) -> list[FollowUp]:
    """The full list once more, unless MAX_RESENDS were sent in a row already."""
    known = state(session, station_id)
    if known.resends >= MAX_RESENDS:
        known.problem = f"{why}; gave up after {MAX_RESENDS} full lists in a row"
        return []
    station = session.get(ChargePoint, station_id)
    if station is not None and (station.ocpp_version or "1.6") != "1.6":
        return _full_again_2(session, station, known, why)
    payload = {
        "listVersion": (known.version or 0) + 1,
        "updateType": FULL,
        "localAuthorizationList": full(wanted(session).entries),
    }
    too_long = length_problem(session, station_id, payload)
    if too_long is not None:
        known.problem = f"{why}; the full list was not sent: {too_long}"
        return []
    follow_up = FollowUp("SendLocalList", payload)
    known.resends += 1
    known.pending_command_id = follow_up.id
    known.problem = f"{why}; full list sent again ({known.resends} of {MAX_RESENDS})"
    known.updated_at = now()
    return [follow_up]


# --- the hooks ---------------------------------------------------------------------------------


def _is_16(payload: dict[str, Any]) -> bool:
    return "listVersion" in payload  # 2.x's SendLocalList says versionNumber


def check_list_length(session: Session, station: ChargePoint, payload: dict) -> str | None:
    return length_problem(session, station.id, payload) if _is_16(payload) else None


def on_list_answered(
    session: Session, station_id: str, payload: dict, answer: dict, command_id: str
) -> list[FollowUp]:
    if not _is_16(payload):
        return _on_list_answered_2(session, station_id, payload, answer, command_id)
    status, version = answer.get("status"), payload["listVersion"]
    known = state(session, station_id)
    known.updated_at = now()
    if status == "Accepted":
        known.entries = applied(
            known.entries, payload["updateType"], payload.get("localAuthorizationList") or []
        )
        known.version, known.supported, known.resends, known.problem = version, True, 0, None
        return []
    if status == "NotSupported":
        known.supported, known.problem = False, "the station answered NotSupported"
        return []
    if status in ("Failed", "VersionMismatch"):
        return _full_again(session, station_id, f"version {version} answered {status}")
    return []


def on_list_failed(session: Session, station_id: str, payload: dict, code: str) -> None:
    """An update got a CALLERROR or no answer: said, and the parts of a 2.x list that
    were to follow it are not sent."""
    known = state(session, station_id)
    version = payload.get("listVersion", payload.get("versionNumber"))
    known.problem = f"SendLocalList version {version} failed: {code[:40]}"
    known.more_parts = False
    known.updated_at = now()


def on_version_answered(
    session: Session, station_id: str, payload: dict, answer: dict
) -> list[FollowUp]:
    """The version the station holds (1.6 listVersion, 2.x versionNumber): -1 says it
    supports no list, 0 that it holds none; another than ours calls for the full list."""
    version = answer.get("listVersion", answer.get("versionNumber"))
    if not isinstance(version, int) or isinstance(version, bool):
        return []
    known = state(session, station_id)
    known.updated_at = now()
    if version == NOT_SUPPORTED_VERSION:
        known.supported, known.problem = False, "GetLocalListVersion answered -1"
        return []
    known.supported = True
    if version == EMPTY_VERSION and known.version is None:
        known.version, known.entries = EMPTY_VERSION, {}  # it holds none: now we know
        return []
    if version == known.version:
        return []  # in step with us
    ours = "none" if known.version is None else known.version
    return _full_again(session, station_id, f"the station holds version {version}, ours {ours}")


# --- 2.x stations ------------------------------------------------------------------------------


def _held_2(known: LocalList) -> dict[str, dict]:
    """The 2.x entries the station holds as we know them; {} when what we keep is not
    2.x entries (a list of the station's 1.6 days)."""
    entries = known.entries or {}
    if all(isinstance(e, dict) and "idToken" in e for e in entries.values()):
        return entries
    return {}


def _reported(session: Session, station_id: str) -> dict[tuple[str, str, str | None], Any]:
    return variables.reported_values(session, station_id, [CONTROLLER])


def _capacity(session: Session, station_id: str) -> int | None:
    """How many entries the station's list holds at most: its LocalAuthListCtrlr.Entries'
    maxLimit, as reported."""
    found = session.scalar(
        select(StationVariable.characteristics).where(
            StationVariable.station_id == station_id,
            StationVariable.component == CONTROLLER,
            StationVariable.component_instance.is_(None),
            StationVariable.evse_id.is_(None),
            StationVariable.variable == "Entries",
        )
    )
    limit = found.get("maxLimit") if isinstance(found, dict) else None
    return int(limit) if isinstance(limit, int | float) and limit >= 0 else None


@dataclass(frozen=True, slots=True)
class Planned:
    """A 2.x update to send: its (first) SendLocalList, and whether parts follow."""

    payload: dict[str, Any]
    more_parts: bool
    token_type: str


def plan_2(
    session: Session, station: ChargePoint, force_full: bool, token_type: str | None = None
) -> Planned | None:
    """The SendLocalList that brings a 2.x station up to date, as the first of its parts
    when the list is larger than one message takes; None when it is in sync already (and
    no Full update was asked for). The entries' idToken type is `token_type`, else the
    one the list was last sent with, else ISO14443; a new type is a Full list.

    Raises:
        ListProblem: the station takes no list (Available, Enabled false), does not
            support lists, the list is too long, or an entry is too large to send.
    """
    known = state(session, station.id)
    if not known.supported:
        raise ListProblem(
            f"station {station.id} does not support local lists ({known.problem}); "
            "ask again with `ocpp-cable local-list version`"
        )
    reported = _reported(session, station.id)
    refused = local_list_requests.refusal(reported)
    if refused is not None:
        raise ListProblem(f"station {station.id}: {refused}")
    try:
        chosen = local_list_requests.check_token_type(token_type or _token_type(known))
    except RequestProblem as exc:
        raise ListProblem(str(exc)) from None
    target = wanted_2(session, station.ocpp_version or "2.0.1", chosen).entries
    most = _capacity(session, station.id)
    if most is not None and len(target) > most:
        raise ListProblem(
            f"the list would hold {len(target)} idTokens and the station holds at most "
            f"{most} ({CONTROLLER}.Entries)"
        )
    held, version = _held_2(known), (known.version or 0) + 1
    # A list we cannot tell the differences from: none acknowledged, another token type,
    # or entries that are no 2.x entries (kept from the station's 1.6 days).
    unknown = known.version is None or (known.entries and not held)
    if force_full or unknown or (chosen != known.token_type and held):
        update_type, entries = FULL, local_list_requests.full(target)
    else:
        update_type, entries = DIFFERENTIAL, local_list_requests.differential(held, target)
        if not entries:
            return None
    limits = local_list_requests.limits_of(reported)
    try:
        payload, more = local_list_requests.first_part(version, update_type, entries, limits)
    except RequestProblem as exc:
        raise ListProblem(str(exc)) from None
    return Planned(payload, more, chosen)


def _full_again_2(
    session: Session, station: ChargePoint, known: LocalList, why: str
) -> list[FollowUp]:
    try:
        planned = plan_2(session, station, True)
    except ListProblem as exc:
        known.problem, known.more_parts = f"{why}; the full list was not sent: {exc}", False
        return []
    assert planned is not None  # a Full update is always planned
    follow_up = FollowUp("SendLocalList", planned.payload)
    known.resends += 1
    known.pending_command_id, known.more_parts = follow_up.id, planned.more_parts
    known.token_type = planned.token_type
    known.problem = f"{why}; full list sent again ({known.resends} of {MAX_RESENDS})"
    known.updated_at = now()
    return [follow_up]


def _next_part(session: Session, station_id: str, known: LocalList) -> list[FollowUp]:
    """The next part of a list too large for one message, once the last was accepted: what
    the station still lacks, as a Differential update under the next version."""
    station = session.get(ChargePoint, station_id)
    if station is None:
        known.more_parts = False
        return []
    try:
        planned = plan_2(session, station, False)
    except ListProblem as exc:
        known.problem, known.more_parts = f"the list's next part was not sent: {exc}", False
        return []
    if planned is None:  # all there
        known.more_parts = False
        return []
    follow_up = FollowUp("SendLocalList", planned.payload)
    known.pending_command_id, known.more_parts = follow_up.id, planned.more_parts
    known.token_type = planned.token_type
    return [follow_up]


def _on_list_answered_2(
    session: Session, station_id: str, payload: dict, answer: dict, command_id: str
) -> list[FollowUp]:
    status, version = answer.get("status"), payload.get("versionNumber")
    known = state(session, station_id)
    known.updated_at = now()
    ours = known.pending_command_id == command_id
    if status == "Accepted":
        known.entries = local_list_requests.applied(
            _held_2(known), payload["updateType"], payload.get("localAuthorizationList") or []
        )
        known.version, known.supported, known.resends, known.problem = version, True, 0, None
        if ours and known.more_parts:
            return _next_part(session, station_id, known)
        return []
    if ours:
        known.more_parts = False
    if ours and status in ("Failed", "VersionMismatch"):
        return _full_again(session, station_id, f"version {version} answered {status}")
    known.problem = f"version {version} answered {status}"
    return []


def forget_token(session: Session, station_id: str, id_token: dict[str, Any]) -> list[FollowUp]:
    """The Differential update that removes `id_token` from a 2.x station's list, under the
    next version (OCPP 2.0.1 N10.FR.02), as a follow-up; none when the list we know of
    does not hold it, or an update is still on its way. The token is found by its value,
    as an idTag is, whatever type the list holds it with."""
    known = session.get(LocalList, station_id)
    if known is None or known.version is None:
        return []
    held = _held_2(known)
    gone = [entry["idToken"] for key, entry in sorted(held.items())
            if entry["idToken"]["idToken"] == id_token["idToken"]]  # fmt: skip
    if not gone:
        return []
    if known.pending_command_id is not None:
        pending = session.get(Command, known.pending_command_id)
        if pending is not None and pending.status in commands.OPEN:
            return []
    payload = {
        "versionNumber": known.version + 1,
        "updateType": DIFFERENTIAL,
        "localAuthorizationList": [
            {"idToken": {"idToken": token["idToken"], "type": token["type"]}} for token in gone
        ],
    }
    follow_up = FollowUp("SendLocalList", payload)
    known.pending_command_id, known.more_parts, known.updated_at = follow_up.id, False, now()
    return [follow_up]
