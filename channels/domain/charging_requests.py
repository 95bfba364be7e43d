"""The smart charging requests an operator's commands become, in the OCPP version the station
speaks: SetChargingProfile, ClearChargingProfile, GetChargingProfiles (2.x) and
GetCompositeSchedule. Pure functions: what to send, or a RequestProblem saying why not.

An operator names what they want once (the station's maximum at 32 A, a default of 16 A
from 18:00 on EVSE 1, the running session at 6 kW); 1.6 and 2.x spell it differently
(connectors against EVSEs, csChargingProfiles against chargingProfile with a list of
schedules, ChargePointMaxProfile against ChargingStationMaxProfile). What the central
system knows and the operator need not say (the chargingProfileId to use, the transaction
open on the EVSE) comes in `Known`; the spec's rules are checked as `send` checks them
(smart_charging.profile_problem, profile_problem_2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ocpp_cable.channels.domain import smart_charging, timeutil
from ocpp_cable.channels.domain.station_requests import Request, RequestProblem
from ocpp_cable.contract.timestamps import utc_text

V16 = "1.6"
UNITS = ("A", "W")
KINDS = ("Absolute", "Recurring", "Relative")
RECURRENCIES = ("Daily", "Weekly")
SOURCES = ("EMS", "Other", "SO", "CSO")  # 2.x chargingLimitSource
MAX_SOURCES = 4  # GetChargingProfiles names at most four (its schema)
# What an operator calls a purpose, and the word each version has for it.
MAX, TX_DEFAULT, TX = "max", "tx-default", "tx"
PURPOSES = (MAX, TX_DEFAULT, TX)
EXTERNAL = "external"  # 2.x: only to read (GetChargingProfiles), never set
_WORDS = {
    MAX: (smart_charging.MAX_PROFILE, smart_charging.MAX_PROFILE_2),
    TX_DEFAULT: (smart_charging.TX_DEFAULT, smart_charging.TX_DEFAULT),
    TX: (smart_charging.TX_PROFILE, smart_charging.TX_PROFILE),
    EXTERNAL: (None, smart_charging.EXTERNAL),
}


@dataclass(frozen=True, slots=True)
class Period:
    """A schedule's period: from `start` seconds into it, at most `limit` (A or W)."""

    start: int
    limit: float
    phases: int | None = None


@dataclass(frozen=True, slots=True)
class ProfileIntent:
    """A charging profile as an operator gives it."""

    purpose: str  # max, tx-default, tx (or the version's own word)
    periods: tuple[Period, ...]
    unit: str = "A"
    phases: int | None = None  # each period's numberPhases, where it names none
    stack_level: int = 0
    kind: str = "Absolute"
    recurrency: str | None = None  # Daily or Weekly: a Recurring profile's
    start: datetime | None = None  # startSchedule (Absolute, Recurring): default now
    duration: int | None = None  # seconds
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    id: int | None = None  # default: Known.next_id
    transaction: str | None = None  # a TxProfile's: default the open one


@dataclass(frozen=True, slots=True)
class Known:
    """What the central system knows of the station, for a profile on one connector (EVSE).

    `next_id`: the chargingProfileId a new profile takes (None: none is free);
    `open_transaction`: the transaction open there (1.6: ours, 2.x: the station's
    transactionId), if any."""

    next_id: int | None
    open_transaction: int | str | None = None


def _is_16(version: str) -> bool:
    return version == V16


def location(version: str, connector: int | None = None, evse: int | None = None) -> int:
    """Where a profile goes or a schedule is read: a 1.6 connector or a 2.x EVSE, 0 (the
    whole station) when none is named."""
    if _is_16(version):
        if evse is not None:
            raise RequestProblem("a 1.6 station has connectors, not EVSEs: use --connector")
        where, named = "connector", connector
    else:
        if connector is not None:
            raise RequestProblem(
                "a 2.x station's charging profiles and schedules are per EVSE: use --evse"
            )
        where, named = "EVSE", evse
    if named is not None and named < 0:
        raise RequestProblem(f"{where} {named}: 0 (the whole station) or more")
    return _int32(named or 0, where)


