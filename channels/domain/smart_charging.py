"""Smart Charging on the reference system: OCPP 1.6 edition 2's Smart Charging profile, and
2.0.1 and 2.1's block K (a 2.x station's EVSE where 1.6 has a connector).

Operators set, clear and read profiles with the commands the central system composes
(channels/domain/charging_requests.py: `ocpp-cable charging-profiles`, `composite-schedule`
and their API routes), or send them as any command (`ocpp-cable send`, `POST
/api/v1/stations/{id}/commands`). Through channels.domain.command_hooks:

- **before sending**, the rules of the spec that our data can check: a
  ChargePointMaxProfile (2.x: ChargingStationMaxProfile) goes on connector (EVSE) 0 only;
  a TxProfile on a connector (EVSE), only while a transaction is open there (and a
  transactionId in it is that one's; 2.x names it always); the chargingProfile of a
  RemoteStartTransaction is a TxProfile without transactionId; a schedule's periods
  start at 0 and ascend; and a few more (`profile_problem`, `profile_problem_2`).
  A command that breaks one is refused: `send` exits 2, the API answers 422.
- **on the station's answer**: an accepted SetChargingProfile installs the profile
  (`charging_profiles`), replacing an installed one of the same chargingProfileId,
  and one of the same connector, purpose and stackLevel; an accepted
  ClearChargingProfile clears those matching its criteria; a GetCompositeSchedule
  answer is kept per connector (`composite_schedules`); an accepted
  RemoteStartTransaction with a chargingProfile leaves it pending until the
  StartTransaction that follows (same idTag, on its connector, started near the time)
  binds it to that transaction.
- **a 2.x ReportChargingProfiles** (after GetChargingProfiles) of the central system's
  own profiles (chargingLimitSource CSO) installs each as the station reports it;
  what other sources set stays in station_notifications, as sent.
- **StopTransaction** (2.x: the Ended TransactionEvent) ends the TxProfiles of its
  transaction: a TxProfile lives as long as its transaction.

Nothing is deleted but old history: a profile replaced, cleared or ended keeps its
row with the time, and a station keeps its last HISTORY_KEPT such rows.

The rules and the matching are plain functions without I/O (tested alone); the
functions that take a session read and write the rows they decide on.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from ocpp_cable.channels.domain.timeutil import now, parse_time
from ocpp_cable.channels.storage.db import core, dialect_insert
from ocpp_cable.channels.storage.models import (
    ChargePoint,
    ChargingProfile,
    Command,
    CompositeSchedule,
    Transaction,
)

MAX_PROFILE, TX_DEFAULT, TX_PROFILE = "ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"
# 2.x's names for the station's maximum, and for the limits others (an EMS) set on it.
MAX_PROFILE_2, EXTERNAL = "ChargingStationMaxProfile", "ChargingStationExternalConstraints"
# The chargingLimitSource of what the central system itself set (2.x).
CSO = "CSO"
PENDING, INSTALLED = "pending", "installed"
REPLACED, CLEARED, ENDED, EXPIRED = "replaced", "cleared", "ended", "expired"
HISTORY = (REPLACED, CLEARED, ENDED, EXPIRED)
# A chargingProfileId is a 32-bit integer on the station.
MAX_PROFILE_ID = 2**31 - 1
# Rows of a station's history kept (replaced, cleared, ended, expired): the newest ones.
HISTORY_KEPT = 100
# A pending profile binds to a StartTransaction (same idTag) whose timestamp is this
# close to when the station accepted the RemoteStartTransaction, either side: the
# station's clock may be off a little, and its start may come late, from its queue.
START_WINDOW = timedelta(minutes=15)


# --- the rules, before a command is sent -------------------------------------------------


def schedule_problem(schedule: dict[str, Any]) -> str | None:
    """What is wrong with a chargingSchedule, or None (2.x: K01.FR.31, K01.FR.35, K01.FR.19)."""
    periods = schedule.get("chargingSchedulePeriod") or []
    if not periods:
        return "chargingSchedulePeriod holds no period (one at least)"
    if periods[0]["startPeriod"] != 0:
        return f"the first chargingSchedulePeriod starts at 0, not {periods[0]['startPeriod']}"
    for before, after in itertools.pairwise(periods):
        if after["startPeriod"] <= before["startPeriod"]:
            return (
                "chargingSchedulePeriod startPeriod ascends: "
                f"{after['startPeriod']} comes after {before['startPeriod']}"
            )
    for period in periods:
        limit = period.get("limit")  # 2.1 may give a setpoint instead
        if limit is not None and limit < 0:
            return f"a chargingSchedulePeriod limit is not negative ({limit})"
        phases = period.get("numberPhases")
        if phases is not None and not 1 <= phases <= 3:
            return f"numberPhases is 1, 2 or 3, not {phases}"
        if period.get("phaseToUse") is not None and phases != 1:
            return "phaseToUse goes with numberPhases 1"
    duration = schedule.get("duration")
    if duration is not None and duration < 0:
        return f"the schedule's duration is not negative ({duration})"
    if schedule.get("minChargingRate", 0) < 0:
        return f"minChargingRate is not negative ({schedule['minChargingRate']})"
    return None


def _time(text: Any) -> datetime | None:
    """A date-time the schema let through, or None when it reads as none."""
    if not isinstance(text, str):
        return None
    try:
        return parse_time(text)[0]
    except ValueError:
        return None


def profile_problem(
    connector_id: int, profile: dict[str, Any], open_transaction: int | None
) -> str | None:
    """What is wrong with setting `profile` (csChargingProfiles) on `connector_id`, or None.

    `open_transaction`: the transaction open on that connector (the newest), if any; only
    a TxProfile on a connector needs it.
    """
    purpose = profile["chargingProfilePurpose"]
    if connector_id < 0:
        return f"connectorId is 0 (the station) or a connector, not {connector_id}"
    if purpose == MAX_PROFILE and connector_id != 0:
        return (
            f"a ChargePointMaxProfile goes on connectorId 0 (the whole station), not {connector_id}"
        )
    if purpose == TX_PROFILE:
        if connector_id == 0:
            return "a TxProfile goes on a connector (connectorId > 0), not 0"
        if open_transaction is None:
            return f"a TxProfile is for a transaction, and none is open on connector {connector_id}"
        given = profile.get("transactionId")
        if given is not None and given != open_transaction:
            return (
                f"transactionId {given} is not the transaction open on connector "
                f"{connector_id} ({open_transaction})"
            )
    elif profile.get("transactionId") is not None:
        return f"only a TxProfile names a transactionId, not a {purpose}"
    return _common_problem(profile)


def _common_problem(profile: dict[str, Any]) -> str | None:
    """The rules every 1.6 profile keeps, wherever it goes."""
    return _profile_rules(profile) or schedule_problem(profile["chargingSchedule"])


def _profile_rules(profile: dict[str, Any]) -> str | None:
    """The rules of a profile's own fields, in either version."""
    if profile["stackLevel"] < 0:
        return f"stackLevel is 0 or more, not {profile['stackLevel']}"
    if profile["chargingProfileKind"] == "Recurring" and "recurrencyKind" not in profile:
        return "a Recurring profile names its recurrencyKind (Daily or Weekly)"
    valid_from, valid_to = _time(profile.get("validFrom")), _time(profile.get("validTo"))
    if valid_from is not None and valid_to is not None and valid_from >= valid_to:
        return "validFrom comes before validTo"
    return None


