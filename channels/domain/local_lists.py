"""The Local Authorization List of OCPP 1.6 stations (Local Auth List Management profile).

The list a station should hold is our idTag table: every tag, with the idTagInfo an
Authorize would get (channels/domain/authorization.py's rules, without ConcurrentTx: a list
entry outlives the transaction of the moment). Per station we keep the version it
acknowledged and the entries it holds as of that version (`LocalList`), so an update
sends only what changed (Differential), or everything (Full) when the station never
acknowledged a list or failed the last update.

The station's answers (channels/domain/command_hooks.py): Accepted moves what it holds to the
update's version; Failed or VersionMismatch calls for the full list again, at most
MAX_RESENDS times in a row; NotSupported marks the station as not supporting lists.
A GetLocalListVersion answer that differs from our version calls for the full list.

A 2.x station's list is followed as far as it was sent (`send`, the API's commands): an
accepted SendLocalList moves what it holds to its versionNumber, each entry under its
idToken and type (`token_key`). When its customer's data is cleared (N10), the station
drops their token from its list, and the central system sends the Differential update
that says so under a new version (`forget_token`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from ocpp_cable.channels.domain import commands, configuration
from ocpp_cable.channels.domain.authorization import PARENT_LENGTH_16
from ocpp_cable.channels.domain.follow_ups import FollowUp
from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.storage.models import ChargePoint, Command, IdTag, LocalList
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
    """The list every 1.6 station should hold, and the tags left out of it."""

    entries: dict[str, dict[str, Any]]  # idTag -> idTagInfo
    too_long: int  # tags longer than a 1.6 idTag


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
    """The SendLocalList payload that brings the station up to date; None when it is
    in sync already (and no Full update was asked for).

    Raises:
        ListProblem: the station does not support lists, or the list is too long.
    """
    if (station.ocpp_version or "1.6") != "1.6":
        raise ListProblem(f"station {station.id} speaks OCPP {station.ocpp_version}: "
                          "local lists are kept for 1.6 stations")  # fmt: skip
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


def started(session: Session, station_id: str, command_id: str) -> None:
    """An operator sent an update: it is the one in flight, and resends count anew."""
    known = state(session, station_id)
    known.pending_command_id, known.resends, known.problem = command_id, 0, None
    known.updated_at = now()


def in_sync(session: Session, known: LocalList) -> bool:
    """Does the station hold what it should, as of the version it acknowledged?"""
    return known.version is not None and not differential(known.entries, wanted(session).entries)


def _full_again(session: Session, station_id: str, why: str) -> list[FollowUp]:
    """The full list once more, unless MAX_RESENDS were sent in a row already."""
    known = state(session, station_id)
    if known.resends >= MAX_RESENDS:
        known.problem = f"{why}; gave up after {MAX_RESENDS} full lists in a row"
        return []
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
    session: Session, station_id: str, payload: dict, answer: dict
) -> list[FollowUp]:
    if not _is_16(payload):
        _on_list_answered_2(session, station_id, payload, answer)
        return []
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
    known = state(session, station_id)
    version = payload.get("listVersion", payload.get("versionNumber"))
    known.problem = f"SendLocalList version {version} failed: {code[:40]}"
    known.updated_at = now()


def on_version_answered(
    session: Session, station_id: str, payload: dict, answer: dict
) -> list[FollowUp]:
    version = answer.get("listVersion")
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


def token_key(id_token: dict[str, Any]) -> str:
    """Where a 2.x list keeps a token's entry: its value and type, as one exact key."""
    return orjson.dumps([id_token["type"], id_token["idToken"]]).decode()


def applied_2(held: dict[str, dict], update_type: str, entries: list[dict]) -> dict[str, dict]:
    """What a 2.x station holds once it applied the update: {token_key: entry}; an entry
    without idTokenInfo deletes its token."""
    result = {} if update_type == FULL else dict(held)
    for entry in entries:
        key = token_key(entry["idToken"])
        if "idTokenInfo" in entry:
            result[key] = entry
        else:
            result.pop(key, None)
    return result


def _on_list_answered_2(session: Session, station_id: str, payload: dict, answer: dict) -> None:
    status, version = answer.get("status"), payload.get("versionNumber")
    known = state(session, station_id)
    known.updated_at = now()
    if status == "Accepted":
        known.entries = applied_2(
            known.entries, payload["updateType"], payload.get("localAuthorizationList") or []
        )
        known.version, known.supported, known.problem = version, True, None
    else:
        known.problem = f"version {version} answered {status}"


def forget_token(session: Session, station_id: str, id_token: dict[str, Any]) -> list[FollowUp]:
    """The Differential update that removes `id_token` from a 2.x station's list, under the
    next version (OCPP 2.0.1 N10.FR.02), as a follow-up; none when the list we know of
    does not hold it, or an update is still on its way."""
    known = session.get(LocalList, station_id)
    if known is None or known.version is None or token_key(id_token) not in known.entries:
        return []
    if known.pending_command_id is not None:
        pending = session.get(Command, known.pending_command_id)
        if pending is not None and pending.status in commands.OPEN:
            return []
    token = {"idToken": id_token["idToken"], "type": id_token["type"]}
    payload = {
        "versionNumber": known.version + 1,
        "updateType": DIFFERENTIAL,
        "localAuthorizationList": [{"idToken": token}],
    }
    follow_up = FollowUp("SendLocalList", payload)
    known.pending_command_id, known.updated_at = follow_up.id, now()
    return [follow_up]