def _int32(value: int, what: str) -> int:
    """`value`, when a station's integer (32 bits) holds it."""
    if value > smart_charging.MAX_PROFILE_ID:
        raise RequestProblem(f"{what} {value}: at most {smart_charging.MAX_PROFILE_ID}")
    return value


def purpose_word(version: str, purpose: str, readable: bool = False) -> str:
    """The version's word for `purpose` (max, tx-default, tx; `readable`: external too), or
    the word itself when it is one of OCPP's."""
    column = 0 if _is_16(version) else 1
    choices = (*PURPOSES, EXTERNAL) if readable and not _is_16(version) else PURPOSES
    if purpose in choices:
        return _WORDS[purpose][column]
    for name in choices:
        if purpose in _WORDS[name]:
            return _WORDS[name][column]  # ChargePointMaxProfile said to a 2.x station too
    raise RequestProblem(f"purpose {purpose!r}: one of {', '.join(choices)}")


def parse_periods(text: str) -> tuple[Period, ...]:
    """`start:limit[:phases],...` in seconds and the unit's amps or watts: `0:32,3600:16:1`."""
    periods = []
    for part in text.split(","):
        fields = part.strip().split(":")
        try:
            if len(fields) not in (2, 3):
                raise ValueError
            start, limit = int(fields[0]), float(fields[1])
            phases = int(fields[2]) if len(fields) == 3 else None
        except ValueError:
            raise RequestProblem(
                f"period {part.strip()!r}: start_seconds:limit[:phases], e.g. 0:32 or 600:16:1"
            ) from None
        periods.append(Period(start, limit, phases))
    return tuple(periods)


def parse_when(text: str, at: datetime, what: str) -> datetime:
    """`now`, a duration from `at` (90s, 30m, 2h, 1d), or an ISO 8601 time (UTC when it
    names no zone)."""
    try:
        return timeutil.parse_when(text, at)
    except ValueError:
        raise RequestProblem(
            f"{what} {text!r}: now, a duration from now (30m, 2h, 1d) or an ISO 8601 time"
        ) from None


def _time(at: datetime) -> str:
    """A time as OCPP writes it, in UTC (a time without a zone is UTC)."""
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return utc_text(at, timespec="seconds")


def _number(value: float) -> float | int:
    """A limit as the operator wrote it: 32, not 32.0; 1.6's multipleOf 0.1 holds."""
    return int(value) if float(value).is_integer() else value


def _profile_id(intent_id: int | None, known: Known) -> int:
    found = intent_id if intent_id is not None else known.next_id
    if found is None:
        raise RequestProblem("no chargingProfileId is left for the station: give --id")
    if not 1 <= found <= smart_charging.MAX_PROFILE_ID:
        raise RequestProblem(f"chargingProfileId {found}: 1 to {smart_charging.MAX_PROFILE_ID}")
    return found


def _transaction(version: str, given: int | str | None) -> int | str | None:
    """A transactionId as the version spells it: 1.6's ours (a number), 2.x's the
    station's (text)."""
    if given is None:
        return None
    if not _is_16(version):
        return str(given)
    try:
        return int(given)
    except ValueError:
        raise RequestProblem(f"transaction {given!r}: a 1.6 transactionId is a number") from None


def _schedule(version: str, intent: ProfileIntent, at: datetime, schedule_id: int) -> dict:
    if not intent.periods:
        raise RequestProblem("a schedule has one period at least: give a limit or periods")
    if intent.unit not in UNITS:
        raise RequestProblem(f"unit {intent.unit!r}: A (amperes) or W (watts)")
    periods = []
    for period in intent.periods:
        start = _int32(period.start, "period start")
        item: dict[str, Any] = {"startPeriod": start, "limit": _number(period.limit)}
        phases = period.phases if period.phases is not None else intent.phases
        if phases is not None:
            item["numberPhases"] = phases
        periods.append(item)
    schedule: dict[str, Any] = {} if _is_16(version) else {"id": schedule_id}
    if intent.kind == "Relative":
        if intent.start is not None:
            raise RequestProblem("a Relative profile starts with its session: no start time")
    else:
        schedule["startSchedule"] = _time(intent.start or at)
    if intent.duration is not None:
        if intent.duration < 1:
            raise RequestProblem(f"duration {intent.duration}: 1 second or more")
        schedule["duration"] = _int32(intent.duration, "duration")
    schedule["chargingRateUnit"] = intent.unit
    schedule["chargingSchedulePeriod"] = periods
    return schedule