def profile_problem_2(
    evse_id: int, profile: dict[str, Any], open_transaction: str | None
) -> str | None:
    """What is wrong with setting a 2.x `profile` (chargingProfile) on `evse_id`, or None:
    the rules of OCPP 2.0.1 and 2.1's K01 that a central system keeps.

    `open_transaction`: the station's transactionId of the transaction open on that EVSE
    (the newest), if any; only a TxProfile needs it.
    """
    purpose, kind = profile["chargingProfilePurpose"], profile["chargingProfileKind"]
    if evse_id < 0:
        return f"evseId is 0 (the whole station) or an EVSE, not {evse_id}"
    if purpose == EXTERNAL:  # K01.FR.22
        return (
            "the central system does not set a ChargingStationExternalConstraints profile: "
            "the station's external limits (an EMS) do"
        )
    if purpose == MAX_PROFILE_2:
        if evse_id != 0:
            return (
                f"a ChargingStationMaxProfile goes on evseId 0 (the whole station), not {evse_id}"
            )
        if kind == "Relative":  # K01.FR.38
            return "a ChargingStationMaxProfile is Absolute or Recurring, not Relative"
    given = profile.get("transactionId")
    if purpose == TX_PROFILE:
        if evse_id == 0:  # K01.FR.16
            return "a TxProfile goes on an EVSE (evseId > 0), not 0"
        if open_transaction is None:
            return f"a TxProfile is for a transaction, and none is open on EVSE {evse_id}"
        if given is None:  # K01.FR.03
            return (
                "a TxProfile names its transaction: transactionId "
                f"{open_transaction!r} is open on EVSE {evse_id}"
            )
        if given != open_transaction:
            return (
                f"transactionId {given!r} is not the transaction open on EVSE {evse_id} "
                f"({open_transaction!r})"
            )
    elif given is not None:
        return f"only a TxProfile names a transactionId, not a {purpose}"
    for schedule in profile["chargingSchedule"]:
        starts = schedule.get("startSchedule") is not None
        if kind in ("Absolute", "Recurring") and not starts:  # K01.FR.40
            return f"an {kind} profile's chargingSchedule names its startSchedule"
        if kind == "Relative" and starts:  # K01.FR.41
            return "a Relative profile's chargingSchedule has no startSchedule"
    found = _profile_rules(profile)
    for schedule in profile["chargingSchedule"]:
        found = found or schedule_problem(schedule)
    return found


def remote_start_problem(payload: dict[str, Any]) -> str | None:
    """What is wrong with a RemoteStartTransaction (its connector, its chargingProfile)."""
    connector_id = payload.get("connectorId")
    if connector_id is not None and connector_id <= 0:
        return f"connectorId names a connector (> 0), not {connector_id}"
    profile = payload.get("chargingProfile")
    if profile is None:
        return None
    if profile["chargingProfilePurpose"] != TX_PROFILE:
        return (
            "the chargingProfile of a RemoteStartTransaction is a TxProfile, "
            f"not a {profile['chargingProfilePurpose']}"
        )
    if profile.get("transactionId") is not None:
        return (
            "the chargingProfile of a RemoteStartTransaction has no transactionId: "
            "its transaction does not exist yet"
        )
    return _common_problem(profile)


def clear_problem(payload: dict[str, Any]) -> str | None:
    """What is wrong with a ClearChargingProfile (either version's), or None."""
    criteria = clear_criteria(payload)
    connector_id = criteria.get("connectorId")
    if connector_id is not None and connector_id < 0:
        where = "connectorId" if "connectorId" in payload else "evseId"
        return f"{where} is 0 (the station) or more, not {connector_id}"
    stack_level = criteria.get("stackLevel")
    if stack_level is not None and stack_level < 0:
        return f"stackLevel is 0 or more, not {stack_level}"
    return None


def composite_problem(payload: dict[str, Any]) -> str | None:
    """What is wrong with a GetCompositeSchedule (either version's), or None."""
    where = "connectorId" if "connectorId" in payload else "evseId"
    if payload[where] < 0:
        return f"{where} is 0 (the station) or more, not {payload[where]}"
    if payload["duration"] < 0:
        return f"duration is not negative ({payload['duration']})"
    return None


def clear_criteria(payload: dict[str, Any]) -> dict[str, Any]:
    """A ClearChargingProfile's fields as `cleared` reads them: 1.6's as they are, 2.x's
    chargingProfileId and chargingProfileCriteria (its evseId where 1.6 has connectorId)."""
    if "chargingProfileId" not in payload and "chargingProfileCriteria" not in payload:
        return payload  # 1.6's, or an empty one: all
    criteria = payload.get("chargingProfileCriteria") or {}
    named = {
        "id": payload.get("chargingProfileId"),
        "connectorId": criteria.get("evseId"),
        "chargingProfilePurpose": criteria.get("chargingProfilePurpose"),
        "stackLevel": criteria.get("stackLevel"),
    }
    return {name: value for name, value in named.items() if value is not None}


def profile_id(profile: dict[str, Any]) -> int:
    """A profile's own id: 1.6's chargingProfileId, 2.x's id."""
    return profile["chargingProfileId"] if "chargingProfileId" in profile else profile["id"]


def next_free_id(taken: Iterable[int]) -> int | None:
    """The chargingProfileId after the highest one taken (1 when none is), or None when
    that would pass what the station's integer holds."""
    highest = max(taken, default=0)
    return highest + 1 if highest < MAX_PROFILE_ID else None