def set_profile(
    version: str,
    intent: ProfileIntent,
    at: datetime,
    known: Known,
    connector: int | None = None,
    evse: int | None = None,
) -> Request:
    """SetChargingProfile: the profile the operator describes, on a connector (2.x: an
    EVSE; 0, the default, the whole station), at `at` for what starts now."""
    where = location(version, connector, evse)
    purpose = purpose_word(version, intent.purpose)
    if intent.kind not in KINDS:
        raise RequestProblem(f"kind {intent.kind!r}: one of {', '.join(KINDS)}")
    if (intent.kind == "Recurring") != (intent.recurrency is not None):
        raise RequestProblem("a Recurring profile, and only one, names its recurrency")
    if intent.recurrency is not None and intent.recurrency not in RECURRENCIES:
        raise RequestProblem(f"recurrency {intent.recurrency!r}: Daily or Weekly")
    profile_id = _profile_id(intent.id, known)
    profile: dict[str, Any] = {
        ("chargingProfileId" if _is_16(version) else "id"): profile_id,
        "stackLevel": _int32(intent.stack_level, "stack level"),
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": intent.kind,
    }
    if intent.recurrency is not None:
        profile["recurrencyKind"] = intent.recurrency
    for field, value in (("validFrom", intent.valid_from), ("validTo", intent.valid_to)):
        if value is not None:
            profile[field] = _time(value)
    transaction = _transaction(version, intent.transaction)
    if purpose == smart_charging.TX_PROFILE and transaction is None:
        transaction = known.open_transaction
    if transaction is not None:
        profile["transactionId"] = transaction
    schedule = _schedule(version, intent, at, profile_id)
    profile["chargingSchedule"] = schedule if _is_16(version) else [schedule]
    return _checked(version, where, profile, known)


def profile_from_file(
    version: str,
    profile: dict[str, Any],
    known: Known,
    connector: int | None = None,
    evse: int | None = None,
) -> Request:
    """SetChargingProfile of a whole profile the operator wrote (1.6 csChargingProfiles,
    2.x chargingProfile), checked as any: without an id it takes Known.next_id, a TxProfile
    without a transactionId the open one's."""
    where = location(version, connector, evse)
    named = "chargingProfileId" if _is_16(version) else "id"
    if "csChargingProfiles" in profile or "chargingProfile" in profile:
        raise RequestProblem("the file holds the profile itself, not a SetChargingProfile")
    whole = dict(profile)
    if named not in whole:
        whole[named] = _profile_id(None, known)
    tx_profile = whole.get("chargingProfilePurpose") == smart_charging.TX_PROFILE
    if tx_profile and "transactionId" not in whole and known.open_transaction is not None:
        whole["transactionId"] = known.open_transaction
    return _checked(version, where, whole, known)


def _checked(version: str, where: int, profile: dict[str, Any], known: Known) -> Request:
    """The SetChargingProfile of `profile` on `where`, once the spec's rules pass (a
    profile the schema refuses is the schema's to say: the rules read its fields)."""
    try:
        if _is_16(version):
            opened = known.open_transaction if isinstance(known.open_transaction, int) else None
            found = smart_charging.profile_problem(where, profile, opened)
        else:
            opened = known.open_transaction if isinstance(known.open_transaction, str) else None
            found = smart_charging.profile_problem_2(where, profile, opened)
    except (KeyError, TypeError, AttributeError):
        found = None  # not a profile the schema lets through: build_call says what is wrong
    if found is not None:
        raise RequestProblem(found)
    if _is_16(version):
        return Request("SetChargingProfile", {"connectorId": where, "csChargingProfiles": profile})
    return Request("SetChargingProfile", {"evseId": where, "chargingProfile": profile})