def profile_ids(action: str, payload: dict[str, Any]) -> list[int]:
    """The chargingProfileIds a command sets: a SetChargingProfile's, a remote start's."""
    if action == "SetChargingProfile":
        profile = payload.get("csChargingProfiles") or payload.get("chargingProfile")
    else:
        profile = payload.get("chargingProfile")
    if not isinstance(profile, dict):
        return []
    found = profile.get("chargingProfileId", profile.get("id"))
    return [found] if isinstance(found, int) else []


# --- which installed profiles a change touches ----------------------------------------------


class Profile(NamedTuple):
    """What the matching rules read of a profile row (a row of `_KEYS` reads alike)."""

    id: int
    connector_id: int | None
    charging_profile_id: int
    stack_level: int
    purpose: str
    transaction_id: int | None = None


class Pending(NamedTuple):
    """A pending profile as binding reads it."""

    id: int
    connector_id: int | None
    id_tag: str | None
    created_at: datetime


def replaced(
    connector_id: int, charging_profile_id: int, stack_level: int, purpose: str,
    installed: Iterable[Profile],
) -> list[int]:  # fmt: skip
    """The installed profiles a new one replaces: any of the same chargingProfileId, and
    the one on the same connector with the same stackLevel and purpose."""
    return [
        p.id
        for p in installed
        if p.charging_profile_id == charging_profile_id
        or (p.connector_id, p.stack_level, p.purpose) == (connector_id, stack_level, purpose)
    ]


def cleared(criteria: dict[str, Any], installed: Iterable[Profile]) -> list[int]:
    """The installed profiles a ClearChargingProfile with `criteria` clears.

    With an `id`, that profile (the spec: either a profile by its id, or those matching
    the other fields); else those matching every field given (connectorId, purpose,
    stackLevel); none given: all.
    """
    if criteria.get("id") is not None:
        return [p.id for p in installed if p.charging_profile_id == criteria["id"]]
    wanted = {
        field: criteria[name]
        for name, field in (
            ("connectorId", "connector_id"),
            ("chargingProfilePurpose", "purpose"),
            ("stackLevel", "stack_level"),
        )
        if criteria.get(name) is not None
    }
    return [p.id for p in installed if all(getattr(p, f) == v for f, v in wanted.items())]


def ended(transaction_id: int, connector_id: int | None, installed: Iterable[Profile]) -> list[int]:
    """The TxProfiles that end with the transaction: its own, and a TxProfile on its
    connector that names no transaction."""
    return [
        p.id
        for p in installed
        if p.purpose == TX_PROFILE
        and (
            p.transaction_id == transaction_id
            or (p.transaction_id is None and connector_id is not None
                and p.connector_id == connector_id)
        )
    ]  # fmt: skip


def binding(
    connector_id: int, id_tag: str, started: datetime, pending: Sequence[Pending]
) -> tuple[int | None, list[int]]:
    """(the pending profile a StartTransaction binds, the pending ones it shows will never
    bind). A pending profile binds when its idTag is the start's, its connector is the
    start's (or was left to the station), and it was accepted within START_WINDOW of the
    start; the newest such one, one for that very connector first. Those for that connector
    (or any) accepted more than START_WINDOW before the start have expired."""
    candidates = [
        p
        for p in pending
        if p.id_tag == id_tag
        and p.connector_id in (connector_id, None)
        and abs(started - p.created_at) <= START_WINDOW
    ]
    candidates.sort(key=lambda p: (p.connector_id is not None, p.created_at, p.id))
    chosen = candidates[-1].id if candidates else None
    expired = [
        p.id
        for p in pending
        if p.id != chosen
        and p.connector_id in (connector_id, None)
        and p.created_at + START_WINDOW < started
    ]
    return chosen, expired


# --- reading and writing the rows -------------------------------------------------------------

_KEYS = (
    ChargingProfile.id, ChargingProfile.connector_id, ChargingProfile.charging_profile_id,
    ChargingProfile.stack_level, ChargingProfile.purpose, ChargingProfile.transaction_id,
)  # fmt: skip


def open_transaction(session: Session, station_id: str, connector_id: int) -> int | None:
    """The transaction open on a 1.6 connector: the newest, when an older one's stop never
    came."""
    return session.scalar(
        select(Transaction.id)
        .where(
            Transaction.station_id == station_id,
            Transaction.connector_id == connector_id,
            Transaction.stop_time.is_(None),
        )
        .order_by(Transaction.start_time.desc(), Transaction.id.desc())
        .limit(1)
    )


def open_transaction_2(session: Session, station_id: str, evse_id: int) -> str | None:
    """The station's transactionId of the transaction open on a 2.x EVSE: the newest,
    when an older one's Ended never came."""
    return session.scalar(
        select(Transaction.station_transaction_id)
        .where(
            Transaction.station_id == station_id,
            Transaction.evse_id == evse_id,
            Transaction.stop_time.is_(None),
            Transaction.station_transaction_id.is_not(None),
        )
        .order_by(Transaction.start_time.desc(), Transaction.id.desc())
        .limit(1)
    )


def _our_transaction(session: Session, station_id: str, reference: str) -> int | None:
    """Our id of the 2.x transaction the station calls `reference`."""
    return session.scalar(
        select(Transaction.id).where(
            Transaction.station_id == station_id,
            Transaction.station_transaction_id == reference,
        )
    )


def next_profile_id(session: Session, station_id: str) -> int | None:
    """The chargingProfileId the central system gives a new profile of the station: the
    next after the highest it knows there, in the profiles it kept (whatever became of
    them) and in the commands still on their way; None when none is left."""
    stored = session.scalar(
        select(func.max(ChargingProfile.charging_profile_id)).where(
            ChargingProfile.station_id == station_id
        )
    )
    on_the_way = session.execute(
        select(Command.action, Command.payload).where(
            Command.station_id == station_id,
            Command.action.in_(_SETTING),
            Command.status.in_(("queued", "sent")),
        )
    )
    taken = [stored or 0]
    for action, payload in on_the_way:
        taken += profile_ids(action, payload) if isinstance(payload, dict) else []
    return next_free_id(taken)


# The commands that set a profile on the station, with a chargingProfileId of their own.
_SETTING = ("SetChargingProfile", "RemoteStartTransaction", "RequestStartTransaction")


def _installed(session: Session, station_id: str) -> list[Profile]:
    query = select(*_KEYS).where(
        ChargingProfile.station_id == station_id, ChargingProfile.status == INSTALLED
    )
    return [Profile(*row) for row in session.execute(query)]


def _set_status(session: Session, ids: list[int], status: str, at: datetime) -> None:
    if ids:
        session.execute(
            update(ChargingProfile)
            .where(ChargingProfile.id.in_(ids))
            .values(status=status, status_at=at)
            .execution_options(synchronize_session=False)
        )


def _prune(session: Session, station_id: str) -> None:
    """Keep the station's HISTORY_KEPT newest history rows."""
    older = (
        select(ChargingProfile.id)
        .where(ChargingProfile.station_id == station_id, ChargingProfile.status.in_(HISTORY))
        .order_by(ChargingProfile.status_at.desc(), ChargingProfile.id.desc())
        .offset(HISTORY_KEPT)
    )
    session.execute(
        delete(ChargingProfile)
        .where(ChargingProfile.id.in_(older))
        .execution_options(synchronize_session=False)
    )


def _values(profile: dict[str, Any]) -> dict[str, Any]:
    return {
        "charging_profile_id": profile_id(profile),
        "stack_level": profile["stackLevel"],
        "purpose": profile["chargingProfilePurpose"],
        "kind": profile["chargingProfileKind"],
        "valid_from": _time(profile.get("validFrom")),
        "valid_to": _time(profile.get("validTo")),
        "profile": profile,
    }


def _closed(session: Session, transaction_id: int) -> bool:
    stop = session.execute(
        select(Transaction.stop_time).where(Transaction.id == transaction_id)
    ).first()
    return stop is not None and stop.stop_time is not None


def _transaction_of(
    session: Session, station_id: str, connector_id: int, profile: dict[str, Any]
) -> int | None:
    """Our id of a TxProfile's transaction: 1.6 names ours (or none: the one open on its
    connector), 2.x the station's transactionId."""
    named = profile.get("transactionId")
    if isinstance(named, str):
        return _our_transaction(session, station_id, named)
    if named is None:
        return open_transaction(session, station_id, connector_id)
    return named