def clear_profile(
    version: str,
    profile_id: int | None = None,
    connector: int | None = None,
    evse: int | None = None,
    purpose: str | None = None,
    stack_level: int | None = None,
) -> Request:
    """ClearChargingProfile: one profile by its id, or those matching every criterion
    given (connector or EVSE, purpose, stack level); none given: all the station holds."""
    if profile_id is not None and (
        connector is not None or evse is not None or purpose is not None or stack_level is not None
    ):
        raise RequestProblem(
            "clear one profile by its id, or those matching connector (EVSE), purpose and "
            "stack level: not both"
        )
    if profile_id is not None and profile_id < 1:
        raise RequestProblem(f"chargingProfileId {profile_id}: 1 or more")
    if stack_level is not None and stack_level < 0:
        raise RequestProblem(f"stack level {stack_level}: 0 or more")
    if stack_level is not None:
        _int32(stack_level, "stack level")
    if profile_id is not None:
        _int32(profile_id, "chargingProfileId")
    where = None
    if connector is not None or evse is not None:
        where = location(version, connector, evse)
    word = None if purpose is None else purpose_word(version, purpose)
    if _is_16(version):
        payload: dict[str, Any] = {"id": profile_id} if profile_id is not None else {}
        criteria = payload
        names = ("connectorId", "chargingProfilePurpose", "stackLevel")
    else:
        payload = {"chargingProfileId": profile_id} if profile_id is not None else {}
        criteria = {}
        names = ("evseId", "chargingProfilePurpose", "stackLevel")
    for name, value in zip(names, (where, word, stack_level), strict=True):
        if value is not None:
            criteria[name] = value
    if criteria and not _is_16(version):
        payload["chargingProfileCriteria"] = criteria
    return Request("ClearChargingProfile", payload)


def get_profiles(
    version: str,
    request_id: int,
    evse: int | None = None,
    purpose: str | None = None,
    stack_level: int | None = None,
    sources: Sequence[str] = (),
    ids: Sequence[int] = (),
) -> Request:
    """GetChargingProfiles (2.x): the station reports those matching every criterion
    given, with `request_id`, in ReportChargingProfiles."""
    if _is_16(version):
        raise RequestProblem(
            "a 1.6 station has no GetChargingProfiles: `ocpp-cable stations profiles` "
            "shows the profiles it accepted"
        )
    criteria: dict[str, Any] = {}
    if purpose is not None:
        criteria["chargingProfilePurpose"] = purpose_word(version, purpose, readable=True)
    if stack_level is not None:
        if stack_level < 0:
            raise RequestProblem(f"stack level {stack_level}: 0 or more")
        criteria["stackLevel"] = _int32(stack_level, "stack level")
    if ids:
        if any(i < 1 for i in ids):
            raise RequestProblem("a chargingProfileId is 1 or more")
        criteria["chargingProfileId"] = [_int32(i, "chargingProfileId") for i in ids]
    if sources:
        unknown = [s for s in sources if s not in SOURCES]
        if unknown:
            raise RequestProblem(f"source {unknown[0]!r}: one of {', '.join(SOURCES)}")
        if len(set(sources)) != len(sources) or len(sources) > MAX_SOURCES:
            raise RequestProblem(f"name each source once, {MAX_SOURCES} at most")
        criteria["chargingLimitSource"] = list(sources)
    payload: dict[str, Any] = {"requestId": request_id}
    if evse is not None:
        payload["evseId"] = location(version, evse=evse)
    payload["chargingProfile"] = criteria
    return Request("GetChargingProfiles", payload)


def composite_schedule(
    version: str,
    duration: int,
    connector: int | None = None,
    evse: int | None = None,
    unit: str | None = None,
) -> Request:
    """GetCompositeSchedule: what the station will allow on a connector (2.x: an EVSE; 0,
    the default, the whole station) for the next `duration` seconds."""
    where = location(version, connector, evse)
    if duration < 1:
        raise RequestProblem(f"duration {duration}: 1 second or more")
    _int32(duration, "duration")
    if unit is not None and unit not in UNITS:
        raise RequestProblem(f"unit {unit!r}: A (amperes) or W (watts)")
    payload: dict[str, Any] = {("connectorId" if _is_16(version) else "evseId"): where}
    payload["duration"] = duration
    if unit is not None:
        payload["chargingRateUnit"] = unit
    return Request("GetCompositeSchedule", payload)