def install(session: Session, station_id: str, connector_id: int, profile: dict[str, Any]) -> None:
    """A profile the station accepted (1.6 csChargingProfiles, 2.x chargingProfile on
    EVSE `connector_id`): it replaces what the spec says it replaces. A TxProfile is bound
    to its transaction (named, else the one open on its connector); one whose transaction
    stopped meanwhile, or that we do not know, ends at once."""
    at = now()
    values = _values(profile)
    status, transaction_id = INSTALLED, None
    if values["purpose"] == TX_PROFILE:
        transaction_id = _transaction_of(session, station_id, connector_id, profile)
        if transaction_id is None or _closed(session, transaction_id):
            status = ENDED
    gone = replaced(
        connector_id, values["charging_profile_id"], values["stack_level"], values["purpose"],
        _installed(session, station_id),
    )  # fmt: skip
    _set_status(session, gone, REPLACED, at)
    session.add(
        ChargingProfile(
            station_id=station_id, connector_id=connector_id, transaction_id=transaction_id,
            status=status, created_at=at, status_at=at, **values,
        )
    )  # fmt: skip
    session.flush()
    if gone or status != INSTALLED:
        _prune(session, station_id)


def _pending(session: Session, station_id: str) -> list[Pending]:
    query = select(
        ChargingProfile.id, ChargingProfile.connector_id, ChargingProfile.id_tag,
        ChargingProfile.created_at,
    )  # fmt: skip
    query = query.where(ChargingProfile.station_id == station_id, ChargingProfile.status == PENDING)
    return [Pending(*row) for row in session.execute(query)]


def add_pending(
    session: Session, station_id: str, connector_id: int | None, id_tag: str,
    profile: dict[str, Any],
) -> None:  # fmt: skip
    """The chargingProfile of an accepted RemoteStartTransaction: pending until its
    StartTransaction. It replaces a profile pending for the same connector (or for none)."""
    at = now()
    gone = [p.id for p in _pending(session, station_id) if p.connector_id == connector_id]
    _set_status(session, gone, REPLACED, at)
    session.add(
        ChargingProfile(
            station_id=station_id, connector_id=connector_id, id_tag=id_tag, status=PENDING,
            created_at=at, status_at=at, **_values(profile),
        )
    )  # fmt: skip
    session.flush()
    if gone:
        _prune(session, station_id)


# Most starts and stops concern no profile: one indexed look first, built once, without
# the ORM (every session's StartTransaction and StopTransaction pays it).
_PROFILES = ChargingProfile.__table__
_ANY_PENDING = (
    select(_PROFILES.c.id)
    .where(_PROFILES.c.station_id == bindparam("station"), _PROFILES.c.status == PENDING)
    .limit(1)
)
_ANY_TX_PROFILE = (
    select(_PROFILES.c.id)
    .where(
        _PROFILES.c.station_id == bindparam("station"),
        _PROFILES.c.status == INSTALLED,
        _PROFILES.c.purpose == TX_PROFILE,
    )
    .limit(1)
)


def _any(session: Session, query: Any, station_id: str) -> bool:
    return core(session).execute(query, {"station": station_id}).first() is not None


def transaction_started(
    session: Session, station_id: str, payload: dict[str, Any], transaction_id: int
) -> None:
    """A StartTransaction (`payload`, answered with `transaction_id`): the profile pending
    for it, if any, is installed as the transaction's TxProfile (replacing what a
    SetChargingProfile of it would replace)."""
    if not _any(session, _ANY_PENDING, station_id):
        return
    pending = _pending(session, station_id)
    connector_id = payload["connectorId"]
    started = parse_time(payload["timestamp"])[0]
    chosen, expired = binding(connector_id, payload["idTag"], started, pending)
    at = now()
    _set_status(session, expired, EXPIRED, at)
    if chosen is not None:
        row = session.get(ChargingProfile, chosen)
        gone = replaced(
            connector_id, row.charging_profile_id, row.stack_level, row.purpose,
            _installed(session, station_id),
        )  # fmt: skip
        _set_status(session, gone, REPLACED, at)
        session.flush()
        row.status, row.status_at = INSTALLED, at
        row.connector_id, row.transaction_id = connector_id, transaction_id
        session.flush()
    if expired or chosen is not None:
        _prune(session, station_id)


def transaction_stopped(
    session: Session, station_id: str, transaction_id: int, connector_id: int | None
) -> None:
    """A StopTransaction: the transaction's TxProfiles end with it."""
    if not _any(session, _ANY_TX_PROFILE, station_id):
        return
    over = ended(
        transaction_id,
        connector_id,
        [p for p in _installed(session, station_id) if p.purpose == TX_PROFILE],
    )
    if over:
        _set_status(session, over, ENDED, now())
        _prune(session, station_id)


def clear(session: Session, station_id: str, criteria: dict[str, Any]) -> None:
    gone = cleared(criteria, _installed(session, station_id))
    if gone:
        _set_status(session, gone, CLEARED, now())
        _prune(session, station_id)


def reported(session: Session, station_id: str, payload: dict[str, Any]) -> None:
    """A 2.x ReportChargingProfiles: the profiles of the central system's own (source CSO)
    it lists on its EVSE are installed as reported; one installed here already, the same
    in every field, stays as it is. The others' sources set them: they are not ours to
    keep as installed (the report itself is kept as sent)."""
    if payload.get("chargingLimitSource") != CSO:
        return
    evse_id = payload["evseId"]
    installed = {
        (row.charging_profile_id, row.connector_id): row.profile
        for row in session.scalars(
            select(ChargingProfile).where(
                ChargingProfile.station_id == station_id, ChargingProfile.status == INSTALLED
            )
        )
    }
    for profile in payload.get("chargingProfile") or ():
        if profile["chargingProfilePurpose"] == EXTERNAL:
            continue  # never the central system's (K01.FR.22), whatever the report says
        if installed.get((profile_id(profile), evse_id)) != profile:
            install(session, station_id, evse_id, profile)


def keep_composite_schedule(
    session: Session, station_id: str, asked: dict[str, Any], answer: dict[str, Any]
) -> None:
    """The station's answer, as the last for the connector (2.x: EVSE) asked about."""
    values = {
        "station_id": station_id,
        "connector_id": asked["connectorId"] if "connectorId" in asked else asked["evseId"],
        "duration": asked["duration"],
        "charging_rate_unit": asked.get("chargingRateUnit"),
        "status": answer.get("status"),
        "response": answer,
        "received_at": now(),
    }
    table = CompositeSchedule.__table__
    insert = dialect_insert(session.get_bind().dialect.name)(table).values(values)
    session.execute(
        insert.on_conflict_do_update(
            index_elements=[table.c.station_id, table.c.connector_id],
            set_={name: insert.excluded[name] for name in values if name not in
                  ("station_id", "connector_id")},
        )
    )  # fmt: skip


# --- the hooks ------------------------------------------------------------------------------


def _speaks_16(station: ChargePoint) -> bool:
    return station.ocpp_version in (None, "1.6")


def check_set_profile(
    session: Session, station: ChargePoint, payload: dict[str, Any]
) -> str | None:
    if "csChargingProfiles" not in payload:  # 2.x's
        evse_id, profile = payload["evseId"], payload["chargingProfile"]
        open_ref = None
        if profile["chargingProfilePurpose"] == TX_PROFILE and evse_id > 0:
            open_ref = open_transaction_2(session, station.id, evse_id)
        return profile_problem_2(evse_id, profile, open_ref)
    connector_id, profile = payload["connectorId"], payload["csChargingProfiles"]
    open_tx = None
    if profile["chargingProfilePurpose"] == TX_PROFILE and connector_id > 0:
        open_tx = open_transaction(session, station.id, connector_id)
    return profile_problem(connector_id, profile, open_tx)


def check_remote_start(
    session: Session, station: ChargePoint, payload: dict[str, Any]
) -> str | None:
    return remote_start_problem(payload) if _speaks_16(station) else None


def check_clear_profile(
    session: Session, station: ChargePoint, payload: dict[str, Any]
) -> str | None:
    return clear_problem(payload)


def check_composite_schedule(
    session: Session, station: ChargePoint, payload: dict[str, Any]
) -> str | None:
    return composite_problem(payload)


def _accepted(answer: dict[str, Any]) -> bool:
    return answer.get("status") == "Accepted"


# The payloads tell the version apart: 1.6's SetChargingProfile holds csChargingProfiles
# (2.x's a chargingProfile), its GetCompositeSchedule a connectorId (2.x's an evseId).


def on_set_profile_answered(session: Session, station_id: str, payload: dict, answer: dict) -> None:
    if not _accepted(answer):
        return
    if "csChargingProfiles" in payload:
        install(session, station_id, payload["connectorId"], payload["csChargingProfiles"])
    elif "chargingProfile" in payload:
        install(session, station_id, payload["evseId"], payload["chargingProfile"])


def on_clear_profile_answered(
    session: Session, station_id: str, payload: dict, answer: dict
) -> None:
    if _accepted(answer):
        clear(session, station_id, clear_criteria(payload))


def on_composite_schedule_answered(
    session: Session, station_id: str, payload: dict, answer: dict
) -> None:
    keep_composite_schedule(session, station_id, payload, answer)


def on_remote_start_answered(
    session: Session, station_id: str, payload: dict, answer: dict
) -> None:
    profile = payload.get("chargingProfile")
    if _accepted(answer) and profile is not None:
        add_pending(session, station_id, payload.get("connectorId"), payload["idTag"], profile)


# --- views -----------------------------------------------------------------------------------

PROFILE_FIELDS = (
    "id", "station_id", "connector_id", "charging_profile_id", "stack_level", "purpose", "kind",
    "transaction_id", "valid_from", "valid_to", "id_tag", "status", "created_at", "status_at",
    "profile",
)  # fmt: skip
SCHEDULE_FIELDS = (
    "station_id", "connector_id", "duration", "charging_rate_unit", "status", "response",
    "received_at",
)  # fmt: skip


def profiles_query(station_id: str, history: bool = False) -> Any:
    """The station's profiles installed and pending (`history`: and what became of the
    others), by connector, purpose and stackLevel, the newest first."""
    query = select(ChargingProfile).where(ChargingProfile.station_id == station_id)
    if not history:
        query = query.where(ChargingProfile.status.in_((INSTALLED, PENDING)))
    return query.order_by(
        (ChargingProfile.status == INSTALLED).desc(),
        (ChargingProfile.status == PENDING).desc(),
        func.coalesce(ChargingProfile.connector_id, -1),
        ChargingProfile.purpose,
        ChargingProfile.stack_level.desc(),
        ChargingProfile.status_at.desc(),
        ChargingProfile.id.desc(),
    )


def schedules_query(station_id: str) -> Any:
    return (
        select(CompositeSchedule)
        .where(CompositeSchedule.station_id == station_id)
        .order_by(CompositeSchedule.connector_id)
    )


def profile_row(profile: ChargingProfile) -> dict[str, Any]:
    return {name: getattr(profile, name) for name in PROFILE_FIELDS}


def schedule_row(schedule: CompositeSchedule) -> dict[str, Any]:
    return {name: getattr(schedule, name) for name in SCHEDULE_FIELDS}


def profile_periods(profile: dict[str, Any]) -> str | None:
    """A profile's periods for a table: its chargingSchedule's (2.x: each schedule's, apart
    with ` | `)."""
    schedules = profile.get("chargingSchedule")
    if not isinstance(schedules, list):
        return periods_text(schedules)
    return " | ".join(filter(None, (periods_text(s) for s in schedules))) or None


def composite_parts(answer: dict[str, Any]) -> tuple[Any, dict[str, Any] | None]:
    """(scheduleStart, the schedule) of a GetCompositeSchedule answer: 1.6's chargingSchedule
    beside its scheduleStart, 2.x's schedule holding both."""
    if isinstance(answer.get("schedule"), dict):
        return answer["schedule"].get("scheduleStart"), answer["schedule"]
    return answer.get("scheduleStart"), answer.get("chargingSchedule")


def periods_text(schedule: dict[str, Any] | None) -> str | None:
    """A chargingSchedule's periods for a table: `0s 32A, 600s 16A/1ph`."""
    if not isinstance(schedule, dict):
        return None
    unit = schedule.get("chargingRateUnit", "")
    parts = []
    for period in schedule.get("chargingSchedulePeriod") or []:
        phases = period.get("numberPhases")
        limit = period.get("limit")
        limit = f"{limit:g}" if isinstance(limit, int | float) else "?"
        parts.append(
            f"{period.get('startPeriod')}s {limit}{unit}" + (f"/{phases}ph" if phases else "")
        )
    return ", ".join(parts) or None
